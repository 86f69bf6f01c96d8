/* test-store.c: the store, against real SQLite files in a temporary folder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>
#include <glib/gstdio.h>

#include "astro-store-private.h"

typedef struct
{
  char       *dir;
  char       *path;
  AstroStore *store;
  GPtrArray  *events;   /* AstroRowsChanged received */
  GThread    *main_thread;
  gboolean    off_main_thread;
} Fixture;

static void
on_rows_changed_cb (AstroStore       *store,
                    AstroRowsChanged *changes,
                    Fixture          *fixture)
{
  if (g_thread_self () != fixture->main_thread)
    fixture->off_main_thread = TRUE;
  g_ptr_array_add (fixture->events, astro_rows_changed_ref (changes));
}

static void
fixture_open (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->store = astro_store_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->store);
  g_signal_connect (fixture->store, "rows-changed", G_CALLBACK (on_rows_changed_cb), fixture);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("astro-store-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "astrolabe.db", NULL);
  fixture->events = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_rows_changed_unref);
  fixture->main_thread = g_thread_self ();

  if (data == NULL)
    fixture_open (fixture);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->store);
  g_ptr_array_unref (fixture->events);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

/* Runs the main context until the pending rows-changed idles have run. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static AstroBatch *
tasks_batch (void)
{
  return astro_batch_new (astro_table_lookup ("tasks"));
}

static void
add_task (AstroBatch *batch,
          const char *id,
          const char *org,
          const char *title,
          const char *status,
          const char *priority,
          const char *updated_at)
{
  astro_batch_add (batch, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (batch, "id", id);
  astro_batch_set_value (batch, "organization_id", org);
  astro_batch_set_value (batch, "title", title);
  astro_batch_set_value (batch, "status", status);
  astro_batch_set_value (batch, "priority", priority);
  astro_batch_set_value (batch, "updated_at", updated_at);
  astro_batch_set_value (batch, "description", "A description");
}

static void
apply_ok (Fixture    *fixture,
          AstroBatch *batch)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (astro_store_apply_batch (fixture->store, batch, &error));
  g_assert_no_error (error);
  drain ();
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
assert_keys (GPtrArray  *keys,
             const char *expected)
{
  g_auto(GStrv) want = g_strsplit (expected, ",", -1);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  if (expected[0] == '\0')
    {
      g_assert_cmpuint (keys->len, ==, 0);
      return;
    }

  for (guint i = 0; i < keys->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (keys, i));
  g_ptr_array_sort (sorted, compare_strings);

  g_assert_cmpuint (sorted->len, ==, g_strv_length (want));
  for (guint i = 0; i < sorted->len; i++)
    g_assert_cmpstr (g_ptr_array_index (sorted, i), ==, want[i]);
}

static gboolean
row_exists (Fixture    *fixture,
            const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AstroRow) row = astro_store_get_row (fixture->store, "tasks", id, &error);

  g_assert_no_error (error);
  return row != NULL;
}

static AstroRowsChanged *
only_event (Fixture    *fixture,
            const char *table)
{
  AstroRowsChanged *changes;

  g_assert_cmpuint (fixture->events->len, ==, 1);
  changes = g_ptr_array_index (fixture->events, 0);
  g_assert_cmpstr (changes->table, ==, table);
  return changes;
}

static char *
query_text (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *result = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return result;
}

static void
exec_raw (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

/*
 * Schema
 */

static void
test_fresh_schema (Fixture       *fixture,
                   gconstpointer  data)
{
  const AstroTable * const *tables;
  guint n_tables;
  g_autofree char *mode = NULL;
  g_autofree char *version = NULL;

  g_assert_cmpint (astro_store_get_schema_version (fixture->store), ==, astro_store_get_latest_version ());
  g_assert_null (astro_store_get_recovered_path (fixture->store));

  /* every synced column exists, in the server's names */
  tables = astro_table_all (&n_tables);
  g_assert_cmpuint (n_tables, ==, 6);
  for (guint i = 0; i < n_tables; i++)
    for (guint c = 0; c < tables[i]->n_columns; c++)
      {
        g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
                                                tables[i]->name, tables[i]->columns[c]);
        g_autofree char *found = query_text (fixture->path, sql);

        g_assert_cmpstr (found, ==, "1");
      }

  /* the column lists the issue names, exactly */
  g_assert_cmpuint (astro_table_lookup ("tasks")->n_columns, ==, 19);
  g_assert_cmpuint (astro_table_lookup ("workspaces")->n_columns, ==, 16);
  g_assert_cmpuint (astro_table_lookup ("repositories")->n_columns, ==, 9);

  for (const char * const *t = (const char *[]) { "local_repos", "settings", "sync_state", "outbox", NULL }; *t; t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", *t);
      g_autofree char *found = query_text (fixture->path, sql);

      g_assert_cmpstr (found, ==, "1");
    }

  mode = query_text (fixture->path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  version = query_text (fixture->path, "PRAGMA user_version");
  g_assert_cmpint (atoi (version), ==, astro_store_get_latest_version ());
}

static void
test_default_path (void)
{
  g_autofree char *path = NULL;
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "astrolabe", "astrolabe.db", NULL);

  g_unsetenv ("ASTROLABE_DB");
  path = astro_store_default_path ();
  g_assert_cmpstr (path, ==, expected);

  g_setenv ("ASTROLABE_DB", "/tmp/elsewhere.db", TRUE);
  g_free (path);
  path = astro_store_default_path ();
  g_assert_cmpstr (path, ==, "/tmp/elsewhere.db");
  g_unsetenv ("ASTROLABE_DB");
}

static void
make_database_at_version (const char *path,
                          int         version)
{
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_true (_astro_store_migrate (db, NULL, 0, version, &error));
  g_assert_no_error (error);
  if (version >= 1)
    g_assert_true (_astro_store_exec (db, "INSERT INTO tasks (id, title) VALUES ('t1', 'Kept')", &error));
  if (version >= 2)
    g_assert_true (_astro_store_exec (db, "INSERT INTO settings (key, value) VALUES ('device-id', 'dev-1')", &error));
  g_assert_no_error (error);
  sqlite3_close (db);
}

static char *
find_backup (const char *dir,
             int         version)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  g_autofree char *prefix = g_strdup_printf ("astrolabe.db.v%d-", version);
  const char *name;

  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".bak"))
      return g_build_filename (dir, name, NULL);

  return NULL;
}

static void
test_migrate_from (Fixture       *fixture,
                   gconstpointer  data)
{
  int from = GPOINTER_TO_INT (data) - 1;
  g_autoptr(AstroRow) row = NULL;
  g_autofree char *backup = NULL;
  g_autoptr(GError) error = NULL;

  make_database_at_version (fixture->path, from);
  fixture_open (fixture);

  g_assert_cmpint (astro_store_get_schema_version (fixture->store), ==, astro_store_get_latest_version ());

  /* what the old file held is still there */
  if (from >= 1)
    {
      row = astro_store_get_row (fixture->store, "tasks", "t1", &error);
      g_assert_no_error (error);
      g_assert_nonnull (row);
      g_assert_cmpstr (astro_row_get (row, "title"), ==, "Kept");
    }
  if (from >= 2)
    {
      g_autofree char *device = astro_store_dup_device_id (fixture->store);
      g_assert_cmpstr (device, ==, "dev-1");
    }

  /* and a copy of the old file was set aside first, at its old version */
  backup = find_backup (fixture->dir, from);
  if (from == 0)
    g_assert_null (backup);
  else
    {
      g_autofree char *old_version = NULL;

      g_assert_nonnull (backup);
      old_version = query_text (backup, "PRAGMA user_version");
      g_assert_cmpint (atoi (old_version), ==, from);
    }
}

