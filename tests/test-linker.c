/* test-linker.c: discovery, the linker and the checkout watcher, against real
 * repositories made with git in temporary folders under a temporary HOME,
 * and a real SQLite store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <pwd.h>
#include <glib/gstdio.h>

#include <git2.h>

#include "astro-checkout-watcher.h"
#include "astro-linker.h"
#include "astro-repo-discovery.h"
#include "astro-ssh-resolver.h"

/* Every secret the tests put in a remote contains this. */
#define SECRET "SeCrEt"

static char *test_root;       /* the temporary HOME and everything else */
static char *ssh_config;
static gboolean secret_logged;

typedef struct
{
  char        *dir;
  char        *db_path;
  AstroStore  *store;
  AstroLinker *linker;
  GPtrArray   *relinked;   /* of char *: paths from ::relinked */
} Fixture;

/*
 * Helpers
 */

static GLogWriterOutput
secret_checking_writer (GLogLevelFlags   log_level,
                        const GLogField *fields,
                        gsize            n_fields,
                        gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        strstr (fields[i].value, SECRET) != NULL)
      secret_logged = TRUE;

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
run_argv (const char * const *argv,
          const char         *cwd)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (cwd, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

/* git -C @dir ARGS… */
static void git (const char *dir, ...) G_GNUC_NULL_TERMINATED;

static void
git (const char *dir,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) "git");
  g_ptr_array_add (argv, (gpointer) "-C");
  g_ptr_array_add (argv, (gpointer) dir);
  va_start (args, dir);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  run_argv ((const char * const *) argv->pdata, NULL);
}

static void
remove_tree (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };

  run_argv (argv, NULL);
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
flush_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A repository at @dir/@name with the remotes given as name, URL pairs. */
static char *make_repo (Fixture *fixture, const char *name, ...) G_GNUC_NULL_TERMINATED;

static char *
make_repo (Fixture    *fixture,
           const char *name,
           ...)
{
  char *path = g_build_filename (fixture->dir, name, NULL);
  const char *remote;
  va_list args;

  git (fixture->dir, "init", "-q", name, NULL);
  va_start (args, name);
  while ((remote = va_arg (args, const char *)) != NULL)
    git (path, "remote", "add", remote, va_arg (args, const char *), NULL);
  va_end (args);

  return path;
}

static void
commit_file (const char *repo,
             const char *name,
             const char *contents)
{
  g_autofree char *file = g_build_filename (repo, name, NULL);

  write_file (file, contents);
  git (repo, "add", name, NULL);
  git (repo, "commit", "-q", "-m", name, NULL);
}

static void
wait_for_linker (Fixture *fixture)
{
  flush_main_context ();
  while (fixture->linker != NULL && astro_linker_get_relinking (fixture->linker))
    g_main_context_iteration (NULL, TRUE);
}

static void
add_repository (Fixture    *fixture,
                const char *id,
                const char *name,
                const char *url)
{
  g_autoptr(AstroBatch) batch = astro_batch_new (astro_table_lookup ("repositories"));
  g_autoptr(GError) error = NULL;

  astro_batch_add (batch, ASTRO_CHANGE_INSERT);
  astro_batch_set_value (batch, "id", id);
  astro_batch_set_value (batch, "organization_id", "org-1");
  astro_batch_set_value (batch, "name", name);
  astro_batch_set_value (batch, "url", url);
  astro_store_apply_batch (fixture->store, batch, &error);
  g_assert_no_error (error);

  /* rows-changed arrives through the main context, as in the app, and
   * may start a relink on a worker thread. */
  wait_for_linker (fixture);
}

