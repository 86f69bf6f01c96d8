/* astro-this-device.h: this machine's checkouts and workspaces
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-store.h"

G_BEGIN_DECLS

AstroLocalRepo *astro_this_device_find_checkout      (AstroStore *store,
                                                      const char *repository_id,
                                                      const char *organization_id);
gboolean        astro_this_device_owns_workspace     (AstroRow   *workspace,
                                                      const char *device_name,
                                                      const char *user_id);

G_END_DECLS
