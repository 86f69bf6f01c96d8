/* astro-sync-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine lives on the main thread; its streams live on the sync thread,
 * which has its own GMainContext and SoupSession. What the streams do comes
 * back to the main thread as copies (AstroShapeInfo), posted with
 * astro_thread_post(), so properties and signals are main-thread only.
 */
#define G_LOG_DOMAIN "astro-sync-engine"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "astro-backoff.h"
#include "astro-sync-engine.h"
#include "astro-thread.h"

struct _AstroSyncEngine
{
  GObject           parent_instance;

  /* main thread */
  AstroStore       *store;
  GMainContext     *main_context;
  GArray           *shapes;          /* AstroShapeInfo */
  AstroSyncStatus   status;
  char             *message;
  gboolean          up_to_date;
  gboolean          signed_out;
  char             *refresh_error;   /* a renewal that failed for now */
  GThread          *thread;

  /* set before the thread starts, then read-only */
  AstroSyncMode     mode;
  char             *server_url;
  AstroRefreshFunc  refresh_func;
  gpointer          refresh_data;
  GStrv             organization_ids;
  guint             backoff_initial_ms;
  guint             backoff_max_ms;
  guint             timeout_s;
  gboolean          once;
  gboolean          background;
  GStrv             tables;
  GPtrArray        *saved;           /* AstroShapeState, handed to the streams */

  /* the token, read by the sync thread for every request */
  GMutex            token_lock;
  char             *access_token;

  /* sync thread */
  GMainContext     *sync_context;
  GMainLoop        *sync_loop;
  SoupSession      *session;
  GPtrArray        *streams;
  GNetworkMonitor  *network_monitor;
  gboolean          refreshing;
  gboolean          refresh_failed;   /* signed out: no second try */
  gint64            refreshed_at;
  AstroBackoff      refresh_backoff;
  GSource          *refresh_retry;    /* the server could not renew: again later */

  /* refreshes running on a worker: stop waits for them, as they use the
   * caller's refresh_data, which may go once stop returns */
  GMutex            refresh_lock;
  GCond             refresh_done;
  guint             refreshes_running;
};

