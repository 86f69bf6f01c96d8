/* astro-task-list-model-private.h: what the tests may know of AstroTaskListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-task-list-model.h"

G_BEGIN_DECLS

/* How many tasks the model can hand out again without reading the store */
guint _astro_task_list_model_get_n_cached (AstroTaskListModel *self);

/* Whether changes of the store are still on their way into the list */
gboolean _astro_task_list_model_is_updating (AstroTaskListModel *self);

G_END_DECLS
