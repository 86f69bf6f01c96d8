/* astro-linker.c: linking folders on this machine to the team's repositories
 *
 * The index maps each normalized key of `repositories.url` to the
 * repositories that have it. It is built once from the store and kept up to
 * date from rows-changed::repositories, so a lookup is a hash probe.
 * Repository URLs come from the server: they are normalized with no insteadOf
 * and no ssh alias, which are this user's local shorthand.
 *
 * How a checkout's remotes pick a repository (the remotes arrive ordered
 * origin, upstream, then by name; for each remote the keys are tried in the
 * order fetch URL, fetch URL with no ssh alias resolved, push URL, push URL
 * with no alias, and the first key that matches anything is that remote's
 * match):
 *
 *  1. A folder already linked stays linked to its repository as long as any
 *     remote still matches it. A choice the user made among candidates, or
 *     "link to the other one instead", must not flip back on the next open.
 *  2. Otherwise origin decides if it matches anything, else upstream. origin
 *     is where the user's work goes; in a fork checkout it is the fork, and
 *     upstream is the project it follows. The repositories other remotes
 *     match are kept as also_matched, for the UI to offer.
 *  3. Otherwise the other remotes together: their names mean nothing, so if
 *     they match more than one repository the order of their names must not
 *     decide. The user is asked.
 *  4. One remote's key matching several repositories (the same URL in two
 *     organizations) is always a question for the user.
 *  5. Nothing matches: a local-only project. It is linked automatically
 *     when a repository with a matching key arrives (rows-changed), which is
 *     also what happens after signing in as another user: that user's
 *     repositories arrive as new rows. A folder whose repository is gone
 *     from the store (signed out, or another user's) is treated the same
 *     way but keeps its old repository until a new match is found, so
 *     signing back in finds it linked as before.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-git"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "astro-linker.h"
#include "astro-ssh-resolver.h"

struct _AstroLinker
{
  GObject              parent_instance;

  AstroStore          *store;
  GHashTable          *index;      /* key → GPtrArray of repository ids */
  GHashTable          *repo_keys;  /* repository id → its key, or NULL when its url has none */

  gboolean             relinking;
  gboolean             relink_again;
  guint                relinks_saving;   /* saves of a relink not stored yet */

  AstroSshResolveFunc  resolve;
  gpointer             resolve_data;
  GDestroyNotify       resolve_destroy;
};

G_DEFINE_FINAL_TYPE (AstroLinker, astro_linker, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (AstroLinkResult, astro_link_result, astro_link_result_copy, astro_link_result_free)

enum {
  PROP_0,
  PROP_STORE,
  PROP_RELINKING,
  N_PROPS
};

enum {
  RELINKED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

/*
 * Auxiliary methods
 */

static AstroLinkCandidate *
candidate_new (const char *repository_id,
               const char *remote_name,
               const char *remote_key)
{
  AstroLinkCandidate *candidate = g_new0 (AstroLinkCandidate, 1);

  candidate->repository_id = g_strdup (repository_id);
  candidate->remote_name = g_strdup (remote_name);
  candidate->remote_key = g_strdup (remote_key);
  return candidate;
}

static void
candidate_free (AstroLinkCandidate *candidate)
{
  g_free (candidate->repository_id);
  g_free (candidate->remote_name);
  g_free (candidate->remote_key);
  g_free (candidate);
}

static AstroLinkCandidate *
candidate_copy (const AstroLinkCandidate *candidate,
                gpointer                  user_data)
{
  return candidate_new (candidate->repository_id, candidate->remote_name, candidate->remote_key);
}

static GPtrArray *
candidates_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) candidate_free);
}

static gboolean
candidates_contain (GPtrArray  *candidates,
                    const char *repository_id)
{
  for (guint i = 0; i < candidates->len; i++)
    {
      AstroLinkCandidate *candidate = g_ptr_array_index (candidates, i);

      if (g_str_equal (candidate->repository_id, repository_id))
        return TRUE;
    }
  return FALSE;
}

static void
index_remove (AstroLinker *self,
              const char  *repository_id)
{
  const char *key = g_hash_table_lookup (self->repo_keys, repository_id);

  if (key != NULL)
    {
      GPtrArray *ids = g_hash_table_lookup (self->index, key);

      for (guint i = 0; ids != NULL && i < ids->len; i++)
        if (g_str_equal (g_ptr_array_index (ids, i), repository_id))
          {
            g_ptr_array_remove_index (ids, i);
            break;
          }
      if (ids != NULL && ids->len == 0)
        g_hash_table_remove (self->index, key);
    }

  g_hash_table_remove (self->repo_keys, repository_id);
}

