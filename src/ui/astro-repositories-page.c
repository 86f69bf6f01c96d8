/* astro-repositories-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two short boxed lists bound to list stores of AstroRepositoryItem: the
 * active organization's repositories with the folder linked to each on this
 * device (or "Not on this device"), and the local-only projects, which belong
 * to no organization and so show whichever is active.
 */
#define G_LOG_DOMAIN "astro-repositories-page"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-repositories-page.h"
#include "astro-repository-item.h"

struct _AstroRepositoriesPage
{
  AdwBin      parent_instance;

  AstroStore *store;
  char       *organization_id;  /* NULL: every organization's */
  GListStore *repositories;
  GListStore *local_projects;

  GtkListBox *repositories_list;
  GtkListBox *local_list;
  AdwPreferencesGroup *local_group;

  /* A hidden page is listed when it is next shown, not at every change */
  gboolean    refresh_pending;
};

G_DEFINE_FINAL_TYPE (AstroRepositoriesPage, astro_repositories_page, ADW_TYPE_BIN)

/*
 * Auxiliary methods
 */

static GtkWidget *
folder_button (const char *icon,
               const char *tooltip,
               const char *action,
               const char *path)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (path));
  return button;
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  AstroRepositoryItem *repository = item;
  const char *path = astro_repository_item_get_path (repository);
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), astro_repository_item_get_title (repository));

  if (path != NULL)
    {
      /* Translators: a folder and the remote that linked it, "~/src/app (origin)" */
      subtitle = astro_repository_item_get_remote (repository) != NULL
        ? g_strdup_printf (_("%s (remote “%s”)"), path, astro_repository_item_get_remote (repository))
        : g_strdup (path);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 folder_button ("folder-open-symbolic", _("Open the Folder"), "app.show-folder", path));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 folder_button ("view-refresh-symbolic", _("Link Again"), "app.relink-folder", path));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 folder_button ("edit-delete-symbolic", _("Unlink"), "app.unlink-folder", path));
    }
  else
    subtitle = g_strdup (_("Not on this device"));

  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

static int
compare_titles (gconstpointer a,
                gconstpointer b)
{
  return g_utf8_collate (astro_repository_item_get_title (*(AstroRepositoryItem **) a),
                         astro_repository_item_get_title (*(AstroRepositoryItem **) b));
}

static void refresh (AstroRepositoriesPage *self);

/*
 * Signal callbacks
 */

static void
on_repositories_changed_cb (AstroRepositoriesPage *self,
                            AstroRowsChanged      *changes)
{
  refresh (self);
}

/*
 * GObject overrides
 */

static void
astro_repositories_page_dispose (GObject *object)
{
  AstroRepositoriesPage *self = ASTRO_REPOSITORIES_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_REPOSITORIES_PAGE);
  g_clear_object (&self->repositories);
  g_clear_object (&self->local_projects);
  g_clear_object (&self->store);
  g_clear_pointer (&self->organization_id, g_free);

  G_OBJECT_CLASS (astro_repositories_page_parent_class)->dispose (object);
}

static void
astro_repositories_page_map (GtkWidget *widget)
{
  AstroRepositoriesPage *self = ASTRO_REPOSITORIES_PAGE (widget);

  GTK_WIDGET_CLASS (astro_repositories_page_parent_class)->map (widget);

  if (self->refresh_pending)
    refresh (self);
}

static void
astro_repositories_page_class_init (AstroRepositoriesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_repositories_page_dispose;
  widget_class->map = astro_repositories_page_map;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-repositories-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroRepositoriesPage, repositories_list);
  gtk_widget_class_bind_template_child (widget_class, AstroRepositoriesPage, local_list);
  gtk_widget_class_bind_template_child (widget_class, AstroRepositoriesPage, local_group);
}

