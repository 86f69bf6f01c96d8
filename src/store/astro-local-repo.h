/* astro-local-repo.h: a folder on this machine and the repository it is linked to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ASTRO_TYPE_LOCAL_REPO (astro_local_repo_get_type ())

typedef struct
{
  char *path;            /* the folder, absolute */
  char *repository_id;   /* NULL: a local-only project */
  char *remote_name;     /* the remote that matched, e.g. "origin" */
  char *remote_key;      /* its normalized key: never a raw URL, never credentials */
  char *device_id;
  char *color;
  char *last_opened_at;  /* ISO 8601 */
  char *created_at;
} AstroLocalRepo;

GType           astro_local_repo_get_type (void) G_GNUC_CONST;
AstroLocalRepo *astro_local_repo_new      (const char           *path);
AstroLocalRepo *astro_local_repo_copy     (const AstroLocalRepo *self);
void            astro_local_repo_free     (AstroLocalRepo       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroLocalRepo, astro_local_repo_free)

G_END_DECLS
