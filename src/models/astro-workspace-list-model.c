/* astro-workspace-list-model.c: an organization's workspaces, grouped by task
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A team has tens or hundreds of workspaces, not 100,000, so the model keeps
 * one AstroWorkspace per row (with its task and owner's name, which the
 * list shows) and lists them again from the store on every rows-changed of
 * workspaces, tasks or users. The new list is compared with the old one and
 * only the range between their common start and common end is replaced, so
 * one changed workspace is one items-changed of one item.
 */
#define G_LOG_DOMAIN "astro-workspace-list-model"

#include "config.h"

#include "astro-workspace-list-model.h"

struct _AstroWorkspaceListModel
{
  GObject     parent_instance;

  AstroStore *store;
  char       *organization_id;  /* NULL: every organization */
  char       *owner_id;         /* NULL: everyone's */
  GPtrArray  *items;            /* of AstroWorkspace */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AstroWorkspaceListModel, astro_workspace_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_STORE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/*
 * Auxiliary methods
 */

/* set_string () is GLib 2.76 */
static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static GPtrArray *
query_items (AstroWorkspaceListModel *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) tasks = NULL;
  g_autoptr(GHashTable) owners = NULL;
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);

  rows = astro_store_list_workspaces (self->store, self->organization_id, self->owner_id, &error);
  if (rows == NULL)
    {
      g_warning ("Could not list the workspaces: %s", error->message);
      return items;
    }

  /* a task or an owner usually has several workspaces: read each once */
  tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) astro_row_unref);
  owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < rows->len; i++)
    {
      AstroRow *row = g_ptr_array_index (rows, i);
      const char *task_id = astro_row_get (row, "task_id");
      const char *owner_id = astro_row_get (row, "owner_id");
      AstroRow *task = NULL;
      const char *owner = NULL;

      if (task_id != NULL && !g_hash_table_lookup_extended (tasks, task_id, NULL, (gpointer *) &task))
        {
          task = astro_store_get_row (self->store, "tasks", task_id, NULL);
          g_hash_table_insert (tasks, g_strdup (task_id), task);
        }
      if (owner_id != NULL && !g_hash_table_lookup_extended (owners, owner_id, NULL, (gpointer *) &owner))
        {
          char *name = astro_store_dup_user_name (self->store, owner_id);

          g_hash_table_insert (owners, g_strdup (owner_id), name);
          owner = name;
        }

      g_ptr_array_add (items, astro_workspace_new_with_context (row, task, owner));
    }

  return items;
}

