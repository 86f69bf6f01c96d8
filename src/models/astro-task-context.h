/* astro-task-context.h: what task rows show besides the task
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_TASK_CONTEXT (astro_task_context_get_type ())

G_DECLARE_FINAL_TYPE (AstroTaskContext, astro_task_context, ASTRO, TASK_CONTEXT, GObject)

AstroTaskContext    *astro_task_context_new           (AstroStore       *store);
const AstroTaskWork *astro_task_context_get_work      (AstroTaskContext *self,
                                                       const char       *task_id);
const char          *astro_task_context_get_user_name (AstroTaskContext *self,
                                                       const char       *user_id);

G_END_DECLS
