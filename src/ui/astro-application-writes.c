/* astro-application-writes.c: what this app writes to the team's server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * While signed in the application owns one outbox, beside the sync engine.
 * Everything the window changes (a task's status, a new workspace, a pull
 * request) is an app action here that enqueues a write; the change shows at
 * once through the overlay, and a refusal comes back as a toast naming the
 * change and the reason, with Retry or Reload when they make sense.
 *
 * Two writers need no one to click:
 * - git status: each linked folder holding a workspace of this person on
 *   this machine has a checkout watcher; its changes become, two seconds
 *   after the last one, a PATCH of git_branch and git_status (the outbox
 *   merges the ones not yet sent).
 * - presence: while the window is used (active, input in the last five
 *   minutes), those workspaces get last_activity_at and status active every
 *   three minutes; after ten minutes without input they go idle, once.
 */
#define G_LOG_DOMAIN "astro-application"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-application-private.h"
#include "astro-checkout-watcher.h"
#include "astro-this-device.h"
#include "astro-write-values.h"

/* Quiet time after a checkout's last change before its status is sent */
#define GIT_DEBOUNCE_MS 2000

/* Presence, in seconds (ASTRO_PRESENCE_EVERY_S and ASTRO_PRESENCE_IDLE_S
 * shorten them for tests) */
#define PRESENCE_EVERY_S 180
#define PRESENCE_IDLE_S  600

/*
 * Auxiliary methods
 */

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);
  guint64 parsed = value != NULL ? g_ascii_strtoull (value, NULL, 10) : 0;

  return parsed > 0 && parsed < G_MAXUINT ? (guint) parsed : fallback;
}

static char *
account_token (gpointer user_data)
{
  return astro_account_dup_access_token (ASTRO_ACCOUNT (user_data));
}

static void
toast (AstroApplication *self,
       const char       *message)
{
  astro_window_show_toast (_astro_application_ensure_window (self), message);
}

static char *
user_id (AstroApplication *self)
{
  return astro_store_get_setting (self->store, ASTRO_SETTING_ACCOUNT_USER);
}

/* Postgres' text for timestamptz, whole seconds: the overlay then shows
 * exactly what the shape brings back. */
static char *
now_timestamp (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%d %H:%M:%S+00");
}

/* The precondition of a change made on what the window shows: the row's
 * updated_at, so a teammate's newer change is not overwritten blindly. Not
 * while an earlier write of ours to the row is unsettled: that write will
 * move updated_at itself, and ours go in order anyway. */
static const char *
expected_updated_at (AstroApplication *self,
                     const char       *table,
                     AstroRow         *row)
{
  if (astro_store_row_is_pending (self->store, table, astro_row_get_id (row)))
    return NULL;
  return astro_row_get (row, "updated_at");
}

static void
set_actions_enabled (AstroApplication *self,
                     gboolean          enabled)
{
  static const char * const names[] = {
    "task-set", "workspace-start", "workspace-archive", "workspace-delete",
    "workspace-set-pr", "retry-write", "reload-table",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), names[i]);

      if (action != NULL)
        g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
    }
}

/* What a refused write was, in a few words, for its toast. */
static char *
describe_write (AstroApplication       *self,
                const AstroOutboxEntry *entry)
{
  g_autoptr(AstroRow) row = NULL;

  if (g_strcmp0 (entry->row_table, "tasks") == 0)
    {
      row = astro_store_get_row (self->store, "tasks", entry->row_id, NULL);
      /* Translators: the change of a task, named by its key, e.g. "ENG-42" */
      return g_strdup_printf (_("Changing %s"), row != NULL && astro_row_get (row, "external_key") != NULL
                                                  ? astro_row_get (row, "external_key") : _("a task"));
    }

  switch (entry->kind)
    {
    case ASTRO_WRITE_CREATE:
      return g_strdup (_("Starting a workspace"));
    case ASTRO_WRITE_DELETE:
      return g_strdup (_("Deleting a workspace"));
    case ASTRO_WRITE_UPDATE:
    default:
      return g_strdup (_("Changing a workspace"));
    }
}

