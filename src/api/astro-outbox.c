/* astro-outbox.c: every write goes through here
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A write is stored in the outbox (and shown, see astro-store-outbox.c)
 * before anything is sent. Then, on the main thread: writes of one row go
 * one after the other, in the order they were made (the next waits for the
 * answer to the one before); different rows go side by side. A write that
 * was answered waits for its txid on the shapes; if that does not come
 * within settle-timeout, "refetch-needed" asks the sync engine to take the
 * table again, which settles it too. Coalescing: an update of a row whose
 * previous update was never sent merges into it.
 *
 * The writes and their states are stored on the store's writing thread,
 * ahead of the sync's batches waiting there (astro-outbox-queue.c,
 * astro-outbox-send.c): the main thread never waits for a batch's
 * transaction, which takes hundreds of milliseconds during a first sync.
 */
#define G_LOG_DOMAIN "astro-outbox"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "astro-outbox-private.h"
#include "astro-write-values.h"

G_DEFINE_FINAL_TYPE (AstroOutbox, astro_outbox, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SETTLE_TIMEOUT,
  PROP_ONLINE,
  PROP_LAST_ERROR,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

guint _astro_outbox_signals [ASTRO_OUTBOX_N_SIGNALS];

/*
 * Auxiliary methods
 */

void
_astro_outbox_set_online (AstroOutbox *self,
                          gboolean     online,
                          const char  *last_error)
{
  if (online != self->online)
    {
      self->online = online;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
    }
  if (g_strcmp0 (last_error, self->last_error) != 0)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (last_error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
    }
}

static gboolean
on_pump_timeout_cb (gpointer data)
{
  AstroOutbox *self = data;

  self->pump_source = 0;
  _astro_outbox_pump (self);
  return G_SOURCE_REMOVE;
}

static gint64
note_refetch_in_thread (AstroStore  *store,
                        gpointer     data,
                        GError     **error)
{
  return astro_store_outbox_set_refetch (store, *(gint64 *) data, error) ? 1 : 0;
}

static void
on_refetch_noted_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  astro_store_write_finish (ASTRO_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("Could not note a refetch: %s", error->message);
}

/* The pump may run now: a write is stored. A pump already waiting may be
 * set for much later (an answered write's settle timeout), so it is brought
 * forward, not left to be. */
void
_astro_outbox_pump_soon (AstroOutbox *self)
{
  if (self->started)
    {
      g_clear_handle_id (&self->pump_source, g_source_remove);
      self->pump_source = g_idle_add (on_pump_timeout_cb, self);
    }
}

static void
ask_refetch (AstroOutbox            *self,
             const AstroOutboxEntry *entry,
             GHashTable             *asked)
{
  gint64 *id = g_new (gint64, 1);

  /* on the writing thread, as every state of a write: see astro-outbox-send.c */
  *id = entry->id;
  astro_store_write_async (self->store, note_refetch_in_thread, id, g_free, on_refetch_noted_cb, NULL);

  if (g_hash_table_contains (asked, entry->row_table))
    return;
  g_hash_table_add (asked, entry->row_table);
  g_info ("write %" G_GINT64_FORMAT ": txid %s not seen in time; refetching %s",
          entry->id, entry->txid, entry->row_table);
  g_signal_emit (self, _astro_outbox_signals[ASTRO_OUTBOX_SIGNAL_REFETCH_NEEDED], 0, entry->row_table);
}

/* Sends what is due, asks for refetches that are due, and wakes up again
 * when the next thing will be due. */
void
_astro_outbox_pump (AstroOutbox *self)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) busy_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) asked = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  gint64 settle_us = (gint64) self->settle_timeout_ms * 1000;
  gint64 now = g_get_real_time ();
  gint64 wake = G_MAXINT64;

  g_clear_handle_id (&self->pump_source, g_source_remove);
  if (!self->started)
    return;

  entries = astro_store_outbox_list (self->store, NULL, &error);
  if (entries == NULL)
    {
      g_warning ("Could not read the outbox: %s", error->message);
      return;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      AstroOutboxEntry *entry = g_ptr_array_index (entries, i);
      char *row = g_strconcat (entry->row_table, "/", entry->row_id, NULL);
      gboolean busy = g_hash_table_contains (busy_rows, row);

      if (g_str_equal (entry->state, ASTRO_OUTBOX_SENT))
        {
          gint64 due = MAX (entry->answered_at, entry->refetch_at) + settle_us;

          g_free (row);
          if (now >= due)
            {
              ask_refetch (self, entry, asked);
              due = now + settle_us;
            }
          wake = MIN (wake, due);
          continue;
        }

      if (!g_str_equal (entry->state, ASTRO_OUTBOX_PENDING) &&
          !g_str_equal (entry->state, ASTRO_OUTBOX_SENDING))
        {
          g_free (row);
          continue;
        }

      /* in order per row: a later write waits for the answer to this one */
      g_hash_table_add (busy_rows, row);
      if (busy || g_hash_table_contains (self->in_flight, &entry->id) || self->refreshing)
        continue;

      if (entry->next_attempt_at > now)
        {
          wake = MIN (wake, entry->next_attempt_at);
          continue;
        }

      if (g_hash_table_size (self->in_flight) >= ASTRO_OUTBOX_MAX_IN_FLIGHT)
        continue;  /* an answer pumps again */

      _astro_outbox_send (self, entry);
    }

  if (wake != G_MAXINT64)
    self->pump_source = g_timeout_add ((guint) MIN ((wake - now) / 1000 + 1, G_MAXUINT / 2),
                                       on_pump_timeout_cb, self);
}

