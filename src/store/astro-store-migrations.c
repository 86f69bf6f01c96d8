/* astro-store-migrations.c: the schema, one numbered step at a time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A migration, once released, never changes: add a new one instead. Each runs in
 * one transaction together with its PRAGMA user_version, so a file is always at
 * exactly one version.
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include <glib/gstdio.h>

#include "astro-store-private.h"

/* Synced tables mirror the server: text values, no foreign keys (shapes arrive
 * in any order), ids are text UUIDs. */
static const char migration_1[] =
  "CREATE TABLE organizations ("
  "  id TEXT PRIMARY KEY NOT NULL, name TEXT, slug TEXT, avatar_url TEXT,"
  "  created_at TEXT, updated_at TEXT);"
  "CREATE TABLE users ("
  "  id TEXT PRIMARY KEY NOT NULL, email TEXT, name TEXT, avatar_url TEXT,"
  "  created_at TEXT, updated_at TEXT);"
  "CREATE TABLE organization_members ("
  "  id TEXT PRIMARY KEY NOT NULL, organization_id TEXT, user_id TEXT, role TEXT,"
  "  created_at TEXT, updated_at TEXT);"
  "CREATE TABLE repositories ("
  "  id TEXT PRIMARY KEY NOT NULL, organization_id TEXT, name TEXT, slug TEXT, url TEXT,"
  "  default_branch TEXT, github_id TEXT, created_at TEXT, updated_at TEXT);"
  "CREATE TABLE tasks ("
  "  id TEXT PRIMARY KEY NOT NULL, organization_id TEXT, repository_id TEXT, title TEXT,"
  "  description TEXT, status TEXT, status_color TEXT, priority TEXT, assignee_id TEXT,"
  "  external_provider TEXT, external_id TEXT, external_key TEXT, external_url TEXT,"
  "  branch TEXT, labels TEXT, due_date TEXT, created_at TEXT, updated_at TEXT,"
  "  deleted_at TEXT);"
  "CREATE TABLE workspaces ("
  "  id TEXT PRIMARY KEY NOT NULL, organization_id TEXT, task_id TEXT, repository_id TEXT,"
  "  owner_id TEXT, type TEXT, device_name TEXT, status TEXT, git_branch TEXT,"
  "  git_status TEXT, pr_url TEXT, pr_number TEXT, pr_status TEXT, last_activity_at TEXT,"
  "  created_at TEXT, updated_at TEXT);";

static const char migration_2[] =
  "CREATE TABLE local_repos ("
  "  path TEXT PRIMARY KEY NOT NULL,"
  "  repository_id TEXT,"
  "  remote_name TEXT,"
  "  remote_key TEXT,"
  "  device_id TEXT NOT NULL,"
  "  color TEXT,"
  "  last_opened_at TEXT,"
  "  created_at TEXT NOT NULL);"
  "CREATE TABLE settings ("
  "  key TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT);"
  "CREATE TABLE sync_state ("
  "  shape TEXT PRIMARY KEY NOT NULL,"
  "  definition TEXT,"
  "  handle TEXT,"
  "  shape_offset TEXT,"
  "  schema TEXT,"
  "  last_up_to_date INTEGER NOT NULL DEFAULT 0,"
  "  row_count INTEGER NOT NULL DEFAULT 0,"
  "  last_error TEXT,"
  "  CHECK ((handle IS NULL) = (shape_offset IS NULL)));"
  "CREATE TABLE outbox ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  idempotency_key TEXT NOT NULL UNIQUE,"
  "  method TEXT NOT NULL,"
  "  path TEXT NOT NULL,"
  "  payload TEXT,"
  "  row_table TEXT,"
  "  row_id TEXT,"
  "  state TEXT NOT NULL DEFAULT 'pending'"
  "    CHECK (state IN ('pending', 'sending', 'sent', 'settled', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  last_error TEXT,"
  "  txid TEXT,"
  "  created_at TEXT NOT NULL,"
  "  updated_at TEXT);";