/* Returns TRUE when the repository brought a key the index did not have
 * for it: only then can a local-only folder start to match. */
static gboolean
index_add (AstroLinker *self,
           const char  *repository_id,
           const char  *url)
{
  AstroRemoteContext plain = { 0 };
  g_autofree char *key = NULL;
  GPtrArray *ids;

  key = url != NULL ? astro_remote_url_normalize (url, &plain, NULL) : NULL;
  g_hash_table_insert (self->repo_keys, g_strdup (repository_id), g_strdup (key));
  if (key == NULL)
    return FALSE;

  ids = g_hash_table_lookup (self->index, key);
  if (ids == NULL)
    {
      ids = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->index, g_strdup (key), ids);
    }
  g_ptr_array_add (ids, g_strdup (repository_id));
  return TRUE;
}

static void
index_rebuild (AstroLinker *self)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  g_hash_table_remove_all (self->index);
  g_hash_table_remove_all (self->repo_keys);

  rows = astro_store_list_rows (self->store, "repositories", NULL, NULL, &error);
  if (rows == NULL)
    {
      g_warning ("Could not read the repositories to link folders: %s", error->message);
      return;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      AstroRow *row = g_ptr_array_index (rows, i);

      index_add (self, astro_row_get_id (row), astro_row_get (row, "url"));
    }
}

/* The first key of @remote that matches, in the order of the rule above. */
static GPtrArray *
remote_matches (AstroLinker           *self,
                const AstroRemoteInfo *remote,
                const char           **matched_key)
{
  const char *keys[] = {
    remote->fetch_key, remote->fetch_written_key, remote->push_key, remote->push_written_key,
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GPtrArray *ids = keys[i] != NULL ? g_hash_table_lookup (self->index, keys[i]) : NULL;

      if (ids != NULL && ids->len > 0)
        {
          *matched_key = keys[i];
          return ids;
        }
    }

  *matched_key = NULL;
  return NULL;
}

static void
add_matches (GPtrArray             *candidates,
             const AstroRemoteInfo *remote,
             const char            *key,
             GPtrArray             *ids)
{
  for (guint i = 0; ids != NULL && i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);

      if (!candidates_contain (candidates, id))
        g_ptr_array_add (candidates, candidate_new (id, remote->name, key));
    }
}

static void
set_linked (AstroLinkResult          *result,
            const AstroLinkCandidate *chosen,
            GPtrArray                *all)
{
  result->status = ASTRO_LINK_LINKED;
  result->repository_id = g_strdup (chosen->repository_id);
  result->remote_name = g_strdup (chosen->remote_name);
  result->remote_key = g_strdup (chosen->remote_key);
  for (guint i = 0; i < all->len; i++)
    {
      AstroLinkCandidate *other = g_ptr_array_index (all, i);

      if (!g_str_equal (other->repository_id, chosen->repository_id))
        g_ptr_array_add (result->also_matched, candidate_copy (other, NULL));
    }
}

/* Applies the rule at the top of this file to @result->repo. */
static void
decide (AstroLinker     *self,
        AstroLinkResult *result,
        const char      *current_repository_id)
{
  g_autoptr(GPtrArray) all = candidates_new ();
  g_autoptr(GPtrArray) preferred = NULL;
  g_autoptr(GPtrArray) others = candidates_new ();
  GPtrArray *remotes = result->repo->remotes;

  for (guint i = 0; i < remotes->len; i++)
    {
      const AstroRemoteInfo *remote = g_ptr_array_index (remotes, i);
      const char *key;
      GPtrArray *ids = remote_matches (self, remote, &key);

      if (ids == NULL)
        continue;

      add_matches (all, remote, key, ids);

      /* 2. the first of origin and upstream that matches anything */
      if ((g_str_equal (remote->name, "origin") || g_str_equal (remote->name, "upstream")) &&
          preferred == NULL)
        {
          preferred = candidates_new ();
          add_matches (preferred, remote, key, ids);
        }
      else if (!g_str_equal (remote->name, "origin") && !g_str_equal (remote->name, "upstream"))
        {
          add_matches (others, remote, key, ids);
        }
    }

  /* 1. a link stays while it still matches */
  if (current_repository_id != NULL)
    for (guint i = 0; i < all->len; i++)
      {
        AstroLinkCandidate *candidate = g_ptr_array_index (all, i);

        if (g_str_equal (candidate->repository_id, current_repository_id))
          {
            set_linked (result, candidate, all);
            return;
          }
      }

  if (preferred == NULL)
    preferred = g_steal_pointer (&others);   /* 3. */

  if (preferred->len == 0)
    {
      result->status = ASTRO_LINK_LOCAL_ONLY;   /* 5. */
    }
  else if (preferred->len == 1)
    {
      set_linked (result, g_ptr_array_index (preferred, 0), all);
    }
  else
    {
      result->status = ASTRO_LINK_AMBIGUOUS;   /* 3. and 4. */
      g_clear_pointer (&result->candidates, g_ptr_array_unref);
      result->candidates = g_steal_pointer (&preferred);
    }
}

