/* astro-window.c: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-window"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-settings.h"
#include "astro-organization-switcher.h"
#include "astro-repositories-page.h"
#include "astro-sign-in-page.h"
#include "astro-sync-button.h"
#include "astro-bench-probe.h"
#include "astro-tasks-page.h"
#include "astro-window.h"
#include "astro-workspaces-page.h"

struct _AstroWindow
{
  AdwApplicationWindow  parent_instance;

  AstroStore           *store;
  GSettings            *settings;
  gboolean              signing_in;
  gboolean              first_sync;   /* its tasks not listed yet */

  GtkStack             *stack;
  GtkStack             *title_stack;
  AdwToastOverlay      *toast_overlay;
  GtkInscription       *summary_label;
  guint                 summary_source;
  GCancellable         *summary_counting;
  gboolean              summary_again;    /* rows changed while counting */
  AstroTasksPage       *tasks_page;
  AstroRepositoriesPage *repositories_page;
  AstroWorkspacesPage  *workspaces_page;
  AstroOrganizationSwitcher *organization_switcher;
  AdwViewStack         *view_stack;
  AdwStatusPage        *error_page;
  AdwBin               *sign_in_bin;
  AstroSignInPage      *sign_in_page;  /* made when first shown */
  AstroSyncButton      *sync_button;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;

  AstroSyncEngine      *engine;
};

