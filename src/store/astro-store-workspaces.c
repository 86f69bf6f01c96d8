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

/**
 * astro_store_get_task_work:
 * @n_workspaces: (out): the task's workspaces not archived
 * @pr_status: (out) (transfer full) (nullable): the most telling status among
 *   their pull requests (open, then draft, merged, closed), "" for a pull
 *   request whose status is unknown, %NULL if none
 *
 * What a task's row shows of the work on it, by the workspaces_by_task index.
 */
gboolean
astro_store_get_task_work (AstroStore  *self,
                           const char  *task_id,
                           guint       *n_workspaces,
                           char       **pr_status,
                           GError     **error)
{
  static const char sql[] =
    "SELECT count(*) FILTER (WHERE status IS NOT 'archived'),"
    " (SELECT coalesce(pr_status, '') FROM workspaces WHERE task_id = ?1"
    "  AND (pr_url IS NOT NULL OR pr_number IS NOT NULL)"
    "  ORDER BY CASE pr_status WHEN 'open' THEN 0 WHEN 'draft' THEN 1"
    "  WHEN 'merged' THEN 2 WHEN 'closed' THEN 3 ELSE 4 END LIMIT 1)"
    " FROM workspaces WHERE task_id = ?1";
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (task_id != NULL, FALSE);

  *n_workspaces = 0;
  *pr_status = NULL;

  stmt = _astro_store_prepare (self->db, self->statements, sql, error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *n_workspaces = (guint) sqlite3_column_int (stmt, 0);
      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        *pr_status = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if (rc != SQLITE_ROW)
    {
      _astro_store_set_error (error, self->db, rc, "Could not read the work on a task");
      return FALSE;
    }

  return TRUE;
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
