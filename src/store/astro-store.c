/* astro-store.c: opening the file, applying batches, reading synced rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "astro-store-private.h"

enum {
  ROWS_CHANGED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_TYPE (AstroStore, astro_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (astro-store-error-quark, astro_store_error)

/* Bits per key while a batch is applied */
#define KEY_EXISTED 1
#define KEY_PRESENT 2

/* Must match tasks_by_status in astro-store-migrations.c, character for character. */
#define TASK_STATUS_RANK \
  "CASE lower(status) WHEN 'in progress' THEN 0 WHEN 'started' THEN 0" \
  " WHEN 'in review' THEN 1 WHEN 'todo' THEN 2 WHEN 'unstarted' THEN 2" \
  " WHEN 'backlog' THEN 3 WHEN 'triage' THEN 3 WHEN 'done' THEN 4" \
  " WHEN 'completed' THEN 4 WHEN 'canceled' THEN 5 WHEN 'cancelled' THEN 5" \
  " ELSE 6 END"
#define TASK_PRIORITY_RANK "coalesce(nullif(CAST(priority AS INTEGER), 0), 5)"

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

static GHashTable *
statement_cache_new (void)
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

/* Opens and configures one connection. Reading the schema here is what makes
 * a file that is not a database, or has a damaged header, show itself. */
static sqlite3 *
open_connection (const char  *path,
                 gboolean    *damaged,
                 GError     **error)
{
  sqlite3 *db = NULL;
  int rc;

  *damaged = FALSE;

  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      _astro_store_set_error (error, db, rc, "Could not open the database");
      sqlite3_close (db);
      return NULL;
    }

  sqlite3_extended_result_codes (db, TRUE);
  sqlite3_busy_timeout (db, 5000);

  rc = sqlite3_exec (db,
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

static void
emit_rows_changed (AstroStore       *self,
                   AstroRowsChanged *changes)
{
  g_signal_emit (self, signals[ROWS_CHANGED], g_quark_from_string (changes->table), changes);
}

typedef struct
{
  AstroStore       *store;
  AstroRowsChanged *changes;
} Notification;

static void
notification_free (gpointer data)
{
  Notification *notification = data;

  g_object_unref (notification->store);
  astro_rows_changed_unref (notification->changes);
  g_free (notification);
}

static gboolean
notify_in_main_context (gpointer data)
{
  Notification *notification = data;

  emit_rows_changed (notification->store, notification->changes);
  return G_SOURCE_REMOVE;
}

/* Always through an idle of the main context, even when called on the main
 * thread, so listeners never run in the middle of the writer's work. */
static void
post_rows_changed (AstroStore       *self,
                   AstroRowsChanged *changes)
{
  g_autoptr(GSource) source = g_idle_source_new ();
  Notification *notification = g_new0 (Notification, 1);

  notification->store = g_object_ref (self);
  notification->changes = astro_rows_changed_ref (changes);

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, notify_in_main_context, notification, notification_free);
  g_source_set_static_name (source, "[astro] rows-changed");
  g_source_attach (source, self->main_context);
}

static gboolean
ensure_writer (AstroStore  *self,
               GError     **error)
{
  gboolean damaged;

  if (self->writer != NULL)
    return TRUE;

  self->writer = open_connection (self->path, &damaged, error);
  if (self->writer == NULL)
    return FALSE;

  self->writer_statements = statement_cache_new ();
  return TRUE;
}

