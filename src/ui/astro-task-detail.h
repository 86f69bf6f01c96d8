/* astro-task-detail.h: everything about one task, and the work on it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-store.h"
#include "astro-task.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_TASK_DETAIL (astro_task_detail_get_type ())

G_DECLARE_FINAL_TYPE (AstroTaskDetail, astro_task_detail, ASTRO, TASK_DETAIL, AdwBin)

void astro_task_detail_set_store (AstroTaskDetail *self,
                                  AstroStore      *store);
void astro_task_detail_set_task  (AstroTaskDetail *self,
                                  AstroTask       *task);

G_END_DECLS