/* Replaces the items with new ones, announcing only the range that differs. */
static void
reload (AstroWorkspaceListModel *self)
{
  g_autoptr(GPtrArray) old = self->items;
  GPtrArray *items = query_items (self);
  guint prefix = 0, suffix = 0;
  guint removed, added;

  while (prefix < old->len && prefix < items->len &&
         astro_workspace_equal (g_ptr_array_index (old, prefix), g_ptr_array_index (items, prefix)))
    prefix++;
  while (suffix < old->len - prefix && suffix < items->len - prefix &&
         astro_workspace_equal (g_ptr_array_index (old, old->len - 1 - suffix),
                                g_ptr_array_index (items, items->len - 1 - suffix)))
    suffix++;

  removed = old->len - prefix - suffix;
  added = items->len - prefix - suffix;
  self->items = items;

  if (removed == 0 && added == 0)
    return;

  g_list_model_items_changed (G_LIST_MODEL (self), prefix, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/*
 * Signal callbacks
 */

static gboolean
mentions (GPtrArray  *keys,
          GHashTable *wanted)
{
  for (guint i = 0; keys != NULL && i < keys->len; i++)
    if (g_hash_table_contains (wanted, g_ptr_array_index (keys, i)))
      return TRUE;

  return FALSE;
}

/* Tasks and users change far more often than the few the workspaces point
 * at (a sync of 100,000 tasks, a busy tracker): only those are worth a new
 * look at the store. */
static gboolean
concerns_items (AstroWorkspaceListModel *self,
                AstroRowsChanged        *changes)
{
  const char *column;
  g_autoptr(GHashTable) wanted = NULL;

  if (g_strcmp0 (changes->table, "tasks") == 0)
    column = "task_id";
  else if (g_strcmp0 (changes->table, "users") == 0)
    column = "owner_id";
  else
    return TRUE;

  wanted = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < self->items->len; i++)
    {
      const char *id = astro_row_get (astro_workspace_get_row (g_ptr_array_index (self->items, i)), column);

      if (id != NULL)
        g_hash_table_add (wanted, (gpointer) id);
    }

  return mentions (changes->inserted, wanted) ||
         mentions (changes->updated, wanted) ||
         mentions (changes->deleted, wanted);
}

static void
on_rows_changed_cb (AstroWorkspaceListModel *self,
                    AstroRowsChanged        *changes,
                    AstroStore              *store)
{
  /* a reset (a refetch) may come without keys: look again then */
  if (astro_rows_changed_is_empty (changes) || concerns_items (self, changes))
    reload (self);
}

/*
 * GListModel interface
 */

static GType
astro_workspace_list_model_get_item_type (GListModel *model)
{
  return ASTRO_TYPE_WORKSPACE;
}

static guint
astro_workspace_list_model_get_n_items (GListModel *model)
{
  return ASTRO_WORKSPACE_LIST_MODEL (model)->items->len;
}

static gpointer
astro_workspace_list_model_get_item (GListModel *model,
                                     guint       position)
{
  AstroWorkspaceListModel *self = ASTRO_WORKSPACE_LIST_MODEL (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = astro_workspace_list_model_get_item_type;
  iface->get_n_items = astro_workspace_list_model_get_n_items;
  iface->get_item = astro_workspace_list_model_get_item;
}

/*
 * GObject overrides
 */

static void
astro_workspace_list_model_constructed (GObject *object)
{
  AstroWorkspaceListModel *self = ASTRO_WORKSPACE_LIST_MODEL (object);
  static const char * const tables[] = { "workspaces", "tasks", "users" };

  G_OBJECT_CLASS (astro_workspace_list_model_parent_class)->constructed (object);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *signal = g_strconcat ("rows-changed::", tables[i], NULL);

      g_signal_connect_object (self->store, signal, G_CALLBACK (on_rows_changed_cb),
                               self, G_CONNECT_SWAPPED);
    }

  g_ptr_array_unref (self->items);
  self->items = query_items (self);
}

static void
astro_workspace_list_model_finalize (GObject *object)
{
  AstroWorkspaceListModel *self = ASTRO_WORKSPACE_LIST_MODEL (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->organization_id, g_free);
  g_clear_pointer (&self->owner_id, g_free);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (astro_workspace_list_model_parent_class)->finalize (object);
}

static void
astro_workspace_list_model_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  AstroWorkspaceListModel *self = ASTRO_WORKSPACE_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_workspace_list_model_set_property (GObject      *object,
                                         guint         prop_id,
                                         const GValue *value,
                                         GParamSpec   *pspec)
{
  AstroWorkspaceListModel *self = ASTRO_WORKSPACE_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_workspace_list_model_class_init (AstroWorkspaceListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = astro_workspace_list_model_constructed;
  object_class->finalize = astro_workspace_list_model_finalize;
  object_class->get_property = astro_workspace_list_model_get_property;
  object_class->set_property = astro_workspace_list_model_set_property;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         ASTRO_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
astro_workspace_list_model_init (AstroWorkspaceListModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

/*
 * Public API
 */

AstroWorkspaceListModel *
astro_workspace_list_model_new (AstroStore *store)
{
  g_return_val_if_fail (ASTRO_IS_STORE (store), NULL);

  return g_object_new (ASTRO_TYPE_WORKSPACE_LIST_MODEL, "store", store, NULL);
}

/* NULL lists every organization's workspaces. */
void
astro_workspace_list_model_set_organization (AstroWorkspaceListModel *self,
                                             const char              *organization_id)
{
  g_return_if_fail (ASTRO_IS_WORKSPACE_LIST_MODEL (self));

  if (set_string (&self->organization_id, organization_id))
    reload (self);
}

const char *
astro_workspace_list_model_get_organization (AstroWorkspaceListModel *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE_LIST_MODEL (self), NULL);

  return self->organization_id;
}

/* NULL lists everyone's workspaces. */
void
astro_workspace_list_model_set_owner (AstroWorkspaceListModel *self,
                                      const char              *owner_id)
{
  g_return_if_fail (ASTRO_IS_WORKSPACE_LIST_MODEL (self));

  if (set_string (&self->owner_id, owner_id))
    reload (self);
}

const char *
astro_workspace_list_model_get_owner (AstroWorkspaceListModel *self)
{
  g_return_val_if_fail (ASTRO_IS_WORKSPACE_LIST_MODEL (self), NULL);

  return self->owner_id;
}
