/* astro-account.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tokens live in the secret service only (libsecret), keyed by server and
 * user; never in SQLite, files, logs or command lines. Where there is no
 * secret service (a headless machine), ASTROLABE_TOKEN in the environment is
 * used instead and never stored. HTTP here is blocking: callers run it off
 * the main thread (the sync engine's refresh runs in a worker).
 */
#define G_LOG_DOMAIN "astro-account"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <libsoup/soup.h>

#include "astro-account.h"

struct _AstroAccount
{
  GObject      parent_instance;

  AstroStore  *store;
  SoupSession *session;
  char        *server_url;
  char        *email;
  char        *user_id;
  gboolean     from_environment;
  GMainContext *main_context;   /* where notify::user-id is emitted */

  GMutex       lock;            /* the tokens: read from the sync thread too */
  char        *access_token;
  char        *refresh_token;

  /* The sync engine and the outbox both refresh on 401; a refresh token
   * works once, so refreshes take turns and a fresh one is shared. */
  GMutex       refresh_lock;
  gint64       refreshed_at;
};

G_DEFINE_FINAL_TYPE (AstroAccount, astro_account, G_TYPE_OBJECT)

G_DEFINE_QUARK (astro-account-error-quark, astro_account_error)

enum {
  PROP_0,
  PROP_USER_ID,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static const SecretSchema token_schema = {
  "dev.astrolabe.Astrolabe.Token", SECRET_SCHEMA_NONE,
  {
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/*
 * Auxiliary methods
 */

static void
wipe (char **secret)
{
  if (*secret != NULL)
    explicit_bzero (*secret, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
set_tokens (AstroAccount *self,
            const char   *access_token,
            const char   *refresh_token)
{
  g_mutex_lock (&self->lock);
  wipe (&self->access_token);
  wipe (&self->refresh_token);
  self->access_token = g_strdup (access_token);
  self->refresh_token = g_strdup (refresh_token);
  g_mutex_unlock (&self->lock);
}

static gboolean
keyring_error (GError **error,
               GError  *cause)
{
  g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_NO_KEYRING,
               _("The sign-in cannot be kept: no secret service is available (%s). "
               "On a machine without one, set ASTROLABE_TOKEN instead."),
               cause != NULL ? cause->message : "unknown error");
  return FALSE;
}

static gboolean
store_secret (AstroAccount  *self,
              const char    *kind,
              const char    *value,
              GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *label = g_strdup_printf ("Astrolabe %s token for %s on %s",
                                            kind, self->email, self->server_url);

  if (!secret_password_store_sync (&token_schema, SECRET_COLLECTION_DEFAULT, label, value,
                                   NULL, &local_error,
                                   "server", self->server_url,
                                   "user", self->email,
                                   "kind", kind,
                                   NULL))
    return keyring_error (error, local_error);

  return TRUE;
}

static char *
lookup_secret (AstroAccount  *self,
               const char    *kind,
               GError       **error)
{
  return secret_password_lookup_sync (&token_schema, NULL, error,
                                      "server", self->server_url,
                                      "user", self->email,
                                      "kind", kind,
                                      NULL);
}

static void
clear_secrets (AstroAccount *self)
{
  g_autoptr(GError) error = NULL;

  if (!secret_password_clear_sync (&token_schema, NULL, &error,
                                   "server", self->server_url,
                                   "user", self->email,
                                   NULL) && error != NULL)
    g_warning ("Could not remove the saved sign-in: %s", error->message);
}

/* POSTs JSON and parses the JSON answer. Never logs the body: it carries
 * passwords and tokens. */
static JsonObject *
post_json (AstroAccount  *self,
           const char    *path,
           JsonBuilder   *body,
           const char    *bearer,
           guint         *status,
           GError       **error)
{
  g_autofree char *url = g_strconcat (self->server_url, path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  JsonNode *root;

  if (message == NULL)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_FAILED,
                   _("“%s” is not a valid server address"), self->server_url);
      return NULL;
    }

  if (body != NULL)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) node = json_builder_get_root (body);
      gsize length;

      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, &length);
      soup_message_set_request_body_from_bytes (message, "application/json",
                                                g_bytes_new_take (g_steal_pointer (&text), length));
    }

  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", value);
      explicit_bzero (value, strlen (value));
    }

  answer = soup_session_send_and_read (self->session, message, NULL, &local_error);
  if (answer == NULL)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_UNREACHABLE,
                   _("Could not reach %s: %s"), self->server_url, local_error->message);
      return NULL;
    }

  *status = soup_message_get_status (message);
  if (g_bytes_get_size (answer) == 0)
    return json_object_new ();

  if (!json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                   g_bytes_get_size (answer), NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      if (*status >= 400)
        return json_object_new ();
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_FAILED,
                   _("The server at %s answered %u with something that is not JSON"),
                   self->server_url, *status);
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The session in a sign-in answer:
 * {"access_token","refresh_token","user":{"id","email"}}. Whether it has
 * the tokens and the user's id. */
