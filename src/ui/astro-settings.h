/* astro-settings.h: the app's GSettings, when its schema is installed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GSettings *astro_settings_new_if_installed (const char *missing_means);

G_END_DECLS