static AstroLinkResult *
result_new (void)
{
  AstroLinkResult *result = g_new0 (AstroLinkResult, 1);

  result->candidates = candidates_new ();
  result->also_matched = candidates_new ();
  return result;
}

/* A folder the store no longer knows the repository of is as good as
 * local-only: see 5. at the top. */
static gboolean
needs_relink (AstroLinker          *self,
              const AstroLocalRepo *repo)
{
  return repo->repository_id == NULL ||
         !g_hash_table_contains (self->repo_keys, repo->repository_id);
}

/* What is saved of @result. @opened: the user opened the folder now (not a
 * link made on its own) */
static AstroLocalRepo *
link_to_save (AstroLinker     *self,
              AstroLinkResult *result,
              gboolean         opened)
{
  g_autoptr(AstroLocalRepo) existing = NULL;
  g_autoptr(AstroLocalRepo) repo = astro_local_repo_new (result->path);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  existing = astro_store_get_local_repo (self->store, result->path, NULL);

  /* Nothing matches, but the folder was linked to a repository the store
   * does not have now (signed out, or signed in as someone else): keep it
   * for when that repository is back (5. at the top). */
  if (result->status == ASTRO_LINK_LOCAL_ONLY && existing != NULL &&
      existing->repository_id != NULL && needs_relink (self, existing))
    {
      repo->repository_id = g_strdup (existing->repository_id);
      repo->remote_name = g_strdup (existing->remote_name);
      repo->remote_key = g_strdup (existing->remote_key);
    }
  else
    {
      repo->repository_id = g_strdup (result->repository_id);
      repo->remote_name = g_strdup (result->remote_name);
      repo->remote_key = g_strdup (result->remote_key);
    }
  repo->device_id = astro_store_dup_device_id (self->store);
  repo->color = existing != NULL ? g_strdup (existing->color) : NULL;
  repo->created_at = existing != NULL ? g_strdup (existing->created_at) : NULL;
  repo->last_opened_at = opened || existing == NULL
                         ? g_date_time_format_iso8601 (now)
                         : g_strdup (existing->last_opened_at);

  return g_steal_pointer (&repo);
}

static gboolean
save_link (AstroLinker      *self,
           AstroLinkResult  *result,
           gboolean          opened,
           GError          **error)
{
  g_autoptr(AstroLocalRepo) repo = link_to_save (self, result, opened);

  return astro_store_save_local_repo (self->store, repo, error);
}

/* Decides for a discovered repository (or says why there is none) and saves
 * what was decided, or gives it in @to_save. Main thread: the index lives
 * there. */
static AstroLinkResult *
link_discovered (AstroLinker      *self,
                 AstroRepoInfo    *info,
                 const GError     *discovery_error,
                 AstroLocalRepo  **to_save,
                 GError          **error)
{
  g_autoptr(AstroLinkResult) result = result_new ();
  g_autoptr(AstroLocalRepo) existing = NULL;

  if (info == NULL)
    {
      result->status = ASTRO_LINK_NOT_A_REPOSITORY;
      result->reason = g_strdup (discovery_error->message);
      result->error_code = discovery_error->domain == ASTRO_DISCOVERY_ERROR
                           ? discovery_error->code : ASTRO_DISCOVERY_ERROR_UNREADABLE;
      return g_steal_pointer (&result);
    }

  result->repo = info;
  result->path = g_strdup (info->path);
  existing = astro_store_get_local_repo (self->store, result->path, NULL);

  decide (self, result, existing != NULL ? existing->repository_id : NULL);

  if (result->status == ASTRO_LINK_LINKED || result->status == ASTRO_LINK_LOCAL_ONLY)
    {
      if (to_save != NULL)
        *to_save = link_to_save (self, result, TRUE);
      else if (!save_link (self, result, TRUE, error))
        return NULL;
    }

  return g_steal_pointer (&result);
}

static AstroRemoteContext
remote_context (AstroLinker *self)
{
  AstroRemoteContext context = { 0 };

  context.ssh_resolve = self->resolve;
  context.ssh_resolve_data = self->resolve_data;
  return context;
}

