/* astro-batch.h: changes to one synced table, applied in one transaction
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "astro-shape-state.h"
#include "astro-table.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_BATCH (astro_batch_get_type ())

typedef enum
{
  ASTRO_CHANGE_INSERT,  /* the whole row: columns not given become NULL */
  ASTRO_CHANGE_UPDATE,  /* merge: only the columns given change */
  ASTRO_CHANGE_DELETE,  /* by primary key */
} AstroChangeKind;

typedef struct _AstroBatch AstroBatch;

GType             astro_batch_get_type      (void) G_GNUC_CONST;
AstroBatch       *astro_batch_new           (const AstroTable *table);
AstroBatch       *astro_batch_ref           (AstroBatch       *self);
void              astro_batch_unref         (AstroBatch       *self);
const AstroTable *astro_batch_get_table     (AstroBatch       *self);
void              astro_batch_set_reset     (AstroBatch       *self,
                                             gboolean          reset);
gboolean          astro_batch_get_reset     (AstroBatch       *self);
void              astro_batch_add           (AstroBatch       *self,
                                             AstroChangeKind   kind);
gboolean          astro_batch_set_value     (AstroBatch       *self,
                                             const char       *column,
                                             const char       *value);
void              astro_batch_take_value    (AstroBatch       *self,
                                             guint             column,
                                             char             *value);
guint             astro_batch_get_n_changes (AstroBatch       *self);
void              astro_batch_steal_changes (AstroBatch       *self,
                                             AstroBatch       *from);
void              astro_batch_get_change    (AstroBatch       *self,
                                             guint             index,
                                             AstroChangeKind  *kind,
                                             guint32          *present,
                                             char * const    **values);
void              astro_batch_set_state     (AstroBatch       *self,
                                             const AstroShapeState *state);
const AstroShapeState *astro_batch_get_state (AstroBatch      *self);
void              astro_batch_add_txids     (AstroBatch       *self,
                                             const GArray     *txids);
const GArray     *astro_batch_get_txids     (AstroBatch       *self);
void              astro_batch_set_refetch_started (AstroBatch *self,
                                             gint64            started);
gint64            astro_batch_get_refetch_started (AstroBatch *self);
void              astro_batch_set_snapshot_xmin (AstroBatch   *self,
                                             gint64            xmin);
gint64            astro_batch_get_snapshot_xmin (AstroBatch   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroBatch, astro_batch_unref)

G_END_DECLS
