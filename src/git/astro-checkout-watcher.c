/* astro-checkout-watcher.c: the live git status of one linked checkout
 *
 * git changes a checkout's state by rewriting a few files: HEAD (switching
 * branches, detaching), the index (staging, committing) and refs (commits
 * move a branch, fetches move remote branches, new branches appear). The
 * watcher monitors the directories holding them, waits for git to finish
 * (a commit is a burst of lock files and renames), then recomputes on a
 * worker thread with libgit2 and publishes the result on the main thread.
 *
 * Edits to work-tree files that are not staged do not touch those files;
 * watching a whole work tree recursively costs an inotify watch per folder,
 * so those show at the next refresh (astro_checkout_watcher_refresh(), for
 * example when the window gets focus) or the next git operation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-git"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <git2.h>

#include "astro-checkout-watcher.h"
#include "astro-repo-discovery.h"

/* Quiet time before recomputing, and the longest a stream of events may
 * delay it. */
#define DEBOUNCE_MS 200
#define MAX_DELAY_US (1000 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  char     *branch;
  char     *head;
  char     *error;
  gboolean  detached;
  gboolean  has_upstream;
  guint     uncommitted;
  guint     ahead;
  guint     behind;
} Snapshot;

struct _AstroCheckoutWatcher
{
  GObject       parent_instance;

  char         *path;
  char         *git_dir;
  char         *common_dir;
  gboolean      is_bare;

  GHashTable   *monitors;       /* directory → GFileMonitor */
  guint         debounce_id;
  gint64        first_event_at;
  GCancellable *cancellable;
  gboolean      computing;
  gboolean      dirty;

  gboolean      ready;
  Snapshot      state;
};

G_DEFINE_FINAL_TYPE (AstroCheckoutWatcher, astro_checkout_watcher, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_READY,
  PROP_BRANCH,
  PROP_DETACHED,
  PROP_HEAD,
  PROP_UNCOMMITTED,
  PROP_HAS_UPSTREAM,
  PROP_AHEAD,
  PROP_BEHIND,
  PROP_ERROR,
  N_PROPS
};

