/* astro-git-config.c: what Astrolabe reads from the user's git configuration
 *
 * Real remotes get their insteadOf rewriting from libgit2 itself
 * (git_remote_url); these rules are for bare URLs, typed or pasted, that
 * must be read the way git would read them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-git"

#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <git2.h>

#include "astro-git-config.h"

static void
set_git_error (GError     **error,
               const char  *what)
{
  const git_error *last = git_error_last ();

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
               last != NULL && last->message != NULL ? last->message : "unknown error");
}

/* libgit2 lowercases the section and the key but keeps the subsection: in
 * "url.<base>.insteadof", <base> is everything between the two. */
static char *
base_from_name (const char *name)
{
  static const char prefix[] = "url.";
  static const char suffix[] = ".insteadof";
  gsize len = strlen (name);

  if (len <= strlen (prefix) + strlen (suffix) ||
      g_ascii_strncasecmp (name, prefix, strlen (prefix)) != 0 ||
      g_ascii_strcasecmp (name + len - strlen (suffix), suffix) != 0)
    return NULL;

  return g_strndup (name + strlen (prefix), len - strlen (prefix) - strlen (suffix));
}

/**
 * astro_git_config_read_insteadof:
 * @error: return location for a #GError
 *
 * Reads every `url.<base>.insteadOf` value from the user's git configuration
 * (system, XDG and global files, found through `HOME`). pushInsteadOf is
 * left out: it never changes where fetches go.
 *
 * Returns: (transfer full) (element-type AstroInsteadOf): the rules, in
 *   configuration order, or %NULL on error
 */
GArray *
astro_git_config_read_insteadof (GError **error)
{
  g_autoptr(GArray) rules = NULL;
  git_config *config = NULL;
  git_config_iterator *iterator = NULL;
  git_config_entry *entry;
  int status;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  rules = g_array_new (FALSE, TRUE, sizeof (AstroInsteadOf));
  g_array_set_clear_func (rules, (GDestroyNotify) astro_insteadof_clear);

  git_libgit2_init ();

  if (git_config_open_default (&config) < 0)
    {
      set_git_error (error, _("Could not read the git configuration"));
      git_libgit2_shutdown ();
      return NULL;
    }

  /* Filtered here rather than with iterator_glob_new: libgit2 1.5 built
   * against pcre2 leaks match data on every entry its regex skips. */
  if (git_config_iterator_new (&iterator, config) < 0)
    {
      set_git_error (error, _("Could not read the git configuration"));
      git_config_free (config);
      git_libgit2_shutdown ();
      return NULL;
    }

  while ((status = git_config_next (&entry, iterator)) == 0)
    {
      AstroInsteadOf rule = { 0 };

      rule.base = base_from_name (entry->name);
      if (rule.base == NULL || entry->value == NULL)
        {
          g_free (rule.base);
          continue;
        }
      rule.prefix = g_strdup (entry->value);
      g_array_append_val (rules, rule);
    }

  git_config_iterator_free (iterator);
  git_config_free (config);

  if (status != GIT_ITEROVER)
    {
      set_git_error (error, _("Could not read the git configuration"));
      git_libgit2_shutdown ();
      return NULL;
    }

  git_libgit2_shutdown ();
  return g_steal_pointer (&rules);
}
