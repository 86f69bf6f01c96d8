/* astro-table.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "astro-table.h"

/* Columns as the server sends them; the order here is the order of the
 * CREATE TABLE statements in the first migration. */
static const char * const organizations_columns[] = {
  "id", "name", "slug", "avatar_url", "created_at", "updated_at",
};
static const char * const users_columns[] = {
  "id", "email", "name", "avatar_url", "created_at", "updated_at",
};
static const char * const organization_members_columns[] = {
  "id", "organization_id", "user_id", "role", "created_at", "updated_at",
};
static const char * const repositories_columns[] = {
  "id", "organization_id", "name", "slug", "url", "default_branch", "github_id",
  "created_at", "updated_at",
};
static const char * const tasks_columns[] = {
  "id", "organization_id", "repository_id", "title", "description", "status",
  "status_color", "priority", "assignee_id", "external_provider", "external_id",
  "external_key", "external_url", "branch", "labels", "due_date", "created_at",
  "updated_at", "deleted_at",
};
static const char * const workspaces_columns[] = {
  "id", "organization_id", "task_id", "repository_id", "owner_id", "type",
  "device_name", "status", "git_branch", "git_status", "pr_url", "pr_number",
  "pr_status", "last_activity_at", "created_at", "updated_at",
};

#define TABLE(n) { #n, n##_columns, G_N_ELEMENTS (n##_columns) }

static const AstroTable tables[] = {
  TABLE (organizations),
  TABLE (users),
  TABLE (organization_members),
  TABLE (repositories),
  TABLE (tasks),
  TABLE (workspaces),
};

static const AstroTable *table_list[] = {
  &tables[0], &tables[1], &tables[2], &tables[3], &tables[4], &tables[5],
};

G_STATIC_ASSERT (G_N_ELEMENTS (tasks_columns) <= ASTRO_TABLE_MAX_COLUMNS);

const AstroTable *
astro_table_lookup (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    if (strcmp (tables[i].name, name) == 0)
      return &tables[i];

  return NULL;
}

const AstroTable * const *
astro_table_all (guint *n_tables)
{
  if (n_tables != NULL)
    *n_tables = G_N_ELEMENTS (table_list);
  return table_list;
}

int
astro_table_column_index (const AstroTable *table,
                          const char       *column)
{
  g_return_val_if_fail (table != NULL, -1);
  g_return_val_if_fail (column != NULL, -1);

  for (guint i = 0; i < table->n_columns; i++)
    if (strcmp (table->columns[i], column) == 0)
      return (int) i;

  return -1;
}
