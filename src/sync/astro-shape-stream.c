/* astro-shape-stream.c: the Electric protocol for one shape
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * -1 → snapshot chunks → up-to-date → live long-polls. Changes of a response
 * are parsed as the body streams in and kept until the next up-to-date, then
 * applied in one transaction with the handle and offset that follow them. A
 * first sync into an empty table applies each chunk as it comes (with its
 * offset), so 100,000 rows never sit in memory at once.
 */
#define G_LOG_DOMAIN "astro-shape-stream"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "astro-backoff.h"
#include "astro-shape-parser.h"
#include "astro-shape-stream.h"

#define READ_SIZE (64 * 1024)
#define ERROR_BODY_LIMIT (64 * 1024)
/* 409s in a row before they wait like other failures: a server or cache that
 * answers nothing but 409 must not be hammered */
#define REFETCHES_BEFORE_BACKOFF 3

struct _AstroShapeStream
{
  GObject              parent_instance;

  /* set at construction, read-only after */
  AstroStore          *store;
  SoupSession         *session;
  const AstroTable    *table;
  AstroSyncMode        mode;
  char                *server_url;
  char                *where;
  GStrv                params;
  char                *definition;
  AstroTokenFunc       token_func;
  gpointer             token_data;

  /* protocol state */
  char                *handle;
  char                *offset;
  char                *cursor;
  char                *schema;
  char                *expired_handle;
  char                *cache_buster;
  gboolean             live;           /* reached up-to-date in this run */
  gboolean             refetching;     /* the next apply replaces the table */
  gint64               refetch_started; /* real µs when that refetch began */
  gboolean             stream_chunks;  /* a first sync: apply chunk by chunk */
  gboolean             once;           /* no live requests */
  gboolean             committing;     /* a batch is being written, off this thread */
  gboolean             commit_failed;  /* the last write failed: no requests in parallel */
  gboolean             deferred;       /* a response is waiting for the write to finish */
  gboolean             deferred_up_to_date;
  guint                refetches;      /* 409s in a row */
  guint                stale_answers;  /* cached answers with the expired handle, in a row */
  AstroBatch          *pending;        /* changes waiting for up-to-date */
  AstroBatch          *response;       /* changes of the response being read */
  AstroShapeParser    *parser;
  AstroBackoff         backoff;

  /* the request in flight */
  GCancellable        *cancellable;
  SoupMessage         *message;
  GInputStream        *body;
  GByteArray          *error_body;
  guint8              *buffer;
  guint                retry_source;
  gboolean             request_live;

  /* what the UI shows */
  AstroShapeStateKind  state;
  gboolean             up_to_date_once;
  gint64               rows_received;
  gint64               bytes_received;
  gint64               last_up_to_date;
  char                *last_error;
  guint                requests;
};

G_DEFINE_FINAL_TYPE (AstroShapeStream, astro_shape_stream, G_TYPE_OBJECT)

enum {
  CHANGED,
  UNAUTHORIZED,
  TXIDS_SEEN,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

static void send_request (AstroShapeStream *self);

/*
 * Auxiliary methods
 */

static void
set_state (AstroShapeStream    *self,
           AstroShapeStateKind  state)
{
  self->state = state;
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
set_error (AstroShapeStream *self,
           const char       *message)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
}

static char *
random_buster (void)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%08x", g_get_real_time () / 1000, g_random_int ());
}

static void
append_param (GString    *url,
              gboolean   *first,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  g_string_append_c (url, *first ? '?' : '&');
  g_string_append_printf (url, "%s=%s", name, escaped);
  *first = FALSE;
}

/* Parameters in sorted order, as the official client sends them, so a cache
 * in between keys identical requests identically. */
