/* astro-task-list-diff.c: how one listing of task ids becomes the next
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The walk moves the split between the new list (before it) and the rest of
 * the old list (after it) from top to bottom. Adjacent changes merge into one
 * range; an unchanged row between them sends the range first. Each range is
 * recorded with the split as it stands when the range is emitted, so that the
 * model can describe itself exactly at every emission.
 *
 * It reads only its arguments: it runs on a worker thread, as walking two
 * lists of 100,000 ids takes longer than a frame.
 */
#define G_LOG_DOMAIN "astro-task-list-model"

#include "config.h"

#include "astro-task-list-diff.h"

typedef struct
{
  GArray *changes;
  guint   max_added_with_removed;
  guint   split;
  guint   old_pos;
  guint   pending_pos;
  guint   pending_removed;
  guint   pending_added;
} Walk;

static void
record (Walk  *self,
        guint  position,
        guint  removed,
        guint  added,
        guint  split)
{
  AstroListChange change = { position, removed, added, split, self->old_pos };

  g_array_append_val (self->changes, change);
}

static void
flush_pending (Walk *self)
{
  guint removed = self->pending_removed;
  guint added = self->pending_added;

  if (removed == 0 && added == 0)
    return;

  self->pending_removed = self->pending_added = 0;

  if (removed > 0 && added > self->max_added_with_removed)
    {
      /* the list as it is between the two: the added rows not yet in it */
      record (self, self->pending_pos, removed, 0, self->pending_pos);
      removed = 0;
    }

  record (self, self->pending_pos, removed, added, self->split);
}

static void
step_keep (Walk  *self,
           guint  n)
{
  flush_pending (self);
  self->split += n;
  self->old_pos += n;
}

static void
step_change (Walk  *self,
             guint  removed,
             guint  added)
{
  if (removed == 0 && added == 0)
    return;

  if (self->pending_removed == 0 && self->pending_added == 0)
    self->pending_pos = self->split;

  g_assert (self->pending_pos + self->pending_added == self->split);

  self->pending_removed += removed;
  self->pending_added += added;
  self->split += added;
  self->old_pos += removed;
}

typedef struct
{
  guint old_index;
  guint new_index;
} Match;

/* The longest run of matches whose new indices increase (they arrive sorted
 * by old index): those rows kept their order and stay; every other row of
 * the ranges is removed or inserted. O(k log k) patience sorting. */
static GArray *
longest_increasing (GArray *matches)
{
  g_autofree guint *tails = NULL;       /* tails[l]: index in matches ending a run of length l+1 */
  g_autofree guint *previous = NULL;
  GArray *kept;
  guint length = 0;

  kept = g_array_new (FALSE, FALSE, sizeof (Match));
  if (matches->len == 0)
    return kept;

  tails = g_new (guint, matches->len);
  previous = g_new (guint, matches->len);

  for (guint i = 0; i < matches->len; i++)
    {
      guint value = g_array_index (matches, Match, i).new_index;
      guint low = 0, high = length;

      while (low < high)
        {
          guint mid = (low + high) / 2;

          if (g_array_index (matches, Match, tails[mid]).new_index < value)
            low = mid + 1;
          else
            high = mid;
        }

      previous[i] = low > 0 ? tails[low - 1] : G_MAXUINT;
      tails[low] = i;
      if (low == length)
        length++;
    }

  g_array_set_size (kept, length);
  for (guint i = tails[length - 1], l = length; l > 0; i = previous[i], l--)
    g_array_index (kept, Match, l - 1) = g_array_index (matches, Match, i);

  return kept;
}

/* Turns old[a, a_end) into new[b, b_end) with as few removals and insertions
 * as the rows' order allows. A row kept that the store says was updated is
 * sent as (position, 1, 1) so that exactly its view rebinds. */
static void
diff_range (Walk               *self,
            GPtrArray          *old_ids,
            guint               a,
            guint               a_end,
            GPtrArray          *new_ids,
            guint               b,
            guint               b_end,
            GHashTable         *changed)
{
  g_autoptr(GHashTable) new_index = NULL;
  g_autoptr(GArray) matches = NULL;
  g_autoptr(GArray) kept = NULL;

  if (a == a_end || b == b_end)
    {
      step_change (self, a_end - a, b_end - b);
      return;
    }

  new_index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint j = b; j < b_end; j++)
    g_hash_table_insert (new_index, g_ptr_array_index (new_ids, j), GUINT_TO_POINTER (j + 1));

  matches = g_array_new (FALSE, FALSE, sizeof (Match));
  for (guint i = a; i < a_end; i++)
    {
      guint j = GPOINTER_TO_UINT (g_hash_table_lookup (new_index, g_ptr_array_index (old_ids, i)));

      if (j != 0)
        g_array_append_val (matches, ((Match) { i, j - 1 }));
    }

  kept = longest_increasing (matches);
  for (guint k = 0; k < kept->len; k++)
    {
      const Match *match = &g_array_index (kept, Match, k);

      step_change (self, match->old_index - a, match->new_index - b);
      if (g_hash_table_contains (changed, g_ptr_array_index (new_ids, match->new_index)))
        step_change (self, 1, 1);
      else
        step_keep (self, 1);
      a = match->old_index + 1;
      b = match->new_index + 1;
    }

  step_change (self, a_end - a, b_end - b);
}


static gboolean
is_changed (GHashTable *changed,
            GPtrArray  *ids,
            guint       index)
{
  return g_hash_table_contains (changed, g_ptr_array_index (ids, index));
}

/**
 * astro_task_list_diff:
 * @old_ids: the list as it is
 * @new_ids: the list as it will be
 * @changed: the ids whose rows may have changed: every other row keeps its
 *   values, so it keeps its order relative to the others
 * @max_added_with_removed: a range that removes rows and adds more than this
 *   is recorded as a removal, then an addition (see the model)
 *
 * Rows the store did not report as changed are the fixed points of the walk,
 * and only the short runs of changed rows between them need a diff. Should
 * the lists disagree on an unchanged row anyway, the rest is diffed as a
 * whole. A row kept that @changed names is recorded as (position, 1, 1), so
 * that exactly its view rebinds.
 *
 * Returns: (transfer full) (element-type AstroListChange): the ranges, in
 *   the order they are to be emitted
 */
GArray *
astro_task_list_diff (GPtrArray  *old_ids,
                      GPtrArray  *new_ids,
                      GHashTable *changed,
                      guint       max_added_with_removed)
{
  Walk walk = { g_array_new (FALSE, FALSE, sizeof (AstroListChange)), max_added_with_removed };
  Walk *self = &walk;
  guint n = old_ids->len, m = new_ids->len;
  guint i = 0, j = 0;

  while (i < n || j < m)
    {
      guint i_end = i, j_end = j;

      while (i_end < n && is_changed (changed, old_ids, i_end))
        i_end++;
      while (j_end < m && is_changed (changed, new_ids, j_end))
        j_end++;

      if (i_end > i || j_end > j)
        diff_range (self, old_ids, i, i_end, new_ids, j, j_end, changed);
      i = i_end;
      j = j_end;

      if (i < n && j < m &&
          g_str_equal (g_ptr_array_index (old_ids, i), g_ptr_array_index (new_ids, j)))
        {
          step_keep (self, 1);
          i++;
          j++;
        }
      else if (i < n || j < m)
        {
          diff_range (self, old_ids, i, n, new_ids, j, m, changed);
          break;
        }
    }

  flush_pending (self);

  g_assert (self->split == m && self->old_pos == n);

  return walk.changes;
}