enum {
  STATUS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static void schedule_refresh (AstroCheckoutWatcher *self);

/*
 * Auxiliary methods
 */

static void
snapshot_clear (Snapshot *snapshot)
{
  g_clear_pointer (&snapshot->branch, g_free);
  g_clear_pointer (&snapshot->head, g_free);
  g_clear_pointer (&snapshot->error, g_free);
}

static void
snapshot_free (Snapshot *snapshot)
{
  snapshot_clear (snapshot);
  g_free (snapshot);
}

static const char *
last_git_message (void)
{
  const git_error *last = git_error_last ();

  return last != NULL && last->message != NULL ? last->message : "unknown error";
}

typedef struct
{
  const char *merge;
  char       *upstream;
} FetchSpecs;

static int
on_fetch_refspec_cb (const git_config_entry *entry,
                     void                   *payload)
{
  FetchSpecs *specs = payload;
  git_refspec *refspec = NULL;
  git_buf name = GIT_BUF_INIT;

  if (specs->upstream != NULL || git_refspec_parse (&refspec, entry->value, TRUE) < 0)
    return 0;

  if (git_refspec_src_matches (refspec, specs->merge) &&
      git_refspec_transform (&name, refspec, specs->merge) == 0)
    specs->upstream = g_strdup (name.ptr);

  git_buf_dispose (&name);
  git_refspec_free (refspec);
  return 0;
}

/* The remote-tracking ref of @branch (a full ref name), as
 * git_branch_upstream() finds it: branch.<name>.remote and .merge, through
 * the remote's fetch refspecs. Read here because git_branch_upstream() goes
 * through git_remote_lookup(), whose config regexes leak in libgit2 1.5.1
 * (see astro-repo-discovery.c), and this runs on every refresh. */
static char *
upstream_of (git_repository *repo,
             const char     *branch)
{
  g_autofree char *remote_key = NULL;
  g_autofree char *merge_key = NULL;
  g_autofree char *fetch_key = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *merge = NULL;
  FetchSpecs specs = { NULL, NULL };
  git_config *config = NULL;
  const char *value;

  if (!g_str_has_prefix (branch, "refs/heads/") ||
      git_repository_config_snapshot (&config, repo) < 0)
    return NULL;

  remote_key = g_strdup_printf ("branch.%s.remote", branch + strlen ("refs/heads/"));
  merge_key = g_strdup_printf ("branch.%s.merge", branch + strlen ("refs/heads/"));
  if (git_config_get_string (&value, config, remote_key) == 0)
    remote = g_strdup (value);
  if (git_config_get_string (&value, config, merge_key) == 0)
    merge = g_strdup (value);

  if (remote == NULL || merge == NULL)
    {
      git_config_free (config);
      return NULL;
    }

  /* "." tracks a local branch. */
  if (g_str_equal (remote, "."))
    {
      git_config_free (config);
      return g_steal_pointer (&merge);
    }

  fetch_key = g_strdup_printf ("remote.%s.fetch", remote);
  specs.merge = merge;
  git_config_get_multivar_foreach (config, fetch_key, NULL, on_fetch_refspec_cb, &specs);
  git_config_free (config);

  return specs.upstream;
}

static void
read_head (git_repository *repo,
           Snapshot       *snapshot)
{
  git_reference *head = NULL;
  const git_oid *oid;
  int status;

  status = git_repository_head (&head, repo);
  if (status == GIT_EUNBORNBRANCH || status == GIT_ENOTFOUND)
    {
      /* A new repository: HEAD names a branch that has no commit yet. */
      git_reference *symbolic = NULL;

      if (git_reference_lookup (&symbolic, repo, "HEAD") == 0)
        {
          const char *target = git_reference_symbolic_target (symbolic);

          if (target != NULL)
            snapshot->branch = g_strdup (g_str_has_prefix (target, "refs/heads/")
                                         ? target + strlen ("refs/heads/") : target);
          git_reference_free (symbolic);
        }
      return;
    }
  if (status < 0)
    {
      snapshot->error = g_strdup_printf (_("Could not read HEAD: %s"), last_git_message ());
      return;
    }

  snapshot->detached = git_repository_head_detached (repo) == 1;
  if (!snapshot->detached)
    snapshot->branch = g_strdup (git_reference_shorthand (head));

  oid = git_reference_target (head);
  if (oid != NULL)
    {
      char hex[GIT_OID_HEXSZ + 1];

      git_oid_tostr (hex, sizeof hex, oid);
      snapshot->head = g_strdup (hex);
    }

  if (!snapshot->detached && oid != NULL)
    {
      g_autofree char *upstream = upstream_of (repo, git_reference_name (head));
      git_oid upstream_oid;
      size_t ahead = 0, behind = 0;

      if (upstream != NULL &&
          git_reference_name_to_id (&upstream_oid, repo, upstream) == 0 &&
          git_graph_ahead_behind (&ahead, &behind, repo, oid, &upstream_oid) == 0)
        {
          snapshot->has_upstream = TRUE;
          snapshot->ahead = (guint) MIN (ahead, G_MAXUINT);
          snapshot->behind = (guint) MIN (behind, G_MAXUINT);
        }
      git_error_clear ();
    }

  git_reference_free (head);
}

static guint
count_uncommitted (git_repository *repo,
                   Snapshot       *snapshot)
{
  git_status_options options = GIT_STATUS_OPTIONS_INIT;
  git_status_list *list = NULL;
  guint count;

  /* Untracked files are work the user would lose too; ignored ones are not.
   * No UPDATE_INDEX: writing the index would wake this watcher again. */
  options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
                  GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
                  GIT_STATUS_OPT_EXCLUDE_SUBMODULES;

  if (git_status_list_new (&list, repo, &options) < 0)
    {
      if (snapshot->error == NULL)
        snapshot->error = g_strdup_printf (_("Could not read the status: %s"), last_git_message ());
      return 0;
    }

  count = (guint) git_status_list_entrycount (list);
  git_status_list_free (list);
  return count;
}

static void
compute_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char *git_dir = task_data;
  Snapshot *snapshot = g_new0 (Snapshot, 1);
  git_repository *repo = NULL;

  astro_repo_discovery_init ();