static char *
build_url (AstroShapeStream *self)
{
  g_autoptr(GString) url = g_string_new (self->server_url);
  gboolean first = TRUE;
  gboolean at_start = g_strcmp0 (self->offset, "-1") == 0;

  if (self->mode == ASTRO_SYNC_MODE_PROXY)
    g_string_append_printf (url, "/api/electric/%s", self->table->name);
  else
    g_string_append (url, "/v1/shape");

  if (self->cache_buster != NULL)
    append_param (url, &first, "cache-buster", self->cache_buster);
  if (self->request_live)
    append_param (url, &first, "cursor", self->cursor != NULL ? self->cursor : "");
  if (self->expired_handle != NULL)
    append_param (url, &first, "expired_handle", self->expired_handle);
  if (self->handle != NULL && !at_start)
    append_param (url, &first, "handle", self->handle);
  if (self->request_live)
    append_param (url, &first, "live", "true");
  append_param (url, &first, "log", "full");
  append_param (url, &first, "offset", self->offset);
  if (self->mode == ASTRO_SYNC_MODE_DIRECT)
    {
      for (guint i = 0; self->params != NULL && self->params[i] != NULL; i++)
        {
          g_autofree char *name = g_strdup_printf ("params[%u]", i + 1);
          append_param (url, &first, name, self->params[i]);
        }
      append_param (url, &first, "table", self->table->name);
      if (self->where != NULL)
        append_param (url, &first, "where", self->where);
    }

  return g_string_free (g_steal_pointer (&url), FALSE);
}

static void
clear_request (AstroShapeStream *self)
{
  g_clear_object (&self->message);
  g_clear_object (&self->body);
  g_clear_pointer (&self->error_body, g_byte_array_unref);
  g_clear_pointer (&self->response, astro_batch_unref);
}

static gboolean
on_retry_timeout_cb (gpointer data)
{
  AstroShapeStream *self = data;

  self->retry_source = 0;
  send_request (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (AstroShapeStream *self,
          guint             delay_ms)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);

  /* the sync thread's context is the thread default here */
  self->retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms,
                                           on_retry_timeout_cb, self, NULL);
}

/* A failure that may pass: keep everything applied so far, wait, try again
 * from the same offset. */
static void
fail_and_retry (AstroShapeStream *self,
                guint             retry_after_ms,
                const char       *format,
                ...) G_GNUC_PRINTF (3, 4);

static void
fail_and_retry (AstroShapeStream *self,
                guint             retry_after_ms,
                const char       *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;
  guint delay;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  clear_request (self);
  delay = astro_backoff_next (&self->backoff, retry_after_ms);
  g_info ("%s: %s; retrying in %u ms", self->table->name, message, delay);

  set_error (self, message);
  astro_store_set_shape_error (self->store, self->table->name, message, NULL);
  set_state (self, ASTRO_SHAPE_STATE_RETRYING);
  schedule (self, delay);
}

/* The server no longer has our shape (409, out of bounds): start again from
 * -1. What we have stays visible until the new snapshot replaces it whole. */
static void
refetch (AstroShapeStream *self,
         const char       *new_handle,
         gboolean          expire_handle)
{
  g_info ("%s: must refetch (handle %s → %s)", self->table->name,
          self->handle ? self->handle : "none", new_handle ? new_handle : "none");

  clear_request (self);
  if (self->handle != NULL && expire_handle)
    {
      g_free (self->expired_handle);
      self->expired_handle = g_strdup (self->handle);
    }
  g_free (self->handle);
  self->handle = g_strdup (new_handle);
  g_free (self->offset);
  self->offset = g_strdup ("-1");
  g_clear_pointer (&self->cursor, g_free);
  g_clear_pointer (&self->schema, g_free);
  g_free (self->cache_buster);
  self->cache_buster = random_buster ();
  g_clear_pointer (&self->pending, astro_batch_unref);
  self->pending = astro_batch_new (self->table);
  self->live = FALSE;
  self->stream_chunks = FALSE;
  self->refetching = TRUE;
  self->refetch_started = g_get_real_time ();

  set_state (self, ASTRO_SHAPE_STATE_SYNCING);

  if (++self->refetches > REFETCHES_BEFORE_BACKOFF)
    schedule (self, astro_backoff_next (&self->backoff, 0));
  else
    schedule (self, 0);
}

