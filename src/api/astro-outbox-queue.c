/* astro-outbox-queue.c: a write into the outbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A write is checked and made into an outbox entry on the caller's thread,
 * then stored: at once for astrolabe-ctl, or on the store's writing thread
 * for the window, whose main thread must not wait while a first sync holds
 * the database (a batch's transaction takes hundreds of milliseconds).
 */
#define G_LOG_DOMAIN "astro-outbox"

#include "config.h"

#include "astro-outbox-private.h"
#include "astro-write-values.h"

static AstroOutboxEntry *
make_entry (AstroWriteKind  kind,
            const char     *method,
            const char     *table,
            const char     *row_id,
            JsonObject     *fields,
            const char     *owner_id,
            const char     *expected_updated_at)
{
  AstroOutboxEntry *entry = astro_outbox_entry_new ();

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

  return entry;
}

static void
on_stored (AstroOutbox *self,
           gint64       id,
           gboolean     coalesced)
{
  if (coalesced)
    g_debug ("write merged into %" G_GINT64_FORMAT, id);

  _astro_outbox_pump_soon (self);
}

static gint64
store_entry (AstroOutbox       *self,
             AstroOutboxEntry  *entry,
             GError           **error)
{
  gboolean coalesce = entry->kind == ASTRO_WRITE_UPDATE;
  gint64 id;

  id = astro_store_outbox_add (self->store, entry, &coalesce, error);
  if (id != 0)
    on_stored (self, id, coalesce);

  return id;
}

typedef struct
{
  AstroOutboxEntry *entry;
  gboolean          coalesced;
} Stored;

static void
stored_free (gpointer data)
{
  Stored *stored = data;

  astro_outbox_entry_free (stored->entry);
  g_free (stored);
}

static gint64
store_in_thread (AstroStore  *store,
                 gpointer     data,
                 GError     **error)
{
  Stored *stored = data;

  stored->coalesced = stored->entry->kind == ASTRO_WRITE_UPDATE;
  return astro_store_outbox_add (store, stored->entry, &stored->coalesced, error);
}

static void
on_stored_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AstroOutbox *self = g_task_get_source_object (task);
  Stored *stored = g_task_get_task_data (task);
  GError *error = NULL;
  gint64 id;

  id = astro_store_write_finish (ASTRO_STORE (source), result, &error);
  if (id == 0)
    {
      g_task_return_error (task, error);
      return;
    }

  on_stored (self, id, stored->coalesced);
  g_task_return_int (task, id);
}

/* The write is stored on the store's writing thread: during a first sync
 * the database can be held by a batch for hundreds of milliseconds, and the
 * main thread must not wait for it. */
static void
store_entry_async (AstroOutbox      *self,
                   AstroOutboxEntry *entry,
                   GTask            *task)
{
  Stored *stored = g_new0 (Stored, 1);

  stored->entry = entry;
  g_task_set_task_data (task, stored, stored_free);
  astro_store_write_async (self->store, store_in_thread, stored, NULL, on_stored_cb, task);
}

static AstroOutboxEntry *
prepare_create (AstroOutbox  *self,
                JsonObject   *fields,
                GError      **error)
{
  g_autofree char *owner = NULL;
  const char *id;

  if (!astro_write_check_fields ("workspaces", TRUE, fields, error))
    return NULL;

  id = json_object_get_string_member_with_default (fields, "id", NULL);
  if (id == NULL || !g_uuid_string_is_valid (id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "A new workspace needs a UUID id");
      return NULL;
    }

  /* ASTRO_SETTING_ACCOUNT_USER: auth/ sits above this layer */
  owner = astro_store_get_setting (self->store, "account-user-id");
  return make_entry (ASTRO_WRITE_CREATE, "POST", "workspaces", id, fields, owner, NULL);
}

static AstroOutboxEntry *
prepare_update (const char   *table,
                const char   *row_id,
                JsonObject   *fields,
                const char   *expected_updated_at,
                GError      **error)
{
  if (!astro_write_check_fields (table, FALSE, fields, error))
    return NULL;

  return make_entry (ASTRO_WRITE_UPDATE, "PATCH", table, row_id, fields, NULL, expected_updated_at);
}

static AstroOutboxEntry *
prepare_delete (const char *row_id,
                const char *expected_updated_at)
{
  return make_entry (ASTRO_WRITE_DELETE, "DELETE", "workspaces", row_id, NULL, NULL, expected_updated_at);
}

/* A refused write again as a new one, without its precondition: what
 * "Retry" means after a conflict (this change wins). */
static AstroOutboxEntry *
prepare_retry (AstroOutbox  *self,
               gint64        id,
               GError      **error)
{
  g_autoptr(AstroOutboxEntry) entry = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *fields = NULL;

  entry = astro_store_outbox_get (self->store, id, error);
  if (entry == NULL)
    return NULL;

  if (entry->payload != NULL)
    {
      if (!json_parser_load_from_data (parser, entry->payload, -1, error))
        return NULL;
      fields = json_node_get_object (json_parser_get_root (parser));
      json_object_remove_member (fields, "expected_updated_at");
    }

  switch (entry->kind)
    {
    case ASTRO_WRITE_CREATE:
      return prepare_create (self, fields, error);
    case ASTRO_WRITE_DELETE:
      return prepare_delete (entry->row_id, NULL);
    case ASTRO_WRITE_UPDATE:
    default:
      return prepare_update (entry->row_table, entry->row_id, fields, NULL, error);
    }
}

