/* astro-sync-button.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The icon says offline, syncing, live or trouble; the popover lists each
 * table with its rows, its last sync and its last error, and has "Sync Now".
 *
 * The engine tells of every shape's progress, many times a second during a
 * sync: the button changes only when the status does (a new tooltip asks the
 * X server where the pointer is), and the table is filled while it is shown.
 */
#define G_LOG_DOMAIN "astro-sync-button"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-sync-button.h"

struct _AstroSyncButton
{
  AdwBin           parent_instance;

  AstroSyncEngine *engine;

  GtkMenuButton   *button;
  GtkPopover      *popover;
  GtkLabel        *summary_label;
  GtkGrid         *grid;

  int              shown_status;   /* -1 before the first update */
  guint            tables_source;  /* counting while a sync runs, twice a second at most */
};

G_DEFINE_FINAL_TYPE (AstroSyncButton, astro_sync_button, ADW_TYPE_BIN)

/*
 * Auxiliary methods
 */

char *
astro_format_time_ago (gint64 then_us,
                       gint64 now_us)
{
  gint64 seconds = MAX (0, (now_us - then_us) / G_USEC_PER_SEC);

  if (then_us <= 0)
    return g_strdup (_("never"));
  if (seconds < 60)
    return g_strdup (_("just now"));
  if (seconds < 3600)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", seconds / 60),
                            (int) (seconds / 60));
  if (seconds < 86400)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", seconds / 3600),
                            (int) (seconds / 3600));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day ago", "%d days ago", seconds / 86400),
                          (int) (seconds / 86400));
}

static void
set_cell (AstroSyncButton *self,
          int              column,
          int              row,
          const char      *text,
          gboolean         dim)
{
  GtkWidget *label = gtk_grid_get_child_at (self->grid, column, row);

  if (label == NULL)
    {
      label = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (label), column == 1 ? 1.0 : 0.0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
      gtk_grid_attach (self->grid, label, column, row, 1, 1);
    }

  gtk_label_set_text (GTK_LABEL (label), text);
  if (dim)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_remove_css_class (label, "dim-label");
}

static const char *
describe_status (AstroSyncStatus  status,
                 const char     **icon)
{
  switch (status)
    {
    case ASTRO_SYNC_STATUS_CONNECTING:
      *icon = "network-transmit-receive-symbolic";
      return _("Connecting");
    case ASTRO_SYNC_STATUS_SYNCING:
      *icon = "emblem-synchronizing-symbolic";
      return _("Syncing");
    case ASTRO_SYNC_STATUS_LIVE:
      *icon = "emblem-ok-symbolic";
      return _("Up to date and live");
    case ASTRO_SYNC_STATUS_ERROR:
      *icon = "dialog-warning-symbolic";
      return _("Sync is having trouble");
    case ASTRO_SYNC_STATUS_SIGNED_OUT:
      *icon = "dialog-password-symbolic";
      return _("Signed out: sign in again to sync");
    case ASTRO_SYNC_STATUS_OFFLINE:
    default:
      *icon = "network-offline-symbolic";
      return _("Offline");
    }
}

/* Each table's rows in the local copy, its last sync and its last error */
static void
update_tables (AstroSyncButton *self)
{
  AstroStore *store = self->engine != NULL ? astro_sync_engine_get_store (self->engine) : NULL;
  gint64 now = g_get_real_time ();

  for (guint i = 0; self->engine != NULL && i < astro_sync_engine_get_n_shapes (self->engine); i++)
    {
      const AstroShapeInfo *info = astro_sync_engine_get_shape (self->engine, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *rows = NULL;
      g_autofree char *when = astro_format_time_ago (info->last_up_to_date, now);
      gint64 n_rows = astro_store_count_rows (store, info->table, &error);

      if (n_rows < 0)
        {
          g_warning ("Could not count the rows of %s: %s", info->table, error->message);
          rows = g_strdup (_("unknown"));
        }
      else
        {
          rows = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d row", "%d rows", n_rows), (int) n_rows);
        }

      set_cell (self, 0, i, info->table, FALSE);
      set_cell (self, 1, i, rows, TRUE);
      set_cell (self, 2, i, info->last_error != NULL ? info->last_error : when,
                info->last_error == NULL);
    }
}

static gboolean
on_tables_timeout_cb (gpointer data)
{
  AstroSyncButton *self = data;

  self->tables_source = 0;
  if (gtk_widget_get_visible (GTK_WIDGET (self->popover)))
    update_tables (self);

  return G_SOURCE_REMOVE;
}

static void
update (AstroSyncButton *self)
{
  AstroSyncStatus status = self->engine != NULL ? astro_sync_engine_get_status (self->engine)
                                                : ASTRO_SYNC_STATUS_OFFLINE;
  const char *message = self->engine != NULL ? astro_sync_engine_get_message (self->engine) : NULL;
  const char *icon, *summary;

  summary = describe_status (status, &icon);

  if ((int) status != self->shown_status)
    {
      g_autofree char *accessible = g_strdup_printf (_("Sync Status: %s"), summary);

      self->shown_status = status;
      gtk_menu_button_set_icon_name (self->button, icon);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), accessible);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                      -1);
    }

  if (message != NULL && status != ASTRO_SYNC_STATUS_LIVE)
    {
      g_autofree char *text = g_strdup_printf ("%s\n%s", summary, message);
      gtk_label_set_text (self->summary_label, text);
    }
  else
    {
      gtk_label_set_text (self->summary_label, summary);
    }

  if (gtk_widget_get_visible (GTK_WIDGET (self->popover)) && self->tables_source == 0)
    self->tables_source = g_timeout_add (500, on_tables_timeout_cb, self);
}

/*
 * GObject overrides
 */

static void
astro_sync_button_dispose (GObject *object)
{
  AstroSyncButton *self = ASTRO_SYNC_BUTTON (object);

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);
  g_clear_handle_id (&self->tables_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_SYNC_BUTTON);

  G_OBJECT_CLASS (astro_sync_button_parent_class)->dispose (object);
}

static void
astro_sync_button_class_init (AstroSyncButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_sync_button_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-sync-button.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroSyncButton, button);
  gtk_widget_class_bind_template_child (widget_class, AstroSyncButton, popover);
  gtk_widget_class_bind_template_child (widget_class, AstroSyncButton, summary_label);
  gtk_widget_class_bind_template_child (widget_class, AstroSyncButton, grid);
}

static void
astro_sync_button_init (AstroSyncButton *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->shown_status = -1;
  g_signal_connect_object (self->popover, "show", G_CALLBACK (update_tables), self, G_CONNECT_SWAPPED);
  update (self);
}

/*
 * Public API
 */

void
astro_sync_button_set_engine (AstroSyncButton *self,
                              AstroSyncEngine *engine)
{
  g_return_if_fail (ASTRO_IS_SYNC_BUTTON (self));
  g_return_if_fail (engine == NULL || ASTRO_IS_SYNC_ENGINE (engine));

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_set_object (&self->engine, engine);

  if (engine != NULL)
    {
      g_signal_connect_object (engine, "notify::status", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::message", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "shape-changed", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
    }

  update (self);
}
