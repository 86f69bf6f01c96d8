/* astro-ctl-tasks.c: astrolabe-ctl tasks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-account.h"
#include "astro-ctl.h"

/* An organization given by id, slug or name. */
static char *
resolve_organization (AstroStore *store,
                      const char *wanted)
{
  g_autoptr(GPtrArray) rows = astro_store_list_rows (store, "organizations", NULL, NULL, NULL);

  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      AstroRow *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (astro_row_get (row, "id"), wanted) == 0 ||
          g_strcmp0 (astro_row_get (row, "slug"), wanted) == 0 ||
          g_strcmp0 (astro_row_get (row, "name"), wanted) == 0)
        return g_strdup (astro_row_get (row, "id"));
    }

  return NULL;
}

/* An assignee given by id, email, or "me". */
static char *
resolve_user (AstroStore *store,
              const char *wanted)
{
  g_autoptr(GPtrArray) rows = NULL;

  if (g_str_equal (wanted, "me"))
    return astro_store_get_setting (store, ASTRO_SETTING_ACCOUNT_USER);
  if (g_str_equal (wanted, "none"))
    return g_strdup ("");

  rows = astro_store_list_rows (store, "users", NULL, NULL, NULL);
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      AstroRow *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (astro_row_get (row, "id"), wanted) == 0 ||
          g_strcmp0 (astro_row_get (row, "email"), wanted) == 0)
        return g_strdup (astro_row_get (row, "id"));
    }

  return NULL;
}

int
astro_ctl_tasks (int    argc,
                 char **argv)
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *org = NULL;
  g_autofree char *status = NULL;
  g_autofree char *assignee = NULL;
  g_autofree char *org_id = NULL;
  g_autofree char *assignee_id = NULL;
  gboolean json = FALSE;
  AstroTaskFilter filter = ASTRO_TASK_FILTER_INIT;
  GOptionEntry entries[] = {
    { "org", 0, 0, G_OPTION_ARG_STRING, &org, N_("Only this organization (id, slug or name)"), N_("ORG") },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status, N_("Only tasks with this status"), N_("STATUS") },
    { "assignee", 0, 0, G_OPTION_ARG_STRING, &assignee, N_("Only tasks assigned to this user (id, email, “me” or “none”)"), N_("USER") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON, one object per task"), NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, NULL, _("List tasks from the local copy, in the order the app shows them."), entries, 0))
    return 2;

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  if (org != NULL && (org_id = resolve_organization (store, org)) == NULL)
    {
      astro_ctl_error (_("no organization “%s” in the local copy"), org);
      return 1;
    }
  if (assignee != NULL && (assignee_id = resolve_user (store, assignee)) == NULL)
    {
      astro_ctl_error (_("no user “%s” in the local copy"), assignee);
      return 1;
    }

  filter.organization_id = org_id;
  filter.status = status;
  filter.assignee_id = assignee_id;

  ids = astro_store_list_task_ids (store, &filter, &error);
  if (ids == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(AstroRow) row = astro_store_get_row (store, "tasks", g_ptr_array_index (ids, i), NULL);
      const AstroTable *table;

      if (row == NULL)
        continue;

      if (!json)
        {
          g_print ("%-10s %-12s %s  %s\n",
                   astro_row_get (row, "external_key") ? astro_row_get (row, "external_key") : "-",
                   astro_row_get (row, "status") ? astro_row_get (row, "status") : "-",
                   astro_row_get (row, "priority") ? astro_row_get (row, "priority") : "-",
                   astro_row_get (row, "title") ? astro_row_get (row, "title") : "");
          continue;
        }

      table = astro_row_get_table (row);
      g_print ("{");
      for (guint c = 0; c < table->n_columns; c++)
        {
          g_autofree char *value = astro_ctl_json_string (astro_row_get_nth (row, c));
          g_print ("%s\"%s\": %s", c ? ", " : "", table->columns[c], value);
        }
      g_print ("}\n");
    }

  return 0;
}
