/* astro-shape-parser.c: streaming parser for the body of an Electric shape response
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The body is a JSON array of messages that may be tens of megabytes long and
 * arrives in chunks split at arbitrary bytes. Building a DOM per response is
 * slower than the official client (targets.md), so this is a push parser: a
 * byte-level JSON state machine that survives any split, plus a thin layer that
 * knows where it is in a message and keeps only what the store needs.
 *
 * Where the time goes: strings are scanned eight bytes at a time and copied in
 * runs; the common sequences key, ':', string, ',' are chained without going
 * back through the state switch; columns are found by guessing the next one,
 * then by hash. Each kept value costs one allocation, which the batch owns.
 */
#define G_LOG_DOMAIN "astro-sync"

#include "config.h"

#include <string.h>

#include "astro-shape-parser.h"

/* Longer keys are never ones we know, so they are not stored. */
#define MAX_KEY_BYTES      256
/* Numbers and true/false/null; a longer token is an error, not a buffer. */
#define MAX_LITERAL_BYTES  128
/* Open addressing for column names: a power of two, at least twice
 * ASTRO_TABLE_MAX_COLUMNS so that probes stay short. */
#define COLUMN_HASH_SIZE   128

G_STATIC_ASSERT (COLUMN_HASH_SIZE >= 2 * ASTRO_TABLE_MAX_COLUMNS);
G_STATIC_ASSERT (ASTRO_TABLE_MAX_COLUMNS <= 32);

typedef enum
{
  STATE_START,          /* before the opening '[' */
  STATE_VALUE,          /* a value must come (after ':', or ',' in an array) */
  STATE_ARRAY_FIRST,    /* a value or ']' */
  STATE_OBJECT_FIRST,   /* a key or '}' */
  STATE_KEY,            /* a key must come (after ',' in an object) */
  STATE_COLON,
  STATE_AFTER_VALUE,    /* ',' or the end of the container */
  STATE_STRING,
  STATE_ESCAPE,         /* after a backslash */
  STATE_ESCAPE_HEX,     /* the digits of \uXXXX */
  STATE_LOW_BACKSLASH,  /* after a high surrogate: its low half must follow */
  STATE_LOW_U,
  STATE_LOW_HEX,
  STATE_LITERAL,        /* a number, true, false or null */
  STATE_DONE,           /* after the closing ']': only whitespace */
} State;

typedef enum
{
  FRAME_TOP,            /* the body's array of messages */
  FRAME_MESSAGE,
  FRAME_VALUE,          /* a message's "value": column → text */
  FRAME_HEADERS,
  FRAME_TXIDS,
  FRAME_CAPTURE,        /* inside an object or array sent as a column's value */
  FRAME_SKIP,           /* anything else */
} FrameKind;

/* What the value being parsed means. */
typedef enum
{
  SLOT_SKIP,
  SLOT_MESSAGE,
  SLOT_MSG_VALUE,
  SLOT_MSG_HEADERS,
  SLOT_COLUMN,
  SLOT_CAPTURE,
  SLOT_OPERATION,
  SLOT_CONTROL,
  SLOT_LSN,
  SLOT_TXIDS,
  SLOT_TXID,
  SLOT_XMIN,
} Slot;

typedef enum
{
  OP_NONE,
  OP_INSERT,
  OP_UPDATE,
  OP_DELETE,
  OP_UNKNOWN,
} Operation;

typedef enum
{
  CONTROL_NONE,
  CONTROL_UP_TO_DATE,
  CONTROL_MUST_REFETCH,
  CONTROL_SNAPSHOT_END,
  CONTROL_UNKNOWN,
} Control;

typedef enum
{
  SCALAR_STRING,        /* decoded text in the scratch buffer */
  SCALAR_RAW,           /* verbatim JSON text in the scratch buffer */
  SCALAR_LITERAL,       /* a number, true or false in self->literal */
  SCALAR_NULL,
} ScalarKind;

struct _AstroShapeParser
{
  const AstroTable *table;
  AstroBatch       *batch;
  guint32           boolean_mask;
  guint             id_column;
  guint8            column_hash[COLUMN_HASH_SIZE];  /* column index + 1; 0 is empty */
  guint16           column_len[ASTRO_TABLE_MAX_COLUMNS];

  /* the JSON state machine */
  State             state;
  Slot              slot;
  guint             column;        /* for SLOT_COLUMN */
  guint             column_guess;  /* columns usually come in the same order */
  guint             depth;
  guint8            frames[ASTRO_SHAPE_PARSER_MAX_DEPTH];
  guint8            frame_is_array[ASTRO_SHAPE_PARSER_MAX_DEPTH];
  gboolean          string_is_key;
  gboolean          string_keep;
  gboolean          key_overflow;
  guint             utf8_need;     /* continuation bytes still due */
  guint8            utf8_lo;       /* allowed range of the next one */
  guint8            utf8_hi;
  guint             hex_count;
  gunichar          hex_value;
  gunichar          high_surrogate;
  char              literal[MAX_LITERAL_BYTES + 1];
  guint             literal_len;
  gboolean          capturing;
  guint             capture_depth;