G_DEFINE_FINAL_TYPE (AstroSyncEngine, astro_sync_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_MESSAGE,
  PROP_UP_TO_DATE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

enum {
  SHAPE_CHANGED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

/*
 * Auxiliary methods
 */

static void
shape_info_clear (gpointer data)
{
  AstroShapeInfo *info = data;

  g_clear_pointer (&info->table, g_free);
  g_clear_pointer (&info->last_error, g_free);
}

static void
shape_info_copy (AstroShapeInfo       *dest,
                 const AstroShapeInfo *src)
{
  shape_info_clear (dest);
  *dest = *src;
  dest->table = g_strdup (src->table);
  dest->last_error = g_strdup (src->last_error);
}

const char *
astro_sync_status_to_string (AstroSyncStatus status)
{
  switch (status)
    {
    case ASTRO_SYNC_STATUS_OFFLINE: return "offline";
    case ASTRO_SYNC_STATUS_CONNECTING: return "connecting";
    case ASTRO_SYNC_STATUS_SYNCING: return "syncing";
    case ASTRO_SYNC_STATUS_LIVE: return "live";
    case ASTRO_SYNC_STATUS_ERROR: return "error";
    case ASTRO_SYNC_STATUS_SIGNED_OUT: return "signed-out";
    default: return "unknown";
    }
}

/* Main thread: derive the overall status from the shapes. */
static void
update_status (AstroSyncEngine *self)
{
  AstroSyncStatus status = ASTRO_SYNC_STATUS_LIVE;
  const char *message = NULL;
  gboolean up_to_date = self->shapes->len > 0;
  gboolean heard = FALSE;

  for (guint i = 0; i < self->shapes->len; i++)
    {
      const AstroShapeInfo *info = &g_array_index (self->shapes, AstroShapeInfo, i);

      up_to_date &= info->up_to_date;
      heard |= info->requests > 0 && info->state != ASTRO_SHAPE_STATE_SYNCING;
      heard |= info->rows_received > 0;

      if (info->state == ASTRO_SHAPE_STATE_RETRYING)
        {
          status = ASTRO_SYNC_STATUS_ERROR;
          message = info->last_error;
        }
      else if (status != ASTRO_SYNC_STATUS_ERROR && info->state != ASTRO_SHAPE_STATE_LIVE)
        status = ASTRO_SYNC_STATUS_SYNCING;
    }

  /* the shapes wait for the sign-in, and say nothing of it */
  if (self->refresh_error != NULL)
    {
      status = ASTRO_SYNC_STATUS_ERROR;
      message = self->refresh_error;
    }

  if (self->thread == NULL)
    status = ASTRO_SYNC_STATUS_OFFLINE;
  else if (self->signed_out)
    {
      status = ASTRO_SYNC_STATUS_SIGNED_OUT;
      message = _("Signed out: the server refused the saved sign-in");
    }
  else if (status == ASTRO_SYNC_STATUS_SYNCING && !heard)
    status = ASTRO_SYNC_STATUS_CONNECTING;

  if (status != self->status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (g_strcmp0 (message, self->message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  if (up_to_date != self->up_to_date)
    {
      self->up_to_date = up_to_date;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UP_TO_DATE]);
    }
}

typedef struct
{
  AstroSyncEngine *engine;
  guint            index;
  AstroShapeInfo   info;
  gboolean         signed_out;
  gboolean         refresh;          /* refresh_error is news */
  char            *refresh_error;
} ShapeUpdate;

static gboolean
apply_shape_update (gpointer data)
{
  ShapeUpdate *update = data;
  AstroSyncEngine *self = update->engine;

  if (update->signed_out)
    self->signed_out = TRUE;
  else if (update->refresh)
    {
      g_free (self->refresh_error);
      self->refresh_error = g_steal_pointer (&update->refresh_error);
    }
  else
    {
      shape_info_copy (&g_array_index (self->shapes, AstroShapeInfo, update->index), &update->info);
      g_signal_emit (self, signals[SHAPE_CHANGED], 0, update->info.table);
    }

  update_status (self);
  return G_SOURCE_REMOVE;
}

static void
shape_update_free (gpointer data)
{
  ShapeUpdate *update = data;

  shape_info_clear (&update->info);
  g_free (update->refresh_error);
  g_object_unref (update->engine);
  g_free (update);
}

/*
 * Sync thread
 */

static char *
get_token (gpointer user_data)
{
  AstroSyncEngine *self = user_data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->token_lock);

  return g_strdup (self->access_token);
}

static void
on_stream_changed_cb (AstroShapeStream *stream,
                      AstroSyncEngine  *self)
{
  ShapeUpdate *update = g_new0 (ShapeUpdate, 1);

  update->engine = g_object_ref (self);
  for (guint i = 0; i < self->streams->len; i++)
    if (g_ptr_array_index (self->streams, i) == stream)
      update->index = i;

  update->info.table = g_strdup (astro_shape_stream_get_table (stream)->name);
  update->info.state = astro_shape_stream_get_state (stream);
  update->info.up_to_date = astro_shape_stream_is_up_to_date (stream);
  update->info.rows_received = astro_shape_stream_get_rows_received (stream);
  update->info.bytes_received = astro_shape_stream_get_bytes_received (stream);
  update->info.last_up_to_date = astro_shape_stream_get_last_up_to_date (stream);
  update->info.last_error = g_strdup (astro_shape_stream_get_last_error (stream));
  update->info.requests = astro_shape_stream_get_requests (stream);

  astro_thread_post (self->main_context, apply_shape_update, update, shape_update_free);
}

static void
retry_unauthorized (AstroSyncEngine *self)
{
  for (guint i = 0; i < self->streams->len; i++)
    {
      AstroShapeStream *stream = g_ptr_array_index (self->streams, i);

      if (astro_shape_stream_get_state (stream) == ASTRO_SHAPE_STATE_UNAUTHORIZED)
        astro_shape_stream_retry_now (stream);
    }
}

static void
refresh_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  AstroSyncEngine *self = source_object;
  g_autoptr(GError) error = NULL;
  char *token;

  token = self->refresh_func (self->refresh_data, &error);
  if (token == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, token, g_free);

  g_mutex_lock (&self->refresh_lock);
  self->refreshes_running--;
  g_cond_broadcast (&self->refresh_done);
  g_mutex_unlock (&self->refresh_lock);
}

static void
post_refresh_error (AstroSyncEngine *self,
                    const char      *message)
{
  ShapeUpdate *update = g_new0 (ShapeUpdate, 1);

  update->engine = g_object_ref (self);
  update->refresh = TRUE;
  update->refresh_error = g_strdup (message);
  astro_thread_post (self->main_context, apply_shape_update, update, shape_update_free);
}

static void on_refreshed_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data);

