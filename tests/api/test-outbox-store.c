/* test-outbox-store.c: the outbox's overlay in the store, batch by batch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "astro-store.h"

#define TASK "11111111-1111-4111-8111-111111111111"

typedef struct
{
  char       *dir;
  AstroStore *store;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  fixture->dir = g_dir_make_tmp ("astro-outbox-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->dir, "astrolabe.db", NULL);
  fixture->store = astro_store_open (path, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  g_clear_object (&fixture->store);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

/* A shape batch for the task: column/value pairs, NULL-terminated. */
static void
apply (Fixture         *fixture,
       AstroChangeKind  kind,
       gint64           txid,
       ...)
{
  g_autoptr(AstroBatch) batch = astro_batch_new (astro_table_lookup ("tasks"));
  g_autoptr(GError) error = NULL;
  const char *column;
  va_list args;

  astro_batch_add (batch, kind);
  astro_batch_set_value (batch, "id", TASK);
  va_start (args, txid);
  while ((column = va_arg (args, const char *)) != NULL)
    astro_batch_set_value (batch, column, va_arg (args, const char *));
  va_end (args);

  if (txid != 0)
    {
      g_autoptr(GArray) txids = g_array_new (FALSE, FALSE, sizeof (gint64));

      g_array_append_val (txids, txid);
      astro_batch_add_txids (batch, txids);
    }

  g_assert_true (astro_store_apply_batch (fixture->store, batch, &error));
  g_assert_no_error (error);
}

