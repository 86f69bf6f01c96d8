/* astro-rows-changed.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "astro-rows-changed.h"

G_DEFINE_BOXED_TYPE (AstroRowsChanged, astro_rows_changed,
                     astro_rows_changed_ref, astro_rows_changed_unref)

AstroRowsChanged *
astro_rows_changed_new (const char *table)
{
  AstroRowsChanged *self;

  g_return_val_if_fail (table != NULL, NULL);

  self = g_new0 (AstroRowsChanged, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->table = g_strdup (table);
  self->inserted = g_ptr_array_new_with_free_func (g_free);
  self->updated = g_ptr_array_new_with_free_func (g_free);
  self->deleted = g_ptr_array_new_with_free_func (g_free);
  return self;
}

AstroRowsChanged *
astro_rows_changed_ref (AstroRowsChanged *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
astro_rows_changed_unref (AstroRowsChanged *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->table);
  g_ptr_array_unref (self->inserted);
  g_ptr_array_unref (self->updated);
  g_ptr_array_unref (self->deleted);
  g_free (self);
}

gboolean
astro_rows_changed_is_empty (AstroRowsChanged *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->inserted->len == 0 && self->updated->len == 0 && self->deleted->len == 0;
}
