/* astro-ssh-resolver.h: ssh host aliases, as OpenSSH itself reads them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AstroSshResolver AstroSshResolver;

AstroSshResolver *astro_ssh_resolver_new          (const char        *config_file);
void              astro_ssh_resolver_free         (AstroSshResolver  *self);
gboolean          astro_ssh_resolver_resolve      (AstroSshResolver  *self,
                                                   const char        *host,
                                                   char             **hostname,
                                                   guint             *port);
gboolean          astro_ssh_resolver_resolve_func (const char        *host,
                                                   char             **hostname,
                                                   guint             *port,
                                                   gpointer           user_data);
gboolean          astro_ssh_host_is_safe          (const char        *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroSshResolver, astro_ssh_resolver_free)

G_END_DECLS
