/* test-remote-url.c: remote URL normalization, rule by rule (section 0 of
 * shared/design/git-remotes.md), the ssh alias resolver against a real ssh
 * config, and insteadOf rules read from a temporary git configuration
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "astro-git-config.h"
#include "astro-remote-url.h"
#include "astro-ssh-resolver.h"

/* The fixture of 0.3 */
static const AstroInsteadOf fixture_rules[] = {
  { (char *) "git@github.com:", (char *) "gh:" },
  { (char *) "ssh://git@git.corp.example.com:2222/", (char *) "corp:" },
  { (char *) "https://github.com/acme/", (char *) "corp:gh/" },
  { (char *) "https://gitlab.example.com/", (char *) "glx:" },
};

typedef struct
{
  const char *host;
  const char *hostname;
  guint       port;
} Alias;

static const Alias fixture_aliases[] = {
  { "github-work", "github.com", 0 },
  { "github.com-work", "github.com", 0 },
  { "gl", "gitlab.com", 0 },
  { "corp-git", "git.corp.example.com", 2222 },
  { "bb-alt", "altssh.bitbucket.org", 443 },
  { "azure-ssh", "ssh.dev.azure.com", 0 },
  { "github.com", "ssh.github.com", 443 },
  { "v6", "2001:DB8::1", 0 },
};

typedef struct
{
  guint      n_calls;
  GPtrArray *hosts;   /* every host the resolver was asked about */
} Calls;

static gboolean
fake_resolve (const char  *host,
              char       **hostname,
              guint       *port,
              gpointer     user_data)
{
  Calls *calls = user_data;

  calls->n_calls++;
  g_ptr_array_add (calls->hosts, g_strdup (host));
  for (guint i = 0; i < G_N_ELEMENTS (fixture_aliases); i++)
    if (g_str_equal (fixture_aliases[i].host, host))
      {
        *hostname = g_strdup (fixture_aliases[i].hostname);
        *port = fixture_aliases[i].port;
        return TRUE;
      }
  return FALSE;
}

static Calls calls;

static AstroRemoteContext
fixture_context (void)
{
  AstroRemoteContext context = { 0 };

  if (calls.hosts == NULL)
    calls.hosts = g_ptr_array_new_with_free_func (g_free);
  calls.n_calls = 0;
  g_ptr_array_set_size (calls.hosts, 0);

  context.insteadof = fixture_rules;
  context.n_insteadof = G_N_ELEMENTS (fixture_rules);
  context.ssh_resolve = fake_resolve;
  context.ssh_resolve_data = &calls;
  return context;
}

/* The key, or "ERROR" after checking the reason is there and leaks nothing
 * of the URL. */
static char *
normalize_with (const char               *url,
                const AstroRemoteContext *context)
{
  g_autofree char *reason = NULL;
  char *key = astro_remote_url_normalize (url, context, &reason);

  if (key != NULL)
    {
      g_assert_null (reason);
      g_assert_true (g_utf8_validate (key, -1, NULL));
      g_assert_null (strstr (key, "://"));
      return key;
    }

  g_assert_nonnull (reason);
  g_assert_cmpstr (reason, !=, "");
  if (strlen (url) > 10)
    g_assert_null (strstr (reason, url));
  return g_strdup ("ERROR");
}

static char *
normalize (const char *url)
{
  AstroRemoteContext context = fixture_context ();

  return normalize_with (url, &context);
}

#define assert_key(url, expected) \
  G_STMT_START { \
    g_autofree char *key_ = normalize (url); \
    g_assert_cmpstr (key_, ==, expected); \
  } G_STMT_END

static void
test_schemes (void)
{
  assert_key ("https://example.com/a/b", "example.com/a/b");
  assert_key ("git+https://example.com/a/b", "example.com/a/b");
  assert_key ("http://example.com/a/b", "example.com/a/b");
  assert_key ("git+http://example.com/a/b", "example.com/a/b");
  assert_key ("ssh://example.com/a/b", "example.com/a/b");
  assert_key ("git+ssh://example.com/a/b", "example.com/a/b");
  assert_key ("ssh+git://example.com/a/b", "example.com/a/b");
  assert_key ("git://example.com/a/b", "example.com/a/b");
  assert_key ("ftp://example.com/a/b", "example.com/a/b");
  assert_key ("ftps://example.com/a/b", "example.com/a/b");
  assert_key ("HtTpS://example.com/a/b", "example.com/a/b");
  assert_key ("SSH+GIT://example.com/a/b", "example.com/a/b");

  assert_key ("file:///srv/git/repo.git", "ERROR");
  assert_key ("FILE://host/repo", "ERROR");
  assert_key ("svn+ssh://example.com/repo", "ERROR");
  assert_key ("rsync://example.com/repo", "ERROR");
  assert_key ("hg::https://hg.example.com/repo", "ERROR");
  assert_key ("persistent-https::https://example.com/a/b", "ERROR");
  assert_key ("codecommit::us-east-1://repo", "ERROR");
  assert_key ("1http://example.com/a/b", "ERROR");
  assert_key ("x/y://example.com/a/b", "ERROR");
  /* No "//": git reads an scp-like host named https. */
  assert_key ("https:/example.com/a/b", "https/example.com/a/b");
}

