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
 * @task: a task whose @func calls one of astro_thread_return_*()
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

/*
 * Posting to a main context without taking its lock
 *
 * g_main_context_invoke() and g_source_attach() wake the context's thread
 * while they hold its lock. Called from one of our lower-priority threads,
 * that is a priority inversion: the woken UI thread preempts the poster and
 * then waits for the lock the poster still holds, until the poster gets a
 * core back (10-30 ms of a frozen window when both cores are busy). Posts
 * here go on a lock-free list instead, and an eventfd wakes the context.
 */

#include <sys/eventfd.h>

typedef struct _Post Post;
struct _Post
{
  Post           *next;
  GSourceFunc     func;
  gpointer        data;
  GDestroyNotify  destroy;
};

typedef struct
{
  GSource       source;
  GMainContext *context;
  Post         *posts;          /* atomic; newest first */
  int           fd;
} Mailbox;

#define MAX_MAILBOXES 8

static Mailbox *mailboxes[MAX_MAILBOXES];
static GMutex   mailboxes_lock;

static gboolean
mailbox_dispatch (GSource     *source,
                  GSourceFunc  callback,
                  gpointer     user_data)
{
  Mailbox *mailbox = (Mailbox *) source;
  Post *posts, *ordered = NULL;
  guint64 count;

  /* the eventfd first: a post after this either is in the list taken
   * below, or finds the list empty and writes again */
  if (read (mailbox->fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("Could not read a main loop's wake-up: %s", g_strerror (errno));
  posts = g_atomic_pointer_exchange (&mailbox->posts, NULL);

  while (posts != NULL)
    {
      Post *next = posts->next;

      posts->next = ordered;
      ordered = posts;
      posts = next;
    }

  while (ordered != NULL)
    {
      Post *post = ordered;

      ordered = post->next;
      post->func (post->data);
      if (post->destroy != NULL)
        post->destroy (post->data);
      g_free (post);
    }

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs mailbox_funcs = {
  .dispatch = mailbox_dispatch,
};

static Mailbox *
mailbox_for (GMainContext *context)
{
  Mailbox *mailbox;

  if (context == NULL)
    context = g_main_context_default ();

  for (guint i = 0; i < MAX_MAILBOXES; i++)
    {
      mailbox = g_atomic_pointer_get (&mailboxes[i]);
      if (mailbox == NULL)
        break;
      if (mailbox->context == context)
        return mailbox;
    }

  g_mutex_lock (&mailboxes_lock);
  for (guint i = 0; i < MAX_MAILBOXES; i++)
    {
      mailbox = mailboxes[i];
      if (mailbox != NULL && mailbox->context == context)
        break;
      if (mailbox != NULL)
        continue;

      /* once per context, kept for the process's life */
      mailbox = (Mailbox *) g_source_new (&mailbox_funcs, sizeof (Mailbox));
      mailbox->context = g_main_context_ref (context);
      mailbox->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (mailbox->fd < 0)
        g_error ("Could not make an eventfd: %s", g_strerror (errno));
      g_source_add_unix_fd (&mailbox->source, mailbox->fd, G_IO_IN);
      g_source_set_priority (&mailbox->source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (&mailbox->source, "[astro] posts from threads");
      g_source_attach (&mailbox->source, context);
      g_atomic_pointer_set (&mailboxes[i], mailbox);
      break;
    }
  g_mutex_unlock (&mailboxes_lock);

  if (mailbox == NULL || mailbox->context != context)
    g_error ("More main contexts than %d take posts from threads", MAX_MAILBOXES);
  return mailbox;
}

/**
 * astro_thread_post:
 * @context: (nullable): the context to run @func in; %NULL for the default
 *
 * Runs @func once in @context, then @destroy, like
 * g_main_context_invoke_full() but never at once and without taking
 * @context's lock: for threads that run at a lower priority. Posts from one
 * thread run in the order made.
 */
void
astro_thread_post (GMainContext   *context,
                   GSourceFunc     func,
                   gpointer        data,
                   GDestroyNotify  destroy)
{
  Mailbox *mailbox = mailbox_for (context);
  Post *post = g_new (Post, 1);
  Post *head;
  static const guint64 one = 1;

  post->func = func;
  post->data = data;
  post->destroy = destroy;
  do
    {
      head = g_atomic_pointer_get (&mailbox->posts);
      post->next = head;
    }
  while (!g_atomic_pointer_compare_and_exchange (&mailbox->posts, head, post));

  /* an empty list was drained: the context sleeps, or is about to */
  if (head == NULL && write (mailbox->fd, &one, sizeof one) < 0)
    g_warning ("Could not wake a main loop: %s", g_strerror (errno));
}

typedef enum
{
  RETURN_POINTER,
  RETURN_INT,
  RETURN_BOOLEAN,
  RETURN_ERROR,
} ReturnKind;

typedef struct
{
  GTask          *task;
  ReturnKind      kind;
  gpointer        pointer;
  GDestroyNotify  pointer_destroy;
  gssize          number;
  GError         *error;
} Return;

static void
return_free (gpointer data)
{
  Return *ret = data;

  /* only when the post never ran: it took them */
  if (ret->pointer != NULL && ret->pointer_destroy != NULL)
    ret->pointer_destroy (ret->pointer);
  g_clear_error (&ret->error);
  g_object_unref (ret->task);
  g_free (ret);
}

static gboolean
return_in_context (gpointer data)
{
  Return *ret = data;

  switch (ret->kind)
    {
    case RETURN_POINTER:
      g_task_return_pointer (ret->task, g_steal_pointer (&ret->pointer), ret->pointer_destroy);
      break;

    case RETURN_INT:
      g_task_return_int (ret->task, ret->number);
      break;

    case RETURN_BOOLEAN:
      g_task_return_boolean (ret->task, ret->number != 0);
      break;

    case RETURN_ERROR:
    default:
      g_task_return_error (ret->task, g_steal_pointer (&ret->error));
      break;
    }

  return G_SOURCE_REMOVE;
}

static void
post_return (GTask  *task,
             Return *ret)
{
  ret->task = g_object_ref (task);
  astro_thread_post (g_task_get_context (task), return_in_context, ret, return_free);
}

/* g_task_return_*() for a task run on one of our lower-priority threads:
 * the task completes in its context through astro_thread_post(). */
void
astro_thread_return_pointer (GTask          *task,
                             gpointer        result,
                             GDestroyNotify  result_destroy)
{
  Return *ret = g_new0 (Return, 1);

  ret->kind = RETURN_POINTER;
  ret->pointer = result;
  ret->pointer_destroy = result_destroy;
  post_return (task, ret);
}

static void
return_number (GTask      *task,
               ReturnKind  kind,
               gssize      number)
{
  Return *ret = g_new0 (Return, 1);

  ret->kind = kind;
  ret->number = number;
  post_return (task, ret);
}

void
astro_thread_return_int (GTask  *task,
                         gssize  result)
{
  return_number (task, RETURN_INT, result);
}

void
astro_thread_return_boolean (GTask    *task,
                             gboolean  result)
{
  return_number (task, RETURN_BOOLEAN, result);
}

void
astro_thread_return_error (GTask  *task,
                           GError *error)
{
  Return *ret = g_new0 (Return, 1);

  ret->kind = RETURN_ERROR;
  ret->error = error;
  post_return (task, ret);
}
