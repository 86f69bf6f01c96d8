/* astro-workspace-list-model.h: an organization's workspaces, grouped by task
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "astro-store.h"
#include "astro-workspace.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_WORKSPACE_LIST_MODEL (astro_workspace_list_model_get_type ())

G_DECLARE_FINAL_TYPE (AstroWorkspaceListModel, astro_workspace_list_model, ASTRO, WORKSPACE_LIST_MODEL, GObject)

AstroWorkspaceListModel *astro_workspace_list_model_new              (AstroStore              *store);
void                     astro_workspace_list_model_set_organization (AstroWorkspaceListModel *self,
                                                                      const char              *organization_id);
const char              *astro_workspace_list_model_get_organization (AstroWorkspaceListModel *self);
void                     astro_workspace_list_model_set_owner        (AstroWorkspaceListModel *self,
                                                                      const char              *owner_id);
const char              *astro_workspace_list_model_get_owner        (AstroWorkspaceListModel *self);

G_END_DECLS
