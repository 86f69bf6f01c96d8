/* astro-task.h: one task of the task list, as an item for list models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "astro-row.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_TASK (astro_task_get_type ())

G_DECLARE_FINAL_TYPE (AstroTask, astro_task, ASTRO, TASK, GObject)

AstroTask  *astro_task_new                  (const char *id);
AstroTask  *astro_task_new_from_row         (AstroRow   *row);
gboolean    astro_task_update_from_row      (AstroTask  *self,
                                             AstroRow   *row);
const char *astro_task_get_id               (AstroTask  *self);
const char *astro_task_get_key              (AstroTask  *self);
const char *astro_task_get_title            (AstroTask  *self);
const char *astro_task_get_status           (AstroTask  *self);
const char *astro_task_get_status_color     (AstroTask  *self);
int         astro_task_get_priority         (AstroTask  *self);
const char *astro_task_get_assignee_id      (AstroTask  *self);
const char *astro_task_get_updated_at       (AstroTask  *self);
const char *astro_task_get_expected_version (AstroTask  *self);
const char *astro_task_get_labels           (AstroTask  *self);
const char *astro_task_get_organization_id  (AstroTask  *self);
const char *astro_task_get_repository_id    (AstroTask  *self);
const char *astro_task_get_description      (AstroTask  *self);
const char *astro_task_get_external_url     (AstroTask  *self);
const char *astro_task_get_branch           (AstroTask  *self);
gboolean    astro_task_get_pending          (AstroTask  *self);
void        astro_task_set_pending          (AstroTask  *self,
                                             gboolean    pending);

G_END_DECLS
