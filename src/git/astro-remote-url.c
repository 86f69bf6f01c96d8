/* astro-remote-url.c: turning a git remote URL into the key that links a
 * checkout to a repository
 *
 * This follows section 0 of shared/design/git-remotes.md step by step (A to
 * L); the letters in the comments name those steps. Everything here is pure:
 * no I/O, no global state, so the same key comes out on every machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-git"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "astro-remote-url.h"

/* Reasons never include any part of the URL: it may carry a token. */
#define REASON_EMPTY      N_("The remote URL is empty")
#define REASON_BAD_CHAR   N_("The remote URL contains a control character or a backslash")
#define REASON_HELPER     N_("Remote helper URLs (transport::address) cannot be linked")
#define REASON_FILE       N_("A file URL points to a repository on this computer")
#define REASON_SCHEME     N_("This URL scheme is not supported")
#define REASON_MALFORMED  N_("The remote URL is malformed")
#define REASON_LOCAL      N_("A local path cannot be linked to a repository")
#define REASON_PORT       N_("The port is not a number from 1 to 65535")
#define REASON_NO_HOST    N_("The remote URL has no host")
#define REASON_HOST       N_("The host name contains characters that are not allowed")
#define REASON_IPV6       N_("The IPv6 address is malformed")
#define REASON_NO_PATH    N_("The remote URL has no repository path")
#define REASON_DOT        N_("The repository path contains a “.” or “..” segment")
#define REASON_SEGMENT    N_("A repository path segment contains an encoded slash or a control character")
#define REASON_UTF8       N_("The repository path is not valid UTF-8")
#define REASON_GITHUB     N_("A GitHub remote must be exactly owner/repository")
#define REASON_GITLAB     N_("A GitLab remote must be group/project, with no “-” segment")
#define REASON_BITBUCKET  N_("A Bitbucket remote must be exactly workspace/repository")
#define REASON_AZURE      N_("This Azure DevOps URL is not a repository URL")

typedef struct
{
  const char *name;
  guint       default_port;
  gboolean    ssh;
} Scheme;

/* 0.5 */
static const Scheme schemes[] = {
  { "https", 443, FALSE },
  { "git+https", 443, FALSE },
  { "http", 80, FALSE },
  { "git+http", 80, FALSE },
  { "ssh", 22, TRUE },
  { "git+ssh", 22, TRUE },
  { "ssh+git", 22, TRUE },
  { "git", 9418, FALSE },
  { "ftp", 21, FALSE },
  { "ftps", 990, FALSE },
};

#define SCP_DEFAULT_PORT 22

typedef enum
{
  SERVICE_NONE,
  SERVICE_GITHUB,
  SERVICE_GITLAB,
  SERVICE_BITBUCKET,
  SERVICE_AZURE_HTTPS,
  SERVICE_AZURE_SSH,
  SERVICE_AZURE_VSTS,
} Service;

typedef struct
{
  char     *host;          /* as written until step G; IPv6 keeps its brackets */
  gboolean  ipv6;
  guint     port;          /* 0: the URL gave none */
  char     *path;
  guint     default_port;
  gboolean  ssh;
} Remote;

