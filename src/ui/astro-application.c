/* astro-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-application"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-settings.h"
#include "astro-application-private.h"
#include "astro-bench-probe.h"
#include "astro-icon-theme.h"
#include "astro-preferences-window.h"

G_DEFINE_FINAL_TYPE (AstroApplication, astro_application, ADW_TYPE_APPLICATION)

/*
 * Auxiliary methods
 */

static void
open_store (AstroApplication *self)
{
  g_autofree char *path = astro_store_default_path ();
  const char *recovered;

  self->store = astro_store_open (path, &self->store_error);
  if (self->store == NULL)
    {
      g_warning ("Could not open the local copy: %s", self->store_error->message);
      return;
    }
  astro_store_set_background (self->store, TRUE);

  recovered = astro_store_get_recovered_path (self->store);
  if (recovered != NULL)
    g_warning ("The local copy was damaged; it was moved to %s and a new one was made", recovered);
}

static void
apply_color_scheme (AstroApplication *self)
{
  g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");
  AdwColorScheme color_scheme = ADW_COLOR_SCHEME_DEFAULT;

  if (g_str_equal (scheme, "light"))
    color_scheme = ADW_COLOR_SCHEME_FORCE_LIGHT;
  else if (g_str_equal (scheme, "dark"))
    color_scheme = ADW_COLOR_SCHEME_FORCE_DARK;

  adw_style_manager_set_color_scheme (adw_application_get_style_manager (ADW_APPLICATION (self)),
                                      color_scheme);
}

/* Signed in (the keyring has tokens for the last server, or ASTROLABE_TOKEN
 * is set on a headless machine): keep the local copy live. The sign-in page
 * that starts this for a new user is the main window's work. */
static void
update_actions (AstroApplication *self)
{
  GAction *sign_out = g_action_map_lookup_action (G_ACTION_MAP (self), "sign-out");

  if (sign_out != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (sign_out), self->account != NULL);
}

/* A personal token in ASTROLABE_TOKEN said whose it is */
static void
on_account_user_id_cb (AstroApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL)
    astro_window_refresh_account (ASTRO_WINDOW (window));
}

static void
start_engine (AstroApplication *self,
              AstroAccount     *account)
{
  g_autofree char *token = astro_account_dup_access_token (account);
  AstroSyncOptions options = { 0, };
  GtkWindow *window;

  if (self->account != NULL)
    g_signal_handlers_disconnect_by_func (self->account, on_account_user_id_cb, self);
  g_set_object (&self->account, account);
  g_signal_connect_object (account, "notify::user-id", G_CALLBACK (on_account_user_id_cb),
                           self, G_CONNECT_SWAPPED);
  if (self->engine != NULL)
    {
      astro_sync_engine_stop (self->engine);
      g_clear_object (&self->engine);
    }

  options.mode = ASTRO_SYNC_MODE_PROXY;
  options.server_url = astro_account_get_server_url (account);
  options.access_token = token;
  /* the window comes first: see astro-thread.c */
  options.background = TRUE;
  options.refresh_func = astro_account_renew;
  options.refresh_data = account;

  self->engine = astro_sync_engine_new (self->store, &options);
  astro_sync_engine_start (self->engine);
  _astro_application_writes_start (self);

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    astro_window_set_engine (ASTRO_WINDOW (window), self->engine);
  update_actions (self);
}

/* The welcome page, unless the local copy is syncing or may soon be (the
 * keyring is still being read). */
static void
show_sign_in_if_signed_out (AstroApplication *self,
                            AstroWindow      *window)
{
  g_autofree char *server = NULL;
  const char *from_environment = g_getenv ("ASTROLABE_SERVER");

  if (self->engine != NULL || self->account_loading != NULL || self->store_error != NULL)
    return;

  server = astro_store_get_setting (self->store, ASTRO_SETTING_SERVER_URL);
  astro_window_show_sign_in (window, from_environment != NULL ? from_environment : server);
}

static void
on_keyring_read_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(AstroApplication) self = user_data;
  AstroAccount *account = ASTRO_ACCOUNT (source);
  g_autoptr(GError) error = NULL;
  gboolean signed_in;
  GtkWindow *window;

  signed_in = astro_account_read_keyring_finish (account, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->account_loading);

  if (signed_in)
    {
      start_engine (self, account);
      return;
    }

  g_debug ("Not syncing: the keyring has no sign-in for %s", astro_account_get_server_url (account));
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    show_sign_in_if_signed_out (self, ASTRO_WINDOW (window));
}

/* Signed in (the keyring has tokens for the last server, or ASTROLABE_TOKEN
 * is set on a headless machine): keep the local copy live. Otherwise the
 * window shows the welcome page. The keyring is read on a worker: the
 * window shows the local copy meanwhile. */