static void
on_outbox_changed_cb (AstroStore       *store,
                      AstroRowsChanged *changes,
                      AstroOutbox      *self)
{
  for (guint i = 0; i < changes->updated->len; i++)
    {
      gint64 id = g_ascii_strtoll (g_ptr_array_index (changes->updated, i), NULL, 10);
      g_autoptr(AstroOutboxEntry) entry = astro_store_outbox_get (self->store, id, NULL);

      if (entry != NULL && g_str_equal (entry->state, ASTRO_OUTBOX_SETTLED))
        g_signal_emit (self, _astro_outbox_signals[ASTRO_OUTBOX_SIGNAL_WRITE_SETTLED], 0, id);
    }
}

static void
on_network_changed_cb (GNetworkMonitor *monitor,
                       gboolean         available,
                       AstroOutbox     *self)
{
  if (available)
    astro_outbox_send_now (self);
}

/*
 * GObject overrides
 */

static void
astro_outbox_dispose (GObject *object)
{
  AstroOutbox *self = (AstroOutbox *) object;

  self->started = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pump_source, g_source_remove);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  if (self->session != NULL)
    soup_session_abort (self->session);

  G_OBJECT_CLASS (astro_outbox_parent_class)->dispose (object);
}

static void
astro_outbox_finalize (GObject *object)
{
  AstroOutbox *self = (AstroOutbox *) object;

  g_clear_object (&self->store);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->renew_error, g_free);
  astro_backoff_clear (&self->backoff);

  G_OBJECT_CLASS (astro_outbox_parent_class)->finalize (object);
}