static sqlite3_stmt *
writer_statement (AstroStore       *self,
                  const AstroTable *table,
                  char              kind,
                  guint32           mask,
                  GError          **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);

  /* Parameter ?N always carries column N-1, whatever the statement. */
  switch (kind)
    {
    case 'i': /* insert a new row, leave an existing one alone */
      g_string_append_printf (sql, "INSERT INTO %s (", table->name);
      for (guint i = 0; i < table->n_columns; i++)
        g_string_append_printf (sql, "%s%s", i ? ", " : "", table->columns[i]);
      g_string_append (sql, ") VALUES (");
      for (guint i = 0; i < table->n_columns; i++)
        g_string_append_printf (sql, "%s?%u", i ? ", " : "", i + 1);
      g_string_append (sql, ") ON CONFLICT (id) DO NOTHING");
      break;

    case 'r': /* replace every column of an existing row */
      g_string_append_printf (sql, "UPDATE %s SET ", table->name);
      for (guint i = 1; i < table->n_columns; i++)
        g_string_append_printf (sql, "%s%s = ?%u", i > 1 ? ", " : "", table->columns[i], i + 1);
      g_string_append (sql, " WHERE id = ?1");
      break;

    case 'u': /* merge the given columns */
      g_string_append_printf (sql, "UPDATE %s SET ", table->name);
      for (guint i = 1, n = 0; i < table->n_columns; i++)
        if (mask & (1u << i))
          g_string_append_printf (sql, "%s%s = ?%u", n++ ? ", " : "", table->columns[i], i + 1);
      g_string_append (sql, " WHERE id = ?1");
      break;

    case 'p': /* an update for a row we do not have: keep what it carries */
      g_string_append_printf (sql, "INSERT INTO %s (id", table->name);
      for (guint i = 1; i < table->n_columns; i++)
        if (mask & (1u << i))
          g_string_append_printf (sql, ", %s", table->columns[i]);
      g_string_append (sql, ") VALUES (?1");
      for (guint i = 1; i < table->n_columns; i++)
        if (mask & (1u << i))
          g_string_append_printf (sql, ", ?%u", i + 1);
      g_string_append (sql, ") ON CONFLICT (id) DO NOTHING");
      break;

    case 'd':
      g_string_append_printf (sql, "DELETE FROM %s WHERE id = ?1", table->name);
      break;

    default:
      g_assert_not_reached ();
    }

  return _astro_store_prepare (self->writer, self->writer_statements, sql->str, error);
}

static int
bind_and_step (sqlite3_stmt *stmt,
               guint32       mask,
               char * const *values,
               guint         n_columns)
{
  int rc;

  for (guint i = 0; i < n_columns; i++)
    if (mask & (1u << i))
      {
        rc = values[i] != NULL
          ? sqlite3_bind_text (stmt, i + 1, values[i], -1, SQLITE_STATIC)
          : sqlite3_bind_null (stmt, i + 1);
        if (rc != SQLITE_OK)
          return rc;
      }

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Runs one statement and says whether it changed a row. */
static gboolean
run_change (AstroStore       *self,
            const AstroTable *table,
            char              kind,
            guint32           mask,
            guint32           bind_mask,
            char * const     *values,
            gboolean         *changed,
            GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = writer_statement (self, table, kind, mask, error);
  if (stmt == NULL)
    return FALSE;

  rc = bind_and_step (stmt, bind_mask, values, table->n_columns);
  if (rc != SQLITE_OK)
    return _astro_store_set_error (error, self->writer, rc, "Could not apply a change");

  *changed = sqlite3_changes (self->writer) > 0;
  return TRUE;
}

static void
mark_key (GHashTable *keys,
          const char *key,
          gboolean    existed,
          gboolean    present)
{
  gpointer value;
  guint flags;

  if (g_hash_table_lookup_extended (keys, key, NULL, &value))
    flags = (GPOINTER_TO_UINT (value) & KEY_EXISTED) | (present ? KEY_PRESENT : 0);
  else
    flags = (existed ? KEY_EXISTED : 0) | (present ? KEY_PRESENT : 0);

  g_hash_table_insert (keys, g_strdup (key), GUINT_TO_POINTER (flags));
}

static gboolean
apply_change (AstroStore       *self,
              const AstroTable *table,
              AstroChangeKind   kind,
              guint32           present,
              char * const     *values,
              GHashTable       *keys,
              GError          **error)
{
  guint32 all = (table->n_columns >= 32) ? G_MAXUINT32 : ((1u << table->n_columns) - 1);
  const char *key = values[0];
  gboolean changed = FALSE;

  if (!(present & 1u) || key == NULL)
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
                   "A change to %s has no id", table->name);
      return FALSE;
    }

  switch (kind)
    {
    case ASTRO_CHANGE_INSERT:
      if (!run_change (self, table, 'i', 0, all, values, &changed, error))
        return FALSE;
      if (changed)
        {
          mark_key (keys, key, FALSE, TRUE);
          return TRUE;
        }
      if (!run_change (self, table, 'r', 0, all, values, &changed, error))
        return FALSE;
      mark_key (keys, key, TRUE, TRUE);
      return TRUE;

    case ASTRO_CHANGE_UPDATE:
      if ((present & ~1u) != 0)
        {
          if (!run_change (self, table, 'u', present, present, values, &changed, error))
            return FALSE;
          if (changed)
            {
              mark_key (keys, key, TRUE, TRUE);
              return TRUE;
            }
        }
      /* A row we do not have keeps what the update carries, as the official
       * client's materialized shape does; an existing row is left alone. */
      if (!run_change (self, table, 'p', present, present, values, &changed, error))
        return FALSE;
      if (changed)
        mark_key (keys, key, FALSE, TRUE);
      return TRUE;

    case ASTRO_CHANGE_DELETE:
      if (!run_change (self, table, 'd', 1u, 1u, values, &changed, error))
        return FALSE;
      mark_key (keys, key, changed, FALSE);
      return TRUE;

    default:
      g_assert_not_reached ();
    }

  return FALSE;
}

