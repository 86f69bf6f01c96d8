/* astro-task-list-model.c: the tasks matching a filter, as a GListModel of AstroTask
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-task-list-model"

#include "config.h"

#include "astro-task-list-diff.h"
#include "astro-thread.h"
#include "astro-task-list-model-private.h"
#include "astro-task-private.h"

/* How many recently fetched items the model keeps alive by itself. Views hold
 * the items they show; this only spares re-reading a row that is asked for
 * again soon after (a selection, a re-bind), and it bounds the live objects. */
#define N_RECENT 128

/* A list listed anew (a new filter, the first fill) starts with this many
 * rows, read at once: more than a window shows, and more than the ~200 rows a
 * GTK 4.8 list view keeps ready. The rest, tens of milliseconds for 100,000
 * tasks, is listed on a worker and appended. */
#define N_FIRST 64

/* How many new rows near the top of the list one main-loop turn shows */
#define N_STEP_ROWS 64

/* Rows a listing reads on its worker, from the top: as many as a GTK 4.8
 * list view makes row widgets for */
#define N_PREFETCH  200
#define STEP_TOP    256

struct _AstroTaskListModel
{
  GObject          parent_instance;

  AstroStore      *store;
  AstroTaskFilter  filter;      /* its strings are owned */

  /* The list is only the ordered ids; the store filters and sorts in SQL. */
  GPtrArray       *ids;

  /* While a change is emitted range by range, the list is
   * ids[0, split) followed by old_ids[old_pos, old_ids->len): every
   * items-changed then describes the model as it is at that moment. The
   * ranges come from a worker (astro-task-list-diff.c) and are emitted in
   * steps of at most N_STEP_ROWS new rows near the top, one per main-loop
   * turn, as a view makes a widget for each of those. */
  GPtrArray       *old_ids;
  guint            split;
  guint            old_pos;
  GArray          *replay;
  guint            replay_next;
  guint            replay_offset;
  GSource         *replay_source;

  /* id → AstroTask, not owning: an entry goes when its task is finalized,
   * so that everyone holding a task of the list holds the same one. */
  GHashTable      *cache;
  AstroTask       *recent[N_RECENT];
  guint            recent_next;

  /* AstroRowsChanged waiting for the idle that lists the tasks again: their
   * keys are gathered on the worker, not here (10,000 a batch in a sync) */
  GPtrArray       *pending;
  GSource         *update_source;

  /* The listing running on a worker thread, and the changes it was started for */
  GCancellable    *query_cancellable;
  GPtrArray       *query_changes;

  /* Rows its worker read for the rows it adds (id → AstroRow), and which of
   * them have writes waiting; until a change of tasks makes them stale */
  GHashTable      *prefetched;
  GHashTable      *prefetched_pending;

  guint            emitting : 1;
  guint            reload_pending : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AstroTaskListModel, astro_task_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_STORE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/*
 * Auxiliary methods
 */

static gboolean
filter_equal (const AstroTaskFilter *a,
              const AstroTaskFilter *b)
{
  const char *a_search = a->search != NULL && a->search[0] != '\0' ? a->search : NULL;
  const char *b_search = b->search != NULL && b->search[0] != '\0' ? b->search : NULL;

  return g_strcmp0 (a->organization_id, b->organization_id) == 0 &&
         g_strcmp0 (a->status, b->status) == 0 &&
         MAX (a->priority, -1) == MAX (b->priority, -1) &&
         g_strcmp0 (a->assignee_id, b->assignee_id) == 0 &&
         g_strcmp0 (a_search, b_search) == 0 &&
         a->sort == b->sort;
}

static guint
count_items (AstroTaskListModel *self)
{
  if (self->old_ids != NULL)
    return self->split + (self->old_ids->len - self->old_pos);

  return self->ids->len;
}

static const char *
id_at (AstroTaskListModel *self,
       guint               position)
{
  if (position >= count_items (self))
    return NULL;

  if (self->old_ids != NULL && position >= self->split)
    return g_ptr_array_index (self->old_ids, position - self->split + self->old_pos);

  return g_ptr_array_index (self->ids, position);
}

static GPtrArray *
query_first_ids (AstroTaskListModel *self)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *ids;

