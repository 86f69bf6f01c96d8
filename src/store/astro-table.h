/* astro-table.h: what the synced tables look like on this side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every synced table has a text primary key named "id" as its first column. */
typedef struct
{
  const char         *name;
  const char * const *columns;
  guint               n_columns;
} AstroTable;

#define ASTRO_TABLE_MAX_COLUMNS 32

const AstroTable  *astro_table_lookup        (const char       *name);
const AstroTable * const *astro_table_all    (guint            *n_tables);
int                astro_table_column_index  (const AstroTable *table,
                                              const char       *column);

G_END_DECLS