static void
cancel_refresh_retry (AstroSyncEngine *self)
{
  if (self->refresh_retry != NULL)
    {
      g_source_destroy (self->refresh_retry);
      g_clear_pointer (&self->refresh_retry, g_source_unref);
    }
}

static void
start_refresh (AstroSyncEngine *self)
{
  g_autoptr(GTask) task = NULL;

  cancel_refresh_retry (self);

  self->refreshing = TRUE;
  g_mutex_lock (&self->refresh_lock);
  self->refreshes_running++;
  g_mutex_unlock (&self->refresh_lock);
  task = g_task_new (self, NULL, on_refreshed_cb, NULL);
  g_task_run_in_thread (task, refresh_in_thread);
}

static gboolean
refresh_again_cb (gpointer data)
{
  AstroSyncEngine *self = data;

  start_refresh (self);
  return G_SOURCE_REMOVE;
}

/* The server could not renew the sign-in now (unreachable, or busy): the
 * refresh token is still good, so the shapes wait, and the person is not
 * asked to sign in again over a network blip. */
static void
refresh_later (AstroSyncEngine *self,
               const char      *reason)
{
  guint delay = astro_backoff_next (&self->refresh_backoff, 0);
  g_autofree char *message = g_strdup_printf (_("Could not renew the sign-in: %s"), reason);

  g_message ("%s; trying again in %u ms", message, delay);
  post_refresh_error (self, message);

  self->refresh_retry = g_timeout_source_new (delay);
  g_source_set_callback (self->refresh_retry, refresh_again_cb, self, NULL);
  g_source_attach (self->refresh_retry, self->sync_context);
}

static void
on_refreshed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  AstroSyncEngine *self = ASTRO_SYNC_ENGINE (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  self->refreshing = FALSE;
  token = g_task_propagate_pointer (G_TASK (result), &error);

  /* stopping: the next start renews again if it must */
  if (self->streams == NULL)
    {
      if (token != NULL)
        explicit_bzero (token, strlen (token));
      return;
    }

  if (error != NULL && error->domain == G_IO_ERROR)
    {
      refresh_later (self, error->message);
      return;
    }

  if (token == NULL)
    {
      ShapeUpdate *update = g_new0 (ShapeUpdate, 1);

      g_warning ("Could not renew the sign-in: %s", error->message);
      self->refresh_failed = TRUE;
      update->engine = g_object_ref (self);
      update->signed_out = TRUE;
      astro_thread_post (self->main_context, apply_shape_update, update, shape_update_free);
      return;
    }

  g_mutex_lock (&self->token_lock);
  if (self->access_token != NULL)
    explicit_bzero (self->access_token, strlen (self->access_token));
  g_free (self->access_token);
  self->access_token = g_steal_pointer (&token);
  g_mutex_unlock (&self->token_lock);

  self->refreshed_at = g_get_monotonic_time ();
  astro_backoff_reset (&self->refresh_backoff);
  /* once an hour at most: no need to know whether an error was shown */
  post_refresh_error (self, NULL);
  retry_unauthorized (self);
}