static gboolean
read_session (JsonObject  *answer,
              const char **access,
              const char **refresh,
              const char **id,
              const char **email)
{
  JsonObject *user = json_object_has_member (answer, "user")
                     ? json_object_get_object_member (answer, "user") : NULL;

  *access = member_string (answer, "access_token");
  *refresh = member_string (answer, "refresh_token");
  *id = user != NULL ? member_string (user, "id") : NULL;
  *email = user != NULL ? member_string (user, "email") : NULL;
  return *access != NULL && *refresh != NULL && *id != NULL;
}

static gboolean
accept_sign_in (AstroAccount  *self,
                JsonObject    *answer,
                guint          status,
                GError       **error)
{
  const char *access, *refresh, *id, *email;

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_BAD_CREDENTIALS,
                   _("The server did not accept these credentials"));
      return FALSE;
    }
  if (status != SOUP_STATUS_OK)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_FAILED,
                   _("Signing in failed: the server answered %u"), status);
      return FALSE;
    }

  if (!read_session (answer, &access, &refresh, &id, &email) || email == NULL)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_FAILED,
                   _("The server's sign-in answer is incomplete"));
      return FALSE;
    }

  g_free (self->email);
  self->email = g_strdup (email);
  g_free (self->user_id);
  self->user_id = g_strdup (id);

  if (!store_secret (self, "refresh", refresh, error) ||
      !store_secret (self, "access", access, error))
    return FALSE;

  set_tokens (self, access, refresh);
  return TRUE;
}

/* Who signed in where, for the next start; not secret. Main thread: it uses
 * the store's reading connection. */
static void
remember (AstroAccount *self)
{
  astro_store_set_setting (self->store, ASTRO_SETTING_SERVER_URL, self->server_url, NULL);
  astro_store_set_setting (self->store, ASTRO_SETTING_ACCOUNT_EMAIL, self->email, NULL);
  astro_store_set_setting (self->store, ASTRO_SETTING_ACCOUNT_USER, self->user_id, NULL);
}

typedef struct
{
  char *email;
  char *secret;  /* a password or a personal token */
} Credentials;

static void
credentials_free (gpointer data)
{
  Credentials *credentials = data;

  g_free (credentials->email);
  wipe (&credentials->secret);
  g_free (credentials);
}

static gboolean sign_in_request (AstroAccount  *self,
                                 const char    *email,
                                 const char    *secret,
                                 GError       **error);

static void
sign_in_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Credentials *credentials = task_data;
  GError *error = NULL;

  if (sign_in_request (source_object, credentials->email, credentials->secret, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/*
 * GObject overrides
 */

static void
astro_account_finalize (GObject *object)
{
  AstroAccount *self = (AstroAccount *) object;

  wipe (&self->access_token);
  wipe (&self->refresh_token);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->refresh_lock);
  g_clear_object (&self->store);
  g_clear_object (&self->session);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->email, g_free);
  g_clear_pointer (&self->user_id, g_free);
  g_clear_pointer (&self->main_context, g_main_context_unref);

  G_OBJECT_CLASS (astro_account_parent_class)->finalize (object);
}