static void
test_default_ports (void)
{
  assert_key ("https://example.com:443/a", "example.com/a");
  assert_key ("git+https://example.com:443/a", "example.com/a");
  assert_key ("http://example.com:80/a", "example.com/a");
  assert_key ("ssh://example.com:22/a", "example.com/a");
  assert_key ("git://example.com:9418/a", "example.com/a");
  assert_key ("ftp://example.com:21/a", "example.com/a");
  assert_key ("ftps://example.com:990/a", "example.com/a");

  assert_key ("http://example.com:443/a", "example.com:443/a");
  assert_key ("https://example.com:80/a", "example.com:80/a");
  assert_key ("ftp://example.com:990/a", "example.com:990/a");
  assert_key ("git://example.com:22/a", "example.com:22/a");
  assert_key ("ssh://example.com:2222/a", "example.com:2222/a");
}

static void
test_ports (void)
{
  assert_key ("https://example.com:1/a", "example.com:1/a");
  assert_key ("https://example.com:65535/a", "example.com:65535/a");
  assert_key ("https://example.com:0008443/a", "example.com:8443/a");
  assert_key ("ssh://example.com:00000000000022/a", "example.com/a");
  assert_key ("ssh://example.com:/a", "example.com/a");
  assert_key ("https://example.com:0/a", "ERROR");
  assert_key ("https://example.com:000/a", "ERROR");
  assert_key ("https://example.com:65536/a", "ERROR");
  assert_key ("https://example.com:4294967297/a", "ERROR");
  assert_key ("https://example.com:12a/a", "ERROR");
  assert_key ("https://example.com:-1/a", "ERROR");
  assert_key ("https://example.com:+80/a", "ERROR");
  assert_key ("ssh://git@github.com:org/repo.git", "ERROR");
  assert_key ("ssh://a:1:2/x", "ERROR");
  /* A known service never carries a port. */
  assert_key ("https://github.com:8443/o/r", "github.com/o/r");
  assert_key ("ssh://git@altssh.bitbucket.org:443/w/r.git", "bitbucket.org/w/r");
}

static void
test_scp_like (void)
{
  assert_key ("git@example.com:team/repo.git", "example.com/team/repo");
  assert_key ("example.com:team/repo.git", "example.com/team/repo");
  assert_key ("example.com:/srv/repo.git", "example.com/srv/repo");
  /* No port in scp syntax: 2222 is a path segment. */
  assert_key ("git@example.com:2222/team/repo.git", "example.com/2222/team/repo");
  assert_key ("[example.com:2222]:team/repo.git", "example.com:2222/team/repo");
  assert_key ("git@[example.com:2222]:team/repo.git", "example.com:2222/team/repo");
  assert_key ("[example.com]:team/repo.git", "example.com/team/repo");
  assert_key ("[example.com:22]:team/repo.git", "example.com/team/repo");
  assert_key ("[::1]:repo", "[::1]/repo");
  assert_key ("git@[::1]:repo", "[::1]/repo");
  assert_key ("[user@::1]:repo", "[::1]/repo");
  assert_key ("[example.com:0]:team/repo", "ERROR");
  assert_key ("[example.com]x:team/repo", "ERROR");
  /* ? and # are path characters in scp syntax. */
  assert_key ("example.com:team/repo?x#y", "example.com/team/repo?x#y");
  assert_key ("git:github.com/hubot/repo.git", "git/github.com/hubot/repo");
  assert_key (":team/repo", "ERROR");
  assert_key ("git@:team/repo", "ERROR");
  assert_key ("example.com:", "ERROR");
  assert_key ("example.com:/", "ERROR");
}

static void
test_url_hosts (void)
{
  assert_key ("ssh://[::1]/repo", "[::1]/repo");
  assert_key ("ssh://user@[::1]:2222/repo", "[::1]:2222/repo");
  assert_key ("ssh://[user@::1]:22/~repo", "[::1]/~repo");
  assert_key ("ssh://[user@example.com:2200]/repo", "example.com:2200/repo");
  assert_key ("https://[2001:DB8::A]/x", "[2001:db8::a]/x");
  assert_key ("https://[::ffff:192.0.2.1]/x", "[::ffff:192.0.2.1]/x");
  assert_key ("https://[fe80::1%25eth0]/x", "ERROR");
  assert_key ("https://[::1/x", "ERROR");
  assert_key ("https://[::1]x/x", "ERROR");
  assert_key ("https://[h:1]:2/x", "ERROR");
  assert_key ("https:///a/b", "ERROR");
  assert_key ("https://:443/a/b", "ERROR");
  assert_key ("https://user@/a/b", "ERROR");
  assert_key ("https://exa mple.com/a/b", "ERROR");
  assert_key ("https://exa%6dple.com/a/b", "ERROR");
  assert_key ("https://-example.com/a/b", "ERROR");
  assert_key ("https://.example.com/a/b", "ERROR");
  assert_key ("https://_git.example.com/a/b", "_git.example.com/a/b");
  assert_key ("https://Example.COM./a/b", "example.com/a/b");
  assert_key ("https://www.example.com/a/b", "example.com/a/b");
  assert_key ("https://WWW.example.com/a/b", "example.com/a/b");
  assert_key ("https://www./a/b", "www/a/b");
  assert_key ("https://www.www.example.com/a/b", "www.example.com/a/b");
  assert_key ("https://.", "ERROR");
}

