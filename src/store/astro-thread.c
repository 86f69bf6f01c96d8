/* astro-thread.c: background threads that leave the CPU to the UI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * On two cores an initial sync keeps both busy (parsing, writing,
 * checkpointing): the main thread of the window then waits for a core, and a
 * frame that needs 5 ms of work is drawn 100 ms late. Syncing in the
 * background at a lower priority costs it little, as the UI is idle most of
 * the time, and gives the UI a core whenever it needs one.
 */
#define G_LOG_DOMAIN "astro-thread"

#include "config.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "astro-thread.h"

#define BACKGROUND_NICE 10

/* Linux applies a nice value to the calling thread alone. It cannot be taken
 * back without privileges, so only threads of our own may call this. */
void
astro_thread_lower_priority (void)
{
  static GPrivate lowered;

  if (g_private_get (&lowered) != NULL)
    return;

  g_private_set (&lowered, GINT_TO_POINTER (1));
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), BACKGROUND_NICE) != 0)
    g_debug ("Could not lower the priority of a thread: %s", g_strerror (errno));
}
