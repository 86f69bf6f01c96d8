/* astro-ctl-deliver.c: what the writing commands share: the outbox, and
 * waiting until a write is settled, refused, or known to be offline
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A command enqueues first, so the write is safe on disk before anything
 * else happens. Then it runs the outbox and the sync engine in this process
 * until the write's txid has come back on the shapes. Offline, the write
 * stays queued (exit 0, saying so); the next command that delivers, or
 * `astrolabe-ctl outbox --send`, or the app, sends it.
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "astro-account.h"
#include "astro-ctl.h"
#include "astro-sync-engine.h"

typedef struct
{
  AstroStore  *store;
  AstroOutbox *outbox;
  GMainLoop   *loop;
  gint64       id;          /* 0: everything queued */
  gboolean     answer_only; /* stop at the server's answer, not the txid */
  int          status;
  gboolean     offline;
  gboolean     timed_out;
} Delivery;

static guint
env_uint (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL ? (guint) g_ascii_strtoull (value, NULL, 10) : 0;
}

static char *
account_token (gpointer user_data)
{
  return astro_account_dup_access_token (ASTRO_ACCOUNT (user_data));
}

/* Whether what we wait for is over. */
static gboolean
delivery_done (Delivery *delivery)
{
  g_autoptr(GPtrArray) entries = astro_store_outbox_list (delivery->store, NULL, NULL);

  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      AstroOutboxEntry *entry = g_ptr_array_index (entries, i);

      if (delivery->id != 0 && entry->id != delivery->id)
        continue;
      if (g_str_equal (entry->state, ASTRO_OUTBOX_PENDING) || g_str_equal (entry->state, ASTRO_OUTBOX_SENDING))
        return FALSE;
      if (g_str_equal (entry->state, ASTRO_OUTBOX_SENT) && !delivery->answer_only)
        return FALSE;
    }

  return TRUE;
}

static void
check_done (Delivery *delivery)
{
  if (delivery_done (delivery))
    g_main_loop_quit (delivery->loop);
}

static void
on_write_settled_cb (AstroOutbox *outbox,
                     gint64       id,
                     Delivery    *delivery)
{
  check_done (delivery);
}

static void
on_write_failed_cb (AstroOutbox *outbox,
                    gint64       id,
                    const char  *message,
                    gboolean     can_retry,
                    gboolean     can_reload,
                    Delivery    *delivery)
{
  astro_ctl_error (_("write %" G_GINT64_FORMAT " refused: %s"), id, message);
  if (delivery->id == 0 || delivery->id == id)
    delivery->status = 4;
  check_done (delivery);
}

static void
on_outbox_changed_cb (AstroStore       *store,
                      AstroRowsChanged *changes,
                      Delivery         *delivery)
{
  check_done (delivery);
}

static void
on_online_cb (AstroOutbox *outbox,
              GParamSpec  *pspec,
              Delivery    *delivery)
{
  if (!astro_outbox_get_online (outbox))
    {
      delivery->offline = TRUE;
      g_main_loop_quit (delivery->loop);
    }
}

