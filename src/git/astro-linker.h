/* astro-linker.h: linking folders on this machine to the team's repositories
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "astro-remote-url.h"
#include "astro-repo-discovery.h"
#include "astro-store.h"

G_BEGIN_DECLS

#define ASTRO_TYPE_LINKER (astro_linker_get_type ())
#define ASTRO_TYPE_LINK_RESULT (astro_link_result_get_type ())

G_DECLARE_FINAL_TYPE (AstroLinker, astro_linker, ASTRO, LINKER, GObject)

typedef enum
{
  ASTRO_LINK_LINKED,            /* saved with repository_id */
  ASTRO_LINK_AMBIGUOUS,         /* nothing saved: the user picks a candidate */
  ASTRO_LINK_LOCAL_ONLY,        /* saved with repository_id NULL */
  ASTRO_LINK_NOT_A_REPOSITORY,  /* nothing saved; see reason */
} AstroLinkStatus;

typedef struct
{
  char *repository_id;
  char *remote_name;  /* the remote whose key matched */
  char *remote_key;
} AstroLinkCandidate;

typedef struct
{
  AstroLinkStatus  status;
  char            *path;           /* the folder saved in local_repos (the work tree's top,
                                    * or a bare repository's directory); NULL when not a
                                    * repository */
  char            *repository_id;  /* LINKED */
  char            *remote_name;    /* LINKED */
  char            *remote_key;     /* LINKED */
  GPtrArray       *candidates;     /* AMBIGUOUS: the choices, in remote preference order */
  GPtrArray       *also_matched;   /* LINKED: repositories matched by less preferred remotes */
  char            *reason;         /* NOT_A_REPOSITORY: why, for the user */
  int              error_code;     /* NOT_A_REPOSITORY: an AstroDiscoveryError */
  AstroRepoInfo   *repo;           /* what discovery found; NULL when not a repository */
} AstroLinkResult;

GType            astro_link_result_get_type  (void) G_GNUC_CONST;
AstroLinkResult *astro_link_result_copy      (const AstroLinkResult  *self);
void             astro_link_result_free      (AstroLinkResult        *self);
const char      *astro_link_status_to_string (AstroLinkStatus         status);

AstroLinker     *astro_linker_new            (AstroStore             *store);
void             astro_linker_set_ssh_resolver (AstroLinker          *self,
                                              AstroSshResolveFunc     resolve,
                                              gpointer                user_data,
                                              GDestroyNotify          destroy);
AstroStore      *astro_linker_get_store      (AstroLinker            *self);
guint            astro_linker_get_n_keys     (AstroLinker            *self);

AstroLinkResult *astro_linker_link           (AstroLinker            *self,
                                              const char             *path,
                                              GError                **error);
void             astro_linker_link_async     (AstroLinker            *self,
                                              const char             *path,
                                              GCancellable           *cancellable,
                                              GAsyncReadyCallback     callback,
                                              gpointer                user_data);
AstroLinkResult *astro_linker_link_finish    (AstroLinker            *self,
                                              GAsyncResult           *result,
                                              GError                **error);
AstroLinkResult *astro_linker_choose         (AstroLinker            *self,
                                              const AstroLinkResult  *ambiguous,
                                              const char             *repository_id,
                                              GError                **error);
void             astro_linker_choose_async   (AstroLinker            *self,
                                              const AstroLinkResult  *ambiguous,
                                              const char             *repository_id,
                                              GAsyncReadyCallback     callback,
                                              gpointer                user_data);
AstroLinkResult *astro_linker_choose_finish  (AstroLinker            *self,
                                              GAsyncResult           *result,
                                              GError                **error);
gboolean         astro_linker_unlink         (AstroLinker            *self,
                                              const char             *path,
                                              GError                **error);
void             astro_linker_unlink_async   (AstroLinker            *self,
                                              const char             *path,
                                              GAsyncReadyCallback     callback,
                                              gpointer                user_data);
gboolean         astro_linker_unlink_finish  (AstroLinker            *self,
                                              GAsyncResult           *result,
                                              GError                **error);
void             astro_linker_relink_in_background (AstroLinker      *self);
gboolean         astro_linker_get_relinking  (AstroLinker            *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroLinkResult, astro_link_result_free)

G_END_DECLS