static void
test_local_paths (void)
{
  assert_key ("/srv/git/repo.git", "ERROR");
  assert_key ("./repo", "ERROR");
  assert_key ("../sibling/repo", "ERROR");
  assert_key ("~/src/repo.git", "ERROR");
  assert_key ("repo", "ERROR");
  assert_key ("github.com/org/repo", "ERROR");
  assert_key ("git@github.com/org/repo.git", "ERROR");
  assert_key ("C:/Users/dev/repo", "ERROR");
  assert_key ("c:repo", "ERROR");
  assert_key ("C:\\Users\\dev\\repo", "ERROR");
  assert_key ("\\\\server\\share\\repo", "ERROR");
  assert_key ("./a:b", "ERROR");
}

static void
test_whitespace_and_controls (void)
{
  assert_key ("  https://example.com/a/b \t\r\n", "example.com/a/b");
  assert_key ("\n\tgit@example.com:a/b.git\r\n", "example.com/a/b");
  assert_key ("", "ERROR");
  assert_key (" \t\r\n", "ERROR");
  assert_key ("https://example.com/a\tb", "ERROR");
  assert_key ("https://example.com/a\x7f", "ERROR");
  assert_key ("https://example.com/a\x01/b", "ERROR");
  assert_key ("\vhttps://example.com/a/b", "ERROR");
  assert_key ("https://example.com/a\\b", "ERROR");
}

static void
test_credentials (void)
{
  static const char *urls[] = {
    "https://x-access-token:SECRET123@github.com/org/repo.git",
    "https://SECRET123@github.com/org/repo.git",
    "https://oauth2:SECRET123@gitlab.com/g/p.git",
    "https://user:p@ss@SECRET123@example.com/a/b",
    "https://user:SECRET123@example.com/a/b?private_token=SECRET123#SECRET123",
    "ssh://user%40corp:SECRET123@example.com/a/b",
    "https://user:SECRET123@[::1]/a/b",
    "ssh://[user:SECRET123@::1]/a/b",
    "https://user:SECRET123@example.com:99999/a/b",
    "https://user:SECRET123@github.com/only-owner",
    "https://user:SECRET123@-bad/a/b",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *reason = NULL;
      g_autofree char *key = astro_remote_url_normalize (urls[i], NULL, &reason);

      g_assert_null (strstr (key != NULL ? key : reason, "SECRET123"));
      g_assert_null (strstr (key != NULL ? key : reason, "user"));
      g_assert_null (strstr (key != NULL ? key : reason, "@"));
    }

  /* The userinfo ends at the last @ of the authority. */
  assert_key ("https://user:p@ss@example.com/a/b", "example.com/a/b");
  assert_key ("https://a@b@github.com/o/r", "github.com/o/r");
  assert_key ("https://example.com/a/b?x=1#frag", "example.com/a/b");
  assert_key ("https://example.com?x=/a/b", "ERROR");
  assert_key ("https://example.com#/a/b", "ERROR");
  assert_key ("octocorp@octocorp.ghe.com:Platform/API.git", "octocorp.ghe.com/platform/api");
}

static void
test_github (void)
{
  assert_key ("https://github.com/Org/Repo", "github.com/org/repo");
  assert_key ("https://ssh.github.com/Org/Repo", "github.com/org/repo");
  assert_key ("https://www.GitHub.com/Org/Repo.git/", "github.com/org/repo");
  assert_key ("https://github.com/org", "ERROR");
  assert_key ("https://github.com/org/repo/pull/42", "ERROR");
  assert_key ("https://github.com/", "ERROR");
  assert_key ("https://tenant.ghe.com/Org/Repo.git", "tenant.ghe.com/org/repo");
  assert_key ("https://tenant.ghe.com/org", "ERROR");
  /* Not one label: an unknown host, case kept. */
  assert_key ("https://a.b.ghe.com/Org/Repo", "a.b.ghe.com/Org/Repo");
  assert_key ("https://ghe.com/Org/Repo", "ghe.com/Org/Repo");
  assert_key ("https://github.com.evil.example/Org/Repo", "github.com.evil.example/Org/Repo");
}

static void
test_gitlab (void)
{
  assert_key ("https://gitlab.com/G/P.git", "gitlab.com/g/p");
  assert_key ("https://gitlab.com/G/S1/S2/P", "gitlab.com/g/s1/s2/p");
  assert_key ("ssh://git@altssh.gitlab.com:443/G/P.git", "gitlab.com/g/p");
  assert_key ("https://gitlab.com/G", "ERROR");
  assert_key ("https://gitlab.com/g/p/-/tree/main", "ERROR");
  assert_key ("https://gitlab.com/-/g/p", "ERROR");
  assert_key ("https://gitlab.com/g/p-/x", "gitlab.com/g/p-/x");
}

static void
test_bitbucket (void)
{
  assert_key ("https://jdoe@bitbucket.org/Work/Repo.git", "bitbucket.org/work/repo");
  assert_key ("git@altssh.bitbucket.org:Work/Repo.git", "bitbucket.org/work/repo");
  assert_key ("https://bitbucket.org/work", "ERROR");
  assert_key ("https://bitbucket.org/work/repo/src/main", "ERROR");
}