static gboolean
on_timeout_cb (gpointer data)
{
  Delivery *delivery = data;

  delivery->timed_out = TRUE;
  g_main_loop_quit (delivery->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal_cb (gpointer data)
{
  Delivery *delivery = data;

  g_main_loop_quit (delivery->loop);
  return G_SOURCE_REMOVE;
}

static void
on_refetch_needed_cb (AstroOutbox     *outbox,
                      const char      *table,
                      AstroSyncEngine *engine)
{
  astro_sync_engine_refetch (engine, table);
}

/**
 * astro_ctl_deliver:
 * @id: the write to wait for; 0 for every queued write
 * @wait_for_txid: wait until the change is back on the shapes, not only
 *   until the server answered
 *
 * Returns: the exit status: 0 settled (or answered), or still queued
 *   because the server cannot be reached (said on stderr); 4 refused; 1 not
 *   done within @timeout_s or another error
 */
int
astro_ctl_deliver (AstroStore *store,
                   const char *server,
                   gint64      id,
                   gboolean    wait_for_txid,
                   int         timeout_s)
{
  g_autoptr(AstroAccount) account = NULL;
  g_autoptr(AstroOutbox) outbox = NULL;
  g_autoptr(AstroSyncEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  AstroSyncOptions options = { 0, };
  Delivery delivery = { store, NULL, loop, id, !wait_for_txid, 0, FALSE, FALSE };
  guint timeout_source, sigint, sigterm;

  account = astro_account_load (store, server, &error);
  if (account == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }
  if (!astro_account_is_signed_in (account))
    {
      astro_ctl_error (_("not signed in to %s: the write stays queued; run “astrolabe-ctl login”"),
                       astro_account_get_server_url (account));
      return 1;
    }

  outbox = astro_outbox_new (store, astro_account_get_server_url (account));
  astro_outbox_set_auth (outbox, account_token, astro_account_renew, account);
  /* knobs for tests and soaks */
  astro_outbox_set_backoff (outbox, env_uint ("ASTRO_OUTBOX_BACKOFF_MS"), env_uint ("ASTRO_OUTBOX_BACKOFF_MAX_MS"));
  if (env_uint ("ASTRO_OUTBOX_SETTLE_MS") > 0)
    g_object_set (outbox, "settle-timeout", env_uint ("ASTRO_OUTBOX_SETTLE_MS"), NULL);
  delivery.outbox = outbox;

  if (delivery_done (&delivery))
    return 0;

  token = astro_account_dup_access_token (account);
  options.mode = ASTRO_SYNC_MODE_PROXY;
  options.server_url = astro_account_get_server_url (account);
  options.access_token = token;
  options.refresh_func = astro_account_renew;
  options.refresh_data = account;
  options.backoff_initial_ms = env_uint ("ASTRO_SYNC_BACKOFF_MS");
  options.backoff_max_ms = env_uint ("ASTRO_SYNC_BACKOFF_MAX_MS");
  options.timeout_s = env_uint ("ASTRO_SYNC_TIMEOUT_S");
  engine = astro_sync_engine_new (store, &options);

  g_signal_connect (outbox, "write-settled", G_CALLBACK (on_write_settled_cb), &delivery);
  g_signal_connect (outbox, "write-failed", G_CALLBACK (on_write_failed_cb), &delivery);
  g_signal_connect (outbox, "notify::online", G_CALLBACK (on_online_cb), &delivery);
  g_signal_connect (outbox, "refetch-needed", G_CALLBACK (on_refetch_needed_cb), engine);
  g_signal_connect (store, "rows-changed::outbox", G_CALLBACK (on_outbox_changed_cb), &delivery);
  timeout_source = g_timeout_add_seconds (timeout_s > 0 ? (guint) timeout_s : 60, on_timeout_cb, &delivery);
  sigint = g_unix_signal_add (SIGINT, on_signal_cb, &delivery);
  sigterm = g_unix_signal_add (SIGTERM, on_signal_cb, &delivery);

  if (wait_for_txid)
    astro_sync_engine_start (engine);
  astro_outbox_start (outbox);
  g_main_loop_run (loop);

  g_source_remove (timeout_source);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (store, &delivery);
  g_signal_handlers_disconnect_by_data (outbox, &delivery);
  g_signal_handlers_disconnect_by_data (outbox, engine);
  astro_sync_engine_stop (engine);
  g_object_run_dispose (G_OBJECT (outbox));
  /* the outbox stores a write's new state (queued again, offline) on the
   * writing thread: it must be on disk before this process ends */
  astro_store_wait_for_writes (store);

  if (delivery.status != 0)
    return delivery.status;
  if (delivery.offline)
    {
      g_print (_("Offline (%s): the write is kept in the outbox and will be sent when the server can be reached\n"),
               astro_outbox_get_last_error (outbox));
      return 0;
    }
  if (delivery.timed_out)
    {
      astro_ctl_error (_("not confirmed in time (%s); the write stays in the outbox"),
                       astro_outbox_get_last_error (outbox) ? astro_outbox_get_last_error (outbox)
                                                            : _("waiting for the server"));
      return 1;
    }

  return 0;
}

/* Says where the write stands after astro_ctl_deliver(). */
void
astro_ctl_print_write (AstroStore *store,
                       gint64      id)
{
  g_autoptr(AstroOutboxEntry) entry = astro_store_outbox_get (store, id, NULL);

  if (entry == NULL)
    return;
  if (g_str_equal (entry->state, ASTRO_OUTBOX_SETTLED))
    g_print (_("Write %" G_GINT64_FORMAT " settled (txid %s)\n"), id, entry->txid);
  else if (g_str_equal (entry->state, ASTRO_OUTBOX_SENT))
    g_print (_("Write %" G_GINT64_FORMAT " accepted (txid %s), not yet back on the shapes\n"), id, entry->txid);
  else if (!g_str_equal (entry->state, ASTRO_OUTBOX_FAILED))
    g_print (_("Write %" G_GINT64_FORMAT " queued\n"), id);
}
