/* astro-task-list-diff.h: how one listing of task ids becomes the next
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint position;
  guint removed;
  guint added;
  /* the list while this is emitted: new[0, split) then old[old_pos, …) */
  guint split;
  guint old_pos;
} AstroListChange;

GArray *astro_task_list_diff (GPtrArray  *old_ids,
                              GPtrArray  *new_ids,
                              GHashTable *changed,
                              guint       max_added_with_removed);

G_END_DECLS