  ids = astro_store_list_first_task_ids (self->store, &self->filter, N_FIRST, &error);
  if (ids == NULL)
    g_warning ("Could not list the tasks: %s", error->message);

  return ids;
}

static void
on_task_finalized_cb (gpointer  data,
                      GObject  *where_the_object_was)
{
  AstroTaskListModel *self = data;

  /* Still safe to read: weak references are notified before finalize. */
  g_hash_table_remove (self->cache, astro_task_get_id (ASTRO_TASK (where_the_object_was)));
}

static void
remember_recent (AstroTaskListModel *self,
                 AstroTask          *task)
{
  AstroTask *previous = self->recent[self->recent_next];

  self->recent[self->recent_next] = g_object_ref (task);
  self->recent_next = (self->recent_next + 1) % N_RECENT;

  /* Last, as it may finalize a task and reenter on_task_finalized_cb */
  g_clear_object (&previous);
}

/* Cached tasks are shown or held (a detail pane, a selection): bring them up
 * to date whether or not they still match the filter. */
static void
refresh_cached (AstroTaskListModel *self,
                GPtrArray          *keys)
{
  for (guint i = 0; keys != NULL && i < keys->len; i++)
    {
      const char *id = g_ptr_array_index (keys, i);
      g_autoptr(AstroRow) row = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(AstroTask) task = NULL;

      /* Held: a notify handler may drop the last other reference */
      task = g_hash_table_lookup (self->cache, id);
      if (task == NULL)
        continue;
      g_object_ref (task);

      row = astro_store_get_row (self->store, "tasks", id, &error);
      if (row != NULL)
        {
          /* a write's settling changes no value, only this */
          astro_task_set_pending (task, astro_store_row_is_pending (self->store, "tasks", id));
          astro_task_update_from_row (task, row);
        }
      else if (error != NULL)
        g_warning ("Could not read the task %s: %s", id, error->message);
    }
}

/* GTK 4.8's list views look for their focused and selected items among the
 * added ones when those fell in the removed range: one get_item() per added
 * row, each a read of the store, seconds for 100,000 tasks. Removing first
 * and adding after describes the same change with nothing to look through. */
#define MAX_ADDED_WITH_REMOVED 32

static void cancel_update (AstroTaskListModel *self);
static gboolean on_update_idle_cb (gpointer data);
static void start_query (AstroTaskListModel *self);
static void replay (AstroTaskListModel *self,
                    gboolean            all);

static void
free_ids_in_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  g_ptr_array_unref (task_data);
  astro_thread_return_boolean (task, TRUE);
}

/* Freeing 100,000 ids takes milliseconds: not on the main thread */
static void
free_ids_later (GPtrArray *ids)
{
  g_autoptr(GTask) task = NULL;

  if (ids->len < 1000)
    {
      g_ptr_array_unref (ids);
      return;
    }

  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, ids, NULL);
  astro_thread_run_in_background (task, free_ids_in_thread);
}

/* The rest of the list is listed once the frame showing its first rows is
 * drawn: until then the worker would only compete for the CPU, and its
 * rows would get row widgets before that frame. Changes waiting meanwhile
 * are taken in by the same listing. */
