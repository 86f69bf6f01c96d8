/* astro-store.h: the local SQLite copy of the team's data, and local state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "astro-batch.h"
#include "astro-local-repo.h"
#include "astro-outbox-entry.h"
#include "astro-row.h"
#include "astro-rows-changed.h"
#include "astro-shape-state.h"
#include "astro-table.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_STORE (astro_store_get_type ())
#define ASTRO_STORE_ERROR (astro_store_error_quark ())

G_DECLARE_FINAL_TYPE (AstroStore, astro_store, ASTRO, STORE, GObject)

typedef enum
{
  ASTRO_STORE_ERROR_FAILED,
  ASTRO_STORE_ERROR_MIGRATION,   /* the file is kept as it was */
  ASTRO_STORE_ERROR_TOO_NEW,     /* made by a newer Astrolabe: left untouched */
  ASTRO_STORE_ERROR_INVALID,     /* a batch or argument the store refuses */
} AstroStoreError;

/* Local settings keys */
#define ASTRO_SETTING_ACTIVE_ORGANIZATION   "active-organization"
#define ASTRO_SETTING_LAST_WORKSPACE        "last-active-workspace"
#define ASTRO_SETTING_DEVICE_ID             "device-id"
#define ASTRO_SETTING_DEVICE_NAME           "device-name"

typedef enum
{
  ASTRO_TASK_SORT_STATUS,   /* status group, then priority, then most recently updated */
  ASTRO_TASK_SORT_UPDATED,  /* most recently updated first */
} AstroTaskSort;

typedef struct
{
  const char    *organization_id;  /* NULL: every organization */
  const char    *status;           /* NULL: any */
  int            priority;         /* < 0: any */
  const char    *assignee_id;      /* NULL: anyone; "": unassigned */
  const char    *search;           /* matched against key and title; NULL or "": all */
  AstroTaskSort  sort;
} AstroTaskFilter;

#define ASTRO_TASK_FILTER_INIT { NULL, NULL, -1, NULL, NULL, ASTRO_TASK_SORT_STATUS }

/* What a task's row shows of the work on it */
typedef struct
{
  guint  n_workspaces;  /* not archived */
  char  *pr_status;     /* the most telling; "" if unknown; NULL: no PR */
} AstroTaskWork;

void             astro_task_work_free            (AstroTaskWork          *work);

void             astro_task_filter_copy          (AstroTaskFilter        *dest,
                                                  const AstroTaskFilter  *src);
void             astro_task_filter_clear         (AstroTaskFilter        *filter);

GQuark           astro_store_error_quark         (void);
char            *astro_store_default_path        (void);
AstroStore      *astro_store_open                (const char             *path,
                                                  GError                **error);
const char      *astro_store_get_path            (AstroStore             *self);
const char      *astro_store_get_recovered_path  (AstroStore             *self);
int              astro_store_get_schema_version  (AstroStore             *self);
int              astro_store_get_latest_version  (void);

/* Writing synced tables: may be called from any one thread (the sync thread);
 * rows-changed is emitted on the main context the store was opened on. */
gboolean         astro_store_apply_batch         (AstroStore             *self,
                                                  AstroBatch             *batch,
                                                  GError                **error);