/*
 * Writing
 */

/* Writes are stored on the store's writing thread (a first sync can hold
 * the database for a while); a write that could not be queued says so. */
static void
on_write_queued_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(AstroApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (astro_outbox_write_finish (ASTRO_OUTBOX (source), result, &error) == 0)
    {
      g_warning ("Could not queue a change: %s", error->message);
      toast (self, error->message);
    }
}

static void
enqueue_update (AstroApplication *self,
                const char       *table,
                const char       *row_id,
                JsonObject       *fields,
                const char       *expected)
{
  if (self->outbox != NULL)
    astro_outbox_update_async (self->outbox, table, row_id, fields, expected,
                               on_write_queued_cb, g_object_ref (self));
}

/* The workspaces of this person on this machine (not archived) */
static GPtrArray *
list_own_workspaces (AstroApplication *self)
{
  g_autofree char *me = user_id (self);
  g_autofree char *device = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GPtrArray *own = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_row_unref);

  if (me == NULL || self->store == NULL)
    return own;

  device = astro_store_dup_device_name (self->store);
  rows = astro_store_list_rows (self->store, "workspaces", "owner_id", me, NULL);
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      AstroRow *row = g_ptr_array_index (rows, i);

      if (astro_this_device_owns_workspace (row, device, me))
        g_ptr_array_add (own, astro_row_ref (row));
    }

  return own;
}

/*
 * Git status of the checkouts
 */

static gboolean
same_git_status (const char           *text,
                 AstroCheckoutWatcher *watcher)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;

  object = json_node_get_object (json_parser_get_root (parser));
  return json_object_get_int_member_with_default (object, "uncommitted", -1) == astro_checkout_watcher_get_uncommitted (watcher) &&
         json_object_get_int_member_with_default (object, "ahead", -1) == astro_checkout_watcher_get_ahead (watcher) &&
         json_object_get_int_member_with_default (object, "behind", -1) == astro_checkout_watcher_get_behind (watcher);
}

/* One folder, several workspaces of this person on its repository (one per
 * task): the folder's state belongs to the one on its branch, or else to
 * the one worked on last. */
static void
send_git_status (AstroApplication     *self,
                 AstroCheckoutWatcher *watcher)
{
  const char *repository_id = g_object_get_data (G_OBJECT (watcher), "repository-id");
  const char *branch = astro_checkout_watcher_get_branch (watcher);
  g_autoptr(GPtrArray) own = list_own_workspaces (self);
  g_autoptr(GPtrArray) targets = g_ptr_array_new ();
  AstroRow *latest = NULL;

  if (!astro_checkout_watcher_get_ready (watcher) || astro_checkout_watcher_get_error (watcher) != NULL)
    return;

  for (guint i = 0; i < own->len; i++)
    {
      AstroRow *row = g_ptr_array_index (own, i);

      if (g_strcmp0 (astro_row_get (row, "repository_id"), repository_id) != 0)
        continue;
      if (branch != NULL && g_strcmp0 (astro_row_get (row, "git_branch"), branch) == 0)
        g_ptr_array_add (targets, row);
      if (latest == NULL ||
          g_strcmp0 (astro_row_get (row, "last_activity_at"), astro_row_get (latest, "last_activity_at")) > 0)
        latest = row;
    }
  if (targets->len == 0 && latest != NULL)
    g_ptr_array_add (targets, latest);

  for (guint i = 0; i < targets->len; i++)
    {
      AstroRow *row = g_ptr_array_index (targets, i);
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autoptr(JsonObject) git = json_object_new ();
      gboolean same_branch = branch == NULL || g_strcmp0 (astro_row_get (row, "git_branch"), branch) == 0;

      if (same_branch && same_git_status (astro_row_get (row, "git_status"), watcher))
        continue;

      json_object_set_int_member (git, "uncommitted", astro_checkout_watcher_get_uncommitted (watcher));
      json_object_set_int_member (git, "ahead", astro_checkout_watcher_get_ahead (watcher));
      json_object_set_int_member (git, "behind", astro_checkout_watcher_get_behind (watcher));
      json_object_set_object_member (fields, "git_status", g_steal_pointer (&git));
      /* detached: the branch it was on is still the best name for it */
      if (!same_branch)
        json_object_set_string_member (fields, "git_branch", branch);

      /* frequent and last-one-wins: no precondition */
      enqueue_update (self, "workspaces", astro_row_get_id (row), fields, NULL);
    }
}