static AstroShapeState *
current_state (AstroShapeStream *self,
               gboolean          up_to_date)
{
  AstroShapeState *state = astro_shape_state_new (self->table->name);

  state->definition = g_strdup (self->definition);
  state->handle = g_strdup (self->handle);
  state->offset = g_strdup (self->offset);
  state->schema = g_strdup (self->schema);
  state->last_up_to_date = up_to_date ? g_get_real_time () : self->last_up_to_date;
  return state;
}

/* About 30 MB of a first sync's rows waiting for the disk, at most */
#define MAX_PENDING_CHANGES 25000

typedef struct
{
  AstroShapeStream *stream;
  AstroBatch       *batch;
  gint64            up_to_date_at;  /* 0 for a snapshot chunk */
} Commit;

static void
commit_free (Commit *commit)
{
  g_object_unref (commit->stream);
  astro_batch_unref (commit->batch);
  g_free (commit);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Commit, commit_free)

static void queue_commit (AstroShapeStream *self,
                          gboolean          up_to_date);

static void
go_live (AstroShapeStream *self)
{
  g_clear_pointer (&self->expired_handle, g_free);
  self->live = TRUE;
  self->stream_chunks = FALSE;
  self->up_to_date_once = TRUE;
  astro_backoff_reset (&self->backoff);
  set_error (self, NULL);
  set_state (self, ASTRO_SHAPE_STATE_LIVE);
  if (!self->once && self->message == NULL)
    send_request (self);
}

static void
on_committed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Commit) commit = user_data;
  AstroShapeStream *self = commit->stream;
  g_autoptr(GError) error = NULL;
  gboolean written;

  written = astro_store_apply_batch_finish (ASTRO_STORE (source), result, &error);
  self->committing = FALSE;

  /* stopped meanwhile: what was written is written, nothing more to do */
  if (self->cancellable == NULL)
    return;

  if (!written)
    {
      /* The transaction rolled back. Its changes go back in front of the
       * ones gathered since, so the next write saves them all, together with
       * the latest offset: rows and offset never part. */
      g_warning ("%s: could not save a batch: %s", self->table->name, error->message);
      astro_batch_steal_changes (commit->batch, self->pending);
      astro_batch_unref (self->pending);
      self->pending = astro_batch_ref (commit->batch);
      self->commit_failed = TRUE;

      if (self->deferred)
        {
          self->deferred = FALSE;
          queue_commit (self, self->deferred_up_to_date);
        }
      else if (self->message == NULL)
        fail_and_retry (self, 0, _("Could not save the synced rows: %s"), error->message);
      else
        set_error (self, error->message);
      return;
    }

  self->commit_failed = FALSE;
  self->refetching = FALSE;
  if (commit->up_to_date_at != 0)
    self->last_up_to_date = commit->up_to_date_at;

  if (self->deferred)
    {
      self->deferred = FALSE;
      queue_commit (self, self->deferred_up_to_date);
    }
  else if (commit->up_to_date_at != 0)
    go_live (self);
  else
    g_signal_emit (self, signals[CHANGED], 0);
}

/* Writes what has gathered, with the handle and offset that follow it, in one
 * transaction on the store's writing thread. While a snapshot chunk is written the next
 * one is already being fetched and parsed: two cores, both busy. One write
 * at a time per shape keeps them in order. */
static void
queue_commit (AstroShapeStream *self,
              gboolean          up_to_date)
{
  g_autoptr(AstroShapeState) state = current_state (self, up_to_date);
  Commit *commit;

  if (self->committing)
    {
      self->deferred = TRUE;
      self->deferred_up_to_date = up_to_date;
      /* Reading on while the write runs makes the next write larger: each
       * transaction rewrites every index page it touched, so fewer and larger
       * ones write less. Bounded, so a slow disk does not fill memory. */
      if (!up_to_date && !self->commit_failed && self->message == NULL &&
          astro_batch_get_n_changes (self->pending) < MAX_PENDING_CHANGES)
        send_request (self);
      return;
    }

  commit = g_new0 (Commit, 1);
  commit->stream = g_object_ref (self);
  commit->batch = g_steal_pointer (&self->pending);
  commit->up_to_date_at = up_to_date ? state->last_up_to_date : 0;
  astro_batch_set_state (commit->batch, state);
  astro_batch_set_reset (commit->batch, self->refetching);
  /* a whole snapshot, asked for after every write answered before it */
  if (self->refetching && up_to_date)
    astro_batch_set_refetch_started (commit->batch, self->refetch_started);
  self->pending = astro_batch_new (self->table);
  self->committing = TRUE;

  astro_store_apply_batch_async (self->store, commit->batch, on_committed_cb, commit);

  if (!up_to_date && !self->commit_failed && self->message == NULL)
    send_request (self);
}

