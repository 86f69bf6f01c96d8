/* astro-shape-stream.h: one Electric shape, kept in step with the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_SHAPE_STREAM (astro_shape_stream_get_type ())

G_DECLARE_FINAL_TYPE (AstroShapeStream, astro_shape_stream, ASTRO, SHAPE_STREAM, GObject)

typedef enum
{
  ASTRO_SYNC_MODE_PROXY,   /* /api/electric/<table> with a Bearer token */
  ASTRO_SYNC_MODE_DIRECT,  /* /v1/shape?table=… with no auth */
} AstroSyncMode;

typedef enum
{
  ASTRO_SHAPE_STATE_IDLE,
  ASTRO_SHAPE_STATE_SYNCING,     /* initial sync, catch-up or refetch */
  ASTRO_SHAPE_STATE_LIVE,        /* up to date, long-polling */
  ASTRO_SHAPE_STATE_RETRYING,    /* a request failed; waiting to retry */
  ASTRO_SHAPE_STATE_UNAUTHORIZED /* waiting for a new token */
} AstroShapeStateKind;

/* What the stream needs from its engine; called on the sync thread. */
typedef char *(*AstroTokenFunc) (gpointer user_data);

typedef struct
{
  AstroSyncMode  mode;
  const char    *server_url;   /* without a trailing slash */
  const char    *where;        /* direct mode only; NULL for the whole table */
  const char   **params;       /* NULL-terminated, for $1… in where */
  guint          backoff_initial_ms;
  guint          backoff_max_ms;
  gboolean       once;         /* stop at up-to-date instead of going live */
} AstroShapeConfig;

AstroShapeStream   *astro_shape_stream_new            (AstroStore             *store,
                                                       SoupSession            *session,
                                                       const AstroTable       *table,
                                                       const AstroShapeConfig *config,
                                                       const AstroShapeState  *saved,
                                                       AstroTokenFunc          token_func,
                                                       gpointer                token_data);
void                astro_shape_stream_start          (AstroShapeStream       *self);
void                astro_shape_stream_stop           (AstroShapeStream       *self);
void                astro_shape_stream_retry_now      (AstroShapeStream       *self);
void                astro_shape_stream_refetch_now    (AstroShapeStream       *self);
const AstroTable   *astro_shape_stream_get_table      (AstroShapeStream       *self);
AstroShapeStateKind astro_shape_stream_get_state      (AstroShapeStream       *self);
gboolean            astro_shape_stream_is_up_to_date  (AstroShapeStream       *self);
gint64              astro_shape_stream_get_rows_received (AstroShapeStream    *self);
gint64              astro_shape_stream_get_bytes_received (AstroShapeStream   *self);
gint64              astro_shape_stream_get_last_up_to_date (AstroShapeStream  *self);
const char         *astro_shape_stream_get_last_error (AstroShapeStream       *self);
const char         *astro_shape_stream_get_handle     (AstroShapeStream       *self);
const char         *astro_shape_stream_get_offset     (AstroShapeStream       *self);
guint               astro_shape_stream_get_requests   (AstroShapeStream       *self);

G_END_DECLS