G_DEFINE_FINAL_TYPE (AstroWindow, astro_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

/*
 * Auxiliary methods
 */

static void
load_window_state (AstroWindow *self)
{
  if (self->settings == NULL)
    return;

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
save_window_state (AstroWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  /* the unmaximized size, so unmaximizing next time restores it */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
has_rows (AstroWindow  *self,
          const char   *table,
          GError      **error)
{
  return astro_store_has_rows (self->store, table, error);
}

/* Which page the window shows: cheap, it only asks whether tables are empty */
static void
update_page (AstroWindow *self)
{
  g_autoptr(GError) error = NULL;
  gboolean any_task, anything, syncing;

  if (self->store == NULL || self->signing_in)
    return;

  any_task = has_rows (self, "tasks", &error);
  anything = any_task || has_rows (self, "repositories", &error) || has_rows (self, "workspaces", &error);
  if (error != NULL)
    {
      astro_window_show_store_error (self, error);
      return;
    }

  /* The first sync: the pages at once, the Tasks page telling what has
   * arrived so far, table by table, until the tasks (the most rows by far)
   * are listed, a listing after the store has them. A team with nothing at
   * all gets the welcome once everything is synced. */
  syncing = self->engine != NULL && !astro_sync_engine_is_up_to_date (self->engine);
  self->first_sync = syncing && (!any_task || (self->first_sync &&
                                               !astro_tasks_page_get_has_tasks (self->tasks_page)));
  astro_tasks_page_set_first_sync (self->tasks_page, self->first_sync);

  if (self->first_sync)
    gtk_stack_set_visible_child_name (self->stack, "summary");
  else if (!anything)
    gtk_stack_set_visible_child_name (self->stack, "empty");
  else
    gtk_stack_set_visible_child_name (self->stack, "summary");
}

static void update_summary (AstroWindow *self);

static void
on_summary_counted_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(AstroWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) counts = NULL;
  g_autofree char *tasks = NULL;
  g_autofree char *repos = NULL;
  g_autofree char *workspaces = NULL;
  g_autofree char *description = NULL;
  int n_tasks, n_repos, n_workspaces;

  counts = astro_store_count_rows_finish (ASTRO_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->summary_counting);
  if (self->summary_again)
    update_summary (self);
  if (counts == NULL)
    {
      astro_window_show_store_error (self, error);
      return;
    }

  n_tasks = (int) g_array_index (counts, gint64, 0);
  n_repos = (int) g_array_index (counts, gint64, 1);
  n_workspaces = (int) g_array_index (counts, gint64, 2);
  tasks = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d task", "%d tasks", n_tasks), n_tasks);
  repos = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d repository", "%d repositories", n_repos), n_repos);
  workspaces = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d workspace", "%d workspaces", n_workspaces), n_workspaces);
  /* Translators: the three parts are "N tasks", "N repositories", "N workspaces" */
  description = g_strdup_printf (_("The local copy holds %s, %s and %s."), tasks, repos, workspaces);
  gtk_inscription_set_text (self->summary_label, description);
}

/* The footer's counts, at most a few times a second while batches arrive.
 * Counting 100,000 tasks takes milliseconds: on the worker, which the
 * probe caught in a 20 ms stall when it ran here. */
static gboolean
on_summary_timeout_cb (gpointer data)
{
  static const char * const tables[] = { "tasks", "repositories", "workspaces", NULL };
  AstroWindow *self = data;

  self->summary_source = 0;

  /* one count at a time: the worker may be listing 100,000 tasks first */
  if (self->summary_counting != NULL)
    {
      self->summary_again = TRUE;
      return G_SOURCE_REMOVE;
    }

  self->summary_again = FALSE;
  self->summary_counting = g_cancellable_new ();
  astro_store_count_rows_async (self->store, tables, self->summary_counting,
                                on_summary_counted_cb, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

/* The whole text, which a narrow window ellipsizes. Asked for, not set:
 * a new tooltip text makes GTK look for the pointer at once, a round trip
 * to the display server four times a second during a sync. */
static gboolean
on_summary_query_tooltip_cb (GtkWidget  *widget,
                             int         x,
                             int         y,
                             gboolean    keyboard_mode,
                             GtkTooltip *tooltip,
                             gpointer    user_data)
{
  const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (widget));

  if (text == NULL || text[0] == '\0')
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
update_summary (AstroWindow *self)
{
  update_page (self);

  if (self->store != NULL && !self->signing_in && self->summary_source == 0)
    {
      self->summary_source = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE, 250, on_summary_timeout_cb, self, NULL);
      g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->summary_source),
                                "[astro] window summary");
    }
}

/*
 * Signal callbacks
 */

/* The server cannot be reached (or refused us): say that what is shown is
 * the last synced state, and how old it is. */
static void
update_offline_banner (AstroWindow *self)
{
  AstroSyncStatus status;
  gint64 last = 0;
  g_autofree char *ago = NULL;
  g_autofree char *text = NULL;

  if (self->engine == NULL)
    {
      gtk_revealer_set_reveal_child (self->offline_revealer, FALSE);
      return;
    }

  status = astro_sync_engine_get_status (self->engine);
  if (status != ASTRO_SYNC_STATUS_ERROR && status != ASTRO_SYNC_STATUS_SIGNED_OUT)
    {
      gtk_revealer_set_reveal_child (self->offline_revealer, FALSE);
      return;
    }

  for (guint i = 0; i < astro_sync_engine_get_n_shapes (self->engine); i++)
    last = MAX (last, astro_sync_engine_get_shape (self->engine, i)->last_up_to_date);

  ago = astro_format_time_ago (last, g_get_real_time ());
  if (status == ASTRO_SYNC_STATUS_SIGNED_OUT)
    text = g_strdup_printf (_("Signed out: showing the data from the last sync (%s)"), ago);
  else if (last == 0)
    text = g_strdup (_("Offline: nothing has been synced yet"));
  else
    text = g_strdup_printf (_("Offline: showing the data from the last sync (%s)"), ago);

  gtk_label_set_text (self->offline_label, text);
  gtk_revealer_set_reveal_child (self->offline_revealer, TRUE);
}

static void
on_signed_in_cb (AstroWindow  *self,
                 AstroAccount *account)
{
  self->signing_in = FALSE;
  astro_window_refresh_account (self);
  update_summary (self);
  g_signal_emit (self, signals[SIGNED_IN], 0, account);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  adw_view_stack_set_visible_child_name (ASTRO_WINDOW (widget)->view_stack,
                                         g_variant_get_string (parameter, NULL));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  AstroWindow *self = ASTRO_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, "tasks");
  astro_tasks_page_focus_search (self->tasks_page);
}

/* A folder dropped on the window is opened like one given on the command line. */
/* The shortcuts window is built the first time it is asked for: GTK would
 * build it with every window, and a start has better things to do. */
static void
on_show_help_overlay_cb (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  GtkApplicationWindow *window = user_data;
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (window);

  if (overlay == NULL)
    {
      g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/dev/astrolabe/Astrolabe/astro-shortcuts-window.ui");

      overlay = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
      gtk_application_window_set_help_overlay (window, overlay);
    }

  gtk_window_present (GTK_WINDOW (overlay));
}

