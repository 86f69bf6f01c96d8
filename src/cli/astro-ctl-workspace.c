/* astro-ctl-workspace.c: astrolabe-ctl workspace start|archive|delete|set-pr|set-git
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-ctl.h"

typedef struct
{
  char     *db_path;
  char     *server;
  gboolean  no_wait;
  gboolean  force;
  int       timeout;
} WriteOptions;

#define WRITE_OPTION_ENTRIES(o) \
  { "server", 0, 0, G_OPTION_ARG_STRING, &(o).server, N_("Use this server instead of the one signed in to"), N_("URL") }, \
  { "no-wait", 0, 0, G_OPTION_ARG_NONE, &(o).no_wait, N_("Only queue the write; a later command or the app sends it"), NULL }, \
  { "timeout", 0, 0, G_OPTION_ARG_INT, &(o).timeout, N_("Wait this many seconds at most (default 60)"), N_("SECONDS") }, \
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &(o).db_path, N_("Use this database file"), N_("FILE") }

static void
write_options_clear (WriteOptions *options)
{
  g_clear_pointer (&options->db_path, g_free);
  g_clear_pointer (&options->server, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (WriteOptions, write_options_clear)

static int
finish (AstroStore         *store,
        const WriteOptions *options,
        gint64              id)
{
  int status;

  if (options->no_wait)
    {
      astro_ctl_print_write (store, id);
      return 0;
    }

  status = astro_ctl_deliver (store, options->server, id, TRUE, options->timeout);
  astro_ctl_print_write (store, id);
  return status;
}

static AstroRow *
find_workspace (AstroStore *store,
                const char *id)
{
  g_autoptr(AstroRow) row = astro_store_get_row (store, "workspaces", id, NULL);

  if (row == NULL)
    astro_ctl_error (_("no workspace “%s” in the local copy"), id);
  return g_steal_pointer (&row);
}

static int
patch_workspace (AstroStore         *store,
                 const WriteOptions *options,
                 const char         *id,
                 JsonObject         *fields)
{
  g_autoptr(AstroOutbox) outbox = NULL;
  g_autoptr(AstroRow) row = find_workspace (store, id);
  g_autoptr(GError) error = NULL;
  gint64 write;

  if (row == NULL)
    return 1;

  outbox = astro_outbox_new (store, NULL);
  write = astro_outbox_update (outbox, "workspaces", id, fields,
                               options->force ? NULL : astro_row_get (row, "updated_at"), &error);
  if (write == 0)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  return finish (store, options, write);
}

static int
workspace_start (int    argc,
                 char **argv)
{
  g_auto(WriteOptions) options = { 0, };
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroOutbox) outbox = NULL;
  g_autoptr(AstroRow) task = NULL;
  g_autoptr(AstroRow) repository = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *task_arg = NULL, *repository_arg = NULL, *branch = NULL;
  g_autofree char *device = NULL, *id = NULL;
  gint64 write;
  GOptionEntry entries[] = {
    { "task", 0, 0, G_OPTION_ARG_STRING, &task_arg, N_("The task, by key (AST-12) or id"), N_("TASK") },
    { "repository", 0, 0, G_OPTION_ARG_STRING, &repository_arg, N_("The repository (default: the task’s)"), N_("ID") },
    { "branch", 0, 0, G_OPTION_ARG_STRING, &branch, N_("The git branch (default: the task’s)"), N_("BRANCH") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, N_("This device’s name (default: the host name)"), N_("NAME") },
    { "id", 0, 0, G_OPTION_ARG_STRING, &id, N_("The new workspace’s id (default: a new UUID)"), N_("UUID") },
    WRITE_OPTION_ENTRIES (options),
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, NULL, _("Start a workspace for a task on this device."), entries, 0))
    return 2;
  if (task_arg == NULL)
    {
      astro_ctl_error ("%s", _("workspace start needs --task"));
      return 2;
    }

  store = astro_ctl_open_store (options.db_path);
  if (store == NULL)
    return 1;

  task = astro_ctl_find_task (store, task_arg);
  if (task == NULL)
    return 1;

  if (repository_arg == NULL)
    repository_arg = g_strdup (astro_row_get (task, "repository_id"));
  repository = repository_arg != NULL ? astro_store_get_row (store, "repositories", repository_arg, NULL) : NULL;
  if (repository == NULL ||
      g_strcmp0 (astro_row_get (repository, "organization_id"), astro_row_get (task, "organization_id")) != 0)
    {
      astro_ctl_error (_("no repository “%s” in the task’s organization"), repository_arg ? repository_arg : "");
      return 1;
    }

  if (device == NULL)
    device = astro_store_get_setting (store, ASTRO_SETTING_DEVICE_NAME);
  if (device == NULL)
    device = g_strdup (g_get_host_name ());
  if (branch == NULL)
    branch = g_strdup (astro_row_get (task, "branch"));
  if (id == NULL)
    id = g_uuid_string_random ();

  json_object_set_string_member (fields, "id", id);
  json_object_set_string_member (fields, "organization_id", astro_row_get (task, "organization_id"));
  json_object_set_string_member (fields, "repository_id", astro_row_get (repository, "id"));
  json_object_set_string_member (fields, "task_id", astro_row_get (task, "id"));
  json_object_set_string_member (fields, "type", "local");
  json_object_set_string_member (fields, "device_name", device);
  if (branch != NULL)
    json_object_set_string_member (fields, "git_branch", branch);

  outbox = astro_outbox_new (store, NULL);
  write = astro_outbox_create_workspace (outbox, fields, &error);
  if (write == 0)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  g_print ("%s\n", id);
  return finish (store, &options, write);
}

static int
workspace_archive (int    argc,
                   char **argv)
{
  g_auto(WriteOptions) options = { 0, };
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  GOptionEntry entries[] = {
    { "force", 0, 0, G_OPTION_ARG_NONE, &options.force, N_("Archive even if the workspace changed on the server"), NULL },
    WRITE_OPTION_ENTRIES (options),
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, _("ID"), _("Archive a workspace."), entries, 1) ||
      argc != 2)
    return 2;

  store = astro_ctl_open_store (options.db_path);
  if (store == NULL)
    return 1;

  json_object_set_string_member (fields, "status", "archived");
  return patch_workspace (store, &options, argv[1], fields);
}

static int
workspace_delete (int    argc,
                  char **argv)
{
  g_auto(WriteOptions) options = { 0, };
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroOutbox) outbox = NULL;
  g_autoptr(AstroRow) row = NULL;
  g_autoptr(GError) error = NULL;
  gint64 write;
  GOptionEntry entries[] = {
    { "force", 0, 0, G_OPTION_ARG_NONE, &options.force, N_("Delete even if the workspace changed on the server"), NULL },
    WRITE_OPTION_ENTRIES (options),
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, _("ID"), _("Delete a workspace."), entries, 1) ||
      argc != 2)
    return 2;

  store = astro_ctl_open_store (options.db_path);
  if (store == NULL || (row = find_workspace (store, argv[1])) == NULL)
    return 1;

  outbox = astro_outbox_new (store, NULL);
  write = astro_outbox_delete_workspace (outbox, argv[1],
                                         options.force ? NULL : astro_row_get (row, "updated_at"), &error);
  if (write == 0)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  return finish (store, &options, write);
}

static int
workspace_set_pr (int    argc,
                  char **argv)
{
  g_auto(WriteOptions) options = { 0, };
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *pr_status = NULL;
  gint64 number;
  GOptionEntry entries[] = {
    { "status", 0, 0, G_OPTION_ARG_STRING, &pr_status, N_("open, draft, merged or closed (default open)"), N_("STATUS") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &options.force, N_("Write even if the workspace changed on the server"), NULL },
    WRITE_OPTION_ENTRIES (options),
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, _("ID URL"), _("Set a workspace’s pull request from its URL."),
                                entries, 2) ||
      argc != 3)
    return 2;

  number = astro_write_parse_pr_url (argv[2]);
  if (number == 0)
    {
      astro_ctl_error (_("“%s” is not a pull or merge request URL"), argv[2]);
      return 2;
    }

  store = astro_ctl_open_store (options.db_path);
  if (store == NULL)
    return 1;

  json_object_set_string_member (fields, "pr_url", argv[2]);
  json_object_set_int_member (fields, "pr_number", number);
  json_object_set_string_member (fields, "pr_status", pr_status ? pr_status : "open");
  return patch_workspace (store, &options, argv[1], fields);
}

static int
workspace_set_git (int    argc,
                   char **argv)
{
  g_auto(WriteOptions) options = { 0, };
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) git = json_object_new ();
  g_autofree char *branch = NULL;
  int uncommitted = 0, ahead = 0, behind = 0;
  GOptionEntry entries[] = {
    { "branch", 0, 0, G_OPTION_ARG_STRING, &branch, N_("The checked-out branch"), N_("BRANCH") },
    { "uncommitted", 0, 0, G_OPTION_ARG_INT, &uncommitted, N_("Files with uncommitted changes"), N_("N") },
    { "ahead", 0, 0, G_OPTION_ARG_INT, &ahead, N_("Commits ahead of upstream"), N_("N") },
    { "behind", 0, 0, G_OPTION_ARG_INT, &behind, N_("Commits behind upstream"), N_("N") },
    WRITE_OPTION_ENTRIES (options),
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, _("ID"), _("Set a workspace’s git branch and status."), entries, 1) ||
      argc != 2)
    return 2;

  store = astro_ctl_open_store (options.db_path);
  if (store == NULL)
    return 1;

  json_object_set_int_member (git, "uncommitted", uncommitted);
  json_object_set_int_member (git, "ahead", ahead);
  json_object_set_int_member (git, "behind", behind);
  json_object_set_object_member (fields, "git_status", g_steal_pointer (&git));
  if (branch != NULL)
    json_object_set_string_member (fields, "git_branch", branch);

  /* the watcher's kind of write: frequent, last one wins, no precondition */
  options.force = TRUE;
  return patch_workspace (store, &options, argv[1], fields);
}

int
astro_ctl_workspace (int    argc,
                     char **argv)
{
  static const struct {
    const char *name;
    int       (*run) (int, char **);
  } subcommands[] = {
    { "start", workspace_start },
    { "archive", workspace_archive },
    { "delete", workspace_delete },
    { "set-pr", workspace_set_pr },
    { "set-git", workspace_set_git },
  };

  if (argc >= 2)
    for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
      if (g_str_equal (argv[1], subcommands[i].name))
        return subcommands[i].run (argc - 1, argv + 1);

  astro_ctl_error ("%s", _("usage: workspace start|archive|delete|set-pr|set-git …"));
  return 2;
}
