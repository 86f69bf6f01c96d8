/* astro-store-workspaces.c: reading workspaces for the Workspaces page, and
 * the name this device goes by
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include "astro-store-private.h"

/* Workspaces grouped the way the page shows them: those on a task first, by
 * task key in natural order (a shorter key first, so "AST-2" comes before
 * "AST-12"), then those on no task; within a group the most recently active
 * first. Deleted tasks still name their group. */
#define LIST_WORKSPACES_ORDER \
  " ORDER BY w.task_id IS NULL, t.id IS NULL, length(t.external_key), t.external_key," \
  " w.task_id, w.last_activity_at DESC, w.id"

/**
 * astro_store_list_workspaces:
 * @organization_id: (nullable): %NULL for every organization
 * @owner_id: (nullable): %NULL for everyone's
 *
 * Returns: (transfer full): the workspaces rows, grouped by task
 */
GPtrArray *
astro_store_list_workspaces (AstroStore  *self,
                             const char  *organization_id,
                             const char  *owner_id,
                             GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_row_unref);
  const AstroTable *table = astro_table_lookup ("workspaces");
  g_autoptr(GString) sql = g_string_new ("SELECT ");
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  for (guint i = 0; i < table->n_columns; i++)
    g_string_append_printf (sql, "%sw.%s", i ? ", " : "", table->columns[i]);
  g_string_append (sql, " FROM workspaces w LEFT JOIN tasks t ON t.id = w.task_id"
                        " WHERE (?1 IS NULL OR w.organization_id = ?1)"
                        " AND (?2 IS NULL OR w.owner_id = ?2)"
                        LIST_WORKSPACES_ORDER);

  stmt = _astro_store_prepare (self->db, self->statements, sql->str, error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, organization_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, owner_id, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      AstroRow *row = astro_row_new (table);

      for (guint i = 0; i < table->n_columns; i++)
        {
          const char *text = (const char *) sqlite3_column_text (stmt, i);

          if (text != NULL)
            astro_row_take_nth (row, i, g_strdup (text));
        }
      g_ptr_array_add (rows, row);
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not list workspaces");
      return NULL;
    }

  return g_steal_pointer (&rows);
}

/* Which of a task's pull requests its row shows: an open one before a
 * draft, a merged and a closed one, and a status unknown here last. */
static int
pr_rank (const char *pr_status)
{
  static const char * const order[] = { "open", "draft", "merged", "closed" };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    if (g_strcmp0 (pr_status, order[i]) == 0)
      return (int) i;

  return G_N_ELEMENTS (order);
}

void
astro_task_work_free (AstroTaskWork *work)
{
  g_free (work->pr_status);
  g_free (work);
}

/**
 * astro_store_list_task_work:
 *
 * What the task rows show of the work on each task, for all tasks at once:
 * one read of the workspaces, not one per row. A task with no workspace is
 * not in the table.
 *
 * Each #AstroTaskWork has @n_workspaces, the task's workspaces not archived,
 * and @pr_status, the most telling status among their pull requests (open,
 * then draft, merged, closed), "" for a pull request whose status is
 * unknown, %NULL if none.
 *
 * Returns: (transfer full): task id → #AstroTaskWork, or %NULL on error
 */
GHashTable *
astro_store_list_task_work (AstroStore  *self,
                            GError     **error)
{
  static const char sql[] =
    "SELECT task_id, status IS NOT 'archived', pr_url IS NOT NULL OR pr_number IS NOT NULL,"
    " coalesce(pr_status, '') FROM workspaces WHERE task_id IS NOT NULL";
  g_autoptr(GHashTable) work = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) astro_task_work_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  stmt = _astro_store_prepare (self->db, self->statements, sql, error);
  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *task_id = (const char *) sqlite3_column_text (stmt, 0);
      const char *pr_status = (const char *) sqlite3_column_text (stmt, 3);
      AstroTaskWork *task_work = g_hash_table_lookup (work, task_id);

      if (task_work == NULL)
        {
          task_work = g_new0 (AstroTaskWork, 1);
          g_hash_table_insert (work, g_strdup (task_id), task_work);
        }
      if (sqlite3_column_int (stmt, 1))
        task_work->n_workspaces++;
      if (sqlite3_column_int (stmt, 2) &&
          (task_work->pr_status == NULL || pr_rank (pr_status) < pr_rank (task_work->pr_status)))
        {
          g_free (task_work->pr_status);
          task_work->pr_status = g_strdup (pr_status);
        }
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not read the work on the tasks");
      return NULL;
    }

  return g_steal_pointer (&work);
}

/* What the team sees as this machine's name beside its workspaces: the name
 * chosen in Preferences, or the host name while none is. */
char *
astro_store_dup_device_name (AstroStore *self)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  name = astro_store_get_setting (self, ASTRO_SETTING_DEVICE_NAME);
  if (name != NULL)
    g_strstrip (name);
  if (name == NULL || name[0] == '\0')
    return g_strdup (g_get_host_name ());

  return g_steal_pointer (&name);
}