static GPtrArray *
list_relink_paths (AstroLinker *self)
{
  g_autoptr(GPtrArray) repos = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  repos = astro_store_list_local_repos (self->store, &error);
  if (repos == NULL)
    {
      g_warning ("Could not read the linked folders: %s", error->message);
      return paths;
    }

  for (guint i = 0; i < repos->len; i++)
    {
      AstroLocalRepo *repo = g_ptr_array_index (repos, i);

      if (needs_relink (self, repo))
        g_ptr_array_add (paths, g_strdup (repo->path));
    }

  return paths;
}

static gint64 save_in_thread (AstroStore  *store,
                              gpointer     data,
                              GError     **error);
static void   relink_done    (AstroLinker *self);

typedef struct
{
  AstroLinker *linker;
  char        *path;
  char        *repository_id;
} Relinked;

static void
relinked_free (Relinked *relinked)
{
  g_object_unref (relinked->linker);
  g_free (relinked->path);
  g_free (relinked->repository_id);
  g_free (relinked);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Relinked, relinked_free)

static void
on_relink_saved_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Relinked) relinked = user_data;
  AstroLinker *self = relinked->linker;
  g_autoptr(GError) error = NULL;

  if (astro_store_write_finish (ASTRO_STORE (source), result, &error) == 0)
    g_warning ("Could not link %s: %s", relinked->path, error->message);
  else
    g_signal_emit (self, signals [RELINKED], 0, relinked->path, relinked->repository_id);

  if (--self->relinks_saving == 0)
    relink_done (self);
}

/* Takes @info. Links @path when it now has exactly one match: the link is
 * saved on the store's writing thread (which a sync's batch may hold), and
 * "relinked" said once it is. */
static void
relink_discovered (AstroLinker   *self,
                   const char    *path,
                   AstroRepoInfo *info)
{
  g_autoptr(AstroLinkResult) result = result_new ();
  g_autoptr(AstroLocalRepo) current = NULL;
  Relinked *relinked;

  result->repo = info;

  /* A folder that went away keeps its row: it may be on a drive that is
   * not mounted now. */
  if (info == NULL || !g_str_equal (info->path, path))
    return;

  /* The user may have linked or unlinked it while discovery ran. */
  current = astro_store_get_local_repo (self->store, path, NULL);
  if (current == NULL || !needs_relink (self, current))
    return;

  result->path = g_strdup (path);
  decide (self, result, NULL);
  if (result->status != ASTRO_LINK_LINKED)
    return;

  relinked = g_new0 (Relinked, 1);
  relinked->linker = g_object_ref (self);
  relinked->path = g_strdup (result->path);
  relinked->repository_id = g_strdup (result->repository_id);
  self->relinks_saving++;
  astro_store_write_async (self->store, save_in_thread, link_to_save (self, result, FALSE),
                           (GDestroyNotify) astro_local_repo_free, on_relink_saved_cb, relinked);
}

static void
relink_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AstroLinker *self = source_object;
  GPtrArray *paths = task_data;
  AstroRemoteContext context = remote_context (self);
  GPtrArray *infos = g_ptr_array_new_full (paths->len, (GDestroyNotify) astro_repo_info_free);

  for (guint i = 0; i < paths->len; i++)
    g_ptr_array_add (infos, astro_repo_discover (g_ptr_array_index (paths, i), &context, NULL));

  g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
}

static void schedule_relink (AstroLinker *self);

static void
on_relink_discovered_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  AstroLinker *self = ASTRO_LINKER (source);
  GPtrArray *paths = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) infos = g_task_propagate_pointer (G_TASK (result), NULL);

  for (guint i = 0; infos != NULL && i < infos->len; i++)
    relink_discovered (self, g_ptr_array_index (paths, i), g_steal_pointer (&infos->pdata[i]));

  /* relinking until the links are stored */
  if (self->relinks_saving == 0)
    relink_done (self);
}

static void
relink_done (AstroLinker *self)
{
  self->relinking = FALSE;
  if (self->relink_again)
    {
      self->relink_again = FALSE;
      schedule_relink (self);
    }

  if (!self->relinking)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_RELINKING]);
}

/* Discovery of the folders to look at again runs on a worker thread: a
 * folder on a slow disk, or an ssh alias that makes `ssh -G` wait, must not
 * freeze the window while a sync applies repositories. */
static void
schedule_relink (AstroLinker *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  gboolean was_relinking = self->relinking;

  if (self->relinking)
    {
      self->relink_again = TRUE;
      return;
    }

  paths = list_relink_paths (self);
  if (paths->len == 0)
    return;

  self->relinking = TRUE;
  task = g_task_new (self, NULL, on_relink_discovered_cb, NULL);
  g_task_set_source_tag (task, schedule_relink);
  g_task_set_task_data (task, g_steal_pointer (&paths), (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, relink_thread);

  if (!was_relinking)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_RELINKING]);
}

