/* astro-workspaces-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A boxed list bound to an AstroWorkspaceListModel, which already orders the
 * workspaces by task; the list box's header function starts a group where
 * the task changes. The model follows the store by itself; the page only
 * sets its organization (the window's switcher) and owner ("Mine"), and
 * ticks every minute so each row's "active … ago" stays true.
 *
 * Rows exist only while the page is shown: the list box is bound to the
 * model when the page is mapped, so a hidden page costs nothing when the
 * organization changes or a sync brings workspaces.
 */
#define G_LOG_DOMAIN "astro-workspaces-page"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-account.h"
#include "astro-workspace-list-model.h"
#include "astro-workspace-row.h"
#include "astro-workspaces-page.h"

struct _AstroWorkspacesPage
{
  AdwBin                   parent_instance;

  AstroStore              *store;
  AstroWorkspaceListModel *model;
  char                    *user_id;
  guint                    presence_timeout;

  GtkLabel                *count_label;
  GtkToggleButton         *mine_button;
  GtkStack                *stack;
  GtkListBox              *list_box;
  AdwStatusPage           *empty_page;
  GtkWidget               *everyone_button;
};

G_DEFINE_FINAL_TYPE (AstroWorkspacesPage, astro_workspaces_page, ADW_TYPE_BIN)

/*
 * Auxiliary methods
 */

static void
update_state (AstroWorkspacesPage *self)
{
  guint n_items = self->model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  gboolean mine = gtk_toggle_button_get_active (self->mine_button);
  g_autofree char *count = NULL;

  if (mine)
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u workspace of yours",
                                          "%u workspaces of yours", n_items), n_items);
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u workspace", "%u workspaces", n_items),
                             n_items);
  gtk_label_set_text (self->count_label, count);

  adw_status_page_set_description (self->empty_page,
                                   mine ? _("You have no workspaces in this organization.")
                                        : _("Nobody in this organization has a workspace yet. "
                                            "They appear here as soon as someone starts one."));
  gtk_widget_set_visible (self->everyone_button, mine);
  gtk_stack_set_visible_child_name (self->stack, n_items > 0 ? "list" : "empty");
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  return astro_workspace_row_new (ASTRO_WORKSPACE (item));
}

/* "AST-12  Fix the parser", or "Exploratory" for work on no task */
static GtkWidget *
create_header (AstroWorkspace *workspace)
{
  AstroRow *task = astro_workspace_get_task (workspace);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *title;

  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  if (astro_workspace_get_task_id (workspace) == NULL)
    title = gtk_label_new (_("Exploratory"));
  else if (task == NULL)
    /* the workspace arrived before its task */
    title = gtk_label_new (_("A task not synced yet"));
  else
    {
      const char *key = astro_row_get (task, "external_key");

      if (key != NULL)
        {
          GtkWidget *key_label = gtk_label_new (key);

          gtk_widget_add_css_class (key_label, "dim-label");
          gtk_box_append (GTK_BOX (box), key_label);
        }
      title = gtk_label_new (astro_row_get (task, "title") ? astro_row_get (task, "title") : _("Untitled task"));
    }

  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);

  /* the task is gone from the tracker, the work on it is not */
  if (task != NULL && astro_row_get (task, "deleted_at") != NULL)
    {
      GtkWidget *deleted = gtk_label_new (_("Deleted"));

      gtk_widget_add_css_class (deleted, "dim-label");
      gtk_widget_add_css_class (deleted, "caption");
      gtk_box_append (GTK_BOX (box), deleted);
    }

  return box;
}

static void
update_header (GtkListBoxRow *row,
               GtkListBoxRow *before,
               gpointer       user_data)
{
  AstroWorkspace *workspace = astro_workspace_row_get_workspace (ASTRO_WORKSPACE_ROW (row));
  AstroWorkspace *previous = before != NULL
    ? astro_workspace_row_get_workspace (ASTRO_WORKSPACE_ROW (before)) : NULL;

  if (previous != NULL &&
      g_strcmp0 (astro_workspace_get_task_id (previous), astro_workspace_get_task_id (workspace)) == 0)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }

  gtk_list_box_row_set_header (row, create_header (workspace));
}

/* Without knowing who signed in (a token from the environment does not
 * say), "Mine" cannot mean anything: it is off and says why. */
static void
update_mine_button (AstroWorkspacesPage *self)
{
  gboolean known = self->user_id != NULL && self->user_id[0] != '\0';

  gtk_widget_set_sensitive (GTK_WIDGET (self->mine_button), known);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->mine_button),
                               known ? _("Only the workspaces you own")
                                     : _("Sign in with your email to see which workspaces are yours: "
                                         "this sign-in does not say who you are"));
  if (!known)
    gtk_toggle_button_set_active (self->mine_button, FALSE);
}