  /* decoded string, or captured JSON text; always NUL-terminable */
  char             *buf;
  gsize             buf_len;
  gsize             buf_cap;

  /* the message being parsed */
  Operation         op;
  Control           control;
  char             *msg_lsn;
  GArray           *msg_txids;
  gint64            msg_xmin;
  char             *values[ASTRO_TABLE_MAX_COLUMNS];
  guint32           present;
  gsize             msg_bytes;

  /* the body so far */
  guint64           offset;        /* bytes fed before the current chunk */
  GError           *error;         /* set once the body is known to be bad */
  gboolean          up_to_date;
  gboolean          must_refetch;
  guint             n_changes;
  guint             n_skipped;
  GArray           *txids;
  char             *global_lsn;
  gint64            snapshot_xmin; /* of a snapshot-end: every txid below is in the snapshot */
};

/* 0: ordinary string byte; 1: '"' or '\\'; 2: control byte; 3: not ASCII */
static const guint8 string_class[256] = {
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

/* ------------------------------------------------------------------------ */
/* aux                                                                      */

static inline gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline const guchar *
skip_space (const guchar *p,
            const guchar *end)
{
  while (p < end && is_space (*p))
    p++;
  return p;
}

/* How many of the eight bytes at @p can be copied as they are: up to the
 * first '"', '\\', control byte or non-ASCII byte. Each of those sets its
 * high bit in one of the terms below; a borrow between bytes only starts at
 * such a byte, so it can flag a later byte but never hide or precede the
 * first one. */
static inline guint
plain_prefix (const guchar *p)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 highs = G_GUINT64_CONSTANT (0x8080808080808080);
  guint64 word, quote, backslash, flags;

  memcpy (&word, p, sizeof word);
  quote = word ^ (ones * '"');
  backslash = word ^ (ones * '\\');
  flags = ((quote - ones) | (backslash - ones) | (word - ones * 0x20) | word) & highs;
  if (flags == 0)
    return 8;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN && defined(__GNUC__)
  return (guint) __builtin_ctzll (flags) / 8;
#else
  return 0;  /* the byte loop finds it */
#endif
}

static inline gboolean
is_literal_byte (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '+' || c == '.';
}

static inline int
hex_digit (guchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static guint32
hash_bytes (const char *s,
            gsize       len)
{
  guint32 h = 2166136261u;  /* FNV-1a */

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) s[i]) * 16777619u;
  return h;
}

static gboolean
fail (AstroShapeParser  *self,
      guint64            position,
      GError           **error,
      const char        *format,
      ...) G_GNUC_PRINTF (4, 5);

/* Records the first error of a body: every later call reports it again. */
static gboolean
fail (AstroShapeParser  *self,
      guint64            position,
      GError           **error,
      const char        *format,
      ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  g_clear_error (&self->error);
  self->error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "Malformed shape body at byte %" G_GUINT64_FORMAT ": %s",
                             position, what);
  if (error != NULL)
    *error = g_error_copy (self->error);
  return FALSE;
}

/* The scratch buffer holds one decoded string or captured value; together with
 * the values kept so far it may not exceed the message limit. */
static inline gboolean
scratch_append (AstroShapeParser *self,
                const void       *data,
                gsize             len)
{
  if (G_UNLIKELY (self->buf_len + len + 1 > self->buf_cap))
    {
      gsize needed = self->buf_len + len + 1;
      gsize cap = self->buf_cap;

      if (self->msg_bytes + needed > ASTRO_SHAPE_PARSER_MAX_MESSAGE_BYTES)
        return FALSE;
      while (cap < needed)
        cap *= 2;
      self->buf = g_realloc (self->buf, cap);
      self->buf_cap = cap;
    }
  else if (G_UNLIKELY (self->msg_bytes + self->buf_len + len > ASTRO_SHAPE_PARSER_MAX_MESSAGE_BYTES))
    {
      return FALSE;
    }

  memcpy (self->buf + self->buf_len, data, len);
  self->buf_len += len;
  return TRUE;
}

/* Decoded bytes of an escape, to the scratch buffer if the string is kept. */
static inline gboolean
string_append (AstroShapeParser *self,
               const void       *data,
               gsize             len)
{
  if (!self->string_keep)
    return TRUE;

  if (self->string_is_key && self->buf_len + len > MAX_KEY_BYTES)
    {
      /* no known key is this long: stop keeping it and treat it as unknown */
      self->key_overflow = TRUE;
      self->string_keep = FALSE;
      return TRUE;
    }

  return scratch_append (self, data, len);
}

static inline gboolean
scratch_is (AstroShapeParser *self,
            const char       *text,
            gsize             len)
{
  return self->buf_len == len && memcmp (self->buf, text, len) == 0;
}

#define SCRATCH_IS(self, literal) scratch_is ((self), (literal), sizeof (literal) - 1)