static void
test_migrate_failure_keeps_file (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *title = NULL;
  g_autofree char *squatter = NULL;

  /* At version 1 something already holds a name migration 2 needs. */
  make_database_at_version (fixture->path, 1);
  exec_raw (fixture->path, "CREATE TABLE outbox (anything TEXT); INSERT INTO outbox VALUES ('mine');");

  fixture->store = astro_store_open (fixture->path, &error);
  g_assert_null (fixture->store);
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_MIGRATION);
  g_assert_nonnull (strstr (error->message, "outbox"));

  version = query_text (fixture->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "1");
  title = query_text (fixture->path, "SELECT title FROM tasks WHERE id = 't1'");
  g_assert_cmpstr (title, ==, "Kept");
  squatter = query_text (fixture->path, "SELECT anything FROM outbox");
  g_assert_cmpstr (squatter, ==, "mine");
  /* no half-made migration 2 */
  g_assert_null (query_text (fixture->path, "SELECT name FROM sqlite_master WHERE name = 'local_repos'"));
}

static void
test_too_new (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;

  make_database_at_version (fixture->path, astro_store_get_latest_version ());
  exec_raw (fixture->path, "PRAGMA user_version = 99");

  fixture->store = astro_store_open (fixture->path, &error);
  g_assert_null (fixture->store);
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_TOO_NEW);
  version = query_text (fixture->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "99");
}

/*
 * Damaged files
 */

static char *
find_aside (const char *dir,
            const char *suffix)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, "astrolabe.db.corrupt-") &&
        (suffix == NULL ? strchr (name + strlen ("astrolabe.db.corrupt-"), '-') == NULL
                        : g_str_has_suffix (name, suffix)))
      return g_build_filename (dir, name, NULL);

  return NULL;
}

static void
assert_recovered (Fixture    *fixture,
                  const char *original_content,
                  gsize       original_length)
{
  g_autofree char *aside = NULL;
  g_autofree char *content = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AstroBatch) batch = tasks_batch ();
  gsize length;

  g_test_expect_message ("astro-store", G_LOG_LEVEL_WARNING, "*is damaged*moving it aside");
  fixture_open (fixture);
  g_test_assert_expected_messages ();

  aside = find_aside (fixture->dir, NULL);
  g_assert_nonnull (aside);
  g_assert_cmpstr (astro_store_get_recovered_path (fixture->store), ==, aside);

  /* the damaged bytes are kept, untouched, for whoever wants to look */
  g_assert_true (g_file_get_contents (aside, &content, &length, &error));
  g_assert_cmpmem (content, length, original_content, original_length);

  /* and the new file is a working store */
  g_assert_cmpint (astro_store_get_schema_version (fixture->store), ==, astro_store_get_latest_version ());
  add_task (batch, "t1", "o1", "Fresh", "Todo", "2", "2026-01-01");
  apply_ok (fixture, batch);
  g_assert_cmpint (astro_store_count_rows (fixture->store, "tasks", &error), ==, 1);
}

static void
test_corrupt_not_a_database (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *garbage = g_strnfill (8192, 'x');
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *wal_content = NULL;

  g_assert_true (g_file_set_contents (fixture->path, garbage, 8192, NULL));
  g_assert_true (g_file_set_contents (wal, "stale wal", -1, NULL));

  assert_recovered (fixture, garbage, 8192);

  /* a WAL beside a damaged file goes with it (or SQLite drops it as invalid),
   * never into the new one */
  if (g_file_get_contents (wal, &wal_content, NULL, NULL))
    g_assert_null (strstr (wal_content, "stale wal"));
}

static void
test_corrupt_damaged_schema (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autofree char *content = NULL;
  gsize length;

  /* A real store with data, then its first page (the schema) scribbled over
   * past the 100-byte header, as a crash of the disk might. */
  add_task (batch, "t1", "o1", "Lost", "Todo", "2", "2026-01-01");
  apply_ok (fixture, batch);
  g_clear_object (&fixture->store);
  /* the store leaves its last writes in the WAL; the damage is to the file */
  exec_raw (fixture->path, "PRAGMA wal_checkpoint(TRUNCATE)");

  g_assert_true (g_file_get_contents (fixture->path, &content, &length, &error));
  g_assert_cmpuint (length, >, 4096);
  memset (content + 100, 0xA5, 4000);
  g_assert_true (g_file_set_contents (fixture->path, content, length, &error));

  assert_recovered (fixture, content, length);
}

/*
 * Checkpoints
 */

static goffset
file_size (const char *path)
{
  GStatBuf buf;

  return g_stat (path, &buf) == 0 ? (goffset) buf.st_size : -1;
}