static void
on_relinked_cb (AstroLinker *linker,
                const char  *path,
                const char  *repository_id,
                Fixture     *fixture)
{
  g_ptr_array_add (fixture->relinked, g_strdup (path));
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *template = g_build_filename (test_root, "case-XXXXXX", NULL);

  fixture->dir = g_mkdtemp (g_steal_pointer (&template));
  g_assert_nonnull (fixture->dir);
  fixture->db_path = g_build_filename (fixture->dir, "astrolabe.db", NULL);
  fixture->store = astro_store_open (fixture->db_path, &error);
  g_assert_no_error (error);
  fixture->relinked = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_linker (Fixture *fixture)
{
  fixture->linker = astro_linker_new (fixture->store);
  astro_linker_set_ssh_resolver (fixture->linker, astro_ssh_resolver_resolve_func,
                                 astro_ssh_resolver_new (ssh_config),
                                 (GDestroyNotify) astro_ssh_resolver_free);
  g_signal_connect (fixture->linker, "relinked", G_CALLBACK (on_relinked_cb), fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  flush_main_context ();
  g_clear_object (&fixture->linker);
  g_clear_object (&fixture->store);
  g_ptr_array_unref (fixture->relinked);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->db_path);
}

static AstroLinkResult *
link_path (Fixture    *fixture,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  AstroLinkResult *result;

  if (fixture->linker == NULL)
    fixture_linker (fixture);

  result = astro_linker_link (fixture->linker, path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static void
assert_linked (AstroLinkResult *result,
               const char      *repository_id,
               const char      *remote_name,
               const char      *remote_key)
{
  if (result->status != ASTRO_LINK_LINKED)
    g_error ("expected linked, got %s (%s)", astro_link_status_to_string (result->status),
             result->reason != NULL ? result->reason : "");
  g_assert_cmpstr (result->repository_id, ==, repository_id);
  g_assert_cmpstr (result->remote_name, ==, remote_name);
  if (remote_key != NULL)
    g_assert_cmpstr (result->remote_key, ==, remote_key);
}

static AstroLocalRepo *
saved_link (Fixture    *fixture,
            const char *path)
{
  g_autoptr(GError) error = NULL;
  AstroLocalRepo *repo = astro_store_get_local_repo (fixture->store, path, &error);

  g_assert_no_error (error);
  return repo;
}

static void
assert_saved (Fixture    *fixture,
              const char *path)
{
  g_autoptr(AstroLocalRepo) repo = saved_link (fixture, path);

  g_assert_nonnull (repo);
}

static guint
n_saved_links (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) repos = astro_store_list_local_repos (fixture->store, &error);

  g_assert_no_error (error);
  return repos->len;
}

/*
 * Linking
 */

static void
test_link_github_https (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "widget", "origin", "https://github.com/Acme/Widget.git", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(AstroLocalRepo) saved = NULL;
  g_autofree char *device_id = NULL;

  add_repository (fixture, "repo-widget", "widget", "https://github.com/acme/widget");
  result = link_path (fixture, repo);

  assert_linked (result, "repo-widget", "origin", "github.com/acme/widget");
  g_assert_cmpstr (result->path, ==, repo);
  g_assert_cmpuint (result->also_matched->len, ==, 0);

  saved = saved_link (fixture, repo);
  g_assert_nonnull (saved);
  device_id = astro_store_dup_device_id (fixture->store);
  g_assert_cmpstr (saved->repository_id, ==, "repo-widget");
  g_assert_cmpstr (saved->remote_name, ==, "origin");
  g_assert_cmpstr (saved->remote_key, ==, "github.com/acme/widget");
  g_assert_cmpstr (saved->device_id, ==, device_id);
  g_assert_nonnull (saved->last_opened_at);
}

static void
test_link_kinds (Fixture       *fixture,
                 gconstpointer  data)
{
  /* remote as written in the checkout, url as the server has it, key */
  static const struct {
    const char *remote;
    const char *url;
    const char *key;
  } kinds[] = {
    { "git@github.com:Acme/Widget.git", "https://github.com/acme/widget", "github.com/acme/widget" },
    { "ssh://git@ssh.github.com:443/acme/gadget", "https://github.com/Acme/Gadget.git", "github.com/acme/gadget" },
    { "git@gitlab.com:Group/Sub/Project.git", "https://gitlab.com/group/sub/project", "gitlab.com/group/sub/project" },
    { "https://gitlab.com/group/sub/deeper/tool.git", "git@gitlab.com:Group/Sub/Deeper/Tool.git", "gitlab.com/group/sub/deeper/tool" },
    { "git@ssh.dev.azure.com:v3/Contoso/Web%20Site/Portal", "https://contoso@dev.azure.com/Contoso/Web%20Site/_git/Portal", "dev.azure.com/contoso/web site/portal" },
    { "https://contoso.visualstudio.com/DefaultCollection/Ops/_git/Infra", "https://dev.azure.com/contoso/Ops/_git/Infra", "dev.azure.com/contoso/ops/infra" },
    { "https://jdoe@bitbucket.org/Team/App.git", "https://bitbucket.org/team/app", "bitbucket.org/team/app" },
    { "ssh://git@git.corp.example.com:2222/Team/Tool.git", "ssh://git@git.corp.example.com:2222/Team/Tool", "git.corp.example.com:2222/Team/Tool" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *id = g_strdup_printf ("repo-%u", i);
      g_autofree char *name = g_strdup_printf ("kind-%u", i);

      add_repository (fixture, id, name, kinds[i].url);
    }

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *id = g_strdup_printf ("repo-%u", i);
      g_autofree char *name = g_strdup_printf ("kind-%u", i);
      g_autofree char *repo = make_repo (fixture, name, "origin", kinds[i].remote, NULL);
      g_autoptr(AstroLinkResult) result = link_path (fixture, repo);

      assert_linked (result, id, "origin", kinds[i].key);
    }
}

static void
test_link_insteadof (Fixture       *fixture,
                     gconstpointer  data)
{
  /* ~/.gitconfig (the temporary HOME's) has gh: → git@github.com: */
  g_autofree char *repo = make_repo (fixture, "short", "origin", "gh:Acme/Widget.git", NULL);
  g_autoptr(AstroLinkResult) result = NULL;

  add_repository (fixture, "repo-widget", "widget", "https://github.com/acme/widget.git");
  result = link_path (fixture, repo);

  assert_linked (result, "repo-widget", "origin", "github.com/acme/widget");
  g_assert_cmpstr (((AstroRemoteInfo *) g_ptr_array_index (result->repo->remotes, 0))->fetch_display,
                   ==, "git@github.com:Acme/Widget.git");
}

static void
test_link_ssh_alias (Fixture       *fixture,
                     gconstpointer  data)
{
  /* The temporary ssh config maps Host github-work to github.com. */
  g_autofree char *repo = make_repo (fixture, "work", "origin", "git@github-work:Acme/Widget.git", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  AstroRemoteInfo *origin;

  add_repository (fixture, "repo-widget", "widget", "https://github.com/acme/widget");
  result = link_path (fixture, repo);

  assert_linked (result, "repo-widget", "origin", "github.com/acme/widget");
  origin = g_ptr_array_index (result->repo->remotes, 0);
  g_assert_cmpstr (origin->fetch_written_key, ==, "github-work/Acme/Widget");
}

static void
test_link_several_remotes (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "many",
                                     "origin", "https://gitlab.example.com/me/many.git",
                                     "backup", "git@bitbucket.org:team/many.git",
                                     "mirror", "https://example.org/elsewhere/many",
                                     NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  GPtrArray *remotes;

  add_repository (fixture, "repo-many", "many", "https://bitbucket.org/team/many");
  result = link_path (fixture, repo);

  assert_linked (result, "repo-many", "backup", "bitbucket.org/team/many");

  /* origin first, then by name */
  remotes = result->repo->remotes;
  g_assert_cmpuint (remotes->len, ==, 3);
  g_assert_cmpstr (((AstroRemoteInfo *) g_ptr_array_index (remotes, 0))->name, ==, "origin");
  g_assert_cmpstr (((AstroRemoteInfo *) g_ptr_array_index (remotes, 1))->name, ==, "backup");
  g_assert_cmpstr (((AstroRemoteInfo *) g_ptr_array_index (remotes, 2))->name, ==, "mirror");
}

static void
test_link_fork (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "fork",
                                     "upstream", "https://github.com/acme/widget.git",
                                     "origin", "git@github.com:me/widget.git",
                                     NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(AstroLinkResult) again = NULL;
  AstroLinkCandidate *other;

  /* Only the project is known: upstream links it. */
  add_repository (fixture, "repo-widget", "widget", "https://github.com/acme/widget");
  result = link_path (fixture, repo);
  assert_linked (result, "repo-widget", "upstream", "github.com/acme/widget");
  g_clear_pointer (&result, astro_link_result_free);

  /* Both known: a new checkout links to origin, the fork, and says the
   * project matched too. */
  add_repository (fixture, "repo-fork", "widget (fork)", "https://github.com/me/widget");
  g_assert_true (astro_linker_unlink (fixture->linker, repo, NULL));
  result = link_path (fixture, repo);
  assert_linked (result, "repo-fork", "origin", "github.com/me/widget");
  g_assert_cmpuint (result->also_matched->len, ==, 1);
  other = g_ptr_array_index (result->also_matched, 0);
  g_assert_cmpstr (other->repository_id, ==, "repo-widget");
  g_assert_cmpstr (other->remote_name, ==, "upstream");

  /* "Link to the project instead" sticks on the next open. */
  g_clear_pointer (&result, astro_link_result_free);
  result = link_path (fixture, repo);
  again = astro_linker_choose (fixture->linker, result, "repo-widget", NULL);
  assert_linked (again, "repo-widget", "upstream", NULL);
  g_clear_pointer (&result, astro_link_result_free);
  result = link_path (fixture, repo);
  assert_linked (result, "repo-widget", "upstream", NULL);
}

static void
test_link_ambiguous (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "shared", "origin", "https://github.com/acme/shared", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(AstroLinkResult) chosen = NULL;
  g_autoptr(GError) error = NULL;

  /* The same repository in two organizations. */
  add_repository (fixture, "repo-a", "shared", "https://github.com/acme/shared.git");
  add_repository (fixture, "repo-b", "shared", "git@github.com:Acme/Shared.git");

  result = link_path (fixture, repo);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_AMBIGUOUS);
  g_assert_cmpuint (result->candidates->len, ==, 2);
  g_assert_null (result->repository_id);
  g_assert_cmpuint (n_saved_links (fixture), ==, 0);

  g_assert_null (astro_linker_choose (fixture->linker, result, "repo-elsewhere", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);

  chosen = astro_linker_choose (fixture->linker, result, "repo-b", NULL);
  assert_linked (chosen, "repo-b", "origin", "github.com/acme/shared");
  g_assert_cmpuint (n_saved_links (fixture), ==, 1);

  /* The choice holds on the next open. */
  g_clear_pointer (&result, astro_link_result_free);
  result = link_path (fixture, repo);
  assert_linked (result, "repo-b", "origin", NULL);
}

static void
test_link_ambiguous_other_remotes (Fixture       *fixture,
                                   gconstpointer  data)
{
  /* Neither origin nor upstream match; two other remotes match two
   * repositories. Their names must not decide. */
  g_autofree char *repo = make_repo (fixture, "two",
                                     "origin", "https://example.org/nobody/two",
                                     "alpha", "https://github.com/acme/alpha",
                                     "beta", "https://github.com/acme/beta",
                                     NULL);
  g_autoptr(AstroLinkResult) result = NULL;

  add_repository (fixture, "repo-alpha", "alpha", "https://github.com/acme/alpha");
  add_repository (fixture, "repo-beta", "beta", "https://github.com/acme/beta");

  result = link_path (fixture, repo);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_AMBIGUOUS);
  g_assert_cmpuint (result->candidates->len, ==, 2);
  g_assert_cmpstr (((AstroLinkCandidate *) g_ptr_array_index (result->candidates, 0))->remote_name, ==, "alpha");
  g_assert_cmpstr (((AstroLinkCandidate *) g_ptr_array_index (result->candidates, 1))->remote_name, ==, "beta");
}

static void
test_link_worktree (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "main", "origin", "https://github.com/acme/widget", NULL);
  g_autofree char *worktree = g_build_filename (fixture->dir, "feature-tree", NULL);
  g_autoptr(AstroLinkResult) result = NULL;

  commit_file (repo, "README", "hello\n");
  git (repo, "worktree", "add", "-q", "-b", "feature", worktree, NULL);
  add_repository (fixture, "repo-widget", "widget", "https://github.com/acme/widget");

  result = link_path (fixture, worktree);
  assert_linked (result, "repo-widget", "origin", NULL);
  g_assert_cmpstr (result->path, ==, worktree);
  g_assert_true (result->repo->is_worktree);
  g_assert_false (result->repo->is_submodule);
  g_assert_cmpstr (result->repo->workdir, ==, worktree);
  assert_saved (fixture, worktree);
}

static void
test_link_submodule (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *library = make_repo (fixture, "library", "origin", "git@gitlab.com:Group/Library.git", NULL);
  g_autofree char *super = make_repo (fixture, "super", "origin", "https://github.com/acme/app", NULL);
  g_autofree char *sub = g_build_filename (super, "vendor", "library", NULL);
  g_autofree char *inside = g_build_filename (sub, "src", NULL);
  g_autoptr(AstroLinkResult) result = NULL;

  commit_file (library, "lib.c", "int x;\n");
  git (super, "submodule", "add", "-q", library, "vendor/library", NULL);
  git (sub, "remote", "set-url", "origin", "git@gitlab.com:Group/Library.git", NULL);
  g_mkdir_with_parents (inside, 0755);

  add_repository (fixture, "repo-app", "app", "https://github.com/acme/app");
  add_repository (fixture, "repo-library", "library", "https://gitlab.com/group/library");

  result = link_path (fixture, inside);
  assert_linked (result, "repo-library", "origin", "gitlab.com/group/library");
  g_assert_cmpstr (result->path, ==, sub);
  g_assert_true (result->repo->is_submodule);
  g_clear_pointer (&result, astro_link_result_free);

  result = link_path (fixture, super);
  assert_linked (result, "repo-app", "origin", "github.com/acme/app");
  g_assert_false (result->repo->is_submodule);
}

static void
test_link_subfolder (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "deep", "origin", "https://github.com/acme/deep", NULL);
  g_autofree char *folder = g_build_filename (repo, "src", "a", "b", NULL);
  g_autoptr(AstroLinkResult) result = NULL;

  g_mkdir_with_parents (folder, 0755);
  add_repository (fixture, "repo-deep", "deep", "https://github.com/acme/deep");

  result = link_path (fixture, folder);
  assert_linked (result, "repo-deep", "origin", NULL);
  g_assert_cmpstr (result->path, ==, repo);
  assert_saved (fixture, repo);
  g_assert_cmpuint (n_saved_links (fixture), ==, 1);
}

