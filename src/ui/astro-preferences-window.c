/* astro-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything applies at once, as GNOME preferences do. Appearance is the
 * application's "color-scheme" action (made from GSettings, which the
 * application applies to AdwStyleManager). The device name is a setting of
 * the local copy, beside the device id, so that astrolabe-ctl on the same
 * machine names it the same way. The server is only shown: it is chosen
 * when signing in, and changing it means signing out.
 */
#define G_LOG_DOMAIN "astro-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-preferences-window.h"

struct _AstroPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  AstroStore           *store;

  AdwPreferencesGroup  *device_group;
  AdwEntryRow          *device_row;
  AdwPreferencesGroup  *server_group;
  AdwActionRow         *server_row;
};

G_DEFINE_FINAL_TYPE (AstroPreferencesWindow, astro_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/*
 * Signal callbacks
 */

static void
on_device_name_changed_cb (AstroPreferencesWindow *self)
{
  g_autofree char *name = NULL;

  if (self->store == NULL)
    return;

  /* on the writing thread, which a sync's batch may hold for a while; a
   * failure is logged there */
  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->device_row))));
  astro_store_set_setting_async (self->store, ASTRO_SETTING_DEVICE_NAME, name[0] != '\0' ? name : NULL);
}

/*
 * GObject overrides
 */

static void
astro_preferences_window_dispose (GObject *object)
{
  AstroPreferencesWindow *self = ASTRO_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (astro_preferences_window_parent_class)->dispose (object);
}

static void
astro_preferences_window_class_init (AstroPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroPreferencesWindow, device_group);
  gtk_widget_class_bind_template_child (widget_class, AstroPreferencesWindow, device_row);
  gtk_widget_class_bind_template_child (widget_class, AstroPreferencesWindow, server_group);
  gtk_widget_class_bind_template_child (widget_class, AstroPreferencesWindow, server_row);
  gtk_widget_class_bind_template_callback (widget_class, on_device_name_changed_cb);
}

static void
astro_preferences_window_init (AstroPreferencesWindow *self)
{
  GtkEditable *text;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* the entry row's text field has no name of its own for screen readers */
  text = gtk_editable_get_delegate (GTK_EDITABLE (self->device_row));
  if (text != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (text),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Device Name"),
                                    -1);
}

/*
 * Public API
 */

/**
 * astro_preferences_window_new:
 * @store: (nullable): the local copy, if it could be opened
 * @account: (nullable): the account signed in, if any
 */
GtkWidget *
astro_preferences_window_new (GtkWindow    *parent,
                              AstroStore   *store,
                              AstroAccount *account)
{
  AstroPreferencesWindow *self;
  g_autofree char *device_name = NULL;
  g_autofree char *server = NULL;
  g_autofree char *device_note = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (store == NULL || ASTRO_IS_STORE (store), NULL);
  g_return_val_if_fail (account == NULL || ASTRO_IS_ACCOUNT (account), NULL);

  /* of the application, so its "app." actions (appearance) reach here */
  self = g_object_new (ASTRO_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "application", parent != NULL ? gtk_window_get_application (parent) : NULL,
                       NULL);

  /* Translators: %s is the computer's host name */
  device_note = g_strdup_printf (_("Your team sees this name beside the workspaces on this computer. "
                                   "Left empty, it is the computer’s name, “%s”."),
                                 g_get_host_name ());
  adw_preferences_group_set_description (self->device_group, device_note);

  if (store != NULL)
    {
      device_name = astro_store_get_setting (store, ASTRO_SETTING_DEVICE_NAME);
      server = astro_store_get_setting (store, ASTRO_SETTING_SERVER_URL);
    }
  /* set before the store, so showing the saved name does not save it again */
  gtk_editable_set_text (GTK_EDITABLE (self->device_row), device_name != NULL ? device_name : "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_row), store != NULL);
  self->store = store != NULL ? g_object_ref (store) : NULL;

  if (account != NULL)
    {
      g_autofree char *note = NULL;
      const char *email = astro_account_get_email (account);

      adw_action_row_set_subtitle (self->server_row, astro_account_get_server_url (account));
      if (astro_account_is_from_environment (account))
        note = g_strdup (_("Set by ASTROLABE_SERVER and ASTROLABE_TOKEN in the environment."));
      else if (email != NULL)
        /* Translators: %s is an email address */
        note = g_strdup_printf (_("Signed in as %s. To use another server, sign out: "
                                  "the welcome page then asks for one."), email);
      else
        note = g_strdup (_("To use another server, sign out: the welcome page then asks for one."));
      adw_preferences_group_set_description (self->server_group, note);
    }
  else
    {
      adw_action_row_set_subtitle (self->server_row, server != NULL ? server : _("None yet"));
      adw_preferences_group_set_description (self->server_group,
                                             _("Not signed in. The welcome page asks for the server "
                                               "when you sign in."));
    }

  return GTK_WIDGET (self);
}