static void
test_checkpoint_in_background (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *big = g_strnfill (8000, 'd');
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  /* 24 MB of rows, more than the checkpoint threshold, in several commits */
  for (guint i = 0; i < 12; i++)
    {
      g_autoptr(AstroBatch) batch = tasks_batch ();

      for (guint j = 0; j < 250; j++)
        {
          g_autofree char *id = g_strdup_printf ("t%u-%u", i, j);

          add_task (batch, id, "o1", "Big", "Todo", "2", "2026-01-01");
          astro_batch_set_value (batch, "description", big);
        }
      apply_ok (fixture, batch);
    }

  /* The writer never checkpoints itself: the rows reach the file because the
   * checkpoint thread copied them there while the store stays open. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (file_size (fixture->path) < 16 * 1024 * 1024 && g_get_monotonic_time () < deadline)
    g_usleep (20000);
  g_assert_cmpint (file_size (fixture->path), >=, 16 * 1024 * 1024);

  /* Closing leaves the rest in the WAL, and nothing is lost by that. */
  g_clear_object (&fixture->store);
  g_assert_cmpint (file_size (wal), >, 0);
  fixture->store = astro_store_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (astro_store_count_rows (fixture->store, "tasks", &error), ==, 3000);

  /* quitting the app tidies up: the WAL is empty and the rows in the file */
  g_assert_true (astro_store_checkpoint (fixture->store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (file_size (wal), ==, 0);
  g_assert_cmpint (file_size (fixture->path), >=, 24 * 1024 * 1024);
}

/*
 * Applying batches
 */

static void
test_apply_insert (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autoptr(AstroRow) row = NULL;
  g_autoptr(GError) error = NULL;
  AstroRowsChanged *changes;

  add_task (batch, "t1", "o1", "First", "Todo", "2", "2026-01-01 10:00:00+00");
  add_task (batch, "t2", "o1", "Second", "Done", "1", "2026-01-02 10:00:00+00");
  apply_ok (fixture, batch);

  row = astro_store_get_row (fixture->store, "tasks", "t2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (astro_row_get (row, "title"), ==, "Second");
  g_assert_cmpstr (astro_row_get (row, "status"), ==, "Done");
  g_assert_cmpstr (astro_row_get (row, "updated_at"), ==, "2026-01-02 10:00:00+00");
  g_assert_null (astro_row_get (row, "assignee_id"));
  g_assert_null (astro_row_get (row, "no_such_column"));

  changes = only_event (fixture, "tasks");
  assert_keys (changes->inserted, "t1,t2");
  assert_keys (changes->updated, "");
  assert_keys (changes->deleted, "");
}

static void
test_apply_update_merges (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  g_autoptr(AstroRow) row = NULL;
  g_autoptr(GError) error = NULL;
  AstroRowsChanged *changes;

  add_task (first, "t1", "o1", "First", "Todo", "2", "2026-01-01");
  apply_ok (fixture, first);
  g_ptr_array_set_size (fixture->events, 0);

  astro_batch_add (second, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (second, "id", "t1");
  astro_batch_set_value (second, "status", "In Progress");
  apply_ok (fixture, second);

  row = astro_store_get_row (fixture->store, "tasks", "t1", &error);
  g_assert_cmpstr (astro_row_get (row, "status"), ==, "In Progress");
  /* only the given column changed */
  g_assert_cmpstr (astro_row_get (row, "title"), ==, "First");
  g_assert_cmpstr (astro_row_get (row, "priority"), ==, "2");
  g_assert_cmpstr (astro_row_get (row, "description"), ==, "A description");

  changes = only_event (fixture, "tasks");
  assert_keys (changes->inserted, "");
  assert_keys (changes->updated, "t1");
}

static void
test_apply_insert_replaces_whole_row (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  g_autoptr(AstroRow) row = NULL;
  AstroRowsChanged *changes;

  add_task (first, "t1", "o1", "First", "Todo", "2", "2026-01-01");
  apply_ok (fixture, first);
  g_ptr_array_set_size (fixture->events, 0);

  /* an insert of an existing key (a re-sent snapshot row) is the whole row */
  astro_batch_add (second, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (second, "id", "t1");
  astro_batch_set_value (second, "title", "Renamed");
  apply_ok (fixture, second);

  row = astro_store_get_row (fixture->store, "tasks", "t1", NULL);
  g_assert_cmpstr (astro_row_get (row, "title"), ==, "Renamed");
  g_assert_null (astro_row_get (row, "description"));
  g_assert_null (astro_row_get (row, "status"));

  changes = only_event (fixture, "tasks");
  assert_keys (changes->inserted, "");
  assert_keys (changes->updated, "t1");
}

static void
test_apply_delete (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  g_autoptr(GError) error = NULL;
  AstroRowsChanged *changes;

  add_task (first, "t1", "o1", "First", "Todo", "2", "2026-01-01");
  add_task (first, "t2", "o1", "Second", "Todo", "2", "2026-01-01");
  apply_ok (fixture, first);
  g_ptr_array_set_size (fixture->events, 0);

  astro_batch_add (second, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (second, "id", "t1");
  /* deleting what is not there is harmless and not reported */
  astro_batch_add (second, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (second, "id", "never-was");
  apply_ok (fixture, second);

  g_assert_false (row_exists (fixture, "t1"));
  g_assert_true (row_exists (fixture, "t2"));

  changes = only_event (fixture, "tasks");
  assert_keys (changes->deleted, "t1");
  assert_keys (changes->inserted, "");
  assert_keys (changes->updated, "");
}

static void
test_apply_unknown_column_ignored (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autoptr(AstroRow) row = NULL;

  astro_batch_add (batch, ASTRO_CHANGE_INSERT);
  g_assert_true (astro_batch_set_value (batch, "id", "t1"));
  g_assert_false (astro_batch_set_value (batch, "column_from_the_future", "x"));
  g_assert_false (astro_batch_set_value (batch, "id; DROP TABLE tasks", "x"));
  g_assert_true (astro_batch_set_value (batch, "title", "Still here"));
  apply_ok (fixture, batch);

  row = astro_store_get_row (fixture->store, "tasks", "t1", NULL);
  g_assert_cmpstr (astro_row_get (row, "title"), ==, "Still here");
  g_assert_null (astro_row_get (row, "column_from_the_future"));
}

static void
test_apply_nulls (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  g_autoptr(AstroRow) row = NULL;
  g_autofree char *is_null = NULL;

  add_task (first, "t1", "o1", "First", "Todo", "2", "2026-01-01");
  astro_batch_set_value (first, "assignee_id", "u1");
  apply_ok (fixture, first);

  /* a NULL in an update clears the column; it is not "not given" */
  astro_batch_add (second, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (second, "id", "t1");
  astro_batch_set_value (second, "assignee_id", NULL);
  apply_ok (fixture, second);

  row = astro_store_get_row (fixture->store, "tasks", "t1", NULL);
  g_assert_null (astro_row_get (row, "assignee_id"));
  g_assert_cmpstr (astro_row_get (row, "title"), ==, "First");
  is_null = query_text (fixture->path, "SELECT assignee_id IS NULL FROM tasks WHERE id = 't1'");
  g_assert_cmpstr (is_null, ==, "1");
}

static void
test_apply_update_of_missing_row (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autoptr(AstroRow) row = NULL;
  AstroRowsChanged *changes;

  astro_batch_add (batch, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (batch, "id", "t9");
  astro_batch_set_value (batch, "title", "Partial");
  apply_ok (fixture, batch);

  row = astro_store_get_row (fixture->store, "tasks", "t9", NULL);
  g_assert_nonnull (row);
  g_assert_cmpstr (astro_row_get (row, "title"), ==, "Partial");
  changes = only_event (fixture, "tasks");
  assert_keys (changes->inserted, "t9");
}

static void
test_apply_net_effect_in_one_batch (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  AstroRowsChanged *changes;

  add_task (first, "old", "o1", "Old", "Todo", "2", "2026-01-01");
  add_task (first, "moved", "o1", "Moved", "Todo", "2", "2026-01-01");
  apply_ok (fixture, first);
  g_ptr_array_set_size (fixture->events, 0);

  /* born and gone in one batch: nobody needs to hear of it */
  add_task (second, "ephemeral", "o1", "Blink", "Todo", "2", "2026-01-01");
  astro_batch_add (second, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (second, "id", "ephemeral");
  /* updated then deleted: deleted */
  astro_batch_add (second, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (second, "id", "old");
  astro_batch_set_value (second, "title", "Older");
  astro_batch_add (second, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (second, "id", "old");
  /* a primary-key change: delete then insert */
  astro_batch_add (second, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (second, "id", "moved");
  add_task (second, "moved-2", "o1", "Moved", "Todo", "2", "2026-01-01");
  apply_ok (fixture, second);

  changes = only_event (fixture, "tasks");
  assert_keys (changes->inserted, "moved-2");
  assert_keys (changes->updated, "");
  assert_keys (changes->deleted, "moved,old");
}

static void
test_apply_without_id_fails (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autoptr(GError) error = NULL;

  add_task (batch, "t1", "o1", "Good", "Todo", "2", "2026-01-01");
  astro_batch_add (batch, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (batch, "title", "No id");

  g_assert_false (astro_store_apply_batch (fixture->store, batch, &error));
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID);
  drain ();

  /* the good change went back with the bad one */
  g_assert_cmpint (astro_store_count_rows (fixture->store, "tasks", NULL), ==, 0);
  g_assert_cmpuint (fixture->events->len, ==, 0);
}

typedef struct
{
  AstroStore *store;
  AstroBatch *batch;
  gboolean    ok;
} ThreadApply;

static gpointer
apply_in_thread (gpointer data)
{
  ThreadApply *job = data;

  job->ok = astro_store_apply_batch (job->store, job->batch, NULL);
  return NULL;
}

static void
count_cb (AstroStore       *store,
          AstroRowsChanged *changes,
          guint            *count)
{
  (*count)++;
}

static void
test_rows_changed_on_main_context (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(AstroBatch) tasks = tasks_batch ();
  g_autoptr(AstroBatch) users = astro_batch_new (astro_table_lookup ("users"));
  ThreadApply job = { fixture->store, tasks, FALSE };
  ThreadApply job2 = { fixture->store, users, FALSE };
  GThread *thread;
  guint tasks_only = 0;
  gint64 deadline;

  g_signal_connect (fixture->store, "rows-changed::tasks", G_CALLBACK (count_cb), &tasks_only);

  add_task (tasks, "t1", "o1", "From the sync thread", "Todo", "2", "2026-01-01");
  astro_batch_add (users, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (users, "id", "u1");
  astro_batch_set_value (users, "email", "someone@example.com");

  thread = g_thread_new ("sync", apply_in_thread, &job);
  g_thread_join (thread);
  thread = g_thread_new ("sync", apply_in_thread, &job2);
  g_thread_join (thread);
  g_assert_true (job.ok);
  g_assert_true (job2.ok);

  /* nothing is delivered on the writer's thread */
  g_assert_cmpuint (fixture->events->len, ==, 0);

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (fixture->events->len < 2 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (fixture->events->len, ==, 2);
  g_assert_false (fixture->off_main_thread);
  g_assert_cmpstr (((AstroRowsChanged *) g_ptr_array_index (fixture->events, 0))->table, ==, "tasks");
  assert_keys (((AstroRowsChanged *) g_ptr_array_index (fixture->events, 0))->inserted, "t1");
  g_assert_cmpstr (((AstroRowsChanged *) g_ptr_array_index (fixture->events, 1))->table, ==, "users");
  assert_keys (((AstroRowsChanged *) g_ptr_array_index (fixture->events, 1))->inserted, "u1");
  /* the detail selects one table */
  g_assert_cmpuint (tasks_only, ==, 1);
}

/*
 * Batches together with their shape state
 */

static AstroShapeState *
state_for (const char *handle,
           const char *offset)
{
  AstroShapeState *state = astro_shape_state_new ("tasks");

  state->definition = g_strdup ("table=tasks");
  state->handle = g_strdup (handle);
  state->offset = g_strdup (offset);
  state->schema = g_strdup ("{\"id\":{\"type\":\"uuid\",\"pk_index\":0}}");
  state->last_up_to_date = 1234;
  return state;
}

static void
test_state_commits_with_rows (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  g_autoptr(AstroShapeState) state = state_for ("h1", "0_inf");
  g_autoptr(AstroShapeState) state2 = state_for ("h1", "26800584_2");
  g_autoptr(AstroShapeState) saved = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  add_task (first, "t1", "o1", "One", "Todo", "2", "2026-01-01");
  add_task (first, "t2", "o1", "Two", "Todo", "2", "2026-01-01");
  add_task (first, "t3", "o1", "Three", "Todo", "2", "2026-01-01");
  astro_batch_set_state (first, state);
  apply_ok (fixture, first);

  saved = astro_store_get_shape_state (fixture->store, "tasks", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (saved->handle, ==, "h1");
  g_assert_cmpstr (saved->offset, ==, "0_inf");
  g_assert_cmpstr (saved->definition, ==, "table=tasks");
  g_assert_cmpint (saved->last_up_to_date, ==, 1234);
  g_assert_cmpint (saved->row_count, ==, 3);

  /* the count follows inserts and deletes without recounting */
  astro_batch_add (second, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (second, "id", "t1");
  add_task (second, "t4", "o1", "Four", "Todo", "2", "2026-01-01");
  add_task (second, "t5", "o1", "Five", "Todo", "2", "2026-01-01");
  astro_batch_set_state (second, state2);
  apply_ok (fixture, second);

  g_clear_pointer (&saved, astro_shape_state_free);
  saved = astro_store_get_shape_state (fixture->store, "tasks", &error);
  g_assert_cmpstr (saved->offset, ==, "26800584_2");
  g_assert_cmpint (saved->row_count, ==, 4);
  g_assert_cmpint (saved->row_count, ==, astro_store_count_rows (fixture->store, "tasks", NULL));

  g_assert_null (astro_store_get_shape_state (fixture->store, "users", &error));
  g_assert_no_error (error);
  all = astro_store_list_shape_states (fixture->store, &error);
  g_assert_cmpuint (all->len, ==, 1);

  g_assert_true (astro_store_set_shape_error (fixture->store, "tasks", "Server said 500", &error));
  g_clear_pointer (&saved, astro_shape_state_free);
  saved = astro_store_get_shape_state (fixture->store, "tasks", &error);
  g_assert_cmpstr (saved->last_error, ==, "Server said 500");
  g_assert_cmpstr (saved->offset, ==, "26800584_2");
}

static void
test_state_and_rows_roll_back_together (Fixture       *fixture,
                                        gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  g_autoptr(AstroShapeState) state = state_for ("h1", "0_inf");
  g_autoptr(AstroShapeState) state2 = state_for ("h1", "99_0");
  g_autoptr(AstroShapeState) saved = NULL;
  g_autoptr(AstroRow) row = NULL;
  g_autoptr(GError) error = NULL;

  add_task (first, "t1", "o1", "Before", "Todo", "2", "2026-01-01");
  astro_batch_set_state (first, state);
  apply_ok (fixture, first);
  g_ptr_array_set_size (fixture->events, 0);

  /* Saving the state will fail after every row of the batch was written. */
  exec_raw (fixture->path,
            "CREATE TRIGGER refuse_state BEFORE UPDATE ON sync_state "
            "BEGIN SELECT RAISE(ABORT, 'disk said no'); END;");

  astro_batch_add (second, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (second, "id", "t1");
  astro_batch_set_value (second, "title", "After");
  add_task (second, "t2", "o1", "New", "Todo", "2", "2026-01-01");
  astro_batch_set_state (second, state2);

  g_assert_false (astro_store_apply_batch (fixture->store, second, &error));
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "disk said no"));
  drain ();

  /* neither the rows nor the offset moved, and nobody was told otherwise */
  row = astro_store_get_row (fixture->store, "tasks", "t1", NULL);
  g_assert_cmpstr (astro_row_get (row, "title"), ==, "Before");
  g_assert_false (row_exists (fixture, "t2"));
  saved = astro_store_get_shape_state (fixture->store, "tasks", NULL);
  g_assert_cmpstr (saved->offset, ==, "0_inf");
  g_assert_cmpuint (fixture->events->len, ==, 0);

  /* and the store still works once the obstacle is gone */
  exec_raw (fixture->path, "DROP TRIGGER refuse_state");
  g_clear_error (&error);
  apply_ok (fixture, second);
  g_clear_pointer (&saved, astro_shape_state_free);
  saved = astro_store_get_shape_state (fixture->store, "tasks", NULL);
  g_assert_cmpstr (saved->offset, ==, "99_0");
  g_assert_cmpint (saved->row_count, ==, 2);
}

static void
test_reset_replaces_rows (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) refetch = tasks_batch ();
  g_autoptr(AstroShapeState) state = state_for ("h1", "0_inf");
  g_autoptr(AstroShapeState) state2 = state_for ("h2", "0_inf");
  g_autoptr(AstroShapeState) saved = NULL;
  AstroRowsChanged *changes;

  add_task (first, "keep", "o1", "Keep", "Todo", "2", "2026-01-01");
  add_task (first, "stale", "o1", "Stale", "Todo", "2", "2026-01-01");
  astro_batch_set_state (first, state);
  apply_ok (fixture, first);
  g_ptr_array_set_size (fixture->events, 0);

  /* a refetch after 409: the new snapshot replaces everything at once */
  astro_batch_set_reset (refetch, TRUE);
  add_task (refetch, "keep", "o1", "Keep, refreshed", "Todo", "2", "2026-01-01");
  add_task (refetch, "new", "o1", "New", "Todo", "2", "2026-01-01");
  astro_batch_set_state (refetch, state2);
  apply_ok (fixture, refetch);

  g_assert_false (row_exists (fixture, "stale"));
  g_assert_true (row_exists (fixture, "new"));
  changes = only_event (fixture, "tasks");
  assert_keys (changes->inserted, "new");
  assert_keys (changes->updated, "keep");
  assert_keys (changes->deleted, "stale");

  saved = astro_store_get_shape_state (fixture->store, "tasks", NULL);
  g_assert_cmpstr (saved->handle, ==, "h2");
  g_assert_cmpint (saved->row_count, ==, 2);
}

static void
test_clear_synced_keeps_local (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autoptr(AstroShapeState) state = state_for ("h1", "0_inf");
  g_autoptr(AstroLocalRepo) repo = astro_local_repo_new ("/home/me/src/app");
  g_autoptr(GPtrArray) repos = NULL;
  g_autoptr(GError) error = NULL;
  AstroRowsChanged *changes;

  add_task (batch, "t1", "o1", "One", "Todo", "2", "2026-01-01");
  astro_batch_set_state (batch, state);
  apply_ok (fixture, batch);
  g_assert_true (astro_store_save_local_repo (fixture->store, repo, &error));
  drain ();
  g_ptr_array_set_size (fixture->events, 0);

  g_assert_true (astro_store_clear_synced (fixture->store, &error));
  g_assert_no_error (error);
  drain ();

  g_assert_cmpint (astro_store_count_rows (fixture->store, "tasks", NULL), ==, 0);
  g_assert_null (astro_store_get_shape_state (fixture->store, "tasks", NULL));
  repos = astro_store_list_local_repos (fixture->store, &error);
  g_assert_cmpuint (repos->len, ==, 1);

  changes = only_event (fixture, "tasks");
  assert_keys (changes->deleted, "t1");
}

/*
 * Reading for the UI
 */

static void
seed_tasks (Fixture *fixture)
{
  g_autoptr(AstroBatch) batch = tasks_batch ();

  add_task (batch, "a", "o1", "Fix the login", "Todo", "1", "2026-01-05");
  astro_batch_set_value (batch, "external_key", "AST-1");
  astro_batch_set_value (batch, "assignee_id", "u1");
  add_task (batch, "b", "o1", "Write docs", "In Progress", "3", "2026-01-02");
  astro_batch_set_value (batch, "external_key", "AST-2");
  add_task (batch, "c", "o1", "Ship 100% of it", "In Progress", "1", "2026-01-01");
  astro_batch_set_value (batch, "external_key", "AST-3");
  astro_batch_set_value (batch, "assignee_id", "u1");
  add_task (batch, "d", "o1", "Old thing", "Done", "0", "2026-01-09");
  astro_batch_set_value (batch, "external_key", "AST-4");
  add_task (batch, "e", "o1", "Gone", "Todo", "1", "2026-01-09");
  astro_batch_set_value (batch, "deleted_at", "2026-01-10");
  add_task (batch, "f", "o2", "Other org", "Todo", "1", "2026-01-03");
  astro_batch_set_value (batch, "external_key", "OTH-1");
  add_task (batch, "g", "o1", "No priority", "In Progress", "0", "2026-01-08");
  add_task (batch, "h", "o1", "Urgent doc", "In Progress", "1", "2026-01-07");
  apply_ok (fixture, batch);
}

static void
assert_ids (GPtrArray  *ids,
            const char *expected)
{
  g_autoptr(GString) got = g_string_new (NULL);

  g_assert_nonnull (ids);
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (got, "%s%s", i ? "," : "", (const char *) g_ptr_array_index (ids, i));
  g_assert_cmpstr (got->str, ==, expected);
}

static void
test_list_tasks (Fixture       *fixture,
                 gconstpointer  data)
{
  AstroTaskFilter filter = ASTRO_TASK_FILTER_INIT;
  g_autoptr(GError) error = NULL;

  seed_tasks (fixture);
  filter.organization_id = "o1";

  /* started first, urgent before none, newest first within */
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, &error);
    g_assert_no_error (error);
    assert_ids (ids, "h,c,b,g,a,d");
  }

  filter.sort = ASTRO_TASK_SORT_UPDATED;
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "d,g,h,a,b,c");
  }

  filter.sort = ASTRO_TASK_SORT_STATUS;
  filter.status = "In Progress";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "h,c,b,g");
  }

  filter.status = NULL;
  filter.priority = 1;
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "h,c,a");
  }

  filter.priority = -1;
  filter.assignee_id = "u1";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "c,a");
  }

  filter.assignee_id = "";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "h,b,g,d");
  }

  filter.assignee_id = NULL;
  filter.search = "doc";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "h,b");
  }

  filter.search = "ast-4";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "d");
  }

  /* % and _ are literal characters, not wildcards */
  filter.search = "100%";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "c");
  }
  filter.search = "_";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "");
  }

  filter.search = NULL;
  filter.organization_id = "o2";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_task_ids (fixture->store, &filter, NULL);
    assert_ids (ids, "f");
  }
}