static int
lookup_column (AstroShapeParser *self,
               const char       *name,
               gsize             len)
{
  guint guess = self->column_guess;
  guint32 slot;

  /* Rows of a shape list their columns in the same order every time, so the
   * column after the previous one is almost always right. */
  if (guess < self->table->n_columns &&
      self->column_len[guess] == len &&
      memcmp (self->table->columns[guess], name, len) == 0)
    return (int) guess;

  slot = hash_bytes (name, len) & (COLUMN_HASH_SIZE - 1);
  for (;;)
    {
      guint index = self->column_hash[slot];

      if (index == 0)
        return -1;
      index--;
      if (self->column_len[index] == len &&
          memcmp (self->table->columns[index], name, len) == 0)
        return (int) index;
      slot = (slot + 1) & (COLUMN_HASH_SIZE - 1);
    }
}

static gboolean
is_json_number (const char *s)
{
  const char *p = s;

  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (g_ascii_isdigit (*p))
      p++;
  else
    return FALSE;

  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }

  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }

  return *p == '\0';
}

static void
message_clear (AstroShapeParser *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->values); i++)
    g_clear_pointer (&self->values[i], g_free);
  g_clear_pointer (&self->msg_lsn, g_free);
  g_array_set_size (self->msg_txids, 0);
  self->msg_xmin = 0;
  self->present = 0;
  self->msg_bytes = 0;
  self->op = OP_NONE;
  self->control = CONTROL_NONE;
  self->column_guess = 0;
}

static inline char *
copy_text (const char *text,
           gsize       len)
{
  char *copy = g_malloc (len + 1);

  memcpy (copy, text, len);
  copy[len] = '\0';
  return copy;
}

static void
set_column (AstroShapeParser *self,
            guint             column,
            char             *value,
            gsize             len)
{
  g_free (self->values[column]);
  self->values[column] = value;
  self->present |= 1u << column;
  self->msg_bytes += len;
}

static void
add_txid (AstroShapeParser *self,
          const char       *text)
{
  gint64 txid;

  /* a txid that is not a plain integer is the server's problem, not ours */
  if (!g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &txid, NULL))
    return;
  g_array_append_val (self->msg_txids, txid);
}

/* A complete scalar value for the current slot. */
static void
commit_scalar (AstroShapeParser *self,
               ScalarKind        kind)
{
  const char *text = NULL;
  gsize len = 0;

  switch (kind)
    {
    case SCALAR_STRING:
    case SCALAR_RAW:
      self->buf[self->buf_len] = '\0';
      text = self->buf;
      len = self->buf_len;
      break;
    case SCALAR_LITERAL:
      text = self->literal;
      len = self->literal_len;
      break;
    case SCALAR_NULL:
    default:
      break;
    }

  switch (self->slot)
    {
    case SLOT_COLUMN:
      if (text == NULL)
        {
          set_column (self, self->column, NULL, 0);
        }
      else if ((self->boolean_mask & (1u << self->column)) != 0 &&
               kind == SCALAR_STRING && len == 1 && (text[0] == 't' || text[0] == 'f'))
        {
          /* live changes send booleans as t/f, snapshots as true/false */
          const char *full = text[0] == 't' ? "true" : "false";

          set_column (self, self->column, g_strdup (full), strlen (full));
        }
      else
        {
          set_column (self, self->column, copy_text (text, len), len);
        }
      self->column_guess = self->column + 1;
      break;

    case SLOT_OPERATION:
      if (kind != SCALAR_STRING)
        self->op = OP_UNKNOWN;
      else if (SCRATCH_IS (self, "insert"))
        self->op = OP_INSERT;
      else if (SCRATCH_IS (self, "update"))
        self->op = OP_UPDATE;
      else if (SCRATCH_IS (self, "delete"))
        self->op = OP_DELETE;
      else
        self->op = OP_UNKNOWN;
      break;

    case SLOT_CONTROL:
      if (kind != SCALAR_STRING)
        self->control = CONTROL_UNKNOWN;
      else if (SCRATCH_IS (self, "up-to-date"))
        self->control = CONTROL_UP_TO_DATE;
      else if (SCRATCH_IS (self, "must-refetch"))
        self->control = CONTROL_MUST_REFETCH;
      else if (SCRATCH_IS (self, "snapshot-end"))
        self->control = CONTROL_SNAPSHOT_END;
      else
        self->control = CONTROL_UNKNOWN;
      break;

    case SLOT_LSN:
      g_clear_pointer (&self->msg_lsn, g_free);
      if (text != NULL)
        {
          self->msg_lsn = g_strndup (text, len);
          self->msg_bytes += len;
        }
      break;

    case SLOT_TXIDS:  /* a lone txid instead of an array: accept it */
    case SLOT_TXID:
      if (text != NULL && kind != SCALAR_RAW)
        add_txid (self, text);
      break;

    case SLOT_XMIN:
      if (text != NULL && kind != SCALAR_RAW)
        {
          g_autofree char *copy = g_strndup (text, len);
          gint64 xmin;

          if (g_ascii_string_to_signed (copy, 10, 0, G_MAXINT64, &xmin, NULL))
            self->msg_xmin = xmin;
        }
      break;

    case SLOT_SKIP:
    case SLOT_MESSAGE:
    case SLOT_MSG_VALUE:
    case SLOT_MSG_HEADERS:
    case SLOT_CAPTURE:
    default:
      break;
    }
}

