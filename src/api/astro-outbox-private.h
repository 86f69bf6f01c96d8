/* astro-outbox-private.h: what the outbox's own files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-backoff.h"
#include "astro-outbox.h"

G_BEGIN_DECLS

/* Requests at once: writes of different rows go side by side */
#define ASTRO_OUTBOX_MAX_IN_FLIGHT 4

struct _AstroOutbox
{
  GObject                 parent_instance;

  AstroStore             *store;
  char                   *server_url;
  SoupSession            *session;
  GCancellable           *cancellable;
  GNetworkMonitor        *monitor;

  AstroOutboxTokenFunc    token_func;
  AstroOutboxRefreshFunc  refresh_func;
  gpointer                auth_data;
  gboolean                refreshing;
  gint64                  refreshed_at;
  char                   *renew_error;     /* the last renewal failed for now */

  AstroBackoff            backoff;
  GHashTable             *in_flight;      /* outbox ids (gint64 *) */
  guint                   pump_source;
  guint                   settle_timeout_ms;
  gboolean                started;
  gboolean                online;
  guint                   network_failures;  /* in a row */
  char                   *last_error;
};

enum {
  ASTRO_OUTBOX_SIGNAL_WRITE_FAILED,
  ASTRO_OUTBOX_SIGNAL_WRITE_SETTLED,
  ASTRO_OUTBOX_SIGNAL_REFETCH_NEEDED,
  ASTRO_OUTBOX_N_SIGNALS
};

extern guint _astro_outbox_signals [ASTRO_OUTBOX_N_SIGNALS];

void _astro_outbox_pump          (AstroOutbox            *self);
void _astro_outbox_pump_soon     (AstroOutbox            *self);
void _astro_outbox_send          (AstroOutbox            *self,
                                  const AstroOutboxEntry *entry);
void _astro_outbox_set_online    (AstroOutbox            *self,
                                  gboolean                online,
                                  const char             *last_error);

G_END_DECLS