static void
astro_account_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AstroAccount *self = ASTRO_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_account_class_init (AstroAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = astro_account_finalize;
  object_class->get_property = astro_account_get_property;

  /**
   * AstroAccount:user-id:
   *
   * Whose account this is, once known. A personal token in ASTROLABE_TOKEN
   * only tells at its first exchange; the change is notified in the
   * account's main context.
   */
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
astro_account_init (AstroAccount *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->refresh_lock);
  self->main_context = g_main_context_ref_thread_default ();
  self->session = soup_session_new_with_options ("timeout", 30,
                                                 "user-agent", "Astrolabe/" PACKAGE_VERSION " ",
                                                 NULL);
}

/* What the store knows of the account; whether its tokens are to be read
 * from the keyring is left to read_keyring(), which may run on any thread. */
static AstroAccount *
load_settings (AstroStore  *store,
               const char  *server_url,
               GError     **error)
{
  g_autoptr(AstroAccount) self = NULL;
  g_autofree char *saved_server = NULL;
  const char *environment_token = g_getenv ("ASTROLABE_TOKEN");

  saved_server = astro_store_get_setting (store, ASTRO_SETTING_SERVER_URL);
  if (server_url == NULL)
    server_url = saved_server;
  if (server_url == NULL)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_NOT_SIGNED_IN,
                   _("No server is known yet: sign in first"));
      return NULL;
    }

  self = g_object_new (ASTRO_TYPE_ACCOUNT, NULL);
  self->store = g_object_ref (store);
  self->server_url = g_strdup (server_url);
  while (g_str_has_suffix (self->server_url, "/"))
    self->server_url[strlen (self->server_url) - 1] = '\0';

  if (environment_token != NULL && environment_token[0] != '\0')
    {
      self->from_environment = TRUE;
      set_tokens (self, environment_token, NULL);
      return g_steal_pointer (&self);
    }

  if (g_strcmp0 (saved_server, self->server_url) == 0)
    {
      self->email = astro_store_get_setting (store, ASTRO_SETTING_ACCOUNT_EMAIL);
      self->user_id = astro_store_get_setting (store, ASTRO_SETTING_ACCOUNT_USER);
    }

  return g_steal_pointer (&self);
}

static gboolean
needs_keyring (AstroAccount *self)
{
  return !self->from_environment && self->email != NULL;
}

static void
read_keyring (AstroAccount *self)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;

  refresh = lookup_secret (self, "refresh", &local_error);
  if (local_error == NULL)
    access = lookup_secret (self, "access", &local_error);
  if (local_error != NULL)
    g_warning ("Could not read the saved sign-in: %s", local_error->message);
  if (refresh != NULL)
    set_tokens (self, access, refresh);
  wipe (&access);
  wipe (&refresh);
}

static void
read_keyring_in_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  read_keyring (source_object);
  g_task_return_boolean (task, TRUE);
}

/*
 * Public API
 */

/**
 * astro_account_load:
 * @server_url: (nullable): the server; %NULL for the one signed in last
 *
 * Returns the account, signed in if the secret service (or ASTROLABE_TOKEN)
 * has its tokens. Call astro_account_is_signed_in() to know.
 */
AstroAccount *
astro_account_load (AstroStore  *store,
                    const char  *server_url,
                    GError     **error)
{
  AstroAccount *self;

  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  self = load_settings (store, server_url, error);
  if (self != NULL && needs_keyring (self))
    read_keyring (self);

  return self;
}

/**
 * astro_account_load_settings:
 * @server_url: (nullable): the server; %NULL for the one signed in last
 *
 * The first half of astro_account_load(): what the store (or
 * ASTROLABE_TOKEN) says. When astro_account_needs_keyring() says so, the
 * tokens are then read with astro_account_read_keyring_async(), which a
 * window's start need not wait for.
 *
 * Returns: (transfer full): the account, or %NULL with @error set
 */
