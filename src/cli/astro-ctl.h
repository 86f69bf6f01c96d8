/* astro-ctl.h: what the astrolabe-ctl commands share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-store.h"

G_BEGIN_DECLS

/* Each command gets its own arguments (argv[0] is the command's name) and
 * returns the process exit status. */
int         astro_ctl_db         (int          argc,
                                  char       **argv);

AstroStore *astro_ctl_open_store (const char  *path,
                                  GError     **error);
void        astro_ctl_error      (const char  *format,
                                  ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
