/* astro-repo-discovery.c: from any folder to the git repository it belongs
 * to, and the keys of its remotes
 *
 * The facts this relies on (libgit2 1.5) are in section 1 of
 * shared/design/git-remotes.md: discover walks up from any subfolder, a
 * linked worktree reads the main repository's config (so its remotes), a
 * submodule has its own. Remote URLs get insteadOf as git_remote_url()
 * would give them (see "Reading remotes" below for why not through it).
 *
 * Remote URLs may carry tokens. They are reduced to keys and redacted
 * display strings here, inside one function, and never stored or logged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-git"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <git2.h>

#include "astro-repo-discovery.h"

G_DEFINE_QUARK (astro-discovery-error-quark, astro_discovery_error)
G_DEFINE_BOXED_TYPE (AstroRepoInfo, astro_repo_info, astro_repo_info_copy, astro_repo_info_free)

/*
 * Auxiliary methods
 */

static const char *
last_git_message (void)
{
  const git_error *last = git_error_last ();

  return last != NULL && last->message != NULL ? last->message : "unknown error";
}

static char *
strip_trailing_slash (const char *path)
{
  gsize len = strlen (path);

  while (len > 1 && path[len - 1] == '/')
    len--;
  return g_strndup (path, len);
}

/* origin is where the user pushes, upstream is what a fork follows; every
 * other name carries no meaning, so those go in name order. */
static int
remote_rank (const char *name)
{
  if (g_str_equal (name, "origin"))
    return 0;
  if (g_str_equal (name, "upstream"))
    return 1;
  return 2;
}

static int
compare_remotes (gconstpointer a,
                 gconstpointer b)
{
  const AstroRemoteInfo *ra = *(AstroRemoteInfo * const *) a;
  const AstroRemoteInfo *rb = *(AstroRemoteInfo * const *) b;
  int rank_a = remote_rank (ra->name);
  int rank_b = remote_rank (rb->name);

  if (rank_a != rank_b)
    return rank_a - rank_b;
  return strcmp (ra->name, rb->name);
}

/* Both keys when an ssh alias changed the host: a config that maps a real
 * name to a proxy must not hide the key as written (git-remotes.md 2.8, 6). */
static char *
key_for_url (const char                *url,
             const AstroRemoteContext  *context,
             char                     **written_key,
             char                     **error_reason)
{
  AstroRemoteContext plain = { 0 };
  g_autofree char *key = NULL;
  g_autofree char *written = NULL;

  *written_key = NULL;

  key = astro_remote_url_normalize (url, context, error_reason);
  if (key == NULL || context->ssh_resolve == NULL)
    return g_steal_pointer (&key);

  written = astro_remote_url_normalize (url, &plain, NULL);
  if (written != NULL && !g_str_equal (written, key))
    *written_key = g_steal_pointer (&written);

  return g_steal_pointer (&key);
}

/*
 * Reading remotes
 *
 * libgit2 1.5.1's git_regexp_match() leaks its pcre2 match data (about
 * 20 KB) for every string a regex does not match, and git_remote_list() and
 * git_remote_lookup() (its insteadOf rewriting) filter the whole config with
 * regexes: measured, 310 KB lost per link, and the app links, relinks and
 * watches for as long as it runs. So the remotes and the rules are read
 * here with a plain iterator over the same config snapshot libgit2 would
 * use (system, XDG, global, repository, includes), and insteadOf is applied
 * the way libgit2 1.5's apply_insteadof() does (git-remotes.md 1.1), which
 * tests/test-linker.c checks against git_remote_url() itself.
 */

typedef struct
{
  char *base;
  char *prefix;
} Rule;

static void
rule_free (Rule *rule)
{
  g_free (rule->base);
  g_free (rule->prefix);
  g_free (rule);
}

/* "<section>.<subsection>.<key>": libgit2 lowercases section and key and
 * keeps the subsection, which may itself contain dots. */
static char *
subsection_of (const char *name,
               const char *section,
               const char *key)
{
  gsize len = strlen (name);
  gsize section_len = strlen (section);
  gsize key_len = strlen (key);

  if (len <= section_len + key_len + 2 ||
      g_ascii_strncasecmp (name, section, section_len) != 0 || name[section_len] != '.' ||
      name[len - key_len - 1] != '.' || g_ascii_strcasecmp (name + len - key_len, key) != 0)
    return NULL;

  return g_strndup (name + section_len + 1, len - section_len - key_len - 2);
}

/* The longest rule prefix of @url wins, compared byte for byte; %NULL when
 * no rule applies. */