AstroAccount *
astro_account_load_settings (AstroStore  *store,
                             const char  *server_url,
                             GError     **error)
{
  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  return load_settings (store, server_url, error);
}

gboolean
astro_account_needs_keyring (AstroAccount *self)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);

  return needs_keyring (self) && !astro_account_is_signed_in (self);
}

/**
 * astro_account_read_keyring_async:
 *
 * Reads the account's tokens from the secret service on a worker: it
 * answers in a few D-Bus round trips.
 */
void
astro_account_read_keyring_async (AstroAccount        *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ASTRO_IS_ACCOUNT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, astro_account_read_keyring_async);
  g_task_run_in_thread (task, read_keyring_in_thread);
}

/**
 * astro_account_read_keyring_finish:
 *
 * Returns: whether the secret service had the account's tokens
 */
gboolean
astro_account_read_keyring_finish (AstroAccount  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error) && astro_account_is_signed_in (self);
}

/* POSTs an email and password, or (a NULL email) a personal token, for a
 * session. Safe on any thread. */
static JsonObject *
post_credentials (AstroAccount  *self,
                  const char    *email,
                  const char    *secret,
                  guint         *status,
                  GError       **error)
{
  g_autoptr(JsonBuilder) body = json_builder_new ();

  json_builder_begin_object (body);
  if (email != NULL)
    {
      json_builder_set_member_name (body, "email");
      json_builder_add_string_value (body, email);
      json_builder_set_member_name (body, "password");
    }
  else
    json_builder_set_member_name (body, "token");
  json_builder_add_string_value (body, secret);
  json_builder_end_object (body);

  return post_json (self, email != NULL ? "/api/auth/login" : "/api/auth/token",
                    body, NULL, status, error);
}

/* The network and keyring part of signing in, safe on any thread. A NULL
 * email means the secret is a personal token. */
static gboolean
sign_in_request (AstroAccount  *self,
                 const char    *email,
                 const char    *secret,
                 GError       **error)
{
  g_autoptr(JsonObject) answer = NULL;
  guint status = 0;

  answer = post_credentials (self, email, secret, &status, error);
  if (answer == NULL)
    return FALSE;

  return accept_sign_in (self, answer, status, error);
}

gboolean
astro_account_sign_in (AstroAccount  *self,
                       const char    *email,
                       const char    *password,
                       GError       **error)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (email != NULL && password != NULL, FALSE);

  if (!sign_in_request (self, email, password, error))
    return FALSE;

  remember (self);
  return TRUE;
}

gboolean
astro_account_sign_in_with_token (AstroAccount  *self,
                                  const char    *personal_token,
                                  GError       **error)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (personal_token != NULL, FALSE);

  if (!sign_in_request (self, NULL, personal_token, error))
    return FALSE;

  remember (self);
  return TRUE;
}

/**
 * astro_account_sign_in_async:
 * @email: (nullable): with a password; %NULL when @secret is a personal token
 *
 * Signs in off the main thread, so the window stays responsive.
 */
void
astro_account_sign_in_async (AstroAccount        *self,
                             const char          *email,
                             const char          *secret,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Credentials *credentials;

  g_return_if_fail (ASTRO_IS_ACCOUNT (self));
  g_return_if_fail (secret != NULL);

  credentials = g_new0 (Credentials, 1);
  credentials->email = g_strdup (email);
  credentials->secret = g_strdup (secret);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, astro_account_sign_in_async);
  g_task_set_task_data (task, credentials, credentials_free);
  g_task_run_in_thread (task, sign_in_in_thread);
}

gboolean
astro_account_sign_in_finish (AstroAccount  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  remember (self);
  return TRUE;
}

typedef struct
{
  AstroAccount *account;
  char         *user_id;
} Identified;

static void
identified_free (gpointer data)
{
  Identified *identified = data;

  g_object_unref (identified->account);
  g_free (identified->user_id);
  g_free (identified);
}

/* An answer that says "not now" rather than "no" */
static gboolean
is_busy (guint status)
{
  return status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429 ||
         SOUP_STATUS_IS_SERVER_ERROR (status);
}