static gboolean
on_git_debounce_cb (gpointer data)
{
  AstroApplication *self = data;
  g_autoptr(GHashTable) dirty = g_steal_pointer (&self->dirty_checkouts);
  GHashTableIter iter;
  gpointer path;

  self->git_source = 0;
  self->dirty_checkouts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_hash_table_iter_init (&iter, dirty);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    {
      AstroCheckoutWatcher *watcher = g_hash_table_lookup (self->watchers, path);

      if (watcher != NULL)
        send_git_status (self, watcher);
    }

  return G_SOURCE_REMOVE;
}

static void
on_checkout_status_changed_cb (AstroCheckoutWatcher *watcher,
                               AstroApplication     *self)
{
  g_hash_table_add (self->dirty_checkouts, g_strdup (astro_checkout_watcher_get_path (watcher)));

  /* a commit is a burst of changes: wait for the last */
  g_clear_handle_id (&self->git_source, g_source_remove);
  self->git_source = g_timeout_add (GIT_DEBOUNCE_MS, on_git_debounce_cb, self);
}

/* A watcher for each linked folder whose repository has a workspace of this
 * person on this machine, and none for the others. */
static void
update_watchers (AstroApplication *self)
{
  g_autoptr(GPtrArray) own = list_own_workspaces (self);
  g_autoptr(GPtrArray) repos = NULL;
  g_autoptr(GHashTable) repository_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer path, repository_id;

  for (guint i = 0; i < own->len; i++)
    if (astro_row_get (g_ptr_array_index (own, i), "repository_id") != NULL)
      g_hash_table_add (repository_ids, (gpointer) astro_row_get (g_ptr_array_index (own, i), "repository_id"));

  repos = astro_store_list_local_repos (self->store, NULL);
  for (guint i = 0; repos != NULL && i < repos->len; i++)
    {
      AstroLocalRepo *repo = g_ptr_array_index (repos, i);

      if (repo->repository_id != NULL && g_hash_table_contains (repository_ids, repo->repository_id))
        g_hash_table_insert (wanted, g_strdup (repo->path), g_strdup (repo->repository_id));
    }

  g_hash_table_iter_init (&iter, self->watchers);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    if (!g_hash_table_contains (wanted, path))
      g_hash_table_iter_remove (&iter);

  g_hash_table_iter_init (&iter, wanted);
  while (g_hash_table_iter_next (&iter, &path, &repository_id))
    {
      AstroCheckoutWatcher *watcher = g_hash_table_lookup (self->watchers, path);

      if (watcher == NULL)
        {
          watcher = astro_checkout_watcher_new (path);
          g_hash_table_insert (self->watchers, g_strdup (path), watcher);
          g_signal_connect_object (watcher, "status-changed",
                                   G_CALLBACK (on_checkout_status_changed_cb), self, 0);
        }
      else if (g_strcmp0 (g_object_get_data (G_OBJECT (watcher), "repository-id"), repository_id) == 0)
        continue;

      /* relinked elsewhere, or new: its state is news for the workspace */
      g_object_set_data_full (G_OBJECT (watcher), "repository-id", g_strdup (repository_id), g_free);
      if (astro_checkout_watcher_get_ready (watcher))
        on_checkout_status_changed_cb (watcher, self);
    }
}

