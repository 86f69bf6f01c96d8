/* astro-task.c: one task of the task list, as an item for list models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-task"

#include "config.h"

#include <stdlib.h>

#include "astro-task-private.h"

/* The text properties come first so that their ids index both `text` and
 * `text_columns`: one loop reads, compares and notifies them all. */
enum {
  PROP_0,
  PROP_ID,
  PROP_KEY,
  PROP_TITLE,
  PROP_STATUS,
  PROP_STATUS_COLOR,
  PROP_ASSIGNEE_ID,
  PROP_UPDATED_AT,
  PROP_LABELS,
  PROP_ORGANIZATION_ID,
  PROP_REPOSITORY_ID,
  PROP_DESCRIPTION,
  PROP_EXTERNAL_URL,
  PROP_BRANCH,
  N_TEXT_PROPS,
  PROP_PRIORITY = N_TEXT_PROPS,
  PROP_PENDING,
  N_PROPS
};

struct _AstroTask
{
  GObject  parent_instance;

  char    *text[N_TEXT_PROPS];  /* [PROP_0] is unused */
  int      priority;
  gboolean pending;
};

G_DEFINE_FINAL_TYPE (AstroTask, astro_task, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

/* The tasks column each text property mirrors */
static const char * const text_columns[N_TEXT_PROPS] = {
  [PROP_ID] = "id",
  [PROP_KEY] = "external_key",
  [PROP_TITLE] = "title",
  [PROP_STATUS] = "status",
  [PROP_STATUS_COLOR] = "status_color",
  [PROP_ASSIGNEE_ID] = "assignee_id",
  [PROP_UPDATED_AT] = "updated_at",
  [PROP_LABELS] = "labels",
  [PROP_ORGANIZATION_ID] = "organization_id",
  [PROP_REPOSITORY_ID] = "repository_id",
  [PROP_DESCRIPTION] = "description",
  [PROP_EXTERNAL_URL] = "external_url",
  [PROP_BRANCH] = "branch",
};

static gint n_live;

/*
 * Auxiliary methods
 */

/* Priorities arrive as Postgres text. Read them the way the store's
 * CAST(priority AS INTEGER) sorts them: leading digits count, the rest
 * (and NULL) is 0, "no priority". */
static int
parse_priority (const char *text)
{
  gint64 value;

  if (text == NULL)
    return 0;

  value = g_ascii_strtoll (text, NULL, 10);
  return (int) CLAMP (value, G_MININT, G_MAXINT);
}

/*
 * GObject overrides
 */

static void
astro_task_finalize (GObject *object)
{
  AstroTask *self = (AstroTask *) object;

  for (guint i = 0; i < N_TEXT_PROPS; i++)
    g_free (self->text[i]);

  g_atomic_int_add (&n_live, -1);

  G_OBJECT_CLASS (astro_task_parent_class)->finalize (object);
}

static void
astro_task_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  AstroTask *self = ASTRO_TASK (object);

  if (prop_id > PROP_0 && prop_id < N_TEXT_PROPS)
    g_value_set_string (value, self->text[prop_id]);
  else if (prop_id == PROP_PRIORITY)
    g_value_set_int (value, self->priority);
  else if (prop_id == PROP_PENDING)
    g_value_set_boolean (value, self->pending);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
astro_task_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  AstroTask *self = ASTRO_TASK (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_free (self->text[PROP_ID]);
      self->text[PROP_ID] = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_task_class_init (AstroTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = astro_task_finalize;
  object_class->get_property = astro_task_get_property;
  object_class->set_property = astro_task_set_property;

  properties [PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties [PROP_KEY] =
    g_param_spec_string ("key", NULL, NULL, NULL, flags);
  properties [PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties [PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties [PROP_STATUS_COLOR] =
    g_param_spec_string ("status-color", NULL, NULL, NULL, flags);
  properties [PROP_ASSIGNEE_ID] =
    g_param_spec_string ("assignee-id", NULL, NULL, NULL, flags);
  properties [PROP_UPDATED_AT] =
    g_param_spec_string ("updated-at", NULL, NULL, NULL, flags);
  properties [PROP_LABELS] =
    g_param_spec_string ("labels", NULL, NULL, NULL, flags);
  properties [PROP_ORGANIZATION_ID] =
    g_param_spec_string ("organization-id", NULL, NULL, NULL, flags);
  properties [PROP_REPOSITORY_ID] =
    g_param_spec_string ("repository-id", NULL, NULL, NULL, flags);
  properties [PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL, flags);
  properties [PROP_EXTERNAL_URL] =
    g_param_spec_string ("external-url", NULL, NULL, NULL, flags);
  properties [PROP_BRANCH] =
    g_param_spec_string ("branch", NULL, NULL, NULL, flags);
  properties [PROP_PRIORITY] =
    g_param_spec_int ("priority", NULL, NULL, G_MININT, G_MAXINT, 0, flags);
  /* Whether the values shown include writes the server has not confirmed
   * yet (astro_store_row_is_pending()); whoever reads the row sets it. */
  properties [PROP_PENDING] =
    g_param_spec_boolean ("pending", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
astro_task_init (AstroTask *self)
{
  g_atomic_int_inc (&n_live);
}

/*
 * Private API
 */

guint
_astro_task_get_n_live (void)
{
  return (guint) g_atomic_int_get (&n_live);
}

/*
 * Public API
 */

/**
 * astro_task_new:
 * @id: the task's id
 *
 * A task known only by its id, for a row that is not (or no longer) in
 * the store; astro_task_update_from_row() fills it in.
 */
AstroTask *
astro_task_new (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_object_new (ASTRO_TYPE_TASK, "id", id, NULL);
}

/**
 * astro_task_new_from_row:
 * @row: a row of the tasks table
 */
AstroTask *
astro_task_new_from_row (AstroRow *row)
{
  g_autoptr(AstroTask) self = NULL;

  g_return_val_if_fail (row != NULL, NULL);
  g_return_val_if_fail (astro_row_get_id (row) != NULL, NULL);

  self = astro_task_new (astro_row_get_id (row));
  astro_task_update_from_row (self, row);

  return g_steal_pointer (&self);
}

/**
 * astro_task_update_from_row:
 * @row: the same task's row, as the store has it now
 *
 * Takes the row's values, notifying only the properties whose value changed
 * so that a bound row redraws only what it must.
 *
 * Returns: whether any property changed
 */
gboolean
astro_task_update_from_row (AstroTask *self,
                            AstroRow  *row)
{
  gboolean changed = FALSE;
  int priority;

  g_return_val_if_fail (ASTRO_IS_TASK (self), FALSE);
  g_return_val_if_fail (row != NULL, FALSE);
  g_return_val_if_fail (g_strcmp0 (astro_row_get_id (row), self->text[PROP_ID]) == 0, FALSE);

  /* One "notify" burst per update, after every value is in place, so that
   * a handler reading one property never sees another half-updated. */
  g_object_freeze_notify (G_OBJECT (self));

  for (guint i = PROP_ID + 1; i < N_TEXT_PROPS; i++)
    {
      const char *value = astro_row_get (row, text_columns[i]);

      if (g_strcmp0 (value, self->text[i]) == 0)
        continue;

      g_free (self->text[i]);
      self->text[i] = g_strdup (value);
      g_object_notify_by_pspec (G_OBJECT (self), properties [i]);
      changed = TRUE;
    }

  priority = parse_priority (astro_row_get (row, "priority"));
  if (priority != self->priority)
    {
      self->priority = priority;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PRIORITY]);
      changed = TRUE;
    }

  g_object_thaw_notify (G_OBJECT (self));

  return changed;
}

const char *
astro_task_get_id (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_ID];
}

/* The key people know the task by, like "ENG-42" (external_key) */
const char *
astro_task_get_key (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_KEY];
}

const char *
astro_task_get_title (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_TITLE];
}

const char *
astro_task_get_status (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_STATUS];
}

const char *
astro_task_get_status_color (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_STATUS_COLOR];
}

