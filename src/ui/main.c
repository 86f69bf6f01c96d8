/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <malloc.h>
#include <signal.h>

#include "astro-application.h"
#include "astro-bench-probe.h"

static gboolean
quit_on_signal (gpointer data)
{
  g_application_quit (G_APPLICATION (data));
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AstroApplication) app = NULL;

  astro_bench_probe_mark ("main");
  /* glibc gives threads 8 malloc arenas per core; the app runs over 20
   * threads, so on two cores our lower-priority threads end up sharing the
   * main thread's arena, and the window waits whenever one of them is
   * preempted holding its lock. One arena per thread, before any starts. */
  mallopt (M_ARENA_MAX, 64);
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Astrolabe"));

  app = astro_application_new ();
  /* Quit as from the menu, so queued work stops and the database is tidied,
   * when the session ends or a terminal interrupts. */
  g_unix_signal_add (SIGTERM, quit_on_signal, app);
  g_unix_signal_add (SIGINT, quit_on_signal, app);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
