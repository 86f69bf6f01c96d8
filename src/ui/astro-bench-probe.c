/* astro-bench-probe.c: figures for the UI benchmarks, only when asked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tests/bench/bench-ui.py runs the real app with ASTROLABE_BENCH_LOG=FILE and
 * reads one JSON object per line from FILE (times are CLOCK_MONOTONIC in µs,
 * the clock of Python's time.monotonic()):
 *
 *   first-frame  the window's first paint, and the RSS then       (P5)
 *   stall        the main loop did not answer for "ms" ≥ 4 ms    (P4);
 *                "ran_ms" of it the main thread was on a core,
 *                "waited_ms" it was ready but another thread had it,
 *                "steal_ms" the virtual machine's cores were taken by
 *                its host (all cores, in steps of 10 ms)
 *   rss          the RSS, every second                            (P5)
 *   switch       selecting the other organization until the frame
 *                showing its list was painted, in ms              (P6)
 *   frame        each frame: when it began, and its layout and paint
 *                phases in ms  (what a stall was, how many frames)
 *   write        a change of the first task's priority made through the
 *                app's own action, and how long that call took, in ms
 *   mark         a step of the start, a page of the window shown, or a
 *                GtkSettings or window property changed ("setting:NAME",
 *                "window:NAME"): what may lay the whole window out again
 *
 * With ASTROLABE_BENCH_SWITCH=N it switches organization N times, once a
 * second, through the window's own organization drop-down. With
 * ASTROLABE_BENCH_WRITES=N it changes the first task's priority N times, 300 ms
 * apart, once the list is shown, as a person would during a first sync. Nothing here runs
 * unless ASTROLABE_BENCH_LOG is set.
 */
#define G_LOG_DOMAIN "astro-bench-probe"

#include "config.h"

#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "astro-bench-probe.h"
#include "astro-organization-switcher.h"
#include "astro-task.h"
#include "astro-tasks-page.h"

#define PING_INTERVAL_US 2000
#define STALL_MIN_US     4000
/* A stall this long, the main thread running or waiting for a lock: its
 * stack is taken */
#define STACK_AFTER_US   8000
#define STACK_DEPTH      40
/* When it waits for a lock, the other threads' stacks too: the holder's */
#define MAX_OTHERS       64
#define OTHER_DEPTH      12

typedef struct
{
  FILE       *log;
  GMutex      lock;
  GMainContext *context;
  GtkWindow  *window;          /* weak */
  gpointer    ping_posted;     /* the time it was posted; NULL once answered */
  char       *schedstat_path;  /* the main thread's */
  char       *syscall_path;    /* the main thread's */
  pid_t       main_tid;
  /* the main thread's stack, taken once per stall by a signal */
  void       *stack[STACK_DEPTH];
  gint        stack_depth;
  gint        stack_asked;
  struct {
    pid_t     tid;
    gint      depth;
    void     *frames[OTHER_DEPTH];
  }           others[MAX_OTHERS];
  gint        n_others;
  pid_t       watchdog_tid;
  /* while a ping waits: what the main thread was found doing, every 2 ms */
  gint        seen_running;
  gint        seen_futex;      /* waiting for a lock */
  gint        seen_poll;       /* waiting for a file descriptor: the display's */
  gint        seen_other;
  gint64      posted_ran_ns;
  gint64      posted_waited_ns;
  gint64      posted_steal;
  guint       switches_left;
  guint       writes_left;
  gint64      switch_started;
  gint64      switch_selected;
  gint64      switch_laid_out;
  gboolean    first_frame_seen;
  gint64      frame_started;
  gint64      frame_laid_out;
} Probe;

static Probe *probe;

