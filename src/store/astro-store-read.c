/* astro-store-read.c: reading synced rows for the UI and the command line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include "astro-store-private.h"
#include "astro-thread.h"

/* Must match tasks_by_status in astro-store-migrations.c, character for character. */
#define TASK_STATUS_RANK \
  "CASE lower(status) WHEN 'in progress' THEN 0 WHEN 'started' THEN 0" \
  " WHEN 'in review' THEN 1 WHEN 'todo' THEN 2 WHEN 'unstarted' THEN 2" \
  " WHEN 'backlog' THEN 3 WHEN 'triage' THEN 3 WHEN 'done' THEN 4" \
  " WHEN 'completed' THEN 4 WHEN 'canceled' THEN 5 WHEN 'cancelled' THEN 5" \
  " ELSE 6 END"
#define TASK_PRIORITY_RANK "coalesce(nullif(CAST(priority AS INTEGER), 0), 5)"

gint64
_astro_store_count_rows (sqlite3     *db,
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
known_table (const char  *table,
             GError     **error)
{
  if (astro_table_lookup (table) != NULL)
    return TRUE;

  g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
               "No synced table is called “%s”", table);
  return FALSE;
}

/*
 * Public API
 */

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

  return _astro_store_count_rows (self->db, table, error);
}

/**
 * astro_store_has_rows:
 *
 * Whether a synced table has any row: what astro_store_count_rows() says
 * about emptiness, without counting.
 *
 * Returns: %TRUE if it has; %FALSE if not, or with @error set
 */
gboolean
astro_store_has_rows (AstroStore  *self,
                      const char  *table,
                      GError     **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  gboolean found;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (table != NULL, FALSE);

  if (!known_table (table, error))
    return FALSE;

  sql = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s)", table);
  stmt = _astro_store_prepare (self->db, self->statements, sql, error);
  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  found = rc == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0;
  if (rc != SQLITE_ROW)
    _astro_store_set_error (error, self->db, rc, "Could not read a table");
  sqlite3_reset (stmt);

  return found;
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

/* One row of @table by its id (?1), prepared on @db */
static sqlite3_stmt *
prepare_row_by_id (sqlite3           *db,
                   GHashTable        *statements,
                   const AstroTable  *table,
                   GError           **error)
{
  g_autofree char *columns = select_columns (table);
  g_autofree char *sql = g_strdup_printf ("%s WHERE id = ?1", columns);

  return _astro_store_prepare (db, statements, sql, error);
}

AstroRow *
astro_store_get_row (AstroStore  *self,
                     const char  *table_name,
                     const char  *id,
                     GError     **error)
{
  const AstroTable *table;
  sqlite3_stmt *stmt;
  AstroRow *row = NULL;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (table_name != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  if (!known_table (table_name, error))
    return NULL;

  table = astro_table_lookup (table_name);
  stmt = prepare_row_by_id (self->db, self->statements, table, error);
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

static GPtrArray *
list_task_ids (sqlite3                *db,
               GHashTable             *statements,
               const AstroTaskFilter  *filter,
               guint                   limit,
               GError                **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) sql = g_string_new ("SELECT id FROM tasks WHERE deleted_at IS NULL");
  g_autofree char *pattern = NULL;
  sqlite3_stmt *stmt;
  int rc;

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
  if (limit > 0)
    g_string_append (sql, " LIMIT ?6");

  stmt = _astro_store_prepare (db, statements, sql->str, error);
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
  if (limit > 0)
    sqlite3_bind_int64 (stmt, 6, limit);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, db, rc, "Could not list tasks");
      return NULL;
    }

  return g_steal_pointer (&ids);
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
  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (filter != NULL, NULL);

  return list_task_ids (self->db, self->statements, filter, 0, error);
}

/**
 * astro_store_list_first_task_ids:
 * @limit: how many at most, more than 0
 *
 * The start of astro_store_list_task_ids(): what a window shows first, read
 * in well under a millisecond where the whole list takes tens.
 *
 * Returns: (transfer full) (element-type utf8): the ids in display order
 */
GPtrArray *
astro_store_list_first_task_ids (AstroStore             *self,
                                 const AstroTaskFilter  *filter,
                                 guint                   limit,
                                 GError                **error)
{
  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (filter != NULL, NULL);
  g_return_val_if_fail (limit > 0, NULL);

  return list_task_ids (self->db, self->statements, filter, limit, error);
}

