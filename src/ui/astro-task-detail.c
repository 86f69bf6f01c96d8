/* astro-task-detail.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The workspaces on the task, across the team, are a GListStore bound to a
 * boxed list; it is refilled when the store says workspaces changed, and
 * redrawn every minute so "active 2 minutes ago" stays true on its own.
 */
#define G_LOG_DOMAIN "astro-task-detail"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "astro-task-detail.h"
#include "astro-task-row.h"
#include "astro-workspace.h"

struct _AstroTaskDetail
{
  AdwBin          parent_instance;

  AstroStore     *store;
  AstroTask      *task;
  GSignalGroup   *task_signals;
  GListStore     *workspaces;
  guint           presence_timeout;

  GtkStack       *stack;
  GtkLabel       *key_label;
  GtkLabel       *title_label;
  GtkLabel       *facts_label;
  GtkLinkButton  *external_button;
  GtkLabel       *description_label;
  GtkListBox     *workspaces_list;
};

G_DEFINE_FINAL_TYPE (AstroTaskDetail, astro_task_detail, ADW_TYPE_BIN)

/*
 * Auxiliary methods
 */

static char *
user_name (AstroTaskDetail *self,
           const char      *user_id)
{
  return self->store != NULL ? astro_store_dup_user_name (self->store, user_id) : NULL;
}

/* labels is a JSON array of strings */
static char *
join_labels (const char *labels)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *array;

  if (labels == NULL || !json_parser_load_from_data (parser, labels, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;

  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_string_append_printf (text, "%s%s", text->len ? ", " : "", json_node_get_string (node));
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static GtkWidget *
create_workspace_row (gpointer item,
                      gpointer user_data)
{
  AstroTaskDetail *self = user_data;
  AstroWorkspace *workspace = item;
  AstroRow *row = astro_workspace_get_row (workspace);
  g_autofree char *owner = user_name (self, astro_row_get (row, "owner_id"));
  g_autofree char *presence = astro_workspace_describe_presence (workspace, g_get_real_time ());
  g_autofree char *git = astro_workspace_describe_git (workspace);
  g_autofree char *pr = astro_workspace_describe_pr (workspace);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  GtkWidget *widget = adw_action_row_new ();

  /* Translators: a device and the person working on it, "laptop — Ada" */
  title = g_strdup_printf (_("%s — %s"),
                           astro_row_get (row, "device_name") ? astro_row_get (row, "device_name") : _("Unknown device"),
                           owner != NULL ? owner : _("someone"));
  subtitle = pr != NULL ? g_strdup_printf ("%s · %s · %s", presence, git, pr)
                        : g_strdup_printf ("%s · %s", presence, git);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (widget), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (widget), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (widget), subtitle);
  return widget;
}

static void
fill_workspaces (AstroTaskDetail *self)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->task != NULL && self->store != NULL)
    rows = astro_store_list_rows (self->store, "workspaces", "task_id", astro_task_get_id (self->task), NULL);

  for (guint i = 0; rows != NULL && i < rows->len; i++)
    g_ptr_array_add (items, astro_workspace_new (g_ptr_array_index (rows, i)));

  g_list_store_splice (self->workspaces, 0, g_list_model_get_n_items (G_LIST_MODEL (self->workspaces)),
                       items->pdata, items->len);
}

