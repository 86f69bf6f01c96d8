/* astro-ctl-sync.c: astrolabe-ctl sync and status
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "astro-account.h"
#include "astro-ctl.h"
#include "astro-sync-engine.h"

typedef struct
{
  AstroSyncEngine *engine;
  GMainLoop       *loop;
  gboolean         once;
  gboolean         progress;
  int              status;
} SyncRun;

static guint
env_uint (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL ? (guint) g_ascii_strtoull (value, NULL, 10) : 0;
}

static void
print_progress (SyncRun *run)
{
  AstroSyncStatus status = astro_sync_engine_get_status (run->engine);

  if (!run->progress)
    return;

  fprintf (stderr, "\r\033[K%s: %" G_GINT64_FORMAT " rows",
           astro_sync_status_to_string (status),
           astro_sync_engine_get_rows_received (run->engine));
  if (astro_sync_engine_get_message (run->engine) != NULL)
    fprintf (stderr, " (%s)", astro_sync_engine_get_message (run->engine));
  fflush (stderr);
}

static void
on_engine_changed_cb (GObject    *object,
                      GParamSpec *pspec,
                      SyncRun    *run)
{
  print_progress (run);

  if (astro_sync_engine_get_status (run->engine) == ASTRO_SYNC_STATUS_SIGNED_OUT)
    {
      astro_ctl_error ("%s", _("signed out: the server refused the saved sign-in; run “astrolabe-ctl login”"));
      run->status = 3;
      g_main_loop_quit (run->loop);
      return;
    }

  if (run->once && astro_sync_engine_is_up_to_date (run->engine))
    g_main_loop_quit (run->loop);
}

static void
on_shape_changed_cb (AstroSyncEngine *engine,
                     const char      *table,
                     SyncRun         *run)
{
  print_progress (run);
}

static gboolean
on_signal_cb (gpointer data)
{
  SyncRun *run = data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout_cb (gpointer data)
{
  SyncRun *run = data;

  astro_ctl_error (_("not up to date in time: %s"),
                   astro_sync_engine_get_message (run->engine) != NULL
                   ? astro_sync_engine_get_message (run->engine)
                   : astro_sync_status_to_string (astro_sync_engine_get_status (run->engine)));
  run->status = 1;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static void
print_engine_json (AstroSyncEngine *engine)
{
  g_autofree char *message = astro_ctl_json_string (astro_sync_engine_get_message (engine));

  g_print ("{\"status\": \"%s\", \"message\": %s, \"rows_received\": %" G_GINT64_FORMAT ", \"shapes\": [",
           astro_sync_status_to_string (astro_sync_engine_get_status (engine)), message,
           astro_sync_engine_get_rows_received (engine));
  for (guint i = 0; i < astro_sync_engine_get_n_shapes (engine); i++)
    {
      const AstroShapeInfo *info = astro_sync_engine_get_shape (engine, i);
      g_autofree char *error = astro_ctl_json_string (info->last_error);

      g_print ("%s{\"table\": \"%s\", \"up_to_date\": %s, \"rows_received\": %" G_GINT64_FORMAT
               ", \"bytes_received\": %" G_GINT64_FORMAT ", \"requests\": %u, \"last_error\": %s}",
               i ? ", " : "", info->table, info->up_to_date ? "true" : "false",
               info->rows_received, info->bytes_received, info->requests, error);
    }
  g_print ("]}\n");
}

int
astro_ctl_sync (int    argc,
                char **argv)
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroAccount) account = NULL;
  g_autoptr(AstroSyncEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *server = NULL;
  g_autofree char *token = NULL;
  g_auto(GStrv) organizations = NULL;
  g_auto(GStrv) tables = NULL;
  gboolean once = FALSE, direct = FALSE, json = FALSE;
  int timeout = 0;
  SyncRun run = { 0, };
  AstroSyncOptions options = { 0, };
  GOptionEntry entries[] = {
    { "once", 0, 0, G_OPTION_ARG_NONE, &once, N_("Exit once every table is up to date"), NULL },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("Use this server instead of the one signed in to"), N_("URL") },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &direct, N_("Talk to an Electric endpoint directly, without signing in"), NULL },
    { "org", 0, 0, G_OPTION_ARG_STRING_ARRAY, &organizations, N_("With --direct: only this organization’s rows (repeatable)"), N_("ID") },
    { "table", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tables, N_("Only this table (repeatable)"), N_("TABLE") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("With --once: give up after this many seconds"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, NULL, _("Sync every table into the local copy and keep it live."), entries, 0))
    return 2;

  if (server != NULL)
    {
      const char *scheme = g_uri_peek_scheme (server);

      if (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0)
        {
          astro_ctl_error (_("“%s” is not a server address (https://…)"), server);
          return 2;
        }
    }

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  if (direct)
    {
      if (server == NULL)
        {
          astro_ctl_error ("%s", _("--direct needs --server URL"));
          return 2;
        }
      options.mode = ASTRO_SYNC_MODE_DIRECT;
      options.server_url = server;
      options.organization_ids = (const char **) organizations;
    }
  else
    {
      account = astro_account_load (store, server, &error);
      if (account == NULL)
        {
          astro_ctl_error ("%s", error->message);
          return 1;
        }
      if (!astro_account_is_signed_in (account))
        {
          astro_ctl_error (_("not signed in to %s: run “astrolabe-ctl login”"),
                           astro_account_get_server_url (account));
          return 1;
        }
      token = astro_account_dup_access_token (account);
      options.mode = ASTRO_SYNC_MODE_PROXY;
      options.server_url = astro_account_get_server_url (account);
      options.access_token = token;
      options.refresh_func = astro_account_renew;
      options.refresh_data = account;
    }

  /* knobs for tests and soaks, so they need not wait a real minute */
  options.backoff_initial_ms = env_uint ("ASTRO_SYNC_BACKOFF_MS");
  options.backoff_max_ms = env_uint ("ASTRO_SYNC_BACKOFF_MAX_MS");
  options.timeout_s = env_uint ("ASTRO_SYNC_TIMEOUT_S");
  options.once = once;
  options.tables = (const char **) tables;
  for (guint i = 0; tables != NULL && tables[i] != NULL; i++)
    if (astro_table_lookup (tables[i]) == NULL)
      {
        astro_ctl_error (_("no synced table is called “%s”"), tables[i]);
        return 2;
      }

  engine = astro_sync_engine_new (store, &options);
  loop = g_main_loop_new (NULL, FALSE);
  run.engine = engine;
  run.loop = loop;
  run.once = once;
  run.progress = !json && isatty (STDERR_FILENO);

  g_signal_connect (engine, "notify::status", G_CALLBACK (on_engine_changed_cb), &run);
  g_signal_connect (engine, "notify::up-to-date", G_CALLBACK (on_engine_changed_cb), &run);
  g_signal_connect (engine, "shape-changed", G_CALLBACK (on_shape_changed_cb), &run);
  g_unix_signal_add (SIGINT, on_signal_cb, &run);
  g_unix_signal_add (SIGTERM, on_signal_cb, &run);
  if (once && timeout > 0)
    g_timeout_add_seconds (timeout, on_timeout_cb, &run);

  astro_sync_engine_start (engine);
  g_main_loop_run (loop);

  if (run.progress)
    fprintf (stderr, "\n");
  if (json)
    print_engine_json (engine);
  else if (run.status == 0 && once)
    g_print (_("Up to date: %" G_GINT64_FORMAT " rows received\n"),
             astro_sync_engine_get_rows_received (engine));
  astro_sync_engine_stop (engine);

  g_signal_handlers_disconnect_by_data (engine, &run);
  return run.status;
}

