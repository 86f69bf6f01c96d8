/* astro-ctl-outbox.c: astrolabe-ctl outbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-ctl.h"

static void
print_json (GPtrArray *entries)
{
  g_print ("[");
  for (guint i = 0; i < entries->len; i++)
    {
      AstroOutboxEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *key = astro_ctl_json_string (entry->idempotency_key);
      g_autofree char *path = astro_ctl_json_string (entry->path);
      g_autofree char *row_id = astro_ctl_json_string (entry->row_id);
      g_autofree char *error = astro_ctl_json_string (entry->last_error);
      g_autofree char *txid = astro_ctl_json_string (entry->txid);
      g_autofree char *created = astro_ctl_json_string (entry->created_at);

      g_print ("%s{\"id\": %" G_GINT64_FORMAT ", \"state\": \"%s\", \"kind\": \"%s\", \"method\": \"%s\","
               " \"path\": %s, \"table\": \"%s\", \"row_id\": %s, \"idempotency_key\": %s,"
               " \"attempts\": %d, \"http_status\": %d, \"txid\": %s, \"last_error\": %s,"
               " \"created_at\": %s, \"payload\": %s}",
               i ? ", " : "", entry->id, entry->state, astro_write_kind_to_string (entry->kind),
               entry->method, path, entry->row_table, row_id, key, entry->attempts,
               entry->http_status, txid, error, created, entry->payload ? entry->payload : "null");
    }
  g_print ("]\n");
}

int
astro_ctl_outbox (int    argc,
                  char **argv)
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL, *server = NULL, *state = NULL;
  gboolean json = FALSE, send = FALSE;
  gint64 retry = 0;
  int timeout = 0, status = 0;
  GOptionEntry entries_options[] = {
    { "send", 0, 0, G_OPTION_ARG_NONE, &send, N_("Send every queued write and wait until they are settled"), NULL },
    { "retry", 0, 0, G_OPTION_ARG_INT64, &retry, N_("Send a refused write again, as a new one without its precondition"), N_("ID") },
    { "state", 0, 0, G_OPTION_ARG_STRING, &state, N_("Only writes in this state (pending, sending, sent, settled, failed)"), N_("STATE") },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("Use this server instead of the one signed in to"), N_("URL") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("With --send: wait this many seconds at most (default 60)"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, NULL, _("List the writes not yet settled: pending and refused."),
                                entries_options, 0))
    return 2;

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  if (retry > 0)
    {
      g_autoptr(AstroOutbox) outbox = astro_outbox_new (store, NULL);
      gint64 id = astro_outbox_retry (outbox, retry, &error);

      if (id == 0)
        {
          astro_ctl_error ("%s", error->message);
          return 1;
        }
      g_print (_("Write %" G_GINT64_FORMAT " queued again as %" G_GINT64_FORMAT "\n"), retry, id);
      send = TRUE;
    }

  if (send)
    status = astro_ctl_deliver (store, server, 0, TRUE, timeout);

  entries = astro_store_outbox_list (store, state, &error);
  if (entries == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  if (json)
    {
      print_json (entries);
      return status;
    }

  if (entries->len == 0)
    g_print ("%s\n", _("The outbox is empty: every write is settled"));
  for (guint i = 0; i < entries->len; i++)
    {
      AstroOutboxEntry *entry = g_ptr_array_index (entries, i);

      g_print ("%6" G_GINT64_FORMAT "  %-8s %-6s %-40s attempts %d%s%s\n", entry->id, entry->state,
               entry->method, entry->path, entry->attempts,
               entry->last_error ? "  " : "", entry->last_error ? entry->last_error : "");
    }

  return status;
}