static gboolean
on_drop_cb (GtkDropTarget *target,
            const GValue  *value,
            double         x,
            double         y,
            AstroWindow   *self)
{
  GSList *files = g_value_get_boxed (value);
  g_autoptr(GPtrArray) folders = g_ptr_array_new ();

  for (GSList *l = files; l != NULL; l = l->next)
    g_ptr_array_add (folders, l->data);

  if (folders->len == 0)
    return FALSE;

  g_application_open (G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))),
                      (GFile **) folders->pdata, folders->len, "");
  return TRUE;
}

/* The pages' switcher only where the pages are: not on the welcome, the
 * first sync or an error. */
static void
on_stack_child_changed_cb (AstroWindow *self)
{
  g_autofree char *mark = g_strconcat ("page:", gtk_stack_get_visible_child_name (self->stack), NULL);

  astro_bench_probe_mark (mark);
  gtk_stack_set_visible_child_name (self->title_stack,
                                    g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "summary") == 0
                                    ? "switcher" : "title");
}

static void
on_organization_changed_cb (AstroWindow *self)
{
  const char *id = astro_organization_switcher_get_organization_id (self->organization_switcher);

  astro_tasks_page_set_organization (self->tasks_page, id);
  astro_workspaces_page_set_organization (self->workspaces_page, id);
  astro_repositories_page_set_organization (self->repositories_page, id);
}

static void
on_store_rows_changed_cb (AstroWindow      *self,
                          AstroRowsChanged *changes,
                          AstroStore       *store)
{
  update_summary (self);
}

static gboolean
astro_window_close_request (GtkWindow *window)
{
  save_window_state (ASTRO_WINDOW (window));

  return GTK_WINDOW_CLASS (astro_window_parent_class)->close_request (window);
}

/*
 * GObject overrides
 */

static void
astro_window_constructed (GObject *object)
{
  AstroWindow *self = (AstroWindow *) object;

  G_OBJECT_CLASS (astro_window_parent_class)->constructed (object);

  load_window_state (self);

  if (self->store != NULL)
    {
      g_signal_connect_object (self->store, "rows-changed",
                               G_CALLBACK (on_store_rows_changed_cb), self,
                               G_CONNECT_SWAPPED);
      /* The organization first: the task list is then listed once, for it,
       * not for every organization and again (twice the start-up's work). */
      astro_organization_switcher_set_store (self->organization_switcher, self->store);
      astro_tasks_page_set_organization (self->tasks_page,
                                         astro_organization_switcher_get_organization_id (self->organization_switcher));
      astro_tasks_page_set_store (self->tasks_page, self->store);
      astro_repositories_page_set_store (self->repositories_page, self->store);
      astro_workspaces_page_set_store (self->workspaces_page, self->store);
      g_signal_connect_object (self->organization_switcher, "notify::organization-id",
                               G_CALLBACK (on_organization_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->tasks_page, "notify::has-tasks",
                               G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
      on_organization_changed_cb (self);
      update_summary (self);
    }
}

static void
astro_window_dispose (GObject *object)
{
  AstroWindow *self = (AstroWindow *) object;

  g_clear_handle_id (&self->summary_source, g_source_remove);
  if (self->summary_counting != NULL)
    g_cancellable_cancel (self->summary_counting);
  g_clear_object (&self->summary_counting);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_WINDOW);

  G_OBJECT_CLASS (astro_window_parent_class)->dispose (object);
}

static void
astro_window_finalize (GObject *object)
{
  AstroWindow *self = (AstroWindow *) object;

  g_clear_object (&self->engine);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (astro_window_parent_class)->finalize (object);
}

static void
astro_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  AstroWindow *self = ASTRO_WINDOW (object);

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
astro_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  AstroWindow *self = ASTRO_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
astro_window_class_init (AstroWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = astro_window_constructed;
  object_class->dispose = astro_window_dispose;
  object_class->finalize = astro_window_finalize;
  object_class->set_property = astro_window_set_property;
  object_class->get_property = astro_window_get_property;

  window_class->close_request = astro_window_close_request;

  properties [PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         ASTRO_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Someone signed in on the welcome page: time to sync. */
  signals [SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ASTRO_TYPE_ACCOUNT);

  g_type_ensure (ASTRO_TYPE_SYNC_BUTTON);
  g_type_ensure (ASTRO_TYPE_TASKS_PAGE);
  g_type_ensure (ASTRO_TYPE_REPOSITORIES_PAGE);
  g_type_ensure (ASTRO_TYPE_WORKSPACES_PAGE);
  g_type_ensure (ASTRO_TYPE_ORGANIZATION_SWITCHER);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_CONTROL_MASK, "win.show-page", "s", "tasks");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_CONTROL_MASK, "win.show-page", "s", "repositories");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_CONTROL_MASK, "win.show-page", "s", "workspaces");

  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, title_stack);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, summary_label);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, tasks_page);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, repositories_page);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, workspaces_page);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, organization_switcher);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, sign_in_bin);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, sync_button);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, AstroWindow, offline_label);
}

