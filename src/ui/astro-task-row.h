/* astro-task-row.h: one task in the list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-task.h"
#include "astro-task-context.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_TASK_ROW (astro_task_row_get_type ())

G_DECLARE_FINAL_TYPE (AstroTaskRow, astro_task_row, ASTRO, TASK_ROW, GtkWidget)

GtkWidget *astro_task_row_new      (AstroTaskContext *context);
void       astro_task_row_set_task (AstroTaskRow *self,
                                    AstroTask    *task);

const char *astro_priority_to_string (int priority);

G_END_DECLS
