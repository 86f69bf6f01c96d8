/* astro-tasks-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list is a GtkListView over AstroTaskListModel, which keeps only ids and
 * filters and sorts in SQL: 100,000 tasks cost one row widget per visible
 * line. Switching organization (the window's switcher) or searching only
 * changes the model's filter.
 */
#define G_LOG_DOMAIN "astro-tasks-page"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-account.h"
#include "astro-sync-progress.h"
#include "astro-task-detail.h"
#include "astro-task-list-model.h"
#include "astro-task-row.h"
#include "astro-tasks-page.h"

struct _AstroTasksPage
{
  AdwBin              parent_instance;

  AstroStore         *store;
  AstroTaskListModel *model;
  AstroTaskContext   *context;            /* the rows' */
  char               *organization_id;  /* the window's switcher's; NULL: all */
  char               *search;
  AstroTask          *shown;              /* the detail's */
  guint               reselect_source;

  AdwLeaflet         *leaflet;
  AdwBin             *detail_bin;
  AstroTaskDetail    *detail;             /* made when a task is first shown */
  GtkWidget          *separator;
  GtkDropDown        *status_dropdown;
  GtkDropDown        *priority_dropdown;
  GtkDropDown        *assignee_dropdown;
  GtkDropDown        *sort_dropdown;
  GtkSearchEntry     *search_entry;
  GtkStack           *stack;
  GtkListView        *list_view;
  AdwStatusPage      *empty_page;
  AstroSyncProgress  *sync_progress;

  gboolean            has_tasks;
  gboolean            first_sync;
  gboolean            me_unknown;     /* "Assigned to Me" with no account user */
};

G_DEFINE_FINAL_TYPE (AstroTasksPage, astro_tasks_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_HAS_TASKS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/*
 * Auxiliary methods
 */

static void
update_empty_state (AstroTasksPage *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->model)) == 0;

  if (self->search != NULL && self->search[0] != '\0')
    adw_status_page_set_description (self->empty_page, _("No task’s key or title matches the search"));
  else if (self->me_unknown)
    /* an access token in ASTROLABE_TOKEN does not say whose it is */
    adw_status_page_set_description (self->empty_page,
                                     _("Whose tasks are yours is not known: sign in, or set a personal "
                                       "access token in ASTROLABE_TOKEN"));
  else if (gtk_drop_down_get_selected (self->status_dropdown) != 0 ||
           gtk_drop_down_get_selected (self->priority_dropdown) != 0 ||
           gtk_drop_down_get_selected (self->assignee_dropdown) != 0)
    adw_status_page_set_description (self->empty_page, _("No task matches these filters"));
  else
    adw_status_page_set_description (self->empty_page, _("This organization has no tasks yet"));

  if (empty && self->first_sync)
    gtk_stack_set_visible_child_name (self->stack, "syncing");
  else
    gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "list");
}

/* Status values as the team API defines them, in the drop-down's order
 * (their labels are translated, these are not). */
static const char * const statuses[] = {
  NULL, "Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled",
};

static void
apply_filter (AstroTasksPage *self)
{
  AstroTaskFilter filter = ASTRO_TASK_FILTER_INIT;
  guint status = gtk_drop_down_get_selected (self->status_dropdown);
  guint priority = gtk_drop_down_get_selected (self->priority_dropdown);
  guint assignee = gtk_drop_down_get_selected (self->assignee_dropdown);
  g_autofree char *me = NULL;

  if (self->model == NULL)
    return;

  filter.organization_id = self->organization_id;
  filter.search = self->search;
  filter.status = status < G_N_ELEMENTS (statuses) ? statuses[status] : NULL;
  /* "No Priority" is 0; Urgent 1 … Low 4 */
  filter.priority = priority >= 1 && priority <= 5 ? (int) priority - 1 : -1;
  if (assignee == 1)
    {
      me = astro_store_get_setting (self->store, ASTRO_SETTING_ACCOUNT_USER);
      filter.assignee_id = me != NULL ? me : "-";
    }
  else if (assignee == 2)
    filter.assignee_id = "";
  self->me_unknown = assignee == 1 && me == NULL;
  filter.sort = gtk_drop_down_get_selected (self->sort_dropdown) == 1
    ? ASTRO_TASK_SORT_UPDATED : ASTRO_TASK_SORT_STATUS;

  astro_task_list_model_set_filter (self->model, &filter);
  update_empty_state (self);
}