/* In the account's main context: the store's reading connection tells the
 * window and astrolabe-ctl whose tasks are "mine". Only the user: the saved
 * email picks a keyring sign-in, which an environment's token is not. */
static gboolean
identified_cb (gpointer data)
{
  Identified *identified = data;
  AstroAccount *self = identified->account;

  if (g_strcmp0 (self->user_id, identified->user_id) == 0)
    return G_SOURCE_REMOVE;

  g_free (self->user_id);
  self->user_id = g_strdup (identified->user_id);
  astro_store_set_setting (self->store, ASTRO_SETTING_ACCOUNT_USER, self->user_id, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_ID]);
  return G_SOURCE_REMOVE;
}

/* ASTROLABE_TOKEN may be a personal access token, which is what a headless
 * machine should keep: an access token expires within the hour. Sent as a
 * bearer it is refused, and this first "refresh" trades it for a session,
 * kept in memory only, and learns whose it is. Called with refresh_lock. */
static char *
exchange_environment_token (AstroAccount  *self,
                            GError       **error)
{
  g_autoptr(JsonObject) answer = NULL;
  const char *access, *refresh, *id, *email;
  Identified *identified;
  guint status = 0;

  answer = post_credentials (self, NULL, g_getenv ("ASTROLABE_TOKEN"), &status, error);
  if (answer == NULL)
    return NULL;

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_SIGNED_OUT,
                   _("The token in ASTROLABE_TOKEN was refused"));
      return NULL;
    }

  if (is_busy (status))
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_UNREACHABLE,
                   _("The server at %s could not exchange the token in ASTROLABE_TOKEN now (%u)"),
                   self->server_url, status);
      return NULL;
    }

  if (status != SOUP_STATUS_OK || !read_session (answer, &access, &refresh, &id, &email))
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_SIGNED_OUT,
                   _("The server could not exchange the token in ASTROLABE_TOKEN (%u)"), status);
      return NULL;
    }

  set_tokens (self, access, refresh);
  self->refreshed_at = g_get_monotonic_time ();

  identified = g_new0 (Identified, 1);
  identified->account = g_object_ref (self);
  identified->user_id = g_strdup (id);
  g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT,
                              identified_cb, identified, identified_free);

  return g_strdup (access);
}

/* Trades the refresh token for a new pair (the old refresh token dies on
 * the server); returns the new access token. Thread-safe. */
char *
astro_account_refresh (AstroAccount  *self,
                       GError       **error)
{
  g_autoptr(JsonBuilder) body = json_builder_new ();
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *refresh = NULL;
  const char *access, *new_refresh;
  guint status = 0;

  g_autoptr(GMutexLocker) refresh_locker = NULL;

  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), NULL);

  refresh_locker = g_mutex_locker_new (&self->refresh_lock);
  g_mutex_lock (&self->lock);
  if (self->refreshed_at != 0 && self->access_token != NULL &&
      g_get_monotonic_time () - self->refreshed_at < 2 * G_USEC_PER_SEC)
    {
      char *shared = g_strdup (self->access_token);

      g_mutex_unlock (&self->lock);
      return shared;
    }
  refresh = g_strdup (self->refresh_token);
  g_mutex_unlock (&self->lock);

  if (refresh == NULL && self->from_environment)
    return exchange_environment_token (self, error);
  if (refresh == NULL)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_SIGNED_OUT, _("Not signed in"));
      return NULL;
    }

  json_builder_begin_object (body);
  json_builder_set_member_name (body, "refresh_token");
  json_builder_add_string_value (body, refresh);
  json_builder_end_object (body);
  wipe (&refresh);

  answer = post_json (self, "/api/auth/refresh", body, NULL, &status, error);
  if (answer == NULL)
    return NULL;

  /* the refresh token is still good: only a refusal signs out */
  if (is_busy (status))
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_UNREACHABLE,
                   _("The server at %s could not renew the sign-in now (%u)"),
                   self->server_url, status);
      return NULL;
    }

  access = member_string (answer, "access_token");
  new_refresh = member_string (answer, "refresh_token");
  if (status != SOUP_STATUS_OK || access == NULL || new_refresh == NULL)
    {
      g_set_error (error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_SIGNED_OUT,
                   _("The server refused to renew the sign-in (%u): sign in again"), status);
      return NULL;
    }

  if (!self->from_environment &&
      (!store_secret (self, "refresh", new_refresh, error) ||
       !store_secret (self, "access", access, error)))
    return NULL;

  set_tokens (self, access, new_refresh);
  self->refreshed_at = g_get_monotonic_time ();
  return g_strdup (access);
}

