/* astro-shape-state.h: where one shape's stream stands, as saved with its rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ASTRO_TYPE_SHAPE_STATE (astro_shape_state_get_type ())

typedef struct
{
  char   *shape;            /* the shape's name: its table */
  char   *definition;       /* what identifies the shape (URL parameters); a change refetches */
  char   *handle;
  char   *offset;           /* opaque, echoed back as received */
  char   *schema;           /* electric-schema JSON, when known */
  gint64  last_up_to_date;  /* wall-clock µs of the last up-to-date, 0 if never */
  gint64  row_count;        /* maintained by the store */
  char   *last_error;
} AstroShapeState;

GType            astro_shape_state_get_type (void) G_GNUC_CONST;
AstroShapeState *astro_shape_state_new      (const char            *shape);
AstroShapeState *astro_shape_state_copy     (const AstroShapeState *self);
void             astro_shape_state_free     (AstroShapeState       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroShapeState, astro_shape_state_free)

G_END_DECLS