static char *
apply_rules (const char *url,
             GPtrArray  *rules)
{
  const Rule *best = NULL;
  gsize best_len = 0;

  for (guint i = 0; i < rules->len; i++)
    {
      const Rule *rule = g_ptr_array_index (rules, i);
      gsize len = strlen (rule->prefix);

      if (len > best_len && strncmp (url, rule->prefix, len) == 0)
        {
          best = rule;
          best_len = len;
        }
    }

  return best != NULL ? g_strconcat (best->base, url + best_len, NULL) : NULL;
}

static char *
get_config_string (git_config *config,
                   const char *section,
                   const char *subsection,
                   const char *key)
{
  g_autofree char *name = g_strdup_printf ("%s.%s.%s", section, subsection, key);
  const char *value = NULL;

  if (git_config_get_string (&value, config, name) < 0 || value == NULL || *value == '\0')
    {
      git_error_clear ();
      return NULL;
    }
  return g_strdup (value);
}

static AstroRemoteInfo *
read_remote (git_config               *config,
             const char               *name,
             GPtrArray                *insteadof,
             GPtrArray                *push_insteadof,
             const AstroRemoteContext *context)
{
  g_autoptr(AstroRemoteInfo) info = g_new0 (AstroRemoteInfo, 1);
  g_autofree char *configured = get_config_string (config, "remote", name, "url");
  g_autofree char *configured_push = get_config_string (config, "remote", name, "pushurl");
  g_autofree char *url = NULL;
  g_autofree char *push_url = NULL;

  info->name = g_strdup (name);

  /* What git_remote_url() and git_remote_pushurl() return: the fetch URL
   * through insteadOf; an explicit pushurl through insteadOf too, else the
   * URL through pushInsteadOf when one of those rules applies. */
  if (configured != NULL)
    {
      url = apply_rules (configured, insteadof);
      if (url == NULL)
        url = g_strdup (configured);
    }
  if (configured_push != NULL)
    {
      push_url = apply_rules (configured_push, insteadof);
      if (push_url == NULL)
        push_url = g_strdup (configured_push);
    }
  else if (configured != NULL)
    {
      push_url = apply_rules (configured, push_insteadof);
    }

  if (url == NULL)
    {
      info->fetch_error = g_strdup (_("The remote has no URL"));
    }
  else
    {
      info->fetch_key = key_for_url (url, context, &info->fetch_written_key, &info->fetch_error);
      info->fetch_display = astro_remote_url_redact (url);
    }

  if (push_url != NULL)
    {
      g_autofree char *push_written = NULL;
      g_autofree char *push_key = key_for_url (push_url, context, &push_written, NULL);

      if (push_key != NULL && g_strcmp0 (push_key, info->fetch_key) != 0)
        {
          info->push_key = g_steal_pointer (&push_key);
          info->push_written_key = g_steal_pointer (&push_written);
        }
      if (url == NULL || !g_str_equal (push_url, url))
        info->push_display = astro_remote_url_redact (push_url);
    }

  return g_steal_pointer (&info);
}

static gboolean
read_remotes (git_repository            *repo,
              const AstroRemoteContext  *context,
              GPtrArray                 *remotes)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) insteadof = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  g_autoptr(GPtrArray) push_insteadof = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  git_config *config = NULL;
  git_config_iterator *iterator = NULL;
  git_config_entry *entry;
  int status;

  if (git_repository_config_snapshot (&config, repo) < 0)
    return FALSE;
  if (git_config_iterator_new (&iterator, config) < 0)
    {
      git_config_free (config);
      return FALSE;
    }

  while ((status = git_config_next (&entry, iterator)) == 0)
    {
      char *subsection;

      if (entry->value == NULL)
        continue;

      if ((subsection = subsection_of (entry->name, "remote", "url")) != NULL ||
          (subsection = subsection_of (entry->name, "remote", "pushurl")) != NULL)
        {
          if (g_hash_table_contains (seen, subsection))
            {
              g_free (subsection);
              continue;
            }
          g_ptr_array_add (names, subsection);
          g_hash_table_add (seen, subsection);
        }
      else
        {
          GPtrArray *rules = insteadof;
          Rule *rule;

          /* The '.' before the key keeps "insteadof" from matching the
           * end of "pushinsteadof". */
          subsection = subsection_of (entry->name, "url", "insteadof");
          if (subsection == NULL)
            {
              subsection = subsection_of (entry->name, "url", "pushinsteadof");
              rules = push_insteadof;
            }
          if (subsection == NULL)
            continue;

          rule = g_new0 (Rule, 1);
          rule->base = subsection;
          rule->prefix = g_strdup (entry->value);
          g_ptr_array_add (rules, rule);
        }
    }
  git_config_iterator_free (iterator);

  if (status != GIT_ITEROVER)
    {
      git_config_free (config);
      return FALSE;
    }

  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (remotes, read_remote (config, g_ptr_array_index (names, i),
                                           insteadof, push_insteadof, context));
  g_ptr_array_sort (remotes, compare_remotes);

  git_config_free (config);
  return TRUE;
}