static void
list_rest_later (AstroTaskListModel *self)
{
  /* an update already waiting lists the whole list anyway */
  if (self->update_source != NULL)
    return;

  self->update_source = g_idle_source_new ();
  g_source_set_priority (self->update_source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (self->update_source, on_update_idle_cb, self, NULL);
  g_source_set_static_name (self->update_source, "[astro] task list rest");
  g_source_attach (self->update_source, g_main_context_get_thread_default ());
}

/* A whole new list: one change, never one per row, for its first N_FIRST
 * rows; the rest follows from a worker as one more. */
static void
reload (AstroTaskListModel *self)
{
  g_autoptr(AstroTaskListModel) hold = g_object_ref (self);

  g_assert (!self->emitting);

  /* A change half shown is shown whole first: the list is then one list */
  if (self->replay != NULL)
    replay (self, TRUE);

  /* A handler setting the filter again gets its list after this one */
  do
    {
      g_autoptr(GPtrArray) ids = NULL;
      guint old_n, new_n, notified_n;

      self->reload_pending = FALSE;

      /* listed from scratch: it takes in every change waiting */
      cancel_update (self);
      ids = query_first_ids (self);
      if (ids == NULL)
        return;

      old_n = notified_n = self->ids->len;
      new_n = ids->len;
      self->emitting = TRUE;

      if (old_n > MAX_ADDED_WITH_REMOVED && new_n > MAX_ADDED_WITH_REMOVED)
        {
          /* The rows past the first few first, then those: the view's
           * anchor is near the top, and it finds it again among only
           * MAX_ADDED_WITH_REMOVED rows, still reusing its row widgets. */
          g_autoptr(GPtrArray) between = g_ptr_array_sized_new (new_n);
          GPtrArray *old_ids = self->ids;

          for (guint i = 0; i < MAX_ADDED_WITH_REMOVED; i++)
            g_ptr_array_add (between, g_ptr_array_index (old_ids, i));
          for (guint i = MAX_ADDED_WITH_REMOVED; i < new_n; i++)
            g_ptr_array_add (between, g_ptr_array_index (ids, i));

          self->ids = between;
          g_list_model_items_changed (G_LIST_MODEL (self), MAX_ADDED_WITH_REMOVED,
                                      old_n - MAX_ADDED_WITH_REMOVED,
                                      new_n - MAX_ADDED_WITH_REMOVED);
          self->ids = old_ids;
          old_n = new_n = MAX_ADDED_WITH_REMOVED;
        }
      else if (old_n > 0 && new_n > MAX_ADDED_WITH_REMOVED)
        {
          /* a new array: a worker may still be reading the old one */
          g_ptr_array_unref (self->ids);
          self->ids = g_ptr_array_new_with_free_func (g_free);
          g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
          old_n = 0;
        }

      free_ids_later (self->ids);
      self->ids = g_steal_pointer (&ids);
      if (old_n != 0 || new_n != 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, new_n);
      if (self->ids->len != notified_n)
        g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
      self->emitting = FALSE;
    }
  while (self->reload_pending);

  if (self->ids->len == N_FIRST)
    list_rest_later (self);
}

static GPtrArray *
pending_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) astro_rows_changed_unref);
}

/* Every key the notifications in @changes name; the set points into them */
static GHashTable *
changed_keys (GPtrArray *changes)
{
  GHashTable *set = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; changes != NULL && i < changes->len; i++)
    {
      AstroRowsChanged *change = g_ptr_array_index (changes, i);
      GPtrArray *lists[] = { change->inserted, change->updated, change->deleted };

      for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
        for (guint k = 0; lists[l] != NULL && k < lists[l]->len; k++)
          g_hash_table_add (set, g_ptr_array_index (lists[l], k));
    }

  return set;
}

/*
 * Emitting a change range by range, from the worker's ranges
 */

static void
forget_prefetched (AstroTaskListModel *self)
{
  g_clear_pointer (&self->prefetched, g_hash_table_unref);
  g_clear_pointer (&self->prefetched_pending, g_hash_table_unref);
}

static void
finish_replay (AstroTaskListModel *self)
{
  g_clear_pointer (&self->replay, g_array_unref);
  forget_prefetched (self);
  if (self->replay_source != NULL)
    {
      g_source_destroy (self->replay_source);
      g_clear_pointer (&self->replay_source, g_source_unref);
    }
  free_ids_later (g_steal_pointer (&self->old_ids));

  if (self->reload_pending)
    reload (self);
  else if (self->pending->len > 0 && self->update_source == NULL &&
           self->query_cancellable == NULL)
    start_query (self);
}

