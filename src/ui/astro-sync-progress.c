/* astro-sync-progress.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shown by the Tasks page while the first sync runs and its tasks are not
 * listed yet: one row per table with the rows received so far, updated on
 * the engine's shape-changed (posted to the main thread by the engine). It
 * only reads the engine, so it never holds the window up.
 *
 * A first sync changes shapes many times a second: the rows follow at most
 * four times a second, and not at all while hidden.
 *
 * The count is a one-line suffix as wide as any count it will show, not the
 * row's subtitle: a subtitle wraps, and a wrapping label whose text changes
 * is measured again at every size its parents try, each a search over
 * widths with Pango (15-20 ms a frame in software). An inscription of a
 * fixed width is not measured again at all: a new count only redraws it.
 */
#define G_LOG_DOMAIN "astro-sync-progress"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-sync-progress.h"

struct _AstroSyncProgress
{
  AdwBin           parent_instance;

  AstroSyncEngine *engine;
  GPtrArray       *rows;    /* AdwActionRow, one per shape, in the engine's order */
  GPtrArray       *counts;  /* GtkInscription, each row's suffix */

  GtkSpinner      *spinner;
  GtkListBox      *list_box;

  guint            update_source;
  gboolean         update_pending;
};

#define UPDATE_INTERVAL_MS 250

G_DEFINE_FINAL_TYPE (AstroSyncProgress, astro_sync_progress, ADW_TYPE_BIN)

/*
 * Auxiliary methods
 */

static const char *
table_title (const char *table)
{
  static const struct { const char *table; const char *title; } titles[] = {
    { "organizations", N_("Organizations") },
    { "users", N_("People") },
    { "organization_members", N_("Memberships") },
    { "repositories", N_("Repositories") },
    { "tasks", N_("Tasks") },
    { "workspaces", N_("Workspaces") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_strcmp0 (table, titles[i].table) == 0)
      return _(titles[i].title);

  return table;
}

static void
update (AstroSyncProgress *self)
{
  guint n_shapes = self->engine != NULL ? astro_sync_engine_get_n_shapes (self->engine) : 0;
  AstroSyncStatus status = self->engine != NULL ? astro_sync_engine_get_status (self->engine)
                                                : ASTRO_SYNC_STATUS_OFFLINE;

  /* a spinner that turns while nothing moves would lie: the offline
   * banner says what is wrong instead */
  gtk_spinner_set_spinning (self->spinner, status == ASTRO_SYNC_STATUS_CONNECTING ||
                                           status == ASTRO_SYNC_STATUS_SYNCING);

  while (self->rows->len > n_shapes)
    {
      gtk_list_box_remove (self->list_box, g_ptr_array_index (self->rows, self->rows->len - 1));
      g_ptr_array_set_size (self->rows, self->rows->len - 1);
      g_ptr_array_set_size (self->counts, self->rows->len);
    }

  for (guint i = 0; i < n_shapes; i++)
    {
      const AstroShapeInfo *info = astro_sync_engine_get_shape (self->engine, i);
      g_autofree char *received = NULL;
      GtkWidget *row;

      if (i >= self->rows->len)
        {
          GtkWidget *count = gtk_inscription_new (NULL);

          /* "100000 rows received" fits */
          gtk_inscription_set_min_chars (GTK_INSCRIPTION (count), 22);
          gtk_inscription_set_nat_chars (GTK_INSCRIPTION (count), 22);
          gtk_inscription_set_xalign (GTK_INSCRIPTION (count), 1.0);
          gtk_inscription_set_text_overflow (GTK_INSCRIPTION (count), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
          gtk_widget_add_css_class (count, "dim-label");
          gtk_widget_add_css_class (count, "numeric");
          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), count);
          gtk_list_box_append (self->list_box, row);
          g_ptr_array_add (self->rows, row);
          g_ptr_array_add (self->counts, count);
        }
      row = g_ptr_array_index (self->rows, i);

      if (info->up_to_date)
        received = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d row, complete", "%d rows, complete",
                                                 info->rows_received),
                                    (int) info->rows_received);
      else
        received = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d row received", "%d rows received",
                                                 info->rows_received),
                                    (int) info->rows_received);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), table_title (info->table));
      gtk_inscription_set_text (g_ptr_array_index (self->counts, i), received);
    }
}

static gboolean on_update_timeout_cb (gpointer data);

/* Now if nothing was shown for a while, else at the end of the interval */
static void
queue_update (AstroSyncProgress *self)
{
  self->update_pending = TRUE;
  if (self->update_source != 0 || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  self->update_pending = FALSE;
  update (self);
  self->update_source = g_timeout_add (UPDATE_INTERVAL_MS, on_update_timeout_cb, self);
  g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->update_source),
                            "[astro] sync progress");
}

static gboolean
on_update_timeout_cb (gpointer data)
{
  AstroSyncProgress *self = data;

  self->update_source = 0;
  if (self->update_pending)
    queue_update (self);

  return G_SOURCE_REMOVE;
}

/*
 * GtkWidget overrides
 */

static void
astro_sync_progress_map (GtkWidget *widget)
{
  AstroSyncProgress *self = ASTRO_SYNC_PROGRESS (widget);

  GTK_WIDGET_CLASS (astro_sync_progress_parent_class)->map (widget);

  if (self->update_pending)
    queue_update (self);
}

/* A hidden spinner still turns: its animation keeps the window's frame
 * clock going, a frame and a style update every 16 ms for as long as the
 * sync runs. It turns again when shown (map brings the rows up to date). */
static void
astro_sync_progress_unmap (GtkWidget *widget)
{
  AstroSyncProgress *self = ASTRO_SYNC_PROGRESS (widget);

  gtk_spinner_set_spinning (self->spinner, FALSE);
  self->update_pending = TRUE;

  GTK_WIDGET_CLASS (astro_sync_progress_parent_class)->unmap (widget);
}

/*
 * GObject overrides
 */

static void
astro_sync_progress_dispose (GObject *object)
{
  AstroSyncProgress *self = ASTRO_SYNC_PROGRESS (object);

  g_clear_handle_id (&self->update_source, g_source_remove);

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_SYNC_PROGRESS);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->counts, g_ptr_array_unref);

  G_OBJECT_CLASS (astro_sync_progress_parent_class)->dispose (object);
}

static void
astro_sync_progress_class_init (AstroSyncProgressClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_sync_progress_dispose;

  widget_class->map = astro_sync_progress_map;
  widget_class->unmap = astro_sync_progress_unmap;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-sync-progress.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroSyncProgress, spinner);
  gtk_widget_class_bind_template_child (widget_class, AstroSyncProgress, list_box);
}

static void
astro_sync_progress_init (AstroSyncProgress *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_ptr_array_new ();
  self->counts = g_ptr_array_new ();
}

/*
 * Public API
 */

void
astro_sync_progress_set_engine (AstroSyncProgress *self,
                                AstroSyncEngine   *engine)
{
  g_return_if_fail (ASTRO_IS_SYNC_PROGRESS (self));
  g_return_if_fail (engine == NULL || ASTRO_IS_SYNC_ENGINE (engine));

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_set_object (&self->engine, engine);

  if (engine != NULL)
    {
      g_signal_connect_object (engine, "notify::status", G_CALLBACK (queue_update), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "shape-changed", G_CALLBACK (queue_update), self, G_CONNECT_SWAPPED);
    }

  /* the rows are there at once, even before the first frame */
  g_clear_handle_id (&self->update_source, g_source_remove);
  self->update_pending = FALSE;
  update (self);
}
