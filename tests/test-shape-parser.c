/* test-shape-parser.c: the streaming parser of shape bodies, fed in every way
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "astro-shape-parser.h"

/* The table of the protocol's examples (electric-protocol.md §8). */
static const char * const items_columns[] = { "id", "value", "done", "data" };
static const AstroTable items_table = { "items", items_columns, G_N_ELEMENTS (items_columns) };
#define ITEMS_DONE_MASK (1u << 2)

/* One line per change: the kind, then each column given, in column order. */
static char *
dump_batch (AstroBatch *batch)
{
  const AstroTable *table = astro_batch_get_table (batch);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < astro_batch_get_n_changes (batch); i++)
    {
      AstroChangeKind kind;
      guint32 present;
      char * const *values;

      astro_batch_get_change (batch, i, &kind, &present, &values);
      g_string_append (out, kind == ASTRO_CHANGE_INSERT ? "insert" :
                            kind == ASTRO_CHANGE_UPDATE ? "update" : "delete");
      for (guint c = 0; c < table->n_columns; c++)
        {
          g_autofree char *escaped = NULL;

          if ((present & (1u << c)) == 0)
            continue;
          if (values[c] == NULL)
            {
              g_string_append_printf (out, " %s=NULL", table->columns[c]);
              continue;
            }
          escaped = g_strescape (values[c], NULL);
          g_string_append_printf (out, " %s=\"%s\"", table->columns[c], escaped);
        }
      g_string_append_c (out, '\n');
    }

  return g_string_free (out, FALSE);
}

/* Everything the parser reports about a body, as one comparable string. */
static char *
dump_parser (AstroShapeParser *parser,
             AstroBatch       *batch)
{
  g_autofree char *changes = dump_batch (batch);
  GArray *txids = astro_shape_parser_get_txids (parser);
  GString *out = g_string_new (changes);

  g_string_append_printf (out, "changes=%u skipped=%u up-to-date=%d must-refetch=%d lsn=%s txids=",
                          astro_shape_parser_get_n_changes (parser),
                          astro_shape_parser_get_n_skipped (parser),
                          astro_shape_parser_got_up_to_date (parser),
                          astro_shape_parser_got_must_refetch (parser),
                          astro_shape_parser_get_global_lsn (parser) ?
                            astro_shape_parser_get_global_lsn (parser) : "(null)");
  for (guint i = 0; i < txids->len; i++)
    g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i ? "," : "",
                            g_array_index (txids, gint64, i));
  return g_string_free (out, FALSE);
}

/* Parses @body cut at the offsets in @cuts (ascending, may be NULL) and
 * returns dump_parser(), or "error: <message>". */
static char *
parse_cut (const AstroTable *table,
           guint32           mask,
           const char       *body,
           gsize             len,
           const gsize      *cuts,
           guint             n_cuts)
{
  g_autoptr(AstroShapeParser) parser = astro_shape_parser_new (table);
  g_autoptr(AstroBatch) batch = astro_batch_new (table);
  g_autoptr(GError) error = NULL;
  gsize from = 0;

  astro_shape_parser_set_boolean_columns (parser, mask);
  astro_shape_parser_reset (parser, batch);

  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize to = i < n_cuts ? cuts[i] : len;
      /* a heap copy of each piece, so that reading past it is caught by ASan */
      g_autofree char *piece = g_memdup2 (body + from, to - from);

      if (!astro_shape_parser_feed (parser, piece, to - from, &error))
        return g_strdup_printf ("error: %s", error->message);
      from = to;
    }
  if (!astro_shape_parser_finish (parser, &error))
    return g_strdup_printf ("error: %s", error->message);

  return dump_parser (parser, batch);
}

static char *
parse_with (const AstroTable *table,
            guint32           mask,
            const char       *body)
{
  return parse_cut (table, mask, body, strlen (body), NULL, 0);
}

static char *
parse (const char *body)
{
  return parse_with (&items_table, ITEMS_DONE_MASK, body);
}

static char *
parse_bytewise (const AstroTable *table,
                guint32           mask,
                const char       *body,
                gsize             len)
{
  g_autofree gsize *cuts = g_new (gsize, len + 1);

  for (gsize i = 1; i < len; i++)
    cuts[i - 1] = i;
  return parse_cut (table, mask, body, len, cuts, len > 0 ? (guint) len - 1 : 0);
}

