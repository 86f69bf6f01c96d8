/* astro-store-apply.c: writing synced rows and their shape state, then telling
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include "astro-store-private.h"
#include "astro-thread.h"


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

  _astro_store_emit_rows_changed (notification->store, notification->changes);
  return G_SOURCE_REMOVE;
}

/* Always through the main context, even when called on the main thread, so
 * listeners never run in the middle of the writer's work. */
void
_astro_store_post_rows_changed (AstroStore       *self,
                                AstroRowsChanged *changes)
{
  Notification *notification = g_new0 (Notification, 1);

  notification->store = g_object_ref (self);
  notification->changes = astro_rows_changed_ref (changes);

  /* the writer runs at a lower priority: see astro_thread_post() */
  astro_thread_post (self->main_context, notify_in_main_context, notification, notification_free);
}

gboolean
_astro_store_ensure_writer (AstroStore  *self,
                            GError     **error)
{
  gboolean damaged;

  if (self->writer != NULL)
    return TRUE;

  self->writer = _astro_store_open_connection (self->path, TRUE, &damaged, error);
  if (self->writer == NULL)
    return FALSE;

  /* A chunk of a first sync dirties more pages than SQLite's default 2 MB
   * cache holds; spilling them mid-transaction writes them twice. */
  sqlite3_exec (self->writer, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
  _astro_store_checkpoint_init (self);
  self->writer_statements = _astro_store_statement_cache_new ();
  self->writer_shortcuts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  return TRUE;
}

static sqlite3_stmt *
build_statement (AstroStore       *self,
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

/* One lookup per change, without building the SQL text again: a 100,000-row
 * sync asks this 100,000 times. */
static sqlite3_stmt *
writer_statement (AstroStore       *self,
                  const AstroTable *table,
                  char              kind,
                  guint32           mask,
                  GError          **error)
{
  const AstroTable * const *tables;
  guint n_tables, index = 0;
  sqlite3_stmt *stmt;
  gint64 key;

  tables = astro_table_all (&n_tables);
  while (index < n_tables && tables[index] != table)
    index++;

  key = ((gint64) kind << 48) | ((gint64) index << 32) | mask;
  stmt = g_hash_table_lookup (self->writer_shortcuts, &key);
  if (stmt != NULL)
    return stmt;

  stmt = build_statement (self, table, kind, mask, error);
  if (stmt != NULL)
    g_hash_table_insert (self->writer_shortcuts, g_memdup2 (&key, sizeof key), stmt);

  return stmt;
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

  /* No sqlite3_clear_bindings(): a statement is only ever run with the same
   * columns bound (its key includes them), so each run binds every one anew. */
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
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

/* @keys owns its keys (g_free): the overlay marks keys it read and freed. */
void
_astro_store_mark_key (GHashTable *keys,
                       const char *key,
                       gboolean    existed,
                       gboolean    present)
{
  gpointer value;
  guint flags;

  /* a key seen before keeps whether it existed before the batch */
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
          _astro_store_mark_key (keys, key, FALSE, TRUE);
          return TRUE;
        }
      if (!run_change (self, table, 'r', 0, all, values, &changed, error))
        return FALSE;
      _astro_store_mark_key (keys, key, TRUE, TRUE);
      return TRUE;

    case ASTRO_CHANGE_UPDATE:
      if ((present & ~1u) != 0)
        {
          if (!run_change (self, table, 'u', present, present, values, &changed, error))
            return FALSE;
          if (changed)
            {
              _astro_store_mark_key (keys, key, TRUE, TRUE);
              return TRUE;
            }
        }
      /* A row we do not have keeps what the update carries, as the official
       * client's materialized shape does; an existing row is left alone. */
      if (!run_change (self, table, 'p', present, present, values, &changed, error))
        return FALSE;
      if (changed)
        _astro_store_mark_key (keys, key, FALSE, TRUE);
      return TRUE;

    case ASTRO_CHANGE_DELETE:
      if (!run_change (self, table, 'd', 1u, 1u, values, &changed, error))
        return FALSE;
      _astro_store_mark_key (keys, key, changed, FALSE);
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
              AstroRowsChanged **out_outbox,
              GError           **error)
{
  g_autoptr(AstroOverlayRun) overlay = NULL;
  const AstroTable *table = astro_batch_get_table (batch);
  const AstroShapeState *state = astro_batch_get_state (batch);
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) stale = NULL;
  g_autoptr(AstroRowsChanged) changes = NULL;
  guint n = astro_batch_get_n_changes (batch);
  gint64 row_count = -1;

  /* Rows with pending writes of ours go back to their synced values first,
   * so the batch applies to what the server had, not to our overlay. */
  if (!_astro_store_overlay_begin (self, batch, keys, &overlay, error))
    return FALSE;

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
          _astro_store_mark_key (keys, key, TRUE, FALSE);
        }
    }

  if (!_astro_store_overlay_finish (self, overlay, batch, keys, out_outbox, error))
    return FALSE;

  changes = collect_changes (table, keys);

  if (state != NULL)
    {
      if (stale == NULL && !read_row_count (self, state->shape, &row_count, error))
        return FALSE;

      if (row_count < 0)
        row_count = _astro_store_count_rows (self->writer, table->name, error);
      else
        row_count += (gint64) changes->inserted->len - (gint64) changes->deleted->len;

      if (row_count < 0 || !save_state (self, state, row_count, error))
        return FALSE;
    }

  *out_changes = g_steal_pointer (&changes);
  return TRUE;
}


