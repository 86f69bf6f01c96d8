/* test-thread.c: posting to a main context from lower-priority threads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "astro-thread.h"

#define N_THREADS 4
#define N_POSTS   5000

typedef struct
{
  GMainContext *context;
  GMutex        lock;
  guint         next[N_THREADS];   /* the post each thread's next must be */
  guint         ran;
  guint         destroyed;
  gboolean      out_of_order;
  gboolean      wrong_thread;
  GThread      *owner;
} Posts;

typedef struct
{
  Posts *posts;
  guint  thread;
  guint  number;
} Post;

static gboolean
run_post (gpointer data)
{
  Post *post = data;
  Posts *posts = post->posts;

  if (g_thread_self () != posts->owner)
    posts->wrong_thread = TRUE;
  if (posts->next[post->thread] != post->number)
    posts->out_of_order = TRUE;
  posts->next[post->thread] = post->number + 1;
  posts->ran++;
  return G_SOURCE_REMOVE;
}

static void
destroy_post (gpointer data)
{
  Post *post = data;

  g_atomic_int_inc (&post->posts->destroyed);
  g_free (post);
}

static gpointer
post_from_thread (gpointer data)
{
  Post *template = data;

  astro_thread_lower_priority ();
  for (guint i = 0; i < N_POSTS; i++)
    {
      Post *post = g_new0 (Post, 1);

      post->posts = template->posts;
      post->thread = template->thread;
      post->number = i;
      astro_thread_post (template->posts->context, run_post, post, destroy_post);
      /* now and then the context drains the list between two posts */
      if (i % 500 == 0)
        g_usleep (1000);
    }

  return NULL;
}

/* Every post runs once, in the context's thread, in each thread's order */
static void
test_thread_post_order (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Posts posts = { 0, };
  GThread *threads[N_THREADS];
  Post templates[N_THREADS];
  gint64 deadline;

  posts.context = context;
  posts.owner = g_thread_self ();
  g_main_context_push_thread_default (context);

  for (guint t = 0; t < N_THREADS; t++)
    {
      templates[t].posts = &posts;
      templates[t].thread = t;
      threads[t] = g_thread_new ("poster", post_from_thread, &templates[t]);
    }

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (posts.ran < N_THREADS * N_POSTS && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);

  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);

  g_assert_cmpuint (posts.ran, ==, N_THREADS * N_POSTS);
  g_assert_cmpuint (g_atomic_int_get (&posts.destroyed), ==, N_THREADS * N_POSTS);
  g_assert_false (posts.out_of_order);
  g_assert_false (posts.wrong_thread);

  g_main_context_pop_thread_default (context);
}

/* Unlike g_main_context_invoke(), never at once, even from the context's
 * own thread: a caller's state is whole when the post runs */
static void
test_thread_post_later (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Posts posts = { 0, };
  Post *post = g_new0 (Post, 1);

  posts.context = context;
  posts.owner = g_thread_self ();
  post->posts = &posts;
  g_main_context_push_thread_default (context);

  astro_thread_post (context, run_post, post, destroy_post);
  g_assert_cmpuint (posts.ran, ==, 0);

  while (posts.ran == 0)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpuint (posts.destroyed, ==, 1);

  /* nothing left to wake the context for */
  g_assert_false (g_main_context_iteration (context, FALSE));
  g_main_context_pop_thread_default (context);
}

static void
return_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  const char *kind = task_data;

  if (g_str_equal (kind, "pointer"))
    astro_thread_return_pointer (task, g_strdup ("listed"), g_free);
  else if (g_str_equal (kind, "int"))
    astro_thread_return_int (task, 42);
  else
    astro_thread_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "refused"));
}

typedef struct
{
  GThread      *owner;
  GAsyncResult *result;
} Completion;

static void
on_returned_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Completion *completion = user_data;

  g_assert_true (g_thread_self () == completion->owner);
  completion->result = g_object_ref (result);
}

static GTask *
run_until_returned (const char *kind)
{
  Completion completion = { g_thread_self (), NULL };
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_returned_cb, &completion);

  g_task_set_task_data (task, (gpointer) kind, NULL);
  astro_thread_run_in_background (task, return_in_thread);
  while (completion.result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return G_TASK (completion.result);
}

/* A task run in the background completes in its own context, with what
 * the thread returned */
static void
test_thread_return (void)
{
  g_autoptr(GTask) listed = run_until_returned ("pointer");
  g_autoptr(GTask) counted = run_until_returned ("int");
  g_autoptr(GTask) failed = run_until_returned ("error");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_task_propagate_pointer (listed, NULL);

  g_assert_cmpstr (text, ==, "listed");
  g_assert_cmpint (g_task_propagate_int (counted, NULL), ==, 42);
  g_assert_false (g_task_propagate_boolean (failed, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/thread/post/order", test_thread_post_order);
  g_test_add_func ("/thread/post/later", test_thread_post_later);
  g_test_add_func ("/thread/return", test_thread_return);

  return g_test_run ();
}