static gboolean
on_replay_idle_cb (gpointer data)
{
  AstroTaskListModel *self = data;

  g_clear_pointer (&self->replay_source, g_source_unref);
  replay (self, FALSE);

  return G_SOURCE_REMOVE;
}

/* Emits the ranges waiting, all of them or one step's worth; the next step
 * comes after the frame that shows this one. */
static void
replay (AstroTaskListModel *self,
        gboolean            all)
{
  /* A handler may drop the last reference to the model mid-walk */
  g_autoptr(AstroTaskListModel) hold = g_object_ref (self);
  guint budget = N_STEP_ROWS;

  g_assert (!self->emitting);

  while (self->replay != NULL && self->replay_next < self->replay->len)
    {
      const AstroListChange *change = &g_array_index (self->replay, AstroListChange, self->replay_next);
      guint offset = self->replay_offset;
      guint removed = offset == 0 ? change->removed : 0;
      guint added = change->added - offset;

      if (!all && !self->reload_pending && change->position + offset < STEP_TOP && added > 0)
        {
          if (budget == 0)
            break;
          added = MIN (added, budget);
          budget -= added;
        }

      self->split = change->position + offset + added;
      self->old_pos = change->old_pos;
      if (offset + added < change->added)
        {
          self->replay_offset = offset + added;
        }
      else
        {
          g_assert (self->split == change->split);
          self->replay_offset = 0;
          self->replay_next++;
        }

      self->emitting = TRUE;
      g_list_model_items_changed (G_LIST_MODEL (self), change->position + offset, removed, added);
      if (removed != added)
        g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
      self->emitting = FALSE;
    }

  if (self->replay == NULL)
    return;

  if (self->replay_next < self->replay->len)
    {
      self->replay_source = g_idle_source_new ();
      g_source_set_priority (self->replay_source, G_PRIORITY_DEFAULT_IDLE);
      g_source_set_callback (self->replay_source, on_replay_idle_cb, self, NULL);
      g_source_set_static_name (self->replay_source, "[astro] task list step");
      g_source_attach (self->replay_source, g_main_context_get_thread_default ());
      return;
    }

  finish_replay (self);
}

/* Work on a worker holds the model weakly: a model let go is gone at once,
 * and its work finds nobody to give its result to. */
static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

typedef struct
{
  AstroStore *store;
  GPtrArray  *old_ids;
  GPtrArray  *new_ids;
  GHashTable *rows;
  GHashTable *pending_rows;
  GPtrArray  *changes_seen;  /* AstroRowsChanged the listing was started for */
  GHashTable *changed;
  GArray     *changes;
  GWeakRef   *model;
} Diff;

static void
diff_free (gpointer data)
{
  Diff *diff = data;

  g_clear_pointer (&diff->old_ids, g_ptr_array_unref);
  g_clear_pointer (&diff->new_ids, g_ptr_array_unref);
  g_clear_pointer (&diff->changed, g_hash_table_unref);
  g_clear_pointer (&diff->changes_seen, g_ptr_array_unref);
  g_clear_pointer (&diff->rows, g_hash_table_unref);
  g_clear_pointer (&diff->pending_rows, g_hash_table_unref);
  g_clear_object (&diff->store);
  g_clear_pointer (&diff->changes, g_array_unref);
  g_clear_pointer (&diff->model, weak_ref_free);
  g_free (diff);
}