/* libgit2 1.5.1 does not always say GIT_EOWNER: with no safe.directory
 * configured at all it fails with "config value 'safe.directory' was not
 * found" (GIT_ENOTFOUND). Looking at the owner ourselves is the reliable
 * answer, and the one the user can act on. */
static gboolean
owned_by_another_user (const char *git_dir)
{
  g_autofree char *parent = g_path_get_dirname (git_dir);
  GStatBuf info;

  if (g_stat (git_dir, &info) == 0 && info.st_uid != geteuid ())
    return TRUE;
  if (g_str_has_suffix (git_dir, "/.git") && g_stat (parent, &info) == 0 && info.st_uid != geteuid ())
    return TRUE;
  return FALSE;
}

static void
set_open_error (GError     **error,
                int          status,
                const char  *path)
{
  const char *message = last_git_message ();

  if (status == GIT_EOWNER || strstr (message, "safe.directory") != NULL ||
      owned_by_another_user (path))
    {
      g_set_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_NOT_OWNER,
                   _("The repository at “%s” belongs to another user; "
                     "add it to git’s safe.directory to open it"), path);
    }
  else if (strstr (message, "objectformat") != NULL)
    {
      g_set_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_UNSUPPORTED,
                   _("The repository at “%s” uses SHA-256 object names, which are unsupported"),
                   path);
    }
  else if (strstr (message, "extension") != NULL)
    {
      g_set_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_UNSUPPORTED,
                   _("The repository at “%s” uses a git extension that is unsupported (%s)"),
                   path, message);
    }
  else
    {
      g_set_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_UNREADABLE,
                   _("The repository at “%s” could not be read: %s"), path, message);
    }
}

static gpointer
init_libgit2 (gpointer data)
{
  /* Never shut down: each shutdown to zero would drop the extension list
   * below, and init is not cheap enough to pay on every link. */
  const char *extensions[] = { "worktreeconfig" };

  git_libgit2_init ();

  /* git sparse-checkout and per-worktree config set this extension; 1.5
   * refuses such repositories unless told it may ignore config.worktree. */
  if (git_libgit2_opts (GIT_OPT_SET_EXTENSIONS, extensions, G_N_ELEMENTS (extensions)) < 0)
    g_warning ("Could not enable the worktreeconfig extension: %s", last_git_message ());

  return NULL;
}

/*
 * Public API
 */

/**
 * astro_repo_discovery_init:
 *
 * Initializes libgit2 once for the process, with the repository extensions
 * Astrolabe accepts. Every function of src/git/ that opens repositories
 * calls it; calling it again does nothing.
 */
void
astro_repo_discovery_init (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_libgit2, NULL);
}

/**
 * astro_repo_discover:
 * @path: any folder: a work tree, one of its subfolders, a worktree, a
 *   submodule, a bare repository or a folder inside one
 * @context: (nullable): how to resolve ssh aliases; its insteadOf rules are
 *   not used: those of the repository's git configuration apply, as git
 *   would apply them
 * @error: an #ASTRO_DISCOVERY_ERROR
 *
 * Finds the repository @path belongs to, as git would (honouring
 * `GIT_CEILING_DIRECTORIES`, not crossing file systems) and reads the keys
 * of its remotes. Safe to call from any thread.
 *
 * Returns: (transfer full): the repository, or %NULL with @error set
 */