static const char *
response_header (AstroShapeStream *self,
                 const char       *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (self->message), name);
}

static void
take_header (char       **field,
             const char  *value)
{
  if (value != NULL)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

/* A whole 200 body has been read and parsed. */
static void
finish_response (AstroShapeStream *self)
{
  g_autoptr(GError) error = NULL;
  const char *handle = response_header (self, "electric-handle");
  const char *offset = response_header (self, "electric-offset");
  SoupMessageMetrics *metrics = soup_message_get_metrics (self->message);
  gboolean up_to_date;
  GArray *txids;

  if (metrics != NULL)
    self->bytes_received += soup_message_metrics_get_response_body_bytes_received (metrics);

  if (!astro_shape_parser_finish (self->parser, &error))
    {
      fail_and_retry (self, 0, _("The server sent a malformed body: %s"), error->message);
      return;
    }

  if (astro_shape_parser_got_must_refetch (self->parser))
    {
      refetch (self, handle, TRUE);
      return;
    }

  up_to_date = astro_shape_parser_got_up_to_date (self->parser) ||
               response_header (self, "electric-up-to-date") != NULL;

  self->rows_received += astro_batch_get_n_changes (self->response);
  astro_batch_steal_changes (self->pending, self->response);
  g_clear_pointer (&self->response, astro_batch_unref);

  /* The txids travel with their changes, so the store settles the writes
   * they answer in the very transaction that applies them. */
  txids = astro_shape_parser_get_txids (self->parser);
  if (txids != NULL && txids->len > 0)
    {
      astro_batch_add_txids (self->pending, txids);
      g_signal_emit (self, signals[TXIDS_SEEN], 0, txids);
    }
  astro_batch_set_snapshot_xmin (self->pending, astro_shape_parser_get_snapshot_xmin (self->parser));

  take_header (&self->handle, handle);
  take_header (&self->offset, offset);
  take_header (&self->cursor, response_header (self, "electric-cursor"));
  take_header (&self->schema, response_header (self, "electric-schema"));
  g_clear_pointer (&self->cache_buster, g_free);
  self->refetches = 0;

  astro_backoff_reset (&self->backoff);
  clear_request (self);

  if (up_to_date || self->stream_chunks)
    {
      queue_commit (self, up_to_date);
      return;
    }

  g_signal_emit (self, signals[CHANGED], 0);
  send_request (self);
}

static void
on_body_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(AstroShapeStream) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (n < 0)
    {
      fail_and_retry (self, 0, _("The connection broke while reading: %s"), error->message);
      return;
    }

  if (n == 0)
    {
      finish_response (self);
      return;
    }

  if (!astro_shape_parser_feed (self->parser, (const char *) self->buffer, n, &error))
    {
      fail_and_retry (self, 0, _("The server sent a malformed body: %s"), error->message);
      return;
    }

  g_input_stream_read_async (self->body, self->buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                             self->cancellable, on_body_read_cb, g_object_ref (self));
}

static void
read_data (AstroShapeStream *self)
{
  g_autoptr(GError) error = NULL;
  const char *handle = response_header (self, "electric-handle");
  const char *offset = response_header (self, "electric-offset");

  /* Without these the next request cannot be made: a broken proxy or cache */
  if (handle == NULL || offset == NULL)
    {
      fail_and_retry (self, 0, _("The server's answer lacks the electric-handle or electric-offset header"));
      return;
    }

  /* Handles are never reused, so this answer is a cached copy from before a
   * 409: ask again past the cache. */
  if (self->expired_handle != NULL && g_str_equal (handle, self->expired_handle))
    {
      /* ...unless it keeps coming: then the server itself still serves that
       * handle (a 409 that named it), and we take it, once, as the official
       * client does. */
      if (++self->stale_answers <= 3)
        {
          g_free (self->cache_buster);
          self->cache_buster = random_buster ();
          fail_and_retry (self, 0, _("A cache answered with an expired shape"));
          return;
        }
      g_clear_pointer (&self->expired_handle, g_free);
    }
  self->stale_answers = 0;

  self->response = astro_batch_new (self->table);
  astro_shape_parser_reset (self->parser, self->response);

  g_input_stream_read_async (self->body, self->buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                             self->cancellable, on_body_read_cb, g_object_ref (self));
}