static void
diff_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Diff *diff = task_data;

  g_autoptr(GError) error = NULL;

  diff->changed = changed_keys (diff->changes_seen);
  diff->changes = astro_task_list_diff (diff->old_ids, diff->new_ids, diff->changed,
                                        MAX_ADDED_WITH_REMOVED);

  /* Each row a list view shows is read when it is made: 128 queries on the
   * main thread for the rows a sync's first tasks bring, read here instead */
  diff->rows = astro_store_read_rows_in_thread (diff->store, "tasks", diff->new_ids, N_PREFETCH,
                                                &diff->pending_rows, &error);
  if (diff->rows == NULL)
    g_debug ("Could not read the first tasks ahead: %s", error->message);
  astro_thread_return_boolean (task, TRUE);
}

/* Takes the rows a worker read for a listing, less those changed since it
 * started (which a listing after this one shows) */
static void
take_prefetched (AstroTaskListModel *self,
                 Diff               *diff)
{
  forget_prefetched (self);
  if (diff->rows == NULL)
    return;

  self->prefetched = g_steal_pointer (&diff->rows);
  self->prefetched_pending = g_steal_pointer (&diff->pending_rows);
  for (guint i = 0; i < self->pending->len; i++)
    {
      AstroRowsChanged *change = g_ptr_array_index (self->pending, i);
      GPtrArray *lists[] = { change->inserted, change->updated, change->deleted };

      for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
        for (guint k = 0; lists[l] != NULL && k < lists[l]->len; k++)
          g_hash_table_remove (self->prefetched, g_ptr_array_index (lists[l], k));
    }
}

static void
on_diffed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Diff *diff = g_task_get_task_data (G_TASK (result));
  g_autoptr(AstroTaskListModel) self = g_weak_ref_get (diff->model);
  g_autoptr(GError) error = NULL;

  /* cancelled: a new list replaces this one, or the model is gone */
  if (!g_task_propagate_boolean (G_TASK (result), &error) || self == NULL)
    return;

  g_clear_object (&self->query_cancellable);

  if (self->emitting)
    {
      /* a nested main loop in an items-changed handler: the emission in
       * progress cannot take more, so list again once it is done */
      g_ptr_array_set_size (self->pending, 0);
      self->reload_pending = TRUE;
      return;
    }

  /* not the list the ranges were found for: list it all again */
  if (diff->old_ids != self->ids)
    {
      reload (self);
      return;
    }

  /* The old list stays readable until its last range is shown */
  self->old_ids = g_steal_pointer (&self->ids);
  self->ids = g_steal_pointer (&diff->new_ids);
  self->replay = g_steal_pointer (&diff->changes);
  self->replay_next = self->replay_offset = 0;
  self->split = self->old_pos = 0;
  take_prefetched (self, diff);
  replay (self, FALSE);
}

static void
on_ids_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AstroTaskListModel) self = g_weak_ref_get (user_data);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *new_ids;
  Diff *diff;

  weak_ref_free (user_data);
  new_ids = astro_store_list_task_ids_finish (ASTRO_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self == NULL)
    {
      g_clear_pointer (&new_ids, g_ptr_array_unref);
      return;
    }

  if (new_ids == NULL)
    {
      g_warning ("Could not list the tasks: %s", error->message);
      g_clear_object (&self->query_cancellable);
      g_clear_pointer (&self->query_changes, g_ptr_array_unref);
      if (self->pending->len > 0 && self->update_source == NULL)
        start_query (self);
      return;
    }

  /* The walk over the two lists runs on a worker too. Rows written after
   * the listing started are in pending: they are listed again after. */
  diff = g_new0 (Diff, 1);
  diff->store = g_object_ref (self->store);
  diff->old_ids = g_ptr_array_ref (self->ids);
  diff->new_ids = new_ids;
  diff->changes_seen = g_steal_pointer (&self->query_changes);
  diff->model = weak_ref_new (self);

  task = g_task_new (NULL, self->query_cancellable, on_diffed_cb, NULL);
  g_task_set_source_tag (task, on_ids_listed_cb);
  g_task_set_task_data (task, diff, diff_free);
  astro_thread_run_in_background (task, diff_in_thread);
}