/* The first rows of a listing are the listing's first rows */
static void
test_list_first_tasks (Fixture       *fixture,
                       gconstpointer  data)
{
  AstroTaskFilter filter = ASTRO_TASK_FILTER_INIT;
  g_autoptr(GError) error = NULL;

  seed_tasks (fixture);
  filter.organization_id = "o1";
  {
    g_autoptr(GPtrArray) ids = astro_store_list_first_task_ids (fixture->store, &filter, 4, &error);
    g_assert_no_error (error);
    assert_ids (ids, "h,c,b,g");
  }
  {
    g_autoptr(GPtrArray) ids = astro_store_list_first_task_ids (fixture->store, &filter, 100, &error);
    g_assert_no_error (error);
    assert_ids (ids, "h,c,b,g,a,d");
  }
}

static void
add_workspace (AstroBatch *batch,
               const char *id,
               const char *task_id,
               const char *status,
               const char *pr_url,
               const char *pr_status)
{
  astro_batch_add (batch, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (batch, "id", id);
  astro_batch_set_value (batch, "organization_id", "o1");
  astro_batch_set_value (batch, "task_id", task_id);
  astro_batch_set_value (batch, "status", status);
  astro_batch_set_value (batch, "pr_url", pr_url);
  astro_batch_set_value (batch, "pr_status", pr_status);
}

/* What a task's row says of the work on it, and whether tables are empty */
static void
test_task_work (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = astro_batch_new (astro_table_lookup ("workspaces"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) work = NULL;
  AstroTaskWork *t1, *t2;

  g_assert_false (astro_store_has_rows (fixture->store, "workspaces", &error));
  g_assert_no_error (error);
  g_assert_false (astro_store_has_rows (fixture->store, "no_such_table", &error));
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID);
  g_clear_error (&error);

  add_workspace (batch, "w1", "t1", "active", NULL, NULL);
  add_workspace (batch, "w2", "t1", "idle", "https://example.com/pr/1", "merged");
  add_workspace (batch, "w3", "t1", "archived", "https://example.com/pr/2", "open");
  add_workspace (batch, "w4", "t2", "idle", "https://example.com/pr/3", NULL);
  apply_ok (fixture, batch);
  g_assert_true (astro_store_has_rows (fixture->store, "workspaces", NULL));

  /* the archived one is not counted, but its open PR is the telling one */
  work = astro_store_list_task_work (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (work), ==, 2);
  t1 = g_hash_table_lookup (work, "t1");
  g_assert_cmpuint (t1->n_workspaces, ==, 2);
  g_assert_cmpstr (t1->pr_status, ==, "open");

  /* a PR the server gave no status */
  t2 = g_hash_table_lookup (work, "t2");
  g_assert_cmpuint (t2->n_workspaces, ==, 1);
  g_assert_cmpstr (t2->pr_status, ==, "");

  /* no workspace, no entry */
  g_assert_null (g_hash_table_lookup (work, "t3"));
}

typedef struct
{
  AstroStore *store;
  GPtrArray  *ids;
  GHashTable *pending;
  GError     *error;
} ReadAhead;

static gpointer
read_ahead_in_thread (gpointer data)
{
  ReadAhead *read = data;

  return astro_store_read_rows_in_thread (read->store, "tasks", read->ids, 3, &read->pending, &read->error);
}

static void
on_counted_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Counted on the worker, as the window's footer does: the same counts as
 * the main thread's */
static void
test_count_rows_async (Fixture       *fixture,
                       gconstpointer  data)
{
  static const char * const tables[] = { "tasks", "repositories", NULL };
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GArray) counts = NULL;
  g_autoptr(GError) error = NULL;

  add_task (batch, "t1", "o1", "One", "todo", "1", "2026-01-01T01:00:00Z");
  add_task (batch, "t2", "o1", "Two", "done", "2", "2026-01-01T02:00:00Z");
  apply_ok (fixture, batch);

  astro_store_count_rows_async (fixture->store, tables, NULL, on_counted_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  counts = astro_store_count_rows_finish (fixture->store, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (counts->len, ==, 2);
  g_assert_cmpint (g_array_index (counts, gint64, 0), ==, 2);
  g_assert_cmpint (g_array_index (counts, gint64, 0), ==, astro_store_count_rows (fixture->store, "tasks", NULL));
  g_assert_cmpint (g_array_index (counts, gint64, 1), ==, 0);
}

/* A model's worker reads the rows it is about to show: the same rows, and
 * the same writes waiting, as the main thread's look-ups give */
static void
test_read_rows_in_thread (Fixture       *fixture,
                          gconstpointer  data)
{
  static const char * const ids[] = { "t1", "gone", "t2", "t3" };
  g_autoptr(AstroBatch) batch = tasks_batch ();
  g_autoptr(AstroOutboxEntry) entry = astro_outbox_entry_new ();
  g_autoptr(GHashTable) rows = NULL;
  g_autoptr(GError) error = NULL;
  ReadAhead read = { fixture->store, g_ptr_array_new (), NULL, NULL };

  add_task (batch, "t1", "o1", "One", "todo", "1", "2026-01-01T01:00:00Z");
  add_task (batch, "t2", "o1", "Two", "done", "2", "2026-01-01T02:00:00Z");
  add_task (batch, "t3", "o1", "Three", "todo", "3", "2026-01-01T03:00:00Z");
  apply_ok (fixture, batch);

  entry->kind = ASTRO_WRITE_UPDATE;
  entry->method = g_strdup ("PATCH");
  entry->path = g_strdup ("/api/tasks/t2");
  entry->payload = g_strdup ("{\"title\":\"Two, renamed\"}");
  entry->overlay = g_strdup ("{\"title\":\"Two, renamed\"}");
  entry->row_table = g_strdup ("tasks");
  entry->row_id = g_strdup ("t2");
  entry->idempotency_key = g_uuid_string_random ();
  g_assert_cmpint (astro_store_outbox_add (fixture->store, entry, NULL, &error), >, 0);
  g_assert_no_error (error);
  /* its rows-changed is for this fixture, not the next test's */
  drain ();

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_ptr_array_add (read.ids, (gpointer) ids[i]);
  rows = g_thread_join (g_thread_new ("read-ahead", read_ahead_in_thread, &read));
  g_assert_no_error (read.error);
  g_assert_nonnull (rows);

  /* the first three ids: t3 is past them, "gone" is no row */
  g_assert_cmpuint (g_hash_table_size (rows), ==, 2);
  g_assert_false (g_hash_table_contains (rows, "t3"));
  g_assert_false (g_hash_table_contains (rows, "gone"));
  for (guint i = 0; i < 2; i++)
    {
      const char *id = i == 0 ? "t1" : "t2";
      g_autoptr(AstroRow) here = astro_store_get_row (fixture->store, "tasks", id, NULL);
      AstroRow *there = g_hash_table_lookup (rows, id);

      for (guint c = 0; c < astro_table_lookup ("tasks")->n_columns; c++)
        g_assert_cmpstr (astro_row_get_nth (there, c), ==, astro_row_get_nth (here, c));
      g_assert_cmpint (g_hash_table_contains (read.pending, id), ==,
                       astro_store_row_is_pending (fixture->store, "tasks", id));
    }
  g_assert_cmpstr (astro_row_get (g_hash_table_lookup (rows, "t2"), "title"), ==, "Two, renamed");
  g_assert_true (g_hash_table_contains (read.pending, "t2"));
  g_assert_false (g_hash_table_contains (read.pending, "t1"));

  g_hash_table_unref (read.pending);
  g_ptr_array_unref (read.ids);
}

/* How rows name people: the name, else the email; nobody without either */
static void
test_user_names (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(AstroBatch) users = astro_batch_new (astro_table_lookup ("users"));
  g_autoptr(GHashTable) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *one = NULL;

  astro_batch_add (users, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (users, "id", "u1");
  astro_batch_set_value (users, "name", "Ada Lovelace");
  astro_batch_set_value (users, "email", "ada@example.com");
  astro_batch_add (users, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (users, "id", "u2");
  astro_batch_set_value (users, "email", "grace@example.com");
  astro_batch_add (users, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (users, "id", "u3");
  apply_ok (fixture, users);

  names = astro_store_list_user_names (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (names), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (names, "u1"), ==, "Ada Lovelace");
  g_assert_cmpstr (g_hash_table_lookup (names, "u2"), ==, "grace@example.com");
  g_assert_false (g_hash_table_contains (names, "u3"));

  /* the same as the one-by-one look-up */
  one = astro_store_dup_user_name (fixture->store, "u2");
  g_assert_cmpstr (one, ==, "grace@example.com");
}

static void
test_list_tasks_uses_index (Fixture       *fixture,
                            gconstpointer  data)
{
  /* The list of one organization in display order must come from an index
   * walk, not a sort of every task: that is what keeps 100,000 tasks fast. */
  static const char * const queries[] = {
    "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE deleted_at IS NULL AND organization_id = 'o1'"
    " ORDER BY organization_id, CASE lower(status) WHEN 'in progress' THEN 0 WHEN 'started' THEN 0"
    " WHEN 'in review' THEN 1 WHEN 'todo' THEN 2 WHEN 'unstarted' THEN 2"
    " WHEN 'backlog' THEN 3 WHEN 'triage' THEN 3 WHEN 'done' THEN 4"
    " WHEN 'completed' THEN 4 WHEN 'canceled' THEN 5 WHEN 'cancelled' THEN 5"
    " ELSE 6 END, coalesce(nullif(CAST(priority AS INTEGER), 0), 5), updated_at DESC, id",
    "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE deleted_at IS NULL AND organization_id = 'o1'"
    " ORDER BY organization_id, updated_at DESC, id",
  };
  static const char * const indexes[] = { "tasks_by_status", "tasks_by_updated" };

  seed_tasks (fixture);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      sqlite3 *db = NULL;
      sqlite3_stmt *stmt = NULL;
      g_autoptr(GString) plan = g_string_new (NULL);

      g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_prepare_v2 (db, queries[i], -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
      sqlite3_finalize (stmt);
      sqlite3_close (db);

      g_test_message ("plan: %s", plan->str);
      g_assert_nonnull (strstr (plan->str, indexes[i]));
      g_assert_null (strstr (plan->str, "TEMP B-TREE"));
    }
}

static void
test_list_rows (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(AstroBatch) batch = astro_batch_new (astro_table_lookup ("workspaces"));
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("w%u", i);

      astro_batch_add (batch, ASTRO_CHANGE_INSERT);
      astro_batch_set_value (batch, "id", id);
      astro_batch_set_value (batch, "task_id", i < 2 ? "t1" : NULL);
      astro_batch_set_value (batch, "device_name", "laptop");
    }
  apply_ok (fixture, batch);

  rows = astro_store_list_rows (fixture->store, "workspaces", "task_id", "t1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpstr (astro_row_get_id (g_ptr_array_index (rows, 0)), ==, "w0");
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = astro_store_list_rows (fixture->store, "workspaces", "task_id", NULL, &error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = astro_store_list_rows (fixture->store, "workspaces", NULL, NULL, &error);
  g_assert_cmpuint (rows->len, ==, 3);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* names are checked, never pasted into SQL */
  rows = astro_store_list_rows (fixture->store, "workspaces", "task_id = task_id OR 1", "x", &error);
  g_assert_null (rows);
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID);
  g_clear_error (&error);
  rows = astro_store_list_rows (fixture->store, "sqlite_master", NULL, NULL, &error);
  g_assert_null (rows);
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID);
}

/*
 * Local tables
 */

static void
test_settings (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *device = NULL;
  g_autofree char *again = NULL;
  g_autofree char *org = NULL;

  g_assert_null (astro_store_get_setting (fixture->store, ASTRO_SETTING_ACTIVE_ORGANIZATION));
  g_assert_true (astro_store_set_setting (fixture->store, ASTRO_SETTING_ACTIVE_ORGANIZATION, "o2", &error));
  g_assert_no_error (error);

  device = astro_store_dup_device_id (fixture->store);
  g_assert_true (g_uuid_string_is_valid (device));

  /* they survive reopening */
  g_clear_object (&fixture->store);
  fixture_open (fixture);
  org = astro_store_get_setting (fixture->store, ASTRO_SETTING_ACTIVE_ORGANIZATION);
  g_assert_cmpstr (org, ==, "o2");
  again = astro_store_dup_device_id (fixture->store);
  g_assert_cmpstr (again, ==, device);

  g_assert_true (astro_store_set_setting (fixture->store, ASTRO_SETTING_ACTIVE_ORGANIZATION, NULL, &error));
  g_assert_null (astro_store_get_setting (fixture->store, ASTRO_SETTING_ACTIVE_ORGANIZATION));

  /* kept on the writing thread, beside the batches */
  {
    g_autoptr(AstroBatch) batch = tasks_batch ();
    g_autofree char *kept = NULL;

    add_task (batch, "late", "o3", "Written first", "Todo", "1", "2026-01-01T00:00:00Z");
    astro_store_apply_batch_async (fixture->store, batch, NULL, NULL);
    astro_store_set_setting_async (fixture->store, ASTRO_SETTING_ACTIVE_ORGANIZATION, "o3");
    while ((kept = astro_store_get_setting (fixture->store, ASTRO_SETTING_ACTIVE_ORGANIZATION)) == NULL ||
           astro_store_count_rows (fixture->store, "tasks", NULL) < 1)
      {
        g_clear_pointer (&kept, g_free);
        g_main_context_iteration (NULL, TRUE);
      }
    g_assert_cmpstr (kept, ==, "o3");
  }
}

/* Holds the writing thread until opened */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean open;
} Gate;

static gint64
wait_at_gate (AstroStore  *store,
              gpointer     data,
              GError     **error)
{
  Gate *gate = data;

  g_mutex_lock (&gate->lock);
  while (!gate->open)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
  return 1;
}

static gint64
keep_setting (AstroStore  *store,
              gpointer     data,
              GError     **error)
{
  return astro_store_set_setting (store, "test-key", data, error) ? 7 : 0;
}

static gint64
fail_to_write (AstroStore  *store,
               gpointer     data,
               GError     **error)
{
  g_set_error_literal (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID, "refused");
  return 0;
}

static void
on_write_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GString *order = user_data;
  g_autoptr(GError) error = NULL;
  gint64 written = astro_store_write_finish (ASTRO_STORE (source), result, &error);

  g_string_append_printf (order, "write %" G_GINT64_FORMAT "%s;", written, error != NULL ? " failed" : "");
}

static void
on_batch_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GString *order = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (astro_store_apply_batch_finish (ASTRO_STORE (source), result, &error));
  g_assert_no_error (error);
  g_string_append (order, "batch;");
}

/* A person's write goes before the sync's batches still waiting, and the
 * writes keep their own order. */
static void
test_write_before_batches (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(AstroBatch) first = tasks_batch ();
  g_autoptr(AstroBatch) second = tasks_batch ();
  g_autoptr(GString) order = g_string_new (NULL);
  g_autofree char *kept = NULL;
  Gate gate = { 0, };

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  add_task (first, "t1", "o1", "First", "Todo", "1", "2026-01-01T00:00:00Z");
  add_task (second, "t2", "o1", "Second", "Todo", "1", "2026-01-01T00:00:00Z");

  astro_store_write_async (fixture->store, wait_at_gate, &gate, NULL, on_write_done_cb, order);
  astro_store_apply_batch_async (fixture->store, first, on_batch_done_cb, order);
  astro_store_apply_batch_async (fixture->store, second, on_batch_done_cb, order);
  astro_store_write_async (fixture->store, keep_setting, (gpointer) "kept", NULL, on_write_done_cb, order);
  astro_store_write_async (fixture->store, fail_to_write, NULL, NULL, on_write_done_cb, order);

  g_mutex_lock (&gate.lock);
  gate.open = TRUE;
  g_cond_signal (&gate.cond);
  g_mutex_unlock (&gate.lock);

  while (g_strcmp0 (order->str, "") == 0 || strlen (order->str) < strlen ("write 1;write 7;write 0 failed;batch;batch;"))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpstr (order->str, ==, "write 1;write 7;write 0 failed;batch;batch;");
  kept = astro_store_get_setting (fixture->store, "test-key");
  g_assert_cmpstr (kept, ==, "kept");
  g_assert_cmpint (astro_store_count_rows (fixture->store, "tasks", NULL), ==, 2);

  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

static gint64
keep_setting_slowly (AstroStore  *store,
                     gpointer     data,
                     GError     **error)
{
  g_usleep (200 * 1000);
  return keep_setting (store, data, error);
}

/* A process about to end waits for the writes it queued: they are on disk
 * without its main loop running again */
static void
test_wait_for_writes (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *kept = NULL;

  /* nothing queued yet: returns at once */
  astro_store_wait_for_writes (fixture->store);

  astro_store_write_async (fixture->store, keep_setting_slowly, (gpointer) "kept", NULL, NULL, NULL);
  astro_store_wait_for_writes (fixture->store);
  kept = astro_store_get_setting (fixture->store, "test-key");
  g_assert_cmpstr (kept, ==, "kept");

  /* its notification is for this fixture */
  drain ();
}

static void
test_local_repos (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(AstroLocalRepo) repo = astro_local_repo_new ("/home/me/src/app");
  g_autoptr(AstroLocalRepo) relative = astro_local_repo_new ("src/app");
  g_autoptr(AstroLocalRepo) got = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device = astro_store_dup_device_id (fixture->store);

  repo->repository_id = g_strdup ("r1");
  repo->remote_name = g_strdup ("origin");
  repo->remote_key = g_strdup ("github.com/acme/app");
  g_assert_true (astro_store_save_local_repo (fixture->store, repo, &error));
  g_assert_no_error (error);

  got = astro_store_get_local_repo (fixture->store, "/home/me/src/app", &error);
  g_assert_cmpstr (got->repository_id, ==, "r1");
  g_assert_cmpstr (got->remote_name, ==, "origin");
  g_assert_cmpstr (got->remote_key, ==, "github.com/acme/app");
  g_assert_cmpstr (got->device_id, ==, device);
  g_assert_nonnull (got->created_at);

  /* relinking to nothing makes it a local-only project; created_at stays */
  g_free (repo->repository_id);
  repo->repository_id = NULL;
  repo->created_at = g_strdup ("2000-01-01T00:00:00Z");
  g_assert_true (astro_store_save_local_repo (fixture->store, repo, &error));
  g_clear_pointer (&got, astro_local_repo_free);
  got = astro_store_get_local_repo (fixture->store, "/home/me/src/app", &error);
  g_assert_null (got->repository_id);
  g_assert_cmpstr (got->created_at, !=, "2000-01-01T00:00:00Z");

  g_assert_false (astro_store_save_local_repo (fixture->store, relative, &error));
  g_assert_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID);
  g_clear_error (&error);

  all = astro_store_list_local_repos (fixture->store, &error);
  g_assert_cmpuint (all->len, ==, 1);

  g_assert_true (astro_store_delete_local_repo (fixture->store, "/home/me/src/app", &error));
  g_clear_pointer (&got, astro_local_repo_free);
  got = astro_store_get_local_repo (fixture->store, "/home/me/src/app", &error);
  g_assert_no_error (error);
  g_assert_null (got);
}

/* Stolen changes keep their values when the batch they came from is gone,
 * and both batches take new values after */
static void
test_batch_steal_keeps_values (void)
{
  g_autoptr(AstroBatch) into = astro_batch_new (astro_table_lookup ("tasks"));
  AstroBatch *from = astro_batch_new (astro_table_lookup ("tasks"));
  AstroChangeKind kind;
  guint32 present;
  char * const *values;
  int title = astro_table_column_index (astro_table_lookup ("tasks"), "title");

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *id = g_strdup_printf ("from-%u", i);
      g_autofree char *text = g_strdup_printf ("Task %u: %s", i, "a title long enough to fill chunks");

      astro_batch_add (from, ASTRO_CHANGE_INSERT);
      astro_batch_set_value (from, "id", id);
      astro_batch_set_value (from, "title", text);
    }
  astro_batch_add (into, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (into, "id", "into-0");

  astro_batch_steal_changes (into, from);
  g_assert_cmpuint (astro_batch_get_n_changes (from), ==, 0);
  astro_batch_add (from, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (from, "id", "from-again");
  astro_batch_unref (from);

  astro_batch_add (into, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (into, "id", "into-last");
  astro_batch_take_value (into, title, NULL);

  g_assert_cmpuint (astro_batch_get_n_changes (into), ==, 2002);
  astro_batch_get_change (into, 0, &kind, &present, &values);
  g_assert_cmpstr (values[0], ==, "into-0");
  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *id = g_strdup_printf ("from-%u", i);
      g_autofree char *text = g_strdup_printf ("Task %u: %s", i, "a title long enough to fill chunks");

      astro_batch_get_change (into, i + 1, &kind, &present, &values);
      g_assert_cmpint (kind, ==, ASTRO_CHANGE_INSERT);
      g_assert_cmpstr (values[0], ==, id);
      g_assert_cmpstr (values[title], ==, text);
    }
  astro_batch_get_change (into, 2001, &kind, &present, &values);
  g_assert_cmpint (kind, ==, ASTRO_CHANGE_DELETE);
  g_assert_cmpstr (values[0], ==, "into-last");
  g_assert_null (values[title]);
  g_assert_true (present & (1u << title));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define ADD_UNOPENED(path, func, data) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("/store/schema/fresh", test_fresh_schema);
  g_test_add_func ("/store/schema/default-path", test_default_path);
  for (int from = 0; from < astro_store_get_latest_version (); from++)
    {
      g_autofree char *path = g_strdup_printf ("/store/schema/migrate-from-%d", from);
      ADD_UNOPENED (path, test_migrate_from, GINT_TO_POINTER (from + 1));
    }
  ADD_UNOPENED ("/store/schema/migration-failure-keeps-file", test_migrate_failure_keeps_file, GINT_TO_POINTER (1));
  ADD_UNOPENED ("/store/schema/too-new", test_too_new, GINT_TO_POINTER (1));
  ADD_UNOPENED ("/store/corrupt/not-a-database", test_corrupt_not_a_database, GINT_TO_POINTER (1));
  ADD ("/store/corrupt/damaged-schema", test_corrupt_damaged_schema);
  ADD ("/store/checkpoint/while-open-not-on-close", test_checkpoint_in_background);
  g_test_add_func ("/store/batch/steal-keeps-values", test_batch_steal_keeps_values);
  ADD ("/store/apply/insert", test_apply_insert);
  ADD ("/store/apply/update-merges", test_apply_update_merges);
  ADD ("/store/apply/insert-replaces-whole-row", test_apply_insert_replaces_whole_row);
  ADD ("/store/apply/delete", test_apply_delete);
  ADD ("/store/apply/unknown-column-ignored", test_apply_unknown_column_ignored);
  ADD ("/store/apply/nulls", test_apply_nulls);
  ADD ("/store/apply/update-of-missing-row", test_apply_update_of_missing_row);
  ADD ("/store/apply/net-effect-in-one-batch", test_apply_net_effect_in_one_batch);
  ADD ("/store/apply/without-id-fails", test_apply_without_id_fails);
  ADD ("/store/rows-changed/main-context", test_rows_changed_on_main_context);
  ADD ("/store/state/commits-with-rows", test_state_commits_with_rows);
  ADD ("/store/state/rolls-back-with-rows", test_state_and_rows_roll_back_together);
  ADD ("/store/state/reset-replaces-rows", test_reset_replaces_rows);
  ADD ("/store/state/clear-synced-keeps-local", test_clear_synced_keeps_local);
  ADD ("/store/read/tasks", test_list_tasks);
  ADD ("/store/read/first-tasks", test_list_first_tasks);
  ADD ("/store/read/task-work", test_task_work);
  ADD ("/store/read/user-names", test_user_names);
  ADD ("/store/read/rows-in-thread", test_read_rows_in_thread);
  ADD ("/store/read/count-async", test_count_rows_async);
  ADD ("/store/write/before-batches", test_write_before_batches);
  ADD ("/store/write/wait", test_wait_for_writes);
  ADD ("/store/read/tasks-use-index", test_list_tasks_uses_index);
  ADD ("/store/read/rows", test_list_rows);
  ADD ("/store/local/settings", test_settings);
  ADD ("/store/local/repos", test_local_repos);

  return g_test_run ();
}
