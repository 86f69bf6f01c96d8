/* astro-ctl-account.c: astrolabe-ctl login and logout
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "astro-account.h"
#include "astro-ctl.h"

/* Secrets come from the terminal (not echoed) or from stdin, never argv:
 * argv is visible to every user of the machine. */
static char *
read_secret (const char *prompt)
{
  struct termios saved, quiet;
  gboolean terminal = isatty (STDIN_FILENO);
  char line[4096];
  char *result = NULL;

  if (terminal)
    {
      fprintf (stderr, "%s", prompt);
      fflush (stderr);
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }

  if (fgets (line, sizeof line, stdin) != NULL)
    {
      line[strcspn (line, "\r\n")] = '\0';
      result = g_strdup (line);
    }
  explicit_bzero (line, sizeof line);

  if (terminal)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved);
      fprintf (stderr, "\n");
    }

  return result;
}

int
astro_ctl_login (int    argc,
                 char **argv)
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *server = NULL;
  g_autofree char *email = NULL;
  g_autofree char *secret = NULL;
  gboolean with_token = FALSE;
  gboolean ok;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("The team server’s address"), N_("URL") },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, N_("Your email address"), N_("EMAIL") },
    { "token", 0, 0, G_OPTION_ARG_NONE, &with_token, N_("Sign in with a personal access token, read from the terminal or stdin"), NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, NULL, _("Sign in. The password (or, with --token, the personal token) "
                                           "is read from the terminal or stdin, never from the command line."), entries, 0))
    return 2;

  if (server == NULL || (!with_token && email == NULL))
    {
      astro_ctl_error ("%s", _("usage: astrolabe-ctl login --server URL (--email EMAIL | --token)"));
      return 2;
    }

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  account = astro_account_load (store, server, &error);
  if (account == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  secret = read_secret (with_token ? _("Personal access token: ") : _("Password: "));
  if (secret == NULL || secret[0] == '\0')
    {
      astro_ctl_error ("%s", with_token ? _("no token given") : _("no password given"));
      return 2;
    }

  ok = with_token
    ? astro_account_sign_in_with_token (account, secret, &error)
    : astro_account_sign_in (account, email, secret, &error);
  explicit_bzero (secret, strlen (secret));

  if (!ok)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  g_print (_("Signed in to %s as %s\n"), astro_account_get_server_url (account),
           astro_account_get_email (account));
  return 0;
}

int
astro_ctl_logout (int    argc,
                  char **argv)
{
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  if (!astro_ctl_parse_options (&argc, &argv, NULL, _("Sign out: the server forgets the session, the saved sign-in "
                                           "and the synced data go, linked folders stay."), entries, 0))
    return 2;

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  account = astro_account_load (store, NULL, &error);
  if (account == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  if (!astro_account_sign_out (account, &error))
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  g_print ("%s", _("Signed out\n"));
  return 0;
}