static void
test_azure (void)
{
  const char *expected = "dev.azure.com/org/my project/repo";

  assert_key ("https://org@dev.azure.com/Org/My%20Project/_git/Repo", expected);
  assert_key ("https://dev.azure.com/Org/My%20Project/_GIT/Repo", expected);
  assert_key ("git@ssh.dev.azure.com:v3/Org/My%20Project/Repo", expected);
  assert_key ("ssh://git@ssh.dev.azure.com:22/V3/Org/My%20Project/Repo", expected);
  assert_key ("org@vs-ssh.visualstudio.com:v3/Org/My%20Project/Repo", expected);
  assert_key ("https://Org.visualstudio.com/DefaultCollection/My%20Project/_git/Repo", expected);
  assert_key ("https://org.visualstudio.com/defaultcollection/My%20Project/_git/Repo", expected);
  assert_key ("https://org.visualstudio.com/My%20Project/_git/Repo", expected);
  assert_key ("https://dev.azure.com/Org/_git/Repo", "dev.azure.com/org/repo/repo");
  assert_key ("https://org.visualstudio.com/_git/Repo", "dev.azure.com/org/repo/repo");
  assert_key ("https://org.visualstudio.com/DefaultCollection/_git/Repo",
              "dev.azure.com/org/repo/repo");

  assert_key ("https://dev.azure.com/org/project/repo", "ERROR");
  assert_key ("https://dev.azure.com/org/project/_git/repo/pullrequest/12", "ERROR");
  assert_key ("https://dev.azure.com/org", "ERROR");
  assert_key ("git@ssh.dev.azure.com:org/project/repo", "ERROR");
  assert_key ("git@ssh.dev.azure.com:v3/org/repo", "ERROR");
  assert_key ("ssh://acct@vs-ssh.visualstudio.com:22/project/_ssh/repo", "ERROR");
  assert_key ("https://org.visualstudio.com/project/repo", "ERROR");
  /* On-premises servers are unknown hosts. */
  assert_key ("https://tfs.example.com/tfs/DefaultCollection/P/_git/R",
              "tfs.example.com/tfs/DefaultCollection/P/_git/R");
  assert_key ("https://a.b.visualstudio.com/P/_git/R", "a.b.visualstudio.com/P/_git/R");
}

static void
test_case (void)
{
  assert_key ("https://Git.Example.COM/Team/Repo.git", "git.example.com/Team/Repo");
  assert_key ("https://GITHUB.COM/SHIFTKEY/DESKTOP.git", "github.com/shiftkey/desktop");
  /* ASCII-only lowercasing: É stays. */
  assert_key ("https://dev.azure.com/O/%C3%89t%C3%A9/_git/R", "dev.azure.com/o/Été/r");
  assert_key ("https://github.com/%C3%89/R", "github.com/É/r");
}

static void
test_percent_decoding (void)
{
  assert_key ("https://example.com/My%20Team/Repo%201.git", "example.com/My Team/Repo 1");
  assert_key ("https://example.com/a%2fb/c", "ERROR");
  assert_key ("https://example.com/a%2Fb/c", "ERROR");
  assert_key ("https://example.com/a%00b/c", "ERROR");
  assert_key ("https://example.com/a%0ab/c", "ERROR");
  assert_key ("https://example.com/a%7Fb/c", "ERROR");
  assert_key ("https://example.com/%2e/c", "ERROR");
  assert_key ("https://example.com/%2E%2E/c", "ERROR");
  assert_key ("https://example.com/a/%2e%2e", "ERROR");
  assert_key ("https://example.com/100%/x%zz", "example.com/100%/x%zz");
  assert_key ("https://example.com/a/b%", "example.com/a/b%");
  assert_key ("https://example.com/a/b%4", "example.com/a/b%4");
  /* Decoded once: %2520 is a literal %20. */
  assert_key ("https://example.com/a/b%2520c", "example.com/a/b%20c");
  assert_key ("https://example.com/a/repo%2Egit", "example.com/a/repo");
  /* Not UTF-8 once decoded. */
  assert_key ("https://example.com/a/%FF", "ERROR");
  assert_key ("git@ssh.dev.azure.com:v3/o/P%20Q/R%20S", "dev.azure.com/o/p q/r s");
}

static void
test_dot_git_and_slashes (void)
{
  assert_key ("https://example.com/a/repo.git", "example.com/a/repo");
  assert_key ("https://example.com/a/repo.git.git", "example.com/a/repo.git");
  assert_key ("https://example.com/a/repo.wiki.git", "example.com/a/repo.wiki");
  assert_key ("https://example.com/a/repo.GIT", "example.com/a/repo.GIT");
  assert_key ("https://example.com/a/repo/.git", "example.com/a/repo");
  assert_key ("https://example.com/a/repo/.git/", "example.com/a/repo");
  assert_key ("https://example.com/.git", "ERROR");
  assert_key ("https://example.com/.git/.git", "example.com/.git");
  assert_key ("https://example.com/a.git/b", "example.com/a.git/b");
  assert_key ("https://example.com//a///b//", "example.com/a/b");
  assert_key ("https://example.com", "ERROR");
  assert_key ("https://example.com/", "ERROR");
  assert_key ("https://example.com///", "ERROR");
  assert_key ("https://example.com/./a", "ERROR");
  assert_key ("https://example.com/a/..", "ERROR");
  assert_key ("https://example.com/.../a", "example.com/.../a");
  assert_key ("ssh://example.org/~alice/dotfiles.git", "example.org/~alice/dotfiles");
}

