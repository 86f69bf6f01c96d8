/* astro-sync-button.h: how syncing stands, at a glance and in detail
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-sync-engine.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_SYNC_BUTTON (astro_sync_button_get_type ())

G_DECLARE_FINAL_TYPE (AstroSyncButton, astro_sync_button, ASTRO, SYNC_BUTTON, AdwBin)

void astro_sync_button_set_engine (AstroSyncButton *self,
                                   AstroSyncEngine *engine);

char *astro_format_time_ago       (gint64           then_us,
                                   gint64           now_us);

G_END_DECLS