static void
queue_async (AstroOutbox         *self,
             AstroOutboxEntry    *entry,
             GError              *error,
             gpointer             source_tag,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  if (entry == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  store_entry_async (self, entry, task);
}

/**
 * astro_outbox_create_workspace:
 * @fields: id (a new UUID made by the caller), organization_id,
 *   repository_id, type, device_name, and optionally task_id, status,
 *   git_branch, git_status
 *
 * Stores the write, waiting for the database if a sync holds it: for
 * astrolabe-ctl. The window uses astro_outbox_create_workspace_async().
 *
 * Returns: the outbox id, or 0 with @error
 */
gint64
astro_outbox_create_workspace (AstroOutbox  *self,
                               JsonObject   *fields,
                               GError      **error)
{
  g_autoptr(AstroOutboxEntry) entry = NULL;

  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);
  g_return_val_if_fail (fields != NULL, 0);

  entry = prepare_create (self, fields, error);
  return entry != NULL ? store_entry (self, entry, error) : 0;
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
  g_autoptr(AstroOutboxEntry) entry = NULL;

  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);
  g_return_val_if_fail (table != NULL && row_id != NULL && fields != NULL, 0);

  entry = prepare_update (table, row_id, fields, expected_updated_at, error);
  return entry != NULL ? store_entry (self, entry, error) : 0;
}

gint64
astro_outbox_delete_workspace (AstroOutbox  *self,
                               const char   *row_id,
                               const char   *expected_updated_at,
                               GError      **error)
{
  g_autoptr(AstroOutboxEntry) entry = NULL;

  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);
  g_return_val_if_fail (row_id != NULL, 0);

  entry = prepare_delete (row_id, expected_updated_at);
  return store_entry (self, entry, error);
}

/* Sends a refused write again as a new one, without its precondition: what
 * "Retry" means after a conflict (this change wins). */
gint64
astro_outbox_retry (AstroOutbox  *self,
                    gint64        id,
                    GError      **error)
{
  g_autoptr(AstroOutboxEntry) entry = NULL;

  g_return_val_if_fail (ASTRO_IS_OUTBOX (self), 0);

  entry = prepare_retry (self, id, error);
  return entry != NULL ? store_entry (self, entry, error) : 0;
}

/**
 * astro_outbox_create_workspace_async:
 *
 * astro_outbox_create_workspace() with the write stored on the store's
 * writing thread; the main thread never waits for a sync's transaction.
 * The result is astro_outbox_write_finish()'s.
 */
void
astro_outbox_create_workspace_async (AstroOutbox         *self,
                                     JsonObject          *fields,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GError *error = NULL;
  AstroOutboxEntry *entry;

  g_return_if_fail (ASTRO_IS_OUTBOX (self));
  g_return_if_fail (fields != NULL);

  entry = prepare_create (self, fields, &error);
  queue_async (self, entry, error, astro_outbox_create_workspace_async, callback, user_data);
}

void
astro_outbox_update_async (AstroOutbox         *self,
                           const char          *table,
                           const char          *row_id,
                           JsonObject          *fields,
                           const char          *expected_updated_at,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GError *error = NULL;
  AstroOutboxEntry *entry;

  g_return_if_fail (ASTRO_IS_OUTBOX (self));
  g_return_if_fail (table != NULL && row_id != NULL && fields != NULL);

  entry = prepare_update (table, row_id, fields, expected_updated_at, &error);
  queue_async (self, entry, error, astro_outbox_update_async, callback, user_data);
}

void
astro_outbox_delete_workspace_async (AstroOutbox         *self,
                                     const char          *row_id,
                                     const char          *expected_updated_at,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (ASTRO_IS_OUTBOX (self));
  g_return_if_fail (row_id != NULL);

  queue_async (self, prepare_delete (row_id, expected_updated_at), NULL,
               astro_outbox_delete_workspace_async, callback, user_data);
}

void
astro_outbox_retry_async (AstroOutbox         *self,
                          gint64               id,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GError *error = NULL;
  AstroOutboxEntry *entry;

  g_return_if_fail (ASTRO_IS_OUTBOX (self));

  entry = prepare_retry (self, id, &error);
  queue_async (self, entry, error, astro_outbox_retry_async, callback, user_data);
}

/**
 * astro_outbox_write_finish:
 *
 * Returns: the outbox id of a write queued by one of the _async functions
 *   (an earlier one when it merged into it), or 0 with @error
 */
gint64
astro_outbox_write_finish (AstroOutbox   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  gint64 id;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  id = g_task_propagate_int (G_TASK (result), error);
  return id < 0 ? 0 : id;
}