static void
remote_clear (Remote *remote)
{
  g_clear_pointer (&remote->host, g_free);
  g_clear_pointer (&remote->path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Remote, remote_clear)

static char *
fail (char       **error_reason,
      const char  *reason)
{
  if (error_reason != NULL)
    *error_reason = g_strdup (_(reason));
  return NULL;
}

static gboolean
is_trimmed_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean
is_control (guchar c)
{
  return c < 0x20 || c == 0x7f;
}

static gboolean
has_forbidden_char (const char *s)
{
  for (; *s; s++)
    if (is_control ((guchar) *s) || *s == '\\')
      return TRUE;
  return FALSE;
}

static const char *
find_last (const char *start,
           const char *end,
           char        c)
{
  for (const char *p = end; p > start; p--)
    if (p[-1] == c)
      return p - 1;
  return NULL;
}

static guint
count_char (const char *start,
            const char *end,
            char        c)
{
  guint n = 0;

  for (const char *p = start; p < end; p++)
    n += *p == c;
  return n;
}

/* The length of a `[A-Za-z][A-Za-z0-9+.-]*` prefix (or `[A-Za-z0-9]…` when
 * @digit_first), 0 when there is none. */
static gsize
scheme_length (const char *s,
               gboolean    digit_first)
{
  gsize n = 0;

  if (!(g_ascii_isalpha (s[0]) || (digit_first && g_ascii_isdigit (s[0]))))
    return 0;
  for (n = 1; g_ascii_isalnum (s[n]) || s[n] == '+' || s[n] == '.' || s[n] == '-'; n++)
    ;
  return n;
}

static gboolean
is_host_name (const char *host,
              gboolean    any_case)
{
  for (const char *p = host; *p; p++)
    {
      char c = any_case ? g_ascii_tolower (*p) : *p;
      gboolean ok = (c >= 'a' && c <= 'z') || g_ascii_isdigit (c) || c == '_';

      if (p != host)
        ok = ok || c == '.' || c == '-';
      if (!ok)
        return FALSE;
    }
  return *host != '\0';
}

/* B: git's longest byte-exact prefix wins; among equals, the first. */
static char *
apply_insteadof (const char               *url,
                 const AstroRemoteContext *context)
{
  const AstroInsteadOf *best = NULL;
  gsize best_len = 0;

  for (gsize i = 0; context != NULL && i < context->n_insteadof; i++)
    {
      const AstroInsteadOf *rule = &context->insteadof[i];
      gsize len;

      if (rule->prefix == NULL || rule->base == NULL)
        continue;
      len = strlen (rule->prefix);
      if (len > 0 && (best == NULL || len > best_len) && strncmp (url, rule->prefix, len) == 0)
        {
          best = rule;
          best_len = len;
        }
    }

  if (best == NULL)
    return g_strdup (url);
  return g_strconcat (best->base, url + best_len, NULL);
}

/* D: empty is "no port"; leading zeros are allowed. */
static const char *
parse_port (const char *start,
            const char *end,
            guint      *port)
{
  guint value = 0;

  *port = 0;
  if (start == end)
    return NULL;

  while (start < end && *start == '0')
    start++;
  if (end - start > 5)
    return REASON_PORT;
  for (const char *p = start; p < end; p++)
    {
      if (!g_ascii_isdigit (*p))
        return REASON_PORT;
      value = value * 10 + (guint) (*p - '0');
    }
  if (value < 1 || value > 65535)
    return REASON_PORT;

  *port = value;
  return NULL;
}

/* D and E: `[user@]host[:port]` with git's bracket forms. */
static const char *
split_host (const char *start,
            const char *end,
            Remote     *remote)
{
  const char *at;

  if (*start != '[' && (at = find_last (start, end, '@')) != NULL)
    start = at + 1;

  if (start < end && *start == '[')
    {
      const char *inner = start + 1;
      const char *close = memchr (inner, ']', end - inner);
      const char *after;
      guint colons;

      if (close == NULL)
        return REASON_MALFORMED;
      if ((at = find_last (inner, close, '@')) != NULL)
        inner = at + 1;

      colons = count_char (inner, close, ':');
      if (colons >= 2)
        {
          for (const char *p = inner; p < close; p++)
            if (!g_ascii_isxdigit (*p) && *p != ':' && *p != '.')
              return REASON_IPV6;
          remote->host = g_strdup_printf ("[%.*s]", (int) (close - inner), inner);
          remote->ipv6 = TRUE;
        }
      else if (colons == 1)
        {
          const char *colon = memchr (inner, ':', close - inner);
          const char *reason = parse_port (colon + 1, close, &remote->port);

          if (reason != NULL)
            return reason;
          remote->host = g_strndup (inner, colon - inner);
        }
      else
        {
          remote->host = g_strndup (inner, close - inner);
        }

      after = close + 1;
      if (after < end)
        {
          guint outer_port;
          const char *reason;

          if (*after != ':')
            return REASON_MALFORMED;
          if ((reason = parse_port (after + 1, end, &outer_port)) != NULL)
            return reason;
          /* Two ports would be a guess either way. */
          if (outer_port != 0 && remote->port != 0)
            return REASON_MALFORMED;
          if (outer_port != 0)
            remote->port = outer_port;
        }
      return NULL;
    }

  switch (count_char (start, end, ':'))
    {
    case 0:
      remote->host = g_strndup (start, end - start);
      return NULL;

    case 1:
      {
        const char *colon = memchr (start, ':', end - start);
        const char *reason = parse_port (colon + 1, end, &remote->port);

        if (reason != NULL)
          return reason;
        remote->host = g_strndup (start, colon - start);
        return NULL;
      }

    default:
      return REASON_MALFORMED;
    }
}

/* C: sorts the input into URL syntax and scp-like syntax, and splits it
 * (D, E). Returns the reason it is not linkable, or NULL. */
static const char *
parse_remote (const char *url,
              Remote     *remote)
{
  const char *colon;
  gsize n;

  /* C.1 */
  n = scheme_length (url, TRUE);
  if (n > 0 && url[n] == ':' && url[n + 1] == ':')
    return REASON_HELPER;

  /* C.2, D */
  n = scheme_length (url, FALSE);
  if (n > 0 && strncmp (url + n, "://", 3) == 0)
    {
      g_autofree char *scheme = g_ascii_strdown (url, n);
      const Scheme *found = NULL;
      const char *authority = url + n + 3;
      gsize authority_len = strcspn (authority, "/?#");
      const char *path = authority + authority_len;

      if (g_str_equal (scheme, "file"))
        return REASON_FILE;
      for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
        if (g_str_equal (scheme, schemes[i].name))
          found = &schemes[i];
      if (found == NULL)
        return REASON_SCHEME;

      remote->default_port = found->default_port;
      remote->ssh = found->ssh;
      remote->path = g_strndup (path, strcspn (path, "?#"));
      if (authority_len == 0)
        return REASON_NO_HOST;
      return split_host (authority, authority + authority_len, remote);
    }

  /* C.3 */
  if (strstr (url, "://") != NULL)
    return REASON_MALFORMED;

  /* C.4 */
  colon = strchr (url, ':');
  if (colon == NULL || memchr (url, '/', colon - url) != NULL)
    return REASON_LOCAL;

  /* C.5 */
  if (g_ascii_isalpha (url[0]) && url[1] == ':')
    return REASON_LOCAL;

  /* C.6, E */
  {
    const char *group = NULL;
    const char *search = url;
    const char *separator;

    if (url[0] == '[')
      {
        group = url;
      }
    else
      {
        const char *at_bracket = strstr (url, "@[");

        if (at_bracket != NULL && at_bracket < colon)
          group = at_bracket + 1;
      }
    if (group != NULL)
      {
        const char *close = strchr (group, ']');

        if (close != NULL)
          search = close;
      }

    separator = strchr (search, ':');
    if (separator == NULL)
      return REASON_MALFORMED;

    remote->default_port = SCP_DEFAULT_PORT;
    remote->ssh = TRUE;
    remote->path = g_strdup (separator + 1);
    if (separator == url)
      return REASON_NO_HOST;
    return split_host (url, separator, remote);
  }
}

/* G without the checks: lowercase, one trailing dot, one leading "www.". */
static char *
canonical_host_name (const char *host)
{
  g_autofree char *lower = g_ascii_strdown (host, -1);
  gsize len = strlen (lower);

  if (len > 0 && lower[len - 1] == '.')
    lower[len - 1] = '\0';
  if (g_str_has_prefix (lower, "www.") && lower[4] != '\0')
    return g_strdup (lower + 4);
  return g_steal_pointer (&lower);
}

static gboolean
is_one_label_of (const char *host,
                 const char *domain)
{
  gsize host_len = strlen (host);
  gsize domain_len = strlen (domain);

  return host_len > domain_len &&
         g_str_has_suffix (host, domain) &&
         memchr (host, '.', host_len - domain_len) == NULL;
}

/* 0.4; @host is already canonical (lowercase, no "www."). */
static Service
identify_service (const char *host)
{
  if (g_str_equal (host, "github.com") || g_str_equal (host, "ssh.github.com") ||
      is_one_label_of (host, ".ghe.com"))
    return SERVICE_GITHUB;
  if (g_str_equal (host, "gitlab.com") || g_str_equal (host, "altssh.gitlab.com"))
    return SERVICE_GITLAB;
  if (g_str_equal (host, "bitbucket.org") || g_str_equal (host, "altssh.bitbucket.org"))
    return SERVICE_BITBUCKET;
  if (g_str_equal (host, "dev.azure.com"))
    return SERVICE_AZURE_HTTPS;
  if (g_str_equal (host, "ssh.dev.azure.com") || g_str_equal (host, "vs-ssh.visualstudio.com"))
    return SERVICE_AZURE_SSH;
  if (is_one_label_of (host, ".visualstudio.com"))
    return SERVICE_AZURE_VSTS;
  return SERVICE_NONE;
}

/* F: only ssh talks to aliases, and only hosts that are not services. */
static void
resolve_ssh_alias (Remote                   *remote,
                   const AstroRemoteContext *context)
{
  g_autofree char *canonical = NULL;
  g_autofree char *hostname = NULL;
  guint port = 0;

  if (context == NULL || context->ssh_resolve == NULL || !remote->ssh || remote->ipv6)
    return;

  canonical = canonical_host_name (remote->host);
  if (identify_service (canonical) != SERVICE_NONE)
    return;

  /* Step G would refuse it anyway; never hand a hostile name to ssh. */
  if (!is_host_name (remote->host, TRUE))
    return;

  if (!context->ssh_resolve (remote->host, &hostname, &port, context->ssh_resolve_data) ||
      hostname == NULL || *hostname == '\0')
    return;

  g_free (remote->host);
  /* As in D: one colon is not an address, and G will refuse it. */
  if (count_char (hostname, hostname + strlen (hostname), ':') >= 2)
    {
      remote->host = g_strdup_printf ("[%s]", hostname);
      remote->ipv6 = TRUE;
    }
  else
    {
      remote->host = g_steal_pointer (&hostname);
    }
  if (remote->port == 0 && port <= 65535)
    remote->port = port;
}

/* G */
static const char *
check_host (Remote *remote)
{
  char *canonical;

  if (remote->ipv6)
    {
      /* A resolved IPv6 HostName arrives here unchecked. */
      for (const char *p = remote->host + 1; p[1] != '\0'; p++)
        if (!g_ascii_isxdigit (*p) && *p != ':' && *p != '.')
          return REASON_IPV6;
      canonical = g_ascii_strdown (remote->host, -1);
      g_free (remote->host);
      remote->host = canonical;
      return NULL;
    }

  canonical = g_ascii_strdown (remote->host, -1);
  g_free (remote->host);
  remote->host = canonical;
  if (*canonical != '\0' && canonical[strlen (canonical) - 1] == '.')
    canonical[strlen (canonical) - 1] = '\0';

  if (*canonical == '\0')
    return REASON_NO_HOST;
  if (!is_host_name (canonical, FALSE))
    return REASON_HOST;
  if (g_str_has_prefix (canonical, "www.") && canonical[4] != '\0')
    memmove (canonical, canonical + 4, strlen (canonical + 4) + 1);
  return NULL;
}

/* H.2: a decoded "%00" shows in @len, so it reaches the control-character
 * check instead of cutting the segment short. */
static char *
percent_decode (const char *segment,
                gsize      *len)
{
  GString *out = g_string_sized_new (strlen (segment));

  for (const char *p = segment; *p; p++)
    {
      if (p[0] == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
        {
          g_string_append_c (out, (char) (g_ascii_xdigit_value (p[1]) * 16 +
                                          g_ascii_xdigit_value (p[2])));
          p += 2;
        }
      else
        {
          g_string_append_c (out, *p);
        }
    }

  *len = out->len;
  return g_string_free (out, FALSE);
}

/* H */
static const char *
split_path (const char *path,
            GPtrArray  *segments)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  char *last;
  gsize len;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      gsize decoded_len;
      char *segment;

      if (parts[i][0] == '\0')
        continue;

      segment = percent_decode (parts[i], &decoded_len);
      g_ptr_array_add (segments, segment);

      if (g_str_equal (segment, ".") || g_str_equal (segment, ".."))
        return REASON_DOT;
      /* A decoded NUL shows as a length mismatch. */
      if (strlen (segment) != decoded_len)
        return REASON_SEGMENT;
      for (const char *p = segment; *p; p++)
        if (*p == '/' || is_control ((guchar) *p))
          return REASON_SEGMENT;
      if (!g_utf8_validate (segment, -1, NULL))
        return REASON_UTF8;
    }

  if (segments->len > 0 && g_str_equal (g_ptr_array_index (segments, segments->len - 1), ".git"))
    g_ptr_array_remove_index (segments, segments->len - 1);
  if (segments->len == 0)
    return REASON_NO_PATH;

  last = g_ptr_array_index (segments, segments->len - 1);
  len = strlen (last);
  if (len > 4 && g_str_has_suffix (last, ".git"))
    last[len - 4] = '\0';
  return NULL;
}