/* Single flight: however many streams hear 401 at once, one refresh runs and
 * all of them retry when it is done. */
static void
on_stream_unauthorized_cb (AstroShapeStream *stream,
                           AstroSyncEngine  *self)
{
  /* a refused refresh signed out: the streams that hear 401 after it
   * wait for the stop that follows; one that failed for now is tried
   * again on its own time */
  if (self->refreshing || self->refresh_failed || self->refresh_retry != NULL)
    return;

  /* a request sent just before the last refresh finished: its token was old */
  if (self->refreshed_at != 0 && g_get_monotonic_time () - self->refreshed_at < 2 * G_USEC_PER_SEC)
    {
      astro_shape_stream_retry_now (stream);
      return;
    }

  if (self->refresh_func == NULL)
    {
      ShapeUpdate *update = g_new0 (ShapeUpdate, 1);

      update->engine = g_object_ref (self);
      update->signed_out = TRUE;
      astro_thread_post (self->main_context, apply_shape_update, update, shape_update_free);
      return;
    }

  start_refresh (self);
}

static void
on_network_changed_cb (GNetworkMonitor *monitor,
                       gboolean         available,
                       AstroSyncEngine *self)
{
  if (!available)
    return;

  if (self->refresh_retry != NULL)
    start_refresh (self);

  for (guint i = 0; i < self->streams->len; i++)
    {
      AstroShapeStream *stream = g_ptr_array_index (self->streams, i);

      if (astro_shape_stream_get_state (stream) == ASTRO_SHAPE_STATE_RETRYING)
        astro_shape_stream_retry_now (stream);
    }
}

static char *
organizations_where (AstroSyncEngine *self,
                     const char      *table)
{
  g_autoptr(GString) where = g_string_new (NULL);
  const char *column = g_str_equal (table, "organizations") ? "id" : "organization_id";

  if (self->organization_ids == NULL || g_str_equal (table, "users"))
    return NULL;

  g_string_append_printf (where, "%s IN (", column);
  for (guint i = 0; self->organization_ids[i] != NULL; i++)
    g_string_append_printf (where, "%s$%u", i ? ", " : "", i + 1);
  g_string_append_c (where, ')');

  return g_string_free (g_steal_pointer (&where), FALSE);
}

static gpointer
sync_thread (gpointer data)
{
  AstroSyncEngine *self = data;

  g_main_context_push_thread_default (self->sync_context);
  if (self->background)
    astro_thread_lower_priority ();

  /* Six long-polls plus catch-ups and writes: libsoup's 2 per host would
   * make every request wait behind the holds. */
  self->session = soup_session_new_with_options ("max-conns-per-host", 16,
                                                 "max-conns", 32,
                                                 "timeout", self->timeout_s,
                                                 "idle-timeout", 60,
                                                 "user-agent", "Astrolabe/" PACKAGE_VERSION " ",
                                                 NULL);
  self->streams = g_ptr_array_new_with_free_func (g_object_unref);
  astro_backoff_init (&self->refresh_backoff,
                      self->backoff_initial_ms ? self->backoff_initial_ms : 1000,
                      self->backoff_max_ms ? self->backoff_max_ms : 32000);

  for (guint i = 0; i < self->shapes->len; i++)
    {
      const AstroTable *table = astro_table_lookup (g_array_index (self->shapes, AstroShapeInfo, i).table);
      g_autofree char *where = organizations_where (self, table->name);
      AstroShapeConfig config = {
        self->mode, self->server_url, where,
        where != NULL ? (const char **) self->organization_ids : NULL,
        self->backoff_initial_ms, self->backoff_max_ms, self->once,
      };
      AstroShapeStream *stream;

      stream = astro_shape_stream_new (self->store, self->session, table, &config,
                                       g_ptr_array_index (self->saved, i), get_token, self);
      g_signal_connect (stream, "changed", G_CALLBACK (on_stream_changed_cb), self);
      g_signal_connect (stream, "unauthorized", G_CALLBACK (on_stream_unauthorized_cb), self);
      g_ptr_array_add (self->streams, stream);
    }

  self->network_monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (self->network_monitor, "network-changed",
                    G_CALLBACK (on_network_changed_cb), self);

  for (guint i = 0; i < self->streams->len; i++)
    astro_shape_stream_start (g_ptr_array_index (self->streams, i));

  g_main_loop_run (self->sync_loop);

  for (guint i = 0; i < self->streams->len; i++)
    {
      AstroShapeStream *stream = g_ptr_array_index (self->streams, i);

      g_signal_handlers_disconnect_by_data (stream, self);
      astro_shape_stream_stop (stream);
    }
  g_signal_handlers_disconnect_by_data (self->network_monitor, self);
  g_clear_object (&self->network_monitor);
  g_clear_pointer (&self->streams, g_ptr_array_unref);
  soup_session_abort (self->session);
  g_clear_object (&self->session);

  /* let cancelled operations finish on this context before it goes */
  while (g_main_context_iteration (self->sync_context, FALSE))
    ;

  cancel_refresh_retry (self);
  astro_backoff_clear (&self->refresh_backoff);

  g_main_context_pop_thread_default (self->sync_context);
  return NULL;
}