static void
test_error_reasons (void)
{
  static const char *urls[] = {
    "", "/local", "file:///x", "hg::x", "svn://x/y", "a://b://c", "c:x", "https://h:0/a",
    "https://-h/a", "https://h/", "https://h/../a", "https://h/a%2Fb", "https://github.com/a",
    "https://gitlab.com/a", "https://bitbucket.org/a", "https://dev.azure.com/a/b/c",
    "https://[zz::1]/a", "https://h/a\\b", "https://h/%FF",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *reason = NULL;
      g_autofree char *key = astro_remote_url_normalize (urls[i], NULL, &reason);

      g_assert_null (key);
      g_assert_nonnull (reason);
      g_assert_true (g_utf8_validate (reason, -1, NULL));
      g_assert_cmpuint (strlen (reason), >, 10);
    }

  /* The reason is optional. */
  g_assert_null (astro_remote_url_normalize ("/local", NULL, NULL));
}

static void
test_insteadof (void)
{
  assert_key ("gh:Org/Repo.git", "github.com/org/repo");
  /* The longest prefix wins, whatever the order. */
  assert_key ("corp:gh/tool.git", "github.com/acme/tool");
  assert_key ("corp:team/app.git", "git.corp.example.com:2222/team/app");
  assert_key ("glx:Group/Project.git", "gitlab.example.com/Group/Project");
  /* Byte-exact and case-sensitive: GH: is an scp host named GH. */
  assert_key ("GH:org/repo", "gh/org/repo");
  /* A prefix, not a substring. */
  assert_key ("https://example.com/gh:x/y", "example.com/gh:x/y");

  {
    static const AstroInsteadOf rules[] = {
      { (char *) "https://one.example/", (char *) "x:" },
      { (char *) "https://two.example/", (char *) "x:" },
      { (char *) "https://three.example/", (char *) "x:y/" },
      { (char *) "https://bad.example/a\\", (char *) "bad:" },
      { (char *) "https://empty.example/", (char *) "" },
    };
    AstroRemoteContext context = { rules, G_N_ELEMENTS (rules), NULL, NULL };
    g_autofree char *first = normalize_with ("x:a/b", &context);
    g_autofree char *longest = normalize_with ("x:y/b", &context);
    g_autofree char *bad = normalize_with ("bad:b", &context);
    g_autofree char *plain = normalize_with ("https://h.example/a", &context);

    g_assert_cmpstr (first, ==, "one.example/a/b");
    g_assert_cmpstr (longest, ==, "three.example/b");
    g_assert_cmpstr (bad, ==, "ERROR");
    g_assert_cmpstr (plain, ==, "h.example/a");
  }

  /* Without a context nothing is rewritten. */
  {
    g_autofree char *key = normalize_with ("gh:Org/Repo.git", NULL);

    g_assert_cmpstr (key, ==, "gh/Org/Repo");
  }
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
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
test_insteadof_from_git_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("astro-gitconfig-XXXXXX", &error);
  g_autofree char *gitconfig = NULL;
  g_autofree char *xdg = NULL;
  g_autofree char *old_home = g_strdup (g_getenv ("HOME"));
  g_autofree char *old_xdg = g_strdup (g_getenv ("XDG_CONFIG_HOME"));
  g_autoptr(GArray) rules = NULL;
  AstroRemoteContext context = { 0 };

  g_assert_no_error (error);
  gitconfig = g_build_filename (home, ".gitconfig", NULL);
  xdg = g_build_filename (home, "xdg", NULL);
  write_file (gitconfig,
              "[url \"git@github.com:\"]\n"
              "\tinsteadOf = gh:\n"
              "[url \"ssh://git@git.corp.example.com:2222/\"]\n"
              "\tinsteadOf = corp:\n"
              "[url \"https://github.com/acme/\"]\n"
              "\tinsteadOf = corp:gh/\n"
              "[url \"https://gitlab.example.com/\"]\n"
              "\tinsteadOf = glx:\n"
              "\tinsteadOf = glx2:\n"
              "[url \"git@github.com:\"]\n"
              "\tpushInsteadOf = https://github.com/\n"
              "[URL \"https://Mixed.Example/\"]\n"
              "\tINSTEADOF = mx:\n");
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", xdg, TRUE);

  rules = astro_git_config_read_insteadof (&error);
  g_assert_no_error (error);
  g_assert_nonnull (rules);

  /* Every insteadOf (multivars too), no pushInsteadOf; the base keeps its
   * case. The system's /etc/gitconfig may add rules of its own. */
  {
    static const char *prefixes[] = { "gh:", "corp:", "corp:gh/", "glx:", "glx2:", "mx:" };
    guint found = 0;

    for (guint i = 0; i < rules->len; i++)
      {
        const AstroInsteadOf *rule = &g_array_index (rules, AstroInsteadOf, i);

        g_assert_cmpstr (rule->prefix, !=, "https://github.com/");
        if (g_strv_contains (prefixes, rule->prefix))
          found++;
        if (g_str_equal (rule->prefix, "mx:"))
          g_assert_cmpstr (rule->base, ==, "https://Mixed.Example/");
      }
    g_assert_cmpuint (found, ==, G_N_ELEMENTS (prefixes));
  }

  context.insteadof = (const AstroInsteadOf *) (gpointer) rules->data;
  context.n_insteadof = rules->len;
  {
    g_autofree char *https = normalize_with ("https://github.com/Org/Repo.git", &context);
    g_autofree char *gh = normalize_with ("gh:Org/Repo.git", &context);
    g_autofree char *longest = normalize_with ("corp:gh/tool.git", &context);
    g_autofree char *second = normalize_with ("glx2:G/P", &context);
    g_autofree char *mixed = normalize_with ("mx:A/B", &context);

    g_assert_cmpstr (https, ==, "github.com/org/repo");
    g_assert_cmpstr (gh, ==, "github.com/org/repo");
    g_assert_cmpstr (longest, ==, "github.com/acme/tool");
    g_assert_cmpstr (second, ==, "gitlab.example.com/G/P");
    g_assert_cmpstr (mixed, ==, "mixed.example/A/B");
  }

  g_setenv ("HOME", old_home, TRUE);
  if (old_xdg != NULL)
    g_setenv ("XDG_CONFIG_HOME", old_xdg, TRUE);
  else
    g_unsetenv ("XDG_CONFIG_HOME");
  remove_tree (home);
}

