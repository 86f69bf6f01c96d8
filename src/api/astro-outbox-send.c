/* astro-outbox-send.c: one write over HTTP, and what its answer means
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing is lost: an answer that did not come (network, 5xx, 429, a
 * refused token) leaves the write queued, to go again under the same
 * Idempotency-Key, so a write applied whose answer was lost is answered
 * again by the server, not applied twice. Only a refusal (4xx) ends it.
 */
#define G_LOG_DOMAIN "astro-outbox"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "astro-outbox-private.h"

typedef struct
{
  AstroOutbox *outbox;
  SoupMessage *message;
  gint64       id;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->outbox);
  g_clear_object (&request->message);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

/*
 * A write's state is kept on the store's writing thread, so the main thread
 * never waits for a sync's transaction (hundreds of milliseconds during a
 * first sync). The write stays in "in_flight" until its state is stored, so
 * the pump never reads a state older than what it knows.
 */

typedef enum {
  STATE_SENDING,
  STATE_RETRY,
  STATE_ANSWERED,
  STATE_FAILED,
} StateKind;

typedef struct
{
  AstroOutbox *outbox;
  Request     *request;   /* sending: sent once that is stored */
  gint64       id;
  StateKind    kind;
  gint64       value;     /* sending: the attempt; retry: when, in µs */
  int          status;
  char        *text;      /* retry, failed: the message; answered: the txid */
} StateChange;

static void
state_change_free (gpointer data)
{
  StateChange *change = data;

  g_clear_object (&change->outbox);
  g_clear_pointer (&change->request, request_free);
  g_free (change->text);
  g_free (change);
}

static gint64
store_state_in_thread (AstroStore  *store,
                       gpointer     data,
                       GError     **error)
{
  StateChange *change = data;
  gboolean stored = FALSE;

  switch (change->kind)
    {
    case STATE_SENDING:
      stored = astro_store_outbox_set_sending (store, change->id, (int) change->value, error);
      break;
    case STATE_RETRY:
      stored = astro_store_outbox_set_retry (store, change->id, change->value, change->status,
                                             change->text, error);
      break;
    case STATE_ANSWERED:
      stored = astro_store_outbox_set_answered (store, change->id, change->text, change->status, error);
      break;
    case STATE_FAILED:
    default:
      stored = astro_store_outbox_set_failed (store, change->id, change->status, change->text, error);
      break;
    }

  return stored ? 1 : 0;
}

static void send_marked (AstroOutbox *self,
                         Request     *request);

static void
on_state_stored_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StateChange *change = user_data;
  AstroOutbox *self = change->outbox;
  g_autoptr(GError) error = NULL;
  static const char * const failures[] = {
    [STATE_SENDING] = "Could not mark a write as sending",
    [STATE_RETRY] = "Could not keep a write queued",
    [STATE_ANSWERED] = "Could not record an answer",
    [STATE_FAILED] = "Could not record a refused write",
  };

  astro_store_write_finish (ASTRO_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("%s: %s", failures[change->kind], error->message);

  if (change->kind == STATE_SENDING && error == NULL &&
      !g_cancellable_is_cancelled (self->cancellable))
    {
      send_marked (self, g_steal_pointer (&change->request));
      state_change_free (change);
      return;
    }

  g_hash_table_remove (self->in_flight, &change->id);
  /* Not marked as sending: the next pump that something else brings tries
   * again, rather than now and again at once on a failing disk. */
  if (change->kind == STATE_SENDING)
    {
      state_change_free (change);
      return;
    }
  _astro_outbox_pump (self);
  state_change_free (change);
}

static void
store_state (AstroOutbox *self,
             StateChange *change)
{
  gint64 *key = g_new (gint64, 1);

  change->outbox = g_object_ref (self);
  *key = change->id;
  g_hash_table_add (self->in_flight, key);
  astro_store_write_async (self->store, store_state_in_thread, change, NULL, on_state_stored_cb, change);
}

static void
retry_later (AstroOutbox *self,
             gint64       id,
             guint        status,
             guint        retry_after_ms,
             const char  *message)
{
  StateChange *change = g_new0 (StateChange, 1);
  guint delay = astro_backoff_next (&self->backoff, retry_after_ms);

  g_info ("write %" G_GINT64_FORMAT ": %s; again in %u ms", id, message, delay);
  change->id = id;
  change->kind = STATE_RETRY;
  change->value = g_get_real_time () + (gint64) delay * 1000;
  change->status = (int) status;
  change->text = g_strdup (message);
  store_state (self, change);
}

