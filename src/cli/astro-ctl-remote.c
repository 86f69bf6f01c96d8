/* astro-ctl-remote.c: astrolabe-ctl remote normalize
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-ctl.h"
#include "astro-git-config.h"
#include "astro-remote-url.h"
#include "astro-ssh-resolver.h"

static int
remote_normalize (int          n_urls,
                  char       **urls,
                  const char  *ssh_config)
{
  g_autoptr(AstroSshResolver) resolver = astro_ssh_resolver_new (ssh_config);
  g_autoptr(GArray) rules = NULL;
  g_autoptr(GError) error = NULL;
  AstroRemoteContext context = { 0 };
  int status = 0;

  /* A broken git configuration only costs the insteadOf rules: the URLs
   * that need none still get their keys. */
  rules = astro_git_config_read_insteadof (&error);
  if (rules == NULL)
    astro_ctl_error ("%s", error->message);
  else
    {
      context.insteadof = (const AstroInsteadOf *) (gpointer) rules->data;
      context.n_insteadof = rules->len;
    }
  context.ssh_resolve = astro_ssh_resolver_resolve_func;
  context.ssh_resolve_data = resolver;

  for (int i = 0; i < n_urls; i++)
    {
      g_autofree char *reason = NULL;
      g_autofree char *key = astro_remote_url_normalize (urls[i], &context, &reason);

      if (key != NULL)
        {
          g_print ("%s\n", key);
        }
      else
        {
          g_print ("ERROR: %s\n", reason);
          status = 1;
        }
    }

  return status;
}

int
astro_ctl_remote (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ssh_config = NULL;
  GOptionEntry entries[] = {
    { "ssh-config", 0, 0, G_OPTION_ARG_FILENAME, &ssh_config,
      N_("Resolve ssh host aliases with this file (ssh -F)"), N_("FILE") },
    { NULL }
  };

  context = g_option_context_new ("normalize URL…");
  g_option_context_set_summary (context,
                                _("Print the key that links each git remote URL to a repository, "
                                  "or “ERROR: ” and the reason it cannot be linked."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      astro_ctl_error ("%s", error->message);
      return 2;
    }

  if (argc < 3 || !g_str_equal (argv[1], "normalize"))
    {
      astro_ctl_error ("%s", _("usage: astrolabe-ctl remote normalize [--ssh-config FILE] URL…"));
      return 2;
    }

  /* ssh would quietly fail on a missing file and resolve nothing. */
  if (ssh_config != NULL && !g_file_test (ssh_config, G_FILE_TEST_EXISTS))
    {
      astro_ctl_error (_("no such ssh configuration file: %s"), ssh_config);
      return 2;
    }

  /* GOption leaves "--" in place when what follows looks like options. */
  if (argc > 3 && g_str_equal (argv[2], "--"))
    return remote_normalize (argc - 3, argv + 3, ssh_config);

  return remote_normalize (argc - 2, argv + 2, ssh_config);
}
