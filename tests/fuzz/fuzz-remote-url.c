/* fuzz-remote-url.c: libFuzzer target for the remote URL normalizer
 *
 * Beyond "no crash, no leak, no undefined behaviour", it checks what the
 * contract promises of every key: valid UTF-8, no scheme, no userinfo in
 * the host, no control characters and no empty or dot segments.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "astro-remote-url.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static const AstroInsteadOf rules[] = {
  { (char *) "git@github.com:", (char *) "gh:" },
  { (char *) "ssh://git@git.corp.example.com:2222/", (char *) "corp:" },
  { (char *) "https://github.com/acme/", (char *) "corp:gh/" },
  { (char *) "https://gitlab.example.com/", (char *) "glx:" },
};

static gboolean
fake_resolve (const char  *host,
              char       **hostname,
              guint       *port,
              gpointer     user_data)
{
  /* The normalizer only asks about plain host names. */
  for (const char *p = host; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      abort ();
  if (host[0] == '-')
    abort ();

  if (g_str_equal (host, "corp-git"))
    {
      *hostname = g_strdup ("git.corp.example.com");
      *port = 2222;
      return TRUE;
    }
  if (g_str_equal (host, "v6"))
    {
      *hostname = g_strdup ("2001:db8::1");
      return TRUE;
    }
  if (g_str_equal (host, "gw"))
    {
      *hostname = g_strdup ("github.com");
      return TRUE;
    }
  return FALSE;
}

static void
check_key (const char *key)
{
  const char *slash = strchr (key, '/');

  if (slash == NULL || slash == key || slash[1] == '\0')
    abort ();
  if (!g_utf8_validate (key, -1, NULL) || strstr (key, "://") != NULL || strstr (key, "//") != NULL)
    abort ();
  if (memchr (key, '@', slash - key) != NULL)
    abort ();
  /* A decoded "%5C" may leave a backslash: the contract only refuses a
   * raw one. */
  for (const char *p = key; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      abort ();
  /* Only the last segment may end up "." or "..", from "..git" or
   * "...git": step H checks dot segments before it strips ".git". */
  if (strstr (key, "/./") != NULL || strstr (key, "/../") != NULL)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *url = g_strndup ((const char *) data, size);
  g_autofree char *key = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *bare_key = NULL;
  g_autofree char *redacted = NULL;
  AstroRemoteContext context = { rules, G_N_ELEMENTS (rules), fake_resolve, NULL };

  key = astro_remote_url_normalize (url, &context, &reason);
  if ((key == NULL) == (reason == NULL))
    abort ();
  if (key != NULL)
    check_key (key);
  else if (*reason == '\0')
    abort ();

  bare_key = astro_remote_url_normalize (url, NULL, NULL);
  if (bare_key != NULL)
    check_key (bare_key);

  redacted = astro_remote_url_redact (url);
  for (const char *p = redacted; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      abort ();

  return 0;
}
