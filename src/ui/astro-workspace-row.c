/* astro-workspace-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "laptop — Ada" over "Active 2 minutes ago · feature/x, 1 uncommitted",
 * with the pull request at the end. A row shows one item for its whole life
 * (the list box makes a new row when the model replaces an item); only the
 * presence is recomputed, when the page's clock ticks.
 */
#define G_LOG_DOMAIN "astro-workspace-row"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-workspace-row.h"

struct _AstroWorkspaceRow
{
  AdwActionRow    parent_instance;

  AstroWorkspace *workspace;
  char           *git;

  GtkWidget      *pr_label;
};

G_DEFINE_FINAL_TYPE (AstroWorkspaceRow, astro_workspace_row, ADW_TYPE_ACTION_ROW)

/*
 * GObject overrides
 */

static void
astro_workspace_row_finalize (GObject *object)
{
  AstroWorkspaceRow *self = ASTRO_WORKSPACE_ROW (object);

  g_clear_object (&self->workspace);
  g_clear_pointer (&self->git, g_free);

  G_OBJECT_CLASS (astro_workspace_row_parent_class)->finalize (object);
}

static void
astro_workspace_row_class_init (AstroWorkspaceRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = astro_workspace_row_finalize;
}

static void
astro_workspace_row_init (AstroWorkspaceRow *self)
{
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
}

/*
 * Public API
 */

GtkWidget *
astro_workspace_row_new (AstroWorkspace *workspace)
{
  AstroWorkspaceRow *self;
  AstroRow *row;
  const char *device;
  const char *owner;
  g_autofree char *title = NULL;
  g_autofree char *pr = NULL;
  GtkWidget *icon;

  g_return_val_if_fail (ASTRO_IS_WORKSPACE (workspace), NULL);

  self = g_object_new (ASTRO_TYPE_WORKSPACE_ROW, NULL);
  self->workspace = g_object_ref (workspace);
  row = astro_workspace_get_row (workspace);

  device = astro_row_get (row, "device_name");
  owner = astro_workspace_get_owner_name (workspace);
  /* Translators: a device and the person working on it, "laptop — Ada" */
  title = g_strdup_printf (_("%s — %s"), device != NULL ? device : _("Unknown device"),
                           owner != NULL ? owner : _("someone"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);

  /* a local checkout or a machine somewhere else */
  icon = gtk_image_new_from_icon_name (g_strcmp0 (astro_row_get (row, "type"), "local") == 0
                                       ? "computer-symbolic" : "network-server-symbolic");
  adw_action_row_add_prefix (ADW_ACTION_ROW (self), icon);

  pr = astro_workspace_describe_pr (workspace);
  if (pr != NULL)
    {
      self->pr_label = gtk_label_new (pr);
      gtk_widget_set_valign (self->pr_label, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (self->pr_label, "caption");
      gtk_widget_add_css_class (self->pr_label, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (self), self->pr_label);
    }

  self->git = astro_workspace_describe_git (workspace);
  astro_workspace_row_update_presence (self, g_get_real_time ());

  return GTK_WIDGET (self);
}

AstroWorkspace *
astro_workspace_row_get_workspace (AstroWorkspaceRow *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE_ROW (self), NULL);

  return self->workspace;
}

/* "Active 2 minutes ago" must stay true as time passes, with no sync. */
void
astro_workspace_row_update_presence (AstroWorkspaceRow *self,
                                     gint64             now_us)
{
  g_autofree char *presence = NULL;
  g_autofree char *subtitle = NULL;

  g_return_if_fail (ASTRO_IS_WORKSPACE_ROW (self));

  presence = astro_workspace_describe_presence (self->workspace, now_us);
  subtitle = g_strdup_printf ("%s · %s", presence, self->git);
  if (g_strcmp0 (subtitle, adw_action_row_get_subtitle (ADW_ACTION_ROW (self))) != 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
}
