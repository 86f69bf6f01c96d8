/* astro-repository-item.h: a repository and the folder linked to it here
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "astro-local-repo.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_REPOSITORY_ITEM (astro_repository_item_get_type ())

G_DECLARE_FINAL_TYPE (AstroRepositoryItem, astro_repository_item, ASTRO, REPOSITORY_ITEM, GObject)

AstroRepositoryItem *astro_repository_item_new        (const char           *title,
                                                       const AstroLocalRepo *link);
const char          *astro_repository_item_get_title  (AstroRepositoryItem  *self);
const char          *astro_repository_item_get_path   (AstroRepositoryItem  *self);
const char          *astro_repository_item_get_remote (AstroRepositoryItem  *self);

G_END_DECLS
