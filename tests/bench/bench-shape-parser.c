/* bench-shape-parser.c: throughput of the streaming shape body parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds a body of realistic task inserts in memory (19 columns, about 1 KB
 * per message, like an initial sync of the tasks shape), feeds it in 64 KiB
 * chunks as libsoup would hand it over, and reports the median of several
 * runs. With json-glib available it also times its DOM parser on the same
 * body, since ratios measured side by side are what targets.md asks for.
 *
 * Usage: bench-shape-parser [--rows N] [--runs N] [--chunk BYTES]
 */
#include "config.h"

#include <string.h>

#ifdef HAVE_JSON_GLIB
#include <json-glib/json-glib.h>
#endif

#include "astro-shape-parser.h"

static int n_rows = 100000;
static int n_runs = 5;
static int chunk_size = 64 * 1024;

static const GOptionEntry entries[] = {
  { "rows", 0, 0, G_OPTION_ARG_INT, &n_rows, "Task messages in the body", "N" },
  { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Timed runs (the median is reported)", "N" },
  { "chunk", 0, 0, G_OPTION_ARG_INT, &chunk_size, "Bytes per feed", "BYTES" },
  { NULL }
};

static const char * const words[] = {
  "sync", "window", "crash", "when", "the", "list", "is", "empty", "and", "user",
  "opens", "a", "folder", "résumé", "naïve", "café", "über", "repository", "branch",
  "review", "flaky", "test", "on", "CI", "for", "large", "shapes", "—", "faster", "parser",
};

static void
append_uuid (GString *out,
             GRand   *rand)
{
  g_string_append_printf (out, "%08x-%04x-4%03x-%04x-%08x%04x",
                          g_rand_int (rand), g_rand_int (rand) & 0xffff,
                          g_rand_int (rand) & 0xfff, (g_rand_int (rand) & 0x3fff) | 0x8000,
                          g_rand_int (rand), g_rand_int (rand) & 0xffff);
}

static void
append_words (GString *out,
              GRand   *rand,
              guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        {
          /* JSON escapes as a description really has them */
          guint r = g_rand_int_range (rand, 0, 40);

          g_string_append (out, r == 0 ? "\\n\\n" : r == 1 ? ", \\\"" : " ");
        }
      g_string_append (out, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
    }
}

static void
append_task (GString *out,
             GRand   *rand,
             guint    index)
{
  static const char * const statuses[] = { "todo", "in_progress", "review", "done" };
  GString *id = g_string_new (NULL);

  append_uuid (id, rand);
  g_string_append_printf (out, "%s{\"key\":\"\\\"public\\\".\\\"tasks\\\"/\\\"%s\\\"\",\"value\":{",
                          index ? ",\n" : "", id->str);
  g_string_append_printf (out, "\"id\":\"%s\",\"organization_id\":\"", id->str);
  append_uuid (out, rand);
  g_string_append (out, "\",\"repository_id\":\"");
  append_uuid (out, rand);
  g_string_append (out, "\",\"title\":\"");
  append_words (out, rand, 8);
  g_string_append (out, "\",\"description\":\"");
  append_words (out, rand, 45);
  g_string_append_printf (out, "\",\"status\":\"%s\",\"status_color\":\"#%06x\",\"priority\":\"%d\",\"assignee_id\":",
                          statuses[index % G_N_ELEMENTS (statuses)], g_rand_int (rand) & 0xffffff,
                          g_rand_int_range (rand, 0, 5));
  if (index % 3 == 0)
    {
      g_string_append (out, "null");
    }
  else
    {
      g_string_append_c (out, '"');
      append_uuid (out, rand);
      g_string_append_c (out, '"');
    }
  if (index % 2 == 0)
    g_string_append_printf (out, ",\"external_provider\":\"github\",\"external_id\":\"%u\","
                                 "\"external_key\":\"ASTRO-%u\",\"external_url\":\"https://github.com/example/astrolabe/issues/%u\"",
                            g_rand_int (rand), index, index);
  else
    g_string_append (out, ",\"external_provider\":null,\"external_id\":null,\"external_key\":null,\"external_url\":null");
  g_string_append_printf (out, ",\"branch\":\"task/%u-sync-window\",\"labels\":\"{bug,ui,\\\"needs review\\\"}\","
                               "\"due_date\":%s,\"created_at\":\"2026-0%d-1%d 09:%02d:%02d.%06d+00\","
                               "\"updated_at\":\"2026-1%d-0%d 17:%02d:%02d.%06d+00\",\"deleted_at\":null}",
                          index, index % 4 ? "null" : "\"2026-12-24\"",
                          1 + index % 9, index % 10, index % 60, (index * 7) % 60, index % 1000000,
                          index % 2, 1 + index % 9, index % 60, (index * 13) % 60, index % 1000000);
  g_string_append (out, ",\"headers\":{\"operation\":\"insert\",\"relation\":[\"public\",\"tasks\"]}}");
  g_string_free (id, TRUE);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values,
        int     n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Seconds to parse @body, with the changes going into a batch (as in the
 * sync engine) or nowhere. */
static double
time_parser (const AstroTable *table,
             const GString    *body,
             gboolean          with_batch,
             guint            *n_changes)
{
  g_autoptr(AstroShapeParser) parser = astro_shape_parser_new (table);
  g_autoptr(AstroBatch) batch = with_batch ? astro_batch_new (table) : NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, elapsed;

  start = g_get_monotonic_time ();
  astro_shape_parser_reset (parser, batch);
  for (gsize from = 0; from < body->len; from += (gsize) chunk_size)
    {
      gsize n = MIN ((gsize) chunk_size, body->len - from);

      if (!astro_shape_parser_feed (parser, body->str + from, n, &error))
        g_error ("%s", error->message);
    }
  if (!astro_shape_parser_finish (parser, &error))
    g_error ("%s", error->message);
  elapsed = g_get_monotonic_time () - start;

  *n_changes = astro_shape_parser_get_n_changes (parser);
  astro_shape_parser_reset (parser, NULL);
  return elapsed / 1e6;
}

#ifdef HAVE_JSON_GLIB
static double
time_json_glib (const GString *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!json_parser_load_from_data (parser, body->str, (gssize) body->len, &error))
    g_error ("%s", error->message);
  return (g_get_monotonic_time () - start) / 1e6;
}
#endif

static void
report (const char *what,
        double     *seconds,
        gsize       bytes,
        guint       rows)
{
  double s = median (seconds, n_runs);

  g_print ("%-34s %8.1f MB/s %12.0f rows/s   (median of %d, %.3f s)\n",
           what, bytes / s / 1e6, rows / s, n_runs, s);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- shape parser throughput");
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GString) body = NULL;
  const AstroTable *tasks = astro_table_lookup ("tasks");
  g_autofree double *with_batch = NULL;
  g_autofree double *without_batch = NULL;
  guint n_changes = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (n_rows < 1 || n_runs < 1 || chunk_size < 1)
    {
      g_printerr ("--rows, --runs and --chunk must be positive\n");
      return 1;
    }

  body = g_string_sized_new ((gsize) n_rows * 1100);
  g_string_append_c (body, '[');
  for (int i = 0; i < n_rows; i++)
    append_task (body, rand, (guint) i);
  g_string_append (body, ",\n{\"headers\":{\"control\":\"snapshot-end\",\"xmin\":\"740\",\"xmax\":\"742\",\"xip_list\":[]}}]");

  g_print ("body: %d task inserts, %.1f MB (%.0f bytes/row), fed in %d-byte chunks\n",
           n_rows, body->len / 1e6, (double) body->len / n_rows, chunk_size);

  with_batch = g_new (double, n_runs);
  without_batch = g_new (double, n_runs);
  for (int i = 0; i < n_runs; i++)
    {
      with_batch[i] = time_parser (tasks, body, TRUE, &n_changes);
      g_assert (n_changes == (guint) n_rows);
      without_batch[i] = time_parser (tasks, body, FALSE, &n_changes);
    }
  report ("astro-shape-parser into a batch", with_batch, body->len, (guint) n_rows);
  report ("astro-shape-parser, no batch", without_batch, body->len, (guint) n_rows);

#ifdef HAVE_JSON_GLIB
  {
    g_autofree double *dom = g_new (double, n_runs);

    for (int i = 0; i < n_runs; i++)
      dom[i] = time_json_glib (body);
    report ("json-glib JsonParser (DOM only)", dom, body->len, (guint) n_rows);
  }
#endif

  return 0;
}
