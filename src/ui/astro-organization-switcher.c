/* astro-organization-switcher.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A drop-down of the organizations the user belongs to, in the header so
 * that every page follows it. Switching only changes "organization-id": the
 * pages filter what they already have, nothing is fetched. The choice is
 * kept in the store's settings so the next start opens where this one ended.
 */
#define G_LOG_DOMAIN "astro-organization-switcher"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-organization-switcher.h"

struct _AstroOrganizationSwitcher
{
  AdwBin         parent_instance;

  AstroStore    *store;
  GtkStringList *names;
  GPtrArray     *ids;
  char          *organization_id;
  gboolean       filling;

  GtkDropDown   *dropdown;
};

G_DEFINE_FINAL_TYPE (AstroOrganizationSwitcher, astro_organization_switcher, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ORGANIZATION_ID,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/*
 * Auxiliary methods
 */

static const char *
selected_id (AstroOrganizationSwitcher *self)
{
  guint selected = gtk_drop_down_get_selected (self->dropdown);

  if (selected >= self->ids->len)
    return NULL;

  return g_ptr_array_index (self->ids, selected);
}

static void
update_organization_id (AstroOrganizationSwitcher *self)
{
  const char *id = selected_id (self);

  if (g_strcmp0 (id, self->organization_id) == 0)
    return;

  g_free (self->organization_id);
  self->organization_id = g_strdup (id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ORGANIZATION_ID]);
}

static int
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  AstroRow *x = *(AstroRow **) a, *y = *(AstroRow **) b;

  return g_utf8_collate (astro_row_get (x, "name") ? astro_row_get (x, "name") : "",
                         astro_row_get (y, "name") ? astro_row_get (y, "name") : "");
}

static void
fill (AstroOrganizationSwitcher *self)
{
  g_autoptr(GPtrArray) rows = astro_store_list_rows (self->store, "organizations", NULL, NULL, NULL);
  g_autofree char *saved = astro_store_get_setting (self->store, ASTRO_SETTING_ACTIVE_ORGANIZATION);
  const char *wanted = self->organization_id != NULL ? self->organization_id : saved;
  guint selected = 0;

  if (rows == NULL)
    return;

  g_ptr_array_sort (rows, compare_by_name);

  self->filling = TRUE;
  g_ptr_array_set_size (self->ids, 0);
  gtk_string_list_splice (self->names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->names)), NULL);
  for (guint i = 0; i < rows->len; i++)
    {
      AstroRow *row = g_ptr_array_index (rows, i);
      const char *id = astro_row_get_id (row);

      gtk_string_list_append (self->names, astro_row_get (row, "name") ? astro_row_get (row, "name") : id);
      g_ptr_array_add (self->ids, g_strdup (id));
      if (g_strcmp0 (id, wanted) == 0)
        selected = i;
    }
  gtk_drop_down_set_selected (self->dropdown, rows->len > 0 ? selected : GTK_INVALID_LIST_POSITION);
  self->filling = FALSE;

  /* nothing to choose from before the first sync, or after signing out */
  gtk_widget_set_visible (GTK_WIDGET (self), rows->len > 0);
  update_organization_id (self);
}

/*
 * Signal callbacks
 */

static void
on_selected_cb (AstroOrganizationSwitcher *self)
{
  if (self->filling || self->store == NULL)
    return;

  /* kept on the writing thread: a sync's transaction may hold the database */
  astro_store_set_setting_async (self->store, ASTRO_SETTING_ACTIVE_ORGANIZATION, selected_id (self));
  update_organization_id (self);
}

static void
on_organizations_changed_cb (AstroOrganizationSwitcher *self,
                             AstroRowsChanged          *changes)
{
  fill (self);
}

/*
 * GObject overrides
 */

static void
astro_organization_switcher_dispose (GObject *object)
{
  AstroOrganizationSwitcher *self = ASTRO_ORGANIZATION_SWITCHER (object);

  g_clear_object (&self->store);
  g_clear_object (&self->names);
  g_clear_pointer (&self->ids, g_ptr_array_unref);
  g_clear_pointer (&self->organization_id, g_free);

  G_OBJECT_CLASS (astro_organization_switcher_parent_class)->dispose (object);
}

static void
astro_organization_switcher_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  AstroOrganizationSwitcher *self = ASTRO_ORGANIZATION_SWITCHER (object);

  switch (prop_id)
    {
    case PROP_ORGANIZATION_ID:
      g_value_set_string (value, self->organization_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_organization_switcher_class_init (AstroOrganizationSwitcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = astro_organization_switcher_dispose;
  object_class->get_property = astro_organization_switcher_get_property;

  /* NULL while there is no organization to show */
  properties [PROP_ORGANIZATION_ID] =
    g_param_spec_string ("organization-id", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
on_setup_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  shortened)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  if (GPOINTER_TO_INT (shortened))
    {
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_width_chars (GTK_LABEL (label), 6);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 20);
    }
  gtk_list_item_set_child (item, label);
}

static void
on_bind_cb (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  shortened)
{
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      gtk_string_object_get_string (gtk_list_item_get_item (item)));
}

/* The button's name may be shortened on a narrow window; the list shows the
 * names whole */
static GtkListItemFactory *
label_factory (gboolean shortened)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (on_setup_cb), GINT_TO_POINTER (shortened));
  g_signal_connect (factory, "bind", G_CALLBACK (on_bind_cb), GINT_TO_POINTER (shortened));
  return factory;
}

static void
astro_organization_switcher_init (AstroOrganizationSwitcher *self)
{
  g_autoptr(GtkListItemFactory) button_factory = label_factory (TRUE);
  g_autoptr(GtkListItemFactory) list_factory = label_factory (FALSE);

  self->names = gtk_string_list_new (NULL);
  self->ids = g_ptr_array_new_with_free_func (g_free);

  self->dropdown = GTK_DROP_DOWN (gtk_drop_down_new (g_object_ref (G_LIST_MODEL (self->names)), NULL));
  gtk_drop_down_set_factory (self->dropdown, button_factory);
  gtk_drop_down_set_list_factory (self->dropdown, list_factory);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->dropdown), _("Organization"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->dropdown),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Organization"),
                                  -1);
  g_signal_connect_object (self->dropdown, "notify::selected",
                           G_CALLBACK (on_selected_cb), self, G_CONNECT_SWAPPED);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->dropdown));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

/*
 * Public API
 */

void
astro_organization_switcher_set_store (AstroOrganizationSwitcher *self,
                                       AstroStore                *store)
{
  g_return_if_fail (ASTRO_IS_ORGANIZATION_SWITCHER (self));
  g_return_if_fail (ASTRO_IS_STORE (store));
  g_return_if_fail (self->store == NULL);

  self->store = g_object_ref (store);
  g_signal_connect_object (store, "rows-changed::organizations",
                           G_CALLBACK (on_organizations_changed_cb), self, G_CONNECT_SWAPPED);
  fill (self);
}

const char *
astro_organization_switcher_get_organization_id (AstroOrganizationSwitcher *self)
{
  g_return_val_if_fail (ASTRO_IS_ORGANIZATION_SWITCHER (self), NULL);

  return self->organization_id;
}