static void
astro_repositories_page_init (AstroRepositoriesPage *self)
{
  GtkWidget *none;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->repositories = g_list_store_new (ASTRO_TYPE_REPOSITORY_ITEM);
  self->local_projects = g_list_store_new (ASTRO_TYPE_REPOSITORY_ITEM);
  gtk_list_box_bind_model (self->repositories_list, G_LIST_MODEL (self->repositories), create_row, self, NULL);
  gtk_list_box_bind_model (self->local_list, G_LIST_MODEL (self->local_projects), create_row, self, NULL);

  none = gtk_label_new (_("No repositories yet"));
  gtk_widget_add_css_class (none, "dim-label");
  gtk_widget_set_margin_top (none, 12);
  gtk_widget_set_margin_bottom (none, 12);
  gtk_list_box_set_placeholder (self->repositories_list, none);
}

/*
 * Public API
 */

void
astro_repositories_page_set_store (AstroRepositoriesPage *self,
                                   AstroStore            *store)
{
  g_return_if_fail (ASTRO_IS_REPOSITORIES_PAGE (self));
  g_return_if_fail (ASTRO_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  g_signal_connect_object (store, "rows-changed::repositories",
                           G_CALLBACK (on_repositories_changed_cb), self, G_CONNECT_SWAPPED);
  /* links, unlinks and relinks, whoever made them */
  g_signal_connect_object (store, "rows-changed::local_repos",
                           G_CALLBACK (on_repositories_changed_cb), self, G_CONNECT_SWAPPED);
  refresh (self);
}

/* The window's organization switcher: NULL before the first sync. */
void
astro_repositories_page_set_organization (AstroRepositoriesPage *self,
                                          const char            *organization_id)
{
  g_return_if_fail (ASTRO_IS_REPOSITORIES_PAGE (self));

  if (g_strcmp0 (organization_id, self->organization_id) == 0)
    return;

  g_free (self->organization_id);
  self->organization_id = g_strdup (organization_id);
  refresh (self);
}

/* After the store's repositories or links changed. */
static void
refresh (AstroRepositoriesPage *self)
{
  g_autoptr(GPtrArray) repositories = NULL;
  g_autoptr(GPtrArray) links = NULL;
  g_autoptr(GPtrArray) linked = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) local = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->store == NULL)
    return;

  self->refresh_pending = !gtk_widget_get_mapped (GTK_WIDGET (self));
  if (self->refresh_pending)
    return;

  repositories = self->organization_id != NULL
    ? astro_store_list_rows (self->store, "repositories", "organization_id", self->organization_id, NULL)
    : astro_store_list_rows (self->store, "repositories", NULL, NULL, NULL);
  links = astro_store_list_local_repos (self->store, NULL);

  for (guint i = 0; repositories != NULL && i < repositories->len; i++)
    {
      AstroRow *row = g_ptr_array_index (repositories, i);
      AstroLocalRepo *link = NULL;

      for (guint j = 0; links != NULL && j < links->len && link == NULL; j++)
        if (g_strcmp0 (((AstroLocalRepo *) g_ptr_array_index (links, j))->repository_id, astro_row_get_id (row)) == 0)
          link = g_ptr_array_index (links, j);

      g_ptr_array_add (linked, astro_repository_item_new (astro_row_get (row, "name"), link));
    }

  for (guint j = 0; links != NULL && j < links->len; j++)
    {
      AstroLocalRepo *link = g_ptr_array_index (links, j);
      g_autofree char *name = NULL;

      if (link->repository_id != NULL)
        continue;
      name = g_path_get_basename (link->path);
      g_ptr_array_add (local, astro_repository_item_new (name, link));
    }

  g_ptr_array_sort (linked, compare_titles);
  g_ptr_array_sort (local, compare_titles);
  g_list_store_splice (self->repositories, 0, g_list_model_get_n_items (G_LIST_MODEL (self->repositories)),
                       linked->pdata, linked->len);
  g_list_store_splice (self->local_projects, 0, g_list_model_get_n_items (G_LIST_MODEL (self->local_projects)),
                       local->pdata, local->len);
  gtk_widget_set_visible (GTK_WIDGET (self->local_group), local->len > 0);
}