static void
on_error_body_read_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(AstroShapeStream) self = user_data;
  g_autoptr(GError) error = NULL;
  guint status;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (n > 0 && self->error_body->len < ERROR_BODY_LIMIT)
    {
      g_byte_array_append (self->error_body, self->buffer, n);
      g_input_stream_read_async (self->body, self->buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                                 self->cancellable, on_error_body_read_cb, g_object_ref (self));
      return;
    }

  status = soup_message_get_status (self->message);
  g_byte_array_append (self->error_body, (const guint8 *) "", 1);

  if (status == SOUP_STATUS_BAD_REQUEST &&
      strstr ((const char *) self->error_body->data, "out of bounds") != NULL)
    {
      /* the handle is fine, our offset is not */
      refetch (self, NULL, FALSE);
      return;
    }

  if (status == SOUP_STATUS_UNAUTHORIZED)
    {
      clear_request (self);
      set_error (self, _("The server asked to sign in again"));
      set_state (self, ASTRO_SHAPE_STATE_UNAUTHORIZED);
      g_signal_emit (self, signals[UNAUTHORIZED], 0);
      return;
    }

  fail_and_retry (self, 0, _("The server answered %u %s"), status,
                  soup_message_get_reason_phrase (self->message));
}

static void
on_sent_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(AstroShapeStream) self = user_data;
  g_autoptr(GError) error = NULL;
  guint status;

  self->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (self->body == NULL)
    {
      fail_and_retry (self, 0, _("Could not reach the server: %s"), error->message);
      return;
    }

  status = soup_message_get_status (self->message);
  switch (status)
    {
    case SOUP_STATUS_OK:
      read_data (self);
      return;

    case SOUP_STATUS_NO_CONTENT:
      /* Electric no longer sends it; the official client read it as "caught
       * up", but nothing proves that, so ask again from the same offset */
      fail_and_retry (self, 0, _("The server answered 204 No Content"));
      return;

    case SOUP_STATUS_CONFLICT:
      refetch (self, response_header (self, "electric-handle"), TRUE);
      return;

    case 429: /* Too Many Requests: libsoup 3.2 has no name for it */
    case SOUP_STATUS_INTERNAL_SERVER_ERROR:
    case SOUP_STATUS_BAD_GATEWAY:
    case SOUP_STATUS_SERVICE_UNAVAILABLE:
    case SOUP_STATUS_GATEWAY_TIMEOUT:
      fail_and_retry (self,
                      astro_backoff_parse_retry_after (response_header (self, "retry-after"),
                                                       g_get_real_time () / G_USEC_PER_SEC),
                      _("The server answered %u %s"), status,
                      soup_message_get_reason_phrase (self->message));
      return;

    default:
      /* 400, 401, 403, 404 and the unexpected: the body says more */
      self->error_body = g_byte_array_new ();
      g_input_stream_read_async (self->body, self->buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                                 self->cancellable, on_error_body_read_cb, g_object_ref (self));
      return;
    }
}