/* Listing 100,000 tasks, and comparing the list with the one shown, take
 * longer than a frame: both run on a worker, and only the ranges found are
 * emitted here. */
static void
start_query (AstroTaskListModel *self)
{
  self->query_changes = g_steal_pointer (&self->pending);
  self->pending = pending_new ();
  self->query_cancellable = g_cancellable_new ();

  astro_store_list_task_ids_async (self->store, &self->filter, self->query_cancellable,
                                   on_ids_listed_cb, weak_ref_new (self));
}

static gboolean
on_update_idle_cb (gpointer data)
{
  AstroTaskListModel *self = data;

  g_clear_pointer (&self->update_source, g_source_unref);

  /* Only a nested main loop in an items-changed handler gets here: the
   * walk in progress cannot take more, so reload once it is done. */
  if (self->emitting)
    {
      g_ptr_array_set_size (self->pending, 0);
      self->reload_pending = TRUE;
      return G_SOURCE_REMOVE;
    }

  /* One listing at a time; the keys wait for the one after it */
  if (self->query_cancellable == NULL && self->replay == NULL)
    start_query (self);

  return G_SOURCE_REMOVE;
}

static void
cancel_update (AstroTaskListModel *self)
{
  if (self->update_source != NULL)
    {
      g_source_destroy (self->update_source);
      g_clear_pointer (&self->update_source, g_source_unref);
    }
  if (self->query_cancellable != NULL)
    {
      g_cancellable_cancel (self->query_cancellable);
      g_clear_object (&self->query_cancellable);
    }
  g_clear_pointer (&self->query_changes, g_ptr_array_unref);
  g_ptr_array_set_size (self->pending, 0);
}

/*
 * Signal callbacks
 */

/* Cached items are brought up to date at once. The list itself is listed
 * again in one idle for every notification already waiting: re-listing a
 * long list costs the same for one change as for a thousand, and the sync
 * thread may post many batches in a row (an initial sync, a catch-up). The
 * idle runs before GTK lays out and draws, so no frame shows a stale list. */
static void
on_store_rows_changed_cb (AstroTaskListModel *self,
                          AstroRowsChanged   *changes,
                          AstroStore         *store)
{
  g_assert (ASTRO_IS_TASK_LIST_MODEL (self));

  if (astro_rows_changed_is_empty (changes))
    return;

  refresh_cached (self, changes->inserted);
  refresh_cached (self, changes->updated);
  forget_prefetched (self);

  g_ptr_array_add (self->pending, astro_rows_changed_ref (changes));

  if (self->update_source == NULL)
    {
      self->update_source = g_idle_source_new ();
      g_source_set_priority (self->update_source, G_PRIORITY_HIGH_IDLE);
      g_source_set_callback (self->update_source, on_update_idle_cb, self, NULL);
      g_source_set_static_name (self->update_source, "[astro] task list update");
      g_source_attach (self->update_source, g_main_context_get_thread_default ());
    }
}

/*
 * GListModel interface
 */

static GType
astro_task_list_model_get_item_type (GListModel *model)
{
  return ASTRO_TYPE_TASK;
}

static guint
astro_task_list_model_get_n_items (GListModel *model)
{
  return count_items (ASTRO_TASK_LIST_MODEL (model));
}

