/* astro-icon-theme.c: reading the icon theme while the window is built
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK reads the icon theme (its index files and folders) the first time an
 * icon is looked up: 15-20 ms of the first frame, spent when the window is
 * presented. An icon theme made on the main thread may be looked up from
 * another, under its own lock, so a thread reads it while the main thread
 * builds the window. Should the window need an icon before the thread is
 * done, its look-up waits for the same read, no longer than it would have
 * taken anyway.
 */
#define G_LOG_DOMAIN "astro-icon-theme"

#include "config.h"

#include "astro-icon-theme.h"

static gpointer
look_up_in_thread (gpointer data)
{
  g_autoptr(GtkIconTheme) theme = data;
  g_autoptr(GtkIconPaintable) icon = NULL;

  icon = gtk_icon_theme_lookup_icon (theme, "open-menu-symbolic", NULL, 16, 1, GTK_TEXT_DIR_NONE, 0);

  return NULL;
}

/**
 * astro_icon_theme_load_in_background:
 *
 * Reads the default display's icon theme on a thread of its own. Call it
 * on the main thread, once GTK is initialized.
 */
void
astro_icon_theme_load_in_background (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  GtkIconTheme *theme;

  if (display == NULL)
    return;

  theme = gtk_icon_theme_get_for_display (display);
  g_thread_unref (g_thread_new ("astro-icon-theme", look_up_in_thread, g_object_ref (theme)));
}
