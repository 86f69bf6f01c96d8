/* astro-store.c: opening the file, recovering a damaged one, the object
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "astro-store-private.h"

enum {
  ROWS_CHANGED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_TYPE (AstroStore, astro_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (astro-store-error-quark, astro_store_error)

/*
 * Auxiliary methods
 */

gboolean
_astro_store_set_error (GError     **error,
                        sqlite3     *db,
                        int          code,
                        const char  *what)
{
  const char *message = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (code);

  g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_FAILED,
               "%s: %s", what, message);
  return FALSE;
}

gboolean
_astro_store_exec (sqlite3     *db,
                   const char  *sql,
                   GError     **error)
{
  char *message = NULL;
  int rc;

  rc = sqlite3_exec (db, sql, NULL, NULL, &message);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_FAILED,
                   "%s", message != NULL ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }

  return TRUE;
}

/* Statements are kept prepared for the life of their connection. */
sqlite3_stmt *
_astro_store_prepare (sqlite3     *db,
                      GHashTable  *cache,
                      const char  *sql,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = g_hash_table_lookup (cache, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _astro_store_set_error (error, db, rc, "Could not prepare a query");
      return NULL;
    }

  g_hash_table_insert (cache, g_strdup (sql), stmt);
  return stmt;
}

char *
_astro_store_now_iso (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format_iso8601 (now);
}

GHashTable *
_astro_store_statement_cache_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) sqlite3_finalize);
}

static gboolean
is_damage (int rc)
{
  rc &= 0xff;
  return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

char *
_astro_store_dup_column (sqlite3_stmt *stmt,
                         int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a statement that returns no rows, and readies it for the next run. */
gboolean
_astro_store_step_done (sqlite3       *db,
                        sqlite3_stmt  *stmt,
                        const char    *what,
                        GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return _astro_store_set_error (error, db, rc, what);

  return TRUE;
}

/* Opens and configures one connection. Reading the schema here is what makes
 * a file that is not a database, or has a damaged header, show itself. */
sqlite3 *
_astro_store_open_connection (const char  *path,
                              gboolean     locked_by_caller,
                              gboolean    *damaged,
                              GError     **error)
{
  static gsize configured = 0;
  sqlite3 *db = NULL;
  int rc;

  *damaged = FALSE;

  /* SQLite's memory statistics take a global mutex on every allocation, and
   * a sync allocates millions of times. Only possible before the first open. */
  if (g_once_init_enter (&configured))
    {
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&configured, 1);
    }

  /* A connection its owner already serializes needs no mutex of SQLite's. */
  rc = sqlite3_open_v2 (path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        (locked_by_caller ? SQLITE_OPEN_NOMUTEX : 0),
                        NULL);
  if (rc != SQLITE_OK)
    {
      _astro_store_set_error (error, db, rc, "Could not open the database");
      sqlite3_close (db);
      return NULL;
    }

  sqlite3_extended_result_codes (db, TRUE);
  /* Closing copies the whole WAL into the file and waits for the disk: a
   * 100,000-task sync would spend a tenth of its time there. The checkpoint
   * thread does that work in the background instead (astro-store-checkpoint.c). */
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_busy_timeout (db, 5000);

  rc = sqlite3_exec (db,
                     /* Only takes effect on a new file. Rows of a sync are
                      * about 1 KiB: larger pages split less often (an
                      * initial sync is ~15% faster than with 4 KiB). */
                     "PRAGMA page_size = 16384;"
                     "PRAGMA journal_mode = WAL;"
                     "PRAGMA synchronous = NORMAL;"
                     "PRAGMA foreign_keys = ON;"
                     "SELECT count(*) FROM sqlite_master;",
                     NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      *damaged = is_damage (rc);
      _astro_store_set_error (error, db, rc, "Could not read the database");
      sqlite3_close (db);
      return NULL;
    }

  return db;
}

static char *
move_aside (const char  *path,
            GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *aside = g_strdup_printf ("%s.corrupt-%s", path, stamp);
  static const char * const suffixes[] = { "-wal", "-shm", "-journal" };

  if (g_rename (path, aside) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not move the damaged database aside: %s",
                   g_strerror (saved_errno));
      return NULL;
    }

  /* A WAL left by the damaged file must never be replayed into the new one. */
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (aside, suffixes[i], NULL);

      if (g_file_test (from, G_FILE_TEST_EXISTS))
        g_rename (from, to);
    }

  return g_steal_pointer (&aside);
}