static long
current_rss_kb (void)
{
  long pages = 0, resident = 0;
  FILE *statm = fopen ("/proc/self/statm", "r");

  if (statm != NULL)
    {
      if (fscanf (statm, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
      fclose (statm);
    }

  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static void
log_event (const char *format,
           ...) G_GNUC_PRINTF (1, 2);

static void
log_event (const char *format,
           ...)
{
  va_list args;

  g_mutex_lock (&probe->lock);
  va_start (args, format);
  vfprintf (probe->log, format, args);
  va_end (args);
  fputc ('\n', probe->log);
  fflush (probe->log);
  g_mutex_unlock (&probe->lock);
}

/* The time the main thread ran on a core, and waited for one, in ns */
static void
read_schedstat (gint64 *ran,
                gint64 *waited)
{
  FILE *file = fopen (probe->schedstat_path, "r");

  *ran = *waited = 0;
  if (file == NULL)
    return;
  if (fscanf (file, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT, ran, waited) != 2)
    *ran = *waited = 0;
  fclose (file);
}

/* Ticks the host took the machine's cores for another guest; a thread
 * seen running meanwhile did not run */
static gint64
read_steal (void)
{
  gint64 field[8] = { 0, };
  FILE *file = fopen ("/proc/stat", "r");

  if (file == NULL)
    return 0;
  if (fscanf (file, "cpu %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
              " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
              " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
              &field[0], &field[1], &field[2], &field[3],
              &field[4], &field[5], &field[6], &field[7]) != 8)
    field[7] = 0;
  fclose (file);

  return field[7];
}

/* What the main thread is doing now, from /proc: running, or the system
 * call it waits in (x86-64 numbers). Whether its stack tells more: it runs,
 * or waits for a lock. */
typedef enum
{
  SEEN_ELSEWHERE,
  SEEN_RUNNING,
  SEEN_LOCK,
} Seen;

static Seen
sample_main_thread (void)
{
  char line[64] = "";
  FILE *file = fopen (probe->syscall_path, "r");
  long number;

  if (file == NULL)
    return SEEN_ELSEWHERE;
  if (fgets (line, sizeof line, file) == NULL)
    line[0] = '\0';
  fclose (file);

  if (g_str_has_prefix (line, "running"))
    {
      g_atomic_int_inc (&probe->seen_running);
      return SEEN_RUNNING;
    }

  number = strtol (line, NULL, 10);
  if (number == 202)                                   /* futex */
    {
      g_atomic_int_inc (&probe->seen_futex);
      return SEEN_LOCK;
    }
  else if (number == 7 || number == 271 || number == 232)  /* poll, ppoll, epoll_wait */
    g_atomic_int_inc (&probe->seen_poll);
  else
    g_atomic_int_inc (&probe->seen_other);
  return SEEN_ELSEWHERE;
}

/* In the main thread, interrupted: backtrace() is not async-signal-safe
 * in general, but once warmed up (at start) it only walks the unwind
 * tables. A benchmark's tool, never on otherwise. */
static void
on_stack_signal (int signal_number)
{
  pid_t tid = (pid_t) syscall (SYS_gettid);
  gint slot;

  if (tid == probe->main_tid)
    {
      if (g_atomic_int_get (&probe->stack_depth) == 0)
        g_atomic_int_set (&probe->stack_depth, backtrace (probe->stack, STACK_DEPTH));
      return;
    }

  slot = g_atomic_int_add (&probe->n_others, 1);
  if (slot >= MAX_OTHERS)
    return;
  g_atomic_int_set (&probe->others[slot].depth, 0);
  probe->others[slot].tid = tid;
  g_atomic_int_set (&probe->others[slot].depth, backtrace (probe->others[slot].frames, OTHER_DEPTH));
}

/* Every thread but this one: which holds the lock the main thread waits for */
static void
signal_other_threads (void)
{
  GDir *tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;

  if (tasks == NULL)
    return;
  while ((name = g_dir_read_name (tasks)) != NULL)
    {
      pid_t tid = (pid_t) strtol (name, NULL, 10);

      if (tid != probe->main_tid && tid != probe->watchdog_tid)
        syscall (SYS_tgkill, getpid (), tid, SIGPROF);
    }
  g_dir_close (tasks);
}

/* The stack as JSON strings, "library(symbol+offset)": static functions
 * show as offsets, for addr2line. Main thread. */
static char *
stack_json (void **frames,
            gint   depth)
{
  g_autoptr(GString) json = g_string_new ("[");
  char **symbols;

  if (depth <= 0)
    return g_strdup ("[]");

  symbols = backtrace_symbols (frames, depth);
  /* the first two frames are the handler and the signal trampoline */
  for (gint i = 2; symbols != NULL && i < depth; i++)
    {
      const char *slash = strrchr (symbols[i], '/');
      g_autofree char *escaped = g_strescape (slash != NULL ? slash + 1 : symbols[i], NULL);

      g_string_append_printf (json, "%s\"%s\"", i > 2 ? ", " : "", escaped);
    }
  free (symbols);
  g_string_append_c (json, ']');
  return g_string_free (g_steal_pointer (&json), FALSE);
}

/* The other threads' stacks, when they were taken: [{"thread", "stack"}] */
static char *
others_json (void)
{
  g_autoptr(GString) json = g_string_new ("[");
  gint n = MIN (g_atomic_int_get (&probe->n_others), MAX_OTHERS);

  for (gint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%d/comm", (int) probe->others[i].tid);
      g_autofree char *name = NULL;
      g_autofree char *escaped = NULL;
      g_autofree char *stack = stack_json (probe->others[i].frames,
                                           g_atomic_int_get (&probe->others[i].depth));

      if (!g_file_get_contents (path, &name, NULL, NULL))
        name = g_strdup ("?");
      g_strstrip (name);
      escaped = g_strescape (name, NULL);
      g_string_append_printf (json, "%s{\"thread\": \"%s\", \"stack\": %s}", i > 0 ? ", " : "",
                              escaped, stack);
    }
  g_string_append_c (json, ']');
  return g_string_free (g_steal_pointer (&json), FALSE);
}

static gboolean
on_ping_cb (gpointer data)
{
  gint64 posted = (gint64) GPOINTER_TO_SIZE (g_atomic_pointer_get (&probe->ping_posted));
  gint64 now = g_get_monotonic_time ();
  gint64 ran, waited;

  if (posted != 0 && now - posted >= STALL_MIN_US)
    {
      g_autofree char *stack = stack_json (probe->stack, g_atomic_int_get (&probe->stack_depth));
      g_autofree char *others = others_json ();

      read_schedstat (&ran, &waited);
      log_event ("{\"event\": \"stall\", \"t\": %" G_GINT64_FORMAT ", \"ms\": %.1f, "
                 "\"ran_ms\": %.1f, \"waited_ms\": %.1f, \"steal_ms\": %.0f, \"seen\": {\"running\": %d, "
                 "\"lock\": %d, \"display\": %d, \"other\": %d}, \"stack\": %s, "
                 "\"others\": %s}",
                 posted, (now - posted) / 1000.0,
                 (ran - probe->posted_ran_ns) / 1e6, (waited - probe->posted_waited_ns) / 1e6,
                 (read_steal () - probe->posted_steal) * 1000.0 / sysconf (_SC_CLK_TCK),
                 g_atomic_int_get (&probe->seen_running), g_atomic_int_get (&probe->seen_futex),
                 g_atomic_int_get (&probe->seen_poll), g_atomic_int_get (&probe->seen_other),
                 stack, others);
    }

  g_atomic_pointer_set (&probe->ping_posted, NULL);
  return G_SOURCE_REMOVE;
}

/* Asks the main loop to answer every 2 ms; how long an answer takes is how
 * long the loop was busy with something else: what a key press would wait. */
static gpointer
watchdog_thread (gpointer data)
{
  probe->watchdog_tid = (pid_t) syscall (SYS_gettid);
  for (;;)
    {
      gpointer posted;

      g_usleep (PING_INTERVAL_US);
      posted = g_atomic_pointer_get (&probe->ping_posted);
      if (posted != NULL)
        {
          Seen seen = sample_main_thread ();

          if (seen != SEEN_ELSEWHERE &&
              g_get_monotonic_time () - (gint64) GPOINTER_TO_SIZE (posted) >= STACK_AFTER_US &&
              g_atomic_int_compare_and_exchange (&probe->stack_asked, FALSE, TRUE))
            {
              syscall (SYS_tgkill, getpid (), probe->main_tid, SIGPROF);
              if (seen == SEEN_LOCK)
                signal_other_threads ();
            }
          continue;
        }

      read_schedstat (&probe->posted_ran_ns, &probe->posted_waited_ns);
      probe->posted_steal = read_steal ();
      g_atomic_int_set (&probe->stack_depth, 0);
      g_atomic_int_set (&probe->n_others, 0);
      g_atomic_int_set (&probe->stack_asked, FALSE);
      g_atomic_int_set (&probe->seen_running, 0);
      g_atomic_int_set (&probe->seen_futex, 0);
      g_atomic_int_set (&probe->seen_poll, 0);
      g_atomic_int_set (&probe->seen_other, 0);
      posted = GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ());
      g_atomic_pointer_set (&probe->ping_posted, posted);
      g_main_context_invoke_full (probe->context, G_PRIORITY_DEFAULT, on_ping_cb, NULL, NULL);
      /* This thread may lose its core between reading the clock and waking
       * the main loop: the wait counts from the wake-up, not from before. */
      g_atomic_pointer_compare_and_exchange (&probe->ping_posted, posted,
                                             GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
    }

  return NULL;
}

static gboolean
on_rss_timeout_cb (gpointer data)
{
  log_event ("{\"event\": \"rss\", \"t\": %" G_GINT64_FORMAT ", \"rss_kb\": %ld}",
             g_get_monotonic_time (), current_rss_kb ());
  return G_SOURCE_CONTINUE;
}

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type,
             gboolean   mapped_only)
{
  /* an unmapped widget's children are unmapped too (a drop-down's popover) */
  if (mapped_only && !gtk_widget_get_mapped (widget))
    return NULL;
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, mapped_only);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Connected after GTK's own handlers, so each marks the end of its phase */
static void
on_switch_laid_out_cb (GdkFrameClock *clock,
                       gpointer       data)
{
  g_signal_handlers_disconnect_by_func (clock, on_switch_laid_out_cb, data);
  probe->switch_laid_out = g_get_monotonic_time ();
}

static void
on_switch_painted_cb (GdkFrameClock *clock,
                      gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  g_signal_handlers_disconnect_by_func (clock, on_switch_painted_cb, data);
  log_event ("{\"event\": \"switch\", \"t\": %" G_GINT64_FORMAT ", \"ms\": %.1f, "
             "\"selected_ms\": %.1f, \"laid_out_ms\": %.1f}",
             probe->switch_started, (now - probe->switch_started) / 1000.0,
             (probe->switch_selected - probe->switch_started) / 1000.0,
             (probe->switch_laid_out - probe->switch_started) / 1000.0);
}

static gboolean
on_switch_timeout_cb (gpointer data)
{
  GtkWidget *page, *switcher;
  GtkDropDown *dropdown;
  GdkFrameClock *clock;
  guint selected;

  if (probe->window == NULL || probe->switches_left == 0)
    return G_SOURCE_REMOVE;

  page = find_widget (GTK_WIDGET (probe->window), ASTRO_TYPE_TASKS_PAGE, FALSE);
  switcher = find_widget (GTK_WIDGET (probe->window), ASTRO_TYPE_ORGANIZATION_SWITCHER, FALSE);
  if (page == NULL || switcher == NULL || !gtk_widget_get_mapped (page))
    return G_SOURCE_CONTINUE;

  /* the same drop-down a person would use, so the same path runs */
  dropdown = GTK_DROP_DOWN (adw_bin_get_child (ADW_BIN (switcher)));
  if (dropdown == NULL || g_list_model_get_n_items (gtk_drop_down_get_model (dropdown)) < 2)
    return G_SOURCE_CONTINUE;

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (probe->window));
  selected = gtk_drop_down_get_selected (dropdown);
  probe->switches_left--;
  probe->switch_started = g_get_monotonic_time ();
  g_signal_connect (clock, "layout", G_CALLBACK (on_switch_laid_out_cb), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_switch_painted_cb), NULL);
  gtk_drop_down_set_selected (dropdown, selected == 0 ? 1 : 0);
  probe->switch_selected = g_get_monotonic_time ();

  return G_SOURCE_CONTINUE;
}