static gboolean
was_asked (const char *host)
{
  for (guint i = 0; i < calls.hosts->len; i++)
    if (g_str_equal (g_ptr_array_index (calls.hosts, i), host))
      return TRUE;
  return FALSE;
}

static void
test_resolver_only_for_ssh (void)
{
  assert_key ("https://github-work/Org/Repo.git", "github-work/Org/Repo");
  g_assert_cmpuint (calls.n_calls, ==, 0);
  assert_key ("git://github-work/Org/Repo.git", "github-work/Org/Repo");
  g_assert_cmpuint (calls.n_calls, ==, 0);
  assert_key ("ftp://github-work/Org/Repo.git", "github-work/Org/Repo");
  g_assert_cmpuint (calls.n_calls, ==, 0);

  assert_key ("github-work:Org/Repo.git", "github.com/org/repo");
  g_assert_cmpuint (calls.n_calls, ==, 1);
  g_assert_true (was_asked ("github-work"));
  assert_key ("ssh://git@github-work/Org/Repo.git", "github.com/org/repo");
  g_assert_cmpuint (calls.n_calls, ==, 1);
  assert_key ("git+ssh://gl/G/S/P.git", "gitlab.com/g/s/p");
  g_assert_cmpuint (calls.n_calls, ==, 1);
  assert_key ("ssh+git://bb-alt/W/R.git", "bitbucket.org/w/r");
  g_assert_cmpuint (calls.n_calls, ==, 1);
  assert_key ("git@azure-ssh:v3/O/P/R", "dev.azure.com/o/p/r");
  g_assert_cmpuint (calls.n_calls, ==, 1);
  /* No alias: the host stays as written, lowercased. */
  assert_key ("git@Other.Example:Team/Repo.git", "other.example/Team/Repo");
  g_assert_true (was_asked ("Other.Example"));
}

static void
test_resolver_skips_known_hosts (void)
{
  static const char *urls[] = {
    "git@github.com:o/r.git",
    "git@GitHub.COM:o/r.git",
    "git@www.github.com:o/r.git",
    "git@github.com.:o/r.git",
    "ssh://git@ssh.github.com:443/o/r.git",
    "git@gitlab.com:g/p.git",
    "git@bitbucket.org:w/r.git",
    "git@ssh.dev.azure.com:v3/o/p/r",
    "org@vs-ssh.visualstudio.com:v3/o/p/r",
    "octocorp@octocorp.ghe.com:o/r.git",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *key = normalize (urls[i]);

      g_assert_cmpstr (key, !=, "ERROR");
      g_assert_cmpuint (calls.n_calls, ==, 0);
    }

  /* The fixture's Host github.com → ssh.github.com:443 would change nothing. */
  assert_key ("git@github.com:anthropics/superset.git", "github.com/anthropics/superset");
}

static void
test_resolver_case_sensitive (void)
{
  assert_key ("GITHUB-WORK:Org/Repo.git", "github-work/Org/Repo");
  g_assert_true (was_asked ("GITHUB-WORK"));
  g_assert_false (was_asked ("github-work"));
}

static void
test_resolver_ports (void)
{
  assert_key ("corp-git:team/app.git", "git.corp.example.com:2222/team/app");
  assert_key ("ssh://corp-git/team/app.git", "git.corp.example.com:2222/team/app");
  /* An empty port is no port: the alias fills it. */
  assert_key ("ssh://corp-git:/team/app.git", "git.corp.example.com:2222/team/app");
  /* An explicit URL port wins, as ssh -p does. */
  assert_key ("ssh://corp-git:2200/team/app.git", "git.corp.example.com:2200/team/app");
  assert_key ("ssh://corp-git:22/team/app.git", "git.corp.example.com/team/app");
  assert_key ("[corp-git:2200]:team/app.git", "git.corp.example.com:2200/team/app");
}

static void
test_resolver_not_called (void)
{
  assert_key ("ssh://-oProxyCommand=calc/x/y", "ERROR");
  assert_key ("-oProxyCommand=calc:x/y", "ERROR");
  assert_key ("git@-oProxyCommand=calc:x/y", "ERROR");
  assert_key ("ssh://a%20b/x/y", "ERROR");
  assert_key ("[-oProxyCommand=x]:x/y", "ERROR");
  g_assert_cmpuint (calls.n_calls, ==, 0);

  /* IPv6 literals are skipped. */
  assert_key ("git@[2001:db8::10]:team/app.git", "[2001:db8::10]/team/app");
  g_assert_cmpuint (calls.n_calls, ==, 0);

  /* An IPv6 HostName keeps brackets. */
  assert_key ("v6:team/app.git", "[2001:db8::1]/team/app");
}