/*
 * Signal callbacks
 */

static void
on_store_rows_changed_cb (AstroLinker      *self,
                          AstroRowsChanged *changes,
                          AstroStore       *store)
{
  gboolean new_keys = FALSE;

  for (guint i = 0; i < changes->deleted->len; i++)
    index_remove (self, g_ptr_array_index (changes->deleted, i));

  for (guint pass = 0; pass < 2; pass++)
    {
      GPtrArray *ids = pass == 0 ? changes->inserted : changes->updated;

      for (guint i = 0; i < ids->len; i++)
        {
          const char *id = g_ptr_array_index (ids, i);
          g_autoptr(AstroRow) row = astro_store_get_row (self->store, "repositories", id, NULL);
          g_autofree char *old_key = g_strdup (g_hash_table_lookup (self->repo_keys, id));

          index_remove (self, id);
          if (row != NULL && index_add (self, id, astro_row_get (row, "url")) &&
              g_strcmp0 (old_key, g_hash_table_lookup (self->repo_keys, id)) != 0)
            new_keys = TRUE;
        }
    }

  if (new_keys)
    schedule_relink (self);
}

/*
 * GObject overrides
 */

static void
astro_linker_constructed (GObject *object)
{
  AstroLinker *self = (AstroLinker *) object;

  G_OBJECT_CLASS (astro_linker_parent_class)->constructed (object);

  g_return_if_fail (ASTRO_IS_STORE (self->store));

  index_rebuild (self);
  g_signal_connect_object (self->store, "rows-changed::repositories",
                           G_CALLBACK (on_store_rows_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
astro_linker_dispose (GObject *object)
{
  AstroLinker *self = (AstroLinker *) object;

  g_clear_object (&self->store);

  G_OBJECT_CLASS (astro_linker_parent_class)->dispose (object);
}

static void
astro_linker_finalize (GObject *object)
{
  AstroLinker *self = (AstroLinker *) object;

  if (self->resolve_destroy != NULL)
    self->resolve_destroy (self->resolve_data);
  g_clear_pointer (&self->index, g_hash_table_unref);
  g_clear_pointer (&self->repo_keys, g_hash_table_unref);

  G_OBJECT_CLASS (astro_linker_parent_class)->finalize (object);
}

static void
astro_linker_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  AstroLinker *self = ASTRO_LINKER (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_RELINKING:
      g_value_set_boolean (value, self->relinking);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_linker_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  AstroLinker *self = ASTRO_LINKER (object);

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
astro_linker_class_init (AstroLinkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = astro_linker_constructed;
  object_class->dispose = astro_linker_dispose;
  object_class->finalize = astro_linker_finalize;
  object_class->get_property = astro_linker_get_property;
  object_class->set_property = astro_linker_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         ASTRO_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  properties [PROP_RELINKING] =
    g_param_spec_boolean ("relinking", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AstroLinker::relinked:
   * @path: the folder
   * @repository_id: the repository it is now linked to
   *
   * A local-only folder (or one whose repository left the store) was linked
   * on its own, because a matching repository arrived.
   */
  signals [RELINKED] =
    g_signal_new ("relinked",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
astro_linker_init (AstroLinker *self)
{
  self->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_ptr_array_unref);
  self->repo_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  self->resolve = astro_ssh_resolver_resolve_func;
  self->resolve_data = astro_ssh_resolver_new (NULL);
  self->resolve_destroy = (GDestroyNotify) astro_ssh_resolver_free;
}

/*
 * Public API
 */

const char *
astro_link_status_to_string (AstroLinkStatus status)
{
  switch (status)
    {
    case ASTRO_LINK_LINKED:
      return "linked";
    case ASTRO_LINK_AMBIGUOUS:
      return "ambiguous";
    case ASTRO_LINK_LOCAL_ONLY:
      return "local-only";
    case ASTRO_LINK_NOT_A_REPOSITORY:
      return "not-a-repository";
    default:
      return "unknown";
    }
}

AstroLinkResult *
astro_link_result_copy (const AstroLinkResult *self)
{
  AstroLinkResult *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (AstroLinkResult, 1);
  copy->status = self->status;
  copy->path = g_strdup (self->path);
  copy->repository_id = g_strdup (self->repository_id);
  copy->remote_name = g_strdup (self->remote_name);
  copy->remote_key = g_strdup (self->remote_key);
  copy->candidates = g_ptr_array_copy (self->candidates, (GCopyFunc) candidate_copy, NULL);
  g_ptr_array_set_free_func (copy->candidates, (GDestroyNotify) candidate_free);
  copy->also_matched = g_ptr_array_copy (self->also_matched, (GCopyFunc) candidate_copy, NULL);
  g_ptr_array_set_free_func (copy->also_matched, (GDestroyNotify) candidate_free);
  copy->reason = g_strdup (self->reason);
  copy->error_code = self->error_code;
  copy->repo = self->repo != NULL ? astro_repo_info_copy (self->repo) : NULL;
  return copy;
}

void
astro_link_result_free (AstroLinkResult *self)
{
  if (self == NULL)
    return;

  g_free (self->path);
  g_free (self->repository_id);
  g_free (self->remote_name);
  g_free (self->remote_key);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_clear_pointer (&self->also_matched, g_ptr_array_unref);
  g_free (self->reason);
  g_clear_pointer (&self->repo, astro_repo_info_free);
  g_free (self);
}

/**
 * astro_linker_new:
 * @store: the store whose `repositories` are matched and whose `local_repos`
 *   keep the links
 *
 * Returns: (transfer full): a linker, for the main thread, using `ssh -G`
 *   for ssh host aliases
 */
AstroLinker *
astro_linker_new (AstroStore *store)
{
  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  return g_object_new (ASTRO_TYPE_LINKER, "store", store, NULL);
}

/**
 * astro_linker_set_ssh_resolver:
 * @resolve: (nullable): the resolver, or %NULL to leave ssh hosts as written
 *
 * Replaces the `ssh -G` resolver (tests, benchmarks, a Flatpak without ssh).
 * @resolve may be called from a worker thread by astro_linker_link_async().
 */
void
astro_linker_set_ssh_resolver (AstroLinker         *self,
                               AstroSshResolveFunc  resolve,
                               gpointer             user_data,
                               GDestroyNotify       destroy)
{
  g_return_if_fail (ASTRO_IS_LINKER (self));

  if (self->resolve_destroy != NULL)
    self->resolve_destroy (self->resolve_data);
  self->resolve = resolve;
  self->resolve_data = user_data;
  self->resolve_destroy = destroy;
}

AstroStore *
astro_linker_get_store (AstroLinker *self)
{
  g_return_val_if_fail (ASTRO_IS_LINKER (self), NULL);

  return self->store;
}

/* How many distinct keys the index holds. */
guint
astro_linker_get_n_keys (AstroLinker *self)
{
  g_return_val_if_fail (ASTRO_IS_LINKER (self), 0);

  return g_hash_table_size (self->index);
}

/**
 * astro_linker_link:
 * @path: any folder
 * @error: set only when the store could not be written
 *
 * Finds the repository @path belongs to and links it: see the rule at the
 * top of astro-linker.c. LINKED and LOCAL_ONLY are saved in `local_repos`
 * under the repository's top folder with this device's id; AMBIGUOUS and
 * NOT_A_REPOSITORY save nothing. Runs `ssh -G` for an unknown ssh host the
 * first time it is seen: from the UI, prefer astro_linker_link_async().
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
AstroLinkResult *
astro_linker_link (AstroLinker  *self,
                   const char   *path,
                   GError      **error)
{
  g_autoptr(GError) discovery_error = NULL;
  AstroRemoteContext context;
  AstroRepoInfo *info;

  g_return_val_if_fail (ASTRO_IS_LINKER (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  context = remote_context (self);
  info = astro_repo_discover (path, &context, &discovery_error);
  return link_discovered (self, info, discovery_error, NULL, error);
}

static void
discover_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  AstroLinker *self = source_object;
  AstroRemoteContext context = remote_context (self);
  GError *error = NULL;
  AstroRepoInfo *info;

  info = astro_repo_discover (task_data, &context, &error);
  if (info != NULL)
    g_task_return_pointer (task, info, (GDestroyNotify) astro_repo_info_free);
  else
    g_task_return_error (task, error);
}

static gint64
save_in_thread (AstroStore  *store,
                gpointer     data,
                GError     **error)
{
  return astro_store_save_local_repo (store, data, error) ? 1 : 0;
}

/* Whether the store's write succeeded; if not, @task ends with its error */
static gboolean
write_succeeded (GTask        *task,
                 GObject      *store,
                 GAsyncResult *result)
{
  GError *error = NULL;

  if (astro_store_write_finish (ASTRO_STORE (store), result, &error) != 0)
    return TRUE;

  g_task_return_error (task, error);
  return FALSE;
}

static void
on_link_saved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (write_succeeded (task, source, result))
    g_task_return_pointer (task, g_steal_pointer ((AstroLinkResult **) g_task_get_task_data (task)),
                           (GDestroyNotify) astro_link_result_free);
}

static void
link_result_slot_free (gpointer data)
{
  AstroLinkResult **slot = data;

  g_clear_pointer (slot, astro_link_result_free);
  g_free (slot);
}

/* Takes @task, @link and @to_save: @task returns @link once @to_save is
 * stored, or the store's error */
static void
save_then_return (AstroLinker     *self,
                  GTask           *task,
                  AstroLinkResult *link,
                  AstroLocalRepo  *to_save)
{
  AstroLinkResult **slot = g_new (AstroLinkResult *, 1);

  *slot = link;
  g_task_set_task_data (task, slot, link_result_slot_free);
  astro_store_write_async (self->store, save_in_thread, to_save, (GDestroyNotify) astro_local_repo_free,
                           on_link_saved_cb, task);
}

/* The link is saved on the store's writing thread: during a first sync the
 * database can be held for hundreds of milliseconds by a batch. */
static void
on_discovered_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  AstroLinker *self = ASTRO_LINKER (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) discovery_error = NULL;
  g_autoptr(GError) error = NULL;
  AstroLocalRepo *to_save = NULL;
  AstroRepoInfo *info;
  AstroLinkResult *link;

  if (g_task_return_error_if_cancelled (task))
    return;

  info = g_task_propagate_pointer (G_TASK (result), &discovery_error);
  link = link_discovered (self, info, discovery_error, &to_save, &error);
  if (link == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (to_save == NULL)
    {
      g_task_return_pointer (task, link, (GDestroyNotify) astro_link_result_free);
      return;
    }

  save_then_return (self, g_steal_pointer (&task), link, to_save);
}

/**
 * astro_linker_link_async:
 *
 * astro_linker_link() with discovery (libgit2 and `ssh -G`) on a worker
 * thread, the match back on the main thread, and the save on the store's
 * writing thread.
 */
void
astro_linker_link_async (AstroLinker         *self,
                         const char          *path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) discovery = NULL;

  g_return_if_fail (ASTRO_IS_LINKER (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, astro_linker_link_async);

  discovery = g_task_new (self, cancellable, on_discovered_cb, g_steal_pointer (&task));
  g_task_set_task_data (discovery, g_strdup (path), g_free);
  g_task_run_in_thread (discovery, discover_thread);
}

AstroLinkResult *
astro_linker_link_finish (AstroLinker   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (ASTRO_IS_LINKER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The LINKED result of choosing @repository_id for @ambiguous, not saved */
static AstroLinkResult *
chosen_result (const AstroLinkResult  *ambiguous,
               const char             *repository_id,
               GError                **error)
{
  g_autoptr(AstroLinkResult) result = NULL;
  const AstroLinkCandidate *chosen = NULL;
  g_autoptr(GPtrArray) all = candidates_new ();

  for (guint pass = 0; pass < 2; pass++)
    {
      GPtrArray *list = pass == 0 ? ambiguous->candidates : ambiguous->also_matched;

      for (guint i = 0; i < list->len; i++)
        g_ptr_array_add (all, candidate_copy (g_ptr_array_index (list, i), NULL));
    }
  if (ambiguous->status == ASTRO_LINK_LINKED)
    g_ptr_array_add (all, candidate_new (ambiguous->repository_id, ambiguous->remote_name,
                                         ambiguous->remote_key));

  for (guint i = 0; i < all->len && chosen == NULL; i++)
    if (g_str_equal (((AstroLinkCandidate *) g_ptr_array_index (all, i))->repository_id, repository_id))
      chosen = g_ptr_array_index (all, i);

  if (chosen == NULL || ambiguous->path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("That repository is not one the folder’s remotes match"));
      return NULL;
    }

  result = result_new ();
  result->path = g_strdup (ambiguous->path);
  result->repo = ambiguous->repo != NULL ? astro_repo_info_copy (ambiguous->repo) : NULL;
  set_linked (result, chosen, all);
  return g_steal_pointer (&result);
}

/**
 * astro_linker_choose:
 * @ambiguous: a result of astro_linker_link()
 * @repository_id: one of its candidates (or, for a LINKED result, one of
 *   its also_matched, to link to that one instead)
 *
 * Saves the user's choice. The link then stays while any remote still
 * matches it.
 *
 * Returns: (transfer full): the LINKED result, or %NULL with @error set
 */
AstroLinkResult *
astro_linker_choose (AstroLinker            *self,
                     const AstroLinkResult  *ambiguous,
                     const char             *repository_id,
                     GError                **error)
{
  g_autoptr(AstroLinkResult) result = NULL;

  g_return_val_if_fail (ASTRO_IS_LINKER (self), NULL);
  g_return_val_if_fail (ambiguous != NULL, NULL);
  g_return_val_if_fail (repository_id != NULL, NULL);

  result = chosen_result (ambiguous, repository_id, error);
  if (result == NULL || !save_link (self, result, TRUE, error))
    return NULL;

  return g_steal_pointer (&result);
}

/**
 * astro_linker_choose_async:
 *
 * astro_linker_choose() with the choice saved on the store's writing
 * thread, which a sync's batch may hold for a while.
 */
void
astro_linker_choose_async (AstroLinker           *self,
                           const AstroLinkResult *ambiguous,
                           const char            *repository_id,
                           GAsyncReadyCallback    callback,
                           gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  AstroLinkResult *result;

  g_return_if_fail (ASTRO_IS_LINKER (self));
  g_return_if_fail (ambiguous != NULL);
  g_return_if_fail (repository_id != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, astro_linker_choose_async);
  result = chosen_result (ambiguous, repository_id, &error);
  if (result == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  save_then_return (self, g_steal_pointer (&task), result, link_to_save (self, result, TRUE));
}

/**
 * astro_linker_choose_finish:
 *
 * Returns: (transfer full): the LINKED result, or %NULL with @error set
 */
AstroLinkResult *
astro_linker_choose_finish (AstroLinker   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The folder whose link @path names: itself, or the top folder of the
 * repository it is in; %NULL with @error if none is linked */
static char *
unlink_target (AstroLinker  *self,
               const char   *path,
               GError      **error)
{
  g_autofree char *canonical = NULL;
  g_autoptr(AstroLocalRepo) existing = NULL;
  g_autoptr(GError) local_error = NULL;

  canonical = g_canonicalize_filename (path, NULL);
  existing = astro_store_get_local_repo (self->store, canonical, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (existing != NULL)
    return g_steal_pointer (&canonical);

  /* A subfolder, or a path through a symlink: the link is under the
   * repository's top folder as discovery names it. */
  {
    AstroRemoteContext plain = { 0 };
    g_autoptr(AstroRepoInfo) info = astro_repo_discover (canonical, &plain, NULL);

    if (info != NULL)
      existing = astro_store_get_local_repo (self->store, info->path, NULL);
    if (existing != NULL)
      return g_strdup (info->path);
  }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("“%s” is not linked"), canonical);
  return NULL;
}

/**
 * astro_linker_unlink:
 * @path: the linked folder, or any folder inside its repository
 *
 * Forgets the link. Works on a folder that no longer exists too.
 *
 * Returns: %TRUE when a link was removed; %FALSE with %G_IO_ERROR_NOT_FOUND
 *   when @path was not linked
 */
gboolean
astro_linker_unlink (AstroLinker  *self,
                     const char   *path,
                     GError      **error)
{
  g_autofree char *target = NULL;

  g_return_val_if_fail (ASTRO_IS_LINKER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  target = unlink_target (self, path, error);
  return target != NULL && astro_store_delete_local_repo (self->store, target, error);
}

static gint64
delete_in_thread (AstroStore  *store,
                  gpointer     data,
                  GError     **error)
{
  return astro_store_delete_local_repo (store, data, error) ? 1 : 0;
}

static void
on_unlinked_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (write_succeeded (task, source, result))
    g_task_return_boolean (task, TRUE);
}

/**
 * astro_linker_unlink_async:
 *
 * astro_linker_unlink() with the link forgotten on the store's writing
 * thread, which a sync's batch may hold for a while.
 */
void
astro_linker_unlink_async (AstroLinker         *self,
                           const char          *path,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  char *target;

  g_return_if_fail (ASTRO_IS_LINKER (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, astro_linker_unlink_async);
  target = unlink_target (self, path, &error);
  if (target == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  astro_store_write_async (self->store, delete_in_thread, target, g_free, on_unlinked_cb,
                           g_steal_pointer (&task));
}

gboolean
astro_linker_unlink_finish (AstroLinker   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * astro_linker_relink_in_background:
 *
 * Looks again at every local-only folder, and every folder whose repository
 * is no longer in the store, and links those that now have exactly one
 * match (emitting #AstroLinker::relinked): discovery on a worker thread, the
 * links saved on the store's writing thread. The linker does this by itself
 * when repositories arrive; call this once at start-up for what arrived
 * while nothing listened. #AstroLinker:relinking is %TRUE until the links
 * are stored.
 */
void
astro_linker_relink_in_background (AstroLinker *self)
{
  g_return_if_fail (ASTRO_IS_LINKER (self));

  schedule_relink (self);
}

/* Whether an automatic relink is under way (#AstroLinker:relinking). */
gboolean
astro_linker_get_relinking (AstroLinker *self)
{
  g_return_val_if_fail (ASTRO_IS_LINKER (self), FALSE);

  return self->relinking;
}
