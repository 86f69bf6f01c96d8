/* astro-shape-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "astro-shape-state.h"

G_DEFINE_BOXED_TYPE (AstroShapeState, astro_shape_state,
                     astro_shape_state_copy, astro_shape_state_free)

AstroShapeState *
astro_shape_state_new (const char *shape)
{
  AstroShapeState *self;

  g_return_val_if_fail (shape != NULL, NULL);

  self = g_new0 (AstroShapeState, 1);
  self->shape = g_strdup (shape);
  return self;
}

AstroShapeState *
astro_shape_state_copy (const AstroShapeState *self)
{
  AstroShapeState *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = astro_shape_state_new (self->shape);
  copy->definition = g_strdup (self->definition);
  copy->handle = g_strdup (self->handle);
  copy->offset = g_strdup (self->offset);
  copy->schema = g_strdup (self->schema);
  copy->last_up_to_date = self->last_up_to_date;
  copy->row_count = self->row_count;
  copy->last_error = g_strdup (self->last_error);
  return copy;
}

void
astro_shape_state_free (AstroShapeState *self)
{
  if (self == NULL)
    return;

  g_free (self->shape);
  g_free (self->definition);
  g_free (self->handle);
  g_free (self->offset);
  g_free (self->schema);
  g_free (self->last_error);
  g_free (self);
}
