/* astro-workspace-row.h: one workspace on the Workspaces page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-workspace.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_WORKSPACE_ROW (astro_workspace_row_get_type ())

G_DECLARE_FINAL_TYPE (AstroWorkspaceRow, astro_workspace_row, ASTRO, WORKSPACE_ROW, AdwActionRow)

GtkWidget      *astro_workspace_row_new             (AstroWorkspace    *workspace);
AstroWorkspace *astro_workspace_row_get_workspace   (AstroWorkspaceRow *self);
void            astro_workspace_row_update_presence (AstroWorkspaceRow *self,
                                                     gint64             now_us);

G_END_DECLS