static void
start_sync (AstroApplication *self)
{
  g_autoptr(AstroAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  if (self->store == NULL)
    return;

  account = astro_account_load_settings (self->store, g_getenv ("ASTROLABE_SERVER"), &error);
  if (account == NULL)
    g_debug ("Not syncing: %s", error->message);
  else if (astro_account_needs_keyring (account))
    {
      self->account_loading = g_cancellable_new ();
      astro_account_read_keyring_async (account, self->account_loading,
                                        on_keyring_read_cb, g_object_ref (self));
    }
  else if (astro_account_is_signed_in (account))
    start_engine (self, account);
  else
    g_debug ("Not syncing: not signed in");
}

static void
on_window_signed_in_cb (AstroApplication *self,
                        AstroAccount     *account)
{
  start_engine (self, account);
}

AstroWindow *
_astro_application_ensure_window (AstroApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  AstroWindow *astro_window;
  const char *recovered;

  if (window != NULL)
    return ASTRO_WINDOW (window);

  astro_window = astro_window_new (GTK_APPLICATION (self), self->store);
  astro_bench_probe_mark ("window-built");
  astro_bench_probe_attach (GTK_WINDOW (astro_window));
  g_signal_connect_object (astro_window, "signed-in", G_CALLBACK (on_window_signed_in_cb),
                           self, G_CONNECT_SWAPPED);

  if (self->engine != NULL)
    astro_window_set_engine (astro_window, self->engine);

  if (self->store_error != NULL)
    astro_window_show_store_error (astro_window, self->store_error);
  else
    show_sign_in_if_signed_out (self, astro_window);

  recovered = self->store != NULL ? astro_store_get_recovered_path (self->store) : NULL;
  if (recovered != NULL)
    astro_window_show_lasting_toast (astro_window,
                                     _("The local copy was damaged; a fresh one will be synced"));

  return astro_window;
}

/*
 * Actions
 */

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  AstroApplication *self = user_data;
  static const char *developers[] = { "The Astrolabe developers", NULL };
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", window,
                        "application-icon", APP_ID,
                        "application-name", _("Astrolabe"),
                        "developer-name", _("The Astrolabe developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Your team’s tasks, repositories and workspaces, "
                                      "synced to this machine and linked to your checkouts."),
                        "developers", developers,
                        "copyright", "© 2026 The Astrolabe developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* close, not destroy, so each window saves its state */
  for (GList *l = windows; l != NULL;)
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }

  g_application_quit (app);
}

static void
on_signed_out_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AstroApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  AstroWindow *window = _astro_application_ensure_window (self);

  if (!astro_account_sign_out_finish (ASTRO_ACCOUNT (source), result, &error))
    {
      g_warning ("Signing out did not finish: %s", error->message);
      astro_window_show_toast (window, error->message);
    }

  astro_window_show_sign_in (window, astro_account_get_server_url (ASTRO_ACCOUNT (source)));
  g_clear_object (&self->account);
  update_actions (self);
}

static void
on_sign_out_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         AstroApplication *self)
{
  if (!g_str_equal (response, "sign-out") || self->account == NULL)
    return;

  _astro_application_writes_stop (self);

  if (self->engine != NULL)
    {
      astro_sync_engine_stop (self->engine);
      astro_window_set_engine (_astro_application_ensure_window (self), NULL);
      g_clear_object (&self->engine);
    }

  astro_account_sign_out_async (self->account, on_signed_out_cb, g_object_ref (self));
}

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  AstroApplication *self = user_data;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GPtrArray) sending = NULL;
  GtkWidget *dialog;
  guint unsent;

  if (self->account == NULL)
    return;

  /* signing out drops the outbox with the synced tables: say so first */
  waiting = astro_store_outbox_list (self->store, "pending", NULL);
  sending = astro_store_outbox_list (self->store, "sending", NULL);
  unsent = (waiting != NULL ? waiting->len : 0) + (sending != NULL ? sending->len : 0);

  dialog = adw_message_dialog_new (GTK_WINDOW (_astro_application_ensure_window (self)),
                                   _("Sign Out?"),
                                   _("The team’s data is removed from this computer until you sign in "
                                     "again. Linked folders stay linked."));
  if (unsent > 0)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    g_dngettext (GETTEXT_PACKAGE,
                                                 "The team’s data is removed from this computer until you sign "
                                                 "in again, and %u change not sent yet is lost. Linked folders "
                                                 "stay linked.",
                                                 "The team’s data is removed from this computer until you sign "
                                                 "in again, and %u changes not sent yet are lost. Linked folders "
                                                 "stay linked.",
                                                 unsent),
                                    unsent);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sync_now_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  AstroApplication *self = user_data;

  if (self->engine != NULL)
    astro_sync_engine_sync_now (self->engine);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  AstroApplication *self = user_data;
  GtkWidget *preferences;

  /* one at a time: Ctrl+comma again brings the open one forward */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (ASTRO_IS_PREFERENCES_WINDOW (l->data))
      {
        gtk_window_present (GTK_WINDOW (l->data));
        return;
      }

  preferences = astro_preferences_window_new (GTK_WINDOW (_astro_application_ensure_window (self)),
                                              self->store, self->account);
  gtk_window_present (GTK_WINDOW (preferences));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_action },
  { "sign-out", sign_out_action },
  { "sync-now", sync_now_action },
  { "about", about_action },
  { "quit", quit_action },
};