/*
 * Public API
 */

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
  g_autoptr(AstroRowsChanged) outbox = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  locker = g_mutex_locker_new (&self->writer_lock);

  if (!_astro_store_ensure_writer (self, error))
    return FALSE;

  if (!_astro_store_exec (self->writer, "BEGIN IMMEDIATE", error))
    return FALSE;

  if (!apply_locked (self, batch, &changes, &outbox, &local_error) ||
      !_astro_store_exec (self->writer, "COMMIT", &local_error))
    {
      _astro_store_exec (self->writer, "ROLLBACK", NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!astro_rows_changed_is_empty (changes))
    _astro_store_post_rows_changed (self, changes);
  if (outbox != NULL && !astro_rows_changed_is_empty (outbox))
    _astro_store_post_rows_changed (self, outbox);

  return TRUE;
}

typedef struct
{
  char *key;
  char *value;
} Setting;

static void
setting_free (gpointer data)
{
  Setting *setting = data;

  g_free (setting->key);
  g_free (setting->value);
  g_free (setting);
}

static gint64
write_setting (AstroStore  *self,
               gpointer     data,
               GError     **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->writer_lock);
  const Setting *setting = data;

  if (!_astro_store_ensure_writer (self, error))
    return 0;

  return _astro_store_write_setting (self->writer, self->writer_statements,
                                     setting->key, setting->value, error) ? 1 : 0;
}

typedef struct
{
  AstroStoreWriteFunc func;
  gpointer            data;
  GDestroyNotify      destroy;
} Write;

static void
write_free (gpointer data)
{
  Write *write = data;

  if (write->destroy != NULL)
    write->destroy (write->data);
  g_free (write);
}

typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean reached;
} Barrier;

static void
write_in_thread (gpointer data,
                 gpointer user_data)
{
  g_autoptr(GTask) task = data;
  AstroStore *self = user_data;
  GError *error = NULL;
  gpointer tag = g_task_get_source_tag (task);
  gint64 written;

  if (self->background)
    astro_thread_lower_priority ();

  if (tag == astro_store_wait_for_writes)
    {
      Barrier *barrier = g_task_get_task_data (task);

      /* the barrier is on the waiting thread's stack: done with it first */
      astro_thread_return_boolean (task, TRUE);
      g_mutex_lock (&barrier->lock);
      barrier->reached = TRUE;
      g_cond_signal (&barrier->cond);
      g_mutex_unlock (&barrier->lock);
      return;
    }

  if (tag == astro_store_write_async)
    {
      Write *write = g_task_get_task_data (task);

      written = write->func (self, write->data, &error);
    }
  else
    written = astro_store_apply_batch (self, g_task_get_task_data (task), &error);

  if (error == NULL)
    astro_thread_return_int (task, written);
  else
    astro_thread_return_error (task, error);
}

