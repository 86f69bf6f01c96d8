/* astro-task-list-model.h: the tasks matching a filter, as a GListModel of AstroTask
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "astro-store.h"
#include "astro-task.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_TASK_LIST_MODEL (astro_task_list_model_get_type ())

G_DECLARE_FINAL_TYPE (AstroTaskListModel, astro_task_list_model, ASTRO, TASK_LIST_MODEL, GObject)

AstroTaskListModel    *astro_task_list_model_new        (AstroStore            *store,
                                                          const AstroTaskFilter *filter);
AstroStore            *astro_task_list_model_get_store  (AstroTaskListModel    *self);
const AstroTaskFilter *astro_task_list_model_get_filter (AstroTaskListModel    *self);
void                   astro_task_list_model_set_filter (AstroTaskListModel    *self,
                                                          const AstroTaskFilter *filter);
const char            *astro_task_list_model_get_id     (AstroTaskListModel    *self,
                                                          guint                  position);
gboolean               astro_task_list_model_find       (AstroTaskListModel    *self,
                                                          const char            *id,
                                                          guint                 *position);

G_END_DECLS
