/* astro-task-private.h: what the models and their tests may know of AstroTask
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-task.h"

G_BEGIN_DECLS

/* How many AstroTask objects exist right now: lets tests prove that a long
 * list materializes only the items it is asked for. */
guint _astro_task_get_n_live (void);

G_END_DECLS
