/* astro-task-context.c: what task rows show besides the task
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A list of tasks binds its rows to new tasks whenever it scrolls or
 * changes, some 200 rows at a time. Each row used to read the work on its
 * task and its assignee's name from the database at every bind, and all of
 * them read their work again at every change to any workspace. The rows now
 * share one copy of both, read once per change of the workspaces or users,
 * and "changed" names the tasks whose work changed, so only their rows are
 * drawn again.
 */
#define G_LOG_DOMAIN "astro-task-context"

#include "config.h"

#include "astro-rows-changed.h"
#include "astro-task-context.h"

struct _AstroTaskContext
{
  GObject     parent_instance;

  AstroStore *store;
  GHashTable *work;   /* task id → AstroTaskWork */
  GHashTable *names;  /* user id → name */
};

G_DEFINE_FINAL_TYPE (AstroTaskContext, astro_task_context, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
work_equal (const AstroTaskWork *a,
            const AstroTaskWork *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  return a->n_workspaces == b->n_workspaces && g_strcmp0 (a->pr_status, b->pr_status) == 0;
}

/* The tasks of @old or @now whose work is not the same in both */
static GHashTable *
changed_tasks (GHashTable *old,
               GHashTable *now)
{
  GHashTable *changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!work_equal (value, g_hash_table_lookup (old, key)))
      g_hash_table_add (changed, g_strdup (key));

  g_hash_table_iter_init (&iter, old);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (now, key))
      g_hash_table_add (changed, g_strdup (key));

  return changed;
}

static gboolean
names_equal (GHashTable *a,
             GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (value, g_hash_table_lookup (b, key)) != 0)
      return FALSE;

  return TRUE;
}

/*
 * Signal callbacks
 */

static void
on_workspaces_changed_cb (AstroTaskContext *self,
                          AstroRowsChanged *changes,
                          AstroStore       *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) old = NULL;
  g_autoptr(GHashTable) changed = NULL;
  GHashTable *work;

  if (astro_rows_changed_is_empty (changes))
    return;

  /* On an error the rows keep showing what they showed */
  work = astro_store_list_task_work (self->store, &error);
  if (work == NULL)
    {
      g_warning ("Could not read the work on the tasks: %s", error->message);
      return;
    }

  old = g_steal_pointer (&self->work);
  self->work = work;
  changed = changed_tasks (old, work);
  if (g_hash_table_size (changed) > 0)
    g_signal_emit (self, signals[CHANGED], 0, changed);
}

static void
on_users_changed_cb (AstroTaskContext *self,
                     AstroRowsChanged *changes,
                     AstroStore       *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) old = NULL;
  GHashTable *names;

  if (astro_rows_changed_is_empty (changes))
    return;

  names = astro_store_list_user_names (self->store, &error);
  if (names == NULL)
    {
      g_warning ("Could not read the people: %s", error->message);
      return;
    }

  old = g_steal_pointer (&self->names);
  self->names = names;
  if (!names_equal (old, names))
    g_signal_emit (self, signals[CHANGED], 0, NULL);
}

/*
 * GObject overrides
 */

static void
astro_task_context_finalize (GObject *object)
{
  AstroTaskContext *self = (AstroTaskContext *) object;

  g_clear_pointer (&self->work, g_hash_table_unref);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (astro_task_context_parent_class)->finalize (object);
}

static void
astro_task_context_class_init (AstroTaskContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = astro_task_context_finalize;

  /**
   * AstroTaskContext::changed:
   * @task_ids: (nullable): the ids of the tasks whose work changed, as a
   *   set; %NULL when people's names changed, which any row may show
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_HASH_TABLE);
}

static void
astro_task_context_init (AstroTaskContext *self)
{
}

/*
 * Public API
 */

/**
 * astro_task_context_new:
 *
 * Reads the work on every task and everyone's name from @store, and keeps
 * them up to date with its changes.
 */
AstroTaskContext *
astro_task_context_new (AstroStore *store)
{
  AstroTaskContext *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  self = g_object_new (ASTRO_TYPE_TASK_CONTEXT, NULL);
  self->store = g_object_ref (store);

  self->work = astro_store_list_task_work (store, &error);
  if (self->work == NULL)
    {
      g_warning ("Could not read the work on the tasks: %s", error->message);
      g_clear_error (&error);
      self->work = g_hash_table_new (g_str_hash, g_str_equal);
    }
  self->names = astro_store_list_user_names (store, &error);
  if (self->names == NULL)
    {
      g_warning ("Could not read the people: %s", error->message);
      self->names = g_hash_table_new (g_str_hash, g_str_equal);
    }

  g_signal_connect_object (store, "rows-changed::workspaces",
                           G_CALLBACK (on_workspaces_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "rows-changed::users",
                           G_CALLBACK (on_users_changed_cb), self, G_CONNECT_SWAPPED);

  return self;
}

/**
 * astro_task_context_get_work:
 *
 * Returns: (nullable): the work on the task; %NULL if it has no workspace
 */
const AstroTaskWork *
astro_task_context_get_work (AstroTaskContext *self,
                             const char       *task_id)
{
  g_return_val_if_fail (ASTRO_IS_TASK_CONTEXT (self), NULL);

  return task_id != NULL ? g_hash_table_lookup (self->work, task_id) : NULL;
}

/**
 * astro_task_context_get_user_name:
 *
 * Returns: (nullable): how the UI names the person; %NULL if unknown
 */
const char *
astro_task_context_get_user_name (AstroTaskContext *self,
                                  const char       *user_id)
{
  g_return_val_if_fail (ASTRO_IS_TASK_CONTEXT (self), NULL);

  return user_id != NULL ? g_hash_table_lookup (self->names, user_id) : NULL;
}
