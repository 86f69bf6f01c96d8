/* astro-preferences-window.h: appearance, this device's name, the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "astro-account.h"
#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_PREFERENCES_WINDOW (astro_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (AstroPreferencesWindow, astro_preferences_window, ASTRO, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *astro_preferences_window_new (GtkWindow    *parent,
                                         AstroStore   *store,
                                         AstroAccount *account);

G_END_DECLS
