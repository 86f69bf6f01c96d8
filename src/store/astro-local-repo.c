/* astro-local-repo.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "astro-local-repo.h"

G_DEFINE_BOXED_TYPE (AstroLocalRepo, astro_local_repo,
                     astro_local_repo_copy, astro_local_repo_free)

AstroLocalRepo *
astro_local_repo_new (const char *path)
{
  AstroLocalRepo *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_new0 (AstroLocalRepo, 1);
  self->path = g_strdup (path);
  return self;
}

AstroLocalRepo *
astro_local_repo_copy (const AstroLocalRepo *self)
{
  AstroLocalRepo *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = astro_local_repo_new (self->path);
  copy->repository_id = g_strdup (self->repository_id);
  copy->remote_name = g_strdup (self->remote_name);
  copy->remote_key = g_strdup (self->remote_key);
  copy->device_id = g_strdup (self->device_id);
  copy->color = g_strdup (self->color);
  copy->last_opened_at = g_strdup (self->last_opened_at);
  copy->created_at = g_strdup (self->created_at);
  return copy;
}

void
astro_local_repo_free (AstroLocalRepo *self)
{
  if (self == NULL)
    return;

  g_free (self->path);
  g_free (self->repository_id);
  g_free (self->remote_name);
  g_free (self->remote_key);
  g_free (self->device_id);
  g_free (self->color);
  g_free (self->last_opened_at);
  g_free (self->created_at);
  g_free (self);
}