static gboolean
segment_is (GPtrArray  *segments,
            guint       index,
            const char *marker)
{
  return g_ascii_strcasecmp (g_ptr_array_index (segments, index), marker) == 0;
}

/* Replaces the contents of @segments with the given picks from @from
 * (indexes; -1 stands for @extra). */
static void
pick_segments (GPtrArray  *segments,
               const char *extra,
               const int  *picks,
               guint       n_picks)
{
  g_autoptr(GPtrArray) from = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < segments->len; i++)
    g_ptr_array_add (from, g_strdup (g_ptr_array_index (segments, i)));
  g_ptr_array_set_size (segments, 0);
  for (guint i = 0; i < n_picks; i++)
    g_ptr_array_add (segments, g_strdup (picks[i] < 0 ? extra : g_ptr_array_index (from, picks[i])));
}

/* I: checks the shape of a known service's path and maps it; sets
 * @out_host. */
static const char *
apply_service (Service      service,
               const char  *host,
               GPtrArray   *segments,
               char       **out_host)
{
  switch (service)
    {
    case SERVICE_NONE:
      *out_host = g_strdup (host);
      return NULL;

    case SERVICE_GITHUB:
      if (segments->len != 2)
        return REASON_GITHUB;
      *out_host = g_strdup (g_str_has_suffix (host, ".ghe.com") ? host : "github.com");
      return NULL;

    case SERVICE_GITLAB:
      if (segments->len < 2)
        return REASON_GITLAB;
      for (guint i = 0; i < segments->len; i++)
        if (g_str_equal (g_ptr_array_index (segments, i), "-"))
          return REASON_GITLAB;
      *out_host = g_strdup ("gitlab.com");
      return NULL;

    case SERVICE_BITBUCKET:
      if (segments->len != 2)
        return REASON_BITBUCKET;
      *out_host = g_strdup ("bitbucket.org");
      return NULL;

    case SERVICE_AZURE_HTTPS:
      if (segments->len == 4 && segment_is (segments, 2, "_git"))
        pick_segments (segments, NULL, (const int[]) { 0, 1, 3 }, 3);
      else if (segments->len == 3 && segment_is (segments, 1, "_git"))
        pick_segments (segments, NULL, (const int[]) { 0, 2, 2 }, 3);
      else
        return REASON_AZURE;
      *out_host = g_strdup ("dev.azure.com");
      return NULL;

    case SERVICE_AZURE_SSH:
      if (segments->len != 4 || !segment_is (segments, 0, "v3"))
        return REASON_AZURE;
      pick_segments (segments, NULL, (const int[]) { 1, 2, 3 }, 3);
      *out_host = g_strdup ("dev.azure.com");
      return NULL;

    case SERVICE_AZURE_VSTS:
      {
        g_autofree char *org = g_strndup (host, strchr (host, '.') - host);

        if (segments->len > 0 && segment_is (segments, 0, "DefaultCollection"))
          g_ptr_array_remove_index (segments, 0);
        if (segments->len == 3 && segment_is (segments, 1, "_git"))
          pick_segments (segments, org, (const int[]) { -1, 0, 2 }, 3);
        else if (segments->len == 2 && segment_is (segments, 0, "_git"))
          pick_segments (segments, org, (const int[]) { -1, 1, 1 }, 3);
        else
          return REASON_AZURE;
        *out_host = g_strdup ("dev.azure.com");
        return NULL;
      }

    default:
      g_assert_not_reached ();
    }

  return REASON_MALFORMED;
}

