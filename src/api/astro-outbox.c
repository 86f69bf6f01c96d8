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

static void
ask_refetch (AstroOutbox            *self,
             const AstroOutboxEntry *entry,
             GHashTable             *asked)
{
  g_autoptr(GError) error = NULL;

  if (!astro_store_outbox_set_refetch (self->store, entry->id, &error))
    g_warning ("Could not note a refetch: %s", error->message);

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

static gint64
enqueue (AstroOutbox     *self,
         AstroWriteKind   kind,
         const char      *method,
         const char      *table,
         const char      *row_id,
         JsonObject      *fields,
         const char      *owner_id,
         const char      *expected_updated_at,
         GError         **error)
{
  g_autoptr(AstroOutboxEntry) entry = astro_outbox_entry_new ();
  gboolean coalesce = kind == ASTRO_WRITE_UPDATE;
  gint64 id;

  entry->kind = kind;
  entry->method = g_strdup (method);
  entry->path = kind == ASTRO_WRITE_CREATE
    ? g_strdup_printf ("/api/%s", table)
    : g_strdup_printf ("/api/%s/%s", table, row_id);
  entry->payload = astro_write_payload_json (fields, expected_updated_at);
  entry->row_table = g_strdup (table);
  entry->row_id = g_strdup (row_id);
  entry->overlay = kind != ASTRO_WRITE_DELETE
    ? astro_write_overlay_json (fields, kind == ASTRO_WRITE_CREATE, owner_id)
    : NULL;
  entry->idempotency_key = g_uuid_string_random ();

  id = astro_store_outbox_add (self->store, entry, &coalesce, error);
  if (id == 0)
    return 0;

  if (coalesce)
    g_debug ("write merged into %" G_GINT64_FORMAT, id);

  /* The pump may run now: the write is stored. A pump already waiting may
   * be set for much later (an answered write's settle timeout), so it is
   * brought forward, not left to be. */
  if (self->started)
    {
      g_clear_handle_id (&self->pump_source, g_source_remove);
      self->pump_source = g_idle_add (on_pump_timeout_cb, self);
    }
  return id;
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

/* Resumes every write not sent or not settled, and sends from now on. */
void
astro_outbox_start (AstroOutbox *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (ASTRO_IS_OUTBOX (self));

  if (self->started || self->server_url[0] == '\0')
    return;

  if (!astro_store_outbox_resume (self->store, TRUE, &error))
    g_warning ("Could not resume the outbox: %s", error->message);

  self->started = TRUE;
  g_signal_connect_object (self->store, "rows-changed::outbox",
                           G_CALLBACK (on_outbox_changed_cb), self, 0);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (self->monitor, "network-changed", G_CALLBACK (on_network_changed_cb), self);
  _astro_outbox_pump (self);
}

/* The network is back, or the user asked: everything queued goes now. */
void
astro_outbox_send_now (AstroOutbox *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (ASTRO_IS_OUTBOX (self));

  astro_backoff_reset (&self->backoff);
  if (!astro_store_outbox_resume (self->store, FALSE, &error))
    g_warning ("Could not resume the outbox: %s", error->message);
  _astro_outbox_pump (self);
}

/**
 * astro_outbox_create_workspace:
 * @fields: id (a new UUID made by the caller), organization_id,
 *   repository_id, type, device_name, and optionally task_id, status,
 *   git_branch, git_status
 *
 * Returns: the outbox id, or 0 with @error
 */
gint64
astro_outbox_create_workspace (AstroOutbox  *self,
                               JsonObject   *fields,
                               GError      **error)
{
  g_autofree char *owner = NULL;
  const char *id;

  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);
  g_return_val_if_fail (fields != NULL, 0);

  if (!astro_write_check_fields ("workspaces", TRUE, fields, error))
    return 0;

  id = json_object_get_string_member_with_default (fields, "id", NULL);
  if (id == NULL || !g_uuid_string_is_valid (id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "A new workspace needs a UUID id");
      return 0;
    }

  /* ASTRO_SETTING_ACCOUNT_USER: auth/ sits above this layer */
  owner = astro_store_get_setting (self->store, "account-user-id");
  return enqueue (self, ASTRO_WRITE_CREATE, "POST", "workspaces", id, fields, owner, NULL, error);
}

/**
 * astro_outbox_update:
 * @table: "workspaces" or "tasks"
 * @expected_updated_at: (nullable): the row's updated_at as the caller saw
 *   it; the server refuses the write (409) if the row changed since
 *
 * Returns: the outbox id (an earlier one when the write merged into it), or 0
 */
gint64
astro_outbox_update (AstroOutbox  *self,
                     const char   *table,
                     const char   *row_id,
                     JsonObject   *fields,
                     const char   *expected_updated_at,
                     GError      **error)
{
  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);
  g_return_val_if_fail (table != NULL && row_id != NULL && fields != NULL, 0);

  if (!astro_write_check_fields (table, FALSE, fields, error))
    return 0;

  return enqueue (self, ASTRO_WRITE_UPDATE, "PATCH", table, row_id, fields, NULL,
                  expected_updated_at, error);
}

gint64
astro_outbox_delete_workspace (AstroOutbox  *self,
                               const char   *row_id,
                               const char   *expected_updated_at,
                               GError      **error)
{
  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);
  g_return_val_if_fail (row_id != NULL, 0);

  return enqueue (self, ASTRO_WRITE_DELETE, "DELETE", "workspaces", row_id, NULL, NULL,
                  expected_updated_at, error);
}

/* Sends a refused write again as a new one, without its precondition: what
 * "Retry" means after a conflict (this change wins). */
gint64
astro_outbox_retry (AstroOutbox  *self,
                    gint64        id,
                    GError      **error)
{
  g_autoptr(AstroOutboxEntry) entry = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *fields = NULL;

  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);

  entry = astro_store_outbox_get (self->store, id, error);
  if (entry == NULL)
    return 0;

  if (entry->payload != NULL)
    {
      if (!json_parser_load_from_data (parser, entry->payload, -1, error))
        return 0;
      fields = json_node_get_object (json_parser_get_root (parser));
      json_object_remove_member (fields, "expected_updated_at");
    }

  switch (entry->kind)
    {
    case ASTRO_WRITE_CREATE:
      return astro_outbox_create_workspace (self, fields, error);
    case ASTRO_WRITE_DELETE:
      return astro_outbox_delete_workspace (self, entry->row_id, NULL, error);
    case ASTRO_WRITE_UPDATE:
    default:
      return astro_outbox_update (self, entry->row_table, entry->row_id, fields, NULL, error);
    }
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
