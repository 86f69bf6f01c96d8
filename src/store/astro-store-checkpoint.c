/* astro-store-checkpoint.c: copying the WAL into the database off the writer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses its
 * threshold: the writer then copies the log into the database and waits for
 * two fsyncs while the next chunk of an initial sync is already parsed and
 * waiting. A passive checkpoint from a connection of its own does the same
 * work beside the writer (WAL lets them run at once), on the core the writer
 * is not using.
 */
#define G_LOG_DOMAIN "astro-store"

#include "config.h"

#include "astro-store-private.h"
#include "astro-thread.h"

/* SQLite's own default for wal_autocheckpoint, in pages */
#define CHECKPOINT_FRAMES 1000

static void
checkpoint_in_thread (gpointer data,
                      gpointer user_data)
{
  AstroStore *self = user_data;
  int rc;

  g_atomic_int_set (&self->checkpoint_queued, FALSE);
  if (g_atomic_int_get (&self->checkpoint_closing))
    return;
  if (self->background)
    astro_thread_lower_priority ();

  /* Busy means a reader still needs old frames: the next commit asks again.
   * Interrupted means the store is closing: the frames wait in the WAL. */
  rc = sqlite3_wal_checkpoint_v2 (self->checkpointer, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_INTERRUPT)
    g_warning ("Could not checkpoint the database: %s", sqlite3_errmsg (self->checkpointer));
}

static void
request_checkpoint (AstroStore *self)
{
  if (g_atomic_int_compare_and_exchange (&self->checkpoint_queued, FALSE, TRUE))
    g_thread_pool_push (self->checkpoints, GINT_TO_POINTER (1), NULL);
}

static int
on_wal_committed (gpointer    user_data,
                  sqlite3    *db,
                  const char *name,
                  int         frames)
{
  AstroStore *self = user_data;

  if (frames >= CHECKPOINT_FRAMES)
    request_checkpoint (self);

  return SQLITE_OK;
}

/* Called once the writer connection is open, under writer_lock. */
void
_astro_store_checkpoint_init (AstroStore *self)
{
  g_autoptr(GError) error = NULL;
  gboolean damaged;

  /* Not fatal when any of this fails: the writer then checkpoints itself. */
  self->checkpointer = _astro_store_open_connection (self->path, TRUE, &damaged, &error);
  if (self->checkpointer == NULL)
    {
      g_warning ("Could not open a connection to checkpoint: %s", error->message);
      return;
    }

  /* exclusive: its thread may run at a lower priority, which must not
   * leak into GLib's shared threads */
  self->checkpoints = g_thread_pool_new (checkpoint_in_thread, self, 1, TRUE, &error);
  if (self->checkpoints == NULL)
    {
      g_warning ("Could not start the checkpoint thread: %s", error->message);
      g_clear_pointer (&self->checkpointer, sqlite3_close);
      return;
    }

  /* Replaces the automatic checkpoint, which is a WAL hook too. */
  sqlite3_wal_hook (self->writer, on_wal_committed, self);

  /* Frames the last run left in the WAL (connections do not checkpoint when
   * they close) go into the database now, beside whatever comes next. */
  request_checkpoint (self);
}

/* Does not wait for a checkpoint to finish: what it has not copied stays in
 * the WAL, which is as much the database as the file itself. */
void
_astro_store_checkpoint_shutdown (AstroStore *self)
{
  if (self->checkpoints != NULL)
    {
      g_atomic_int_set (&self->checkpoint_closing, TRUE);
      sqlite3_interrupt (self->checkpointer);
      g_thread_pool_free (g_steal_pointer (&self->checkpoints), TRUE, TRUE);
    }

  g_clear_pointer (&self->checkpointer, sqlite3_close);
}

/**
 * astro_store_checkpoint:
 *
 * Copies the whole WAL into the database file and empties it, for a process
 * about to quit: connections do not checkpoint when they close, and the next
 * start would otherwise read a large WAL before its first frame. Call it on
 * the main thread once nothing else writes.
 */
gboolean
astro_store_checkpoint (AstroStore  *self,
                        GError     **error)
{
  int rc;

  g_return_val_if_fail (ASTRO_IS_STORE (self), FALSE);

  rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  if (rc != SQLITE_OK)
    return _astro_store_set_error (error, self->db, rc, "Could not checkpoint the database");

  return TRUE;
}
