/* astro-store-local.c: the tables that never leave this machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include "astro-store-private.h"

GPtrArray *
astro_store_list_local_tables (void)
{
  GPtrArray *tables = g_ptr_array_new ();

  g_ptr_array_add (tables, (gpointer) "local_repos");
  g_ptr_array_add (tables, (gpointer) "settings");
  g_ptr_array_add (tables, (gpointer) "sync_state");
  g_ptr_array_add (tables, (gpointer) "outbox");
  g_ptr_array_add (tables, (gpointer) "overlay_base");
  g_ptr_array_add (tables, (gpointer) "seen_txids");
  return tables;
}

/*
 * Settings
 */

char *
astro_store_get_setting (AstroStore *self,
                         const char *key)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  char *value = NULL;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT value FROM settings WHERE key = ?1", &error);
  if (stmt == NULL)
    {
      g_warning ("%s", error->message);
      return NULL;
    }

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    value = _astro_store_dup_column (stmt, 0);
  else if (rc != SQLITE_DONE)
    g_warning ("Could not read the setting %s: %s", key, sqlite3_errmsg (self->db));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return value;
}

/* A NULL value removes the setting. */
/* The settings row, on whichever connection the caller holds */
gboolean
_astro_store_write_setting (sqlite3     *db,
                            GHashTable  *statements,
                            const char  *key,
                            const char  *value,
                            GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = _astro_store_prepare (db, statements,
                               value != NULL
                               ? "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                               : "DELETE FROM settings WHERE key = ?1",
                               error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (value != NULL)
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);

  return _astro_store_step_done (db, stmt, "Could not save a setting", error);
}

gboolean
astro_store_set_setting (AstroStore  *self,
                         const char  *key,
                         const char  *value,
                         GError     **error)
{
  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return _astro_store_write_setting (self->db, self->statements, key, value, error);
}

/* This machine's id, made once and kept: workspaces and links carry it. */
char *
astro_store_dup_device_id (AstroStore *self)
{
  g_autoptr(GError) error = NULL;
  char *id;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  id = astro_store_get_setting (self, ASTRO_SETTING_DEVICE_ID);
  if (id != NULL)
    return id;

  id = g_uuid_string_random ();
  if (!astro_store_set_setting (self, ASTRO_SETTING_DEVICE_ID, id, &error))
    g_warning ("Could not keep this device's id: %s", error->message);

  return id;
}

/*
 * Shape states
 */

#define SHAPE_STATE_COLUMNS \
  "shape, definition, handle, shape_offset, schema, last_up_to_date, row_count, last_error"

static AstroShapeState *
shape_state_from_statement (sqlite3_stmt *stmt)
{
  AstroShapeState *state = astro_shape_state_new ((const char *) sqlite3_column_text (stmt, 0));

  state->definition = _astro_store_dup_column (stmt, 1);
  state->handle = _astro_store_dup_column (stmt, 2);
  state->offset = _astro_store_dup_column (stmt, 3);
  state->schema = _astro_store_dup_column (stmt, 4);
  state->last_up_to_date = sqlite3_column_int64 (stmt, 5);
  state->row_count = sqlite3_column_int64 (stmt, 6);
  state->last_error = _astro_store_dup_column (stmt, 7);
  return state;
}

/* Returns NULL with no error when the shape has never synced. */
AstroShapeState *
astro_store_get_shape_state (AstroStore  *self,
                             const char  *shape,
                             GError     **error)
{
  AstroShapeState *state = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (shape != NULL, NULL);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT " SHAPE_STATE_COLUMNS " FROM sync_state WHERE shape = ?1",
                               error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, shape, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    state = shape_state_from_statement (stmt);
  else if (rc != SQLITE_DONE)
    _astro_store_set_error (error, self->db, rc, "Could not read the sync state");
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return state;
}

GPtrArray *
astro_store_list_shape_states (AstroStore  *self,
                               GError     **error)
{
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_shape_state_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT " SHAPE_STATE_COLUMNS " FROM sync_state ORDER BY shape",
                               error);
  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (states, shape_state_from_statement (stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not read the sync state");
      return NULL;
    }

  return g_steal_pointer (&states);
}

/*
 * Local repositories
 */