static gboolean
load_keys (sqlite3          *db,
           const AstroTable *table,
           GHashTable       *keys,
           GError          **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT id FROM %s", table->name);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_hash_table_add (keys, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    return _astro_store_set_error (error, db, rc, "Could not read existing rows");

  return TRUE;
}

static gint64
count_rows (sqlite3     *db,
            const char  *table,
            GError     **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3_stmt *stmt = NULL;
  gint64 count = -1;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    _astro_store_set_error (error, db, rc, "Could not count rows");
  sqlite3_finalize (stmt);

  return count;
}

static gboolean
read_row_count (AstroStore  *self,
                const char  *shape,
                gint64      *count,
                GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = _astro_store_prepare (self->writer, self->writer_statements,
                               "SELECT row_count FROM sync_state WHERE shape = ?1", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, shape, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  *count = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
  sqlite3_reset (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not read the sync state");

  return TRUE;
}

static gboolean
save_state (AstroStore            *self,
            const AstroShapeState *state,
            gint64                 row_count,
            GError               **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = _astro_store_prepare (self->writer, self->writer_statements,
                               "INSERT INTO sync_state (shape, definition, handle, shape_offset,"
                               " schema, last_up_to_date, row_count, last_error)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                               " ON CONFLICT (shape) DO UPDATE SET"
                               " definition = excluded.definition, handle = excluded.handle,"
                               " shape_offset = excluded.shape_offset,"
                               " schema = coalesce(excluded.schema, schema),"
                               " last_up_to_date = excluded.last_up_to_date,"
                               " row_count = excluded.row_count,"
                               " last_error = excluded.last_error",
                               error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, state->shape, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, state->definition, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, state->handle, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, state->offset, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, state->schema, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, state->last_up_to_date);
  sqlite3_bind_int64 (stmt, 7, row_count);
  sqlite3_bind_text (stmt, 8, state->last_error, -1, SQLITE_STATIC);

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not save the sync state");

  return TRUE;
}

static AstroRowsChanged *
collect_changes (const AstroTable *table,
                 GHashTable       *keys)
{
  AstroRowsChanged *changes = astro_rows_changed_new (table->name);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint flags = GPOINTER_TO_UINT (value);
      gboolean existed = (flags & KEY_EXISTED) != 0;
      gboolean present = (flags & KEY_PRESENT) != 0;

      if (existed && present)
        g_ptr_array_add (changes->updated, g_strdup (key));
      else if (existed)
        g_ptr_array_add (changes->deleted, g_strdup (key));
      else if (present)
        g_ptr_array_add (changes->inserted, g_strdup (key));
    }

  return changes;
}

static gboolean
apply_locked (AstroStore        *self,
              AstroBatch        *batch,
              AstroRowsChanged **out_changes,
              GError           **error)
{
  const AstroTable *table = astro_batch_get_table (batch);
  const AstroShapeState *state = astro_batch_get_state (batch);
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) stale = NULL;
  g_autoptr(AstroRowsChanged) changes = NULL;
  guint n = astro_batch_get_n_changes (batch);
  gint64 row_count = -1;

  if (astro_batch_get_reset (batch))
    {
      stale = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if (!load_keys (self->writer, table, stale, error))
        return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      AstroChangeKind kind;
      guint32 present;
      char * const *values;

      astro_batch_get_change (batch, i, &kind, &present, &values);
      if (!apply_change (self, table, kind, present, values, keys, error))
        return FALSE;
      if (stale != NULL && values[0] != NULL)
        g_hash_table_remove (stale, values[0]);
    }

  if (stale != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, stale);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          char *values[ASTRO_TABLE_MAX_COLUMNS] = { key, };
          gboolean changed;

          if (!run_change (self, table, 'd', 1u, 1u, values, &changed, error))
            return FALSE;
          mark_key (keys, key, TRUE, FALSE);
        }
    }

  changes = collect_changes (table, keys);

  if (state != NULL)
    {
      if (stale == NULL && !read_row_count (self, state->shape, &row_count, error))
        return FALSE;

      if (row_count < 0)
        row_count = count_rows (self->writer, table->name, error);
      else
        row_count += (gint64) changes->inserted->len - (gint64) changes->deleted->len;

      if (row_count < 0 || !save_state (self, state, row_count, error))
        return FALSE;
    }

  *out_changes = g_steal_pointer (&changes);
  return TRUE;
}

