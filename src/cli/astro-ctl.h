/* astro-ctl.h: what the astrolabe-ctl commands share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-outbox.h"
#include "astro-store.h"
#include "astro-write-values.h"

G_BEGIN_DECLS

/* Each command gets its own arguments (argv[0] is the command's name) and
 * returns the process exit status. */
int         astro_ctl_db         (int          argc,
                                  char       **argv);
int         astro_ctl_remote     (int          argc,
                                  char       **argv);
int         astro_ctl_login      (int          argc,
                                  char       **argv);
int         astro_ctl_logout     (int          argc,
                                  char       **argv);
int         astro_ctl_sync       (int          argc,
                                  char       **argv);
int         astro_ctl_status     (int          argc,
                                  char       **argv);
int         astro_ctl_tasks      (int          argc,
                                  char       **argv);
int         astro_ctl_link       (int          argc,
                                  char       **argv);
int         astro_ctl_unlink     (int          argc,
                                  char       **argv);
int         astro_ctl_workspace  (int          argc,
                                  char       **argv);
int         astro_ctl_task       (int          argc,
                                  char       **argv);
int         astro_ctl_outbox     (int          argc,
                                  char       **argv);

/* writing (astro-ctl-deliver.c, astro-ctl-task.c) */
int         astro_ctl_deliver    (AstroStore  *store,
                                  const char  *server,
                                  gint64       id,
                                  gboolean     wait_for_txid,
                                  int          timeout_s);
void        astro_ctl_print_write (AstroStore *store,
                                  gint64       id);
AstroRow   *astro_ctl_find_task  (AstroStore  *store,
                                  const char  *wanted);

char       *astro_ctl_json_string (const char *value);

AstroStore *astro_ctl_open_store (const char  *path);
gboolean    astro_ctl_parse_options (int               *argc,
                                     char            ***argv,
                                     const char        *parameters,
                                     const char        *summary,
                                     const GOptionEntry *entries,
                                     int                max_arguments);
void        astro_ctl_error      (const char  *format,
                                  ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