static gboolean
ensure_parent (const char  *path,
               GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the folder %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

void
_astro_store_emit_rows_changed (AstroStore       *self,
                                AstroRowsChanged *changes)
{
  g_signal_emit (self, signals[ROWS_CHANGED], g_quark_from_string (changes->table), changes);
}

/*
 * GObject overrides
 */

static void
astro_store_finalize (GObject *object)
{
  AstroStore *self = (AstroStore *) object;

  /* queued writes still run: a batch handed over is a batch written */
  if (self->writes != NULL)
    g_thread_pool_free (g_steal_pointer (&self->writes), FALSE, TRUE);
  _astro_store_checkpoint_shutdown (self);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->writer_shortcuts, g_hash_table_unref);
  g_clear_pointer (&self->writer_statements, g_hash_table_unref);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->writer, sqlite3_close);
  g_clear_pointer (&self->reader_statements, g_hash_table_unref);
  g_clear_pointer (&self->reader, sqlite3_close);
  g_mutex_clear (&self->reader_lock);
  g_mutex_clear (&self->writer_lock);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->recovered_path, g_free);

  G_OBJECT_CLASS (astro_store_parent_class)->finalize (object);
}

static void
astro_store_class_init (AstroStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = astro_store_finalize;

  /**
   * AstroStore::rows-changed:
   * @changes: the keys inserted, updated and deleted in one table
   *
   * Emitted on the main context after a batch committed, once per table,
   * detailed with the table's name.
   */
  signals [ROWS_CHANGED] =
    g_signal_new ("rows-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, ASTRO_TYPE_ROWS_CHANGED);
}

static void
astro_store_init (AstroStore *self)
{
  g_mutex_init (&self->writer_lock);
  g_mutex_init (&self->reader_lock);
  self->main_context = g_main_context_ref_thread_default ();
  self->statements = _astro_store_statement_cache_new ();
}


/*
 * Public API
 */

char *
astro_store_default_path (void)
{
  const char *override = g_getenv ("ASTROLABE_DB");

  if (override != NULL && override[0] != '\0')
    return g_strdup (override);

  return g_build_filename (g_get_user_data_dir (), "astrolabe", "astrolabe.db", NULL);
}

/**
 * astro_store_open:
 * @path: the database file; created if missing
 *
 * A file that is not a database, or whose schema is damaged, is moved aside
 * and replaced by a fresh one: astro_store_get_recovered_path() then says
 * where it went, so the user can be told. A file made by an older Astrolabe
 * is copied aside and migrated; if that fails it is left as it was.
 */
AstroStore *
astro_store_open (const char  *path,
                  GError     **error)
{
  g_autoptr(AstroStore) self = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean damaged = FALSE;
  int version;

  g_return_val_if_fail (path != NULL, NULL);

  if (!ensure_parent (path, error))
    return NULL;

  self = g_object_new (ASTRO_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  self->db = _astro_store_open_connection (path, FALSE, &damaged, &local_error);
  if (self->db == NULL && damaged)
    {
      g_warning ("%s is damaged (%s); moving it aside", path, local_error->message);
      self->recovered_path = move_aside (path, error);
      if (self->recovered_path == NULL)
        return NULL;
      g_clear_error (&local_error);
      self->db = _astro_store_open_connection (path, FALSE, &damaged, &local_error);
    }
  if (self->db == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  version = _astro_store_read_version (self->db, error);
  if (version < 0)
    return NULL;

  if (version > astro_store_get_latest_version ())
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_TOO_NEW,
                   "The database %s was made by a newer version of Astrolabe "
                   "(schema %d; this one knows up to %d)",
                   path, version, astro_store_get_latest_version ());
      return NULL;
    }

  if (!_astro_store_migrate (self->db, path, version, astro_store_get_latest_version (), error))
    return NULL;

  self->schema_version = astro_store_get_latest_version ();
  return g_steal_pointer (&self);
}

const char *
astro_store_get_path (AstroStore *self)
{
  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  return self->path;
}

/* Where a damaged database was moved when this store was opened, or NULL. */
const char *
astro_store_get_recovered_path (AstroStore *self)
{
  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  return self->recovered_path;
}

int
astro_store_get_schema_version (AstroStore *self)
{
  g_return_val_if_fail (ASTRO_IS_STORE (self), -1);

  return self->schema_version;
}
