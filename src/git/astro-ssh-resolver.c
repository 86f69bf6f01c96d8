/* astro-ssh-resolver.c: ssh host aliases, as OpenSSH itself reads them
 *
 * `ssh -G` prints the configuration ssh would use for a host after Host and
 * Match blocks, Include and wildcards, which no parser of ours could match.
 * It connects to nothing. A host that fails to resolve, or a machine with no
 * ssh, simply leaves the host as written: that is never an error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-git"

#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "astro-ssh-resolver.h"

/* `Match exec` in the user's config runs commands during -G. */
#define RESOLVE_TIMEOUT_MS 2000
#define MAX_HOST_LENGTH    253

typedef struct
{
  char  *hostname;   /* NULL: nothing resolved */
  guint  port;
} Resolution;

struct _AstroSshResolver
{
  char       *config_file;
  char       *ssh_program;
  GMutex      mutex;
  GHashTable *cache;         /* host as written → Resolution */
};

typedef struct
{
  GBytes   *output;
  gboolean  successful;
  gboolean  done;
} Run;

static void
resolution_free (Resolution *resolution)
{
  g_free (resolution->hostname);
  g_free (resolution);
}

static void
on_communicated_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GSubprocess *process = G_SUBPROCESS (source);
  Run *run = user_data;

  if (g_subprocess_communicate_finish (process, result, &run->output, NULL, NULL))
    run->successful = g_subprocess_get_successful (process);
  run->done = TRUE;
}

static gboolean
on_timeout_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* Runs ssh on a private main context so that it works from any thread and
 * never lets the caller's loop run. */
static GBytes *
run_ssh (const char * const *argv)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GSource) timeout = NULL;
  Run run = { 0 };

  g_main_context_push_thread_default (context);

  /* With no stdin flag, GSubprocess gives ssh /dev/null. */
  process = g_subprocess_newv (argv,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                               NULL);
  if (process != NULL)
    {
      timeout = g_timeout_source_new (RESOLVE_TIMEOUT_MS);
      g_source_set_callback (timeout, on_timeout_cb, cancellable, NULL);
      g_source_attach (timeout, context);

      g_subprocess_communicate_async (process, NULL, cancellable, on_communicated_cb, &run);
      while (!run.done)
        g_main_context_iteration (context, TRUE);

      g_source_destroy (timeout);
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_debug ("ssh -G took too long; not resolving the host");
          g_subprocess_force_exit (process);
          g_subprocess_wait (process, NULL, NULL);
        }
    }

  g_main_context_pop_thread_default (context);

  if (!run.successful)
    g_clear_pointer (&run.output, g_bytes_unref);
  return run.output;
}

static Resolution *
parse_output (GBytes *output)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  Resolution *resolution = g_new0 (Resolution, 1);
  gsize size;
  const char *data = g_bytes_get_data (output, &size);

  text = g_strndup (data, size);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, "hostname ") && line[9] != '\0' && resolution->hostname == NULL)
        {
          resolution->hostname = g_strdup (line + 9);
        }
      else if (g_str_has_prefix (line, "port "))
        {
          guint64 value;

          if (g_ascii_string_to_unsigned (line + 5, 10, 1, 65535, &value, NULL))
            resolution->port = (guint) value;
        }
    }

  return resolution;
}

/**
 * astro_ssh_host_is_safe:
 * @host: a host name as written in a remote
 *
 * Whether @host may be handed to ssh: a name starting with `-` would be read
 * as an option (`-oProxyCommand=…`), so only plain host-name characters pass.
 */
gboolean
astro_ssh_host_is_safe (const char *host)
{
  gsize len;

  g_return_val_if_fail (host != NULL, FALSE);

  len = strlen (host);
  if (len == 0 || len > MAX_HOST_LENGTH || host[0] == '-')
    return FALSE;
  for (const char *p = host; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/**
 * astro_ssh_resolver_new:
 * @config_file: (nullable): a file for `ssh -F`, or %NULL for the user's
 *   and the system's configuration
 */
AstroSshResolver *
astro_ssh_resolver_new (const char *config_file)
{
  AstroSshResolver *self = g_new0 (AstroSshResolver, 1);

  self->config_file = g_strdup (config_file);
  self->ssh_program = g_find_program_in_path ("ssh");
  g_mutex_init (&self->mutex);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) resolution_free);
  return self;
}

void
astro_ssh_resolver_free (AstroSshResolver *self)
{
  g_return_if_fail (self != NULL);

  g_hash_table_unref (self->cache);
  g_mutex_clear (&self->mutex);
  g_free (self->ssh_program);
  g_free (self->config_file);
  g_free (self);
}

/**
 * astro_ssh_resolver_resolve:
 * @self: a resolver
 * @host: the host exactly as written (ssh matches Host blocks case-sensitively)
 * @hostname: (out): the HostName ssh would connect to
 * @port: (out): its port, or 0 when ssh reported none
 *
 * Returns: %TRUE when ssh resolved @host; %FALSE when @host is unsafe, ssh
 *   is missing, failed or timed out. Results are cached per host.
 */
gboolean
astro_ssh_resolver_resolve (AstroSshResolver  *self,
                            const char        *host,
                            char             **hostname,
                            guint             *port)
{
  g_autoptr(GMutexLocker) locker = NULL;
  Resolution *resolution;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (hostname != NULL && port != NULL, FALSE);

  *hostname = NULL;
  *port = 0;

  if (self->ssh_program == NULL || !astro_ssh_host_is_safe (host))
    return FALSE;

  /* Held while ssh runs so one host is never asked twice at once. */
  locker = g_mutex_locker_new (&self->mutex);
  resolution = g_hash_table_lookup (self->cache, host);
  if (resolution == NULL)
    {
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autoptr(GBytes) output = NULL;

      g_ptr_array_add (argv, self->ssh_program);
      g_ptr_array_add (argv, (gpointer) "-G");
      if (self->config_file != NULL)
        {
          g_ptr_array_add (argv, (gpointer) "-F");
          g_ptr_array_add (argv, self->config_file);
        }
      g_ptr_array_add (argv, (gpointer) "--");
      g_ptr_array_add (argv, (gpointer) host);
      g_ptr_array_add (argv, NULL);

      output = run_ssh ((const char * const *) argv->pdata);
      resolution = output != NULL ? parse_output (output) : g_new0 (Resolution, 1);
      g_hash_table_insert (self->cache, g_strdup (host), resolution);
    }

  if (resolution->hostname == NULL)
    return FALSE;

  *hostname = g_strdup (resolution->hostname);
  *port = resolution->port;
  return TRUE;
}

/**
 * astro_ssh_resolver_resolve_func:
 *
 * astro_ssh_resolver_resolve() as an #AstroSshResolveFunc, with the resolver
 * as @user_data.
 */
gboolean
astro_ssh_resolver_resolve_func (const char  *host,
                                 char       **hostname,
                                 guint       *port,
                                 gpointer     user_data)
{
  return astro_ssh_resolver_resolve (user_data, host, hostname, port);
}
