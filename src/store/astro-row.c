/* astro-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "astro-row.h"

struct _AstroRow
{
  gatomicrefcount   ref_count;
  const AstroTable *table;
  char             *values[];
};

G_DEFINE_BOXED_TYPE (AstroRow, astro_row, astro_row_ref, astro_row_unref)

AstroRow *
astro_row_new (const AstroTable *table)
{
  AstroRow *self;

  g_return_val_if_fail (table != NULL, NULL);

  self = g_malloc0 (sizeof (AstroRow) + table->n_columns * sizeof (char *));
  g_atomic_ref_count_init (&self->ref_count);
  self->table = table;

  return self;
}

AstroRow *
astro_row_ref (AstroRow *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
astro_row_unref (AstroRow *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  for (guint i = 0; i < self->table->n_columns; i++)
    g_free (self->values[i]);
  g_free (self);
}

const AstroTable *
astro_row_get_table (AstroRow *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->table;
}

/* Returns NULL both for SQL NULL and for a column the table does not have:
 * the architecture says missing columns read as NULL. */
const char *
astro_row_get (AstroRow   *self,
               const char *column)
{
  int index;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (column != NULL, NULL);

  index = astro_table_column_index (self->table, column);
  if (index < 0)
    return NULL;

  return self->values[index];
}

const char *
astro_row_get_nth (AstroRow *self,
                   guint     column)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (column < self->table->n_columns, NULL);

  return self->values[column];
}

void
astro_row_take_nth (AstroRow *self,
                    guint     column,
                    char     *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (column < self->table->n_columns);

  g_free (self->values[column]);
  self->values[column] = value;
}

const char *
astro_row_get_id (AstroRow *self)
{
  return astro_row_get_nth (self, 0);
}
