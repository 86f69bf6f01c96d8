/* astro-workspace.h: one workspace as the UI shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "astro-row.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_WORKSPACE (astro_workspace_get_type ())

G_DECLARE_FINAL_TYPE (AstroWorkspace, astro_workspace, ASTRO, WORKSPACE, GObject)

AstroWorkspace *astro_workspace_new              (AstroRow       *row);
AstroWorkspace *astro_workspace_new_with_context (AstroRow       *row,
                                                  AstroRow       *task,
                                                  const char     *owner_name);
AstroRow       *astro_workspace_get_row          (AstroWorkspace *self);
const char     *astro_workspace_get_id           (AstroWorkspace *self);
const char     *astro_workspace_get_task_id      (AstroWorkspace *self);
AstroRow       *astro_workspace_get_task         (AstroWorkspace *self);
const char     *astro_workspace_get_owner_name   (AstroWorkspace *self);
gboolean        astro_workspace_equal            (AstroWorkspace *a,
                                                  AstroWorkspace *b);
char           *astro_workspace_describe_presence (AstroWorkspace *self,
                                                   gint64          now_us);
char           *astro_workspace_describe_git      (AstroWorkspace *self);
char           *astro_workspace_describe_pr       (AstroWorkspace *self);

G_END_DECLS
