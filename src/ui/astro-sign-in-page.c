/* astro-sign-in-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-sign-in-page"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "astro-sign-in-page.h"

struct _AstroSignInPage
{
  AdwBin        parent_instance;

  AstroStore   *store;
  GCancellable *cancellable;
  gboolean      with_token;

  AdwEntryRow  *server_row;
  AdwEntryRow  *email_row;
  AdwEntryRow  *password_row;
  AdwEntryRow  *token_row;
  GtkLabel     *error_label;
  GtkButton    *sign_in_button;
  GtkButton    *mode_button;
  GtkSpinner   *spinner;
};

G_DEFINE_FINAL_TYPE (AstroSignInPage, astro_sign_in_page, ADW_TYPE_BIN)

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

/*
 * Auxiliary methods
 */

static void
show_error (AstroSignInPage *self,
            const char      *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
set_busy (AstroSignInPage *self,
          gboolean         busy)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->mode_button), !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static char *
entered (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static void
on_signed_in_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(AstroSignInPage) self = user_data;
  AstroAccount *account = ASTRO_ACCOUNT (source);
  g_autoptr(GError) error = NULL;

  if (!astro_account_sign_in_finish (account, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      show_error (self, error->message);
      return;
    }

  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
  g_signal_emit (self, signals[SIGNED_IN], 0, account);
}

/*
 * Signal callbacks
 */

static void
on_sign_in_clicked_cb (AstroSignInPage *self)
{
  g_autoptr(AstroAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = entered (self->server_row);
  g_autofree char *email = entered (self->email_row);
  const char *secret;

  secret = gtk_editable_get_text (GTK_EDITABLE (self->with_token ? self->token_row : self->password_row));

  if (!g_str_has_prefix (server, "https://") && !g_str_has_prefix (server, "http://"))
    {
      show_error (self, _("Enter the server’s address, like https://team.example.com"));
      gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
      return;
    }
  if (!self->with_token && strchr (email, '@') == NULL)
    {
      show_error (self, _("Enter the email address you sign in with"));
      gtk_widget_grab_focus (GTK_WIDGET (self->email_row));
      return;
    }
  if (secret[0] == '\0')
    {
      show_error (self, self->with_token ? _("Enter your personal access token") : _("Enter your password"));
      gtk_widget_grab_focus (GTK_WIDGET (self->with_token ? self->token_row : self->password_row));
      return;
    }

  account = astro_account_load (self->store, server, &error);
  if (account == NULL)
    {
      show_error (self, error->message);
      return;
    }

  show_error (self, NULL);
  set_busy (self, TRUE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  astro_account_sign_in_async (account, self->with_token ? NULL : email, secret,
                               self->cancellable, on_signed_in_cb, g_object_ref (self));
}

static void
on_entry_activated_cb (AstroSignInPage *self)
{
  on_sign_in_clicked_cb (self);
}

static void
on_mode_clicked_cb (AstroSignInPage *self)
{
  self->with_token = !self->with_token;

  gtk_widget_set_visible (GTK_WIDGET (self->email_row), !self->with_token);
  gtk_widget_set_visible (GTK_WIDGET (self->password_row), !self->with_token);
  gtk_widget_set_visible (GTK_WIDGET (self->token_row), self->with_token);
  gtk_button_set_label (self->mode_button,
                        self->with_token ? _("Use an Email and Password Instead")
                                         : _("Use a Personal Access Token Instead"));
  show_error (self, NULL);
}

/*
 * GObject overrides
 */

static void
astro_sign_in_page_dispose (GObject *object)
{
  AstroSignInPage *self = ASTRO_SIGN_IN_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_SIGN_IN_PAGE);

  G_OBJECT_CLASS (astro_sign_in_page_parent_class)->dispose (object);
}

static void
astro_sign_in_page_class_init (AstroSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_sign_in_page_dispose;

  /* The account is signed in and its tokens are in the keyring. */
  signals [SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ASTRO_TYPE_ACCOUNT);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, email_row);
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, token_row);
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, mode_button);
  gtk_widget_class_bind_template_child (widget_class, AstroSignInPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_clicked_cb);
}

static void
astro_sign_in_page_init (AstroSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * Public API
 */

void
astro_sign_in_page_set_store (AstroSignInPage *self,
                              AstroStore      *store)
{
  g_return_if_fail (ASTRO_IS_SIGN_IN_PAGE (self));
  g_return_if_fail (ASTRO_IS_STORE (store));

  g_set_object (&self->store, store);
}

void
astro_sign_in_page_set_server (AstroSignInPage *self,
                               const char      *server_url)
{
  g_return_if_fail (ASTRO_IS_SIGN_IN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server_url != NULL ? server_url : "");
}