static void
on_refreshed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  AstroOutbox *self = ASTRO_OUTBOX (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  self->refreshing = FALSE;
  self->refreshed_at = g_get_monotonic_time ();
  token = g_task_propagate_pointer (G_TASK (result), &error);
  g_clear_pointer (&self->renew_error, g_free);
  if (error != NULL && error->domain == G_IO_ERROR)
    self->renew_error = g_strdup_printf (_("Could not renew the sign-in: %s"), error->message);
  if (token == NULL)
    {
      /* the writes stay queued: signing in again sends them */
      _astro_outbox_set_online (self, TRUE, self->renew_error ? self->renew_error : error->message);
    }

  _astro_outbox_pump (self);
}

static void
refresh_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  AstroOutbox *self = source_object;
  GError *error = NULL;
  char *token = self->refresh_func (self->auth_data, &error);

  if (token == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, token, g_free);
}

/* Single flight: however many writes hear 401, one refresh. */
static void
refresh_token (AstroOutbox *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->refreshing)
    return;

  self->refreshing = TRUE;
  task = g_task_new (self, self->cancellable, on_refreshed_cb, NULL);
  g_task_run_in_thread (task, refresh_in_thread);
}

static JsonObject *
parse_object (GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
  JsonNode *root;

  if (data == NULL || size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* What a person reads when the server refuses a write. */
static char *
refusal_message (guint       status,
                 JsonObject *answer)
{
  const char *detail = member_string (answer, "message");
  g_autoptr(GString) fields = g_string_new (NULL);
  JsonNode *node = answer != NULL ? json_object_get_member (answer, "fields") : NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);

      for (GList *l = members; l != NULL; l = l->next)
        g_string_append_printf (fields, "%s%s: %s", fields->len ? "; " : "", (const char *) l->data,
                                member_string (object, l->data) ? member_string (object, l->data) : "?");
    }

  switch (status)
    {
    case SOUP_STATUS_CONFLICT:
      return g_strdup (_("Someone else changed this in the meantime; your change was not saved"));
    case SOUP_STATUS_FORBIDDEN:
      return g_strdup (_("You are not allowed to change this; your change was undone"));
    case SOUP_STATUS_NOT_FOUND:
      return g_strdup (_("This no longer exists on the server; your change was undone"));
    case SOUP_STATUS_BAD_REQUEST:
    default:
      if (fields->len > 0)
        return g_strdup_printf (_("The server refused the change (%s); it was undone"), fields->str);
      return g_strdup_printf (_("The server refused the change (%s); it was undone"),
                              detail != NULL ? detail : soup_status_get_phrase (status));
    }
}