static void
astro_window_init (AstroWindow *self)
{
  static const GActionEntry actions[] = {
    { "show-help-overlay", on_show_help_overlay_cb },
  };
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);

  g_signal_connect_object (self->stack, "notify::visible-child-name",
                           G_CALLBACK (on_stack_child_changed_cb), self, G_CONNECT_SWAPPED);
  on_stack_child_changed_cb (self);

  gtk_widget_set_has_tooltip (GTK_WIDGET (self->summary_label), TRUE);
  g_signal_connect (self->summary_label, "query-tooltip", G_CALLBACK (on_summary_query_tooltip_cb), NULL);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (on_drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  self->settings = astro_settings_new_if_installed ("window size will not be kept");
}

/*
 * Public API
 */

AstroWindow *
astro_window_new (GtkApplication *application,
                  AstroStore     *store)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (store == NULL || ASTRO_IS_STORE (store), NULL);

  return g_object_new (ASTRO_TYPE_WINDOW,
                       "application", application,
                       "store", store,
                       NULL);
}

void
astro_window_show_toast (AstroWindow *self,
                         const char  *message)
{
  g_return_if_fail (ASTRO_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

/* Stays until dismissed: for what the user must not miss. */
void
astro_window_show_lasting_toast (AstroWindow *self,
                                 const char  *message)
{
  AdwToast *toast;

  g_return_if_fail (ASTRO_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A toast made by the caller, with its button and action. */
void
astro_window_add_toast (AstroWindow *self,
                        AdwToast    *toast)
{
  g_return_if_fail (ASTRO_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
astro_window_show_store_error (AstroWindow  *self,
                               const GError *error)
{
  g_return_if_fail (ASTRO_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  adw_status_page_set_description (self->error_page, error->message);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

/* Not signed in yet: the welcome page, with the server filled in if known. */
void
astro_window_show_sign_in (AstroWindow *self,
                           const char  *server_url)
{
  g_return_if_fail (ASTRO_IS_WINDOW (self));

  if (self->store == NULL)
    return;

  self->signing_in = TRUE;
  if (self->sign_in_page == NULL)
    {
      self->sign_in_page = g_object_new (ASTRO_TYPE_SIGN_IN_PAGE, NULL);
      g_signal_connect_object (self->sign_in_page, "signed-in", G_CALLBACK (on_signed_in_cb),
                               self, G_CONNECT_SWAPPED);
      adw_bin_set_child (self->sign_in_bin, GTK_WIDGET (self->sign_in_page));
    }
  astro_sign_in_page_set_store (self->sign_in_page, self->store);
  astro_sign_in_page_set_server (self->sign_in_page, server_url);
  gtk_stack_set_visible_child_name (self->stack, "sign-in");
}

/* Whose tasks and workspaces are "mine" is known, or changed: a personal
 * token in ASTROLABE_TOKEN only tells after the sync has started. */
void
astro_window_refresh_account (AstroWindow *self)
{
  g_return_if_fail (ASTRO_IS_WINDOW (self));

  astro_workspaces_page_refresh_account (self->workspaces_page);
  astro_tasks_page_refresh_account (self->tasks_page);
}

void
astro_window_set_engine (AstroWindow     *self,
                         AstroSyncEngine *engine)
{
  g_return_if_fail (ASTRO_IS_WINDOW (self));
  g_return_if_fail (engine == NULL || ASTRO_IS_SYNC_ENGINE (engine));

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_set_object (&self->engine, engine);

  if (engine != NULL)
    {
      g_signal_connect_object (engine, "notify::status", G_CALLBACK (update_offline_banner),
                               self, G_CONNECT_SWAPPED);
      /* the first sync ends: the pages, or the welcome if the team has nothing */
      g_signal_connect_object (engine, "notify::up-to-date", G_CALLBACK (update_summary),
                               self, G_CONNECT_SWAPPED);
    }

  astro_sync_button_set_engine (self->sync_button, engine);
  astro_tasks_page_set_engine (self->tasks_page, engine);
  update_offline_banner (self);
  update_summary (self);
}
