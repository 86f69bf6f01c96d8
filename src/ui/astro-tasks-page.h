/* astro-tasks-page.h: the active organization's tasks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-store.h"
#include "astro-sync-engine.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_TASKS_PAGE (astro_tasks_page_get_type ())

G_DECLARE_FINAL_TYPE (AstroTasksPage, astro_tasks_page, ASTRO, TASKS_PAGE, AdwBin)

void astro_tasks_page_set_store    (AstroTasksPage *self,
                                    AstroStore     *store);
void astro_tasks_page_focus_search (AstroTasksPage *self);
void astro_tasks_page_refresh_account (AstroTasksPage *self);
void astro_tasks_page_set_organization (AstroTasksPage *self,
                                        const char     *organization_id);
gboolean astro_tasks_page_get_has_tasks (AstroTasksPage *self);
void astro_tasks_page_set_engine   (AstroTasksPage  *self,
                                    AstroSyncEngine *engine);
void astro_tasks_page_set_first_sync (AstroTasksPage *self,
                                      gboolean        first_sync);

G_END_DECLS