  if (git_repository_open_ext (&repo, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
    {
      snapshot->error = g_strdup_printf (_("Could not open the repository: %s"), last_git_message ());
    }
  else
    {
      read_head (repo, snapshot);
      if (!git_repository_is_bare (repo))
        snapshot->uncommitted = count_uncommitted (repo, snapshot);
      git_repository_free (repo);
    }

  g_task_return_pointer (task, snapshot, (GDestroyNotify) snapshot_free);
}

static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static gboolean
replace_uint (guint *field,
              guint  value)
{
  if (*field == value)
    return FALSE;
  *field = value;
  return TRUE;
}

static gboolean
replace_boolean (gboolean *field,
                 gboolean  value)
{
  if (*field == value)
    return FALSE;
  *field = value;
  return TRUE;
}

static void
publish (AstroCheckoutWatcher *self,
         const Snapshot       *snapshot)
{
  gboolean changed = FALSE;

  g_object_freeze_notify (G_OBJECT (self));

#define UPDATE(replace, field, prop) \
  if (replace (&self->state.field, snapshot->field)) \
    { \
      changed = TRUE; \
      g_object_notify_by_pspec (G_OBJECT (self), properties [prop]); \
    }

  UPDATE (replace_string, branch, PROP_BRANCH)
  UPDATE (replace_string, head, PROP_HEAD)
  UPDATE (replace_string, error, PROP_ERROR)
  UPDATE (replace_boolean, detached, PROP_DETACHED)
  UPDATE (replace_boolean, has_upstream, PROP_HAS_UPSTREAM)
  UPDATE (replace_uint, uncommitted, PROP_UNCOMMITTED)
  UPDATE (replace_uint, ahead, PROP_AHEAD)
  UPDATE (replace_uint, behind, PROP_BEHIND)

#undef UPDATE

  if (!self->ready)
    {
      self->ready = TRUE;
      changed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_READY]);
    }

  g_object_thaw_notify (G_OBJECT (self));

  if (changed)
    g_signal_emit (self, signals [STATUS_CHANGED], 0);
}

static void
on_computed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  AstroCheckoutWatcher *self = ASTRO_CHECKOUT_WATCHER (source);
  g_autoptr(GError) error = NULL;
  Snapshot *snapshot;

  snapshot = g_task_propagate_pointer (G_TASK (result), &error);
  self->computing = FALSE;
  if (snapshot == NULL)
    return;   /* cancelled: the watcher is going away */

  publish (self, snapshot);
  snapshot_free (snapshot);

  if (self->dirty)
    {
      self->dirty = FALSE;
      schedule_refresh (self);
    }
}

static void
start_compute (AstroCheckoutWatcher *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->computing)
    {
      self->dirty = TRUE;
      return;
    }

  self->computing = TRUE;
  task = g_task_new (self, self->cancellable, on_computed_cb, NULL);
  g_task_set_source_tag (task, start_compute);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, g_strdup (self->git_dir), g_free);
  g_task_run_in_thread (task, compute_thread);
}

static gboolean
on_debounce_timeout_cb (gpointer user_data)
{
  AstroCheckoutWatcher *self = user_data;

  self->debounce_id = 0;
  self->first_event_at = 0;
  start_compute (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (AstroCheckoutWatcher *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->debounce_id != 0)
    {
      /* A long stream of events (a rebase) still refreshes now and then. */
      if (now - self->first_event_at >= MAX_DELAY_US)
        return;
      g_source_remove (self->debounce_id);
    }
  else
    {
      self->first_event_at = now;
    }

  self->debounce_id = g_timeout_add (DEBOUNCE_MS, on_debounce_timeout_cb, self);
}

static void watch_directory (AstroCheckoutWatcher *self,
                             const char           *directory,
                             gboolean              recursive);

static void
on_monitor_changed_cb (GFileMonitor      *monitor,
                       GFile             *file,
                       GFile             *other_file,
                       GFileMonitorEvent  event,
                       gpointer           user_data)
{
  AstroCheckoutWatcher *self = user_data;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_RENAMED:
      {
        /* `git branch feature/x` makes a folder under refs/heads: watch it too. */
        g_autofree char *created = g_file_get_path (event == G_FILE_MONITOR_EVENT_RENAMED &&
                                                    other_file != NULL ? other_file : file);
        gboolean in_refs = g_object_get_data (G_OBJECT (monitor), "astro-recursive") != NULL;

        if (in_refs && created != NULL && g_file_test (created, G_FILE_TEST_IS_DIR))
          watch_directory (self, created, TRUE);
      }
      schedule_refresh (self);
      break;

    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    case G_FILE_MONITOR_EVENT_MOVED:
      schedule_refresh (self);
      break;

    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    default:
      break;
    }
}

