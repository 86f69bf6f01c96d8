/* astro-ctl.c: Astrolabe's core on the command line, for scripts, agents and
 * headless machines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <glib/gi18n.h>

#include "astro-ctl.h"

typedef struct
{
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "db", astro_ctl_db, N_("Inspect the local database (db info)") },
  { "remote", astro_ctl_remote, N_("Turn git remote URLs into repository keys (remote normalize)") },
  { "login", astro_ctl_login, N_("Sign in to a team server") },
  { "logout", astro_ctl_logout, N_("Sign out and forget the synced data") },
  { "sync", astro_ctl_sync, N_("Sync every table from the server") },
  { "status", astro_ctl_status, N_("Show how each table stands") },
  { "tasks", astro_ctl_tasks, N_("List tasks from the local copy") },
  { "link", astro_ctl_link, N_("Link a folder to the repository its git remotes match") },
  { "unlink", astro_ctl_unlink, N_("Forget a folder’s link") },
  { "workspace", astro_ctl_workspace, N_("Start, archive or update a workspace (start, archive, delete, set-pr, set-git)") },
  { "task", astro_ctl_task, N_("Change a task (set-status)") },
  { "outbox", astro_ctl_outbox, N_("List writes not yet settled, or send them (--send)") },
};

void
astro_ctl_error (const char *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("astrolabe-ctl: %s\n", message);
}

char *
astro_ctl_json_string (const char *value)
{
  g_autoptr(GString) out = NULL;

  if (value == NULL)
    return g_strdup ("null");

  out = g_string_new ("\"");
  for (const char *p = value; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if ((guchar) *p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Parses a command's options; on bad ones, or more than max_arguments
 * arguments after the command's name, says why and returns FALSE (the
 * caller exits 2). */
gboolean
astro_ctl_parse_options (int                 *argc,
                         char              ***argv,
                         const char          *parameters,
                         const char          *summary,
                         const GOptionEntry  *entries,
                         int                  max_arguments)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameters);
  g_autoptr(GError) error = NULL;
  g_autofree char *command = g_strdup ((*argv)[0]);

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      astro_ctl_error ("%s", error->message);
      return FALSE;
    }

  if (*argc - 1 > max_arguments)
    {
      if (max_arguments == 0)
        astro_ctl_error (_("%s takes no arguments"), command);
      else
        astro_ctl_error (_("%s takes at most %d arguments"), command, max_arguments);
      return FALSE;
    }

  return TRUE;
}

/* Opens the store, saying why when it cannot (the caller just exits 1), and
 * telling the user when a damaged database had to be set aside: they would
 * otherwise wonder where their data went. */
AstroStore *
astro_ctl_open_store (const char *path)
{
  g_autofree char *default_path = NULL;
  g_autoptr(GError) error = NULL;
  AstroStore *store;

  if (path == NULL)
    path = default_path = astro_store_default_path ();

  store = astro_store_open (path, &error);
  if (store == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return NULL;
    }

  if (astro_store_get_recovered_path (store) != NULL)
    astro_ctl_error (_("the database was damaged; it was moved to %s and a new one was made"),
                     astro_store_get_recovered_path (store));

  return store;
}

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s", _("Usage: astrolabe-ctl [--version] COMMAND [ARGS…]\n\nCommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (stream, "%s", _("\nRun “astrolabe-ctl COMMAND --help” for a command’s options.\n"));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }

  if (g_str_equal (argv[1], "--version") || g_str_equal (argv[1], "version"))
    {
      g_print ("astrolabe-ctl %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].run (argc - 1, argv + 1);

  astro_ctl_error (_("unknown command “%s”"), argv[1]);
  print_usage (stderr);
  return 2;
}
