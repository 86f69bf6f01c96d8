/* bench-latency.c: P3, a write made through the team API, timed until it has
 * reached SQLite and the rows-changed notification, with all six shapes live.
 *
 *   bench-latency SERVER_URL DB_FILE [WRITES]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "astro-sync-engine.h"

typedef struct
{
  GMainLoop       *loop;
  AstroSyncEngine *engine;
  SoupSession     *session;
  char            *server;
  char            *token;
  GPtrArray       *task_ids;
  GArray          *latencies;   /* gint64 µs */
  guint            writes;
  guint            sent;
  char            *waiting_for;
  gint64           sent_at;
} Bench;

static char *
login (Bench *bench)
{
  g_autofree char *url = g_strconcat (bench->server, "/api/auth/login", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  static const char credentials[] = "{\"email\":\"demo@example.com\",\"password\":\"demo\"}";

  soup_message_set_request_body_from_bytes (message, "application/json",
                                            g_bytes_new_static (credentials, strlen (credentials)));
  body = soup_session_send_and_read (bench->session, message, NULL, NULL);
  if (body == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    g_error ("could not sign in to %s", bench->server);

  return g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "access_token"));
}

static void
on_patched_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (body == NULL)
    g_error ("a write failed");
}

static gboolean
send_write (gpointer data)
{
  Bench *bench = data;
  const char *id = g_ptr_array_index (bench->task_ids, bench->sent % bench->task_ids->len);
  g_autofree char *url = g_strdup_printf ("%s/api/tasks/%s", bench->server, id);
  g_autofree char *bearer = g_strconcat ("Bearer ", bench->token, NULL);
  char *body = g_strdup_printf ("{\"priority\": %u}", bench->sent % 5);
  gsize length = strlen (body);
  SoupMessage *message = soup_message_new ("PATCH", url);

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", bearer);
  soup_message_set_request_body_from_bytes (message, "application/json", g_bytes_new_take (body, length));
  g_free (bench->waiting_for);
  bench->waiting_for = g_strdup (id);
  bench->sent++;
  bench->sent_at = g_get_monotonic_time ();
  soup_session_send_and_read_async (bench->session, message, G_PRIORITY_DEFAULT, NULL, on_patched_cb, bench);
  g_object_unref (message);
  return G_SOURCE_REMOVE;
}

static void
on_rows_changed_cb (AstroStore       *store,
                    AstroRowsChanged *changes,
                    Bench            *bench)
{
  gint64 now = g_get_monotonic_time ();

  if (bench->waiting_for == NULL)
    return;

  for (guint i = 0; i < changes->updated->len; i++)
    if (g_str_equal (g_ptr_array_index (changes->updated, i), bench->waiting_for))
      {
        gint64 latency = now - bench->sent_at;

        g_array_append_val (bench->latencies, latency);
        g_clear_pointer (&bench->waiting_for, g_free);
        if (bench->sent == bench->writes)
          g_main_loop_quit (bench->loop);
        else
          g_timeout_add (20, send_write, bench);   /* ~50 writes/s, one at a time */
        return;
      }
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(GError) error = NULL;
  Bench bench = { 0, };
  AstroSyncOptions options = { 0, };

  if (argc < 3)
    {
      g_printerr ("usage: bench-latency SERVER_URL DB_FILE [WRITES]\n");
      return 2;
    }

  bench.server = argv[1];
  bench.writes = argc > 3 ? (guint) atoi (argv[3]) : 200;
  bench.session = soup_session_new_with_options ("max-conns-per-host", 4, NULL);
  bench.token = login (&bench);
  bench.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  bench.loop = g_main_loop_new (NULL, FALSE);

  store = astro_store_open (argv[2], &error);
  g_assert_no_error (error);

  options.mode = ASTRO_SYNC_MODE_PROXY;
  options.server_url = bench.server;
  options.access_token = bench.token;
  bench.engine = astro_sync_engine_new (store, &options);
  g_signal_connect (store, "rows-changed::tasks", G_CALLBACK (on_rows_changed_cb), &bench);

  astro_sync_engine_start (bench.engine);

  /* the tasks to write to, once they are here */
  while (!astro_sync_engine_is_up_to_date (bench.engine))
    g_main_context_iteration (NULL, TRUE);
  {
    AstroTaskFilter filter = ASTRO_TASK_FILTER_INIT;
    bench.task_ids = astro_store_list_task_ids (store, &filter, NULL);
  }
  g_timeout_add (500, send_write, &bench);
  g_main_loop_run (bench.loop);
  astro_sync_engine_stop (bench.engine);

  g_array_sort (bench.latencies, compare_gint64);
  printf ("{\"writes\": %u, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}\n",
          bench.latencies->len,
          g_array_index (bench.latencies, gint64, bench.latencies->len / 2) / 1000.0,
          g_array_index (bench.latencies, gint64, (bench.latencies->len * 99) / 100) / 1000.0,
          g_array_index (bench.latencies, gint64, bench.latencies->len - 1) / 1000.0);

  g_object_unref (bench.engine);
  return 0;
}
