/* astro-sync-engine.h: every shape, live, on a thread of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-shape-stream.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_SYNC_ENGINE (astro_sync_engine_get_type ())

G_DECLARE_FINAL_TYPE (AstroSyncEngine, astro_sync_engine, ASTRO, SYNC_ENGINE, GObject)

typedef enum
{
  ASTRO_SYNC_STATUS_OFFLINE,     /* not started, or no network */
  ASTRO_SYNC_STATUS_CONNECTING,  /* started, nothing heard yet */
  ASTRO_SYNC_STATUS_SYNCING,     /* at least one shape is catching up */
  ASTRO_SYNC_STATUS_LIVE,        /* every shape is up to date and listening */
  ASTRO_SYNC_STATUS_ERROR,       /* a shape keeps failing; see the message */
  ASTRO_SYNC_STATUS_SIGNED_OUT,  /* the token was refused and could not be renewed */
} AstroSyncStatus;

/* Runs in a worker thread; returns the new access token, or NULL with
 * @error: a G_IO_ERROR (the server cannot renew now) is tried again with
 * back-off, any other error signs out. */
typedef char *(*AstroRefreshFunc) (gpointer   user_data,
                                   GError   **error);

typedef struct
{
  AstroSyncMode     mode;
  const char       *server_url;
  const char       *access_token;       /* proxy mode */
  AstroRefreshFunc  refresh_func;       /* NULL: a refused token signs out */
  gpointer          refresh_data;
  const char      **organization_ids;   /* direct mode: NULL for whole tables */
  guint             backoff_initial_ms; /* 0: 1 s */
  guint             backoff_max_ms;     /* 0: 32 s */
  guint             timeout_s;          /* 0: 45 s, above the server's 20 s hold */
  gboolean          once;               /* stop each shape at up-to-date */
  const char      **tables;             /* NULL: every synced table */
  gboolean          background;         /* at a low CPU priority, beside a window */
} AstroSyncOptions;

/* One shape as the UI shows it; a copy made on the main thread. */
typedef struct
{
  char                *table;
  AstroShapeStateKind  state;
  gboolean             up_to_date;
  gint64               rows_received;
  gint64               bytes_received;
  gint64               last_up_to_date;  /* µs since the epoch, 0 if never */
  char                *last_error;
  guint                requests;
} AstroShapeInfo;

AstroSyncEngine *astro_sync_engine_new            (AstroStore             *store,
                                                   const AstroSyncOptions *options);
void             astro_sync_engine_start          (AstroSyncEngine        *self);
void             astro_sync_engine_stop           (AstroSyncEngine        *self);
void             astro_sync_engine_sync_now       (AstroSyncEngine        *self);
void             astro_sync_engine_refetch        (AstroSyncEngine        *self,
                                                   const char             *table);
AstroSyncStatus  astro_sync_engine_get_status     (AstroSyncEngine        *self);
const char      *astro_sync_engine_get_message    (AstroSyncEngine        *self);
gboolean         astro_sync_engine_is_up_to_date  (AstroSyncEngine        *self);
gint64           astro_sync_engine_get_rows_received (AstroSyncEngine     *self);
AstroStore      *astro_sync_engine_get_store      (AstroSyncEngine        *self);
guint            astro_sync_engine_get_n_shapes   (AstroSyncEngine        *self);
const AstroShapeInfo *astro_sync_engine_get_shape (AstroSyncEngine        *self,
                                                   guint                   index);
const char      *astro_sync_status_to_string      (AstroSyncStatus         status);

G_END_DECLS