static gboolean
message_end (AstroShapeParser  *self,
             guint64            position,
             GError           **error)
{
  if (self->op == OP_INSERT || self->op == OP_UPDATE || self->op == OP_DELETE)
    {
      guint32 present = self->present;

      if ((present & (1u << self->id_column)) == 0 || self->values[self->id_column] == NULL)
        {
          message_clear (self);
          return fail (self, position, error, "change without \"id\" in its value");
        }

      /* a delete carries the key; replica=full would add the old row */
      if (self->op == OP_DELETE)
        present = 1u << self->id_column;

      if (self->batch != NULL)
        {
          astro_batch_add (self->batch,
                           self->op == OP_INSERT ? ASTRO_CHANGE_INSERT :
                           self->op == OP_UPDATE ? ASTRO_CHANGE_UPDATE :
                           ASTRO_CHANGE_DELETE);
          for (guint i = 0; present != 0; i++, present >>= 1)
            if (present & 1)
              astro_batch_take_value (self->batch, i, g_steal_pointer (&self->values[i]));
        }
      self->n_changes++;

      for (guint i = 0; i < self->msg_txids->len; i++)
        {
          gint64 txid = g_array_index (self->msg_txids, gint64, i);

          /* the changes of one transaction share it: keep it once */
          if (self->txids->len > 0 &&
              g_array_index (self->txids, gint64, self->txids->len - 1) == txid)
            continue;
          g_array_append_val (self->txids, txid);
        }
    }
  else if (self->op == OP_NONE && self->control != CONTROL_NONE && self->control != CONTROL_UNKNOWN)
    {
      switch (self->control)
        {
        case CONTROL_UP_TO_DATE:
          self->up_to_date = TRUE;
          g_free (self->global_lsn);
          self->global_lsn = g_steal_pointer (&self->msg_lsn);
          break;
        case CONTROL_MUST_REFETCH:
          self->must_refetch = TRUE;
          break;
        case CONTROL_SNAPSHOT_END:
          if (self->msg_xmin > 0)
            self->snapshot_xmin = self->msg_xmin;
          break;
        case CONTROL_NONE:
        case CONTROL_UNKNOWN:
        default:
          break;
        }
    }
  else
    {
      /* unknown operations and controls, events (move-in/out), anything else */
      self->n_skipped++;
    }

  message_clear (self);
  return TRUE;
}

static FrameKind
frame_for_slot (Slot     slot,
                gboolean is_array)
{
  switch (slot)
    {
    case SLOT_MESSAGE:
      return is_array ? FRAME_SKIP : FRAME_MESSAGE;
    case SLOT_MSG_VALUE:
      return is_array ? FRAME_SKIP : FRAME_VALUE;
    case SLOT_MSG_HEADERS:
      return is_array ? FRAME_SKIP : FRAME_HEADERS;
    case SLOT_TXIDS:
      return is_array ? FRAME_TXIDS : FRAME_SKIP;
    case SLOT_COLUMN:
    case SLOT_CAPTURE:
      return FRAME_CAPTURE;
    case SLOT_SKIP:
    case SLOT_OPERATION:
    case SLOT_CONTROL:
    case SLOT_LSN:
    case SLOT_TXID:
    default:
      return FRAME_SKIP;
    }
}

static Slot
element_slot (FrameKind kind)
{
  switch (kind)
    {
    case FRAME_TOP:
      return SLOT_MESSAGE;
    case FRAME_TXIDS:
      return SLOT_TXID;
    case FRAME_CAPTURE:
      return SLOT_CAPTURE;
    case FRAME_MESSAGE:
    case FRAME_VALUE:
    case FRAME_HEADERS:
    case FRAME_SKIP:
    default:
      return SLOT_SKIP;
    }
}

static gboolean
slot_keeps_string (Slot slot)
{
  switch (slot)
    {
    case SLOT_COLUMN:
    case SLOT_OPERATION:
    case SLOT_CONTROL:
    case SLOT_LSN:
    case SLOT_TXIDS:
    case SLOT_TXID:
    case SLOT_XMIN:
      return TRUE;
    case SLOT_SKIP:
    case SLOT_MESSAGE:
    case SLOT_MSG_VALUE:
    case SLOT_MSG_HEADERS:
    case SLOT_CAPTURE:
    default:
      return FALSE;
    }
}

static gboolean
frame_keeps_keys (FrameKind kind)
{
  return kind == FRAME_MESSAGE || kind == FRAME_VALUE || kind == FRAME_HEADERS;
}

static inline void
begin_key (AstroShapeParser *self)
{
  self->string_is_key = TRUE;
  self->string_keep = frame_keeps_keys (self->frames[self->depth - 1]);
  self->key_overflow = FALSE;
  if (!self->capturing)
    self->buf_len = 0;
  self->state = STATE_STRING;
}

static inline void
begin_string_value (AstroShapeParser *self)
{
  self->string_is_key = FALSE;
  self->string_keep = slot_keeps_string (self->slot);
  if (!self->capturing)
    self->buf_len = 0;
  self->state = STATE_STRING;
}

