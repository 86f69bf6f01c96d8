/* astro-checkout-watcher.h: the live git status of one linked checkout
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ASTRO_TYPE_CHECKOUT_WATCHER (astro_checkout_watcher_get_type ())

G_DECLARE_FINAL_TYPE (AstroCheckoutWatcher, astro_checkout_watcher, ASTRO, CHECKOUT_WATCHER, GObject)

AstroCheckoutWatcher *astro_checkout_watcher_new              (const char            *path);
const char           *astro_checkout_watcher_get_path         (AstroCheckoutWatcher  *self);
gboolean              astro_checkout_watcher_get_ready        (AstroCheckoutWatcher  *self);
const char           *astro_checkout_watcher_get_branch       (AstroCheckoutWatcher  *self);
gboolean              astro_checkout_watcher_get_detached     (AstroCheckoutWatcher  *self);
const char           *astro_checkout_watcher_get_head         (AstroCheckoutWatcher  *self);
guint                 astro_checkout_watcher_get_uncommitted  (AstroCheckoutWatcher  *self);
gboolean              astro_checkout_watcher_get_has_upstream (AstroCheckoutWatcher  *self);
guint                 astro_checkout_watcher_get_ahead        (AstroCheckoutWatcher  *self);
guint                 astro_checkout_watcher_get_behind       (AstroCheckoutWatcher  *self);
const char           *astro_checkout_watcher_get_error        (AstroCheckoutWatcher  *self);
char                 *astro_checkout_watcher_dup_git_status   (AstroCheckoutWatcher  *self);
void                  astro_checkout_watcher_refresh          (AstroCheckoutWatcher  *self);

G_END_DECLS
