/* astro-remote-url.h: turning a git remote URL into the key that links a
 * checkout to a repository
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One `url.<base>.insteadOf = <prefix>` rule. pushInsteadOf rules never
 * belong here: the key describes where fetches go. */
typedef struct
{
  char *base;
  char *prefix;
} AstroInsteadOf;

void astro_insteadof_clear (AstroInsteadOf *rule);

/* Looks up an ssh host alias exactly as written in the remote (ssh host
 * matching is case-sensitive). Returns TRUE and sets @hostname (owned by the
 * caller) when the host resolves; @port is the alias's port, or 0 when it
 * has none. */
typedef gboolean (*AstroSshResolveFunc) (const char  *host,
                                         char       **hostname,
                                         guint       *port,
                                         gpointer     user_data);

typedef struct
{
  /* Skip both when the URL comes from git_remote_url(), which already
   * applied insteadOf. */
  const AstroInsteadOf *insteadof;
  gsize                 n_insteadof;

  /* NULL: ssh aliases are not resolved. */
  AstroSshResolveFunc   ssh_resolve;
  gpointer              ssh_resolve_data;
} AstroRemoteContext;

char *astro_remote_url_normalize (const char                *url,
                                  const AstroRemoteContext  *context,
                                  char                     **error_reason);
char *astro_remote_url_redact    (const char                *url);

G_END_DECLS