/* The body must give the same result however it is split. */
static void
assert_any_split (const AstroTable *table,
                  guint32           mask,
                  const char       *body,
                  const char       *expected)
{
  gsize len = strlen (body);
  g_autofree char *bytewise = parse_bytewise (table, mask, body, len);

  g_assert_cmpstr (bytewise, ==, expected);
  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autofree char *result = parse_cut (table, mask, body, len, &cut, 1);

      if (g_strcmp0 (result, expected) != 0)
        g_test_message ("split at %" G_GSIZE_FORMAT, cut);
      g_assert_cmpstr (result, ==, expected);
    }
}

static void
assert_parses (const char *body,
               const char *expected)
{
  g_autofree char *result = parse (body);

  g_assert_cmpstr (result, ==, expected);
  assert_any_split (&items_table, ITEMS_DONE_MASK, body, expected);
}

/* ------------------------------------------------------------------------ */

static void
test_empty (void)
{
  assert_parses ("[]", "changes=0 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
  assert_parses (" \r\n\t[ \n ] \n", "changes=0 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
  /* empty strings before anything was ever kept */
  assert_parses ("[{\"\":\"\"},{\"value\":{\"\":\"\",\"id\":\"\"},\"headers\":{\"operation\":\"insert\"}}]",
                 "insert id=\"\"\n"
                 "changes=1 skipped=1 up-to-date=0 must-refetch=0 lsn=(null) txids=");
}

static void
test_example_snapshot (void)
{
  assert_parses ("[{\"key\":\"\\\"public\\\".\\\"items\\\"/\\\"1\\\"\",\"value\":{\"id\":\"1\",\"value\":\"a\"},"
                 "\"headers\":{\"operation\":\"insert\",\"relation\":[\"public\",\"items\"]}},\n"
                 " {\"headers\":{\"control\":\"snapshot-end\",\"xmin\":\"740\",\"xmax\":\"742\",\"xip_list\":[\"741\"]}}]",
                 "insert id=\"1\" value=\"a\"\n"
                 "changes=1 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
}

static void
test_example_up_to_date (void)
{
  assert_parses ("[{\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":\"26800500\"}}]",
                 "changes=0 skipped=0 up-to-date=1 must-refetch=0 lsn=26800500 txids=");
}

static void
test_example_live (void)
{
  assert_parses ("[{\"key\":\"\\\"public\\\".\\\"items\\\"/\\\"2\\\"\",\"value\":{\"id\":\"2\",\"value\":\"b\"},"
                 "\"headers\":{\"operation\":\"insert\",\"relation\":[\"public\",\"items\"],\"txids\":[750],"
                 "\"lsn\":\"26800584\",\"op_position\":0}},\n"
                 " {\"key\":\"\\\"public\\\".\\\"items\\\"/\\\"1\\\"\",\"value\":{\"id\":\"1\",\"value\":\"a2\"},"
                 "\"headers\":{\"operation\":\"update\",\"relation\":[\"public\",\"items\"],\"txids\":[750],"
                 "\"lsn\":\"26800584\",\"op_position\":2,\"last\":true}},\n"
                 " {\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":\"26800584\"}}]",
                 "insert id=\"2\" value=\"b\"\n"
                 "update id=\"1\" value=\"a2\"\n"
                 "changes=2 skipped=0 up-to-date=1 must-refetch=0 lsn=26800584 txids=750");
}

static void
test_example_must_refetch (void)
{
  assert_parses ("[{\"headers\":{\"control\":\"must-refetch\"}}]",
                 "changes=0 skipped=0 up-to-date=0 must-refetch=1 lsn=(null) txids=");
}

static void
test_key_order (void)
{
  const char *expected =
    "update id=\"7\" value=\"x\"\n"
    "changes=1 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=9";

  assert_parses ("[{\"headers\":{\"txids\":[9],\"operation\":\"update\"},\"key\":\"k\",\"value\":{\"value\":\"x\",\"id\":\"7\"}}]",
                 expected);
  assert_parses ("[{\"value\":{\"id\":\"7\",\"value\":\"x\"},\"headers\":{\"operation\":\"update\",\"txids\":[9]},\"key\":\"k\"}]",
                 expected);
  assert_parses ("[{\"old_value\":{\"id\":\"6\",\"value\":\"w\"},\"value\":{\"value\":\"x\",\"id\":\"7\"},\"key\":\"k\","
                 "\"headers\":{\"operation\":\"update\",\"txids\":[9]}}]",
                 expected);
}

static void
test_operations (void)
{
  /* insert: the row as given; update: only the given columns, nulls
   * included; delete: the key alone even when the old row comes along */
  assert_parses ("[{\"value\":{\"id\":\"1\",\"value\":\"a\",\"done\":\"false\",\"data\":null},\"headers\":{\"operation\":\"insert\"}},"
                 "{\"value\":{\"id\":\"1\",\"value\":null},\"headers\":{\"operation\":\"update\"}},"
                 "{\"value\":{\"id\":\"1\",\"value\":\"a\",\"done\":\"t\"},\"headers\":{\"operation\":\"delete\"}},"
                 "{\"value\":{\"id\":\"2\"},\"headers\":{\"operation\":\"delete\"}}]",
                 "insert id=\"1\" value=\"a\" done=\"false\" data=NULL\n"
                 "update id=\"1\" value=NULL\n"
                 "delete id=\"1\"\n"
                 "delete id=\"2\"\n"
                 "changes=4 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
}

static void
test_unknown_columns_and_keys (void)
{
  assert_parses ("[{\"extra\":{\"a\":[1,{\"b\":[[],{}]}],\"value\":{\"id\":\"no\"}},"
                 "\"value\":{\"id\":\"1\",\"colour\":\"red\",\"nested_unknown\":{\"value\":\"no\"},\"value\":\"a\",\"arr\":[1,\"2\",null]},"
                 "\"headers\":{\"operation\":\"insert\",\"relation\":[\"public\",\"items\"],\"x\":{\"operation\":\"delete\",\"txids\":[1]},"
                 "\"tags\":[\"t1\"],\"key_change_from\":\"k\"},"
                 "\"value2\":{\"id\":\"no\"},\"headerss\":{\"control\":\"up-to-date\"}}]",
                 "insert id=\"1\" value=\"a\"\n"
                 "changes=1 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
}

static void
test_lenient_values (void)
{
  /* a server that sends numbers, booleans or unquoted json: keep the text */
  assert_parses ("[{\"value\":{\"id\":12,\"value\":-1.5e+3,\"done\":true,\"data\":{ \"a\" : [1, \"x\\\"y\", {\"b\":null}] }},"
                 "\"headers\":{\"operation\":\"insert\"}},"
                 "{\"value\":{\"id\":\"13\",\"value\":false,\"data\":[[],[{}]]},\"headers\":{\"operation\":\"update\"}}]",
                 "insert id=\"12\" value=\"-1.5e+3\" done=\"true\" data=\"{ \\\"a\\\" : [1, \\\"x\\\\\\\"y\\\", {\\\"b\\\":null}] }\"\n"
                 "update id=\"13\" value=\"false\" data=\"[[],[{}]]\"\n"
                 "changes=2 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
}

static void
test_booleans (void)
{
  const char *body =
    "[{\"value\":{\"id\":\"1\",\"done\":\"t\",\"value\":\"t\"},\"headers\":{\"operation\":\"update\"}},"
    "{\"value\":{\"id\":\"2\",\"done\":\"f\",\"value\":\"f\"},\"headers\":{\"operation\":\"update\"}},"
    "{\"value\":{\"id\":\"3\",\"done\":\"true\"},\"headers\":{\"operation\":\"insert\"}},"
    "{\"value\":{\"id\":\"4\",\"done\":\"false\"},\"headers\":{\"operation\":\"insert\"}},"
    "{\"value\":{\"id\":\"5\",\"done\":null},\"headers\":{\"operation\":\"insert\"}}]";
  g_autofree char *without_mask = parse_with (&items_table, 0, body);

  assert_parses (body,
                 "update id=\"1\" value=\"t\" done=\"true\"\n"
                 "update id=\"2\" value=\"f\" done=\"false\"\n"
                 "insert id=\"3\" done=\"true\"\n"
                 "insert id=\"4\" done=\"false\"\n"
                 "insert id=\"5\" done=NULL\n"
                 "changes=5 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
  g_assert_nonnull (strstr (without_mask, "update id=\"1\" value=\"t\" done=\"t\"\n"));
}

static void
test_escapes (void)
{
  /* \ud83d\ude00 is U+1F600; raw UTF-8 of 2, 3 and 4 bytes passes as is */
  const char *body =
    "[{\"value\":{\"id\":\"e\\u0301\\u00e9\\u20AC\\ud83d\\ude00\","
    "\"value\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u007f\","
    "\"data\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\xf1\x80\x80\x80\"},"
    "\"headers\":{\"operation\":\"insert\"}}]";
  g_autofree char *result = parse (body);
  g_autoptr(AstroShapeParser) parser = astro_shape_parser_new (&items_table);
  g_autoptr(AstroBatch) batch = astro_batch_new (&items_table);
  g_autoptr(GError) error = NULL;
  AstroChangeKind kind;
  guint32 present;
  char * const *values;

  assert_any_split (&items_table, ITEMS_DONE_MASK, body, result);

  astro_shape_parser_reset (parser, batch);
  g_assert_true (astro_shape_parser_feed (parser, body, strlen (body), &error));
  g_assert_no_error (error);
  g_assert_true (astro_shape_parser_finish (parser, &error));
  g_assert_cmpuint (astro_batch_get_n_changes (batch), ==, 1);
  astro_batch_get_change (batch, 0, &kind, &present, &values);
  g_assert_cmpstr (values[0], ==, "e\xcc\x81\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  g_assert_cmpstr (values[1], ==, "\"\\/\b\f\n\r\tA\x7f");
  g_assert_cmpstr (values[3], ==, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\xf1\x80\x80\x80");
  g_assert_cmpuint (present, ==, 0xb);
}

static void
test_control_and_events (void)
{
  assert_parses ("[{\"headers\":{\"control\":\"snapshot-end\",\"xmin\":\"1\",\"xmax\":\"2\",\"xip_list\":[]}},"
                 "{\"headers\":{\"control\":\"brand-new-control\",\"stuff\":{\"a\":[1]}}},"
                 "{\"headers\":{\"event\":\"move-out\",\"patterns\":[{\"pos\":0,\"value\":\"x\"}],\"txids\":[5]}},"
                 "{\"headers\":{\"event\":\"move-in\"}},"
                 "{\"value\":{\"id\":\"1\"},\"headers\":{\"operation\":\"upsert\",\"txids\":[6]}},"
                 "{},"
                 "{\"value\":{\"id\":\"1\"},\"headers\":{\"operation\":1}},"
                 "{\"headers\":{\"control\":null}},"
                 "{\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":\"10\"}},"
                 "{\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":\"11\"}}]",
                 "changes=0 skipped=7 up-to-date=1 must-refetch=0 lsn=11 txids=");
}

static void
test_txids (void)
{
  /* integers or strings; one entry per run of the same transaction */
  assert_parses ("[{\"value\":{\"id\":\"1\"},\"headers\":{\"operation\":\"insert\",\"txids\":[750]}},"
                 "{\"value\":{\"id\":\"2\"},\"headers\":{\"operation\":\"insert\",\"txids\":[\"750\"]}},"
                 "{\"value\":{\"id\":\"3\"},\"headers\":{\"operation\":\"delete\",\"txids\":[\"9223372036854775807\",751, \"junk\", 1.5, null, [1]]}},"
                 "{\"value\":{\"id\":\"4\"},\"headers\":{\"operation\":\"delete\"}},"
                 "{\"value\":{\"id\":\"5\"},\"headers\":{\"operation\":\"delete\",\"txids\":752}}]",
                 "insert id=\"1\"\n"
                 "insert id=\"2\"\n"
                 "delete id=\"3\"\n"
                 "delete id=\"4\"\n"
                 "delete id=\"5\"\n"
                 "changes=5 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=750,9223372036854775807,751,752");
}

static void
test_tasks_table (void)
{
  const AstroTable *tasks = astro_table_lookup ("tasks");
  g_autoptr(GString) body = g_string_new ("[");
  g_autofree char *result = NULL;
  g_auto(GStrv) lines = NULL;

  /* every column, in table order, then reversed: both find the columns */
  for (guint pass = 0; pass < 2; pass++)
    {
      g_string_append_printf (body, "%s{\"headers\":{\"operation\":\"insert\"},\"value\":{", pass ? "," : "");
      for (guint i = 0; i < tasks->n_columns; i++)
        {
          guint c = pass ? tasks->n_columns - 1 - i : i;

          g_string_append_printf (body, "%s\"%s\":\"v%u\"", i ? "," : "", tasks->columns[c], c);
        }
      g_string_append (body, "}}");
    }
  g_string_append (body, "]");

  result = parse_with (tasks, 0, body->str);
  lines = g_strsplit (result, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[0], ==, lines[1]);
  g_assert_nonnull (strstr (lines[0], " id=\"v0\" organization_id=\"v1\""));
  g_assert_nonnull (strstr (lines[0], " deleted_at=\"v18\""));
  g_assert_cmpstr (lines[2], ==, "changes=2 skipped=0 up-to-date=0 must-refetch=0 lsn=(null) txids=");
}

/* Bodies big enough to exercise every state, checked at every split point. */
static void
test_every_split (void)
{
  const char *body =
    " [ {\"key\" : \"\\\"public\\\".\\\"items\\\"/\\\"1\\\"\" , \"value\" : { \"id\" : \"\\ud83d\\ude00\xc3\xa9\" ,"
    " \"value\" : \"a\\nb\\u00e9\" , \"done\" : \"t\" , \"data\" : { \"k\" : [ 1 , -2.5E-3 , true , \"\\u00e9\" ] } ,"
    " \"unknown\" : [ { } ] } , \"headers\" : { \"operation\" : \"insert\" , \"txids\" : [ 1 , \"2\" ] } } ,\n"
    "  {\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":12345}} ] ";
  g_autofree char *expected = parse (body);

  g_assert_true (g_str_has_prefix (expected, "insert id="));
  g_assert_true (g_str_has_suffix (expected, "changes=1 skipped=0 up-to-date=1 must-refetch=0 lsn=12345 txids=1,2"));
  assert_any_split (&items_table, ITEMS_DONE_MASK, body, expected);

  /* and three-way splits of a smaller one */
  {
    const char *small = "[{\"value\":{\"id\":\"\\u00e9\xe2\x82\xac\",\"data\":[1,{}]},\"headers\":{\"operation\":\"insert\"}}]";
    gsize len = strlen (small);
    g_autofree char *small_expected = parse (small);

    for (gsize a = 0; a <= len; a++)
      for (gsize b = a; b <= len; b++)
        {
          gsize cuts[2] = { a, b };
          g_autofree char *result = parse_cut (&items_table, ITEMS_DONE_MASK, small, len, cuts, 2);

          g_assert_cmpstr (result, ==, small_expected);
        }
  }
}

static const struct
{
  const char *body;
  const char *message;  /* part of the expected error */
} malformed[] = {
  { "", "empty body" },
  { "   ", "empty body" },
  { "{}", "not a JSON array" },
  { "\"x\"", "not a JSON array" },
  { "[", "ends before" },
  { "[{\"headers\":{}}", "ends before" },
  { "[{\"headers\":{\"control\":\"up-to-da", "ends before" },
  { "[{\"headers\":{\"control\":\"up-to-date\"}},", "ends before" },
  { "[1]", "message is not an object" },
  { "[\"x\"]", "message is not an object" },
  { "[[]]", "message is not an object" },
  { "[null]", "message is not an object" },
  { "[{}]x", "after the end" },
  { "[] []", "after the end" },
  { "[{},]", "message is not an object" },
  { "[,]", "message is not an object" },
  { "[{\"a\":1,}]", "expected a key" },
  { "[{\"a\" 1}]", "expected ':'" },
  { "[{\"a\":1 \"b\":2}]", "expected ','" },
  { "[{\"a\":}]", "unexpected byte" },
  { "[{\"a\":[1,]}]", "unexpected byte" },
  { "[{\"a\":[1}]", "closes an array" },
  { "[{\"a\":{]}]", "expected a key" },
  { "[{\"a\":{\"b\":1]}]", "closes an object" },
  { "[{a:1}]", "expected a key" },
  { "[{\"a\":tru}]", "invalid token 'tru'" },
  { "[{\"a\":nulll}]", "invalid token" },
  { "[{\"a\":01}]", "invalid token" },
  { "[{\"a\":1.}]", "invalid token" },
  { "[{\"a\":-}]", "invalid token" },
  { "[{\"a\":1e}]", "invalid token" },
  { "[{\"a\":+1}]", "unexpected byte" },
  { "[{\"a\":'x'}]", "unexpected byte" },
  { "[{\"a\":\"\\x\"}]", "invalid escape" },
  { "[{\"a\":\"\\u12g4\"}]", "invalid \\u escape" },
  { "[{\"a\":\"\\ud800\"}]", "high surrogate" },
  { "[{\"a\":\"\\ud800\\n\"}]", "high surrogate" },
  { "[{\"a\":\"\\ud800\\u0041\"}]", "high surrogate" },
  { "[{\"a\":\"\\udc00\"}]", "lone low surrogate" },
  { "[{\"value\":{\"id\":\"\\u0000\"}}]", "\\u0000" },
  { "[{\"a\":\"x\ny\"}]", "control character" },
  { "[{\"a\":\"\x80\"}]", "invalid UTF-8" },
  { "[{\"a\":\"\xc3\"}]", "invalid UTF-8" },
  { "[{\"a\":\"\xc0\xaf\"}]", "invalid UTF-8" },            /* overlong */
  { "[{\"a\":\"\xe0\x80\xaf\"}]", "invalid UTF-8" },        /* overlong */
  { "[{\"a\":\"\xed\xa0\x80\"}]", "invalid UTF-8" },        /* surrogate */
  { "[{\"a\":\"\xf4\x90\x80\x80\"}]", "invalid UTF-8" },    /* > U+10FFFF */
  { "[{\"a\":\"\xf5\x80\x80\x80\"}]", "invalid UTF-8" },
  { "[{\"a\":\"\xe2\x82\"}]", "invalid UTF-8" },            /* cut short */
  { "[{\"a\":\"x\"\xff}]", "expected ','" },
  { "\xef\xbb\xbf[]", "not a JSON array" },
  { "[{\"value\":{\"value\":\"a\"},\"headers\":{\"operation\":\"insert\"}}]", "without \"id\"" },
  { "[{\"value\":{\"id\":null},\"headers\":{\"operation\":\"update\"}}]", "without \"id\"" },
  { "[{\"headers\":{\"operation\":\"delete\"}}]", "without \"id\"" },
  { "[{\"value\":\"1\",\"headers\":{\"operation\":\"delete\"}}]", "without \"id\"" },
  { "[{\"a\":12345678901234567890123456789012345678901234567890123456789012345678901234567890"
    "12345678901234567890123456789012345678901234567890}]", "longer than" },
};

static void
test_malformed (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *result = parse (malformed[i].body);
      g_autofree char *escaped = g_strescape (malformed[i].body, NULL);

      g_test_message ("body %u: %s", i, escaped);
      g_assert_true (g_str_has_prefix (result, "error: Malformed shape body at byte "));
      g_assert_nonnull (strstr (result, malformed[i].message));
      /* the same error, at the same byte, however the body is split */
      assert_any_split (&items_table, ITEMS_DONE_MASK, malformed[i].body, result);
    }
}

static void
test_error_offset (void)
{
  g_autofree char *bad_escape = parse ("[{\"a\":\"\\q\"}]");
  g_autofree char *unterminated = parse ("[{}");
  g_autofree char *no_id = parse ("[{},{\"headers\":{\"operation\":\"insert\"}}]");

  g_assert_cmpstr (bad_escape, ==, "error: Malformed shape body at byte 8: invalid escape '\\q' in a string");
  g_assert_cmpstr (unterminated, ==, "error: Malformed shape body at byte 3: the body ends before its array does");
  g_assert_cmpstr (no_id, ==, "error: Malformed shape body at byte 37: change without \"id\" in its value");
}

static void
test_error_is_sticky (void)
{
  g_autoptr(AstroShapeParser) parser = astro_shape_parser_new (&items_table);
  g_autoptr(AstroBatch) batch = astro_batch_new (&items_table);
  g_autoptr(GError) error = NULL;

  astro_shape_parser_reset (parser, batch);
  g_assert_false (astro_shape_parser_feed (parser, "[x", 2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (astro_shape_parser_feed (parser, "]", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (astro_shape_parser_finish (parser, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (astro_shape_parser_feed (parser, "]", 1, NULL));

  /* a reset starts afresh, and a parser serves body after body */
  for (guint i = 0; i < 3; i++)
    {
      const char *body = "[{\"value\":{\"id\":\"1\"},\"headers\":{\"operation\":\"insert\",\"txids\":[3]}},"
                         "{\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":\"5\"}}]";
      g_autoptr(AstroBatch) next = astro_batch_new (&items_table);

      astro_shape_parser_reset (parser, next);
      g_assert_true (astro_shape_parser_feed (parser, body, strlen (body), &error));
      g_assert_no_error (error);
      g_assert_true (astro_shape_parser_finish (parser, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (astro_batch_get_n_changes (next), ==, 1);
      g_assert_cmpuint (astro_shape_parser_get_n_changes (parser), ==, 1);
      g_assert_cmpuint (astro_shape_parser_get_txids (parser)->len, ==, 1);
      g_assert_cmpstr (astro_shape_parser_get_global_lsn (parser), ==, "5");
      g_assert_cmpuint (astro_shape_parser_get_bytes (parser), ==, strlen (body));
    }
  g_assert_cmpuint (astro_batch_get_n_changes (batch), ==, 0);
}

/* Changes reach the batch as each message ends, not when the body does. */
static void
test_streams (void)
{
  g_autoptr(AstroShapeParser) parser = astro_shape_parser_new (&items_table);
  g_autoptr(AstroBatch) batch = astro_batch_new (&items_table);
  const char *first = "[{\"value\":{\"id\":\"1\"},\"headers\":{\"operation\":\"insert\"}}";
  const char *second = ",{\"value\":{\"id\":\"2\"},\"headers\":{\"operation\":\"insert\"}";

  astro_shape_parser_reset (parser, batch);
  g_assert_true (astro_shape_parser_feed (parser, first, strlen (first) - 1, NULL));
  g_assert_cmpuint (astro_batch_get_n_changes (batch), ==, 0);
  g_assert_true (astro_shape_parser_feed (parser, "}", 1, NULL));
  g_assert_cmpuint (astro_batch_get_n_changes (batch), ==, 1);
  g_assert_true (astro_shape_parser_feed (parser, second, strlen (second), NULL));
  g_assert_cmpuint (astro_batch_get_n_changes (batch), ==, 1);
  g_assert_true (astro_shape_parser_feed (parser, "}", 1, NULL));
  g_assert_cmpuint (astro_batch_get_n_changes (batch), ==, 2);
  g_assert_false (astro_shape_parser_finish (parser, NULL));
}

static void
test_no_batch (void)
{
  g_autoptr(AstroShapeParser) parser = astro_shape_parser_new (&items_table);
  const char *body = "[{\"value\":{\"id\":\"1\",\"value\":\"x\"},\"headers\":{\"operation\":\"insert\"}}]";

  astro_shape_parser_reset (parser, NULL);
  g_assert_true (astro_shape_parser_feed (parser, body, strlen (body), NULL));
  g_assert_true (astro_shape_parser_finish (parser, NULL));
  g_assert_cmpuint (astro_shape_parser_get_n_changes (parser), ==, 1);
}

static void
test_limits (void)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *result = NULL;

  /* as deep as allowed (the array and the message are two levels): fine;
   * one more: an error, not a stack overflow */
  g_string_assign (body, "[{\"x\":");
  for (guint i = 2; i < ASTRO_SHAPE_PARSER_MAX_DEPTH; i++)
    g_string_append (body, "[");
  for (guint i = 2; i < ASTRO_SHAPE_PARSER_MAX_DEPTH; i++)
    g_string_append (body, "]");
  g_string_append (body, "}]");
  result = parse (body->str);
  g_assert_cmpstr (result, ==, "changes=0 skipped=1 up-to-date=0 must-refetch=0 lsn=(null) txids=");

  g_string_insert (body, 6, "[");
  g_string_insert (body, body->len - 2, "]");
  g_clear_pointer (&result, g_free);
  result = parse (body->str);
  g_assert_nonnull (strstr (result, "nesting deeper than 64 levels"));

  /* a long unknown key is skipped without being kept */
  g_string_assign (body, "[{\"");
  for (guint i = 0; i < 1000; i++)
    g_string_append (body, "k\\u00e9");
  g_string_append (body, "\":1}]");
  g_clear_pointer (&result, g_free);
  result = parse (body->str);
  g_assert_cmpstr (result, ==, "changes=0 skipped=1 up-to-date=0 must-refetch=0 lsn=(null) txids=");
}

static void
test_message_too_large (void)
{
  g_autoptr(AstroShapeParser) parser = astro_shape_parser_new (&items_table);
  g_autoptr(AstroBatch) batch = astro_batch_new (&items_table);
  g_autoptr(GError) error = NULL;
  gsize chunk_len = 1024 * 1024;
  g_autofree char *chunk = g_malloc (chunk_len);
  const char *head = "[{\"value\":{\"id\":\"1\",\"data\":\"";
  gboolean ok = TRUE;
  gsize fed = 0;

  memset (chunk, 'x', chunk_len);
  astro_shape_parser_reset (parser, batch);
  g_assert_true (astro_shape_parser_feed (parser, head, strlen (head), NULL));
  while (ok && fed <= ASTRO_SHAPE_PARSER_MAX_MESSAGE_BYTES + chunk_len)
    {
      ok = astro_shape_parser_feed (parser, chunk, chunk_len, &error);
      fed += chunk_len;
    }
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "message larger than"));

  /* the same for a skipped value costs nothing and is fine */
  g_clear_error (&error);
  head = "[{\"skipped\":\"";
  astro_shape_parser_reset (parser, batch);
  g_assert_true (astro_shape_parser_feed (parser, head, strlen (head), NULL));
  for (fed = 0; fed <= ASTRO_SHAPE_PARSER_MAX_MESSAGE_BYTES + chunk_len; fed += chunk_len)
    g_assert_true (astro_shape_parser_feed (parser, chunk, chunk_len, &error));
  g_assert_true (astro_shape_parser_feed (parser, "\"}]", 3, &error));
  g_assert_true (astro_shape_parser_finish (parser, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sync/shape-parser/empty", test_empty);
  g_test_add_func ("/sync/shape-parser/example/snapshot", test_example_snapshot);
  g_test_add_func ("/sync/shape-parser/example/up-to-date", test_example_up_to_date);
  g_test_add_func ("/sync/shape-parser/example/live", test_example_live);
  g_test_add_func ("/sync/shape-parser/example/must-refetch", test_example_must_refetch);
  g_test_add_func ("/sync/shape-parser/key-order", test_key_order);
  g_test_add_func ("/sync/shape-parser/operations", test_operations);
  g_test_add_func ("/sync/shape-parser/unknown", test_unknown_columns_and_keys);
  g_test_add_func ("/sync/shape-parser/lenient-values", test_lenient_values);
  g_test_add_func ("/sync/shape-parser/booleans", test_booleans);
  g_test_add_func ("/sync/shape-parser/escapes", test_escapes);
  g_test_add_func ("/sync/shape-parser/control-and-events", test_control_and_events);
  g_test_add_func ("/sync/shape-parser/txids", test_txids);
  g_test_add_func ("/sync/shape-parser/tasks-table", test_tasks_table);
  g_test_add_func ("/sync/shape-parser/every-split", test_every_split);
  g_test_add_func ("/sync/shape-parser/malformed", test_malformed);
  g_test_add_func ("/sync/shape-parser/error-offset", test_error_offset);
  g_test_add_func ("/sync/shape-parser/error-is-sticky", test_error_is_sticky);
  g_test_add_func ("/sync/shape-parser/streams", test_streams);
  g_test_add_func ("/sync/shape-parser/no-batch", test_no_batch);
  g_test_add_func ("/sync/shape-parser/limits", test_limits);
  g_test_add_func ("/sync/shape-parser/message-too-large", test_message_too_large);

  return g_test_run ();
}