static void
astro_outbox_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  AstroOutbox *self = ASTRO_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_SETTLE_TIMEOUT:
      g_value_set_uint (value, self->settle_timeout_ms);
      break;

    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;

    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_outbox_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  AstroOutbox *self = ASTRO_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_SETTLE_TIMEOUT:
      self->settle_timeout_ms = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_outbox_class_init (AstroOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = astro_outbox_dispose;
  object_class->finalize = astro_outbox_finalize;
  object_class->get_property = astro_outbox_get_property;
  object_class->set_property = astro_outbox_set_property;

  /* How long an answered write may wait for its txid before its table is
   * refetched, in milliseconds. */
  properties [PROP_SETTLE_TIMEOUT] =
    g_param_spec_uint ("settle-timeout", NULL, NULL, 100, G_MAXUINT, 30000,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* Whether the last request reached the server. */
  properties [PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AstroOutbox::write-failed:
   * @id: the outbox id
   * @message: what to tell the user
   * @can_retry: sending it again (without the precondition) makes sense
   * @can_reload: the row changed on the server; it already shows that version
   *
   * The server refused a write; its overlay is gone.
   */
  _astro_outbox_signals [ASTRO_OUTBOX_SIGNAL_WRITE_FAILED] =
    g_signal_new ("write-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_INT64, G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_BOOLEAN);
  /* A write's change arrived on the shapes: the row is the server's again. */
  _astro_outbox_signals [ASTRO_OUTBOX_SIGNAL_WRITE_SETTLED] =
    g_signal_new ("write-settled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  /* A txid did not come back in time: the owner refetches the table
   * (astro_sync_engine_refetch()). */
  _astro_outbox_signals [ASTRO_OUTBOX_SIGNAL_REFETCH_NEEDED] =
    g_signal_new ("refetch-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
astro_outbox_init (AstroOutbox *self)
{
  self->settle_timeout_ms = 30000;
  self->online = TRUE;
  self->cancellable = g_cancellable_new ();
  self->in_flight = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  astro_backoff_init (&self->backoff, 1000, 60000);
}

/*
 * Public API
 */

/**
 * astro_outbox_new:
 * @server_url: (nullable): the team server; %NULL for an outbox that only
 *   queues (and shows) writes, for whoever sends them later
 */
AstroOutbox *
astro_outbox_new (AstroStore *store,
                  const char *server_url)
{
  AstroOutbox *self;

  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  self = g_object_new (ASTRO_TYPE_OUTBOX, NULL);
  self->store = g_object_ref (store);
  self->server_url = g_strdup (server_url != NULL ? server_url : "");
  while (g_str_has_suffix (self->server_url, "/"))
    self->server_url[strlen (self->server_url) - 1] = '\0';

  /* Its own connections: a write never waits behind a long-poll. */
  self->session = soup_session_new_with_options ("max-conns-per-host", ASTRO_OUTBOX_MAX_IN_FLIGHT * 2,
                                                 "timeout", 30,
                                                 "user-agent", "Astrolabe/" PACKAGE_VERSION " ",
                                                 NULL);
  return self;
}

void
astro_outbox_set_auth (AstroOutbox            *self,
                       AstroOutboxTokenFunc    token_func,
                       AstroOutboxRefreshFunc  refresh_func,
                       gpointer                user_data)
{
  g_return_if_fail (ASTRO_IS_OUTBOX (self));

  self->token_func = token_func;
  self->refresh_func = refresh_func;
  self->auth_data = user_data;
}

void
astro_outbox_set_backoff (AstroOutbox *self,
                          guint        initial_ms,
                          guint        max_ms)
{
  g_return_if_fail (ASTRO_IS_OUTBOX (self));

  astro_backoff_clear (&self->backoff);
  astro_backoff_init (&self->backoff, initial_ms ? initial_ms : 1000, max_ms ? max_ms : 60000);
}

static gint64
resume_in_thread (AstroStore  *store,
                  gpointer     data,
                  GError     **error)
{
  return astro_store_outbox_resume (store, GPOINTER_TO_INT (data), error) ? 1 : 0;
}

static void
on_resumed_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(AstroOutbox) self = user_data;
  g_autoptr(GError) error = NULL;

  astro_store_write_finish (ASTRO_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("Could not resume the outbox: %s", error->message);
  _astro_outbox_pump (self);
}

/* Resumes every write not sent or not settled, and sends from now on. The
 * outbox is resumed on the store's writing thread, which a first sync may
 * hold for a while; the pump starts once it is. */
void
astro_outbox_start (AstroOutbox *self)
{
  g_return_if_fail (ASTRO_IS_OUTBOX (self));

  if (self->started || self->server_url[0] == '\0')
    return;

  self->started = TRUE;
  g_signal_connect_object (self->store, "rows-changed::outbox",
                           G_CALLBACK (on_outbox_changed_cb), self, 0);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (self->monitor, "network-changed", G_CALLBACK (on_network_changed_cb), self);
  astro_store_write_async (self->store, resume_in_thread, GINT_TO_POINTER (TRUE), NULL,
                           on_resumed_cb, g_object_ref (self));
}

/* The network is back, or the user asked: everything queued goes now. */
void
astro_outbox_send_now (AstroOutbox *self)
{
  g_return_if_fail (ASTRO_IS_OUTBOX (self));

  astro_backoff_reset (&self->backoff);
  astro_store_write_async (self->store, resume_in_thread, GINT_TO_POINTER (FALSE), NULL,
                           on_resumed_cb, g_object_ref (self));
}

guint
astro_outbox_get_n_in_flight (AstroOutbox *self)
{
  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);
  return g_hash_table_size (self->in_flight);
}

gboolean
astro_outbox_get_online (AstroOutbox *self)
{
  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), FALSE);
  return self->online;
}

const char *
astro_outbox_get_last_error (AstroOutbox *self)
{
  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), NULL);
  return self->last_error;
}