static gboolean
on_write_timeout_cb (gpointer data)
{
  g_autoptr(AstroTask) task = NULL;
  g_autofree char *value = NULL;
  GtkWidget *page, *list;
  GListModel *model;
  gint64 started;

  if (probe->window == NULL || probe->writes_left == 0)
    return G_SOURCE_REMOVE;

  /* the list of tasks, not the drop-downs' lists (unmapped, in popovers) */
  page = find_widget (GTK_WIDGET (probe->window), ASTRO_TYPE_TASKS_PAGE, FALSE);
  list = page != NULL ? find_widget (page, GTK_TYPE_LIST_VIEW, TRUE) : NULL;
  model = list != NULL ? G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list))) : NULL;
  if (model == NULL || g_list_model_get_n_items (model) == 0)
    return G_SOURCE_CONTINUE;

  task = g_list_model_get_item (model, 0);
  value = g_strdup_printf ("%u", probe->writes_left-- % 4 + 1);
  started = g_get_monotonic_time ();
  g_action_group_activate_action (G_ACTION_GROUP (g_application_get_default ()), "task-set",
                                  g_variant_new ("(sssss)", astro_task_get_id (task),
                                                 astro_task_get_organization_id (task),
                                                 astro_task_get_expected_version (task),
                                                 "priority", value));
  log_event ("{\"event\": \"write\", \"t\": %" G_GINT64_FORMAT ", \"ms\": %.1f}",
             started, (g_get_monotonic_time () - started) / 1000.0);

  return G_SOURCE_CONTINUE;
}

