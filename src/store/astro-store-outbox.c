/* astro-store-outbox.c: the outbox table and the optimistic overlay
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How a write shows before the server has it, and never lies about it:
 *
 * - Every write is an `outbox` row first, with `overlay`: the column values
 *   it sets ({column: text|null}, the whole row for a create, NULL for a
 *   delete).
 * - The synced table itself shows the written values, so every read (task
 *   lists sorted in SQL, models, the command line) sees them with no change.
 *   What the server had is kept aside in `overlay_base` (the whole synced
 *   row as JSON, or NULL when the server has no such row) for as long as the
 *   row has any unsettled write; a row "is pending" exactly while it has one.
 * - The row shown is always derived: base, then each unsettled write of that
 *   row (pending, sending or sent) in the order they were made. Nothing is
 *   patched in place, so a refused write in the middle of others is simply
 *   left out, and the others stay.
 * - A shape batch touching such a row is applied to the base, not to the
 *   overlay: the rows go back to their base first, the batch applies, the new
 *   base is taken, and the row is derived again, all in the batch's own
 *   transaction.
 * - A write settles in the transaction of the batch that carries its txid
 *   (its change is in the base by then), or of a refetched snapshot asked for
 *   after its answer. An answer that arrives after its txid was applied
 *   (seen_txids) settles at once. When the last write of a row settles, the
 *   row is its base again and the base record goes.
 *
 * All of it runs on the writer connection under writer_lock, whichever
 * thread calls.
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include "astro-store-private.h"

#define UNSETTLED "('" ASTRO_OUTBOX_PENDING "', '" ASTRO_OUTBOX_SENDING "', '" ASTRO_OUTBOX_SENT "')"

/* txids applied are remembered this long, for answers slower than their change */
#define SEEN_TXIDS_KEEP_US ((gint64) G_USEC_PER_SEC * 3600)

struct _AstroOverlayRun
{
  const AstroTable *table;
  GHashTable       *restored;  /* row ids put back to their base before the batch */
};

/*
 * Entries
 */

AstroOutboxEntry *
astro_outbox_entry_new (void)
{
  return g_new0 (AstroOutboxEntry, 1);
}

void
astro_outbox_entry_free (AstroOutboxEntry *self)
{
  if (self == NULL)
    return;

  g_free (self->idempotency_key);
  g_free (self->method);
  g_free (self->path);
  g_free (self->payload);
  g_free (self->row_table);
  g_free (self->row_id);
  g_free (self->overlay);
  g_free (self->state);
  g_free (self->last_error);
  g_free (self->txid);
  g_free (self->created_at);
  g_free (self);
}

const char *
astro_write_kind_to_string (AstroWriteKind kind)
{
  switch (kind)
    {
    case ASTRO_WRITE_CREATE: return "create";
    case ASTRO_WRITE_DELETE: return "delete";
    case ASTRO_WRITE_UPDATE:
    default: return "update";
    }
}

AstroWriteKind
astro_write_kind_from_string (const char *kind)
{
  if (g_strcmp0 (kind, "create") == 0)
    return ASTRO_WRITE_CREATE;
  if (g_strcmp0 (kind, "delete") == 0)
    return ASTRO_WRITE_DELETE;
  return ASTRO_WRITE_UPDATE;
}

/*
 * Auxiliary methods (writer connection, locked)
 */

static sqlite3_stmt *
writer_prepare (AstroStore  *self,
                const char  *sql,
                GError     **error)
{
  return _astro_store_prepare (self->writer, self->writer_statements, sql, error);
}

