/* astro-store-private.h: what the store's own files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "astro-store.h"

G_BEGIN_DECLS

struct _AstroStore
{
  GObject       parent_instance;

  char         *path;
  char         *recovered_path;
  int           schema_version;
  GMainContext *main_context;

  /* main thread: reads and the local tables */
  sqlite3      *db;
  GHashTable   *statements;

  /* whichever thread syncs: the synced tables, under writer_lock */
  GMutex        writer_lock;
  sqlite3      *writer;
  GHashTable   *writer_statements;
  GHashTable   *writer_shortcuts;  /* (kind, table, columns) → a statement of writer_statements */

  /* the thread that applies batches for astro_store_apply_batch_async() */
  GThreadPool  *writes;
  gboolean      background;     /* writes and checkpoints at a low priority */

  /* worker threads: long reads for the UI, under reader_lock */
  GMutex        reader_lock;
  sqlite3      *reader;
  GHashTable   *reader_statements;

  /* the checkpoint thread and its own connection */
  GThreadPool  *checkpoints;
  sqlite3      *checkpointer;
  gint          checkpoint_queued;
  gint          checkpoint_closing;
};

gboolean      _astro_store_set_error      (GError     **error,
                                           sqlite3     *db,
                                           int          code,
                                           const char  *what);
gboolean      _astro_store_exec           (sqlite3     *db,
                                           const char  *sql,
                                           GError     **error);
sqlite3_stmt *_astro_store_prepare        (sqlite3     *db,
                                           GHashTable  *cache,
                                           const char  *sql,
                                           GError     **error);
char         *_astro_store_now_iso        (void);
char         *_astro_store_dup_column     (sqlite3_stmt *stmt,
                                           int           column);
gboolean      _astro_store_write_setting  (sqlite3       *db,
                                           GHashTable    *statements,
                                           const char    *key,
                                           const char    *value,
                                           GError       **error);
gboolean      _astro_store_step_done      (sqlite3       *db,
                                           sqlite3_stmt  *stmt,
                                           const char    *what,
                                           GError       **error);
GHashTable   *_astro_store_statement_cache_new (void);
sqlite3      *_astro_store_open_connection (const char *path,
                                           gboolean    locked_by_caller,
                                           gboolean   *damaged,
                                           GError    **error);
gint64        _astro_store_count_rows     (sqlite3     *db,
                                           const char  *table,
                                           GError     **error);
void          _astro_store_emit_rows_changed (AstroStore       *self,
                                              AstroRowsChanged *changes);
void          _astro_store_post_rows_changed (AstroStore       *self,
                                              AstroRowsChanged *changes);
gboolean      _astro_store_ensure_writer  (AstroStore  *self,
                                           GError     **error);

/* Bits per key while a batch is applied */
#define KEY_EXISTED 1
#define KEY_PRESENT 2

void          _astro_store_mark_key       (GHashTable  *keys,
                                           const char  *key,
                                           gboolean     existed,
                                           gboolean     present);

/* the outbox's overlay around a batch (astro-store-outbox.c), writer locked */
typedef struct _AstroOverlayRun AstroOverlayRun;

gboolean      _astro_store_overlay_begin  (AstroStore        *self,
                                           AstroBatch        *batch,
                                           GHashTable        *keys,
                                           AstroOverlayRun  **out_run,
                                           GError           **error);
gboolean      _astro_store_overlay_finish (AstroStore        *self,
                                           AstroOverlayRun   *run,
                                           AstroBatch        *batch,
                                           GHashTable        *keys,
                                           AstroRowsChanged **out_outbox,
                                           GError           **error);
void          _astro_overlay_run_free     (AstroOverlayRun   *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroOverlayRun, _astro_overlay_run_free)

/* checkpoints */
void          _astro_store_checkpoint_init     (AstroStore *self);
void          _astro_store_checkpoint_shutdown (AstroStore *self);

/* migrations */
gboolean      _astro_store_migrate        (sqlite3     *db,
                                           const char  *path,
                                           int          from_version,
                                           int          to_version,
                                           GError     **error);
int           _astro_store_read_version   (sqlite3     *db,
                                           GError     **error);

G_END_DECLS