static void
on_frame_begun_cb (GdkFrameClock *clock,
                   gpointer       data)
{
  probe->frame_started = g_get_monotonic_time ();
  probe->frame_laid_out = 0;
}

/* Connected after GTK's own handlers, so each marks the end of its phase */
static void
on_frame_laid_out_cb (GdkFrameClock *clock,
                      gpointer       data)
{
  probe->frame_laid_out = g_get_monotonic_time ();
}

static void
on_frame_painted_cb (GdkFrameClock *clock,
                     gpointer       data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 laid_out = probe->frame_laid_out != 0 ? probe->frame_laid_out : probe->frame_started;

  if (probe->frame_started == 0)
    return;

  log_event ("{\"event\": \"frame\", \"t\": %" G_GINT64_FORMAT ", \"ms\": %.1f, "
             "\"layout_ms\": %.1f, \"paint_ms\": %.1f}",
             probe->frame_started, (now - probe->frame_started) / 1000.0,
             (laid_out - probe->frame_started) / 1000.0, (now - laid_out) / 1000.0);
}

static void
on_first_paint_cb (GdkFrameClock *clock,
                   gpointer       data)
{
  const char *switches = g_getenv ("ASTROLABE_BENCH_SWITCH");
  const char *writes = g_getenv ("ASTROLABE_BENCH_WRITES");

  g_signal_handlers_disconnect_by_func (clock, on_first_paint_cb, data);
  log_event ("{\"event\": \"first-frame\", \"t\": %" G_GINT64_FORMAT ", \"rss_kb\": %ld}",
             g_get_monotonic_time (), current_rss_kb ());

  g_timeout_add_seconds (1, on_rss_timeout_cb, NULL);
  if (writes != NULL)
    {
      probe->writes_left = (guint) g_ascii_strtoull (writes, NULL, 10);
      g_timeout_add (300, on_write_timeout_cb, NULL);
    }
  if (switches != NULL)
    {
      probe->switches_left = (guint) g_ascii_strtoull (switches, NULL, 10);
      g_timeout_add (1000, on_switch_timeout_cb, NULL);
    }
}

