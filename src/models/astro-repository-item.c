/* astro-repository-item.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-repository-item"

#include "config.h"

#include "astro-repository-item.h"

struct _AstroRepositoryItem
{
  GObject  parent_instance;

  char    *title;
  char    *path;    /* NULL: not on this device */
  char    *remote;
};

G_DEFINE_FINAL_TYPE (AstroRepositoryItem, astro_repository_item, G_TYPE_OBJECT)

static void
astro_repository_item_finalize (GObject *object)
{
  AstroRepositoryItem *self = ASTRO_REPOSITORY_ITEM (object);

  g_free (self->title);
  g_free (self->path);
  g_free (self->remote);

  G_OBJECT_CLASS (astro_repository_item_parent_class)->finalize (object);
}

static void
astro_repository_item_class_init (AstroRepositoryItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = astro_repository_item_finalize;
}

static void
astro_repository_item_init (AstroRepositoryItem *self)
{
}

AstroRepositoryItem *
astro_repository_item_new (const char           *title,
                           const AstroLocalRepo *link)
{
  AstroRepositoryItem *self = g_object_new (ASTRO_TYPE_REPOSITORY_ITEM, NULL);

  self->title = g_strdup (title != NULL ? title : "");
  if (link != NULL)
    {
      self->path = g_strdup (link->path);
      self->remote = g_strdup (link->remote_name);
    }
  return self;
}

const char *
astro_repository_item_get_title (AstroRepositoryItem *self)
{
  g_return_val_if_fail (ASTRO_IS_REPOSITORY_ITEM (self), NULL);
  return self->title;
}

const char *
astro_repository_item_get_path (AstroRepositoryItem *self)
{
  g_return_val_if_fail (ASTRO_IS_REPOSITORY_ITEM (self), NULL);
  return self->path;
}

const char *
astro_repository_item_get_remote (AstroRepositoryItem *self)
{
  g_return_val_if_fail (ASTRO_IS_REPOSITORY_ITEM (self), NULL);
  return self->remote;
}