/* A complete key: decide what its value means. */
static void
key_end (AstroShapeParser *self)
{
  FrameKind frame = self->frames[self->depth - 1];

  self->slot = frame == FRAME_CAPTURE ? SLOT_CAPTURE : SLOT_SKIP;
  if (!frame_keeps_keys (frame) || self->key_overflow)
    return;

  switch (frame)
    {
    case FRAME_MESSAGE:
      if (SCRATCH_IS (self, "value"))
        self->slot = SLOT_MSG_VALUE;
      else if (SCRATCH_IS (self, "headers"))
        self->slot = SLOT_MSG_HEADERS;
      break;

    case FRAME_VALUE:
      {
        int column = lookup_column (self, self->buf, self->buf_len);

        if (column >= 0)
          {
            self->slot = SLOT_COLUMN;
            self->column = (guint) column;
          }
      }
      break;

    case FRAME_HEADERS:
      if (SCRATCH_IS (self, "operation"))
        self->slot = SLOT_OPERATION;
      else if (SCRATCH_IS (self, "control"))
        self->slot = SLOT_CONTROL;
      else if (SCRATCH_IS (self, "global_last_seen_lsn"))
        self->slot = SLOT_LSN;
      else if (SCRATCH_IS (self, "txids"))
        self->slot = SLOT_TXIDS;
      else if (SCRATCH_IS (self, "xmin"))
        self->slot = SLOT_XMIN;
      break;

    case FRAME_TOP:
    case FRAME_TXIDS:
    case FRAME_CAPTURE:
    case FRAME_SKIP:
    default:
      break;
    }
}

/* ------------------------------------------------------------------------ */
/* public API                                                               */

/**
 * astro_shape_parser_new:
 * @table: the table the shape syncs
 *
 * Returns: (transfer full): a parser; call astro_shape_parser_reset() before
 *   each body.
 */
AstroShapeParser *
astro_shape_parser_new (const AstroTable *table)
{
  AstroShapeParser *self;
  int id_column;

  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (table->n_columns <= ASTRO_TABLE_MAX_COLUMNS, NULL);

  id_column = astro_table_column_index (table, "id");
  g_return_val_if_fail (id_column >= 0, NULL);

  self = g_new0 (AstroShapeParser, 1);
  self->table = table;
  self->id_column = (guint) id_column;
  self->msg_txids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->txids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < table->n_columns; i++)
    {
      gsize len = strlen (table->columns[i]);
      guint32 slot = hash_bytes (table->columns[i], len) & (COLUMN_HASH_SIZE - 1);

      self->column_len[i] = (guint16) len;
      while (self->column_hash[slot] != 0)
        slot = (slot + 1) & (COLUMN_HASH_SIZE - 1);
      self->column_hash[slot] = (guint8) (i + 1);
    }

  astro_shape_parser_reset (self, NULL);
  return self;
}

void
astro_shape_parser_free (AstroShapeParser *self)
{
  if (self == NULL)
    return;

  message_clear (self);
  g_clear_pointer (&self->batch, astro_batch_unref);
  g_clear_error (&self->error);
  g_array_unref (self->msg_txids);
  g_array_unref (self->txids);
  g_free (self->global_lsn);
  g_free (self->buf);
  g_free (self);
}

/**
 * astro_shape_parser_reset:
 * @self: a parser
 * @batch: (nullable): where the changes of the next body go; with %NULL they
 *   are only counted
 *
 * Starts a new body and forgets everything about the previous one, including
 * an error.
 */
void
astro_shape_parser_reset (AstroShapeParser *self,
                          AstroBatch       *batch)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (batch == NULL || astro_batch_get_table (batch) == self->table);

  if (batch != NULL)
    astro_batch_ref (batch);
  g_clear_pointer (&self->batch, astro_batch_unref);
  self->batch = batch;

  message_clear (self);
  self->state = STATE_START;
  self->slot = SLOT_SKIP;
  self->depth = 0;
  self->utf8_need = 0;
  self->capturing = FALSE;
  self->buf_len = 0;
  self->offset = 0;
  g_clear_error (&self->error);
  self->up_to_date = FALSE;
  self->must_refetch = FALSE;
  self->snapshot_xmin = 0;
  self->n_changes = 0;
  self->n_skipped = 0;
  g_array_set_size (self->txids, 0);
  g_clear_pointer (&self->global_lsn, g_free);

  /* a big body's scratch space is not kept for the next, often tiny, one;
   * there is always some, so that an empty string can be terminated */
  if (self->buf == NULL || self->buf_cap > 1024 * 1024)
    {
      self->buf_cap = 256;
      self->buf = g_realloc (self->buf, self->buf_cap);
    }
}

/**
 * astro_shape_parser_set_boolean_columns:
 * @self: a parser
 * @mask: bit i set when column i of the table is a boolean
 *
 * Boolean columns get "true"/"false" whether the server sent that (snapshots)
 * or "t"/"f" (replicated changes).
 */
void
astro_shape_parser_set_boolean_columns (AstroShapeParser *self,
                                        guint32           mask)
{
  g_return_if_fail (self != NULL);

  self->boolean_mask = mask;
}

#define FAIL(...) \
  return fail (self, self->offset + (guint64) (p - start), error, __VA_ARGS__)
#define FAIL_TOO_LARGE() \
  FAIL ("message larger than %u bytes", ASTRO_SHAPE_PARSER_MAX_MESSAGE_BYTES)