/*
 * GApplication overrides
 */

static void
astro_application_startup (GApplication *application)
{
  AstroApplication *self = ASTRO_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *help_accels[] = { "<Control>question", NULL };
  static const char *sync_accels[] = { "<Control>r", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  astro_bench_probe_mark ("startup");
  G_APPLICATION_CLASS (astro_application_parent_class)->startup (application);
  astro_bench_probe_mark ("gtk-ready");
  astro_icon_theme_load_in_background ();

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.sync-now", sync_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);

  /* Appearance: a stateful action the preferences' radio buttons share,
   * applied at start and at once on every change. */
  self->settings = astro_settings_new_if_installed (NULL);
  if (self->settings != NULL)
    {
      g_autoptr(GAction) color_scheme = g_settings_create_action (self->settings, "color-scheme");

      g_action_map_add_action (G_ACTION_MAP (self), color_scheme);
      g_signal_connect_object (self->settings, "changed::color-scheme",
                               G_CALLBACK (apply_color_scheme), self, G_CONNECT_SWAPPED);
      apply_color_scheme (self);
    }
  _astro_application_writes_init (self);

  open_store (self);
  start_sync (self);
  update_actions (self);
  _astro_application_folders_init (self);
  astro_bench_probe_mark ("started");
}

static void
astro_application_shutdown (GApplication *application)
{
  AstroApplication *self = ASTRO_APPLICATION (application);

  if (self->account_loading != NULL)
    g_cancellable_cancel (self->account_loading);
  g_clear_object (&self->account_loading);
  _astro_application_writes_stop (self);
  if (self->engine != NULL)
    astro_sync_engine_stop (self->engine);

  if (self->store != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* the outbox's last states, a link saved: on disk before we go */
      astro_store_wait_for_writes (self->store);
      /* the next start then opens a database with an empty WAL */
      if (!astro_store_checkpoint (self->store, &error))
        g_warning ("Could not tidy the local copy before quitting: %s", error->message);
    }

  G_APPLICATION_CLASS (astro_application_parent_class)->shutdown (application);
}

static void
astro_application_activate (GApplication *application)
{
  gtk_window_present (GTK_WINDOW (_astro_application_ensure_window (ASTRO_APPLICATION (application))));
  astro_bench_probe_mark ("presented");
}

/* Folders handed to us: `astrolabe PATH`, the file manager's "Open With", or
 * a second launch passing its folders to this instance over D-Bus. */
static void
astro_application_open (GApplication  *application,
                        GFile        **files,
                        int            n_files,
                        const char    *hint)
{
  AstroApplication *self = ASTRO_APPLICATION (application);

  gtk_window_present (GTK_WINDOW (_astro_application_ensure_window (self)));

  for (int i = 0; i < n_files; i++)
    _astro_application_open_folder (self, files[i]);
}

/*
 * GObject overrides
 */

static void
astro_application_finalize (GObject *object)
{
  AstroApplication *self = ASTRO_APPLICATION (object);

  g_clear_object (&self->linker);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->watchers, g_hash_table_unref);
  g_clear_pointer (&self->dirty_checkouts, g_hash_table_unref);
  g_clear_object (&self->engine);
  g_clear_object (&self->account);
  g_clear_object (&self->store);
  g_clear_error (&self->store_error);

  G_OBJECT_CLASS (astro_application_parent_class)->finalize (object);
}

static void
astro_application_class_init (AstroApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = astro_application_finalize;

  app_class->startup = astro_application_startup;
  app_class->shutdown = astro_application_shutdown;
  app_class->activate = astro_application_activate;
  app_class->open = astro_application_open;
}

static void
astro_application_init (AstroApplication *self)
{
}

/*
 * Public API
 */

AstroApplication *
astro_application_new (void)
{
  return g_object_new (ASTRO_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/dev/astrolabe/Astrolabe",
                       NULL);
}

AstroStore *
astro_application_get_store (AstroApplication *self)
{
  g_return_val_if_fail (ASTRO_IS_APPLICATION (self), NULL);

  return self->store;
}
