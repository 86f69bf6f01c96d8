/* astro-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-account.h"
#include "astro-store.h"
#include "astro-sync-engine.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_WINDOW (astro_window_get_type ())

G_DECLARE_FINAL_TYPE (AstroWindow, astro_window, ASTRO, WINDOW, AdwApplicationWindow)

AstroWindow *astro_window_new             (GtkApplication *application,
                                           AstroStore     *store);
void         astro_window_show_toast      (AstroWindow    *self,
                                           const char     *message);
void         astro_window_show_lasting_toast (AstroWindow *self,
                                           const char     *message);
void         astro_window_add_toast       (AstroWindow    *self,
                                           AdwToast       *toast);
void         astro_window_show_store_error (AstroWindow   *self,
                                           const GError   *error);
void         astro_window_show_sign_in    (AstroWindow    *self,
                                           const char     *server_url);
void         astro_window_refresh_account (AstroWindow    *self);
void         astro_window_set_engine      (AstroWindow    *self,
                                           AstroSyncEngine *engine);

G_END_DECLS
