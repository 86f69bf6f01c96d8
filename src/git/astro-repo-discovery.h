/* astro-repo-discovery.h: from any folder to the git repository it belongs
 * to, and the keys of its remotes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "astro-remote-url.h"

G_BEGIN_DECLS

#define ASTRO_DISCOVERY_ERROR (astro_discovery_error_quark ())
#define ASTRO_TYPE_REPO_INFO (astro_repo_info_get_type ())

typedef enum
{
  ASTRO_DISCOVERY_ERROR_NOT_A_REPOSITORY,  /* no repository here or above (or no such folder) */
  ASTRO_DISCOVERY_ERROR_NOT_OWNER,         /* GIT_EOWNER: owned by another user */
  ASTRO_DISCOVERY_ERROR_UNSUPPORTED,       /* an extension or object format libgit2 cannot read */
  ASTRO_DISCOVERY_ERROR_UNREADABLE,        /* anything else: permissions, damage */
} AstroDiscoveryError;

/* One remote, already reduced to keys: the raw URLs, which may carry
 * credentials, never leave astro_repo_discover(). */
typedef struct
{
  char *name;
  char *fetch_key;          /* NULL: not linkable, see fetch_error */
  char *fetch_written_key;  /* the key with no ssh alias resolved, when it differs; else NULL */
  char *fetch_error;        /* why fetch_key is NULL (never quotes the URL) */
  char *fetch_display;      /* the URL with credentials and queries redacted */
  char *push_key;           /* only when a push URL exists and its key differs */
  char *push_written_key;
  char *push_display;
} AstroRemoteInfo;

typedef struct
{
  char      *path;        /* the folder that stands for the repository: the work
                           * tree's top, or the git directory of a bare one */
  char      *git_dir;     /* no trailing slash */
  char      *common_dir;  /* differs from git_dir in a linked worktree */
  char      *workdir;     /* NULL when bare */
  gboolean   is_bare;
  gboolean   is_worktree;
  gboolean   is_submodule;
  GPtrArray *remotes;     /* of AstroRemoteInfo: origin, upstream, then by name */
} AstroRepoInfo;

GQuark         astro_discovery_error_quark (void);
GType          astro_repo_info_get_type    (void) G_GNUC_CONST;

void           astro_repo_discovery_init   (void);
AstroRepoInfo *astro_repo_discover         (const char               *path,
                                            const AstroRemoteContext *context,
                                            GError                  **error);
AstroRepoInfo *astro_repo_info_copy        (const AstroRepoInfo      *self);
void           astro_repo_info_free        (AstroRepoInfo            *self);
void           astro_remote_info_free      (AstroRemoteInfo          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroRepoInfo, astro_repo_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AstroRemoteInfo, astro_remote_info_free)

G_END_DECLS