/**
 * astro_task_filter_copy:
 * @dest: a filter holding no strings (cleared, or new)
 *
 * Copies @src with strings of its own. "" and NULL searches both mean "no
 * search": the copy keeps one spelling, so equal filters compare equal.
 */
void
astro_task_filter_copy (AstroTaskFilter       *dest,
                        const AstroTaskFilter *src)
{
  dest->organization_id = g_strdup (src->organization_id);
  dest->status = g_strdup (src->status);
  dest->priority = src->priority < 0 ? -1 : src->priority;
  dest->assignee_id = g_strdup (src->assignee_id);
  dest->search = src->search != NULL && src->search[0] != '\0' ? g_strdup (src->search) : NULL;
  dest->sort = src->sort;
}

/* Frees the strings of a filter made by astro_task_filter_copy(). */
void
astro_task_filter_clear (AstroTaskFilter *filter)
{
  g_free ((char *) filter->organization_id);
  g_free ((char *) filter->status);
  g_free ((char *) filter->assignee_id);
  g_free ((char *) filter->search);
  *filter = (AstroTaskFilter) ASTRO_TASK_FILTER_INIT;
}

static void
filter_free (gpointer data)
{
  astro_task_filter_clear (data);
  g_free (data);
}

/* The workers' connection, opened on first use; call with reader_lock held */
static gboolean
ensure_reader (AstroStore  *self,
               GError     **error)
{
  gboolean damaged;

  if (self->reader != NULL)
    return TRUE;

  self->reader = _astro_store_open_connection (self->path, TRUE, &damaged, error);
  if (self->reader == NULL)
    return FALSE;

  self->reader_statements = _astro_store_statement_cache_new ();
  return TRUE;
}

static void
list_task_ids_in_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  AstroStore *self = source_object;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->reader_lock);
  GError *error = NULL;
  GPtrArray *ids;

  if (!ensure_reader (self, &error))
    {
      astro_thread_return_error (task, error);
      return;
    }

  ids = list_task_ids (self->reader, self->reader_statements, task_data, 0, &error);
  if (ids != NULL)
    astro_thread_return_pointer (task, ids, (GDestroyNotify) g_ptr_array_unref);
  else
    astro_thread_return_error (task, error);
}

/**
 * astro_store_list_task_ids_async:
 *
 * The same list as astro_store_list_task_ids(), read on a worker thread with
 * a connection of its own: listing 100,000 tasks takes longer than a frame.
 * It sees every batch whose rows-changed was emitted before the call.
 */
void
astro_store_list_task_ids_async (AstroStore            *self,
                                 const AstroTaskFilter *filter,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  AstroTaskFilter *copy;

  g_return_if_fail (ASTRO_IS_STORE (self));
  g_return_if_fail (filter != NULL);

  copy = g_new0 (AstroTaskFilter, 1);
  astro_task_filter_copy (copy, filter);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, astro_store_list_task_ids_async);
  g_task_set_task_data (task, copy, filter_free);
  astro_thread_run_in_background (task, list_task_ids_in_thread);
}

static void
count_rows_in_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  AstroStore *self = source_object;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->reader_lock);
  const char * const *tables = task_data;
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  GError *error = NULL;

  if (!ensure_reader (self, &error))
    {
      astro_thread_return_error (task, error);
      return;
    }

  for (guint i = 0; tables[i] != NULL; i++)
    {
      gint64 count = _astro_store_count_rows (self->reader, tables[i], &error);

      if (count < 0)
        {
          astro_thread_return_error (task, error);
          return;
        }
      g_array_append_val (counts, count);
    }

  astro_thread_return_pointer (task, g_steal_pointer (&counts), (GDestroyNotify) g_array_unref);
}

/**
 * astro_store_count_rows_async:
 * @tables: synced tables, %NULL-terminated
 *
 * astro_store_count_rows() for each of @tables, on the worker that lists
 * tasks: counting 100,000 tasks takes milliseconds, too many for a frame
 * during a sync.
 */
void
astro_store_count_rows_async (AstroStore          *self,
                              const char * const  *tables,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ASTRO_IS_STORE (self));
  g_return_if_fail (tables != NULL);

  for (guint i = 0; tables[i] != NULL; i++)
    g_return_if_fail (astro_table_lookup (tables[i]) != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, astro_store_count_rows_async);
  g_task_set_task_data (task, g_strdupv ((char **) tables), (GDestroyNotify) g_strfreev);
  astro_thread_run_in_background (task, count_rows_in_thread);
}

