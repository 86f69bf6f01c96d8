/* astro-sync-progress.h: the first sync, table by table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-sync-engine.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_SYNC_PROGRESS (astro_sync_progress_get_type ())

G_DECLARE_FINAL_TYPE (AstroSyncProgress, astro_sync_progress, ASTRO, SYNC_PROGRESS, AdwBin)

void astro_sync_progress_set_engine (AstroSyncProgress *self,
                                     AstroSyncEngine   *engine);

G_END_DECLS
