/* astro-this-device.c: this machine's checkouts and workspaces
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the task detail (which offers work here) and the application (which
 * writes it and keeps it current) must agree on: which folder a new
 * workspace lives in, and which workspaces are this person's on this
 * machine. A workspace names its device by name, as the team sees it.
 */
#define G_LOG_DOMAIN "astro-this-device"

#include "config.h"

#include "astro-account.h"
#include "astro-this-device.h"

static gboolean
opened_later (const AstroLocalRepo *a,
              const AstroLocalRepo *b)
{
  return b == NULL || g_strcmp0 (a->last_opened_at, b->last_opened_at) > 0;
}

/**
 * astro_this_device_find_checkout:
 * @repository_id: (nullable): the repository wanted first (a task's)
 * @organization_id: (nullable): otherwise any repository of this
 *   organization will do
 *
 * Returns: (transfer full) (nullable): the linked folder to work in: one of
 *   @repository_id if there is one, else one of the organization's
 *   repositories; the most recently opened when there are several
 */
AstroLocalRepo *
astro_this_device_find_checkout (AstroStore *store,
                                 const char *repository_id,
                                 const char *organization_id)
{
  g_autoptr(GPtrArray) repos = NULL;
  const AstroLocalRepo *exact = NULL, *same_organization = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  repos = astro_store_list_local_repos (store, NULL);
  for (guint i = 0; repos != NULL && i < repos->len; i++)
    {
      const AstroLocalRepo *repo = g_ptr_array_index (repos, i);
      g_autoptr(AstroRow) row = NULL;

      if (repo->repository_id == NULL)
        continue;  /* a local-only project */

      if (g_strcmp0 (repo->repository_id, repository_id) == 0)
        {
          if (opened_later (repo, exact))
            exact = repo;
          continue;
        }

      if (exact != NULL || organization_id == NULL)
        continue;
      row = astro_store_get_row (store, "repositories", repo->repository_id, NULL);
      if (row != NULL && g_strcmp0 (astro_row_get (row, "organization_id"), organization_id) == 0 &&
          opened_later (repo, same_organization))
        same_organization = repo;
    }

  if (exact != NULL)
    return astro_local_repo_copy (exact);
  if (same_organization != NULL)
    return astro_local_repo_copy (same_organization);
  return NULL;
}

/* Whether @workspace is this person's, on this machine (not in a cloud),
 * and not archived: the ones whose presence and git status this app keeps
 * current. */
gboolean
astro_this_device_owns_workspace (AstroRow   *workspace,
                                  const char *device_name,
                                  const char *user_id)
{
  g_return_val_if_fail (workspace != NULL, FALSE);

  return device_name != NULL && user_id != NULL &&
         g_strcmp0 (astro_row_get (workspace, "device_name"), device_name) == 0 &&
         g_strcmp0 (astro_row_get (workspace, "owner_id"), user_id) == 0 &&
         g_strcmp0 (astro_row_get (workspace, "type"), "cloud") != 0 &&
         g_strcmp0 (astro_row_get (workspace, "status"), "archived") != 0;
}