static void
watch_directory (AstroCheckoutWatcher *self,
                 const char           *directory,
                 gboolean              recursive)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileMonitor) monitor = NULL;
  g_autoptr(GError) error = NULL;

  if (g_hash_table_contains (self->monitors, directory) ||
      !g_file_test (directory, G_FILE_TEST_IS_DIR))
    return;

  file = g_file_new_for_path (directory);
  monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (monitor == NULL)
    {
      g_debug ("Could not watch %s: %s", directory, error->message);
      return;
    }

  if (recursive)
    g_object_set_data (G_OBJECT (monitor), "astro-recursive", GINT_TO_POINTER (TRUE));
  g_signal_connect (monitor, "changed", G_CALLBACK (on_monitor_changed_cb), self);
  g_hash_table_insert (self->monitors, g_strdup (directory), g_steal_pointer (&monitor));

  if (recursive)
    {
      g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (directory, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR))
            watch_directory (self, child, TRUE);
        }
    }
}

static void
start_watching (AstroCheckoutWatcher *self)
{
  g_autofree char *heads = NULL;
  g_autofree char *remotes = NULL;
  git_repository *repo = NULL;

  astro_repo_discovery_init ();

  if (git_repository_open_ext (&repo, self->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
    {
      /* Published by the first computation, which fails the same way. */
      self->git_dir = g_strdup (self->path);
      return;
    }

  self->git_dir = g_strdup (git_repository_path (repo));
  self->common_dir = g_strdup (git_repository_commondir (repo));
  self->is_bare = git_repository_is_bare (repo);
  git_repository_free (repo);

  /* HEAD and index live in the git directory (per worktree); refs and
   * packed-refs in the common one. */
  watch_directory (self, self->git_dir, FALSE);
  watch_directory (self, self->common_dir, FALSE);
  heads = g_build_filename (self->common_dir, "refs", "heads", NULL);
  remotes = g_build_filename (self->common_dir, "refs", "remotes", NULL);
  watch_directory (self, heads, TRUE);
  watch_directory (self, remotes, TRUE);
}

/*
 * GObject overrides
 */

static void
astro_checkout_watcher_constructed (GObject *object)
{
  AstroCheckoutWatcher *self = (AstroCheckoutWatcher *) object;

  G_OBJECT_CLASS (astro_checkout_watcher_parent_class)->constructed (object);

  start_watching (self);
  start_compute (self);
}

static void
astro_checkout_watcher_dispose (GObject *object)
{
  AstroCheckoutWatcher *self = (AstroCheckoutWatcher *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  if (self->monitors != NULL)
    {
      GHashTableIter iter;
      gpointer monitor;

      g_hash_table_iter_init (&iter, self->monitors);
      while (g_hash_table_iter_next (&iter, NULL, &monitor))
        {
          g_signal_handlers_disconnect_by_data (monitor, self);
          g_file_monitor_cancel (monitor);
        }
      g_hash_table_remove_all (self->monitors);
    }

  G_OBJECT_CLASS (astro_checkout_watcher_parent_class)->dispose (object);
}

static void
astro_checkout_watcher_finalize (GObject *object)
{
  AstroCheckoutWatcher *self = (AstroCheckoutWatcher *) object;

  g_clear_pointer (&self->monitors, g_hash_table_unref);
  g_clear_object (&self->cancellable);
  snapshot_clear (&self->state);
  g_free (self->path);
  g_free (self->git_dir);
  g_free (self->common_dir);

  G_OBJECT_CLASS (astro_checkout_watcher_parent_class)->finalize (object);
}

static void
astro_checkout_watcher_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  AstroCheckoutWatcher *self = ASTRO_CHECKOUT_WATCHER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      break;

    case PROP_BRANCH:
      g_value_set_string (value, self->state.branch);
      break;

    case PROP_DETACHED:
      g_value_set_boolean (value, self->state.detached);
      break;

    case PROP_HEAD:
      g_value_set_string (value, self->state.head);
      break;

    case PROP_UNCOMMITTED:
      g_value_set_uint (value, self->state.uncommitted);
      break;

    case PROP_HAS_UPSTREAM:
      g_value_set_boolean (value, self->state.has_upstream);
      break;

    case PROP_AHEAD:
      g_value_set_uint (value, self->state.ahead);
      break;

    case PROP_BEHIND:
      g_value_set_uint (value, self->state.behind);
      break;

    case PROP_ERROR:
      g_value_set_string (value, self->state.error);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_checkout_watcher_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  AstroCheckoutWatcher *self = ASTRO_CHECKOUT_WATCHER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_checkout_watcher_class_init (AstroCheckoutWatcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = astro_checkout_watcher_constructed;
  object_class->dispose = astro_checkout_watcher_dispose;
  object_class->finalize = astro_checkout_watcher_finalize;
  object_class->get_property = astro_checkout_watcher_get_property;
  object_class->set_property = astro_checkout_watcher_set_property;

  properties [PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties [PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE, flags);
  properties [PROP_BRANCH] = g_param_spec_string ("branch", NULL, NULL, NULL, flags);
  properties [PROP_DETACHED] = g_param_spec_boolean ("detached", NULL, NULL, FALSE, flags);
  properties [PROP_HEAD] = g_param_spec_string ("head", NULL, NULL, NULL, flags);
  properties [PROP_UNCOMMITTED] = g_param_spec_uint ("uncommitted", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties [PROP_HAS_UPSTREAM] = g_param_spec_boolean ("has-upstream", NULL, NULL, FALSE, flags);
  properties [PROP_AHEAD] = g_param_spec_uint ("ahead", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties [PROP_BEHIND] = g_param_spec_uint ("behind", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties [PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AstroCheckoutWatcher::status-changed:
   *
   * Emitted on the main thread once the first status is known, and each
   * time any part of it changes afterwards.
   */
  signals [STATUS_CHANGED] =
    g_signal_new ("status-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
astro_checkout_watcher_init (AstroCheckoutWatcher *self)
{
  self->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->cancellable = g_cancellable_new ();
}

/*
 * Public API
 */

/**
 * astro_checkout_watcher_new:
 * @path: a linked folder: a work tree's top or a bare repository (the
 *   `path` of `local_repos`)
 *
 * Starts watching at once; #AstroCheckoutWatcher:ready turns %TRUE with the
 * first status. Main thread.
 */
AstroCheckoutWatcher *
astro_checkout_watcher_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (ASTRO_TYPE_CHECKOUT_WATCHER, "path", path, NULL);
}

const char *
astro_checkout_watcher_get_path (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), NULL);
  return self->path;
}

gboolean
astro_checkout_watcher_get_ready (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), FALSE);
  return self->ready;
}

/* NULL when detached. */
const char *
astro_checkout_watcher_get_branch (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), NULL);
  return self->state.branch;
}

gboolean
astro_checkout_watcher_get_detached (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), FALSE);
  return self->state.detached;
}

/* The commit HEAD points to, in hex; NULL before the first commit. */
const char *
astro_checkout_watcher_get_head (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), NULL);
  return self->state.head;
}