static void
test_redact (void)
{
  static const struct
  {
    const char *url;
    const char *redacted;
  } cases[] = {
    { "https://x-access-token:SECRET@github.com/o/r.git", "https://***@github.com/o/r.git" },
    { "https://SECRET@github.com/o/r.git", "https://***@github.com/o/r.git" },
    { "https://a:b@c:SECRET@host:8443/o/r", "https://***@host:8443/o/r" },
    { "https://github.com/o/r.git", "https://github.com/o/r.git" },
    { "https://host/o/r?private_token=SECRET", "https://host/o/r?***" },
    { "https://host/o/r#SECRET", "https://host/o/r?***" },
    { "hg::https://user:SECRET@host/r", "hg::https://***@host/r" },
    { "git@github.com:o/r.git", "git@github.com:o/r.git" },
    { "user:SECRET@host:o/r.git", "***@host:o/r.git" },
    { "/srv/repo\n", "/srv/repo?" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *redacted = astro_remote_url_redact (cases[i].url);

      g_assert_cmpstr (redacted, ==, cases[i].redacted);
    }
}

/* The production resolver, against a real ssh */

static char *
write_ssh_config (char **dir)
{
  g_autoptr(GError) error = NULL;
  char *path;

  *dir = g_dir_make_tmp ("astro-ssh-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (*dir, "config", NULL);
  write_file (path,
              "Host github-work\n  HostName github.com\n"
              "Host corp-git\n  HostName Git.Corp.Example.com\n  Port 2222\n"
              "Host gh-*\n  HostName github.com\n"
              "Host github.com\n  HostName ssh.github.com\n  Port 443\n");
  return path;
}

static gboolean
have_ssh (void)
{
  g_autofree char *ssh = g_find_program_in_path ("ssh");

  if (ssh == NULL)
    g_test_skip ("ssh is not installed");
  return ssh != NULL;
}

static void
test_ssh_resolver (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autoptr(AstroSshResolver) resolver = NULL;
  g_autofree char *hostname = NULL;
  guint port = 0;

  if (!have_ssh ())
    return;

  config = write_ssh_config (&dir);
  resolver = astro_ssh_resolver_new (config);

  g_assert_true (astro_ssh_resolver_resolve (resolver, "github-work", &hostname, &port));
  g_assert_cmpstr (hostname, ==, "github.com");
  g_assert_cmpuint (port, ==, 22);
  g_clear_pointer (&hostname, g_free);

  g_assert_true (astro_ssh_resolver_resolve (resolver, "corp-git", &hostname, &port));
  g_assert_cmpstr (hostname, ==, "git.corp.example.com");
  g_assert_cmpuint (port, ==, 2222);
  g_clear_pointer (&hostname, g_free);

  g_assert_true (astro_ssh_resolver_resolve (resolver, "gh-personal", &hostname, &port));
  g_assert_cmpstr (hostname, ==, "github.com");
  g_clear_pointer (&hostname, g_free);

  /* Host blocks match case-sensitively. */
  g_assert_true (astro_ssh_resolver_resolve (resolver, "GITHUB-WORK", &hostname, &port));
  g_assert_cmpstr (hostname, ==, "github-work");
  g_clear_pointer (&hostname, g_free);

  /* Cached: the answer outlives the file. */
  g_unlink (config);
  g_assert_true (astro_ssh_resolver_resolve (resolver, "corp-git", &hostname, &port));
  g_assert_cmpstr (hostname, ==, "git.corp.example.com");
  g_assert_cmpuint (port, ==, 2222);
  g_clear_pointer (&hostname, g_free);

  /* Not cached, and ssh fails on the missing file: nothing resolves. */
  g_assert_false (astro_ssh_resolver_resolve (resolver, "other-host", &hostname, &port));
  g_assert_null (hostname);

  remove_tree (dir);
}

static void
test_ssh_resolver_with_normalizer (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autoptr(AstroSshResolver) resolver = NULL;
  AstroRemoteContext context = { 0 };
  static const struct
  {
    const char *url;
    const char *key;
  } cases[] = {
    { "github-work:Org/Repo.git", "github.com/org/repo" },
    { "git@gh-x:Org/Repo.git", "github.com/org/repo" },
    { "corp-git:team/app.git", "git.corp.example.com:2222/team/app" },
    { "ssh://corp-git:2200/team/app.git", "git.corp.example.com:2200/team/app" },
    { "git@github.com:Org/Repo.git", "github.com/org/repo" },
    { "https://github-work/Org/Repo.git", "github-work/Org/Repo" },
    { "git@Some.Host:Team/Repo.git", "some.host/Team/Repo" },
    { "ssh://-oProxyCommand=x/a/b", "ERROR" },
  };

  if (!have_ssh ())
    return;

  config = write_ssh_config (&dir);
  resolver = astro_ssh_resolver_new (config);
  context.ssh_resolve = astro_ssh_resolver_resolve_func;
  context.ssh_resolve_data = resolver;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *key = normalize_with (cases[i].url, &context);

      g_assert_cmpstr (key, ==, cases[i].key);
    }

  remove_tree (dir);
}

static void
test_ssh_resolver_refuses_hostile_hosts (void)
{
  static const char *hosts[] = {
    "-oProxyCommand=x", "-F/etc/passwd", "-", "", "a b", " host", "host\n", "a;b", "$(x)",
    "`x`", "a|b", "a/b", "a@b", "a:b", "[::1]", "a%b", "a\\b", "-G",
  };
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *marker = NULL;
  g_autoptr(AstroSshResolver) resolver = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    g_assert_false (astro_ssh_host_is_safe (hosts[i]));
  g_assert_true (astro_ssh_host_is_safe ("github.com-work"));
  g_assert_true (astro_ssh_host_is_safe ("Corp_Git.example"));

  if (!have_ssh ())
    return;

  config = write_ssh_config (&dir);
  marker = g_build_filename (dir, "pwned", NULL);
  resolver = astro_ssh_resolver_new (config);
  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autofree char *hostname = NULL;
      guint port = 0;

      g_assert_false (astro_ssh_resolver_resolve (resolver, hosts[i], &hostname, &port));
      g_assert_null (hostname);
      g_assert_cmpuint (port, ==, 0);
    }

  {
    g_autofree char *hostile = g_strdup_printf ("-oProxyCommand=touch %s", marker);
    g_autofree char *hostname = NULL;
    guint port = 0;

    g_assert_false (astro_ssh_resolver_resolve (resolver, hostile, &hostname, &port));
    g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  }

  remove_tree (dir);
}