static void
test_link_bare (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *bare = g_build_filename (fixture->dir, "mirror.git", NULL);
  g_autofree char *refs = g_build_filename (bare, "refs", "heads", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(AstroLinkResult) inside = NULL;

  git (fixture->dir, "init", "-q", "--bare", "mirror.git", NULL);
  git (bare, "remote", "add", "origin", "https://github.com/acme/mirror.git", NULL);
  add_repository (fixture, "repo-mirror", "mirror", "https://github.com/acme/mirror");

  result = link_path (fixture, bare);
  assert_linked (result, "repo-mirror", "origin", NULL);
  g_assert_true (result->repo->is_bare);
  g_assert_null (result->repo->workdir);
  g_assert_cmpstr (result->path, ==, bare);

  inside = link_path (fixture, refs);
  assert_linked (inside, "repo-mirror", "origin", NULL);
  g_assert_cmpstr (inside->path, ==, bare);
}

static void
test_link_not_a_repository (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *plain = g_build_filename (fixture->dir, "plain", NULL);
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  g_autoptr(AstroLinkResult) result = NULL;

  g_mkdir (plain, 0755);

  /* The temporary folders could sit inside someone's repository. */
  g_setenv ("GIT_CEILING_DIRECTORIES", fixture->dir, TRUE);
  result = link_path (fixture, plain);
  g_unsetenv ("GIT_CEILING_DIRECTORIES");

  g_assert_cmpint (result->status, ==, ASTRO_LINK_NOT_A_REPOSITORY);
  g_assert_cmpint (result->error_code, ==, ASTRO_DISCOVERY_ERROR_NOT_A_REPOSITORY);
  g_assert_nonnull (strstr (result->reason, "not in a git repository"));
  g_assert_null (result->path);
  g_clear_pointer (&result, astro_link_result_free);

  result = link_path (fixture, missing);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_NOT_A_REPOSITORY);
  g_assert_nonnull (strstr (result->reason, "does not exist"));

  g_assert_cmpuint (n_saved_links (fixture), ==, 0);
}