int
astro_ctl_status (int    argc,
                  char **argv)
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *server = NULL;
  g_autofree char *email = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, NULL, _("Show each table’s handle, offset, rows, last sync and last error."), entries, 0))
    return 2;

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;
  if ((states = astro_store_list_shape_states (store, &error)) == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  server = astro_store_get_setting (store, ASTRO_SETTING_SERVER_URL);
  email = astro_store_get_setting (store, ASTRO_SETTING_ACCOUNT_EMAIL);

  if (json)
    {
      g_autofree char *server_json = astro_ctl_json_string (server);
      g_autofree char *email_json = astro_ctl_json_string (email);

      g_print ("{\"server\": %s, \"account\": %s, \"shapes\": [", server_json, email_json);
      for (guint i = 0; i < states->len; i++)
        {
          AstroShapeState *state = g_ptr_array_index (states, i);
          g_autofree char *handle = astro_ctl_json_string (state->handle);
          g_autofree char *offset = astro_ctl_json_string (state->offset);
          g_autofree char *last_error = astro_ctl_json_string (state->last_error);

          g_print ("%s{\"shape\": \"%s\", \"handle\": %s, \"offset\": %s, \"rows\": %" G_GINT64_FORMAT
                   ", \"last_up_to_date\": %" G_GINT64_FORMAT ", \"last_error\": %s}",
                   i ? ", " : "", state->shape, handle, offset, state->row_count,
                   state->last_up_to_date / G_USEC_PER_SEC, last_error);
        }
      g_print ("]}\n");
      return 0;
    }

  g_print (_("Server:  %s\nAccount: %s\n"), server ? server : _("none"), email ? email : _("not signed in"));
  g_print ("%-22s %-28s %-18s %8s  %-20s %s\n", _("SHAPE"), _("HANDLE"), _("OFFSET"), _("ROWS"),
           _("LAST SYNC"), _("LAST ERROR"));
  for (guint i = 0; i < states->len; i++)
    {
      AstroShapeState *state = g_ptr_array_index (states, i);
      g_autofree char *when = NULL;

      if (state->last_up_to_date > 0)
        {
          g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (state->last_up_to_date / G_USEC_PER_SEC);
          when = g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
        }

      g_print ("%-22s %-28s %-18s %8" G_GINT64_FORMAT "  %-20s %s\n", state->shape,
               state->handle ? state->handle : "-", state->offset ? state->offset : "-",
               state->row_count, when ? when : _("never"), state->last_error ? state->last_error : "");
    }

  return 0;
}