static gpointer
astro_task_list_model_get_item (GListModel *model,
                                guint       position)
{
  AstroTaskListModel *self = ASTRO_TASK_LIST_MODEL (model);
  g_autoptr(AstroRow) row = NULL;
  g_autoptr(GError) error = NULL;
  AstroRow *ahead;
  AstroTask *task;
  const char *id;

  id = id_at (self, position);
  if (id == NULL)
    return NULL;

  task = g_hash_table_lookup (self->cache, id);
  if (task != NULL)
    {
      remember_recent (self, task);
      return g_object_ref (task);
    }

  /* The sync thread may have deleted the row a moment before its
   * rows-changed arrives; the list still has it, so it gets an item, which
   * is filled in should the row come back. */
  ahead = self->prefetched != NULL ? g_hash_table_lookup (self->prefetched, id) : NULL;
  if (ahead != NULL)
    {
      task = astro_task_new_from_row (ahead);
      astro_task_set_pending (task, g_hash_table_contains (self->prefetched_pending, id));
    }
  else
    {
      row = astro_store_get_row (self->store, "tasks", id, &error);
      if (error != NULL)
        g_warning ("Could not read the task %s: %s", id, error->message);
      task = row != NULL ? astro_task_new_from_row (row) : astro_task_new (id);
      astro_task_set_pending (task, row != NULL && astro_store_row_is_pending (self->store, "tasks", id));
    }

  g_hash_table_insert (self->cache, (gpointer) astro_task_get_id (task), task);
  g_object_weak_ref (G_OBJECT (task), on_task_finalized_cb, self);
  remember_recent (self, task);

  return task;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = astro_task_list_model_get_item_type;
  iface->get_n_items = astro_task_list_model_get_n_items;
  iface->get_item = astro_task_list_model_get_item;
}

/*
 * GObject overrides
 */

static void
astro_task_list_model_constructed (GObject *object)
{
  AstroTaskListModel *self = (AstroTaskListModel *) object;

  G_OBJECT_CLASS (astro_task_list_model_parent_class)->constructed (object);

  g_return_if_fail (ASTRO_IS_STORE (self->store));

  g_signal_connect_object (self->store, "rows-changed::tasks",
                           G_CALLBACK (on_store_rows_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
astro_task_list_model_dispose (GObject *object)
{
  AstroTaskListModel *self = (AstroTaskListModel *) object;
  GHashTableIter iter;
  gpointer task;

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  cancel_update (self);
  if (self->replay_source != NULL)
    {
      g_source_destroy (self->replay_source);
      g_clear_pointer (&self->replay_source, g_source_unref);
    }

  /* Tasks handed out may outlive the model: they must not call back into it */
  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, &task))
    g_object_weak_unref (task, on_task_finalized_cb, self);
  g_hash_table_remove_all (self->cache);

  for (guint i = 0; i < N_RECENT; i++)
    g_clear_object (&self->recent[i]);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (astro_task_list_model_parent_class)->dispose (object);
}

static void
astro_task_list_model_finalize (GObject *object)
{
  AstroTaskListModel *self = (AstroTaskListModel *) object;

  astro_task_filter_clear (&self->filter);
  g_clear_pointer (&self->ids, g_ptr_array_unref);
  g_clear_pointer (&self->old_ids, g_ptr_array_unref);
  g_clear_pointer (&self->replay, g_array_unref);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->query_changes, g_ptr_array_unref);
  forget_prefetched (self);

  G_OBJECT_CLASS (astro_task_list_model_parent_class)->finalize (object);
}

static void
astro_task_list_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  AstroTaskListModel *self = ASTRO_TASK_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, count_items (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_task_list_model_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  AstroTaskListModel *self = ASTRO_TASK_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_task_list_model_class_init (AstroTaskListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = astro_task_list_model_constructed;
  object_class->dispose = astro_task_list_model_dispose;
  object_class->finalize = astro_task_list_model_finalize;
  object_class->get_property = astro_task_list_model_get_property;
  object_class->set_property = astro_task_list_model_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         ASTRO_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
astro_task_list_model_init (AstroTaskListModel *self)
{
  self->filter = (AstroTaskFilter) ASTRO_TASK_FILTER_INIT;
  self->ids = g_ptr_array_new_with_free_func (g_free);
  self->cache = g_hash_table_new (g_str_hash, g_str_equal);
  self->pending = pending_new ();
}

/*
 * Private API
 */

gboolean
_astro_task_list_model_is_updating (AstroTaskListModel *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK_LIST_MODEL (self), FALSE);

  return self->update_source != NULL || self->query_cancellable != NULL || self->replay != NULL;
}

guint
_astro_task_list_model_get_n_cached (AstroTaskListModel *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK_LIST_MODEL (self), 0);

  return g_hash_table_size (self->cache);
}