static gboolean
bytes_contain (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  gsize needle_length = strlen (needle);

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  for (gsize i = 0; i + needle_length <= length; i++)
    if (memcmp (contents + i, needle, needle_length) == 0)
      return TRUE;
  return FALSE;
}

static void
test_link_credentials (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "tokens",
                                     "origin", "https://x-access-token:ghp_" SECRET "1@github.com/Acme/Widget.git",
                                     "gitlab", "https://oauth2:glpat-" SECRET "2@gitlab.com/group/widget.git?private_token=" SECRET "3",
                                     NULL);
  g_autofree char *other = make_repo (fixture, "private",
                                      "origin", "https://deploy:" SECRET "4@git.example.com/team/private.git",
                                      NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(AstroLinkResult) local = NULL;
  g_autoptr(AstroStore) reopened = NULL;
  g_autoptr(GPtrArray) links = NULL;
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  git (repo, "remote", "set-url", "--push", "origin", "https://me:" SECRET "5@github.com/acme/widget.git", NULL);
  add_repository (fixture, "repo-widget", "widget", "https://github.com/acme/widget");

  secret_logged = FALSE;
  result = link_path (fixture, repo);
  assert_linked (result, "repo-widget", "origin", "github.com/acme/widget");
  local = link_path (fixture, other);
  g_assert_cmpint (local->status, ==, ASTRO_LINK_LOCAL_ONLY);

  /* What the UI may show is redacted. */
  for (guint i = 0; i < result->repo->remotes->len; i++)
    {
      AstroRemoteInfo *remote = g_ptr_array_index (result->repo->remotes, i);

      g_assert_null (strstr (remote->fetch_display, SECRET));
      g_assert_true (remote->push_display == NULL || strstr (remote->push_display, SECRET) == NULL);
    }

  /* No key has userinfo (git-remotes.md 4.3). */
  links = astro_store_list_local_repos (fixture->store, NULL);
  for (guint i = 0; i < links->len; i++)
    {
      AstroLocalRepo *link = g_ptr_array_index (links, i);
      const char *key = link->remote_key;

      if (key != NULL)
        {
          const char *slash = strchr (key, '/');
          const char *at = strchr (key, '@');

          g_assert_true (at == NULL || (slash != NULL && at > slash));
        }
    }

  /* Nothing of any token reached the database files. */
  g_clear_object (&fixture->linker);
  g_clear_object (&fixture->store);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (fixture->db_path, suffixes[i], NULL);

      g_assert_false (bytes_contain (file, SECRET));
    }
  {
    g_autofree char *wal = g_strconcat (fixture->db_path, "-wal", NULL);

    /* and the test would see one if it were there */
    g_assert_true (bytes_contain (fixture->db_path, "github.com/acme/widget") ||
                   bytes_contain (wal, "github.com/acme/widget"));
  }
  g_assert_false (secret_logged);
}

static void
test_link_relink (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "later", "origin", "git@github.com:acme/later.git", NULL);
  g_autofree char *unrelated = make_repo (fixture, "unrelated", "origin", "https://github.com/acme/unrelated", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(AstroLocalRepo) saved = NULL;
  g_autoptr(GError) error = NULL;
  guint n_keys;

  /* Nothing matches yet: a local-only project, saved without a repository. */
  result = link_path (fixture, repo);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_LOCAL_ONLY);
  saved = saved_link (fixture, repo);
  g_assert_nonnull (saved);
  g_assert_null (saved->repository_id);
  g_clear_pointer (&saved, astro_local_repo_free);
  g_clear_pointer (&result, astro_link_result_free);
  result = link_path (fixture, unrelated);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_LOCAL_ONLY);

  /* The repository arrives through the store: linked on its own. */
  n_keys = astro_linker_get_n_keys (fixture->linker);
  add_repository (fixture, "repo-later", "later", "https://github.com/acme/later");
  g_assert_cmpuint (astro_linker_get_n_keys (fixture->linker), ==, n_keys + 1);
  saved = saved_link (fixture, repo);
  g_assert_cmpstr (saved->repository_id, ==, "repo-later");
  g_assert_cmpstr (saved->remote_name, ==, "origin");
  g_assert_cmpstr (saved->remote_key, ==, "github.com/acme/later");
  g_assert_cmpuint (fixture->relinked->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->relinked, 0), ==, repo);
  g_clear_pointer (&saved, astro_local_repo_free);

  saved = saved_link (fixture, unrelated);
  g_assert_null (saved->repository_id);
  g_clear_pointer (&saved, astro_local_repo_free);

  /* Signing out clears the synced rows; the link stays for a later sign-in. */
  astro_store_clear_synced (fixture->store, &error);
  g_assert_no_error (error);
  flush_main_context ();
  g_assert_cmpuint (astro_linker_get_n_keys (fixture->linker), ==, 0);
  saved = saved_link (fixture, repo);
  g_assert_cmpstr (saved->repository_id, ==, "repo-later");
  g_clear_pointer (&saved, astro_local_repo_free);

  /* Opened while signed out: local-only for now, the old link is kept. */
  g_clear_pointer (&result, astro_link_result_free);
  result = link_path (fixture, repo);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_LOCAL_ONLY);
  saved = saved_link (fixture, repo);
  g_assert_cmpstr (saved->repository_id, ==, "repo-later");
  g_clear_pointer (&saved, astro_local_repo_free);

  /* Another user signs in: their copy of the repository has another id. */
  add_repository (fixture, "other-user-later", "later", "https://github.com/Acme/Later.git");
  saved = saved_link (fixture, repo);
  g_assert_cmpstr (saved->repository_id, ==, "other-user-later");
  g_assert_cmpuint (fixture->relinked->len, ==, 2);
}

