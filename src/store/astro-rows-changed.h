/* astro-rows-changed.h: which keys of one table a committed batch touched
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ASTRO_TYPE_ROWS_CHANGED (astro_rows_changed_get_type ())

typedef struct
{
  /*< public, read-only >*/
  char      *table;
  GPtrArray *inserted;  /* of char *: keys that did not exist before */
  GPtrArray *updated;   /* keys that existed before and still do */
  GPtrArray *deleted;   /* keys that existed before and are gone */
  /*< private >*/
  gatomicrefcount ref_count;
} AstroRowsChanged;

GType             astro_rows_changed_get_type (void) G_GNUC_CONST;
AstroRowsChanged *astro_rows_changed_new      (const char       *table);
AstroRowsChanged *astro_rows_changed_ref      (AstroRowsChanged *self);
void              astro_rows_changed_unref    (AstroRowsChanged *self);
gboolean          astro_rows_changed_is_empty (AstroRowsChanged *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroRowsChanged, astro_rows_changed_unref)

G_END_DECLS
