/* astro-ctl-task.c: astrolabe-ctl task set-status
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-account.h"
#include "astro-ctl.h"

/* A task by id or by key (AST-12), from the local copy; says why not. */
AstroRow *
astro_ctl_find_task (AstroStore *store,
                     const char *wanted)
{
  g_autoptr(GPtrArray) rows = NULL;

  if (g_uuid_string_is_valid (wanted))
    {
      AstroRow *row = astro_store_get_row (store, "tasks", wanted, NULL);

      if (row != NULL)
        return row;
    }

  rows = astro_store_list_rows (store, "tasks", "external_key", wanted, NULL);
  if (rows != NULL && rows->len == 1)
    return astro_row_ref (g_ptr_array_index (rows, 0));

  if (rows != NULL && rows->len > 1)
    astro_ctl_error (_("several tasks are called “%s”: give the id"), wanted);
  else
    astro_ctl_error (_("no task “%s” in the local copy (run “astrolabe-ctl sync --once” first?)"), wanted);
  return NULL;
}

static int
task_set_status (int    argc,
                 char **argv)
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroOutbox) outbox = NULL;
  g_autoptr(AstroRow) task = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL, *server = NULL, *assignee = NULL;
  gboolean no_wait = FALSE, force = FALSE;
  int priority = -1, timeout = 0, status;
  gint64 write;
  GOptionEntry entries[] = {
    { "priority", 0, 0, G_OPTION_ARG_INT, &priority, N_("Also set the priority (0–4)"), N_("N") },
    { "assignee", 0, 0, G_OPTION_ARG_STRING, &assignee, N_("Also set the assignee (id, email, “me” or “none”)"), N_("USER") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Write even if the task changed on the server since it was synced"), NULL },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("Use this server instead of the one signed in to"), N_("URL") },
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait, N_("Only queue the write; a later command or the app sends it"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("Wait this many seconds at most (default 60)"), N_("SECONDS") },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, _("TASK STATUS"),
                                _("Change a task’s status (Backlog, Todo, In Progress, In Review, Done, Canceled)."),
                                entries, 2) ||
      argc != 3)
    return 2;

  store = astro_ctl_open_store (db_path);
  if (store == NULL || (task = astro_ctl_find_task (store, argv[1])) == NULL)
    return 1;

  json_object_set_string_member (fields, "status", argv[2]);
  if (priority >= 0)
    json_object_set_int_member (fields, "priority", priority);
  if (assignee != NULL)
    {
      g_autofree char *user = NULL;

      if (g_str_equal (assignee, "none"))
        json_object_set_null_member (fields, "assignee_id");
      else if (g_str_equal (assignee, "me") &&
               (user = astro_store_get_setting (store, ASTRO_SETTING_ACCOUNT_USER)) != NULL)
        json_object_set_string_member (fields, "assignee_id", user);
      else
        json_object_set_string_member (fields, "assignee_id", assignee);
    }

  /* The row as synced is what the user saw: if the server has a newer one,
   * the write is refused (409) rather than overwrite it blindly. */
  outbox = astro_outbox_new (store, NULL);
  write = astro_outbox_update (outbox, "tasks", astro_row_get_id (task), fields,
                               force ? NULL : astro_row_get (task, "updated_at"), &error);
  if (write == 0)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  if (no_wait)
    {
      astro_ctl_print_write (store, write);
      return 0;
    }

  status = astro_ctl_deliver (store, server, write, TRUE, timeout);
  astro_ctl_print_write (store, write);
  return status;
}

int
astro_ctl_task (int    argc,
                char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "set-status"))
    return task_set_status (argc - 1, argv + 1);

  astro_ctl_error ("%s", _("usage: task set-status TASK STATUS [--priority N] [--assignee USER]"));
  return 2;
}
