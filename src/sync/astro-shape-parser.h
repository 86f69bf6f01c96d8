/* astro-shape-parser.h: streaming parser for the body of an Electric shape response
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "astro-batch.h"
#include "astro-table.h"

G_BEGIN_DECLS

/* Limits that keep a hostile or broken body from using unbounded memory. */
#define ASTRO_SHAPE_PARSER_MAX_DEPTH          64
#define ASTRO_SHAPE_PARSER_MAX_MESSAGE_BYTES  (64u * 1024u * 1024u)

typedef struct _AstroShapeParser AstroShapeParser;

AstroShapeParser *astro_shape_parser_new                  (const AstroTable *table);
void              astro_shape_parser_free                 (AstroShapeParser *self);
void              astro_shape_parser_reset                (AstroShapeParser *self,
                                                           AstroBatch       *batch);
void              astro_shape_parser_set_boolean_columns  (AstroShapeParser *self,
                                                           guint32           mask);
gboolean          astro_shape_parser_feed                 (AstroShapeParser *self,
                                                           const char       *data,
                                                           gsize             len,
                                                           GError          **error);
gboolean          astro_shape_parser_finish               (AstroShapeParser *self,
                                                           GError          **error);
gboolean          astro_shape_parser_got_up_to_date       (AstroShapeParser *self);
gboolean          astro_shape_parser_got_must_refetch     (AstroShapeParser *self);
guint             astro_shape_parser_get_n_changes        (AstroShapeParser *self);
guint             astro_shape_parser_get_n_skipped        (AstroShapeParser *self);
GArray           *astro_shape_parser_get_txids            (AstroShapeParser *self);
gint64            astro_shape_parser_get_snapshot_xmin    (AstroShapeParser *self);
const char       *astro_shape_parser_get_global_lsn       (AstroShapeParser *self);
guint64           astro_shape_parser_get_bytes            (AstroShapeParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroShapeParser, astro_shape_parser_free)

G_END_DECLS
