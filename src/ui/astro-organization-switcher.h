/* astro-organization-switcher.h: which organization the window shows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_ORGANIZATION_SWITCHER (astro_organization_switcher_get_type ())

G_DECLARE_FINAL_TYPE (AstroOrganizationSwitcher, astro_organization_switcher, ASTRO, ORGANIZATION_SWITCHER, AdwBin)

void        astro_organization_switcher_set_store           (AstroOrganizationSwitcher *self,
                                                             AstroStore                *store);
const char *astro_organization_switcher_get_organization_id (AstroOrganizationSwitcher *self);

G_END_DECLS