/*
 * GObject overrides
 */

static void
astro_store_finalize (GObject *object)
{
  AstroStore *self = (AstroStore *) object;

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->writer_statements, g_hash_table_unref);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->writer, sqlite3_close);
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
  self->main_context = g_main_context_ref_thread_default ();
  self->statements = statement_cache_new ();
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

  self->db = open_connection (path, &damaged, &local_error);
  if (self->db == NULL && damaged)
    {
      g_warning ("%s is damaged (%s); moving it aside", path, local_error->message);
      self->recovered_path = move_aside (path, error);
      if (self->recovered_path == NULL)
        return NULL;
      g_clear_error (&local_error);
      self->db = open_connection (path, &damaged, &local_error);
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

/**
 * astro_store_apply_batch:
 *
 * Applies every change of @batch and, if it has one, its shape state, in one
 * transaction: both land or neither does. Safe to call from one thread other
 * than the main one.
 */
gboolean
astro_store_apply_batch (AstroStore  *self,
                         AstroBatch  *batch,
                         GError     **error)
{
  g_autoptr(AstroRowsChanged) changes = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  locker = g_mutex_locker_new (&self->writer_lock);

  if (!ensure_writer (self, error))
    return FALSE;

  if (!_astro_store_exec (self->writer, "BEGIN IMMEDIATE", error))
    return FALSE;

  if (!apply_locked (self, batch, &changes, &local_error) ||
      !_astro_store_exec (self->writer, "COMMIT", &local_error))
    {
      _astro_store_exec (self->writer, "ROLLBACK", NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!astro_rows_changed_is_empty (changes))
    post_rows_changed (self, changes);

  return TRUE;
}

/* Sign-out: every synced row and every shape's state go, local_repos stays. */
gboolean
astro_store_clear_synced (AstroStore  *self,
                          GError     **error)
{
  g_autoptr(GPtrArray) all_changes = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_rows_changed_unref);
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GError) local_error = NULL;
  const AstroTable * const *tables;
  guint n_tables;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);

  locker = g_mutex_locker_new (&self->writer_lock);

  if (!ensure_writer (self, error) ||
      !_astro_store_exec (self->writer, "BEGIN IMMEDIATE", error))
    return FALSE;

  tables = astro_table_all (&n_tables);
  for (guint i = 0; i < n_tables && local_error == NULL; i++)
    {
      AstroRowsChanged *changes = astro_rows_changed_new (tables[i]->name);
      g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_autofree char *sql = g_strdup_printf ("DELETE FROM %s", tables[i]->name);
      GHashTableIter iter;
      gpointer key;

      g_ptr_array_add (all_changes, changes);
      if (!load_keys (self->writer, tables[i], keys, &local_error) ||
          !_astro_store_exec (self->writer, sql, &local_error))
        break;

      g_hash_table_iter_init (&iter, keys);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (changes->deleted, g_strdup (key));
    }

  if (local_error != NULL ||
      !_astro_store_exec (self->writer, "DELETE FROM sync_state", &local_error) ||
      !_astro_store_exec (self->writer, "COMMIT", &local_error))
    {
      _astro_store_exec (self->writer, "ROLLBACK", NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  for (guint i = 0; i < all_changes->len; i++)
    if (!astro_rows_changed_is_empty (g_ptr_array_index (all_changes, i)))
      post_rows_changed (self, g_ptr_array_index (all_changes, i));

  return TRUE;
}

static gboolean
known_table (const char  *table,
             GError     **error)
{
  if (astro_table_lookup (table) != NULL)
    return TRUE;

  g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
               "No synced table is called “%s”", table);
  return FALSE;
}