/* The displayed row as JSON {column: value}, or NULL if the table has none. */
static gboolean
read_row_json (AstroStore        *self,
               const AstroTable  *table,
               const char        *row_id,
               char             **out_json,
               GError           **error)
{
  g_autoptr(GString) sql = g_string_new ("SELECT json_object(");
  sqlite3_stmt *stmt;
  int rc;

  for (guint i = 0; i < table->n_columns; i++)
    g_string_append_printf (sql, "%s'%s', %s", i ? ", " : "", table->columns[i], table->columns[i]);
  g_string_append_printf (sql, ") FROM %s WHERE id = ?1", table->name);

  stmt = writer_prepare (self, sql->str, error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, row_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  *out_json = rc == SQLITE_ROW ? _astro_store_dup_column (stmt, 0) : NULL;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not read a row");
  return TRUE;
}

/* Replaces the displayed row by @json (every column), or deletes it for NULL. */
static gboolean
write_row_json (AstroStore        *self,
                const AstroTable  *table,
                const char        *row_id,
                const char        *json,
                GError           **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  sqlite3_stmt *stmt;

  if (json == NULL)
    g_string_printf (sql, "DELETE FROM %s WHERE id = ?1", table->name);
  else
    {
      g_string_printf (sql, "INSERT INTO %s (", table->name);
      for (guint i = 0; i < table->n_columns; i++)
        g_string_append_printf (sql, "%s%s", i ? ", " : "", table->columns[i]);
      g_string_append (sql, ") SELECT ?1");
      for (guint i = 1; i < table->n_columns; i++)
        g_string_append_printf (sql, ", json_extract(?2, '$.%s')", table->columns[i]);
      g_string_append (sql, " WHERE true ON CONFLICT (id) DO UPDATE SET ");
      for (guint i = 1; i < table->n_columns; i++)
        g_string_append_printf (sql, "%s%s = excluded.%s", i > 1 ? ", " : "",
                                table->columns[i], table->columns[i]);
    }

  stmt = writer_prepare (self, sql->str, error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, row_id, -1, SQLITE_TRANSIENT);
  if (json != NULL)
    sqlite3_bind_text (stmt, 2, json, -1, SQLITE_TRANSIENT);
  return _astro_store_step_done (self->writer, stmt, "Could not write a row", error);
}

static gboolean
read_base (AstroStore  *self,
           const char  *table,
           const char  *row_id,
           gboolean    *has_base,
           char       **base,
           GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = writer_prepare (self, "SELECT base FROM overlay_base WHERE row_table = ?1 AND row_id = ?2", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, row_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  *has_base = rc == SQLITE_ROW;
  *base = rc == SQLITE_ROW ? _astro_store_dup_column (stmt, 0) : NULL;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not read the overlay");
  return TRUE;
}

static gboolean
save_base (AstroStore  *self,
           const char  *table,
           const char  *row_id,
           const char  *base,
           GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = writer_prepare (self, "INSERT INTO overlay_base (row_table, row_id, base) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT (row_table, row_id) DO UPDATE SET base = excluded.base",
                         error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, row_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, base, -1, SQLITE_TRANSIENT);
  return _astro_store_step_done (self->writer, stmt, "Could not save the overlay", error);
}

static gboolean
json_patch_text (AstroStore  *self,
                 const char  *target,
                 const char  *patch,
                 char       **out,
                 GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* A null in the patch removes the key, which reads back as NULL: the
   * same as setting the column to NULL. */
  stmt = writer_prepare (self, "SELECT json_patch(?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, target, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, patch, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  *out = rc == SQLITE_ROW ? _astro_store_dup_column (stmt, 0) : NULL;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_ROW)
    return _astro_store_set_error (error, self->writer, rc, "Could not merge a write");
  return TRUE;
}

/* Base, then every unsettled write of the row in order: what the row shows.
 * With no unsettled write left, the row is its base and the base record goes.
 * Marks the key in @keys (its existence before was marked by the caller). */
static gboolean
derive_row (AstroStore        *self,
            const AstroTable  *table,
            const char        *row_id,
            GHashTable        *keys,
            GError           **error)
{
  g_autofree char *base = NULL;
  g_autofree char *shown = NULL;
  gboolean has_base, any = FALSE;
  sqlite3_stmt *stmt;
  int rc;

  if (!read_base (self, table->name, row_id, &has_base, &base, error))
    return FALSE;
  if (!has_base)
    return TRUE;

  shown = g_strdup (base);
  stmt = writer_prepare (self, "SELECT kind, overlay FROM outbox WHERE row_table = ?1 AND row_id = ?2"
                               " AND state IN " UNSETTLED " ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, table->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, row_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      AstroWriteKind kind = astro_write_kind_from_string ((const char *) sqlite3_column_text (stmt, 0));
      g_autofree char *overlay = _astro_store_dup_column (stmt, 1);

      any = TRUE;
      if (kind == ASTRO_WRITE_CREATE)
        {
          g_free (shown);
          shown = g_steal_pointer (&overlay);
        }
      else if (kind == ASTRO_WRITE_DELETE)
        g_clear_pointer (&shown, g_free);
      else if (shown != NULL && overlay != NULL)
        {
          char *merged = NULL;

          if (!json_patch_text (self, shown, overlay, &merged, error))
            {
              sqlite3_reset (stmt);
              return FALSE;
            }
          g_free (shown);
          shown = merged;
        }
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not read the outbox");

  if (!any)
    {
      stmt = writer_prepare (self, "DELETE FROM overlay_base WHERE row_table = ?1 AND row_id = ?2", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, table->name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, row_id, -1, SQLITE_TRANSIENT);
      if (!_astro_store_step_done (self->writer, stmt, "Could not drop the overlay", error))
        return FALSE;
    }

  if (!write_row_json (self, table, row_id, shown, error))
    return FALSE;

  _astro_store_mark_key (keys, row_id, FALSE, shown != NULL);
  return TRUE;
}

/* Marks a key by whether the displayed row exists now, before changing it. */
static gboolean
mark_before (AstroStore        *self,
             const AstroTable  *table,
             const char        *row_id,
             GHashTable        *keys,
             GError           **error)
{
  g_autofree char *json = NULL;

  if (g_hash_table_contains (keys, row_id))
    return TRUE;
  if (!read_row_json (self, table, row_id, &json, error))
    return FALSE;
  _astro_store_mark_key (keys, row_id, json != NULL, json != NULL);
  return TRUE;
}

static GHashTable *
keys_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static AstroRowsChanged *
changes_from_keys (const char *table,
                   GHashTable *keys)
{
  AstroRowsChanged *changes = astro_rows_changed_new (table);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint flags = GPOINTER_TO_UINT (value);

      if ((flags & KEY_EXISTED) && (flags & KEY_PRESENT))
        g_ptr_array_add (changes->updated, g_strdup (key));
      else if (flags & KEY_EXISTED)
        g_ptr_array_add (changes->deleted, g_strdup (key));
      else if (flags & KEY_PRESENT)
        g_ptr_array_add (changes->inserted, g_strdup (key));
    }

  return changes;
}

static AstroRowsChanged *
outbox_changed (gint64 id)
{
  AstroRowsChanged *changes = astro_rows_changed_new ("outbox");

  g_ptr_array_add (changes->updated, g_strdup_printf ("%" G_GINT64_FORMAT, id));
  return changes;
}

/* Runs @func inside one transaction on the writer, then tells. */
typedef gboolean (*LockedFunc) (AstroStore *self, gpointer data, GHashTable *keys,
                                char **table, GError **error);

static gboolean
run_locked (AstroStore  *self,
            LockedFunc   func,
            gpointer     data,
            gint64       outbox_id,
            GError     **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->writer_lock);
  g_autoptr(GHashTable) keys = keys_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *table = NULL;

  if (!_astro_store_ensure_writer (self, error) ||
      !_astro_store_exec (self->writer, "BEGIN IMMEDIATE", error))
    return FALSE;

  if (!func (self, data, keys, &table, &local_error) ||
      !_astro_store_exec (self->writer, "COMMIT", &local_error))
    {
      _astro_store_exec (self->writer, "ROLLBACK", NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (table != NULL && g_hash_table_size (keys) > 0)
    {
      g_autoptr(AstroRowsChanged) changes = changes_from_keys (table, keys);

      if (!astro_rows_changed_is_empty (changes))
        _astro_store_post_rows_changed (self, changes);
    }
  if (outbox_id > 0)
    {
      g_autoptr(AstroRowsChanged) changes = outbox_changed (outbox_id);

      _astro_store_post_rows_changed (self, changes);
    }

  return TRUE;
}

static gboolean
lookup_row (AstroStore        *self,
            gint64             id,
            const AstroTable **table,
            char             **row_id,
            GError           **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = writer_prepare (self, "SELECT row_table, row_id FROM outbox WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);

      *table = name != NULL ? astro_table_lookup (name) : NULL;
      *row_id = _astro_store_dup_column (stmt, 1);
    }
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
                   "No write %" G_GINT64_FORMAT " in the outbox", id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return _astro_store_set_error (error, self->writer, rc, "Could not read the outbox");
  return TRUE;
}

/*
 * Adding a write
 */

typedef struct
{
  const AstroOutboxEntry *entry;
  gint64                  id;
  gboolean                coalesced;
} Add;

/* The last unsettled write of the row: its id, state and attempts. */
static gboolean
last_unsettled (AstroStore   *self,
                const char   *table,
                const char   *row_id,
                gint64       *id,
                char        **state,
                int          *attempts,
                char        **kind,
                GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = writer_prepare (self, "SELECT id, state, attempts, kind FROM outbox"
                               " WHERE row_table = ?1 AND row_id = ?2 AND state IN " UNSETTLED
                               " ORDER BY id DESC LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, row_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  *id = 0;
  if (rc == SQLITE_ROW)
    {
      *id = sqlite3_column_int64 (stmt, 0);
      *state = _astro_store_dup_column (stmt, 1);
      *attempts = sqlite3_column_int (stmt, 2);
      *kind = _astro_store_dup_column (stmt, 3);
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not read the outbox");
  return TRUE;
}

/* Merges JSON objects keeping nulls (json_patch would drop them, and a null
 * here means "set to NULL"). The later expected_updated_at never replaces the
 * earlier one: the earlier write's caller saw the row first. */
#define MERGE_SQL(a, b) \
  "SELECT json_group_object(key, CASE WHEN type IN ('object', 'array') THEN json(value) ELSE value END)" \
  " FROM (SELECT key, value, type FROM json_each(" a ") WHERE key NOT IN" \
  "  (SELECT key FROM json_each(" b ") WHERE key != 'expected_updated_at')" \
  " UNION ALL SELECT key, value, type FROM json_each(" b ") WHERE key != 'expected_updated_at')"

/* Merges a later update into one never sent: same key, one request. */
static gboolean
coalesce_into (AstroStore              *self,
               gint64                   id,
               const AstroOutboxEntry  *entry,
               GError                 **error)
{
  g_autofree char *now = _astro_store_now_iso ();
  sqlite3_stmt *stmt;

  stmt = writer_prepare (self, "UPDATE outbox SET"
                               " payload = (" MERGE_SQL ("payload", "?2") "),"
                               " overlay = (" MERGE_SQL ("overlay", "?3") "),"
                               " updated_at = ?4 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, entry->payload, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, entry->overlay, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, now, -1, SQLITE_TRANSIENT);
  return _astro_store_step_done (self->writer, stmt, "Could not merge a write", error);
}

static gboolean
insert_entry (AstroStore              *self,
              const AstroOutboxEntry  *entry,
              gboolean                 drop_precondition,
              gint64                  *id,
              GError                 **error)
{
  g_autofree char *now = _astro_store_now_iso ();
  sqlite3_stmt *stmt;

  stmt = writer_prepare (self, "INSERT INTO outbox (idempotency_key, method, path, payload,"
                               " row_table, row_id, state, attempts, created_at, kind, overlay,"
                               " next_attempt_at)"
                               " VALUES (?1, ?2, ?3, CASE WHEN ?9 THEN json_remove(?4, '$.expected_updated_at')"
                               " ELSE ?4 END, ?5, ?6, 'pending', 0, ?7, ?8, ?10, 0)", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, entry->idempotency_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, entry->method, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, entry->path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, entry->payload, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, entry->row_table, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, entry->row_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 8, astro_write_kind_to_string (entry->kind), -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 9, drop_precondition && entry->payload != NULL);
  sqlite3_bind_text (stmt, 10, entry->overlay, -1, SQLITE_TRANSIENT);
  if (!_astro_store_step_done (self->writer, stmt, "Could not add a write to the outbox", error))
    return FALSE;

  *id = sqlite3_last_insert_rowid (self->writer);
  return TRUE;
}

static gboolean
add_locked (AstroStore  *self,
            gpointer     data,
            GHashTable  *keys,
            char       **table_name,
            GError     **error)
{
  Add *add = data;
  const AstroOutboxEntry *entry = add->entry;
  const AstroTable *table = astro_table_lookup (entry->row_table);
  g_autofree char *last_state = NULL;
  g_autofree char *last_kind = NULL;
  gboolean has_base;
  g_autofree char *base = NULL;
  gint64 last_id = 0;
  int last_attempts = 0;

  if (!last_unsettled (self, entry->row_table, entry->row_id, &last_id, &last_state,
                       &last_attempts, &last_kind, error))
    return FALSE;

  /* Only a write never tried may change: one that was tried may have been
   * applied under its key, and the same key must always carry the same body. */
  if (add->coalesced && last_id > 0 && entry->kind == ASTRO_WRITE_UPDATE &&
      g_strcmp0 (last_state, ASTRO_OUTBOX_PENDING) == 0 && last_attempts == 0 &&
      g_strcmp0 (last_kind, "update") == 0)
    {
      if (!coalesce_into (self, last_id, entry, error))
        return FALSE;
      add->id = last_id;
    }
  else
    {
      /* Behind an unsettled write of ours, the updated_at the caller saw is
       * about to be replaced by that very write: the precondition would
       * refuse our own change, so it goes. */
      add->coalesced = FALSE;
      if (!insert_entry (self, entry, last_id > 0, &add->id, error))
        return FALSE;
    }

  if (!mark_before (self, table, entry->row_id, keys, error) ||
      !read_base (self, table->name, entry->row_id, &has_base, &base, error))
    return FALSE;

  if (!has_base)
    {
      /* the synced row as it is now (no overlay on it yet) */
      if (!read_row_json (self, table, entry->row_id, &base, error) ||
          !save_base (self, table->name, entry->row_id, base, error))
        return FALSE;
    }

  *table_name = g_strdup (table->name);
  return derive_row (self, table, entry->row_id, keys, error);
}

/*
 * Changing a write's state
 */

typedef struct
{
  gint64      id;
  const char *state;
  int         attempts;
  gint64      next_attempt_at;
  const char *last_error;
  int         http_status;
  const char *txid;
  gboolean    refetch;
} Update;

static gboolean
txid_seen (AstroStore  *self,
           const char  *txid,
           gboolean    *seen,
           GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 value;
  int rc;

  *seen = FALSE;
  if (txid == NULL || !g_ascii_string_to_signed (txid, 10, 0, G_MAXINT64, &value, NULL))
    return TRUE;

  stmt = writer_prepare (self, "SELECT 1 FROM seen_txids WHERE txid = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, value);
  rc = sqlite3_step (stmt);
  *seen = rc == SQLITE_ROW;
  sqlite3_reset (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not read the txids");
  return TRUE;
}

static gboolean
update_locked (AstroStore  *self,
               gpointer     data,
               GHashTable  *keys,
               char       **table_name,
               GError     **error)
{
  Update *update = data;
  const AstroTable *table = NULL;
  g_autofree char *row_id = NULL;
  g_autofree char *now = _astro_store_now_iso ();
  const char *state = update->state;
  gboolean seen = FALSE;
  sqlite3_stmt *stmt;

  if (!lookup_row (self, update->id, &table, &row_id, error))
    return FALSE;

  /* an answer slower than its change: the change is already in the base */
  if (g_strcmp0 (state, ASTRO_OUTBOX_SENT) == 0 && !txid_seen (self, update->txid, &seen, error))
    return FALSE;
  if (seen)
    state = ASTRO_OUTBOX_SETTLED;

  stmt = writer_prepare (self, "UPDATE outbox SET"
                               " state = coalesce(?2, state),"
                               " attempts = CASE WHEN ?3 < 0 THEN attempts ELSE ?3 END,"
                               " next_attempt_at = CASE WHEN ?4 < 0 THEN next_attempt_at ELSE ?4 END,"
                               " last_error = CASE WHEN ?2 IS NULL THEN last_error ELSE ?5 END,"
                               " http_status = CASE WHEN ?6 = 0 THEN http_status ELSE ?6 END,"
                               " txid = coalesce(?7, txid),"
                               " answered_at = CASE WHEN ?7 IS NOT NULL THEN ?8 ELSE answered_at END,"
                               " refetch_at = CASE WHEN ?9 THEN ?8 ELSE refetch_at END,"
                               " updated_at = ?10"
                               " WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, update->id);
  sqlite3_bind_text (stmt, 2, state, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, update->attempts);
  sqlite3_bind_int64 (stmt, 4, update->next_attempt_at);
  sqlite3_bind_text (stmt, 5, update->last_error, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 6, update->http_status);
  sqlite3_bind_text (stmt, 7, update->txid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, g_get_real_time ());
  sqlite3_bind_int (stmt, 9, update->refetch);
  sqlite3_bind_text (stmt, 10, now, -1, SQLITE_TRANSIENT);
  if (!_astro_store_step_done (self->writer, stmt, "Could not update the outbox", error))
    return FALSE;

  /* settled or refused: the row shows one write fewer */
  if (table != NULL && row_id != NULL &&
      (g_strcmp0 (state, ASTRO_OUTBOX_SETTLED) == 0 || g_strcmp0 (state, ASTRO_OUTBOX_FAILED) == 0))
    {
      if (!mark_before (self, table, row_id, keys, error))
        return FALSE;
      *table_name = g_strdup (table->name);
      return derive_row (self, table, row_id, keys, error);
    }

  return TRUE;
}

/*
 * Around a shape batch (called by apply_locked)
 */

void
_astro_overlay_run_free (AstroOverlayRun *run)
{
  if (run == NULL)
    return;

  g_clear_pointer (&run->restored, g_hash_table_unref);
  g_free (run);
}

gboolean
_astro_store_overlay_begin (AstroStore        *self,
                            AstroBatch        *batch,
                            GHashTable        *keys,
                            AstroOverlayRun  **out_run,
                            GError           **error)
{
  const AstroTable *table = astro_batch_get_table (batch);
  g_autoptr(AstroOverlayRun) run = g_new0 (AstroOverlayRun, 1);
  g_autoptr(GHashTable) overlaid = keys_new ();
  gboolean reset = astro_batch_get_reset (batch);
  sqlite3_stmt *stmt;
  int rc;

  run->table = table;
  run->restored = keys_new ();

  stmt = writer_prepare (self, "SELECT row_id FROM overlay_base WHERE row_table = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, table->name, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (overlaid, _astro_store_dup_column (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not read the overlay");

  if (g_hash_table_size (overlaid) > 0)
    {
      /* A reset replaces the whole table: every overlaid row goes back. */
      for (guint i = 0; i < astro_batch_get_n_changes (batch) && !reset; i++)
        {
          AstroChangeKind kind;
          guint32 present;
          char * const *values;

          astro_batch_get_change (batch, i, &kind, &present, &values);
          if (values[0] != NULL && g_hash_table_contains (overlaid, values[0]))
            g_hash_table_add (run->restored, g_strdup (values[0]));
        }
      if (reset)
        {
          GHashTableIter iter;
          gpointer key;

          g_hash_table_iter_init (&iter, overlaid);
          while (g_hash_table_iter_next (&iter, &key, NULL))
            g_hash_table_add (run->restored, g_strdup (key));
        }
    }

  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, run->restored);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      {
        g_autofree char *base = NULL;
        gboolean has_base;

        if (!mark_before (self, table, key, keys, error) ||
            !read_base (self, table->name, key, &has_base, &base, error) ||
            !write_row_json (self, table, key, base, error))
          return FALSE;
      }
  }

  *out_run = g_steal_pointer (&run);
  return TRUE;
}

static gboolean
settle_where (AstroStore  *self,
              const char  *sql,
              gint64       value,
              const char  *table,
              GHashTable  *rows,
              GHashTable  *ids,
              GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = writer_prepare (self, sql, error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, value);
  sqlite3_bind_text (stmt, 2, table, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_hash_table_add (ids, g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, 0)));
      if (sqlite3_column_text (stmt, 1) != NULL)
        g_hash_table_add (rows, _astro_store_dup_column (stmt, 1));
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_DONE)
    return _astro_store_set_error (error, self->writer, rc, "Could not settle writes");
  return TRUE;
}

gboolean
_astro_store_overlay_finish (AstroStore        *self,
                             AstroOverlayRun   *run,
                             AstroBatch        *batch,
                             GHashTable        *keys,
                             AstroRowsChanged **out_outbox,
                             GError           **error)
{
  const AstroTable *table = run->table;
  const GArray *txids = astro_batch_get_txids (batch);
  gint64 refetch_started = astro_batch_get_refetch_started (batch);
  gint64 snapshot_xmin = astro_batch_get_snapshot_xmin (batch);
  g_autoptr(GHashTable) rows = keys_new ();
  g_autoptr(GHashTable) ids = keys_new ();
  gint64 now = g_get_real_time ();
  GHashTableIter iter;
  gpointer key;

  /* The batch's txids settle the writes of this table they answer (a write
   * touches its own table, so its own shape brings its txid), and are
   * remembered for answers that come later. */
  for (guint i = 0; i < txids->len; i++)
    {
      gint64 txid = g_array_index (txids, gint64, i);
      sqlite3_stmt *stmt = writer_prepare (self, "INSERT OR IGNORE INTO seen_txids (txid, seen_at)"
                                                 " VALUES (?1, ?2)", error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, txid);
      sqlite3_bind_int64 (stmt, 2, now);
      if (!_astro_store_step_done (self->writer, stmt, "Could not remember a txid", error))
        return FALSE;

      if (!settle_where (self, "UPDATE outbox SET state = 'settled'"
                               " WHERE txid = CAST(?1 AS TEXT) AND state = 'sent' AND row_table = ?2"
                               " RETURNING id, row_id",
                         txid, table->name, rows, ids, error))
        return FALSE;
    }

  if (txids->len > 0)
    {
      sqlite3_stmt *stmt = writer_prepare (self, "DELETE FROM seen_txids WHERE seen_at < ?1", error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, now - SEEN_TXIDS_KEEP_US);
      if (!_astro_store_step_done (self->writer, stmt, "Could not forget old txids", error))
        return FALSE;
    }

  /* A whole snapshot asked for after a write was answered has that write. */
  if (refetch_started > 0 &&
      !settle_where (self, "UPDATE outbox SET state = 'settled'"
                           " WHERE state = 'sent' AND answered_at <= ?1 AND row_table = ?2"
                           " RETURNING id, row_id",
                     refetch_started, table->name, rows, ids, error))
    return FALSE;

  /* A snapshot has every transaction below its xmin, named or not. */
  if (snapshot_xmin > 0 &&
      !settle_where (self, "UPDATE outbox SET state = 'settled'"
                           " WHERE state = 'sent' AND CAST(txid AS INTEGER) BETWEEN 1 AND ?1 - 1"
                           " AND row_table = ?2 RETURNING id, row_id",
                     snapshot_xmin, table->name, rows, ids, error))
    return FALSE;

  /* Rows put back to their base: that base is now the batch's result. */
  g_hash_table_iter_init (&iter, run->restored);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *base = NULL;

      if (!read_row_json (self, table, key, &base, error) ||
          !save_base (self, table->name, key, base, error))
        return FALSE;
      g_hash_table_add (rows, g_strdup (key));
    }

  g_hash_table_iter_init (&iter, rows);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!mark_before (self, table, key, keys, error) ||
        !derive_row (self, table, key, keys, error))
      return FALSE;

  if (g_hash_table_size (ids) > 0)
    {
      AstroRowsChanged *outbox = astro_rows_changed_new ("outbox");

      g_hash_table_iter_init (&iter, ids);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (outbox->updated, g_strdup (key));
      *out_outbox = outbox;
    }

  return TRUE;
}

/*
 * Public API
 */

/**
 * astro_store_outbox_add:
 * @entry: kind, method, path, payload, row_table, row_id, overlay and
 *   idempotency_key of the write
 * @coalesce: (inout): on input whether an update may merge into an earlier
 *   one of the same row that was never sent; on output whether it did
 *
 * Queues a write and shows it at once: rows-changed for its row and for
 * the outbox follow.
 *
 * Returns: the id of the outbox entry that carries the write, or 0
 */
gint64
astro_store_outbox_add (AstroStore              *self,
                        const AstroOutboxEntry  *entry,
                        gboolean                *coalesce,
                        GError                 **error)
{
  Add add = { entry, 0, coalesce != NULL && *coalesce };

  g_return_val_if_fail (ASTRO_IS_STORE (self), 0);
  g_return_val_if_fail (entry != NULL && entry->row_id != NULL && entry->idempotency_key != NULL, 0);

  if (astro_table_lookup (entry->row_table) == NULL)
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
                   "No synced table is called “%s”", entry->row_table);
      return 0;
    }

  if (!run_locked (self, add_locked, &add, 0, error))
    return 0;

  {
    g_autoptr(AstroRowsChanged) changes = outbox_changed (add.id);
    _astro_store_post_rows_changed (self, changes);
  }

  if (coalesce != NULL)
    *coalesce = add.coalesced;
  return add.id;
}

/* A request is going out (attempts counts it). */
gboolean
astro_store_outbox_set_sending (AstroStore  *self,
                                gint64       id,
                                int          attempts,
                                GError     **error)
{
  Update update = { id, ASTRO_OUTBOX_SENDING, attempts, -1, NULL, 0, NULL, FALSE };

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  return run_locked (self, update_locked, &update, id, error);
}

/* Not delivered (network, 5xx, 429, 401): stays queued until @next_attempt_at. */
gboolean
astro_store_outbox_set_retry (AstroStore  *self,
                              gint64       id,
                              gint64       next_attempt_at,
                              int          http_status,
                              const char  *last_error,
                              GError     **error)
{
  Update update = { id, ASTRO_OUTBOX_PENDING, -1, next_attempt_at, last_error, http_status, NULL, FALSE };

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  return run_locked (self, update_locked, &update, id, error);
}

/* Accepted: waits for @txid on the shapes (or settles now if it came first). */
gboolean
astro_store_outbox_set_answered (AstroStore  *self,
                                 gint64       id,
                                 const char  *txid,
                                 int          http_status,
                                 GError     **error)
{
  Update update = { id, ASTRO_OUTBOX_SENT, -1, -1, NULL, http_status, txid, FALSE };

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (txid != NULL, FALSE);
  return run_locked (self, update_locked, &update, id, error);
}

/* Refused: the overlay of this write goes, the row shows the rest. */
gboolean
astro_store_outbox_set_failed (AstroStore  *self,
                               gint64       id,
                               int          http_status,
                               const char  *message,
                               GError     **error)
{
  Update update = { id, ASTRO_OUTBOX_FAILED, -1, -1, message, http_status, NULL, FALSE };

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  return run_locked (self, update_locked, &update, id, error);
}

/* Notes that a refetch was asked for this write's table. */
gboolean
astro_store_outbox_set_refetch (AstroStore  *self,
                                gint64       id,
                                GError     **error)
{
  Update update = { id, NULL, -1, -1, NULL, 0, NULL, TRUE };

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  return run_locked (self, update_locked, &update, id, error);
}

/* Every queued write is due now (the network came back, or a restart). On
 * a restart a request that was in flight has no known answer either, so it
 * goes again too, under the same key. */
gboolean
astro_store_outbox_resume (AstroStore  *self,
                           gboolean     restart,
                           GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);

  locker = g_mutex_locker_new (&self->writer_lock);
  if (!_astro_store_ensure_writer (self, error))
    return FALSE;
  return _astro_store_exec (self->writer,
                            restart
                            ? "UPDATE outbox SET state = 'pending', next_attempt_at = 0"
                              " WHERE state IN ('pending', 'sending')"
                            : "UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'",
                            error);
}

static AstroOutboxEntry *
entry_from_statement (sqlite3_stmt *stmt)
{
  AstroOutboxEntry *entry = astro_outbox_entry_new ();

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->kind = astro_write_kind_from_string ((const char *) sqlite3_column_text (stmt, 1));
  entry->idempotency_key = _astro_store_dup_column (stmt, 2);
  entry->method = _astro_store_dup_column (stmt, 3);
  entry->path = _astro_store_dup_column (stmt, 4);
  entry->payload = _astro_store_dup_column (stmt, 5);
  entry->row_table = _astro_store_dup_column (stmt, 6);
  entry->row_id = _astro_store_dup_column (stmt, 7);
  entry->overlay = _astro_store_dup_column (stmt, 8);
  entry->state = _astro_store_dup_column (stmt, 9);
  entry->attempts = sqlite3_column_int (stmt, 10);
  entry->last_error = _astro_store_dup_column (stmt, 11);
  entry->txid = _astro_store_dup_column (stmt, 12);
  entry->created_at = _astro_store_dup_column (stmt, 13);
  entry->next_attempt_at = sqlite3_column_int64 (stmt, 14);
  entry->answered_at = sqlite3_column_int64 (stmt, 15);
  entry->refetch_at = sqlite3_column_int64 (stmt, 16);
  entry->http_status = sqlite3_column_int (stmt, 17);
  return entry;
}

#define ENTRY_COLUMNS \
  "SELECT id, kind, idempotency_key, method, path, payload, row_table, row_id, overlay," \
  " state, attempts, last_error, txid, created_at, next_attempt_at, answered_at," \
  " coalesce(refetch_at, 0), coalesce(http_status, 0) FROM outbox"

/**
 * astro_store_outbox_list:
 * @state: (nullable): only writes in this state; %NULL for every write not
 *   settled (pending, sending, sent and failed)
 *
 * Returns: (transfer full) (element-type AstroOutboxEntry): oldest first
 */
GPtrArray *
astro_store_outbox_list (AstroStore  *self,
                         const char  *state,
                         GError     **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_outbox_entry_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  stmt = _astro_store_prepare (self->db, self->statements,
                               ENTRY_COLUMNS " WHERE (?1 IS NULL AND state != 'settled') OR state = ?1"
                               " ORDER BY id", error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, state, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, entry_from_statement (stmt));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not read the outbox");
      return NULL;
    }

  return g_steal_pointer (&entries);
}

AstroOutboxEntry *
astro_store_outbox_get (AstroStore  *self,
                        gint64       id,
                        GError     **error)
{
  AstroOutboxEntry *entry = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  stmt = _astro_store_prepare (self->db, self->statements, ENTRY_COLUMNS " WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    entry = entry_from_statement (stmt);
  else if (rc == SQLITE_DONE)
    g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
                 "No write %" G_GINT64_FORMAT " in the outbox", id);
  else
    _astro_store_set_error (error, self->db, rc, "Could not read the outbox");
  sqlite3_reset (stmt);

  return entry;
}

/* Whether the row shows writes of ours the server has not confirmed yet. */
gboolean
astro_store_row_is_pending (AstroStore *self,
                            const char *table,
                            const char *row_id)
{
  sqlite3_stmt *stmt;
  gboolean pending;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT 1 FROM overlay_base WHERE row_table = ?1 AND row_id = ?2", NULL);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, row_id, -1, SQLITE_TRANSIENT);
  pending = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return pending;
}