/*
 * Public API
 */

/**
 * astro_task_list_model_new:
 * @store: the store to list tasks from
 * @filter: (nullable): which tasks, in which order; %NULL for every task
 *
 * The list's first rows are there when this returns; the rest is listed on a
 * worker and appended in the thread-default main context. From then on it
 * follows the store's rows-changed for tasks, in an idle of that context
 * that takes every notification waiting before it.
 */
AstroTaskListModel *
astro_task_list_model_new (AstroStore            *store,
                           const AstroTaskFilter *filter)
{
  g_autoptr(AstroTaskListModel) self = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  self = g_object_new (ASTRO_TYPE_TASK_LIST_MODEL, "store", store, NULL);
  if (filter != NULL)
    {
      astro_task_filter_clear (&self->filter);
      astro_task_filter_copy (&self->filter, filter);
    }

  /* Nobody listens yet, so this is a fill, not a change */
  g_ptr_array_unref (self->ids);
  self->ids = query_first_ids (self);
  if (self->ids == NULL)
    self->ids = g_ptr_array_new_with_free_func (g_free);
  if (self->ids->len == N_FIRST)
    list_rest_later (self);

  return g_steal_pointer (&self);
}

AstroStore *
astro_task_list_model_get_store (AstroTaskListModel *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK_LIST_MODEL (self), NULL);

  return self->store;
}

/**
 * astro_task_list_model_get_filter:
 *
 * Returns: (transfer none): the filter in use, valid until it is set again
 */
const AstroTaskFilter *
astro_task_list_model_get_filter (AstroTaskListModel *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK_LIST_MODEL (self), NULL);

  return &self->filter;
}

/**
 * astro_task_list_model_set_filter:
 * @filter: (nullable): which tasks, in which order; %NULL for every task
 *
 * Lists the tasks again and replaces the whole list (an organization switch
 * or a new search is a new list, not an edit): its first rows at once, the
 * rest appended once listed on a worker. Setting the filter in use does
 * nothing.
 */
void
astro_task_list_model_set_filter (AstroTaskListModel    *self,
                                  const AstroTaskFilter *filter)
{
  const AstroTaskFilter all = ASTRO_TASK_FILTER_INIT;

  g_return_if_fail (ASTRO_IS_TASK_LIST_MODEL (self));

  if (filter == NULL)
    filter = &all;

  if (filter_equal (filter, &self->filter))
    return;

  astro_task_filter_clear (&self->filter);
  astro_task_filter_copy (&self->filter, filter);

  /* The new list takes in the changes waiting too */
  cancel_update (self);

  if (self->emitting)
    self->reload_pending = TRUE;
  else
    reload (self);
}

/**
 * astro_task_list_model_get_id:
 *
 * The id at @position, without making an item for it.
 *
 * Returns: (nullable): the id, or %NULL past the end
 */
const char *
astro_task_list_model_get_id (AstroTaskListModel *self,
                              guint               position)
{
  g_return_val_if_fail (ASTRO_IS_TASK_LIST_MODEL (self), NULL);

  return id_at (self, position);
}

/**
 * astro_task_list_model_find:
 * @id: a task's id
 * @position: (out) (optional): where it is
 *
 * A linear search, for keeping a selection across a change.
 *
 * Returns: whether the task is in the list
 */
gboolean
astro_task_list_model_find (AstroTaskListModel *self,
                            const char         *id,
                            guint              *position)
{
  guint n;

  g_return_val_if_fail (ASTRO_IS_TASK_LIST_MODEL (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  n = count_items (self);
  for (guint i = 0; i < n; i++)
    {
      if (g_str_equal (id_at (self, i), id))
        {
          if (position != NULL)
            *position = i;
          return TRUE;
        }
    }

  return FALSE;
}
