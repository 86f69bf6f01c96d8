/* astro-icon-theme.h: reading the icon theme while the window is built
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void astro_icon_theme_load_in_background (void);

G_END_DECLS