static GQuark
write_order_quark (void)
{
  return g_quark_from_static_string ("astro-write-order");
}

/* A person's writes (a setting, a change to send) go before the sync's
 * batches waiting: a batch of a first sync holds the database for hundreds
 * of milliseconds. Each kind keeps its own order. */
static gint
compare_writes (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  GTask *first = (GTask *) a;
  GTask *second = (GTask *) b;
  guint first_order, second_order;

  if (g_task_get_priority (first) != g_task_get_priority (second))
    return g_task_get_priority (first) < g_task_get_priority (second) ? -1 : 1;

  first_order = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (first), write_order_quark ()));
  second_order = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (second), write_order_quark ()));
  return first_order < second_order ? -1 : first_order > second_order;
}

static void
push_write (AstroStore *self,
            GTask      *task)
{
  static guint order;
  g_autoptr(GError) error = NULL;

  if (g_once_init_enter (&self->writes))
    {
      /* exclusive: see astro_store_set_background() */
      GThreadPool *pool = g_thread_pool_new (write_in_thread, self, 1, TRUE, &error);

      if (pool == NULL)
        g_error ("Could not start the thread that writes the database: %s", error->message);
      g_thread_pool_set_sort_function (pool, compare_writes, NULL);
      g_once_init_leave (&self->writes, pool);
    }

  g_object_set_qdata (G_OBJECT (task), write_order_quark (),
                      GUINT_TO_POINTER (g_atomic_int_add (&order, 1) + 1));
  g_thread_pool_push (self->writes, task, NULL);
}

/**
 * astro_store_write_async:
 * @func: runs on the store's writing thread, with @data; it may call the
 *   store's writing functions (they take the writer's lock themselves)
 * @callback: runs in the caller's thread-default main context
 *
 * Runs a write of the person using the app (an outbox change) on the
 * writing thread, before the sync's batches still waiting, so that the
 * main thread never waits for a batch's transaction to end.
 */
void
astro_store_write_async (AstroStore          *self,
                         AstroStoreWriteFunc  func,
                         gpointer             data,
                         GDestroyNotify       destroy,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;
  Write *write;

  g_return_if_fail (ASTRO_IS_STORE (self));
  g_return_if_fail (func != NULL);

  write = g_new0 (Write, 1);
  write->func = func;
  write->data = data;
  write->destroy = destroy;

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, astro_store_write_async);
  g_task_set_priority (task, G_PRIORITY_HIGH);
  g_task_set_task_data (task, write, write_free);
  push_write (self, task);
}

/**
 * astro_store_wait_for_writes:
 *
 * Blocks until the writes given to astro_store_write_async() so far are
 * stored (not the sync's batches waiting behind them). Their callbacks
 * still run later, in their main context. For a process about to end,
 * which would otherwise lose them: an outbox write's new state, say.
 */
void
astro_store_wait_for_writes (AstroStore *self)
{
  Barrier barrier = { 0, };
  GTask *task;

  g_return_if_fail (ASTRO_IS_STORE (self));

  if (g_atomic_pointer_get (&self->writes) == NULL)
    return;

  g_mutex_init (&barrier.lock);
  g_cond_init (&barrier.cond);

  /* after every person's write queued, before any batch */
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, astro_store_wait_for_writes);
  g_task_set_priority (task, G_PRIORITY_HIGH);
  g_task_set_task_data (task, &barrier, NULL);
  push_write (self, task);

  g_mutex_lock (&barrier.lock);
  while (!barrier.reached)
    g_cond_wait (&barrier.cond, &barrier.lock);
  g_mutex_unlock (&barrier.lock);

  g_mutex_clear (&barrier.lock);
  g_cond_clear (&barrier.cond);
}

/**
 * astro_store_write_finish:
 *
 * Returns: what the write's function returned; with @error set, 0
 */