/* The expressions of tasks_by_status must stay identical to the ORDER BY in
 * astro_store_list_task_ids() so SQLite walks the index instead of sorting. */
static const char migration_3[] =
  "CREATE INDEX tasks_by_status ON tasks (organization_id,"
  "  " "CASE lower(status) WHEN 'in progress' THEN 0 WHEN 'started' THEN 0"
  " WHEN 'in review' THEN 1 WHEN 'todo' THEN 2 WHEN 'unstarted' THEN 2"
  " WHEN 'backlog' THEN 3 WHEN 'triage' THEN 3 WHEN 'done' THEN 4"
  " WHEN 'completed' THEN 4 WHEN 'canceled' THEN 5 WHEN 'cancelled' THEN 5"
  " ELSE 6 END,"
  "  coalesce(nullif(CAST(priority AS INTEGER), 0), 5),"
  "  updated_at DESC, id);"
  "CREATE INDEX tasks_by_updated ON tasks (organization_id, updated_at DESC, id);"
  "CREATE INDEX tasks_by_assignee ON tasks (assignee_id);"
  "CREATE INDEX tasks_by_repository ON tasks (repository_id);"
  "CREATE INDEX workspaces_by_task ON workspaces (task_id);"
  "CREATE INDEX workspaces_by_organization ON workspaces (organization_id);"
  "CREATE INDEX workspaces_by_owner ON workspaces (owner_id);"
  "CREATE INDEX repositories_by_organization ON repositories (organization_id);"
  "CREATE INDEX members_by_organization ON organization_members (organization_id);"
  "CREATE INDEX members_by_user ON organization_members (user_id);"
  "CREATE INDEX local_repos_by_repository ON local_repos (repository_id);"
  "CREATE INDEX outbox_by_state ON outbox (state, id);";

/* Deleted tasks are never listed, so the display-order indexes leave them out:
 * the list query then reads the index alone instead of every row of the
 * table (about ten times faster for 100,000 tasks). The expressions must
 * stay identical to the ORDER BY in astro-store-read.c. */
static const char migration_4[] =
  "DROP INDEX tasks_by_status;"
  "CREATE INDEX tasks_by_status ON tasks (organization_id,"
  "  " "CASE lower(status) WHEN 'in progress' THEN 0 WHEN 'started' THEN 0"
  " WHEN 'in review' THEN 1 WHEN 'todo' THEN 2 WHEN 'unstarted' THEN 2"
  " WHEN 'backlog' THEN 3 WHEN 'triage' THEN 3 WHEN 'done' THEN 4"
  " WHEN 'completed' THEN 4 WHEN 'canceled' THEN 5 WHEN 'cancelled' THEN 5"
  " ELSE 6 END,"
  "  coalesce(nullif(CAST(priority AS INTEGER), 0), 5),"
  "  updated_at DESC, id) WHERE deleted_at IS NULL;"
  "DROP INDEX tasks_by_updated;"
  "CREATE INDEX tasks_by_updated ON tasks (organization_id, updated_at DESC, id)"
  "  WHERE deleted_at IS NULL;";

/* Every index is kept up to date on every row of a sync, and these two were
 * half of an initial sync's SQLite time between them: nothing looks tasks up
 * by repository, and the assignee filter walks the display-order index of
 * one organization, which now carries assignee_id so that it need not read
 * the rows. */
static const char migration_5[] =
  "DROP INDEX tasks_by_repository;"
  "DROP INDEX tasks_by_assignee;"
  "DROP INDEX tasks_by_status;"
  "CREATE INDEX tasks_by_status ON tasks (organization_id,"
  "  " "CASE lower(status) WHEN 'in progress' THEN 0 WHEN 'started' THEN 0"
  " WHEN 'in review' THEN 1 WHEN 'todo' THEN 2 WHEN 'unstarted' THEN 2"
  " WHEN 'backlog' THEN 3 WHEN 'triage' THEN 3 WHEN 'done' THEN 4"
  " WHEN 'completed' THEN 4 WHEN 'canceled' THEN 5 WHEN 'cancelled' THEN 5"
  " ELSE 6 END,"
  "  coalesce(nullif(CAST(priority AS INTEGER), 0), 5),"
  "  updated_at DESC, id, assignee_id) WHERE deleted_at IS NULL;"
  "DROP INDEX tasks_by_updated;"
  "CREATE INDEX tasks_by_updated ON tasks (organization_id, updated_at DESC, id, assignee_id)"
  "  WHERE deleted_at IS NULL;";