#define LOCAL_REPO_COLUMNS \
  "path, repository_id, remote_name, remote_key, device_id, color, last_opened_at, created_at"

static AstroLocalRepo *
local_repo_from_statement (sqlite3_stmt *stmt)
{
  AstroLocalRepo *repo = astro_local_repo_new ((const char *) sqlite3_column_text (stmt, 0));

  repo->repository_id = _astro_store_dup_column (stmt, 1);
  repo->remote_name = _astro_store_dup_column (stmt, 2);
  repo->remote_key = _astro_store_dup_column (stmt, 3);
  repo->device_id = _astro_store_dup_column (stmt, 4);
  repo->color = _astro_store_dup_column (stmt, 5);
  repo->last_opened_at = _astro_store_dup_column (stmt, 6);
  repo->created_at = _astro_store_dup_column (stmt, 7);
  return repo;
}

/* What is on this device changed (a folder linked, relinked or unlinked):
 * whoever offers work on the linked repositories looks again. */
static void
post_local_repo_changed (AstroStore *self,
                         const char *path,
                         gboolean    deleted)
{
  g_autoptr(AstroRowsChanged) changes = astro_rows_changed_new ("local_repos");

  g_ptr_array_add (deleted ? changes->deleted : changes->updated, g_strdup (path));
  _astro_store_post_rows_changed (self, changes);
}

/* Inserts or replaces by path; device_id and created_at are filled in when unset. */
gboolean
astro_store_save_local_repo (AstroStore            *self,
                             const AstroLocalRepo  *repo,
                             GError               **error)
{
  g_autofree char *device_id = NULL;
  g_autofree char *now = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (repo != NULL, FALSE);

  if (!g_path_is_absolute (repo->path))
    {
      g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_INVALID,
                   "A linked folder needs an absolute path, not “%s”", repo->path);
      return FALSE;
    }

  device_id = repo->device_id != NULL ? g_strdup (repo->device_id) : astro_store_dup_device_id (self);
  now = _astro_store_now_iso ();

  stmt = _astro_store_prepare (self->db, self->statements,
                               "INSERT INTO local_repos (" LOCAL_REPO_COLUMNS ")"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                               " ON CONFLICT (path) DO UPDATE SET"
                               " repository_id = excluded.repository_id,"
                               " remote_name = excluded.remote_name,"
                               " remote_key = excluded.remote_key,"
                               " device_id = excluded.device_id,"
                               " color = excluded.color,"
                               " last_opened_at = excluded.last_opened_at",
                               error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, repo->path, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, repo->repository_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, repo->remote_name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, repo->remote_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, repo->color, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, repo->last_opened_at, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, repo->created_at != NULL ? repo->created_at : now, -1, SQLITE_STATIC);

  if (!_astro_store_step_done (self->db, stmt, "Could not save the linked folder", error))
    return FALSE;

  post_local_repo_changed (self, repo->path, FALSE);
  return TRUE;
}

AstroLocalRepo *
astro_store_get_local_repo (AstroStore  *self,
                            const char  *path,
                            GError     **error)
{
  AstroLocalRepo *repo = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT " LOCAL_REPO_COLUMNS " FROM local_repos WHERE path = ?1",
                               error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    repo = local_repo_from_statement (stmt);
  else if (rc != SQLITE_DONE)
    _astro_store_set_error (error, self->db, rc, "Could not read a linked folder");
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return repo;
}

GPtrArray *
astro_store_list_local_repos (AstroStore  *self,
                              GError     **error)
{
  g_autoptr(GPtrArray) repos = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_local_repo_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), NULL);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "SELECT " LOCAL_REPO_COLUMNS " FROM local_repos ORDER BY path",
                               error);
  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (repos, local_repo_from_statement (stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      _astro_store_set_error (error, self->db, rc, "Could not read the linked folders");
      return NULL;
    }

  return g_steal_pointer (&repos);
}

gboolean
astro_store_delete_local_repo (AstroStore  *self,
                               const char  *path,
                               GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  stmt = _astro_store_prepare (self->db, self->statements,
                               "DELETE FROM local_repos WHERE path = ?1", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
  if (!_astro_store_step_done (self->db, stmt, "Could not unlink the folder", error))
    return FALSE;

  post_local_repo_changed (self, path, TRUE);
  return TRUE;
}