static gboolean
on_watchers_idle_cb (gpointer data)
{
  AstroApplication *self = data;

  self->watchers_source = 0;
  update_watchers (self);
  return G_SOURCE_REMOVE;
}

/* Workspaces or linked folders changed: look again, once for a burst. */
static void
on_store_changed_cb (AstroApplication *self,
                     AstroRowsChanged *changes)
{
  if (self->watchers_source == 0 && self->outbox != NULL)
    self->watchers_source = g_timeout_add (300, on_watchers_idle_cb, self);
}

/*
 * Presence
 */

static void
send_presence (AstroApplication *self,
               gboolean          active)
{
  g_autoptr(GPtrArray) own = list_own_workspaces (self);
  g_autofree char *now = now_timestamp ();

  for (guint i = 0; i < own->len; i++)
    {
      AstroRow *row = g_ptr_array_index (own, i);
      g_autoptr(JsonObject) fields = json_object_new ();

      if (active)
        {
          json_object_set_string_member (fields, "last_activity_at", now);
          json_object_set_string_member (fields, "status", "active");
        }
      else if (g_strcmp0 (astro_row_get (row, "status"), "active") == 0)
        json_object_set_string_member (fields, "status", "idle");
      else
        continue;

      enqueue_update (self, "workspaces", astro_row_get_id (row), fields, NULL);
    }
}

/* Active, with input in the last half of the time that makes it idle */
static gboolean
window_in_use (AstroApplication *self,
               gint64            now,
               gint64            idle_after)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  return window != NULL && gtk_window_is_active (window) && now - self->last_input_us < idle_after / 2;
}

static gboolean
on_presence_tick_cb (gpointer data)
{
  AstroApplication *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 every = (gint64) env_uint ("ASTRO_PRESENCE_EVERY_S", PRESENCE_EVERY_S) * G_USEC_PER_SEC;
  gint64 idle_after = (gint64) env_uint ("ASTRO_PRESENCE_IDLE_S", PRESENCE_IDLE_S) * G_USEC_PER_SEC;

  if (self->outbox == NULL)
    return G_SOURCE_CONTINUE;

  if (window_in_use (self, now, idle_after))
    {
      self->idle_sent = FALSE;
      if (self->presence_sent_us == 0 || now - self->presence_sent_us >= every)
        {
          self->presence_sent_us = now;
          send_presence (self, TRUE);
        }
    }
  else if (!self->idle_sent && now - self->last_input_us >= idle_after)
    {
      self->idle_sent = TRUE;
      self->presence_sent_us = 0;
      send_presence (self, FALSE);
    }

  return G_SOURCE_CONTINUE;
}

/* Input is use: keys, clicks, scrolling, touch, and the pointer moving. Not
 * every event: GTK sends crossing and motion events of its own when a list
 * changes under a pointer that stands still, and a window left alone while
 * the team's data changes would never go idle. */
static gboolean
is_input (AstroApplication *self,
          GdkEvent         *event)
{
  double x, y;

  switch ((int) gdk_event_get_event_type (event))
    {
    case GDK_KEY_PRESS:
    case GDK_BUTTON_PRESS:
    case GDK_SCROLL:
    case GDK_TOUCH_BEGIN:
    case GDK_TOUCHPAD_SWIPE:
    case GDK_TOUCHPAD_PINCH:
      return TRUE;

    case GDK_MOTION_NOTIFY:
      if (!gdk_event_get_position (event, &x, &y) ||
          (ABS (x - self->pointer_x) < 4 && ABS (y - self->pointer_y) < 4))
        return FALSE;
      self->pointer_x = x;
      self->pointer_y = y;
      return TRUE;

    default:
      return FALSE;
    }
}