static void
on_answer_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  AstroOutbox *self = request->outbox;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) answer = NULL;
  guint status;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* stopping: the write stays "sending" and goes again on start */

  /* every way on stores the answer's state, which keeps the id in flight
   * until it is stored */
  g_hash_table_remove (self->in_flight, &request->id);

  if (bytes == NULL)
    {
      /* maybe applied, maybe not: the same key again will tell */
      g_autofree char *message = g_strdup_printf (_("Could not reach the server: %s"), error->message);

      retry_later (self, request->id, 0, 0, message);
      /* One broken connection is often a kept-alive one the server closed;
       * two in a row mean the server cannot be reached. */
      if (++self->network_failures >= 2)
        _astro_outbox_set_online (self, FALSE, message);
      return;
    }

  self->network_failures = 0;
  status = soup_message_get_status (request->message);
  answer = parse_object (bytes);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *txid = member_string (answer, "txid");

      StateChange *change = g_new0 (StateChange, 1);

      astro_backoff_reset (&self->backoff);
      /* no txid to wait for: the settle timeout refetches the table */
      change->id = request->id;
      change->kind = STATE_ANSWERED;
      change->status = (int) status;
      change->text = g_strdup (txid ? txid : "0");
      store_state (self, change);
      _astro_outbox_set_online (self, TRUE, NULL);
    }
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    {
      gboolean just_refreshed = self->refreshed_at != 0 &&
                                g_get_monotonic_time () - self->refreshed_at < 10 * G_USEC_PER_SEC;

      /* one refresh, then the write waits: a token refused right after a
       * refresh means signed out, and that never loops */
      if (self->refresh_func != NULL && !just_refreshed)
        {
          StateChange *change = g_new0 (StateChange, 1);

          change->id = request->id;
          change->kind = STATE_RETRY;
          change->status = (int) status;
          change->text = g_strdup (_("The server refused the sign-in"));
          store_state (self, change);
          refresh_token (self);
          return;  /* the refresh pumps */
        }
      /* a renewal the server could not make now is tried again when the
       * write goes again, on the back-off */
      if (self->renew_error != NULL)
        {
          self->refreshed_at = 0;
          retry_later (self, request->id, status, 0, self->renew_error);
          _astro_outbox_set_online (self, TRUE, self->renew_error);
          return;
        }
      retry_later (self, request->id, status, 60 * 1000, _("The server refused the sign-in"));
      _astro_outbox_set_online (self, TRUE, _("Signed out: sign in again to send your changes"));
    }
  else if (status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429 ||
           SOUP_STATUS_IS_SERVER_ERROR (status))
    {
      const char *retry_after = soup_message_headers_get_one (soup_message_get_response_headers (request->message),
                                                              "Retry-After");
      guint floor = astro_backoff_parse_retry_after (retry_after, g_get_real_time () / G_USEC_PER_SEC);
      g_autofree char *message = g_strdup_printf (_("The server is busy or failing (%u)"), status);

      retry_later (self, request->id, status, floor, message);
      _astro_outbox_set_online (self, TRUE, message);
    }
  else
    {
      StateChange *change = g_new0 (StateChange, 1);
      g_autofree char *message = refusal_message (status, answer);
      gboolean conflict = status == SOUP_STATUS_CONFLICT;

      g_info ("write %" G_GINT64_FORMAT " refused (%u): %s", request->id, status,
              member_string (answer, "message") ? member_string (answer, "message") : "");
      change->id = request->id;
      change->kind = STATE_FAILED;
      change->status = (int) status;
      change->text = g_strdup (message);
      store_state (self, change);
      _astro_outbox_set_online (self, TRUE, NULL);
      /* Said at once; the row shows the server's version again once the
       * refusal is stored (Reload), or the change goes once more without
       * its precondition (Retry). */
      g_signal_emit (self, _astro_outbox_signals[ASTRO_OUTBOX_SIGNAL_WRITE_FAILED], 0,
                     request->id, message, conflict, conflict);
    }
}

void
_astro_outbox_send (AstroOutbox            *self,
                    const AstroOutboxEntry *entry)
{
  g_autofree char *url = g_strconcat (self->server_url, entry->path, NULL);
  g_autofree char *token = NULL;
  SoupMessageHeaders *headers;
  StateChange *change;
  Request *request;

  request = g_new0 (Request, 1);
  request->outbox = g_object_ref (self);
  request->id = entry->id;
  request->message = soup_message_new (entry->method, url);
  if (request->message == NULL)
    {
      change = g_new0 (StateChange, 1);
      change->id = entry->id;
      change->kind = STATE_FAILED;
      change->text = g_strdup (_("The server address is not valid"));
      store_state (self, change);
      request_free (request);
      return;
    }

  headers = soup_message_get_request_headers (request->message);
  soup_message_headers_replace (headers, "Idempotency-Key", entry->idempotency_key);
  soup_message_headers_replace (headers, "Accept", "application/json");
  /* the token is added here, never stored with the write */
  token = self->token_func != NULL ? self->token_func (self->auth_data) : NULL;
  if (token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  if (entry->payload != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (entry->payload, strlen (entry->payload));

      soup_message_set_request_body_from_bytes (request->message, "application/json", body);
    }

  /* sent once marked: a write that may have reached the server is never
   * taken for one that did not */
  change = g_new0 (StateChange, 1);
  change->id = entry->id;
  change->kind = STATE_SENDING;
  change->value = entry->attempts + 1;
  change->request = request;
  store_state (self, change);
}

static void
send_marked (AstroOutbox *self,
             Request     *request)
{
  soup_session_send_and_read_async (self->session, request->message, G_PRIORITY_DEFAULT,
                                    self->cancellable, on_answer_cb, request);
}