gint64
astro_store_count_rows (AstroStore  *self,
                        const char  *table,
                        GError     **error)
{
  g_return_val_if_fail (ASTRO_IS_STORE (self), -1);
  g_return_val_if_fail (table != NULL, -1);

  /* local tables are countable too, for `astrolabe-ctl db info` */
  if (astro_table_lookup (table) == NULL)
    {
      g_autoptr(GPtrArray) local = astro_store_list_local_tables ();
      gboolean found = FALSE;

      for (guint i = 0; i < local->len; i++)
        found |= g_str_equal (g_ptr_array_index (local, i), table);
      if (!found)
        return known_table (table, error) ? 0 : -1;
    }

  return count_rows (self->db, table, error);
}

static AstroRow *
row_from_statement (const AstroTable *table,
                    sqlite3_stmt     *stmt)
{
  AstroRow *row = astro_row_new (table);

  for (guint i = 0; i < table->n_columns; i++)
    {
      const char *text = (const char *) sqlite3_column_text (stmt, i);

      if (text != NULL)
        astro_row_take_nth (row, i, g_strdup (text));
    }

  return row;
}

static char *
select_columns (const AstroTable *table)
{
  g_autoptr(GString) sql = g_string_new ("SELECT ");

  for (guint i = 0; i < table->n_columns; i++)
    g_string_append_printf (sql, "%s%s", i ? ", " : "", table->columns[i]);
  g_string_append_printf (sql, " FROM %s", table->name);

  return g_string_free (g_steal_pointer (&sql), FALSE);
}