/* Back from idle, say so at once. */
static gboolean
on_window_event_cb (GtkEventControllerLegacy *controller,
                    GdkEvent                 *event,
                    AstroApplication         *self)
{
  if (!is_input (self, event))
    return GDK_EVENT_PROPAGATE;

  self->last_input_us = g_get_monotonic_time ();
  if (self->idle_sent && self->outbox != NULL)
    on_presence_tick_cb (self);
  return GDK_EVENT_PROPAGATE;
}

static void
on_window_active_cb (GtkWindow        *window,
                     GParamSpec       *pspec,
                     AstroApplication *self)
{
  GHashTableIter iter;
  gpointer watcher;

  if (!gtk_window_is_active (window))
    return;

  self->last_input_us = g_get_monotonic_time ();

  /* edits of work-tree files show in no file git writes: look now */
  g_hash_table_iter_init (&iter, self->watchers);
  while (g_hash_table_iter_next (&iter, NULL, &watcher))
    astro_checkout_watcher_refresh (watcher);
}

static void
on_window_added_cb (AstroApplication *self,
                    GtkWindow        *window)
{
  GtkEventController *legacy;

  if (!ASTRO_IS_WINDOW (window))
    return;

  legacy = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (legacy, GTK_PHASE_CAPTURE);
  g_signal_connect_object (legacy, "event", G_CALLBACK (on_window_event_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (window), legacy);
  g_signal_connect_object (window, "notify::is-active", G_CALLBACK (on_window_active_cb), self, 0);
}

/*
 * Outbox signals
 */

static void
on_write_failed_cb (AstroOutbox      *outbox,
                    gint64            id,
                    const char       *message,
                    gboolean          can_retry,
                    gboolean          can_reload,
                    AstroApplication *self)
{
  g_autoptr(AstroOutboxEntry) entry = astro_store_outbox_get (self->store, id, NULL);
  g_autofree char *what = entry != NULL ? describe_write (self, entry) : g_strdup (_("A change"));
  g_autofree char *title = NULL;
  AdwToast *failed;

  /* Translators: what failed, then why, e.g. "Changing ENG-42 failed: …" */
  title = g_strdup_printf (_("%s failed: %s"), what, message);
  failed = adw_toast_new (title);
  adw_toast_set_priority (failed, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (failed, 10);

  /* A retry sends this change again and wins; a reload shows the server's */
  if (can_retry)
    {
      adw_toast_set_button_label (failed, _("_Retry"));
      adw_toast_set_action_name (failed, "app.retry-write");
      adw_toast_set_action_target_value (failed, g_variant_new_int64 (id));
    }
  else if (can_reload && entry != NULL)
    {
      adw_toast_set_button_label (failed, _("Re_load"));
      adw_toast_set_action_name (failed, "app.reload-table");
      adw_toast_set_action_target_value (failed, g_variant_new_string (entry->row_table));
    }

  astro_window_add_toast (_astro_application_ensure_window (self), failed);
}

static void
on_refetch_needed_cb (AstroOutbox      *outbox,
                      const char       *table,
                      AstroApplication *self)
{
  if (self->engine != NULL)
    astro_sync_engine_refetch (self->engine, table);
}

/*
 * Actions
 */

/* (task id, its organization, the updated_at the person saw or "" while a
 * write of it is pending, column, value): column is status, priority (its
 * number) or assignee_id ("" for nobody). What the person saw is what the
 * server must still have; the row is not read here, on the main thread,
 * where a first sync's writes may hold the disk. */
static void
task_set_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  AstroApplication *self = user_data;
  g_autoptr(JsonObject) fields = json_object_new ();
  const char *id, *organization_id, *seen, *column, *value;

  g_variant_get (parameter, "(&s&s&s&s&s)", &id, &organization_id, &seen, &column, &value);

  if (g_str_equal (column, "priority"))
    json_object_set_int_member (fields, "priority", g_ascii_strtoll (value, NULL, 10));
  else if (g_str_equal (column, "assignee_id") && value[0] == '\0')
    json_object_set_null_member (fields, "assignee_id");
  else if (g_str_equal (column, "status"))
    {
      g_autofree char *color = astro_store_dup_status_color (self->store, organization_id, value);

      json_object_set_string_member (fields, "status", value);
      /* the list keeps showing the team's colour for the status */
      if (color != NULL)
        json_object_set_string_member (fields, "status_color", color);
    }
  else
    json_object_set_string_member (fields, column, value);

  enqueue_update (self, "tasks", id, fields, seen[0] != '\0' ? seen : NULL);
}

static void
workspace_start_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  AstroApplication *self = user_data;
  g_autoptr(AstroRow) task = astro_store_get_row (self->store, "tasks", g_variant_get_string (parameter, NULL), NULL);
  g_autoptr(AstroLocalRepo) checkout = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *device = NULL;
  g_autofree char *id = g_uuid_string_random ();

  if (task == NULL || self->outbox == NULL)
    return;

  checkout = astro_this_device_find_checkout (self->store, astro_row_get (task, "repository_id"),
                                              astro_row_get (task, "organization_id"));
  if (checkout == NULL)
    {
      toast (self, _("Link a folder of this task’s repository first"));
      return;
    }

  device = astro_store_dup_device_name (self->store);
  json_object_set_string_member (fields, "id", id);
  json_object_set_string_member (fields, "organization_id", astro_row_get (task, "organization_id"));
  json_object_set_string_member (fields, "repository_id", checkout->repository_id);
  json_object_set_string_member (fields, "task_id", astro_row_get_id (task));
  json_object_set_string_member (fields, "type", "local");
  json_object_set_string_member (fields, "device_name", device);
  json_object_set_string_member (fields, "status", "active");
  if (astro_row_get (task, "branch") != NULL)
    json_object_set_string_member (fields, "git_branch", astro_row_get (task, "branch"));

  astro_outbox_create_workspace_async (self->outbox, fields, on_write_queued_cb, g_object_ref (self));
}