/**
 * astro_shape_parser_feed:
 * @self: a parser
 * @data: the next bytes of the body
 * @len: how many
 * @error: return location for a #G_IO_ERROR_INVALID_DATA error
 *
 * Parses the next piece of the body, which may end anywhere, even inside a
 * string escape or a UTF-8 sequence. Each complete change message is added
 * to the batch as soon as its closing brace is seen.
 *
 * Returns: %FALSE if the body is malformed; it then stays failed until reset.
 */
gboolean
astro_shape_parser_feed (AstroShapeParser  *self,
                         const char        *data,
                         gsize              len,
                         GError           **error)
{
  const guchar *start = (const guchar *) data;
  const guchar *p = start;
  const guchar *end = start + len;
  const guchar *capture_from = start;  /* captured bytes not yet copied */

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->error != NULL)
    {
      if (error != NULL)
        *error = g_error_copy (self->error);
      return FALSE;
    }

  while (p < end)
    {
      guchar c;

      switch (self->state)
        {
        case STATE_START:
          p = skip_space (p, end);
          if (p == end)
            break;
          if (*p != '[')
            FAIL ("the body is not a JSON array");
          self->frames[0] = FRAME_TOP;
          self->frame_is_array[0] = TRUE;
          self->depth = 1;
          self->slot = SLOT_MESSAGE;
          self->state = STATE_ARRAY_FIRST;
          p++;
          break;

        case STATE_DONE:
          p = skip_space (p, end);
          if (p < end)
            FAIL ("unexpected data after the end of the array");
          break;

        case STATE_OBJECT_FIRST:
        case STATE_KEY:
          p = skip_space (p, end);
          if (p == end)
            break;
          if (*p == '}' && self->state == STATE_OBJECT_FIRST)
            goto close_container;
          if (*p != '"')
            FAIL ("expected a key string");
          begin_key (self);
          p++;
          break;

        case STATE_COLON:
          p = skip_space (p, end);
          if (p == end)
            break;
          if (*p != ':')
            FAIL ("expected ':' after a key");
          self->state = STATE_VALUE;
          p++;
          break;

        case STATE_ARRAY_FIRST:
        case STATE_VALUE:
          p = skip_space (p, end);
          if (p == end)
            break;
          c = *p;
          if (c == ']' && self->state == STATE_ARRAY_FIRST)
            goto close_container;
          if (self->slot == SLOT_MESSAGE && c != '{')
            FAIL ("a message is not an object");

          if (c == '"')
            {
              begin_string_value (self);
              p++;
            }
          else if (c == '{' || c == '[')
            {
              gboolean is_array = c == '[';
              FrameKind kind;

              if (self->depth == ASTRO_SHAPE_PARSER_MAX_DEPTH)
                FAIL ("nesting deeper than %d levels", ASTRO_SHAPE_PARSER_MAX_DEPTH);

              kind = frame_for_slot (self->slot, is_array);
              if (kind == FRAME_MESSAGE)
                message_clear (self);
              if (kind == FRAME_CAPTURE && !self->capturing)
                {
                  /* a json column sent unquoted: keep its text as it came */
                  self->capturing = TRUE;
                  self->capture_depth = self->depth + 1;
                  self->buf_len = 0;
                  capture_from = p;
                }
              self->frames[self->depth] = kind;
              self->frame_is_array[self->depth] = is_array;
              self->depth++;
              if (is_array)
                {
                  self->slot = element_slot (kind);
                  self->state = STATE_ARRAY_FIRST;
                }
              else
                {
                  self->state = STATE_OBJECT_FIRST;
                }
              p++;
            }
          else if (c == '-' || g_ascii_isdigit (c) || c == 't' || c == 'f' || c == 'n')
            {
              self->literal_len = 0;
              self->state = STATE_LITERAL;
            }
          else
            {
              FAIL ("unexpected byte 0x%02x where a value should be", c);
            }
          break;

        case STATE_AFTER_VALUE:
          p = skip_space (p, end);
          if (p == end)
            break;
          c = *p;
          if (c == ',')
            {
              if (self->frame_is_array[self->depth - 1])
                {
                  self->slot = element_slot (self->frames[self->depth - 1]);
                  self->state = STATE_VALUE;
                }
              else
                {
                  self->state = STATE_KEY;
                }
              p++;
              break;
            }
          if (c != ']' && c != '}')
            FAIL ("expected ',' or the end of %s",
                  self->frame_is_array[self->depth - 1] ? "an array" : "an object");

        close_container:
          {
            gboolean is_array = *p == ']';
            FrameKind kind = self->frames[self->depth - 1];

            if (is_array != self->frame_is_array[self->depth - 1])
              FAIL ("'%c' closes %s", *p, is_array ? "an object" : "an array");

            if (self->capturing && self->depth == self->capture_depth)
              {
                if (!scratch_append (self, capture_from, (gsize) (p + 1 - capture_from)))
                  FAIL_TOO_LARGE ();
                self->capturing = FALSE;
                self->depth--;
                self->slot = SLOT_COLUMN;
                commit_scalar (self, SCALAR_RAW);
              }
            else
              {
                self->depth--;
              }

            if (kind == FRAME_MESSAGE &&
                !message_end (self, self->offset + (guint64) (p - start), error))
              return FALSE;

            self->state = kind == FRAME_TOP ? STATE_DONE : STATE_AFTER_VALUE;
            p++;
          }
          break;

        case STATE_STRING:
        scan_string:
          {
            const guchar *run = p;

            for (;;)
              {
                if (G_UNLIKELY (self->utf8_need > 0))
                  {
                    if (p == end)
                      break;
                    if (*p < self->utf8_lo || *p > self->utf8_hi)
                      FAIL ("invalid UTF-8 in a string");
                    self->utf8_lo = 0x80;
                    self->utf8_hi = 0xBF;
                    self->utf8_need--;
                    p++;
                    continue;
                  }

                /* eight bytes at a time while none of them needs a look */
                while (end - p >= 8)
                  {
                    guint n = plain_prefix (p);

                    p += n;
                    if (n < 8 && string_class[*p] != 0)
                      goto special_byte;
                    if (n < 8)
                      p++;  /* plain_prefix() could not tell */
                  }
                while (p < end && string_class[*p] == 0)
                  p++;
                if (p == end)
                  break;

              special_byte:

                c = *p;
                if (c >= 0x80)
                  {
                    /* whole two- and three-byte sequences, the usual case */
                    if (c >= 0xC2 && c <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80)
                      {
                        p += 2;
                        continue;
                      }
                    if (c >= 0xE1 && c <= 0xEF && c != 0xED && end - p >= 3 &&
                        (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
                      {
                        p += 3;
                        continue;
                      }

                    /* lead byte: how many follow, and the range of the first
                     * one, which excludes overlongs, surrogates and > U+10FFFF */
                    self->utf8_lo = 0x80;
                    self->utf8_hi = 0xBF;
                    if (c >= 0xC2 && c <= 0xDF)
                      self->utf8_need = 1;
                    else if (c == 0xE0)
                      self->utf8_need = 2, self->utf8_lo = 0xA0;
                    else if (c == 0xED)
                      self->utf8_need = 2, self->utf8_hi = 0x9F;
                    else if (c >= 0xE1 && c <= 0xEF)
                      self->utf8_need = 2;
                    else if (c == 0xF0)
                      self->utf8_need = 3, self->utf8_lo = 0x90;
                    else if (c >= 0xF1 && c <= 0xF3)
                      self->utf8_need = 3;
                    else if (c == 0xF4)
                      self->utf8_need = 3, self->utf8_hi = 0x8F;
                    else
                      FAIL ("invalid UTF-8 in a string");
                    p++;
                    continue;
                  }
                if (c < 0x20)
                  FAIL ("unescaped control character 0x%02x in a string", c);
                break;  /* '"' or '\\' */
              }

            if (p > run && !string_append (self, run, (gsize) (p - run)))
              FAIL_TOO_LARGE ();
            if (p == end)
              break;

            if (*p == '\\')
              {
                self->state = STATE_ESCAPE;
                p++;
                break;
              }

            /* the closing quote */
            p++;
            if (self->string_is_key)
              {
                key_end (self);
                self->state = STATE_COLON;

                /* the usual next tokens, without a trip through the switch:
                 * ':' and the opening quote of a string value */
                p = skip_space (p, end);
                if (p < end && *p == ':')
                  {
                    self->state = STATE_VALUE;
                    p = skip_space (p + 1, end);
                    if (p < end && *p == '"' && self->slot != SLOT_MESSAGE)
                      {
                        begin_string_value (self);
                        p++;
                        goto scan_string;
                      }
                  }
              }
            else
              {
                if (!self->capturing)
                  commit_scalar (self, SCALAR_STRING);
                self->state = STATE_AFTER_VALUE;

                /* likewise ',' and the opening quote of the next key */
                p = skip_space (p, end);
                if (p < end && *p == ',' && !self->frame_is_array[self->depth - 1])
                  {
                    self->state = STATE_KEY;
                    p = skip_space (p + 1, end);
                    if (p < end && *p == '"')
                      {
                        begin_key (self);
                        p++;
                        goto scan_string;
                      }
                  }
              }
          }
          break;

        case STATE_ESCAPE:
          {
            char decoded;

            switch (*p)
              {
              case '"': decoded = '"'; break;
              case '\\': decoded = '\\'; break;
              case '/': decoded = '/'; break;
              case 'b': decoded = '\b'; break;
              case 'f': decoded = '\f'; break;
              case 'n': decoded = '\n'; break;
              case 'r': decoded = '\r'; break;
              case 't': decoded = '\t'; break;
              case 'u':
                self->state = STATE_ESCAPE_HEX;
                self->hex_count = 0;
                self->hex_value = 0;
                p++;
                continue;
              default:
                FAIL ("invalid escape '\\%c' in a string", g_ascii_isprint (*p) ? *p : '?');
              }
            if (!string_append (self, &decoded, 1))
              FAIL_TOO_LARGE ();
            self->state = STATE_STRING;
            p++;
          }
          break;

        case STATE_ESCAPE_HEX:
        case STATE_LOW_HEX:
          while (p < end && self->hex_count < 4)
            {
              int digit = hex_digit (*p);

              if (digit < 0)
                FAIL ("invalid \\u escape in a string");
              self->hex_value = (self->hex_value << 4) | (gunichar) digit;
              self->hex_count++;
              p++;
            }
          if (self->hex_count < 4)
            break;

          {
            gunichar cp = self->hex_value;
            char utf8[6];
            int n;

            if (self->state == STATE_ESCAPE_HEX)
              {
                if (cp >= 0xD800 && cp <= 0xDBFF)
                  {
                    self->high_surrogate = cp;
                    self->state = STATE_LOW_BACKSLASH;
                    break;
                  }
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                  FAIL ("lone low surrogate \\u%04X in a string", cp);
              }
            else
              {
                if (cp < 0xDC00 || cp > 0xDFFF)
                  FAIL ("high surrogate not followed by a low one in a string");
                cp = 0x10000 + ((self->high_surrogate - 0xD800) << 10) + (cp - 0xDC00);
              }

            /* Postgres text cannot hold NUL, and a C string would cut there */
            if (cp == 0 && self->string_keep)
              FAIL ("\\u0000 in a string");

            n = g_unichar_to_utf8 (cp, utf8);
            if (!string_append (self, utf8, (gsize) n))
              FAIL_TOO_LARGE ();
            self->state = STATE_STRING;
          }
          break;

        case STATE_LOW_BACKSLASH:
          if (*p != '\\')
            FAIL ("high surrogate not followed by a low one in a string");
          self->state = STATE_LOW_U;
          p++;
          break;

        case STATE_LOW_U:
          if (*p != 'u')
            FAIL ("high surrogate not followed by a low one in a string");
          self->state = STATE_LOW_HEX;
          self->hex_count = 0;
          self->hex_value = 0;
          p++;
          break;

        case STATE_LITERAL:
          while (p < end && is_literal_byte (*p))
            {
              if (self->literal_len == MAX_LITERAL_BYTES)
                FAIL ("number or literal longer than %d bytes", MAX_LITERAL_BYTES);
              self->literal[self->literal_len++] = (char) *p++;
            }
          if (p == end)
            break;

          self->literal[self->literal_len] = '\0';
          if (self->literal_len == 4 && memcmp (self->literal, "null", 4) == 0)
            {
              if (!self->capturing)
                commit_scalar (self, SCALAR_NULL);
            }
          else if ((self->literal_len == 4 && memcmp (self->literal, "true", 4) == 0) ||
                   (self->literal_len == 5 && memcmp (self->literal, "false", 5) == 0) ||
                   is_json_number (self->literal))
            {
              if (!self->capturing)
                commit_scalar (self, SCALAR_LITERAL);
            }
          else
            {
              FAIL ("invalid token '%s'", self->literal);
            }
          self->state = STATE_AFTER_VALUE;
          break;

        default:
          g_assert_not_reached ();
        }
    }

  if (self->capturing && end > capture_from &&
      !scratch_append (self, capture_from, (gsize) (end - capture_from)))
    FAIL_TOO_LARGE ();

  self->offset += len;
  return TRUE;
}

/**
 * astro_shape_parser_finish:
 * @self: a parser
 * @error: return location for a #G_IO_ERROR_INVALID_DATA error
 *
 * Checks that the body fed so far is one complete array.
 *
 * Returns: %FALSE if it is not (or was malformed earlier)
 */
gboolean
astro_shape_parser_finish (AstroShapeParser  *self,
                           GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->error != NULL)
    {
      if (error != NULL)
        *error = g_error_copy (self->error);
      return FALSE;
    }

  if (self->state == STATE_START)
    return fail (self, self->offset, error, "empty body");
  if (self->state != STATE_DONE)
    return fail (self, self->offset, error, "the body ends before its array does");

  return TRUE;
}

gboolean
astro_shape_parser_got_up_to_date (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->up_to_date;
}

gboolean
astro_shape_parser_got_must_refetch (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->must_refetch;
}

/* Change messages added to the batch since the last reset. */
guint
astro_shape_parser_get_n_changes (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_changes;
}

/* Messages ignored because they were not recognised: unknown operations or
 * control messages, events. snapshot-end is known and not counted. */
guint
astro_shape_parser_get_n_skipped (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_skipped;
}

/**
 * astro_shape_parser_get_txids:
 * @self: a parser
 *
 * Returns: (transfer none) (element-type gint64): the txids of the change
 *   messages so far, in order, consecutive repeats dropped
 */
GArray *
astro_shape_parser_get_txids (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->txids;
}

/* xmin of a snapshot-end in the body, or 0: every transaction id below it
 * is in the snapshot (how a refetch settles writes whose txid it hid). */
gint64
astro_shape_parser_get_snapshot_xmin (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->snapshot_xmin;
}

/* global_last_seen_lsn of the last up-to-date message, as sent, or NULL. */
const char *
astro_shape_parser_get_global_lsn (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->global_lsn;
}

/* Bytes fed since the last reset. */
guint64
astro_shape_parser_get_bytes (AstroShapeParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->offset;
}
