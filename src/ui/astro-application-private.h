/* astro-application-private.h: what the application's own files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-account.h"
#include "astro-application.h"
#include "astro-linker.h"
#include "astro-sync-engine.h"
#include "astro-window.h"

G_BEGIN_DECLS

struct _AstroApplication
{
  AdwApplication   parent_instance;

  AstroStore      *store;
  GError          *store_error;
  AstroAccount    *account;
  AstroSyncEngine *engine;
  AstroLinker     *linker;
  GSettings       *settings;  /* NULL when the schema is not installed */
};

AstroWindow *_astro_application_ensure_window (AstroApplication *self);
void         _astro_application_folders_init  (AstroApplication *self);
void         _astro_application_open_folder   (AstroApplication *self,
                                               GFile            *folder);

G_END_DECLS