/* An AstroRefreshFunc and AstroOutboxRefreshFunc over @account: a server
 * that cannot renew now is a G_IO_ERROR, which the caller tries again
 * later; any other error is a refusal, and signs out. */
char *
astro_account_renew (gpointer   account,
                     GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  char *token = astro_account_refresh (ASTRO_ACCOUNT (account), &local_error);

  if (g_error_matches (local_error, ASTRO_ACCOUNT_ERROR, ASTRO_ACCOUNT_ERROR_UNREACHABLE))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, local_error->message);
  else if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));

  return token;
}

/* The server forgets the session (best effort: signing out works offline
 * too) and the keyring forgets the tokens. Safe on any thread. */
static void
revoke_session (AstroAccount *self)
{
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access = astro_account_dup_access_token (self);
  guint status = 0;

  if (access != NULL && !self->from_environment)
    {
      answer = post_json (self, "/api/auth/logout", NULL, access, &status, &error);
      if (answer == NULL)
        g_info ("Could not tell the server about signing out: %s", error->message);
      wipe (&access);
    }

  if (self->email != NULL)
    clear_secrets (self);
  set_tokens (self, NULL, NULL);
}

/* The synced data goes, linked folders stay. Main thread. */
static gboolean
forget (AstroAccount  *self,
        GError       **error)
{
  astro_store_set_setting (self->store, ASTRO_SETTING_ACCOUNT_EMAIL, NULL, NULL);
  astro_store_set_setting (self->store, ASTRO_SETTING_ACCOUNT_USER, NULL, NULL);
  astro_store_set_setting (self->store, ASTRO_SETTING_ACTIVE_ORGANIZATION, NULL, NULL);

  return astro_store_clear_synced (self->store, error);
}

gboolean
astro_account_sign_out (AstroAccount  *self,
                        GError       **error)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);

  revoke_session (self);
  return forget (self, error);
}

static void
revoke_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  revoke_session (source_object);
  g_task_return_boolean (task, TRUE);
}

/* Signing out without freezing the window on a slow or absent server. */
void
astro_account_sign_out_async (AstroAccount        *self,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ASTRO_IS_ACCOUNT (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, astro_account_sign_out_async);
  g_task_run_in_thread (task, revoke_in_thread);
}

gboolean
astro_account_sign_out_finish (AstroAccount  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  return forget (self, error);
}

gboolean
astro_account_is_signed_in (AstroAccount *self)
{
  gboolean signed_in;

  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);

  g_mutex_lock (&self->lock);
  signed_in = self->access_token != NULL || self->refresh_token != NULL;
  g_mutex_unlock (&self->lock);
  return signed_in;
}

gboolean
astro_account_is_from_environment (AstroAccount *self)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), FALSE);
  return self->from_environment;
}

char *
astro_account_dup_access_token (AstroAccount *self)
{
  char *token;

  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), NULL);

  g_mutex_lock (&self->lock);
  token = g_strdup (self->access_token);
  g_mutex_unlock (&self->lock);
  return token;
}

const char *
astro_account_get_server_url (AstroAccount *self)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), NULL);
  return self->server_url;
}

const char *
astro_account_get_email (AstroAccount *self)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), NULL);
  return self->email;
}

const char *
astro_account_get_user_id (AstroAccount *self)
{
  g_return_val_if_fail (ASTRO_IS_ACCOUNT (self), NULL);
  return self->user_id;
}