static gint64
write_task (Fixture    *fixture,
            const char *overlay,
            gboolean   *coalesce)
{
  g_autoptr(AstroOutboxEntry) entry = astro_outbox_entry_new ();
  g_autoptr(GError) error = NULL;
  gint64 id;

  entry->kind = ASTRO_WRITE_UPDATE;
  entry->method = g_strdup ("PATCH");
  entry->path = g_strdup ("/api/tasks/" TASK);
  entry->payload = g_strdup (overlay);
  entry->overlay = g_strdup (overlay);
  entry->row_table = g_strdup ("tasks");
  entry->row_id = g_strdup (TASK);
  entry->idempotency_key = g_uuid_string_random ();

  id = astro_store_outbox_add (fixture->store, entry, coalesce, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static void
assert_task (Fixture    *fixture,
             const char *status,
             const char *priority,
             gboolean    pending)
{
  g_autoptr(AstroRow) row = astro_store_get_row (fixture->store, "tasks", TASK, NULL);

  g_assert_nonnull (row);
  g_assert_cmpstr (astro_row_get (row, "status"), ==, status);
  g_assert_cmpstr (astro_row_get (row, "priority"), ==, priority);
  g_assert_cmpint (astro_store_row_is_pending (fixture->store, "tasks", TASK), ==, pending);
}

static void
test_overlay_rebases_on_batches (Fixture       *fixture,
                                 gconstpointer  data)
{
  gboolean coalesce = FALSE;
  gint64 first, second;

  apply (fixture, ASTRO_CHANGE_INSERT, 0, "status", "Todo", "priority", "2", "title", "T", NULL);
  first = write_task (fixture, "{\"status\":\"Done\"}", &coalesce);
  assert_task (fixture, "Done", "2", TRUE);

  /* a teammate's change underneath: kept, the pending status still shown */
  apply (fixture, ASTRO_CHANGE_UPDATE, 500, "priority", "4", NULL);
  assert_task (fixture, "Done", "4", TRUE);

  /* a second write, behind the first; the first is refused: only it goes */
  g_assert_true (astro_store_outbox_set_sending (fixture->store, first, 1, NULL));
  second = write_task (fixture, "{\"priority\":\"1\"}", &coalesce);
  g_assert_cmpint (second, !=, first);
  g_assert_true (astro_store_outbox_set_failed (fixture->store, first, 409, "conflict", NULL));
  assert_task (fixture, "Todo", "1", TRUE);

  /* the answer comes; the batch with its txid settles it, in one go */
  g_assert_true (astro_store_outbox_set_answered (fixture->store, second, "501", 200, NULL));
  assert_task (fixture, "Todo", "1", TRUE);
  apply (fixture, ASTRO_CHANGE_UPDATE, 501, "priority", "1", NULL);
  assert_task (fixture, "Todo", "1", FALSE);
}

static void
test_answer_after_its_change (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(AstroOutboxEntry) entry = NULL;
  gint64 id;

  apply (fixture, ASTRO_CHANGE_INSERT, 0, "status", "Todo", NULL);
  id = write_task (fixture, "{\"status\":\"Done\"}", NULL);
  g_assert_true (astro_store_outbox_set_sending (fixture->store, id, 1, NULL));

  /* the shape was faster than the HTTP answer */
  apply (fixture, ASTRO_CHANGE_UPDATE, 777, "status", "Done", NULL);
  assert_task (fixture, "Done", NULL, TRUE);
  g_assert_true (astro_store_outbox_set_answered (fixture->store, id, "777", 200, NULL));
  assert_task (fixture, "Done", NULL, FALSE);

  entry = astro_store_outbox_get (fixture->store, id, NULL);
  g_assert_cmpstr (entry->state, ==, ASTRO_OUTBOX_SETTLED);
}

static void
test_coalescing_only_unsent (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(AstroOutboxEntry) entry = NULL;
  gboolean coalesce = TRUE;
  gint64 first, id;

  apply (fixture, ASTRO_CHANGE_INSERT, 0, "status", "Todo", NULL);
  first = write_task (fixture, "{\"status\":\"Done\",\"assignee_id\":\"x\"}", &coalesce);
  g_assert_false (coalesce);

  coalesce = TRUE;
  id = write_task (fixture, "{\"priority\":\"3\",\"assignee_id\":null}", &coalesce);
  g_assert_true (coalesce);
  g_assert_cmpint (id, ==, first);
  entry = astro_store_outbox_get (fixture->store, first, NULL);
  g_assert_cmpstr (entry->payload, ==, "{\"status\":\"Done\",\"priority\":\"3\",\"assignee_id\":null}");
  assert_task (fixture, "Done", "3", TRUE);

  /* once tried, its body is fixed: the next write is a new one */
  g_assert_true (astro_store_outbox_set_retry (fixture->store, first, 0, 503, "busy", NULL));
  g_assert_true (astro_store_outbox_set_sending (fixture->store, first, 1, NULL));
  g_assert_true (astro_store_outbox_set_retry (fixture->store, first, 0, 503, "busy", NULL));
  coalesce = TRUE;
  id = write_task (fixture, "{\"priority\":\"4\"}", &coalesce);
  g_assert_false (coalesce);
  g_assert_cmpint (id, !=, first);
}

static void
test_refetch_settles (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = astro_batch_new (astro_table_lookup ("tasks"));
  gint64 id;

  apply (fixture, ASTRO_CHANGE_INSERT, 0, "status", "Todo", NULL);
  id = write_task (fixture, "{\"status\":\"Done\"}", NULL);
  g_assert_true (astro_store_outbox_set_answered (fixture->store, id, "900", 200, NULL));

  /* a whole new snapshot whose xmin is past our txid: it has our change */
  astro_batch_set_reset (batch, TRUE);
  astro_batch_add (batch, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (batch, "id", TASK);
  astro_batch_set_value (batch, "status", "Done");
  astro_batch_set_snapshot_xmin (batch, 901);
  g_assert_true (astro_store_apply_batch (fixture->store, batch, NULL));
  assert_task (fixture, "Done", NULL, FALSE);
}

static void
test_sign_out_clears (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;

  apply (fixture, ASTRO_CHANGE_INSERT, 0, "status", "Todo", NULL);
  write_task (fixture, "{\"status\":\"Done\"}", NULL);
  assert_task (fixture, "Done", NULL, TRUE);

  /* the next account must neither see nor send this one's writes */
  g_assert_true (astro_store_clear_synced (fixture->store, &error));
  g_assert_no_error (error);
  entries = astro_store_outbox_list (fixture->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 0);
  g_assert_false (astro_store_row_is_pending (fixture->store, "tasks", TASK));

  /* and the same task arriving for the next account is just its row */
  apply (fixture, ASTRO_CHANGE_INSERT, 0, "status", "Todo", NULL);
  assert_task (fixture, "Todo", NULL, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/outbox-store/rebase", Fixture, NULL, fixture_setup,
              test_overlay_rebases_on_batches, fixture_teardown);
  g_test_add ("/outbox-store/answer-after-change", Fixture, NULL, fixture_setup,
              test_answer_after_its_change, fixture_teardown);
  g_test_add ("/outbox-store/coalescing", Fixture, NULL, fixture_setup,
              test_coalescing_only_unsent, fixture_teardown);
  g_test_add ("/outbox-store/refetch", Fixture, NULL, fixture_setup,
              test_refetch_settles, fixture_teardown);
  g_test_add ("/outbox-store/sign-out-clears", Fixture, NULL, fixture_setup,
              test_sign_out_clears, fixture_teardown);

  return g_test_run ();
}