/**
 * astro_store_count_rows_finish:
 *
 * Returns: (transfer full) (element-type gint64): a count per table, in order
 */
GArray *
astro_store_count_rows_finish (AstroStore    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * astro_store_list_task_ids_finish:
 *
 * Returns: (transfer full) (element-type utf8): the ids in display order
 */
GPtrArray *
astro_store_list_task_ids_finish (AstroStore    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * astro_store_read_rows_in_thread:
 * @table_name: a synced table
 * @ids: (element-type utf8): row ids
 * @n: how many of @ids, from the first, to read
 * @pending: (out) (transfer full): the ids of @table_name's rows with
 *   writes of ours waiting (as astro_store_row_is_pending() says)
 *
 * Reads rows as astro_store_get_row() does, from any thread, with the
 * connection the workers share: for a model that has a worker read the
 * rows it is about to show.
 *
 * Returns: (transfer full): id → #AstroRow, for those of the rows that exist
 */
GHashTable *
astro_store_read_rows_in_thread (AstroStore   *self,
                                 const char   *table_name,
                                 GPtrArray    *ids,
                                 guint         n,
                                 GHashTable  **pending,
                                 GError      **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GHashTable) rows = NULL;
  g_autoptr(GHashTable) waiting = NULL;
  const AstroTable *table;
  sqlite3_stmt *stmt;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (ids != NULL, NULL);
  g_return_val_if_fail (pending != NULL, NULL);

  if (!known_table (table_name, error))
    return NULL;

  locker = g_mutex_locker_new (&self->reader_lock);
  if (!ensure_reader (self, error))
    return NULL;

  table = astro_table_lookup (table_name);
  stmt = prepare_row_by_id (self->reader, self->reader_statements, table, error);
  if (stmt == NULL)
    return NULL;

  rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) astro_row_unref);
  for (guint i = 0; i < MIN (n, ids->len) && (rc == SQLITE_DONE || rc == SQLITE_ROW); i++)
    {
      sqlite3_bind_text (stmt, 1, g_ptr_array_index (ids, i), -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          AstroRow *row = row_from_statement (table, stmt);

          g_hash_table_replace (rows, (gpointer) astro_row_get_id (row), row);
        }
      sqlite3_reset (stmt);
    }
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_FAILED,
                   "Could not read %s: %s", table_name, sqlite3_errmsg (self->reader));
      return NULL;
    }

  stmt = _astro_store_prepare (self->reader, self->reader_statements,
                               "SELECT row_id FROM overlay_base WHERE row_table = ?1", error);
  if (stmt == NULL)
    return NULL;

  waiting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3_bind_text (stmt, 1, table_name, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (waiting, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_FAILED,
                   "Could not read the writes waiting: %s", sqlite3_errmsg (self->reader));
      return NULL;
    }

  *pending = g_steal_pointer (&waiting);
  return g_steal_pointer (&rows);
}

/* How the UI names a person: their name, else their email; NULL if unknown. */
char *
astro_store_dup_user_name (AstroStore *self,
                           const char *user_id)
{
  g_autoptr(AstroRow) user = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  if (user_id == NULL)
    return NULL;

  user = astro_store_get_row (self, "users", user_id, NULL);
  if (user == NULL)
    return NULL;

  return g_strdup (astro_row_get (user, "name") != NULL ? astro_row_get (user, "name")
                                                        : astro_row_get (user, "email"));
}

/**
 * astro_store_list_user_names:
 *
 * How the UI names each person, as astro_store_dup_user_name() does, for
 * all of them at once.
 *
 * Returns: (transfer full): user id → name, or %NULL on error
 */
GHashTable *
astro_store_list_user_names (AstroStore  *self,
                             GError     **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT id, coalesce(name, email) FROM users", error);
  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
      g_hash_table_insert (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                           g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not read the people");
      return NULL;
    }

  return g_steal_pointer (&names);
}

/* The colour an organization's tasks of @status carry, so that a task moved
 * to that status by this app shows the same; NULL if none has it. */
char *
astro_store_dup_status_color (AstroStore *self,
                              const char *organization_id,
                              const char *status)
{
  sqlite3_stmt *stmt;
  char *color = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  if (organization_id == NULL || status == NULL)
    return NULL;

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT status_color FROM tasks WHERE organization_id = ?1 AND status = ?2"
                               " AND status_color IS NOT NULL AND deleted_at IS NULL LIMIT 1", NULL);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, organization_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, status, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    color = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return color;
}
