/* astro-application-private.h: what the application's own files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-account.h"
#include "astro-application.h"
#include "astro-linker.h"
#include "astro-outbox.h"
#include "astro-sync-engine.h"
#include "astro-window.h"

G_BEGIN_DECLS

struct _AstroApplication
{
  AdwApplication   parent_instance;

  AstroStore      *store;
  GError          *store_error;

  /* astro-application-writes.c */
  AstroOutbox     *outbox;            /* while signed in */
  GHashTable      *watchers;          /* linked folder → AstroCheckoutWatcher */
  GHashTable      *dirty_checkouts;   /* folders whose git status is to be sent */
  guint            git_source;
  guint            watchers_source;
  guint            presence_source;
  gint64           last_input_us;     /* monotonic */
  double           pointer_x;         /* where the last counted motion was */
  double           pointer_y;
  gint64           presence_sent_us;  /* monotonic; 0: not since in use */
  gboolean         idle_sent;

  AstroAccount    *account;
  GCancellable    *account_loading;   /* while the keyring is read */
  AstroSyncEngine *engine;
  AstroLinker     *linker;
  GSettings       *settings;  /* NULL when the schema is not installed */
};

AstroWindow *_astro_application_ensure_window (AstroApplication *self);
void         _astro_application_folders_init  (AstroApplication *self);
void         _astro_application_open_folder   (AstroApplication *self,
                                               GFile            *folder);
void         _astro_application_writes_init   (AstroApplication *self);
void         _astro_application_writes_start  (AstroApplication *self);
void         _astro_application_writes_stop   (AstroApplication *self);

G_END_DECLS
