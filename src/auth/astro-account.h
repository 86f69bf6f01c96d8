/* astro-account.h: who we are on which server, and the tokens that prove it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_ACCOUNT (astro_account_get_type ())
#define ASTRO_ACCOUNT_ERROR (astro_account_error_quark ())

G_DECLARE_FINAL_TYPE (AstroAccount, astro_account, ASTRO, ACCOUNT, GObject)

typedef enum
{
  ASTRO_ACCOUNT_ERROR_FAILED,
  ASTRO_ACCOUNT_ERROR_BAD_CREDENTIALS,  /* 401 on sign-in */
  ASTRO_ACCOUNT_ERROR_SIGNED_OUT,       /* refresh refused: sign in again */
  ASTRO_ACCOUNT_ERROR_NOT_SIGNED_IN,
  ASTRO_ACCOUNT_ERROR_UNREACHABLE,      /* network or TLS */
  ASTRO_ACCOUNT_ERROR_NO_KEYRING,       /* no secret service to keep tokens in */
} AstroAccountError;

/* Settings keys (not secret) */
#define ASTRO_SETTING_SERVER_URL     "server-url"
#define ASTRO_SETTING_ACCOUNT_EMAIL  "account-email"
#define ASTRO_SETTING_ACCOUNT_USER   "account-user-id"

GQuark        astro_account_error_quark     (void);
AstroAccount *astro_account_load            (AstroStore    *store,
                                             const char    *server_url,
                                             GError       **error);
AstroAccount *astro_account_load_settings   (AstroStore    *store,
                                             const char    *server_url,
                                             GError       **error);
gboolean      astro_account_needs_keyring   (AstroAccount  *self);
void          astro_account_read_keyring_async  (AstroAccount        *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean      astro_account_read_keyring_finish (AstroAccount  *self,
                                                 GAsyncResult  *result,
                                                 GError       **error);
gboolean      astro_account_sign_in         (AstroAccount  *self,
                                             const char    *email,
                                             const char    *password,
                                             GError       **error);
gboolean      astro_account_sign_in_with_token (AstroAccount *self,
                                             const char    *personal_token,
                                             GError       **error);
void          astro_account_sign_in_async   (AstroAccount        *self,
                                             const char          *email,
                                             const char          *secret,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      astro_account_sign_in_finish  (AstroAccount  *self,
                                             GAsyncResult  *result,
                                             GError       **error);
char         *astro_account_refresh         (AstroAccount  *self,
                                             GError       **error);
char         *astro_account_renew           (gpointer       account,
                                             GError       **error);
gboolean      astro_account_sign_out        (AstroAccount  *self,
                                             GError       **error);
void          astro_account_sign_out_async  (AstroAccount        *self,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      astro_account_sign_out_finish (AstroAccount  *self,
                                             GAsyncResult  *result,
                                             GError       **error);
gboolean      astro_account_is_signed_in    (AstroAccount  *self);
gboolean      astro_account_is_from_environment (AstroAccount *self);
char         *astro_account_dup_access_token (AstroAccount *self);
const char   *astro_account_get_server_url  (AstroAccount  *self);
const char   *astro_account_get_email       (AstroAccount  *self);
const char   *astro_account_get_user_id     (AstroAccount  *self);

G_END_DECLS
