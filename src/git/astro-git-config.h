/* astro-git-config.h: what Astrolabe reads from the user's git configuration
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "astro-remote-url.h"

G_BEGIN_DECLS

GArray *astro_git_config_read_insteadof (GError **error);

G_END_DECLS