static void
send_request (AstroShapeStream *self)
{
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  clear_request (self);

  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;

  self->request_live = self->live;
  url = build_url (self);
  self->message = soup_message_new ("GET", url);
  if (self->message == NULL)
    {
      fail_and_retry (self, 0, _("The server address is not a valid URL"));
      return;
    }

  headers = soup_message_get_request_headers (self->message);
  if (self->mode == ASTRO_SYNC_MODE_PROXY && self->token_func != NULL)
    {
      g_autofree char *token = self->token_func (self->token_data);

      if (token != NULL)
        {
          g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
          soup_message_headers_replace (headers, "Authorization", bearer);
          explicit_bzero (bearer, strlen (bearer));
          explicit_bzero (token, strlen (token));
        }
    }

  /* bytes_received counts what came over the network: a gzipped body is
   * read here decoded, several times larger */
  soup_message_add_flags (self->message, SOUP_MESSAGE_COLLECT_METRICS);

  self->requests++;
  if (!self->live && self->state != ASTRO_SHAPE_STATE_SYNCING)
    set_state (self, ASTRO_SHAPE_STATE_SYNCING);

  soup_session_send_async (self->session, self->message, G_PRIORITY_DEFAULT,
                           self->cancellable, on_sent_cb, g_object_ref (self));
}

/*
 * GObject overrides
 */

static void
astro_shape_stream_finalize (GObject *object)
{
  AstroShapeStream *self = (AstroShapeStream *) object;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  clear_request (self);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->session);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->where, g_free);
  g_clear_pointer (&self->params, g_strfreev);
  g_clear_pointer (&self->definition, g_free);
  g_clear_pointer (&self->handle, g_free);
  g_clear_pointer (&self->offset, g_free);
  g_clear_pointer (&self->cursor, g_free);
  g_clear_pointer (&self->schema, g_free);
  g_clear_pointer (&self->expired_handle, g_free);
  g_clear_pointer (&self->cache_buster, g_free);
  g_clear_pointer (&self->pending, astro_batch_unref);
  g_clear_pointer (&self->parser, astro_shape_parser_free);
  g_clear_pointer (&self->buffer, g_free);
  g_clear_pointer (&self->last_error, g_free);
  astro_backoff_clear (&self->backoff);

  G_OBJECT_CLASS (astro_shape_stream_parent_class)->finalize (object);
}

