/* astro-batch.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "astro-batch.h"

typedef struct
{
  AstroChangeKind  kind;
  guint32          present;  /* bit i: column i was given */
  guint            n_values;
  char           **values;   /* the strings are in the batch's chunks */
} Change;

/* A batch of a first sync holds some 150,000 values. Freed one by one, on
 * the sync thread, that was 150,000 frees, many taking the malloc arena's
 * lock; when the thread (which runs at a lower priority) was preempted
 * holding it, the window waited. In chunks, freeing a batch is a few
 * hundred frees. Below 64 KB, so a free does not consolidate the arena. */
#define STRINGS_BLOCK_SIZE (16 * 1024)

struct _AstroBatch
{
  gatomicrefcount   ref_count;
  const AstroTable *table;
  GArray           *changes;
  GPtrArray        *strings;          /* GStringChunk: the values; new ones go in the last */
  AstroShapeState  *state;
  gboolean          reset;
  GArray           *txids;            /* gint64: the transactions the changes came from */
  gint64            refetch_started;  /* µs: when the refetch this batch completes began */
  gint64            snapshot_xmin;    /* a snapshot's end: every txid below is in it */
};

G_DEFINE_BOXED_TYPE (AstroBatch, astro_batch, astro_batch_ref, astro_batch_unref)

static void
change_clear (gpointer data)
{
  Change *change = data;

  g_free (change->values);
}

static GPtrArray *
strings_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) g_string_chunk_free);
}

static char *
keep_string (AstroBatch *self,
             const char *value)
{
  if (self->strings->len == 0)
    g_ptr_array_add (self->strings, g_string_chunk_new (STRINGS_BLOCK_SIZE));

  return g_string_chunk_insert (g_ptr_array_index (self->strings, self->strings->len - 1), value);
}

AstroBatch *
astro_batch_new (const AstroTable *table)
{
  AstroBatch *self;

  g_return_val_if_fail (table != NULL, NULL);

  self = g_new0 (AstroBatch, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->table = table;
  self->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_array_set_clear_func (self->changes, change_clear);
  self->strings = strings_new ();
  self->txids = g_array_new (FALSE, FALSE, sizeof (gint64));
  return self;
}

AstroBatch *
astro_batch_ref (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
astro_batch_unref (AstroBatch *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_array_unref (self->changes);
  g_ptr_array_unref (self->strings);
  g_array_unref (self->txids);
  astro_shape_state_free (self->state);
  g_free (self);
}

const AstroTable *
astro_batch_get_table (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->table;
}

/* A reset batch replaces every row of the table: rows it does not mention are
 * deleted in the same transaction, so a refetch never shows an empty list. */
void
astro_batch_set_reset (AstroBatch *self,
                       gboolean    reset)
{
  g_return_if_fail (self != NULL);

  self->reset = !!reset;
}

gboolean
astro_batch_get_reset (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->reset;
}

void
astro_batch_add (AstroBatch      *self,
                 AstroChangeKind  kind)
{
  Change change = { kind, 0, 0, NULL };

  g_return_if_fail (self != NULL);

  change.n_values = self->table->n_columns;
  change.values = g_new0 (char *, change.n_values);
  g_array_append_val (self->changes, change);
}

void
astro_batch_take_value (AstroBatch *self,
                        guint       column,
                        char       *value)
{
  Change *change;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->changes->len > 0);
  g_return_if_fail (column < self->table->n_columns);

  change = &g_array_index (self->changes, Change, self->changes->len - 1);
  /* a value given twice leaves the first in the chunk, with the batch */
  change->values[column] = value != NULL ? keep_string (self, value) : NULL;
  change->present |= 1u << column;
  g_free (value);
}

/* Columns the table does not have are ignored: the server may be newer. */
gboolean
astro_batch_set_value (AstroBatch *self,
                       const char *column,
                       const char *value)
{
  int index;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (column != NULL, FALSE);

  index = astro_table_column_index (self->table, column);
  if (index < 0)
    return FALSE;

  astro_batch_take_value (self, (guint) index, g_strdup (value));
  return TRUE;
}

guint
astro_batch_get_n_changes (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->changes->len;
}

/* Moves every change of @from to the end of @self, leaving @from empty. */
void
astro_batch_steal_changes (AstroBatch *self,
                           AstroBatch *from)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (from != NULL);
  g_return_if_fail (self->table == from->table);

  g_array_append_vals (self->changes, from->changes->data, from->changes->len);
  /* the values now belong to self: drop them from @from without freeing */
  g_array_set_clear_func (from->changes, NULL);
  g_array_set_size (from->changes, 0);
  g_array_set_clear_func (from->changes, change_clear);
  /* and so do the chunks they are in */
  g_ptr_array_extend_and_steal (self->strings, g_steal_pointer (&from->strings));
  from->strings = strings_new ();

  g_array_append_vals (self->txids, from->txids->data, from->txids->len);
  g_array_set_size (from->txids, 0);
  self->refetch_started = MAX (self->refetch_started, from->refetch_started);
  from->refetch_started = 0;
  self->snapshot_xmin = MAX (self->snapshot_xmin, from->snapshot_xmin);
  from->snapshot_xmin = 0;
}

void
astro_batch_get_change (AstroBatch       *self,
                        guint             index,
                        AstroChangeKind  *kind,
                        guint32          *present,
                        char * const    **values)
{
  const Change *change;

  g_return_if_fail (self != NULL);
  g_return_if_fail (index < self->changes->len);

  change = &g_array_index (self->changes, Change, index);
  *kind = change->kind;
  *present = change->present;
  *values = change->values;
}

void
astro_batch_set_state (AstroBatch            *self,
                       const AstroShapeState *state)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->state, astro_shape_state_free);
  if (state != NULL)
    self->state = astro_shape_state_copy (state);
}

const AstroShapeState *
astro_batch_get_state (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->state;
}

/* Transaction ids seen with the changes: applying the batch settles the
 * outbox's writes that carry them, in the same transaction. */
void
astro_batch_add_txids (AstroBatch   *self,
                       const GArray *txids)
{
  g_return_if_fail (self != NULL);

  if (txids != NULL)
    g_array_append_vals (self->txids, txids->data, txids->len);
}

const GArray *
astro_batch_get_txids (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->txids;
}

/* A whole refetched snapshot (reset, up to date) that was requested at
 * @started: every write answered before then is in it. */
void
astro_batch_set_refetch_started (AstroBatch *self,
                                 gint64      started)
{
  g_return_if_fail (self != NULL);

  self->refetch_started = started;
}

gint64
astro_batch_get_refetch_started (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->refetch_started;
}

/* The xmin of the snapshot-end these changes complete: the writes with a
 * txid below it are in the rows, though the snapshot does not name them. */
void
astro_batch_set_snapshot_xmin (AstroBatch *self,
                               gint64      xmin)
{
  g_return_if_fail (self != NULL);

  self->snapshot_xmin = MAX (self->snapshot_xmin, xmin);
}

gint64
astro_batch_get_snapshot_xmin (AstroBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->snapshot_xmin;
}
