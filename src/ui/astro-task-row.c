/* astro-task-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows are recycled by the list view: a row follows whichever task it is
 * given, and refreshes itself when that task's properties change.
 */
#define G_LOG_DOMAIN "astro-task-row"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "astro-task-row.h"

struct _AstroTaskRow
{
  GtkWidget     parent_instance;

  AstroStore   *store;
  AstroTask    *task;
  GSignalGroup *task_signals;

  GtkWidget    *box;
  GtkLabel     *key_label;
  GtkLabel     *status_label;
  GtkLabel     *title_label;
  GtkLabel     *priority_label;
  GtkLabel     *assignee_label;
};

G_DEFINE_FINAL_TYPE (AstroTaskRow, astro_task_row, GTK_TYPE_WIDGET)

/*
 * Auxiliary methods
 */

const char *
astro_priority_to_string (int priority)
{
  switch (priority)
    {
    case 1: return _("Urgent");
    case 2: return _("High");
    case 3: return _("Medium");
    case 4: return _("Low");
    default: return "";
    }
}

static gboolean
is_hex_color (const char *color)
{
  if (color == NULL || color[0] != '#' || strlen (color) != 7)
    return FALSE;
  for (guint i = 1; i < 7; i++)
    if (!g_ascii_isxdigit (color[i]))
      return FALSE;
  return TRUE;
}

static void
update (AstroTaskRow *self)
{
  g_autofree char *status = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *assignee = NULL;
  const char *color;

  if (self->task == NULL)
    return;

  gtk_label_set_text (self->key_label, astro_task_get_key (self->task) ? astro_task_get_key (self->task) : "");
  gtk_label_set_text (self->title_label, astro_task_get_title (self->task) ? astro_task_get_title (self->task) : "");
  gtk_label_set_text (self->priority_label, astro_priority_to_string (astro_task_get_priority (self->task)));

  /* the status keeps the team's colour, as a dot before its name; colours
   * from the server are checked before they reach the markup */
  color = astro_task_get_status_color (self->task);
  escaped = g_markup_escape_text (astro_task_get_status (self->task) ? astro_task_get_status (self->task) : "", -1);
  status = is_hex_color (color)
    ? g_strdup_printf ("<span foreground=\"%s\">●</span> %s", color, escaped)
    : g_strdup_printf ("● %s", escaped);
  gtk_label_set_markup (self->status_label, status);

  if (self->store != NULL)
    assignee = astro_store_dup_user_name (self->store, astro_task_get_assignee_id (self->task));
  gtk_label_set_text (self->assignee_label, assignee != NULL ? assignee : _("Unassigned"));
}

/*
 * GObject overrides
 */

static void
astro_task_row_dispose (GObject *object)
{
  AstroTaskRow *self = ASTRO_TASK_ROW (object);

  g_clear_object (&self->task_signals);
  g_clear_object (&self->task);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_TASK_ROW);

  G_OBJECT_CLASS (astro_task_row_parent_class)->dispose (object);
}

static void
astro_task_row_class_init (AstroTaskRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_task_row_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-task-row.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroTaskRow, box);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskRow, key_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskRow, priority_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskRow, assignee_label);
}

static void
astro_task_row_init (AstroTaskRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->task_signals = g_signal_group_new (ASTRO_TYPE_TASK);
  g_signal_group_connect_swapped (self->task_signals, "notify", G_CALLBACK (update), self);
}

/*
 * Public API
 */

GtkWidget *
astro_task_row_new (AstroStore *store)
{
  AstroTaskRow *self = g_object_new (ASTRO_TYPE_TASK_ROW, NULL);

  self->store = store != NULL ? g_object_ref (store) : NULL;

  return GTK_WIDGET (self);
}

void
astro_task_row_set_task (AstroTaskRow *self,
                         AstroTask    *task)
{
  g_return_if_fail (ASTRO_IS_TASK_ROW (self));

  if (!g_set_object (&self->task, task))
    return;

  g_signal_group_set_target (self->task_signals, task);
  update (self);
}
