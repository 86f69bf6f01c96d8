/* astro-workspace.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A thin item over a workspaces row, with the sentences the UI shows for
 * presence, git status and pull request, computed from the synced columns.
 */
#define G_LOG_DOMAIN "astro-workspace"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "astro-workspace.h"

/* Without activity for this long a workspace reads as idle. */
#define IDLE_AFTER_US (15 * 60 * G_USEC_PER_SEC)

struct _AstroWorkspace
{
  GObject   parent_instance;

  AstroRow *row;

  /* What a list shows beside the row, read when the item was made; NULL
   * when made from the row alone. */
  AstroRow *task;
  char     *owner_name;
};

G_DEFINE_FINAL_TYPE (AstroWorkspace, astro_workspace, G_TYPE_OBJECT)

static void
astro_workspace_finalize (GObject *object)
{
  AstroWorkspace *self = ASTRO_WORKSPACE (object);

  g_clear_pointer (&self->row, astro_row_unref);
  g_clear_pointer (&self->task, astro_row_unref);
  g_clear_pointer (&self->owner_name, g_free);

  G_OBJECT_CLASS (astro_workspace_parent_class)->finalize (object);
}

static void
astro_workspace_class_init (AstroWorkspaceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = astro_workspace_finalize;
}

static void
astro_workspace_init (AstroWorkspace *self)
{
}

AstroWorkspace *
astro_workspace_new (AstroRow *row)
{
  AstroWorkspace *self;

  g_return_val_if_fail (row != NULL, NULL);

  self = g_object_new (ASTRO_TYPE_WORKSPACE, NULL);
  self->row = astro_row_ref (row);
  return self;
}

/**
 * astro_workspace_new_with_context:
 * @task: (nullable): the task the workspace is on, if it is known here
 * @owner_name: (nullable): the owner as the UI names them
 */
AstroWorkspace *
astro_workspace_new_with_context (AstroRow   *row,
                                  AstroRow   *task,
                                  const char *owner_name)
{
  AstroWorkspace *self = astro_workspace_new (row);

  self->task = task != NULL ? astro_row_ref (task) : NULL;
  self->owner_name = g_strdup (owner_name);
  return self;
}

AstroRow *
astro_workspace_get_row (AstroWorkspace *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);
  return self->row;
}

const char *
astro_workspace_get_id (AstroWorkspace *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);
  return astro_row_get_id (self->row);
}

const char *
astro_workspace_get_task_id (AstroWorkspace *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);
  return astro_row_get (self->row, "task_id");
}

/* (nullable): the task row, when made with context and the task is known */
AstroRow *
astro_workspace_get_task (AstroWorkspace *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);
  return self->task;
}

const char *
astro_workspace_get_owner_name (AstroWorkspace *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);
  return self->owner_name;
}

static gboolean
rows_equal (AstroRow *a,
            AstroRow *b)
{
  const AstroTable *table;

  if (a == NULL || b == NULL)
    return a == b;

  table = astro_row_get_table (a);
  if (table != astro_row_get_table (b))
    return FALSE;

  for (guint i = 0; i < table->n_columns; i++)
    if (g_strcmp0 (astro_row_get_nth (a, i), astro_row_get_nth (b, i)) != 0)
      return FALSE;

  return TRUE;
}

/* Whether two items would show the same: a list replaces only the items
 * that are not. */
gboolean
astro_workspace_equal (AstroWorkspace *a,
                       AstroWorkspace *b)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE (a), FALSE);
  g_return_val_if_fail (ASTRO_IS_WORKSPACE (b), FALSE);

  return rows_equal (a->row, b->row) &&
         rows_equal (a->task, b->task) &&
         g_strcmp0 (a->owner_name, b->owner_name) == 0;
}

/* Postgres text ("2026-01-02 10:00:00+00", maybe with microseconds) */
static gint64
parse_timestamp (const char *text)
{
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *iso = NULL;

  if (text == NULL)
    return 0;

  iso = g_strdup (text);
  if (iso[0] != '\0' && iso[10] == ' ')
    iso[10] = 'T';
  if (g_str_has_suffix (iso, "+00"))
    {
      g_autofree char *full = g_strconcat (iso, ":00", NULL);
      when = g_date_time_new_from_iso8601 (full, NULL);
    }
  else
    when = g_date_time_new_from_iso8601 (iso, NULL);

  return when != NULL ? g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when) : 0;
}

/* "Active 2 minutes ago" while recent and active, "Idle" otherwise; it is
 * computed at the time asked, so a view that asks again keeps it true. */
char *
astro_workspace_describe_presence (AstroWorkspace *self,
                                   gint64          now_us)
{
  const char *status = astro_row_get (self->row, "status");
  gint64 last = parse_timestamp (astro_row_get (self->row, "last_activity_at"));
  gint64 minutes;

  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);

  if (g_strcmp0 (status, "archived") == 0)
    return g_strdup (_("Archived"));
  /* just started here, before the server has stamped any activity */
  if (last == 0 && g_strcmp0 (status, "active") == 0)
    return g_strdup (_("Active"));
  if (last == 0 || now_us - last > IDLE_AFTER_US || g_strcmp0 (status, "idle") == 0)
    return g_strdup (_("Idle"));

  minutes = MAX (0, (now_us - last) / (60 * G_USEC_PER_SEC));
  if (minutes == 0)
    return g_strdup (_("Active now"));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Active %d minute ago", "Active %d minutes ago", minutes),
                          (int) minutes);
}

/* git_status is JSON text {"uncommitted","ahead","behind"} */
char *
astro_workspace_describe_git (AstroWorkspace *self)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *branch = astro_row_get (self->row, "git_branch");
  const char *status = astro_row_get (self->row, "git_status");
  g_autoptr(GString) text = g_string_new (branch != NULL ? branch : _("no branch"));
  JsonObject *object;

  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);

  if (status != NULL && json_parser_load_from_data (parser, status, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      object = json_node_get_object (json_parser_get_root (parser));
      if (json_object_get_int_member_with_default (object, "uncommitted", 0) > 0)
        g_string_append_printf (text, _(", %d uncommitted"),
                                (int) json_object_get_int_member_with_default (object, "uncommitted", 0));
      if (json_object_get_int_member_with_default (object, "ahead", 0) > 0)
        g_string_append_printf (text, _(", %d ahead"),
                                (int) json_object_get_int_member_with_default (object, "ahead", 0));
      if (json_object_get_int_member_with_default (object, "behind", 0) > 0)
        g_string_append_printf (text, _(", %d behind"),
                                (int) json_object_get_int_member_with_default (object, "behind", 0));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
astro_workspace_describe_pr (AstroWorkspace *self)
{
  const char *number = astro_row_get (self->row, "pr_number");
  const char *status = astro_row_get (self->row, "pr_status");

  g_return_val_if_fail (ASTRO_IS_WORKSPACE (self), NULL);

  if (number == NULL && astro_row_get (self->row, "pr_url") == NULL)
    return NULL;

  /* Translators: "PR #12 (open)" */
  return g_strdup_printf (_("PR #%s (%s)"), number != NULL ? number : "?", status != NULL ? status : _("unknown"));
}
