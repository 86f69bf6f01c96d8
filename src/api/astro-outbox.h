/* astro-outbox.h: writes to the team API, queued, optimistic, exactly once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_OUTBOX (astro_outbox_get_type ())

G_DECLARE_FINAL_TYPE (AstroOutbox, astro_outbox, ASTRO, OUTBOX, GObject)

/* The current access token (NULL: none); called on the main thread. */
typedef char *(*AstroOutboxTokenFunc)   (gpointer   user_data);
/* Runs in a worker thread; the new access token, or NULL with @error. */
typedef char *(*AstroOutboxRefreshFunc) (gpointer   user_data,
                                         GError   **error);

AstroOutbox *astro_outbox_new              (AstroStore             *store,
                                            const char             *server_url);
void         astro_outbox_set_auth         (AstroOutbox            *self,
                                            AstroOutboxTokenFunc    token_func,
                                            AstroOutboxRefreshFunc  refresh_func,
                                            gpointer                user_data);
void         astro_outbox_set_backoff      (AstroOutbox            *self,
                                            guint                   initial_ms,
                                            guint                   max_ms);
void         astro_outbox_start            (AstroOutbox            *self);
void         astro_outbox_send_now         (AstroOutbox            *self);
gint64       astro_outbox_create_workspace (AstroOutbox            *self,
                                            JsonObject             *fields,
                                            GError                **error);
gint64       astro_outbox_update           (AstroOutbox            *self,
                                            const char             *table,
                                            const char             *row_id,
                                            JsonObject             *fields,
                                            const char             *expected_updated_at,
                                            GError                **error);
gint64       astro_outbox_delete_workspace (AstroOutbox            *self,
                                            const char             *row_id,
                                            const char             *expected_updated_at,
                                            GError                **error);
gint64       astro_outbox_retry            (AstroOutbox            *self,
                                            gint64                  id,
                                            GError                **error);
void         astro_outbox_create_workspace_async (AstroOutbox         *self,
                                                  JsonObject          *fields,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void         astro_outbox_update_async     (AstroOutbox            *self,
                                            const char             *table,
                                            const char             *row_id,
                                            JsonObject             *fields,
                                            const char             *expected_updated_at,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
void         astro_outbox_delete_workspace_async (AstroOutbox         *self,
                                                  const char          *row_id,
                                                  const char          *expected_updated_at,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void         astro_outbox_retry_async      (AstroOutbox            *self,
                                            gint64                  id,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
gint64       astro_outbox_write_finish     (AstroOutbox            *self,
                                            GAsyncResult           *result,
                                            GError                **error);
guint        astro_outbox_get_n_in_flight  (AstroOutbox            *self);
gboolean     astro_outbox_get_online       (AstroOutbox            *self);
const char  *astro_outbox_get_last_error   (AstroOutbox            *self);

G_END_DECLS
