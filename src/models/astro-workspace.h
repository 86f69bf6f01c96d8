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
AstroRow       *astro_workspace_get_row          (AstroWorkspace *self);
char           *astro_workspace_describe_presence (AstroWorkspace *self,
                                                   gint64          now_us);
char           *astro_workspace_describe_git      (AstroWorkspace *self);
char           *astro_workspace_describe_pr       (AstroWorkspace *self);

G_END_DECLS