static void
patch_workspace (AstroApplication *self,
                 const char       *id,
                 JsonObject       *fields)
{
  g_autoptr(AstroRow) row = astro_store_get_row (self->store, "workspaces", id, NULL);

  if (row != NULL)
    enqueue_update (self, "workspaces", id, fields, expected_updated_at (self, "workspaces", row));
}

static void
workspace_archive_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "status", "archived");
  patch_workspace (user_data, g_variant_get_string (parameter, NULL), fields);
}

/* The window asked first; this only deletes. */
static void
workspace_delete_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  AstroApplication *self = user_data;
  const char *id = g_variant_get_string (parameter, NULL);
  g_autoptr(AstroRow) row = astro_store_get_row (self->store, "workspaces", id, NULL);

  if (row == NULL || self->outbox == NULL)
    return;

  astro_outbox_delete_workspace_async (self->outbox, id, expected_updated_at (self, "workspaces", row),
                                       on_write_queued_cb, g_object_ref (self));
}

/* (id, pull request URL): number and status from the URL, status open */
static void
workspace_set_pr_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  AstroApplication *self = user_data;
  g_autoptr(JsonObject) fields = json_object_new ();
  const char *id, *url;
  gint64 number;

  g_variant_get (parameter, "(&s&s)", &id, &url);
  number = astro_write_parse_pr_url (url);
  if (number == 0)
    {
      toast (self, _("That is not a pull or merge request URL"));
      return;
    }

  json_object_set_string_member (fields, "pr_url", url);
  json_object_set_int_member (fields, "pr_number", number);
  json_object_set_string_member (fields, "pr_status", "open");
  patch_workspace (self, id, fields);
}

static void
retry_write_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  AstroApplication *self = user_data;

  if (self->outbox != NULL)
    astro_outbox_retry_async (self->outbox, g_variant_get_int64 (parameter),
                              on_write_queued_cb, g_object_ref (self));
}

static void
reload_table_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  AstroApplication *self = user_data;

  if (self->engine != NULL)
    astro_sync_engine_refetch (self->engine, g_variant_get_string (parameter, NULL));
}