/* Changes that lay the whole window out again, as marks on the timeline */
static void
on_setting_notify_cb (GObject    *object,
                      GParamSpec *pspec,
                      gpointer    data)
{
  g_autofree char *mark = g_strconcat ((const char *) data, pspec->name, NULL);

  astro_bench_probe_mark (mark);
}

static void
on_realize_cb (GtkWidget *widget,
               gpointer   data)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  g_signal_connect (clock, "after-paint", G_CALLBACK (on_first_paint_cb), NULL);
  g_signal_connect (clock, "before-paint", G_CALLBACK (on_frame_begun_cb), NULL);
  g_signal_connect (clock, "layout", G_CALLBACK (on_frame_laid_out_cb), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_frame_painted_cb), NULL);
}

/**
 * astro_bench_probe_mark:
 * @what: a name for this moment of the start
 *
 * Logs the time a step of the start is reached, for P5's breakdown.
 */
void
astro_bench_probe_mark (const char *what)
{
  const char *path = g_getenv ("ASTROLABE_BENCH_LOG");
  FILE *log;

  if (path == NULL || (log = fopen (path, "a")) == NULL)
    return;

  fprintf (log, "{\"event\": \"mark\", \"what\": \"%s\", \"t\": %" G_GINT64_FORMAT "}\n",
           what, g_get_monotonic_time ());
  fclose (log);
}

void
astro_bench_probe_attach (GtkWindow *window)
{
  const char *path = g_getenv ("ASTROLABE_BENCH_LOG");
  FILE *log;

  if (path == NULL || probe != NULL)
    return;

  log = fopen (path, "a");
  if (log == NULL)
    {
      g_warning ("Could not open the benchmark log %s: %s", path, g_strerror (errno));
      return;
    }

  probe = g_new0 (Probe, 1);
  probe->log = log;
  g_mutex_init (&probe->lock);
  probe->context = g_main_context_ref_thread_default ();
  probe->schedstat_path = g_strdup_printf ("/proc/self/task/%ld/schedstat", (long) syscall (SYS_gettid));
  probe->syscall_path = g_strdup_printf ("/proc/self/task/%ld/syscall", (long) syscall (SYS_gettid));
  probe->main_tid = (pid_t) syscall (SYS_gettid);
  {
    struct sigaction action = { 0, };
    void *warm_up[4];

    /* loads the unwinder now, not in the handler */
    backtrace (warm_up, G_N_ELEMENTS (warm_up));
    action.sa_handler = on_stack_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset (&action.sa_mask);
    sigaction (SIGPROF, &action, NULL);
  }
  probe->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &probe->window);

  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    on_realize_cb (GTK_WIDGET (window), NULL);
  else
    g_signal_connect (window, "realize", G_CALLBACK (on_realize_cb), NULL);

  g_signal_connect (gtk_settings_get_default (), "notify", G_CALLBACK (on_setting_notify_cb), (gpointer) "setting:");
  g_signal_connect (window, "notify", G_CALLBACK (on_setting_notify_cb), (gpointer) "window:");

  g_thread_unref (g_thread_new ("bench-watchdog", watchdog_thread, NULL));
}
