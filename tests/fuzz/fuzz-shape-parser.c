/* fuzz-shape-parser.c: libFuzzer target for the streaming shape body parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Besides "no crash, no sanitizer report", it checks the property the parser
 * is built on: however the body is cut into chunks, the result (changes,
 * control messages, or the error and its byte offset) is the same as when it
 * arrives in one piece.
 *
 * Input layout: byte 0 picks the table and the boolean mask, bytes 1..4 seed
 * the chunk sizes, the rest is the body.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "astro-shape-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char * const items_columns[] = { "id", "value", "done", "data" };
static const AstroTable items_table = { "items", items_columns, G_N_ELEMENTS (items_columns) };

static char *
dump (AstroShapeParser *parser,
      AstroBatch       *batch,
      GError           *error)
{
  GString *out = g_string_new (NULL);
  GArray *txids;

  if (error != NULL)
    {
      g_string_append (out, error->message);
      return g_string_free (out, FALSE);
    }

  for (guint i = 0; i < astro_batch_get_n_changes (batch); i++)
    {
      const AstroTable *table = astro_batch_get_table (batch);
      AstroChangeKind kind;
      guint32 present;
      char * const *values;

      astro_batch_get_change (batch, i, &kind, &present, &values);
      g_string_append_printf (out, "%d %x", kind, present);
      for (guint c = 0; c < table->n_columns; c++)
        if (present & (1u << c))
          g_string_append_printf (out, " %u:%s", c, values[c] ? values[c] : "(null)");
      g_string_append_c (out, '\n');
    }

  txids = astro_shape_parser_get_txids (parser);
  g_string_append_printf (out, "%u %u %d %d %s %u",
                          astro_shape_parser_get_n_changes (parser),
                          astro_shape_parser_get_n_skipped (parser),
                          astro_shape_parser_got_up_to_date (parser),
                          astro_shape_parser_got_must_refetch (parser),
                          astro_shape_parser_get_global_lsn (parser) ?
                            astro_shape_parser_get_global_lsn (parser) : "-",
                          txids->len);
  for (guint i = 0; i < txids->len; i++)
    g_string_append_printf (out, " %" G_GINT64_FORMAT, g_array_index (txids, gint64, i));

  return g_string_free (out, FALSE);
}

/* Feeds @body in pieces whose sizes come from @seed (0: all at once); each
 * piece is its own heap block, so that any read past it is caught. */
static char *
run (AstroShapeParser *parser,
     const AstroTable *table,
     const uint8_t    *body,
     size_t            len,
     guint32           seed)
{
  g_autoptr(AstroBatch) batch = astro_batch_new (table);
  g_autoptr(GError) error = NULL;
  GRand *rand = seed ? g_rand_new_with_seed (seed) : NULL;
  size_t from = 0;
  gboolean ok = TRUE;

  astro_shape_parser_reset (parser, batch);
  while (ok && from < len)
    {
      size_t n = len - from;
      char *piece;

      if (rand != NULL)
        {
          /* mostly tiny pieces, sometimes large ones */
          gint32 max = g_rand_boolean (rand) ? 4 : 64;
          size_t pick = (size_t) g_rand_int_range (rand, 1, max + 1);

          n = MIN (n, pick);
        }
      piece = g_malloc (MAX (n, 1));
      memcpy (piece, body + from, n);
      ok = astro_shape_parser_feed (parser, piece, n, &error);
      g_free (piece);
      from += n;
    }
  if (ok)
    {
      /* an empty piece must change nothing */
      ok = astro_shape_parser_feed (parser, "", 0, &error);
    }
  if (ok)
    ok = astro_shape_parser_finish (parser, &error);
  if (!ok && (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)))
    abort ();

  g_clear_pointer (&rand, g_rand_free);
  return dump (parser, batch, error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(AstroShapeParser) parser = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *chunked = NULL;
  const AstroTable *table;
  guint32 seed;

  if (size < 5)
    return 0;

  table = (data[0] & 1) ? astro_table_lookup ("tasks") : &items_table;
  seed = ((guint32) data[1] << 24 | (guint32) data[2] << 16 | (guint32) data[3] << 8 | data[4]) | 1;

  parser = astro_shape_parser_new (table);
  astro_shape_parser_set_boolean_columns (parser, (data[0] & 2) ? 0x4 : 0);

  whole = run (parser, table, data + 5, size - 5, 0);
  chunked = run (parser, table, data + 5, size - 5, seed);
  if (strcmp (whole, chunked) != 0)
    {
      g_printerr ("whole:   %s\nchunked: %s\n", whole, chunked);
      abort ();
    }

  return 0;
}