/* Repositories that arrived while no linker listened (astrolabe-ctl sync
 * while the app was closed): a relink at start-up links the folder, with
 * discovery on a worker thread, the link saved on the writing thread, and
 * nothing done before the main loop runs */
static void
test_link_relink_at_start (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "offline", "origin", "https://github.com/acme/offline", NULL);
  g_autoptr(AstroLinkResult) result = link_path (fixture, repo);
  g_autoptr(AstroLocalRepo) saved = NULL;

  g_assert_cmpint (result->status, ==, ASTRO_LINK_LOCAL_ONLY);
  g_clear_object (&fixture->linker);
  add_repository (fixture, "repo-offline", "offline", "https://github.com/acme/offline");
  fixture_linker (fixture);

  astro_linker_relink_in_background (fixture->linker);
  g_assert_true (astro_linker_get_relinking (fixture->linker));
  saved = saved_link (fixture, repo);
  g_assert_null (saved->repository_id);
  g_clear_pointer (&saved, astro_local_repo_free);

  wait_for_linker (fixture);
  saved = saved_link (fixture, repo);
  g_assert_cmpstr (saved->repository_id, ==, "repo-offline");
  g_assert_cmpuint (fixture->relinked->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->relinked, 0), ==, repo);

  /* Nothing left to link: no relink starts. */
  astro_linker_relink_in_background (fixture->linker);
  g_assert_false (astro_linker_get_relinking (fixture->linker));
}

static void
test_link_index_updates (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "moved", "origin", "https://github.com/acme/new-name", NULL);
  g_autoptr(AstroBatch) batch = astro_batch_new (astro_table_lookup ("repositories"));
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(GError) error = NULL;

  add_repository (fixture, "repo-moved", "moved", "https://github.com/acme/old-name");
  add_repository (fixture, "repo-gone", "gone", "https://github.com/acme/gone");
  fixture_linker (fixture);
  g_assert_cmpuint (astro_linker_get_n_keys (fixture->linker), ==, 2);

  result = link_path (fixture, repo);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_LOCAL_ONLY);
  g_clear_pointer (&result, astro_link_result_free);

  /* A rename on the server updates the row: the index follows, and the
   * local-only folder links. */
  astro_batch_add (batch, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (batch, "id", "repo-moved");
  astro_batch_set_value (batch, "url", "https://github.com/acme/new-name");
  astro_batch_add (batch, ASTRO_CHANGE_DELETE);
  astro_batch_set_value (batch, "id", "repo-gone");
  astro_store_apply_batch (fixture->store, batch, &error);
  g_assert_no_error (error);
  wait_for_linker (fixture);

  g_assert_cmpuint (astro_linker_get_n_keys (fixture->linker), ==, 1);
  g_assert_cmpuint (fixture->relinked->len, ==, 1);
  result = link_path (fixture, repo);
  assert_linked (result, "repo-moved", "origin", "github.com/acme/new-name");
}