/*
 * Signal callbacks
 */

static void
on_search_changed_cb (AstroTasksPage *self)
{
  g_free (self->search);
  self->search = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  apply_filter (self);
}

static void
on_filter_changed_cb (AstroTasksPage *self)
{
  apply_filter (self);
}

static void
on_items_changed_cb (AstroTasksPage *self)
{
  gboolean has_tasks = g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0;

  update_empty_state (self);
  if (has_tasks != self->has_tasks)
    {
      self->has_tasks = has_tasks;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_HAS_TASKS]);
    }
}

static GtkSingleSelection *
get_selection (AstroTasksPage *self)
{
  return GTK_SINGLE_SELECTION (gtk_list_view_get_model (self->list_view));
}

/* The detail is there only while a task is shown: the list then has the
 * whole width, and a layout caused by the list changing (many a second
 * during a sync) does not measure a pane that shows nothing. */
static void
show_task (AstroTasksPage *self,
           AstroTask      *task)
{
  g_set_object (&self->shown, task);
  if (self->detail == NULL && task != NULL)
    {
      self->detail = g_object_new (ASTRO_TYPE_TASK_DETAIL, NULL);
      if (self->store != NULL)
        astro_task_detail_set_store (self->detail, self->store);
      adw_bin_set_child (self->detail_bin, GTK_WIDGET (self->detail));
    }
  if (self->detail != NULL)
    astro_task_detail_set_task (self->detail, task);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_bin), task != NULL);
  gtk_widget_set_visible (self->separator, task != NULL);
}

/* The list settled after the shown task left its place: select it where it
 * is now, or let the detail go if it is gone (filtered out, deleted). */
static gboolean
on_reselect_cb (gpointer data)
{
  AstroTasksPage *self = data;
  GtkSingleSelection *selection = get_selection (self);
  guint position;

  self->reselect_source = 0;
  if (self->shown == NULL || gtk_single_selection_get_selected_item (selection) != NULL)
    return G_SOURCE_REMOVE;

  if (astro_task_list_model_find (self->model, astro_task_get_id (self->shown), &position))
    gtk_single_selection_set_selected (selection, position);
  else
    show_task (self, NULL);

  return G_SOURCE_REMOVE;
}

/* The detail beside the list, or over it on a narrow window. */
static void
on_selected_cb (AstroTasksPage     *self,
                GParamSpec         *pspec,
                GtkSingleSelection *selection)
{
  AstroTask *task = gtk_single_selection_get_selected_item (selection);

  /* A change of the shown task re-sorts the list: the model takes the task
   * out and puts it back elsewhere, which unselects it. The detail stays
   * (its drop-down may still be open), and the task is selected again. */
  if (task == NULL && self->shown != NULL)
    {
      if (self->reselect_source == 0)
        self->reselect_source = g_idle_add (on_reselect_cb, self);
      return;
    }

  show_task (self, task);
  if (task != NULL && adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
on_setup_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             AstroTasksPage           *self)
{
  gtk_list_item_set_child (item, astro_task_row_new (self->context));
}

static void
on_bind_cb (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            AstroTasksPage           *self)
{
  astro_task_row_set_task (ASTRO_TASK_ROW (gtk_list_item_get_child (item)),
                           gtk_list_item_get_item (item));
}

static void
on_unbind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              AstroTasksPage           *self)
{
  astro_task_row_set_task (ASTRO_TASK_ROW (gtk_list_item_get_child (item)), NULL);
}

/*
 * GObject overrides
 */

static void
astro_tasks_page_dispose (GObject *object)
{
  AstroTasksPage *self = ASTRO_TASKS_PAGE (object);

  g_clear_handle_id (&self->reselect_source, g_source_remove);
  g_clear_object (&self->shown);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_TASKS_PAGE);
  g_clear_object (&self->model);
  g_clear_object (&self->context);
  g_clear_object (&self->store);
  g_clear_pointer (&self->organization_id, g_free);
  g_clear_pointer (&self->search, g_free);

  G_OBJECT_CLASS (astro_tasks_page_parent_class)->dispose (object);
}