static void
update (AstroTaskDetail *self)
{
  g_autofree char *status = NULL;
  g_autofree char *assignee = NULL;
  g_autofree char *labels = NULL;
  g_autoptr(GString) facts = g_string_new (NULL);
  const char *url;

  if (self->task == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }

  gtk_label_set_text (self->key_label, astro_task_get_key (self->task) ? astro_task_get_key (self->task) : "");
  gtk_label_set_text (self->title_label, astro_task_get_title (self->task) ? astro_task_get_title (self->task) : "");

  status = g_markup_escape_text (astro_task_get_status (self->task) ? astro_task_get_status (self->task) : "", -1);
  assignee = user_name (self, astro_task_get_assignee_id (self->task));
  labels = join_labels (astro_task_get_labels (self->task));
  g_string_append_printf (facts, "<b>%s</b>", status);
  if (astro_priority_to_string (astro_task_get_priority (self->task))[0] != '\0')
    g_string_append_printf (facts, " · %s", astro_priority_to_string (astro_task_get_priority (self->task)));
  {
    g_autofree char *who = g_markup_escape_text (assignee != NULL ? assignee : _("Unassigned"), -1);
    g_string_append_printf (facts, " · %s", who);
  }
  if (labels != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (labels, -1);
      g_string_append_printf (facts, "\n%s", escaped);
    }
  if (astro_task_get_branch (self->task) != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (astro_task_get_branch (self->task), -1);
      g_string_append_printf (facts, "\n<tt>%s</tt>", escaped);
    }
  gtk_label_set_markup (self->facts_label, facts->str);

  url = astro_task_get_external_url (self->task);
  gtk_widget_set_visible (GTK_WIDGET (self->external_button),
                          url != NULL && (g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://")));
  if (url != NULL)
    gtk_link_button_set_uri (self->external_button, url);

  gtk_label_set_text (self->description_label,
                      astro_task_get_description (self->task) ? astro_task_get_description (self->task)
                                                              : _("No description."));
  gtk_stack_set_visible_child_name (self->stack, "task");
}

/*
 * Signal callbacks
 */

static void
on_workspaces_changed_cb (AstroTaskDetail  *self,
                          AstroRowsChanged *changes)
{
  fill_workspaces (self);
}

static gboolean
on_presence_timeout_cb (gpointer data)
{
  AstroTaskDetail *self = data;

  /* rebind the rows so their "active … ago" is recomputed */
  fill_workspaces (self);
  return G_SOURCE_CONTINUE;
}

/*
 * GObject overrides
 */

static void
astro_task_detail_dispose (GObject *object)
{
  AstroTaskDetail *self = ASTRO_TASK_DETAIL (object);

  g_clear_handle_id (&self->presence_timeout, g_source_remove);
  g_clear_object (&self->task_signals);
  g_clear_object (&self->task);
  g_clear_object (&self->workspaces);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_TASK_DETAIL);

  G_OBJECT_CLASS (astro_task_detail_parent_class)->dispose (object);
}

static void
astro_task_detail_class_init (AstroTaskDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_task_detail_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-task-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, stack);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, key_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, title_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, facts_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, external_button);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, description_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, workspaces_list);
}

static void
astro_task_detail_init (AstroTaskDetail *self)
{
  GtkWidget *none;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->workspaces = g_list_store_new (ASTRO_TYPE_WORKSPACE);
  gtk_list_box_bind_model (self->workspaces_list, G_LIST_MODEL (self->workspaces),
                           create_workspace_row, self, NULL);
  none = gtk_label_new (_("Nobody has started work on this task"));
  gtk_widget_add_css_class (none, "dim-label");
  gtk_widget_set_margin_top (none, 12);
  gtk_widget_set_margin_bottom (none, 12);
  gtk_list_box_set_placeholder (self->workspaces_list, none);

  self->task_signals = g_signal_group_new (ASTRO_TYPE_TASK);
  g_signal_group_connect_swapped (self->task_signals, "notify", G_CALLBACK (update), self);
  self->presence_timeout = g_timeout_add_seconds (60, on_presence_timeout_cb, self);
}

/*
 * Public API
 */

void
astro_task_detail_set_store (AstroTaskDetail *self,
                             AstroStore      *store)
{
  g_return_if_fail (ASTRO_IS_TASK_DETAIL (self));
  g_return_if_fail (ASTRO_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  g_signal_connect_object (store, "rows-changed::workspaces",
                           G_CALLBACK (on_workspaces_changed_cb), self, G_CONNECT_SWAPPED);
}

void
astro_task_detail_set_task (AstroTaskDetail *self,
                            AstroTask       *task)
{
  g_return_if_fail (ASTRO_IS_TASK_DETAIL (self));

  if (!g_set_object (&self->task, task))
    return;

  g_signal_group_set_target (self->task_signals, task);
  update (self);
  fill_workspaces (self);
}