static gboolean
quit_sync_loop (gpointer data)
{
  AstroSyncEngine *self = data;

  g_main_loop_quit (self->sync_loop);
  return G_SOURCE_REMOVE;
}

static gboolean
retry_all (gpointer data)
{
  AstroSyncEngine *self = data;

  if (self->refresh_retry != NULL)
    start_refresh (self);
  for (guint i = 0; self->streams != NULL && i < self->streams->len; i++)
    astro_shape_stream_retry_now (g_ptr_array_index (self->streams, i));
  return G_SOURCE_REMOVE;
}

typedef struct
{
  AstroSyncEngine *engine;
  char            *table;
} Refetch;

static void
refetch_free (gpointer data)
{
  Refetch *refetch = data;

  g_object_unref (refetch->engine);
  g_free (refetch->table);
  g_free (refetch);
}

static gboolean
refetch_in_sync_thread (gpointer data)
{
  Refetch *refetch = data;
  AstroSyncEngine *self = refetch->engine;

  for (guint i = 0; self->streams != NULL && i < self->streams->len; i++)
    {
      AstroShapeStream *stream = g_ptr_array_index (self->streams, i);

      if (g_str_equal (astro_shape_stream_get_table (stream)->name, refetch->table))
        astro_shape_stream_refetch_now (stream);
    }
  return G_SOURCE_REMOVE;
}

/*
 * GObject overrides
 */

static void
astro_sync_engine_dispose (GObject *object)
{
  AstroSyncEngine *self = (AstroSyncEngine *) object;

  astro_sync_engine_stop (self);

  G_OBJECT_CLASS (astro_sync_engine_parent_class)->dispose (object);
}

static void
astro_sync_engine_finalize (GObject *object)
{
  AstroSyncEngine *self = (AstroSyncEngine *) object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->sync_context, g_main_context_unref);
  g_clear_pointer (&self->sync_loop, g_main_loop_unref);
  g_clear_pointer (&self->shapes, g_array_unref);
  g_clear_pointer (&self->saved, g_ptr_array_unref);
  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->refresh_error, g_free);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->organization_ids, g_strfreev);
  g_clear_pointer (&self->tables, g_strfreev);
  if (self->access_token != NULL)
    explicit_bzero (self->access_token, strlen (self->access_token));
  g_clear_pointer (&self->access_token, g_free);
  g_mutex_clear (&self->token_lock);
  g_mutex_clear (&self->refresh_lock);
  g_cond_clear (&self->refresh_done);

  G_OBJECT_CLASS (astro_sync_engine_parent_class)->finalize (object);
}