guint
astro_checkout_watcher_get_uncommitted (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), 0);
  return self->state.uncommitted;
}

gboolean
astro_checkout_watcher_get_has_upstream (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), FALSE);
  return self->state.has_upstream;
}

guint
astro_checkout_watcher_get_ahead (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), 0);
  return self->state.ahead;
}

guint
astro_checkout_watcher_get_behind (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), 0);
  return self->state.behind;
}

/* Why the status could not be read, or NULL. */
const char *
astro_checkout_watcher_get_error (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), NULL);
  return self->state.error;
}

/**
 * astro_checkout_watcher_dup_git_status:
 *
 * Returns: (transfer full): the workspace's `git_status` as the team API
 *   takes it, `{"uncommitted":N,"ahead":N,"behind":N}` (ahead and behind
 *   are 0 with no upstream)
 */
char *
astro_checkout_watcher_dup_git_status (AstroCheckoutWatcher *self)
{
  g_return_val_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self), NULL);

  return g_strdup_printf ("{\"uncommitted\":%u,\"ahead\":%u,\"behind\":%u}",
                          self->state.uncommitted, self->state.ahead, self->state.behind);
}

/**
 * astro_checkout_watcher_refresh:
 *
 * Recomputes soon, for changes no monitored file shows (edits to work-tree
 * files that are not staged).
 */
void
astro_checkout_watcher_refresh (AstroCheckoutWatcher *self)
{
  g_return_if_fail (ASTRO_IS_CHECKOUT_WATCHER (self));

  schedule_refresh (self);
}