static void
astro_tasks_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  AstroTasksPage *self = ASTRO_TASKS_PAGE (object);

  switch (prop_id)
    {
    case PROP_HAS_TASKS:
      g_value_set_boolean (value, self->has_tasks);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_tasks_page_class_init (AstroTasksPageClass *klass)
{

  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_tasks_page_dispose;
  object_class->get_property = astro_tasks_page_get_property;

  /**
   * AstroTasksPage:has-tasks:
   *
   * Whether the list shows any task: it follows the store a listing later.
   */
  properties [PROP_HAS_TASKS] =
    g_param_spec_boolean ("has-tasks", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ASTRO_TYPE_SYNC_PROGRESS);
  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-tasks-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, detail_bin);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, separator);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, priority_dropdown);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, assignee_dropdown);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, stack);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, AstroTasksPage, sync_progress);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed_cb);
}

static void
astro_tasks_page_init (AstroTasksPage *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  {
    GtkDropDown *filters[] = { self->status_dropdown, self->priority_dropdown,
                               self->assignee_dropdown, self->sort_dropdown };

    for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
      g_signal_connect_object (filters[i], "notify::selected",
                               G_CALLBACK (on_filter_changed_cb), self, G_CONNECT_SWAPPED);
  }


  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (on_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (on_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_unbind_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
}

/*
 * Public API
 */

void
astro_tasks_page_set_store (AstroTasksPage *self,
                            AstroStore     *store)
{
  AstroTaskFilter filter = ASTRO_TASK_FILTER_INIT;
  g_autoptr(GtkSingleSelection) selection = NULL;

  g_return_if_fail (ASTRO_IS_TASKS_PAGE (self));
  g_return_if_fail (ASTRO_IS_STORE (store));
  g_return_if_fail (self->store == NULL);

  self->store = g_object_ref (store);
  self->context = astro_task_context_new (store);

  filter.organization_id = self->organization_id;
  self->model = astro_task_list_model_new (store, &filter);
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (on_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_object (selection, "notify::selected-item", G_CALLBACK (on_selected_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  apply_filter (self);
  on_items_changed_cb (self);
}

/* NULL shows every organization's tasks (none is known yet). */
void
astro_tasks_page_set_organization (AstroTasksPage *self,
                                   const char     *organization_id)
{
  g_return_if_fail (ASTRO_IS_TASKS_PAGE (self));

  if (g_strcmp0 (organization_id, self->organization_id) == 0)
    return;

  g_free (self->organization_id);
  self->organization_id = g_strdup (organization_id);
  apply_filter (self);
}

void
astro_tasks_page_focus_search (AstroTasksPage *self)
{
  g_return_if_fail (ASTRO_IS_TASKS_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* Whose tasks are "mine" is known, or changed */
void
astro_tasks_page_refresh_account (AstroTasksPage *self)
{
  g_return_if_fail (ASTRO_IS_TASKS_PAGE (self));

  if (gtk_drop_down_get_selected (self->assignee_dropdown) == 1)
    apply_filter (self);
}

gboolean
astro_tasks_page_get_has_tasks (AstroTasksPage *self)
{
  g_return_val_if_fail (ASTRO_IS_TASKS_PAGE (self), FALSE);

  return self->has_tasks;
}

/* The engine whose first sync the page shows while it has no task */
void
astro_tasks_page_set_engine (AstroTasksPage  *self,
                             AstroSyncEngine *engine)
{
  g_return_if_fail (ASTRO_IS_TASKS_PAGE (self));

  astro_sync_progress_set_engine (self->sync_progress, engine);
}

/* The window's: whether the first sync runs and its tasks are not listed
 * yet. An empty list then shows the sync's progress, not "No Tasks". */
void
astro_tasks_page_set_first_sync (AstroTasksPage *self,
                                 gboolean        first_sync)
{
  g_return_if_fail (ASTRO_IS_TASKS_PAGE (self));

  first_sync = !!first_sync;
  if (first_sync == self->first_sync)
    return;

  self->first_sync = first_sync;
  if (self->model != NULL)
    update_empty_state (self);
}