gint64
astro_store_write_finish (AstroStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  gint64 written;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  written = g_task_propagate_int (G_TASK (result), error);
  return written < 0 ? 0 : written;
}

static void
on_setting_written_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  astro_store_write_finish (ASTRO_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("%s", error->message);
}

/**
 * astro_store_set_setting_async:
 * @value: (nullable): %NULL removes the setting
 *
 * astro_store_set_setting() on the writing thread, before the batches
 * waiting: a window's choice (the active organization) is then kept without
 * waiting for a sync's transaction to end. A failure is logged.
 */
void
astro_store_set_setting_async (AstroStore *self,
                               const char *key,
                               const char *value)
{
  Setting *setting;

  g_return_if_fail (ASTRO_IS_STORE (self));
  g_return_if_fail (key != NULL);

  setting = g_new0 (Setting, 1);
  setting->key = g_strdup (key);
  setting->value = g_strdup (value);
  astro_store_write_async (self, write_setting, setting, setting_free, on_setting_written_cb, NULL);
}

/**
 * astro_store_apply_batch_async:
 *
 * Applies @batch on the store's own writing thread, one batch after the
 * other in the order given; @callback runs in the caller's thread-default
 * main context. The batch must not change until then.
 */
void
astro_store_apply_batch_async (AstroStore          *self,
                               AstroBatch          *batch,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ASTRO_IS_STORE (self));
  g_return_if_fail (batch != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, astro_store_apply_batch_async);
  g_task_set_task_data (task, astro_batch_ref (batch), (GDestroyNotify) astro_batch_unref);
  push_write (self, g_steal_pointer (&task));
}

gboolean
astro_store_apply_batch_finish (AstroStore    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  /* -1 with an error */
  return g_task_propagate_int (G_TASK (result), error) > 0;
}

/**
 * astro_store_set_background:
 *
 * Asks for the writing and checkpointing threads to run at a lower CPU
 * priority than the rest of the process, so that a window stays responsive
 * while a large sync is written. Call it before the first write. A command
 * line tool leaves it off and syncs at full speed.
 */
void
astro_store_set_background (AstroStore *self,
                            gboolean    background)
{
  g_return_if_fail (ASTRO_IS_STORE (self));

  self->background = !!background;
}

/* Sign-out: every synced row and every shape's state go, and so do the
 * writes not yet sent and the overlay's bases (they were this account's,
 * and must never be sent as the next one's); local_repos stays. */
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

  if (!_astro_store_ensure_writer (self, error) ||
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
      !_astro_store_exec (self->writer, "DELETE FROM outbox", &local_error) ||
      !_astro_store_exec (self->writer, "DELETE FROM overlay_base", &local_error) ||
      !_astro_store_exec (self->writer, "DELETE FROM seen_txids", &local_error) ||
      !_astro_store_exec (self->writer, "COMMIT", &local_error))
    {
      _astro_store_exec (self->writer, "ROLLBACK", NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  for (guint i = 0; i < all_changes->len; i++)
    if (!astro_rows_changed_is_empty (g_ptr_array_index (all_changes, i)))
      _astro_store_post_rows_changed (self, g_ptr_array_index (all_changes, i));

  return TRUE;
}

/* Records a shape's last error without touching its handle, offset or rows.
 * Like batches, from the thread that syncs. */
gboolean
astro_store_set_shape_error (AstroStore  *self,
                             const char  *shape,
                             const char  *message,
                             GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (shape != NULL, FALSE);

  locker = g_mutex_locker_new (&self->writer_lock);
  if (!_astro_store_ensure_writer (self, error))
    return FALSE;

  stmt = _astro_store_prepare (self->writer, self->writer_statements,
                               "INSERT INTO sync_state (shape, last_error) VALUES (?1, ?2)"
                               " ON CONFLICT (shape) DO UPDATE SET last_error = excluded.last_error",
                               error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, shape, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, message, -1, SQLITE_STATIC);

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not save the sync error");

  return TRUE;
}