/* 0 is "no priority", as on the server */
int
astro_task_get_priority (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), 0);
  return self->priority;
}

const char *
astro_task_get_assignee_id (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_ASSIGNEE_ID];
}

const char *
astro_task_get_updated_at (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_UPDATED_AT];
}

/* What a write made from this task expects the server to still have: the
 * version shown, or "" (no precondition) while a write of it is pending and
 * the version shown is this device's own. */
const char *
astro_task_get_expected_version (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), "");
  if (self->pending || self->text[PROP_UPDATED_AT] == NULL)
    return "";
  return self->text[PROP_UPDATED_AT];
}

/* The labels as the JSON text the server sent */
const char *
astro_task_get_labels (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_LABELS];
}

const char *
astro_task_get_organization_id (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_ORGANIZATION_ID];
}

const char *
astro_task_get_repository_id (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_REPOSITORY_ID];
}

const char *
astro_task_get_description (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_DESCRIPTION];
}

const char *
astro_task_get_external_url (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_EXTERNAL_URL];
}

const char *
astro_task_get_branch (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), NULL);
  return self->text[PROP_BRANCH];
}

gboolean
astro_task_get_pending (AstroTask *self)
{
  g_return_val_if_fail (ASTRO_IS_TASK (self), FALSE);
  return self->pending;
}

void
astro_task_set_pending (AstroTask *self,
                        gboolean   pending)
{
  g_return_if_fail (ASTRO_IS_TASK (self));

  pending = !!pending;
  if (pending == self->pending)
    return;

  self->pending = pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PENDING]);
}