void
astro_insteadof_clear (AstroInsteadOf *rule)
{
  g_return_if_fail (rule != NULL);

  g_clear_pointer (&rule->base, g_free);
  g_clear_pointer (&rule->prefix, g_free);
}

/**
 * astro_remote_url_normalize:
 * @url: a remote URL as git would read it
 * @context: (nullable): insteadOf rules and the ssh alias resolver
 * @error_reason: (out) (optional): why the URL cannot be linked
 *
 * Returns: (transfer full) (nullable): the canonical key, or %NULL when the
 *   URL is not linkable. The key and the reason never contain credentials.
 */
char *
astro_remote_url_normalize (const char                *url,
                            const AstroRemoteContext  *context,
                            char                     **error_reason)
{
  g_auto(Remote) remote = { 0 };
  g_autoptr(GPtrArray) segments = NULL;
  g_autofree char *trimmed = NULL;
  g_autofree char *rewritten = NULL;
  g_autofree char *out_host = NULL;
  g_autofree char *path = NULL;
  const char *reason;
  const char *start;
  const char *end;
  Service service;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error_reason == NULL || *error_reason == NULL, NULL);

  /* A */
  start = url;
  end = url + strlen (url);
  while (start < end && is_trimmed_space (*start))
    start++;
  while (end > start && is_trimmed_space (end[-1]))
    end--;
  if (start == end)
    return fail (error_reason, REASON_EMPTY);
  trimmed = g_strndup (start, end - start);
  if (has_forbidden_char (trimmed))
    return fail (error_reason, REASON_BAD_CHAR);

  /* B; a rule's base comes from configuration, so check it as well. */
  rewritten = apply_insteadof (trimmed, context);
  if (has_forbidden_char (rewritten))
    return fail (error_reason, REASON_BAD_CHAR);

  /* C, D, E */
  if ((reason = parse_remote (rewritten, &remote)) != NULL)
    return fail (error_reason, reason);

  /* F, G */
  resolve_ssh_alias (&remote, context);
  if ((reason = check_host (&remote)) != NULL)
    return fail (error_reason, reason);

  /* H */
  segments = g_ptr_array_new_with_free_func (g_free);
  if ((reason = split_path (remote.path, segments)) != NULL)
    return fail (error_reason, reason);

  /* I */
  service = remote.ipv6 ? SERVICE_NONE : identify_service (remote.host);
  if ((reason = apply_service (service, remote.host, segments, &out_host)) != NULL)
    return fail (error_reason, reason);

  /* J */
  if (service != SERVICE_NONE)
    for (guint i = 0; i < segments->len; i++)
      {
        char *segment = g_ptr_array_index (segments, i);

        for (char *p = segment; *p; p++)
          *p = g_ascii_tolower (*p);
      }

  /* K, L */
  g_ptr_array_add (segments, NULL);
  path = g_strjoinv ("/", (char **) segments->pdata);
  if (service == SERVICE_NONE && remote.port != 0 && remote.port != remote.default_port)
    return g_strdup_printf ("%s:%u/%s", out_host, remote.port, path);
  return g_strdup_printf ("%s/%s", out_host, path);
}