static const GActionEntry write_actions[] = {
  { "task-set", task_set_action, "(sssss)" },
  { "workspace-start", workspace_start_action, "s" },
  { "workspace-archive", workspace_archive_action, "s" },
  { "workspace-delete", workspace_delete_action, "s" },
  { "workspace-set-pr", workspace_set_pr_action, "(ss)" },
  { "retry-write", retry_write_action, "x" },
  { "reload-table", reload_table_action, "s" },
};

/*
 * Private API
 */

/* At startup, before anyone is signed in: the actions (off until then),
 * and eyes on the windows for presence. */
void
_astro_application_writes_init (AstroApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), write_actions,
                                   G_N_ELEMENTS (write_actions), self);
  set_actions_enabled (self, FALSE);

  self->watchers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->dirty_checkouts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->last_input_us = g_get_monotonic_time ();
  g_signal_connect (self, "window-added", G_CALLBACK (on_window_added_cb), NULL);
}

/* Signed in (self->account and self->engine are set): writes go out, the
 * ones left from last time first. */
void
_astro_application_writes_start (AstroApplication *self)
{
  guint every;

  _astro_application_writes_stop (self);
  if (self->store == NULL || self->account == NULL)
    return;

  self->outbox = astro_outbox_new (self->store, astro_account_get_server_url (self->account));
  /* the outbox calls back with the account from its worker thread */
  g_object_set_data_full (G_OBJECT (self->outbox), "account", g_object_ref (self->account), g_object_unref);
  astro_outbox_set_auth (self->outbox, account_token, astro_account_renew, self->account);
  /* knobs for tests, as for astrolabe-ctl */
  astro_outbox_set_backoff (self->outbox, env_uint ("ASTRO_OUTBOX_BACKOFF_MS", 0),
                            env_uint ("ASTRO_OUTBOX_BACKOFF_MAX_MS", 0));
  if (g_getenv ("ASTRO_OUTBOX_SETTLE_MS") != NULL)
    g_object_set (self->outbox, "settle-timeout", env_uint ("ASTRO_OUTBOX_SETTLE_MS", 30000), NULL);

  g_signal_connect_object (self->outbox, "write-failed", G_CALLBACK (on_write_failed_cb), self, 0);
  g_signal_connect_object (self->outbox, "refetch-needed", G_CALLBACK (on_refetch_needed_cb), self, 0);
  g_signal_connect_object (self->store, "rows-changed::workspaces",
                           G_CALLBACK (on_store_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "rows-changed::local_repos",
                           G_CALLBACK (on_store_changed_cb), self, G_CONNECT_SWAPPED);
  astro_outbox_start (self->outbox);
  set_actions_enabled (self, TRUE);

  update_watchers (self);

  every = env_uint ("ASTRO_PRESENCE_EVERY_S", PRESENCE_EVERY_S);
  self->presence_sent_us = 0;
  self->idle_sent = FALSE;
  self->presence_source = g_timeout_add_seconds (MAX (1, MIN (30, every / 6)), on_presence_tick_cb, self);
}

/* Signing out or quitting: nothing more is sent. (On sign-out the store
 * forgets what was queued, with the rest of the account's data.) */
void
_astro_application_writes_stop (AstroApplication *self)
{
  set_actions_enabled (self, FALSE);
  g_clear_handle_id (&self->presence_source, g_source_remove);
  g_clear_handle_id (&self->git_source, g_source_remove);
  g_clear_handle_id (&self->watchers_source, g_source_remove);
  if (self->watchers != NULL)
    g_hash_table_remove_all (self->watchers);
  if (self->dirty_checkouts != NULL)
    g_hash_table_remove_all (self->dirty_checkouts);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_func (self->store, on_store_changed_cb, self);

  if (self->outbox != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->outbox, self);
      g_object_run_dispose (G_OBJECT (self->outbox));
      g_clear_object (&self->outbox);
    }
}