static void
astro_shape_stream_class_init (AstroShapeStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = astro_shape_stream_finalize;

  /* Emitted on the sync thread whenever the state or counters change. */
  signals [CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* The server refused the token: the engine refreshes it once for every
   * stream, then calls astro_shape_stream_retry_now(). */
  signals [UNAUTHORIZED] =
    g_signal_new ("unauthorized", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* Transaction ids seen on changes, for settling optimistic writes. */
  signals [TXIDS_SEEN] =
    g_signal_new ("txids-seen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ARRAY);
}

static void
astro_shape_stream_init (AstroShapeStream *self)
{
  self->buffer = g_malloc (READ_SIZE);
  self->offset = g_strdup ("-1");
}

/*
 * Public API
 */

/**
 * astro_shape_stream_new:
 * @saved: (nullable): the shape's state from the store, read on the main
 *   thread; row_count must hold the table's rows even when nothing was saved
 *
 * Must be called, used and dropped on the sync thread.
 */
AstroShapeStream *
astro_shape_stream_new (AstroStore             *store,
                        SoupSession            *session,
                        const AstroTable       *table,
                        const AstroShapeConfig *config,
                        const AstroShapeState  *saved,
                        AstroTokenFunc          token_func,
                        gpointer                token_data)
{
  AstroShapeStream *self;
  g_autoptr(GString) definition = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);
  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (config != NULL && config->server_url != NULL, NULL);

  self = g_object_new (ASTRO_TYPE_SHAPE_STREAM, NULL);
  self->store = g_object_ref (store);
  self->session = g_object_ref (session);
  self->table = table;
  self->mode = config->mode;
  self->server_url = g_strdup (config->server_url);
  self->where = g_strdup (config->where);
  self->params = g_strdupv ((GStrv) config->params);
  self->token_func = token_func;
  self->token_data = token_data;
  self->once = config->once;
  self->parser = astro_shape_parser_new (table);
  astro_backoff_init (&self->backoff,
                      config->backoff_initial_ms ? config->backoff_initial_ms : 1000,
                      config->backoff_max_ms ? config->backoff_max_ms : 32000);

  /* What identifies the shape: a change of server, mode or scope refetches. */
  definition = g_string_new (NULL);
  g_string_append_printf (definition, "%s %s %s",
                          config->mode == ASTRO_SYNC_MODE_PROXY ? "proxy" : "direct",
                          config->server_url, table->name);
  if (config->where != NULL)
    g_string_append_printf (definition, " where %s", config->where);
  for (guint i = 0; config->params != NULL && config->params[i] != NULL; i++)
    g_string_append_printf (definition, " $%u=%s", i + 1, config->params[i]);
  self->definition = g_string_free (g_steal_pointer (&definition), FALSE);

  self->pending = astro_batch_new (table);

  if (saved != NULL && saved->handle != NULL && saved->offset != NULL &&
      g_strcmp0 (saved->definition, self->definition) == 0)
    {
      /* resume: one non-live catch-up request from where we stopped */
      self->handle = g_strdup (saved->handle);
      g_free (self->offset);
      self->offset = g_strdup (saved->offset);
      self->schema = g_strdup (saved->schema);
      self->last_up_to_date = saved->last_up_to_date;
      /* a first sync cut short resumes chunk by chunk too */
      self->stream_chunks = saved->last_up_to_date == 0;
    }
  else
    {
      /* Nothing to resume (or another server or scope): an empty table fills
       * chunk by chunk; rows already there go only when the new snapshot
       * replaces them whole. */
      gboolean empty = saved == NULL || saved->row_count == 0;

      self->stream_chunks = empty;
      self->refetching = !empty;
      self->refetch_started = g_get_real_time ();
    }

  return self;
}

void
astro_shape_stream_start (AstroShapeStream *self)
{
  g_return_if_fail (ASTRO_IS_SHAPE_STREAM (self));

  if (self->cancellable != NULL)
    return;

  self->cancellable = g_cancellable_new ();
  set_state (self, ASTRO_SHAPE_STATE_SYNCING);
  send_request (self);
}

void
astro_shape_stream_stop (AstroShapeStream *self)
{
  g_return_if_fail (ASTRO_IS_SHAPE_STREAM (self));

  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear_request (self);
  set_state (self, ASTRO_SHAPE_STATE_IDLE);
}

/* After a new token, or when the network comes back: no more waiting. */
void
astro_shape_stream_retry_now (AstroShapeStream *self)
{
  g_return_if_fail (ASTRO_IS_SHAPE_STREAM (self));

  if (self->cancellable == NULL)
    return;

  if (self->state == ASTRO_SHAPE_STATE_RETRYING || self->state == ASTRO_SHAPE_STATE_UNAUTHORIZED)
    {
      astro_backoff_reset (&self->backoff);
      send_request (self);
    }
}

/* The outbox did not see a write's txid in time: take the shape again from
 * the start, so the store gets the server's rows as they are now. */
void
astro_shape_stream_refetch_now (AstroShapeStream *self)
{
  g_return_if_fail (ASTRO_IS_SHAPE_STREAM (self));

  if (self->cancellable == NULL || self->committing)
    return;

  refetch (self, NULL, FALSE);
}

const AstroTable *
astro_shape_stream_get_table (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), NULL);
  return self->table;
}

AstroShapeStateKind
astro_shape_stream_get_state (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), ASTRO_SHAPE_STATE_IDLE);
  return self->state;
}

gboolean
astro_shape_stream_is_up_to_date (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), FALSE);
  return self->up_to_date_once;
}

gint64
astro_shape_stream_get_rows_received (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), 0);
  return self->rows_received;
}

gint64
astro_shape_stream_get_bytes_received (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), 0);
  return self->bytes_received;
}

gint64
astro_shape_stream_get_last_up_to_date (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), 0);
  return self->last_up_to_date;
}

const char *
astro_shape_stream_get_last_error (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), NULL);
  return self->last_error;
}

const char *
astro_shape_stream_get_handle (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), NULL);
  return self->handle;
}

const char *
astro_shape_stream_get_offset (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), NULL);
  return self->offset;
}

guint
astro_shape_stream_get_requests (AstroShapeStream *self)
{
  g_return_val_if_fail (ASTRO_IS_SHAPE_STREAM (self), 0);
  return self->requests;
}