/* A `Match exec` that hangs must not hang the caller. */
static void
test_ssh_resolver_timeout (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *config = NULL;
  g_autoptr(AstroSshResolver) resolver = NULL;
  g_autofree char *hostname = NULL;
  guint port = 0;
  gint64 start;
  g_autoptr(GError) error = NULL;

  if (!have_ssh ())
    return;

  dir = g_dir_make_tmp ("astro-ssh-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (dir, "config", NULL);
  write_file (config, "Match exec \"sleep 5\"\n  HostName never.example\n");
  resolver = astro_ssh_resolver_new (config);

  start = g_get_monotonic_time ();
  g_assert_false (astro_ssh_resolver_resolve (resolver, "slow-host", &hostname, &port));
  g_assert_null (hostname);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);

  remove_tree (dir);
}

static void
test_ssh_resolver_without_ssh (void)
{
  g_autofree char *old_path = g_strdup (g_getenv ("PATH"));
  g_autoptr(AstroSshResolver) resolver = NULL;
  g_autofree char *hostname = NULL;
  guint port = 0;

  g_setenv ("PATH", "/nonexistent", TRUE);
  resolver = astro_ssh_resolver_new (NULL);
  g_setenv ("PATH", old_path, TRUE);

  g_assert_false (astro_ssh_resolver_resolve (resolver, "github-work", &hostname, &port));
  g_assert_null (hostname);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/remote-url/schemes", test_schemes);
  g_test_add_func ("/remote-url/default-ports", test_default_ports);
  g_test_add_func ("/remote-url/ports", test_ports);
  g_test_add_func ("/remote-url/scp-like", test_scp_like);
  g_test_add_func ("/remote-url/url-hosts", test_url_hosts);
  g_test_add_func ("/remote-url/local-paths", test_local_paths);
  g_test_add_func ("/remote-url/whitespace-and-controls", test_whitespace_and_controls);
  g_test_add_func ("/remote-url/credentials", test_credentials);
  g_test_add_func ("/remote-url/known-hosts/github", test_github);
  g_test_add_func ("/remote-url/known-hosts/gitlab", test_gitlab);
  g_test_add_func ("/remote-url/known-hosts/bitbucket", test_bitbucket);
  g_test_add_func ("/remote-url/known-hosts/azure", test_azure);
  g_test_add_func ("/remote-url/case", test_case);
  g_test_add_func ("/remote-url/percent-decoding", test_percent_decoding);
  g_test_add_func ("/remote-url/dot-git-and-slashes", test_dot_git_and_slashes);
  g_test_add_func ("/remote-url/error-reasons", test_error_reasons);
  g_test_add_func ("/remote-url/insteadof", test_insteadof);
  g_test_add_func ("/remote-url/insteadof/git-config", test_insteadof_from_git_config);
  g_test_add_func ("/remote-url/resolver/only-ssh", test_resolver_only_for_ssh);
  g_test_add_func ("/remote-url/resolver/known-hosts-skipped", test_resolver_skips_known_hosts);
  g_test_add_func ("/remote-url/resolver/case-sensitive", test_resolver_case_sensitive);
  g_test_add_func ("/remote-url/resolver/ports", test_resolver_ports);
  g_test_add_func ("/remote-url/resolver/not-called", test_resolver_not_called);
  g_test_add_func ("/remote-url/redact", test_redact);
  g_test_add_func ("/ssh-resolver/ssh-config", test_ssh_resolver);
  g_test_add_func ("/ssh-resolver/normalizer", test_ssh_resolver_with_normalizer);
  g_test_add_func ("/ssh-resolver/hostile-hosts", test_ssh_resolver_refuses_hostile_hosts);
  g_test_add_func ("/ssh-resolver/timeout", test_ssh_resolver_timeout);
  g_test_add_func ("/ssh-resolver/without-ssh", test_ssh_resolver_without_ssh);

  status = g_test_run ();
  g_clear_pointer (&calls.hosts, g_ptr_array_unref);
  return status;
}