static void
astro_sync_engine_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  AstroSyncEngine *self = ASTRO_SYNC_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;

    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;

    case PROP_UP_TO_DATE:
      g_value_set_boolean (value, self->up_to_date);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_sync_engine_class_init (AstroSyncEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = astro_sync_engine_dispose;
  object_class->finalize = astro_sync_engine_finalize;
  object_class->get_property = astro_sync_engine_get_property;

  properties [PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL,
                      ASTRO_SYNC_STATUS_OFFLINE, ASTRO_SYNC_STATUS_SIGNED_OUT,
                      ASTRO_SYNC_STATUS_OFFLINE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties [PROP_UP_TO_DATE] =
    g_param_spec_boolean ("up-to-date", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted on the main thread when a shape's info changed. */
  signals [SHAPE_CHANGED] =
    g_signal_new ("shape-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
astro_sync_engine_init (AstroSyncEngine *self)
{
  g_mutex_init (&self->token_lock);
  g_mutex_init (&self->refresh_lock);
  g_cond_init (&self->refresh_done);
  self->main_context = g_main_context_ref_thread_default ();
  self->shapes = g_array_new (FALSE, TRUE, sizeof (AstroShapeInfo));
  g_array_set_clear_func (self->shapes, shape_info_clear);
}

/*
 * Public API
 */

AstroSyncEngine *
astro_sync_engine_new (AstroStore             *store,
                       const AstroSyncOptions *options)
{
  AstroSyncEngine *self;
  const AstroTable * const *tables;
  guint n_tables;

  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);
  g_return_val_if_fail (options != NULL && options->server_url != NULL, NULL);

  self = g_object_new (ASTRO_TYPE_SYNC_ENGINE, NULL);
  self->store = g_object_ref (store);
  self->mode = options->mode;
  self->server_url = g_strdup (options->server_url);
  while (g_str_has_suffix (self->server_url, "/"))
    self->server_url[strlen (self->server_url) - 1] = '\0';
  self->access_token = g_strdup (options->access_token);
  self->refresh_func = options->refresh_func;
  self->refresh_data = options->refresh_data;
  self->organization_ids = g_strdupv ((GStrv) options->organization_ids);
  self->backoff_initial_ms = options->backoff_initial_ms;
  self->backoff_max_ms = options->backoff_max_ms;
  self->timeout_s = options->timeout_s ? options->timeout_s : 45;
  self->once = options->once;
  self->background = options->background;
  self->tables = g_strdupv ((GStrv) options->tables);

  tables = astro_table_all (&n_tables);
  for (guint i = 0; i < n_tables; i++)
    if (self->tables == NULL || g_strv_contains ((const char * const *) self->tables, tables[i]->name))
      {
        AstroShapeInfo info = { g_strdup (tables[i]->name), ASTRO_SHAPE_STATE_IDLE, };
        g_array_append_val (self->shapes, info);
      }

  return self;
}

void
astro_sync_engine_start (AstroSyncEngine *self)
{
  g_return_if_fail (ASTRO_IS_SYNC_ENGINE (self));

  if (self->thread != NULL)
    return;

  /* The saved states are read here, on the main thread that owns the
   * store's reading connection, and handed to the sync thread. */
  g_clear_pointer (&self->saved, g_ptr_array_unref);
  self->saved = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_shape_state_free);
  for (guint i = 0; i < self->shapes->len; i++)
    {
      const char *table = g_array_index (self->shapes, AstroShapeInfo, i).table;
      AstroShapeState *state = astro_store_get_shape_state (self->store, table, NULL);

      if (state == NULL)
        state = astro_shape_state_new (table);
      state->row_count = astro_store_count_rows (self->store, table, NULL);
      g_ptr_array_add (self->saved, state);
    }

  self->signed_out = FALSE;
  g_clear_pointer (&self->refresh_error, g_free);
  /* a refresh cut short by the last stop never reported back, or its
   * retry was set as the thread stopped */
  self->refreshing = FALSE;
  cancel_refresh_retry (self);
  self->refresh_failed = FALSE;
  g_clear_pointer (&self->sync_context, g_main_context_unref);
  g_clear_pointer (&self->sync_loop, g_main_loop_unref);
  self->sync_context = g_main_context_new ();
  self->sync_loop = g_main_loop_new (self->sync_context, FALSE);
  self->thread = g_thread_new ("astro-sync", sync_thread, self);

  update_status (self);
}

void
astro_sync_engine_stop (AstroSyncEngine *self)
{
  g_return_if_fail (ASTRO_IS_SYNC_ENGINE (self));

  if (self->thread == NULL)
    return;

  g_main_context_invoke (self->sync_context, quit_sync_loop, self);
  g_thread_join (g_steal_pointer (&self->thread));

  g_mutex_lock (&self->refresh_lock);
  while (self->refreshes_running > 0)
    g_cond_wait (&self->refresh_done, &self->refresh_lock);
  g_mutex_unlock (&self->refresh_lock);

  /* updates the sync thread posted before it stopped are stale now */
  g_clear_pointer (&self->refresh_error, g_free);
  update_status (self);
}

void
astro_sync_engine_sync_now (AstroSyncEngine *self)
{
  g_return_if_fail (ASTRO_IS_SYNC_ENGINE (self));

  if (self->thread != NULL)
    g_main_context_invoke (self->sync_context, retry_all, self);
}

/* Takes one table's shape again from the start (the outbox asks when a
 * write's txid did not come back in time). */
void
astro_sync_engine_refetch (AstroSyncEngine *self,
                           const char      *table)
{
  Refetch *refetch;

  g_return_if_fail (ASTRO_IS_SYNC_ENGINE (self));
  g_return_if_fail (table != NULL);

  if (self->thread == NULL)
    return;

  refetch = g_new0 (Refetch, 1);
  refetch->engine = g_object_ref (self);
  refetch->table = g_strdup (table);
  g_main_context_invoke_full (self->sync_context, G_PRIORITY_DEFAULT,
                              refetch_in_sync_thread, refetch, refetch_free);
}

AstroSyncStatus
astro_sync_engine_get_status (AstroSyncEngine *self)
{
  g_return_val_if_fail (ASTRO_IS_SYNC_ENGINE (self), ASTRO_SYNC_STATUS_OFFLINE);
  return self->status;
}

const char *
astro_sync_engine_get_message (AstroSyncEngine *self)
{
  g_return_val_if_fail (ASTRO_IS_SYNC_ENGINE (self), NULL);
  return self->message;
}

gboolean
astro_sync_engine_is_up_to_date (AstroSyncEngine *self)
{
  g_return_val_if_fail (ASTRO_IS_SYNC_ENGINE (self), FALSE);
  return self->up_to_date;
}

gint64
astro_sync_engine_get_rows_received (AstroSyncEngine *self)
{
  gint64 rows = 0;

  g_return_val_if_fail (ASTRO_IS_SYNC_ENGINE (self), 0);

  for (guint i = 0; i < self->shapes->len; i++)
    rows += g_array_index (self->shapes, AstroShapeInfo, i).rows_received;
  return rows;
}

/**
 * astro_sync_engine_get_store:
 *
 * Returns: (transfer none): the store the engine writes to
 */
AstroStore *
astro_sync_engine_get_store (AstroSyncEngine *self)
{
  g_return_val_if_fail (ASTRO_IS_SYNC_ENGINE (self), NULL);
  return self->store;
}

guint
astro_sync_engine_get_n_shapes (AstroSyncEngine *self)
{
  g_return_val_if_fail (ASTRO_IS_SYNC_ENGINE (self), 0);
  return self->shapes->len;
}

const AstroShapeInfo *
astro_sync_engine_get_shape (AstroSyncEngine *self,
                             guint            index)
{
  g_return_val_if_fail (ASTRO_IS_SYNC_ENGINE (self), NULL);
  g_return_val_if_fail (index < self->shapes->len, NULL);
  return &g_array_index (self->shapes, AstroShapeInfo, index);
}
