/* astro-repositories-page.h: the team's repositories and where they live here
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_REPOSITORIES_PAGE (astro_repositories_page_get_type ())

G_DECLARE_FINAL_TYPE (AstroRepositoriesPage, astro_repositories_page, ASTRO, REPOSITORIES_PAGE, AdwBin)

void astro_repositories_page_set_store (AstroRepositoriesPage *self,
                                        AstroStore            *store);
void astro_repositories_page_set_organization (AstroRepositoriesPage *self,
                                               const char            *organization_id);

G_END_DECLS
