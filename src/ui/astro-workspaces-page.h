/* astro-workspaces-page.h: the active organization's workspaces, by task
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_WORKSPACES_PAGE (astro_workspaces_page_get_type ())

G_DECLARE_FINAL_TYPE (AstroWorkspacesPage, astro_workspaces_page, ASTRO, WORKSPACES_PAGE, AdwBin)

void astro_workspaces_page_set_store        (AstroWorkspacesPage *self,
                                             AstroStore          *store);
void astro_workspaces_page_set_organization (AstroWorkspacesPage *self,
                                             const char          *organization_id);
void astro_workspaces_page_refresh_account  (AstroWorkspacesPage *self);

G_END_DECLS