/**
 * astro_remote_url_redact:
 * @url: a remote URL
 *
 * Hides what may be a secret in @url, for showing it: the user information
 * of URL syntax becomes `***`, and the query and fragment are cut. The
 * scp-like user (`git@`) is not a secret and stays, unless it carries a
 * password. Control characters become `?`.
 *
 * Returns: (transfer full): the redacted URL
 */
char *
astro_remote_url_redact (const char *url)
{
  g_autoptr(GString) out = NULL;
  const char *separator;

  g_return_val_if_fail (url != NULL, NULL);

  out = g_string_new (NULL);
  separator = strstr (url, "://");
  if (separator != NULL)
    {
      const char *authority = separator + 3;
      gsize authority_len = strcspn (authority, "/?#");
      const char *at = find_last (authority, authority + authority_len, '@');
      const char *path = authority + authority_len;

      g_string_append_len (out, url, authority - url);
      if (at != NULL)
        {
          g_string_append (out, "***");
          g_string_append_len (out, at, authority + authority_len - at);
        }
      else
        {
          g_string_append_len (out, authority, authority_len);
        }
      g_string_append_len (out, path, strcspn (path, "?#"));
      if (path[strcspn (path, "?#")] != '\0')
        g_string_append (out, "?***");
    }
  else
    {
      const char *at = strchr (url, '@');

      /* scp-like syntax has no password, but one typed there is still one. */
      if (at != NULL && memchr (url, ':', at - url) != NULL)
        {
          g_string_append (out, "***");
          g_string_append (out, at);
        }
      else
        {
          g_string_append (out, url);
        }
    }

  for (gsize i = 0; i < out->len; i++)
    if (is_control ((guchar) out->str[i]))
      out->str[i] = '?';

  return g_string_free (g_steal_pointer (&out), FALSE);
}