/* The outbox's optimistic overlay (see astro-store-outbox.c): what each
 * write shows until it settles, the synced row underneath while writes are
 * pending, and the transaction ids already applied, for answers that arrive
 * after their change did. */
static const char migration_6[] =
  "ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'update'"
  "  CHECK (kind IN ('create', 'update', 'delete'));"
  "ALTER TABLE outbox ADD COLUMN overlay TEXT;"
  "ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE outbox ADD COLUMN answered_at INTEGER;"
  "ALTER TABLE outbox ADD COLUMN refetch_at INTEGER;"
  "ALTER TABLE outbox ADD COLUMN http_status INTEGER;"
  "CREATE INDEX outbox_by_row ON outbox (row_table, row_id, id);"
  "CREATE INDEX outbox_by_txid ON outbox (txid) WHERE txid IS NOT NULL;"
  "CREATE TABLE overlay_base ("
  "  row_table TEXT NOT NULL,"
  "  row_id TEXT NOT NULL,"
  "  base TEXT,"
  "  PRIMARY KEY (row_table, row_id));"
  "CREATE TABLE seen_txids ("
  "  txid INTEGER PRIMARY KEY NOT NULL,"
  "  seen_at INTEGER NOT NULL);";

static const char * const migrations[] = {
  migration_1,
  migration_2,
  migration_3,
  migration_4,
  migration_5,
  migration_6,
};

int
astro_store_get_latest_version (void)
{
  return G_N_ELEMENTS (migrations);
}

int
_astro_store_read_version (sqlite3  *db,
                           GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;
  int version = -1;

  rc = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  else
    _astro_store_set_error (error, db, rc, "Could not read the schema version");
  sqlite3_finalize (stmt);

  return version;
}

/* A consistent copy even with a WAL beside the file, made before the first
 * migration touches it. */
static gboolean
copy_aside (sqlite3     *db,
            const char  *path,
            int          version,
            GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *copy = g_strdup_printf ("%s.v%d-%s.bak", path, version, stamp);
  g_autofree char *sql = NULL;
  char *quoted;

  g_unlink (copy);
  quoted = sqlite3_mprintf ("VACUUM INTO %Q", copy);
  sql = g_strdup (quoted);
  sqlite3_free (quoted);

  if (!_astro_store_exec (db, sql, error))
    {
      g_prefix_error (error, "Could not copy the database aside before migrating: ");
      return FALSE;
    }

  g_info ("Copied the database at schema version %d to %s", version, copy);
  return TRUE;
}

gboolean
_astro_store_migrate (sqlite3     *db,
                      const char  *path,
                      int          from_version,
                      int          to_version,
                      GError     **error)
{
  g_return_val_if_fail (to_version <= (int) G_N_ELEMENTS (migrations), FALSE);

  if (from_version > 0 && from_version < to_version && path != NULL &&
      !copy_aside (db, path, from_version, error))
    return FALSE;

  for (int version = from_version + 1; version <= to_version; version++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", version);

      if (!_astro_store_exec (db, "BEGIN IMMEDIATE", error))
        return FALSE;

      if (!_astro_store_exec (db, migrations[version - 1], &local_error) ||
          !_astro_store_exec (db, set_version, &local_error) ||
          !_astro_store_exec (db, "COMMIT", &local_error))
        {
          _astro_store_exec (db, "ROLLBACK", NULL);
          g_set_error (error, ASTRO_STORE_ERROR, ASTRO_STORE_ERROR_MIGRATION,
                       "Could not update the database from schema version %d to %d; "
                       "it was left as it was: %s",
                       version - 1, version, local_error->message);
          return FALSE;
        }
    }

  return TRUE;
}