static void
test_unlink (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "bye", "origin", "https://github.com/acme/bye", NULL);
  g_autofree char *folder = g_build_filename (repo, "docs", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_mkdir (folder, 0755);
  add_repository (fixture, "repo-bye", "bye", "https://github.com/acme/bye");
  result = link_path (fixture, repo);
  assert_linked (result, "repo-bye", "origin", NULL);
  g_assert_cmpuint (n_saved_links (fixture), ==, 1);

  /* From a subfolder too */
  g_assert_true (astro_linker_unlink (fixture->linker, folder, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_saved_links (fixture), ==, 0);

  g_assert_false (astro_linker_unlink (fixture->linker, repo, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A folder that is gone can still be unlinked. */
  g_clear_pointer (&result, astro_link_result_free);
  result = link_path (fixture, repo);
  remove_tree (repo);
  g_assert_true (astro_linker_unlink (fixture->linker, repo, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_saved_links (fixture), ==, 0);
}

static void
on_linked_cb (GObject      *source,
              GAsyncResult *async_result,
              gpointer      user_data)
{
  AstroLinkResult **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = astro_linker_link_finish (ASTRO_LINKER (source), async_result, &error);
  g_assert_no_error (error);
}

typedef struct
{
  gboolean  done;
  gboolean  unlinked;
  GError   *error;
} Unlinked;

static void
on_unlinked_cb (GObject      *source,
                GAsyncResult *async_result,
                gpointer      user_data)
{
  Unlinked *out = user_data;

  out->unlinked = astro_linker_unlink_finish (ASTRO_LINKER (source), async_result, &out->error);
  out->done = TRUE;
}

typedef struct
{
  AstroLinkResult *result;
  GError          *error;
  gboolean         done;
} Chosen;

static void
on_chosen_cb (GObject      *source,
              GAsyncResult *async_result,
              gpointer      user_data)
{
  Chosen *out = user_data;

  out->result = astro_linker_choose_finish (ASTRO_LINKER (source), async_result, &out->error);
  out->done = TRUE;
}

/* The window's choice between repositories: saved on the writing thread */
static void
test_choose_async (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "shared", "origin", "https://github.com/acme/shared", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(AstroLocalRepo) saved = NULL;
  Chosen wrong = { 0, }, chosen = { 0, };

  add_repository (fixture, "repo-a", "shared", "https://github.com/acme/shared.git");
  add_repository (fixture, "repo-b", "shared", "git@github.com:Acme/Shared.git");
  result = link_path (fixture, repo);
  g_assert_cmpint (result->status, ==, ASTRO_LINK_AMBIGUOUS);

  astro_linker_choose_async (fixture->linker, result, "repo-elsewhere", on_chosen_cb, &wrong);
  while (!wrong.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (wrong.result);
  g_assert_error (wrong.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&wrong.error);
  g_assert_cmpuint (n_saved_links (fixture), ==, 0);

  astro_linker_choose_async (fixture->linker, result, "repo-b", on_chosen_cb, &chosen);
  while (!chosen.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (chosen.error);
  assert_linked (chosen.result, "repo-b", "origin", "github.com/acme/shared");
  g_clear_pointer (&chosen.result, astro_link_result_free);
  saved = saved_link (fixture, repo);
  g_assert_cmpstr (saved->repository_id, ==, "repo-b");
}

/* The window's unlink: forgotten on the store's writing thread */
static void
test_unlink_async (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "later", "origin", "https://github.com/acme/later", NULL);
  g_autoptr(AstroLinkResult) result = NULL;
  Unlinked first = { 0, }, again = { 0, };

  add_repository (fixture, "repo-later", "later", "https://github.com/acme/later");
  result = link_path (fixture, repo);
  assert_linked (result, "repo-later", "origin", NULL);

  astro_linker_unlink_async (fixture->linker, repo, on_unlinked_cb, &first);
  while (!first.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (first.error);
  g_assert_true (first.unlinked);
  g_assert_cmpuint (n_saved_links (fixture), ==, 0);

  astro_linker_unlink_async (fixture->linker, repo, on_unlinked_cb, &again);
  while (!again.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (again.unlinked);
  g_assert_error (again.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&again.error);
}

static void
test_link_async (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "async", "origin", "git@github-work:acme/async.git", NULL);
  g_autoptr(AstroLinkResult) result = NULL;

  add_repository (fixture, "repo-async", "async", "https://github.com/acme/async");
  fixture_linker (fixture);
  astro_linker_link_async (fixture->linker, repo, NULL, on_linked_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  assert_linked (result, "repo-async", "origin", "github.com/acme/async");
  assert_saved (fixture, repo);
}

/*
 * Discovery
 */

/* Discovery reads remotes and applies insteadOf itself (libgit2 1.5.1's
 * remote lookup leaks): it must agree with git_remote_url() and
 * git_remote_pushurl() on every kind of rule. */
static void
test_discovery_insteadof_like_libgit2 (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "rules",
                                     "short", "gh:Org/Repo.git",
                                     "corp-gh", "corp:gh/tool.git",
                                     "corp", "corp:team/x.git",
                                     "pushrule", "https://github.com/Org/Repo.git",
                                     "upper", "GH:org/repo",
                                     "dotted.name", "glx:group/project",
                                     "plain", "https://example.org/plain.git",
                                     NULL);
  g_autoptr(AstroRepoInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  git_repository *git_repo = NULL;

  git (repo, "config", "url.ssh://git@git.corp.example.com:2222/.insteadOf", "corp:", NULL);
  git (repo, "config", "url.https://github.com/acme/.insteadOf", "corp:gh/", NULL);
  git (repo, "config", "url.https://gitlab.example.com/.insteadOf", "glx:", NULL);
  git (repo, "remote", "add", "explicit", "https://example.org/fetch.git", NULL);
  git (repo, "remote", "set-url", "--push", "explicit", "gh:Org/push.git", NULL);

  info = astro_repo_discover (repo, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->remotes->len, ==, 8);

  g_assert_cmpint (git_repository_open (&git_repo, repo), ==, 0);
  for (guint i = 0; i < info->remotes->len; i++)
    {
      AstroRemoteInfo *ours = g_ptr_array_index (info->remotes, i);
      git_remote *remote = NULL;
      g_autofree char *url = NULL;
      g_autofree char *push_url = NULL;

      g_assert_cmpint (git_remote_lookup (&remote, git_repo, ours->name), ==, 0);
      url = astro_remote_url_redact (git_remote_url (remote));
      g_assert_cmpstr (ours->fetch_display, ==, url);
      if (git_remote_pushurl (remote) != NULL && g_strcmp0 (git_remote_pushurl (remote), git_remote_url (remote)) != 0)
        push_url = astro_remote_url_redact (git_remote_pushurl (remote));
      g_assert_cmpstr (ours->push_display, ==, push_url);
      git_remote_free (remote);
    }
  git_repository_free (git_repo);

  /* the verified examples of git-remotes.md 1.1 */
  for (guint i = 0; i < info->remotes->len; i++)
    {
      AstroRemoteInfo *ours = g_ptr_array_index (info->remotes, i);

      if (g_str_equal (ours->name, "corp-gh"))
        g_assert_cmpstr (ours->fetch_display, ==, "https://github.com/acme/tool.git");
      else if (g_str_equal (ours->name, "explicit"))
        g_assert_cmpstr (ours->push_display, ==, "git@github.com:Org/push.git");
      else if (g_str_equal (ours->name, "pushrule"))
        g_assert_cmpstr (ours->push_display, ==, "git@github.com:Org/Repo.git");
      else if (g_str_equal (ours->name, "upper"))
        g_assert_cmpstr (ours->fetch_display, ==, "GH:org/repo");
      else if (g_str_equal (ours->name, "dotted.name"))
        g_assert_cmpstr (ours->fetch_key, ==, "gitlab.example.com/group/project");
    }
}

static void
test_discovery_ceiling (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "ceiling", NULL);
  g_autofree char *deep = g_build_filename (repo, "src", "deep", NULL);
  g_autoptr(AstroRepoInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (deep, 0755);

  g_setenv ("GIT_CEILING_DIRECTORIES", repo, TRUE);
  info = astro_repo_discover (deep, NULL, &error);
  g_unsetenv ("GIT_CEILING_DIRECTORIES");
  g_assert_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_NOT_A_REPOSITORY);
  g_assert_null (info);
  g_clear_error (&error);

  info = astro_repo_discover (deep, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->path, ==, repo);
  g_assert_cmpuint (info->remotes->len, ==, 0);
}

static void
test_discovery_extensions (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *sparse = make_repo (fixture, "sparse", "origin", "https://github.com/acme/sparse", NULL);
  g_autofree char *sha256 = g_build_filename (fixture->dir, "sha256", NULL);
  g_autoptr(AstroRepoInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  /* What git sparse-checkout and per-worktree config leave behind */
  git (sparse, "config", "core.repositoryformatversion", "1", NULL);
  git (sparse, "config", "extensions.worktreeConfig", "true", NULL);
  info = astro_repo_discover (sparse, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->remotes->len, ==, 1);

  git (fixture->dir, "init", "-q", "--object-format=sha256", "sha256", NULL);
  g_clear_pointer (&info, astro_repo_info_free);
  info = astro_repo_discover (sha256, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "SHA-256"));
}

static void
test_discovery_unreadable (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "broken", NULL);
  g_autofree char *config = g_build_filename (repo, ".git", "config", NULL);
  g_autoptr(AstroRepoInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  write_file (config, "[core\n\tthis is not a config file\n");
  info = astro_repo_discover (repo, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_UNREADABLE);
}

static void
test_discovery_owner (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *repo = NULL;
  g_autoptr(AstroRepoInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  struct passwd *nobody = getpwnam ("nobody");

  if (geteuid () != 0 || nobody == NULL)
    {
      g_test_skip ("Making a repository owned by another user needs root");
      return;
    }

  repo = make_repo (fixture, "theirs", "origin", "https://github.com/acme/theirs", NULL);
  {
    g_autofree char *owner = g_strdup_printf ("%u", (guint) nobody->pw_uid);
    const char *argv[] = { "chown", "-R", owner, repo, NULL };

    run_argv (argv, NULL);
  }

  info = astro_repo_discover (repo, NULL, &error);
  if (info != NULL)
    {
      /* libgit2 lets root open anything */
      g_test_skip ("This libgit2 does not check ownership for root");
      return;
    }
  g_assert_error (error, ASTRO_DISCOVERY_ERROR, ASTRO_DISCOVERY_ERROR_NOT_OWNER);
}

/*
 * The checkout watcher
 */

typedef gboolean (*WatchCheck) (AstroCheckoutWatcher *watcher,
                                gconstpointer         data);

typedef struct
{
  GMainLoop  *loop;
  WatchCheck  check;
  gconstpointer data;
} Wait;

static void
on_status_changed_cb (AstroCheckoutWatcher *watcher,
                      Wait                 *wait)
{
  if (wait->check (watcher, wait->data))
    g_main_loop_quit (wait->loop);
}

static gboolean
on_wait_timeout_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @check holds or @timeout_ms pass; returns how
 * long it took, in ms, or -1 on timeout. */
static double
wait_for (AstroCheckoutWatcher *watcher,
          WatchCheck            check,
          gconstpointer         data,
          guint                 timeout_ms)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Wait wait = { loop, check, data };
  gint64 start = g_get_monotonic_time ();
  gulong handler;
  guint timeout;

  if (check (watcher, data))
    return 0;

  handler = g_signal_connect (watcher, "status-changed", G_CALLBACK (on_status_changed_cb), &wait);
  timeout = g_timeout_add (timeout_ms, on_wait_timeout_cb, loop);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (watcher, handler);

  if (!check (watcher, data))
    return -1;
  g_source_remove (timeout);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static gboolean
is_ready (AstroCheckoutWatcher *watcher,
          gconstpointer         data)
{
  return astro_checkout_watcher_get_ready (watcher);
}

static gboolean
head_differs (AstroCheckoutWatcher *watcher,
              gconstpointer         data)
{
  return g_strcmp0 (astro_checkout_watcher_get_head (watcher), data) != 0;
}

static gboolean
uncommitted_is (AstroCheckoutWatcher *watcher,
                gconstpointer         data)
{
  return astro_checkout_watcher_get_uncommitted (watcher) == GPOINTER_TO_UINT (data);
}

static gboolean
branch_is (AstroCheckoutWatcher *watcher,
           gconstpointer         data)
{
  return g_strcmp0 (astro_checkout_watcher_get_branch (watcher), data) == 0;
}

static gboolean
ahead_is (AstroCheckoutWatcher *watcher,
          gconstpointer         data)
{
  return astro_checkout_watcher_get_has_upstream (watcher) &&
         astro_checkout_watcher_get_ahead (watcher) == GPOINTER_TO_UINT (data);
}

static gboolean
behind_is (AstroCheckoutWatcher *watcher,
           gconstpointer         data)
{
  return astro_checkout_watcher_get_behind (watcher) == GPOINTER_TO_UINT (data);
}

static gboolean
is_detached (AstroCheckoutWatcher *watcher,
             gconstpointer         data)
{
  return astro_checkout_watcher_get_detached (watcher);
}

#define WITHIN_A_SECOND 1000

static void
test_watcher (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "watched", NULL);
  g_autofree char *file = g_build_filename (repo, "notes.txt", NULL);
  g_autoptr(AstroCheckoutWatcher) watcher = NULL;
  g_autofree char *first_head = NULL;
  g_autofree char *status = NULL;
  double ms;

  commit_file (repo, "README", "hello\n");
  watcher = astro_checkout_watcher_new (repo);
  g_assert_cmpfloat (wait_for (watcher, is_ready, NULL, 5000), >=, 0);
  g_assert_cmpstr (astro_checkout_watcher_get_branch (watcher), ==, "main");
  g_assert_false (astro_checkout_watcher_get_detached (watcher));
  g_assert_cmpuint (astro_checkout_watcher_get_uncommitted (watcher), ==, 0);
  g_assert_false (astro_checkout_watcher_get_has_upstream (watcher));
  g_assert_null (astro_checkout_watcher_get_error (watcher));
  first_head = g_strdup (astro_checkout_watcher_get_head (watcher));
  g_assert_nonnull (first_head);

  /* A staged change */
  write_file (file, "one\n");
  git (repo, "add", "notes.txt", NULL);
  ms = wait_for (watcher, uncommitted_is, GUINT_TO_POINTER (1), WITHIN_A_SECOND);
  g_test_message ("staged change seen after %.0f ms", ms);
  g_assert_cmpfloat (ms, >=, 0);

  /* A commit */
  git (repo, "commit", "-q", "-m", "notes", NULL);
  ms = wait_for (watcher, head_differs, first_head, WITHIN_A_SECOND);
  g_test_message ("commit seen after %.0f ms", ms);
  g_assert_cmpfloat (ms, >=, 0);
  g_assert_cmpfloat (wait_for (watcher, uncommitted_is, GUINT_TO_POINTER (0), WITHIN_A_SECOND), >=, 0);

  /* A new branch */
  git (repo, "checkout", "-q", "-b", "feature/watch", NULL);
  ms = wait_for (watcher, branch_is, "feature/watch", WITHIN_A_SECOND);
  g_test_message ("new branch seen after %.0f ms", ms);
  g_assert_cmpfloat (ms, >=, 0);

  status = astro_checkout_watcher_dup_git_status (watcher);
  g_assert_cmpstr (status, ==, "{\"uncommitted\":0,\"ahead\":0,\"behind\":0}");
}

static void
test_watcher_upstream (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *origin = make_repo (fixture, "origin", NULL);
  g_autofree char *clone = g_build_filename (fixture->dir, "clone", NULL);
  g_autoptr(AstroCheckoutWatcher) watcher = NULL;
  g_autofree char *status = NULL;
  double ms;

  commit_file (origin, "README", "hello\n");
  git (fixture->dir, "clone", "-q", origin, clone, NULL);

  watcher = astro_checkout_watcher_new (clone);
  g_assert_cmpfloat (wait_for (watcher, is_ready, NULL, 5000), >=, 0);
  g_assert_true (astro_checkout_watcher_get_has_upstream (watcher));
  g_assert_cmpuint (astro_checkout_watcher_get_ahead (watcher), ==, 0);

  commit_file (clone, "mine", "mine\n");
  ms = wait_for (watcher, ahead_is, GUINT_TO_POINTER (1), WITHIN_A_SECOND);
  g_test_message ("ahead seen after %.0f ms", ms);
  g_assert_cmpfloat (ms, >=, 0);

  /* The remote moves on and a fetch brings it: one behind. */
  commit_file (origin, "theirs", "theirs\n");
  git (clone, "fetch", "-q", NULL);
  g_assert_cmpfloat (wait_for (watcher, ahead_is, GUINT_TO_POINTER (1), WITHIN_A_SECOND), >=, 0);
  g_assert_cmpfloat (wait_for (watcher, behind_is, GUINT_TO_POINTER (1), WITHIN_A_SECOND), >=, 0);
  status = astro_checkout_watcher_dup_git_status (watcher);
  g_assert_cmpstr (status, ==, "{\"uncommitted\":0,\"ahead\":1,\"behind\":1}");

  git (clone, "checkout", "-q", "--detach", NULL);
  g_assert_cmpfloat (wait_for (watcher, is_detached, NULL, WITHIN_A_SECOND), >=, 0);
  g_assert_null (astro_checkout_watcher_get_branch (watcher));
  g_assert_false (astro_checkout_watcher_get_has_upstream (watcher));
}

static void
test_watcher_worktree (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *repo = make_repo (fixture, "main", NULL);
  g_autofree char *worktree = g_build_filename (fixture->dir, "tree", NULL);
  g_autofree char *file = g_build_filename (worktree, "wip.txt", NULL);
  g_autoptr(AstroCheckoutWatcher) watcher = NULL;
  g_autofree char *head = NULL;

  commit_file (repo, "README", "hello\n");
  git (repo, "worktree", "add", "-q", "-b", "topic", worktree, NULL);

  /* HEAD and the index are the worktree's own, refs are the main ones. */
  watcher = astro_checkout_watcher_new (worktree);
  g_assert_cmpfloat (wait_for (watcher, is_ready, NULL, 5000), >=, 0);
  g_assert_cmpstr (astro_checkout_watcher_get_branch (watcher), ==, "topic");
  head = g_strdup (astro_checkout_watcher_get_head (watcher));

  write_file (file, "wip\n");
  git (worktree, "add", "wip.txt", NULL);
  g_assert_cmpfloat (wait_for (watcher, uncommitted_is, GUINT_TO_POINTER (1), WITHIN_A_SECOND), >=, 0);

  git (worktree, "commit", "-q", "-m", "wip", NULL);
  g_assert_cmpfloat (wait_for (watcher, head_differs, head, WITHIN_A_SECOND), >=, 0);

  /* A commit made in the main checkout does not move this one. */
  commit_file (repo, "other", "other\n");
  g_assert_cmpstr (astro_checkout_watcher_get_branch (watcher), ==, "topic");
}

static void
test_watcher_not_a_repository (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(AstroCheckoutWatcher) watcher = astro_checkout_watcher_new (fixture->dir);

  g_assert_cmpfloat (wait_for (watcher, is_ready, NULL, 5000), >=, 0);
  g_assert_nonnull (astro_checkout_watcher_get_error (watcher));
}

/*
 * Main
 */

static void
write_home (void)
{
  g_autofree char *gitconfig = g_build_filename (test_root, ".gitconfig", NULL);

  write_file (gitconfig,
              "[user]\n"
              "\tname = Astrolabe Tests\n"
              "\temail = tests@astrolabe.invalid\n"
              "[init]\n"
              "\tdefaultBranch = main\n"
              "[protocol \"file\"]\n"
              "\tallow = always\n"
              "[advice]\n"
              "\tdetachedHead = false\n"
              "[url \"git@github.com:\"]\n"
              "\tinsteadOf = gh:\n"
              "[url \"git@github.com:\"]\n"
              "\tpushInsteadOf = https://github.com/\n");

  ssh_config = g_build_filename (test_root, "ssh_config", NULL);
  write_file (ssh_config,
              "Host github-work\n"
              "\tHostName github.com\n"
              "\tIdentityFile ~/.ssh/id_work\n");
}

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config_home = NULL;
  int status;

  test_root = g_dir_make_tmp ("astro-linker-XXXXXX", &error);
  g_assert_no_error (error);

  /* Before libgit2 starts: it finds the global config through HOME once. */
  g_setenv ("HOME", test_root, TRUE);
  config_home = g_build_filename (test_root, ".config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv ("GIT_CONFIG_NOSYSTEM", "1", TRUE);
  g_unsetenv ("GIT_DIR");
  g_unsetenv ("GIT_WORK_TREE");
  g_unsetenv ("GIT_CEILING_DIRECTORIES");
  write_home ();

  g_log_set_writer_func (secret_checking_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  ADD ("/linker/github-https", test_link_github_https);
  ADD ("/linker/kinds", test_link_kinds);
  ADD ("/linker/insteadof", test_link_insteadof);
  ADD ("/linker/ssh-alias", test_link_ssh_alias);
  ADD ("/linker/several-remotes", test_link_several_remotes);
  ADD ("/linker/fork", test_link_fork);
  ADD ("/linker/ambiguous/same-url", test_link_ambiguous);
  ADD ("/linker/ambiguous/other-remotes", test_link_ambiguous_other_remotes);
  ADD ("/linker/worktree", test_link_worktree);
  ADD ("/linker/submodule", test_link_submodule);
  ADD ("/linker/subfolder", test_link_subfolder);
  ADD ("/linker/bare", test_link_bare);
  ADD ("/linker/not-a-repository", test_link_not_a_repository);
  ADD ("/linker/credentials", test_link_credentials);
  ADD ("/linker/relink", test_link_relink);
  ADD ("/linker/relink-at-start", test_link_relink_at_start);
  ADD ("/linker/index-updates", test_link_index_updates);
  ADD ("/linker/unlink", test_unlink);
  ADD ("/linker/async", test_link_async);
  ADD ("/linker/unlink-async", test_unlink_async);
  ADD ("/linker/choose-async", test_choose_async);
  ADD ("/discovery/ceiling", test_discovery_ceiling);
  ADD ("/discovery/insteadof-like-libgit2", test_discovery_insteadof_like_libgit2);
  ADD ("/discovery/extensions", test_discovery_extensions);
  ADD ("/discovery/unreadable", test_discovery_unreadable);
  ADD ("/discovery/owner", test_discovery_owner);
  ADD ("/watcher/commit-stage-branch", test_watcher);
  ADD ("/watcher/upstream", test_watcher_upstream);
  ADD ("/watcher/worktree", test_watcher_worktree);
  ADD ("/watcher/not-a-repository", test_watcher_not_a_repository);

  status = g_test_run ();

  remove_tree (test_root);
  g_free (test_root);
  g_free (ssh_config);
  return status;
}