AstroRow *
astro_store_get_row (AstroStore  *self,
                     const char  *table_name,
                     const char  *id,
                     GError     **error)
{
  const AstroTable *table;
  g_autofree char *columns = NULL;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  AstroRow *row = NULL;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (table_name != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  if (!known_table (table_name, error))
    return NULL;

  table = astro_table_lookup (table_name);
  columns = select_columns (table);
  sql = g_strdup_printf ("%s WHERE id = ?1", columns);
  stmt = _astro_store_prepare (self->db, self->statements, sql, error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    row = row_from_statement (table, stmt);
  else if (rc != SQLITE_DONE)
    _astro_store_set_error (error, self->db, rc, "Could not read a row");
  sqlite3_reset (stmt);

  return row;
}

/**
 * astro_store_list_rows:
 * @column: (nullable): a column to filter on, or %NULL for every row
 * @value: (nullable): the value it must have; %NULL means IS NULL
 *
 * Returns: (transfer full): the rows, in no promised order beyond by id
 */
GPtrArray *
astro_store_list_rows (AstroStore  *self,
                       const char  *table_name,
                       const char  *column,
                       const char  *value,
                       GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_row_unref);
  const AstroTable *table;
  g_autofree char *columns = NULL;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (table_name != NULL, NULL);

  if (!known_table (table_name, error))
    return NULL;

  table = astro_table_lookup (table_name);
  if (column != NULL && astro_table_column_index (table, column) < 0)
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
                   "The table %s has no column “%s”", table_name, column);
      return NULL;
    }

  columns = select_columns (table);
  if (column == NULL)
    sql = g_strdup_printf ("%s ORDER BY id", columns);
  else if (value == NULL)
    sql = g_strdup_printf ("%s WHERE %s IS NULL ORDER BY id", columns, column);
  else
    sql = g_strdup_printf ("%s WHERE %s = ?1 ORDER BY id", columns, column);

  stmt = _astro_store_prepare (self->db, self->statements, sql, error);
  if (stmt == NULL)
    return NULL;

  if (column != NULL && value != NULL)
    sqlite3_bind_text (stmt, 1, value, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, row_from_statement (table, stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not read rows");
      return NULL;
    }

  return g_steal_pointer (&rows);
}

static char *
like_pattern (const char *search)
{
  g_autoptr(GString) pattern = g_string_new ("%");

  for (const char *p = search; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');

  return g_string_free (g_steal_pointer (&pattern), FALSE);
}

/**
 * astro_store_list_task_ids:
 *
 * Filters and sorts in SQL, so a list of 100,000 tasks needs their ids only.
 * Deleted tasks (deleted_at set) are never listed.
 *
 * Returns: (transfer full) (element-type utf8): the ids in display order
 */
GPtrArray *
astro_store_list_task_ids (AstroStore             *self,
                           const AstroTaskFilter  *filter,
                           GError                **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) sql = g_string_new ("SELECT id FROM tasks WHERE deleted_at IS NULL");
  g_autofree char *pattern = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (filter != NULL, NULL);

  if (filter->organization_id != NULL)
    g_string_append (sql, " AND organization_id = ?1");
  if (filter->status != NULL)
    g_string_append (sql, " AND status = ?2");
  if (filter->priority >= 0)
    g_string_append (sql, " AND CAST(priority AS INTEGER) = ?3");
  if (filter->assignee_id != NULL)
    g_string_append (sql, filter->assignee_id[0] ? " AND assignee_id = ?4" : " AND assignee_id IS NULL");
  if (filter->search != NULL && filter->search[0] != '\0')
    {
      pattern = like_pattern (filter->search);
      g_string_append (sql, " AND (external_key LIKE ?5 ESCAPE '\\' OR title LIKE ?5 ESCAPE '\\')");
    }

  switch (filter->sort)
    {
    case ASTRO_TASK_SORT_UPDATED:
      g_string_append (sql, " ORDER BY organization_id, updated_at DESC, id");
      break;

    case ASTRO_TASK_SORT_STATUS:
    default:
      g_string_append (sql, " ORDER BY organization_id, " TASK_STATUS_RANK ", "
                       TASK_PRIORITY_RANK ", updated_at DESC, id");
      break;
    }

  stmt = _astro_store_prepare (self->db, self->statements, sql->str, error);
  if (stmt == NULL)
    return NULL;

  if (filter->organization_id != NULL)
    sqlite3_bind_text (stmt, 1, filter->organization_id, -1, SQLITE_STATIC);
  if (filter->status != NULL)
    sqlite3_bind_text (stmt, 2, filter->status, -1, SQLITE_STATIC);
  if (filter->priority >= 0)
    sqlite3_bind_int (stmt, 3, filter->priority);
  if (filter->assignee_id != NULL && filter->assignee_id[0])
    sqlite3_bind_text (stmt, 4, filter->assignee_id, -1, SQLITE_STATIC);
  if (pattern != NULL)
    sqlite3_bind_text (stmt, 5, pattern, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not list tasks");
      return NULL;
    }

  return g_steal_pointer (&ids);
}