AstroRepoInfo *
astro_repo_discover (const char                *path,
                     const AstroRemoteContext  *context,
                     GError                   **error)
{
  g_autoptr(AstroRepoInfo) info = NULL;
  g_autofree char *start = NULL;
  g_autofree char *git_dir = NULL;
  AstroRemoteContext remote_context = { 0 };
  git_buf found = GIT_BUF_INIT;
  git_repository *repo = NULL;
  const char *workdir;
  gboolean across_fs;
  int status;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  astro_repo_discovery_init ();

  start = g_canonicalize_filename (path, NULL);
  if (!g_file_test (start, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_NOT_A_REPOSITORY,
                   _("“%s” does not exist"), start);
      return NULL;
    }
  if (!g_file_test (start, G_FILE_TEST_IS_DIR))
    {
      char *parent = g_path_get_dirname (start);

      g_free (start);
      start = parent;
    }

  /* discover itself ignores these variables; only FROM_ENV reads them,
   * along with GIT_DIR and others that must not steer a GUI (1.2). Like
   * git, the walk stays on one file system unless told otherwise. */
  across_fs = g_strcmp0 (g_getenv ("GIT_DISCOVERY_ACROSS_FILESYSTEM"), "true") == 0 ||
              g_strcmp0 (g_getenv ("GIT_DISCOVERY_ACROSS_FILESYSTEM"), "1") == 0;
  status = git_repository_discover (&found, start, across_fs, g_getenv ("GIT_CEILING_DIRECTORIES"));
  if (status == GIT_ENOTFOUND)
    {
      g_set_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_NOT_A_REPOSITORY,
                   _("“%s” is not in a git repository"), start);
      return NULL;
    }
  if (status < 0)
    {
      set_open_error (error, status, start);
      return NULL;
    }

  git_dir = strip_trailing_slash (found.ptr);
  git_buf_dispose (&found);

  status = git_repository_open_ext (&repo, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
  if (status < 0)
    {
      set_open_error (error, status, git_dir);
      return NULL;
    }

  info = g_new0 (AstroRepoInfo, 1);
  info->git_dir = g_steal_pointer (&git_dir);
  info->common_dir = strip_trailing_slash (git_repository_commondir (repo));
  info->is_bare = git_repository_is_bare (repo);
  info->is_worktree = git_repository_is_worktree (repo);
  workdir = git_repository_workdir (repo);
  if (workdir != NULL)
    {
      g_autofree char *dot_git = NULL;

      info->workdir = strip_trailing_slash (workdir);
      dot_git = g_build_filename (info->workdir, ".git", NULL);
      info->is_submodule = !info->is_worktree &&
                           g_file_test (dot_git, G_FILE_TEST_IS_REGULAR) &&
                           strstr (info->git_dir, "/modules/") != NULL;
    }
  info->path = g_strdup (info->workdir != NULL ? info->workdir : info->git_dir);
  info->remotes = g_ptr_array_new_with_free_func ((GDestroyNotify) astro_remote_info_free);

  if (context != NULL)
    {
      remote_context.ssh_resolve = context->ssh_resolve;
      remote_context.ssh_resolve_data = context->ssh_resolve_data;
    }

  if (!read_remotes (repo, &remote_context, info->remotes))
    {
      g_set_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_UNREADABLE,
                   _("The remotes of “%s” could not be read: %s"), info->path, last_git_message ());
      git_repository_free (repo);
      return NULL;
    }

  git_repository_free (repo);

  return g_steal_pointer (&info);
}

static AstroRemoteInfo *
remote_info_copy (const AstroRemoteInfo *self,
                  gpointer               user_data)
{
  AstroRemoteInfo *copy = g_new0 (AstroRemoteInfo, 1);

  copy->name = g_strdup (self->name);
  copy->fetch_key = g_strdup (self->fetch_key);
  copy->fetch_written_key = g_strdup (self->fetch_written_key);
  copy->fetch_error = g_strdup (self->fetch_error);
  copy->fetch_display = g_strdup (self->fetch_display);
  copy->push_key = g_strdup (self->push_key);
  copy->push_written_key = g_strdup (self->push_written_key);
  copy->push_display = g_strdup (self->push_display);
  return copy;
}

AstroRepoInfo *
astro_repo_info_copy (const AstroRepoInfo *self)
{
  AstroRepoInfo *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (AstroRepoInfo, 1);
  copy->path = g_strdup (self->path);
  copy->git_dir = g_strdup (self->git_dir);
  copy->common_dir = g_strdup (self->common_dir);
  copy->workdir = g_strdup (self->workdir);
  copy->is_bare = self->is_bare;
  copy->is_worktree = self->is_worktree;
  copy->is_submodule = self->is_submodule;
  copy->remotes = g_ptr_array_copy (self->remotes, (GCopyFunc) remote_info_copy, NULL);
  g_ptr_array_set_free_func (copy->remotes, (GDestroyNotify) astro_remote_info_free);
  return copy;
}

void
astro_repo_info_free (AstroRepoInfo *self)
{
  if (self == NULL)
    return;

  g_free (self->path);
  g_free (self->git_dir);
  g_free (self->common_dir);
  g_free (self->workdir);
  g_clear_pointer (&self->remotes, g_ptr_array_unref);
  g_free (self);
}

void
astro_remote_info_free (AstroRemoteInfo *self)
{
  if (self == NULL)
    return;

  g_free (self->name);
  g_free (self->fetch_key);
  g_free (self->fetch_written_key);
  g_free (self->fetch_error);
  g_free (self->fetch_display);
  g_free (self->push_key);
  g_free (self->push_written_key);
  g_free (self->push_display);
  g_free (self);
}
