/* astro-row.h: one row of a synced table, read from the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "astro-table.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_ROW (astro_row_get_type ())

typedef struct _AstroRow AstroRow;

GType             astro_row_get_type  (void) G_GNUC_CONST;
AstroRow         *astro_row_new       (const AstroTable *table);
AstroRow         *astro_row_ref       (AstroRow         *self);
void              astro_row_unref     (AstroRow         *self);
const AstroTable *astro_row_get_table (AstroRow         *self);
const char       *astro_row_get       (AstroRow         *self,
                                       const char       *column);
const char       *astro_row_get_nth   (AstroRow         *self,
                                       guint             column);
void              astro_row_take_nth  (AstroRow         *self,
                                       guint             column,
                                       char             *value);
const char       *astro_row_get_id    (AstroRow         *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroRow, astro_row_unref)

G_END_DECLS