void             astro_store_apply_batch_async   (AstroStore             *self,
                                                  AstroBatch             *batch,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
gboolean         astro_store_apply_batch_finish  (AstroStore             *self,
                                                  GAsyncResult           *result,
                                                  GError                **error);
void             astro_store_set_background      (AstroStore             *self,
                                                  gboolean                background);
gboolean         astro_store_checkpoint          (AstroStore             *self,
                                                  GError                **error);
gboolean         astro_store_clear_synced        (AstroStore             *self,
                                                  GError                **error);

/* Reading: main thread */
gint64           astro_store_count_rows          (AstroStore             *self,
                                                  const char             *table,
                                                  GError                **error);
gboolean         astro_store_has_rows            (AstroStore             *self,
                                                  const char             *table,
                                                  GError                **error);
AstroRow        *astro_store_get_row             (AstroStore             *self,
                                                  const char             *table,
                                                  const char             *id,
                                                  GError                **error);
GPtrArray       *astro_store_list_rows           (AstroStore             *self,
                                                  const char             *table,
                                                  const char             *column,
                                                  const char             *value,
                                                  GError                **error);
char            *astro_store_dup_user_name       (AstroStore             *self,
                                                  const char             *user_id);
GHashTable      *astro_store_list_user_names     (AstroStore             *self,
                                                  GError                **error);
char            *astro_store_dup_status_color    (AstroStore             *self,
                                                  const char             *organization_id,
                                                  const char             *status);
GPtrArray       *astro_store_list_task_ids       (AstroStore             *self,
                                                  const AstroTaskFilter  *filter,
                                                  GError                **error);
GPtrArray       *astro_store_list_first_task_ids (AstroStore            *self,
                                                  const AstroTaskFilter *filter,
                                                  guint                  limit,
                                                  GError               **error);
void             astro_store_list_task_ids_async (AstroStore             *self,
                                                  const AstroTaskFilter  *filter,
                                                  GCancellable           *cancellable,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
GPtrArray       *astro_store_list_task_ids_finish (AstroStore            *self,
                                                  GAsyncResult           *result,
                                                  GError                **error);
void             astro_store_count_rows_async    (AstroStore             *self,
                                                  const char * const     *tables,
                                                  GCancellable           *cancellable,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
GArray          *astro_store_count_rows_finish   (AstroStore             *self,
                                                  GAsyncResult           *result,
                                                  GError                **error);
GHashTable      *astro_store_read_rows_in_thread (AstroStore            *self,
                                                  const char            *table_name,
                                                  GPtrArray             *ids,
                                                  guint                  n,
                                                  GHashTable           **pending,
                                                  GError               **error);
GPtrArray       *astro_store_list_workspaces     (AstroStore             *self,
                                                  const char             *organization_id,
                                                  const char             *owner_id,
                                                  GError                **error);

/* Local tables */
char            *astro_store_get_setting         (AstroStore             *self,
                                                  const char             *key);
/* Runs on the store's writing thread; returns what astro_store_write_finish()
 * gives, with @error set on failure */
typedef gint64 (*AstroStoreWriteFunc) (AstroStore  *store,
                                       gpointer     data,
                                       GError     **error);

void             astro_store_write_async         (AstroStore             *self,
                                                  AstroStoreWriteFunc     func,
                                                  gpointer                data,
                                                  GDestroyNotify          destroy,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
void             astro_store_wait_for_writes     (AstroStore             *self);
gint64           astro_store_write_finish        (AstroStore             *self,
                                                  GAsyncResult           *result,
                                                  GError                **error);
void             astro_store_set_setting_async   (AstroStore             *self,
                                                  const char             *key,
                                                  const char             *value);
gboolean         astro_store_set_setting         (AstroStore             *self,
                                                  const char             *key,
                                                  const char             *value,
                                                  GError                **error);
char            *astro_store_dup_device_id       (AstroStore             *self);
char            *astro_store_dup_device_name     (AstroStore             *self);
GHashTable      *astro_store_list_task_work      (AstroStore             *self,
                                                  GError                **error);
AstroShapeState *astro_store_get_shape_state     (AstroStore             *self,
                                                  const char             *shape,
                                                  GError                **error);
GPtrArray       *astro_store_list_shape_states   (AstroStore             *self,
                                                  GError                **error);
gboolean         astro_store_set_shape_error     (AstroStore             *self,
                                                  const char             *shape,
                                                  const char             *message,
                                                  GError                **error);
gboolean         astro_store_save_local_repo     (AstroStore             *self,
                                                  const AstroLocalRepo   *repo,
                                                  GError                **error);
AstroLocalRepo  *astro_store_get_local_repo      (AstroStore             *self,
                                                  const char             *path,
                                                  GError                **error);
GPtrArray       *astro_store_list_local_repos    (AstroStore             *self,
                                                  GError                **error);
gboolean         astro_store_delete_local_repo   (AstroStore             *self,
                                                  const char             *path,
                                                  GError                **error);
GPtrArray       *astro_store_list_local_tables   (void);

/* The outbox and its overlay (astro-store-outbox.c): any thread */
gint64           astro_store_outbox_add          (AstroStore             *self,
                                                  const AstroOutboxEntry *entry,
                                                  gboolean               *coalesce,
                                                  GError                **error);
gboolean         astro_store_outbox_set_sending  (AstroStore             *self,
                                                  gint64                  id,
                                                  int                     attempts,
                                                  GError                **error);
gboolean         astro_store_outbox_set_retry    (AstroStore             *self,
                                                  gint64                  id,
                                                  gint64                  next_attempt_at,
                                                  int                     http_status,
                                                  const char             *last_error,
                                                  GError                **error);
gboolean         astro_store_outbox_set_answered (AstroStore             *self,
                                                  gint64                  id,
                                                  const char             *txid,
                                                  int                     http_status,
                                                  GError                **error);
gboolean         astro_store_outbox_set_failed   (AstroStore             *self,
                                                  gint64                  id,
                                                  int                     http_status,
                                                  const char             *message,
                                                  GError                **error);
gboolean         astro_store_outbox_set_refetch  (AstroStore             *self,
                                                  gint64                  id,
                                                  GError                **error);
gboolean         astro_store_outbox_resume       (AstroStore             *self,
                                                  gboolean                restart,
                                                  GError                **error);
/* main thread */
GPtrArray       *astro_store_outbox_list         (AstroStore             *self,
                                                  const char             *state,
                                                  GError                **error);
AstroOutboxEntry *astro_store_outbox_get         (AstroStore             *self,
                                                  gint64                  id,
                                                  GError                **error);
gboolean         astro_store_row_is_pending      (AstroStore             *self,
                                                  const char             *table,
                                                  const char             *row_id);

G_END_DECLS