/*
 * Signal callbacks
 */

static void
on_mine_toggled_cb (AstroWorkspacesPage *self)
{
  gboolean mine = gtk_toggle_button_get_active (self->mine_button);

  if (self->model == NULL)
    return;

  astro_workspace_list_model_set_owner (self->model, mine ? self->user_id : NULL);
  update_state (self);
}

static void
on_everyone_clicked_cb (AstroWorkspacesPage *self)
{
  gtk_toggle_button_set_active (self->mine_button, FALSE);
}

static void
on_items_changed_cb (AstroWorkspacesPage *self)
{
  update_state (self);
}

static gboolean
on_presence_timeout_cb (gpointer data)
{
  AstroWorkspacesPage *self = data;
  gint64 now = g_get_real_time ();

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (ASTRO_IS_WORKSPACE_ROW (child))
      astro_workspace_row_update_presence (ASTRO_WORKSPACE_ROW (child), now);

  return G_SOURCE_CONTINUE;
}

/*
 * GObject overrides
 */

static void
astro_workspaces_page_dispose (GObject *object)
{
  AstroWorkspacesPage *self = ASTRO_WORKSPACES_PAGE (object);

  g_clear_handle_id (&self->presence_timeout, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_WORKSPACES_PAGE);
  g_clear_object (&self->model);
  g_clear_object (&self->store);
  g_clear_pointer (&self->user_id, g_free);

  G_OBJECT_CLASS (astro_workspaces_page_parent_class)->dispose (object);
}

/*
 * GtkWidget overrides
 */

static void
astro_workspaces_page_map (GtkWidget *widget)
{
  AstroWorkspacesPage *self = ASTRO_WORKSPACES_PAGE (widget);

  GTK_WIDGET_CLASS (astro_workspaces_page_parent_class)->map (widget);

  if (self->model != NULL)
    gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->model), create_row, NULL, NULL);
}

static void
astro_workspaces_page_unmap (GtkWidget *widget)
{
  AstroWorkspacesPage *self = ASTRO_WORKSPACES_PAGE (widget);

  gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);

  GTK_WIDGET_CLASS (astro_workspaces_page_parent_class)->unmap (widget);
}

static void
astro_workspaces_page_class_init (AstroWorkspacesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_workspaces_page_dispose;
  widget_class->map = astro_workspaces_page_map;
  widget_class->unmap = astro_workspaces_page_unmap;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-workspaces-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroWorkspacesPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, AstroWorkspacesPage, mine_button);
  gtk_widget_class_bind_template_child (widget_class, AstroWorkspacesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, AstroWorkspacesPage, list_box);
  gtk_widget_class_bind_template_child (widget_class, AstroWorkspacesPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, AstroWorkspacesPage, everyone_button);
  gtk_widget_class_bind_template_callback (widget_class, on_mine_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_everyone_clicked_cb);
}

static void
astro_workspaces_page_init (AstroWorkspacesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_list_box_set_header_func (self->list_box, update_header, NULL, NULL);
  update_mine_button (self);
  update_state (self);
  self->presence_timeout = g_timeout_add_seconds (60, on_presence_timeout_cb, self);
}

/*
 * Public API
 */

void
astro_workspaces_page_set_store (AstroWorkspacesPage *self,
                                 AstroStore          *store)
{
  g_return_if_fail (ASTRO_IS_WORKSPACES_PAGE (self));
  g_return_if_fail (ASTRO_IS_STORE (store));
  g_return_if_fail (self->store == NULL);

  self->store = g_object_ref (store);
  self->model = astro_workspace_list_model_new (store);
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (on_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->model), create_row, NULL, NULL);

  astro_workspaces_page_refresh_account (self);
  update_state (self);
}

/* NULL shows every organization's workspaces (none is known yet). */
void
astro_workspaces_page_set_organization (AstroWorkspacesPage *self,
                                        const char          *organization_id)
{
  g_return_if_fail (ASTRO_IS_WORKSPACES_PAGE (self));

  if (self->model == NULL)
    return;

  astro_workspace_list_model_set_organization (self->model, organization_id);
  update_state (self);
}

/* Someone signed in (or out): whose workspaces are "Mine" may have changed. */
void
astro_workspaces_page_refresh_account (AstroWorkspacesPage *self)
{
  g_return_if_fail (ASTRO_IS_WORKSPACES_PAGE (self));

  if (self->store == NULL)
    return;

  g_free (self->user_id);
  self->user_id = astro_store_get_setting (self->store, ASTRO_SETTING_ACCOUNT_USER);
  update_mine_button (self);
  if (gtk_toggle_button_get_active (self->mine_button))
    on_mine_toggled_cb (self);
}
