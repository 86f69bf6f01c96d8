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

typedef struct
{
  GTask           *task;
  GTaskThreadFunc  func;
} Job;

static void
run_job (gpointer data,
         gpointer user_data)
{
  Job *job = data;

  astro_thread_lower_priority ();
  job->func (job->task, g_task_get_source_object (job->task), g_task_get_task_data (job->task),
             g_task_get_cancellable (job->task));
  g_object_unref (job->task);
  g_free (job);
}

/**
 * astro_thread_run_in_background:
 * @task: a task whose @func calls one of g_task_return_*()
 *
 * Like g_task_run_in_thread(), on a thread of our own that runs at a lower
 * priority: for work the UI waits for less than for its frames (listing
 * 100,000 tasks, comparing two such lists). One thread: the jobs run in the
 * order given.
 */
void
astro_thread_run_in_background (GTask           *task,
                                GTaskThreadFunc  func)
{
  static gsize pool;
  Job *job;

  if (g_once_init_enter (&pool))
    {
      g_autoptr(GError) error = NULL;
      GThreadPool *created = g_thread_pool_new (run_job, NULL, 1, FALSE, &error);

      g_assert_no_error (error);
      g_once_init_leave (&pool, (gsize) created);
    }

  job = g_new0 (Job, 1);
  job->task = g_object_ref (task);
  job->func = func;
  g_thread_pool_push ((GThreadPool *) pool, job, NULL);
}
