/* astro-task-detail.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The workspaces on the task, across the team, are a GListStore bound to a
 * boxed list; it is refilled when the store says workspaces changed, and
 * redrawn every minute so "active 2 minutes ago" stays true on its own.
 *
 * Changes made here (status, priority, assignee, a new workspace, a pull
 * request) are the application's actions (astro-application-writes.c):
 * they go through the outbox, and the store's overlay brings them back
 * here and to the list at once, marked "Saving…" until the server has them.
 */
#define G_LOG_DOMAIN "astro-task-detail"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "astro-account.h"
#include "astro-task-detail.h"
#include "astro-this-device.h"
#include "astro-workspace.h"
#include "astro-write-values.h"

struct _AstroTaskDetail
{
  AdwBin          parent_instance;

  AstroStore     *store;
  AstroTask      *task;
  GSignalGroup   *task_signals;
  GListStore     *workspaces;
  GPtrArray      *assignee_ids;     /* [0] NULL: unassigned */
  char           *assignees_for;    /* the organization they were listed for */
  guint           presence_timeout;
  gboolean        updating;         /* the drop-downs follow the task: no write */

  GtkStack       *stack;
  GtkLabel       *key_label;
  GtkLabel       *pending_label;
  GtkLabel       *title_label;
  GtkDropDown    *status_dropdown;
  GtkDropDown    *priority_dropdown;
  GtkDropDown    *assignee_dropdown;
  GtkLabel       *facts_label;
  GtkLinkButton  *external_button;
  GtkLabel       *description_label;
  GtkButton      *start_button;
  GtkLabel       *start_hint;
  GtkListBox     *workspaces_list;
};

G_DEFINE_FINAL_TYPE (AstroTaskDetail, astro_task_detail, ADW_TYPE_BIN)

/* Status values as the team API defines them, in the drop-down's order
 * (their labels are translated, these are not). */
static const char * const statuses[] = {
  "Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled",
};

/*
 * Auxiliary methods
 */

static char *
user_name (AstroTaskDetail *self,
           const char      *user_id)
{
  return self->store != NULL ? astro_store_dup_user_name (self->store, user_id) : NULL;
}

/* labels is a JSON array of strings */
static char *
join_labels (const char *labels)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *array;

  if (labels == NULL || !json_parser_load_from_data (parser, labels, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;

  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_string_append_printf (text, "%s%s", text->len ? ", " : "", json_node_get_string (node));
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static GtkWidget *
pending_marker (void)
{
  GtkWidget *label = gtk_label_new (_("Saving…"));

  gtk_widget_set_tooltip_text (label, _("Waiting for the server to confirm this change"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  return label;
}

/* The actions on one workspace, for its "more" menu */
static GMenuModel *
workspace_menu (AstroRow *row)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) item = NULL;
  const char *id = astro_row_get_id (row);

  item = g_menu_item_new (_("Set _Pull Request…"), NULL);
  g_menu_item_set_action_and_target_value (item, "detail.set-pr", g_variant_new_string (id));
  g_menu_append_item (menu, item);
  g_clear_object (&item);

  if (g_strcmp0 (astro_row_get (row, "status"), "archived") != 0)
    {
      item = g_menu_item_new (_("_Archive"), NULL);
      g_menu_item_set_action_and_target_value (item, "app.workspace-archive", g_variant_new_string (id));
      g_menu_append_item (menu, item);
      g_clear_object (&item);
    }

  item = g_menu_item_new (_("_Delete…"), NULL);
  g_menu_item_set_action_and_target_value (item, "detail.delete-workspace", g_variant_new_string (id));
  g_menu_append_item (menu, item);

  return G_MENU_MODEL (g_steal_pointer (&menu));
}

static GtkWidget *
create_workspace_row (gpointer item,
                      gpointer user_data)
{
  AstroTaskDetail *self = user_data;
  AstroWorkspace *workspace = item;
  AstroRow *row = astro_workspace_get_row (workspace);
  g_autofree char *owner = user_name (self, astro_row_get (row, "owner_id"));
  g_autofree char *presence = astro_workspace_describe_presence (workspace, g_get_real_time ());
  g_autofree char *git = astro_workspace_describe_git (workspace);
  g_autofree char *pr = astro_workspace_describe_pr (workspace);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *device = astro_store_dup_device_name (self->store);
  g_autoptr(GMenuModel) menu = workspace_menu (row);
  GtkWidget *widget = adw_action_row_new ();
  GtkWidget *more;

  /* Translators: a device and the person working on it, "laptop — Ada" */
  title = g_strdup_printf (_("%s — %s"),
                           astro_row_get (row, "device_name") ? astro_row_get (row, "device_name") : _("Unknown device"),
                           owner != NULL ? owner : _("someone"));
  subtitle = pr != NULL ? g_strdup_printf ("%s · %s · %s", presence, git, pr)
                        : g_strdup_printf ("%s · %s", presence, git);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (widget), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (widget), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (widget), subtitle);

  if (astro_store_row_is_pending (self->store, "workspaces", astro_row_get_id (row)))
    adw_action_row_add_suffix (ADW_ACTION_ROW (widget), pending_marker ());

  /* its folder, when it is on this machine */
  if (g_strcmp0 (astro_row_get (row, "device_name"), device) == 0)
    {
      g_autoptr(AstroLocalRepo) checkout = astro_this_device_find_checkout (self->store,
                                                                            astro_row_get (row, "repository_id"),
                                                                            NULL);

      if (checkout != NULL)
        {
          GtkWidget *open = gtk_button_new_from_icon_name ("folder-open-symbolic");

          gtk_widget_set_tooltip_text (open, _("Open Folder"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (open), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          _("Open Folder"), -1);
          gtk_widget_set_valign (open, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (open, "flat");
          gtk_actionable_set_action_name (GTK_ACTIONABLE (open), "app.show-folder");
          gtk_actionable_set_action_target_value (GTK_ACTIONABLE (open), g_variant_new_string (checkout->path));
          adw_action_row_add_suffix (ADW_ACTION_ROW (widget), open);
        }
    }

  more = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (more), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (more), menu);
  gtk_widget_set_tooltip_text (more, _("Workspace Actions"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (more), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Workspace Actions"), -1);
  gtk_widget_set_valign (more, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (more, "flat");
  adw_action_row_add_suffix (ADW_ACTION_ROW (widget), more);

  return widget;
}

/* "Start Workspace" needs a linked folder of the task's repository (or of
 * another of its organization's) and no workspace of ours on it here yet. */
static void
update_start (AstroTaskDetail *self)
{
  g_autoptr(AstroLocalRepo) checkout = NULL;
  g_autoptr(AstroRow) repository = NULL;
  g_autofree char *device = NULL;
  g_autofree char *me = NULL;
  g_autofree char *hint = NULL;
  gboolean here = FALSE;

  if (self->task == NULL || self->store == NULL)
    return;

  checkout = astro_this_device_find_checkout (self->store, astro_task_get_repository_id (self->task),
                                              astro_task_get_organization_id (self->task));
  device = astro_store_dup_device_name (self->store);
  me = astro_store_get_setting (self->store, ASTRO_SETTING_ACCOUNT_USER);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->workspaces)) && !here; i++)
    {
      g_autoptr(AstroWorkspace) workspace = g_list_model_get_item (G_LIST_MODEL (self->workspaces), i);

      here = astro_this_device_owns_workspace (astro_workspace_get_row (workspace), device, me);
    }

  if (checkout == NULL)
    {
      repository = astro_task_get_repository_id (self->task) != NULL
        ? astro_store_get_row (self->store, "repositories", astro_task_get_repository_id (self->task), NULL)
        : NULL;
      if (repository != NULL && astro_row_get (repository, "name") != NULL)
        hint = g_strdup_printf (_("Open a folder of %s on this computer to start working on this task here."),
                                astro_row_get (repository, "name"));
      else
        hint = g_strdup (_("Open a folder of one of this organization’s repositories on this computer "
                           "to start working on this task here."));
    }
  else if (here)
    hint = g_strdup_printf (_("You work on this task on this computer (%s)."), device);
  else if (g_strcmp0 (checkout->repository_id, astro_task_get_repository_id (self->task)) != 0)
    {
      repository = astro_store_get_row (self->store, "repositories", checkout->repository_id, NULL);
      hint = g_strdup_printf (_("The workspace will be in %s, the folder of this organization opened last."),
                              repository != NULL && astro_row_get (repository, "name") != NULL
                                ? astro_row_get (repository, "name") : checkout->path);
    }

  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->start_button),
                                          g_variant_new_string (astro_task_get_id (self->task)));
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), checkout != NULL && !here);
  gtk_label_set_text (self->start_hint, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->start_hint), hint != NULL);
}

static void
fill_workspaces (AstroTaskDetail *self)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->task != NULL && self->store != NULL)
    rows = astro_store_list_rows (self->store, "workspaces", "task_id", astro_task_get_id (self->task), NULL);

  for (guint i = 0; rows != NULL && i < rows->len; i++)
    g_ptr_array_add (items, astro_workspace_new (g_ptr_array_index (rows, i)));

  g_list_store_splice (self->workspaces, 0, g_list_model_get_n_items (G_LIST_MODEL (self->workspaces)),
                       items->pdata, items->len);
  update_start (self);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_utf8_collate (((const char * const *) a)[0], ((const char * const *) b)[0]);
}

/* The organization's members, by name, after "Unassigned" */
static void
fill_assignees (AstroTaskDetail *self)
{
  const char *organization = astro_task_get_organization_id (self->task);
  g_autoptr(GPtrArray) members = NULL;
  g_autoptr(GArray) people = g_array_new (FALSE, FALSE, sizeof (char *) * 2);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  if (self->store == NULL || (self->assignees_for != NULL && g_strcmp0 (self->assignees_for, organization) == 0))
    return;

  g_free (self->assignees_for);
  self->assignees_for = g_strdup (organization);

  if (organization != NULL)
    members = astro_store_list_rows (self->store, "organization_members", "organization_id", organization, NULL);
  for (guint i = 0; members != NULL && i < members->len; i++)
    {
      const char *id = astro_row_get (g_ptr_array_index (members, i), "user_id");
      char *person[2];

      if (id == NULL)
        continue;
      person[0] = user_name (self, id);
      if (person[0] == NULL)
        person[0] = g_strdup (id);
      person[1] = g_strdup (id);
      g_array_append_val (people, person);
    }
  g_array_sort (people, compare_names);

  gtk_string_list_append (names, _("Unassigned"));
  g_ptr_array_add (ids, NULL);
  for (guint i = 0; i < people->len; i++)
    {
      char **person = &g_array_index (people, char *, i * 2);

      gtk_string_list_append (names, person[0]);
      g_ptr_array_add (ids, person[1]);
      g_free (person[0]);
    }

  g_clear_pointer (&self->assignee_ids, g_ptr_array_unref);
  self->assignee_ids = g_steal_pointer (&ids);
  gtk_drop_down_set_model (self->assignee_dropdown, G_LIST_MODEL (names));
}

static guint
assignee_position (AstroTaskDetail *self,
                   const char      *assignee_id)
{
  for (guint i = 0; self->assignee_ids != NULL && i < self->assignee_ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->assignee_ids, i), assignee_id) == 0)
      return i;

  return GTK_INVALID_LIST_POSITION;
}

static guint
status_position (const char *status)
{
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    if (g_strcmp0 (statuses[i], status) == 0)
      return i;

  return GTK_INVALID_LIST_POSITION;
}

static void
update (AstroTaskDetail *self)
{
  g_autofree char *labels = NULL;
  g_autoptr(GString) facts = g_string_new (NULL);
  const char *url;
  int priority;

  if (self->task == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }

  gtk_label_set_text (self->key_label, astro_task_get_key (self->task) ? astro_task_get_key (self->task) : "");
  gtk_label_set_text (self->title_label, astro_task_get_title (self->task) ? astro_task_get_title (self->task) : "");
  /* the text too: assistive technologies keep a hidden label's name */
  gtk_label_set_text (self->pending_label, astro_task_get_pending (self->task) ? _("Saving…") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->pending_label), astro_task_get_pending (self->task));

  priority = astro_task_get_priority (self->task);
  self->updating = TRUE;
  fill_assignees (self);  /* a new model selects its first item */
  gtk_drop_down_set_selected (self->status_dropdown, status_position (astro_task_get_status (self->task)));
  gtk_drop_down_set_selected (self->priority_dropdown,
                              priority >= 0 && priority <= 4 ? (guint) priority : GTK_INVALID_LIST_POSITION);
  gtk_drop_down_set_selected (self->assignee_dropdown, assignee_position (self, astro_task_get_assignee_id (self->task)));
  self->updating = FALSE;

  labels = join_labels (astro_task_get_labels (self->task));
  if (labels != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (labels, -1);
      g_string_append (facts, escaped);
    }
  if (astro_task_get_branch (self->task) != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (astro_task_get_branch (self->task), -1);
      g_string_append_printf (facts, "%s<tt>%s</tt>", facts->len ? "\n" : "", escaped);
    }
  gtk_label_set_markup (self->facts_label, facts->str);
  gtk_widget_set_visible (GTK_WIDGET (self->facts_label), facts->len > 0);

  url = astro_task_get_external_url (self->task);
  gtk_widget_set_visible (GTK_WIDGET (self->external_button),
                          url != NULL && (g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://")));
  if (url != NULL)
    gtk_link_button_set_uri (self->external_button, url);

  gtk_label_set_text (self->description_label,
                      astro_task_get_description (self->task) ? astro_task_get_description (self->task)
                                                              : _("No description."));
  gtk_stack_set_visible_child_name (self->stack, "task");
}

/* A drop-down changed by hand: the application writes it. */
static void
write_field (AstroTaskDetail *self,
             const char      *column,
             const char      *value)
{
  if (self->updating || self->task == NULL)
    return;

  if (!gtk_widget_activate_action (GTK_WIDGET (self), "app.task-set", "(sssss)",
                                   astro_task_get_id (self->task),
                                   astro_task_get_organization_id (self->task),
                                   astro_task_get_expected_version (self->task),
                                   column, value != NULL ? value : ""))
    update (self);  /* nobody to write it (signed out): show the task as it is */
}

/*
 * Signal callbacks
 */

static void
on_status_selected_cb (AstroTaskDetail *self)
{
  guint selected = gtk_drop_down_get_selected (self->status_dropdown);

  if (selected < G_N_ELEMENTS (statuses) && self->task != NULL &&
      g_strcmp0 (statuses[selected], astro_task_get_status (self->task)) != 0)
    write_field (self, "status", statuses[selected]);
}

static void
on_priority_selected_cb (AstroTaskDetail *self)
{
  guint selected = gtk_drop_down_get_selected (self->priority_dropdown);
  char value[2] = { 0, };

  if (selected > 4 || self->task == NULL || (int) selected == astro_task_get_priority (self->task))
    return;

  value[0] = (char) ('0' + selected);
  write_field (self, "priority", value);
}

static void
on_assignee_selected_cb (AstroTaskDetail *self)
{
  guint selected = gtk_drop_down_get_selected (self->assignee_dropdown);
  const char *id;

  if (self->assignee_ids == NULL || selected >= self->assignee_ids->len || self->task == NULL)
    return;

  id = g_ptr_array_index (self->assignee_ids, selected);
  if (g_strcmp0 (id, astro_task_get_assignee_id (self->task)) != 0)
    write_field (self, "assignee_id", id);
}

static void
on_workspaces_changed_cb (AstroTaskDetail  *self,
                          AstroRowsChanged *changes)
{
  fill_workspaces (self);
}

/* A folder linked or unlinked: work may start here now, or no longer;
 * folders to open come and go. */
static void
on_local_repos_changed_cb (AstroTaskDetail  *self,
                           AstroRowsChanged *changes)
{
  fill_workspaces (self);
}

static void
on_members_changed_cb (AstroTaskDetail  *self,
                       AstroRowsChanged *changes)
{
  g_clear_pointer (&self->assignees_for, g_free);
  if (self->task != NULL)
    update (self);
}

static gboolean
on_presence_timeout_cb (gpointer data)
{
  AstroTaskDetail *self = data;

  /* rebind the rows so their "active … ago" is recomputed */
  fill_workspaces (self);
  return G_SOURCE_CONTINUE;
}

/* Set Pull Request…: the URL is checked as it is typed; "Set" waits for a
 * good one, and says what a good one looks like. */
static void
on_pr_url_changed_cb (GtkEditable      *entry,
                      AdwMessageDialog *dialog)
{
  GtkWidget *error_label = g_object_get_data (G_OBJECT (dialog), "error-label");
  const char *url = gtk_editable_get_text (entry);
  g_autofree char *stripped = g_strstrip (g_strdup (url));
  gboolean valid = astro_write_parse_pr_url (stripped) != 0;

  adw_message_dialog_set_response_enabled (dialog, "set", valid);
  gtk_widget_set_visible (error_label, !valid && url[0] != '\0');
  if (valid)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else if (url[0] != '\0')
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

static void
on_pr_entry_activate_cb (GtkEntry         *entry,
                         AdwMessageDialog *dialog)
{
  if (adw_message_dialog_get_response_enabled (dialog, "set"))
    adw_message_dialog_response (dialog, "set");
}

static void
on_pr_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   AstroTaskDetail  *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  const char *workspace_id = g_object_get_data (G_OBJECT (dialog), "workspace-id");
  g_autofree char *url = NULL;

  if (!g_str_equal (response, "set"))
    return;

  url = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  gtk_widget_activate_action (GTK_WIDGET (self), "app.workspace-set-pr", "(ss)", workspace_id, url);
}

static void
set_pr_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  AstroTaskDetail *self = ASTRO_TASK_DETAIL (widget);
  g_autoptr(AstroRow) row = astro_store_get_row (self->store, "workspaces", g_variant_get_string (parameter, NULL), NULL);
  GtkWidget *dialog, *box, *entry, *error_label;

  if (row == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), _("Set Pull Request"),
                                   _("Paste the address of the pull or merge request of this workspace."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "https://github.com/owner/repository/pull/12");
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_URL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Pull Request Address"), -1);
  if (astro_row_get (row, "pr_url") != NULL)
    gtk_editable_set_text (GTK_EDITABLE (entry), astro_row_get (row, "pr_url"));
  error_label = gtk_label_new (_("Not a pull or merge request address: it ends in /pull/N (GitHub), "
                                 "/-/merge_requests/N (GitLab) or /pull-requests/N (Bitbucket)"));
  gtk_label_set_wrap (GTK_LABEL (error_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (error_label), 0);
  gtk_widget_add_css_class (error_label, "error");
  gtk_widget_add_css_class (error_label, "caption");
  gtk_widget_set_visible (error_label, FALSE);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), error_label);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "set", _("_Set"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "set", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "set");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data (G_OBJECT (dialog), "error-label", error_label);
  g_object_set_data_full (G_OBJECT (dialog), "workspace-id", g_strdup (astro_row_get_id (row)), g_free);
  g_signal_connect (entry, "changed", G_CALLBACK (on_pr_url_changed_cb), dialog);
  g_signal_connect (entry, "activate", G_CALLBACK (on_pr_entry_activate_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_pr_response_cb), self, 0);
  on_pr_url_changed_cb (GTK_EDITABLE (entry), ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_delete_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       AstroTaskDetail  *self)
{
  if (g_str_equal (response, "delete"))
    gtk_widget_activate_action (GTK_WIDGET (self), "app.workspace-delete", "s",
                                g_object_get_data (G_OBJECT (dialog), "workspace-id"));
}

static void
delete_workspace_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  AstroTaskDetail *self = ASTRO_TASK_DETAIL (widget);
  g_autoptr(AstroRow) row = astro_store_get_row (self->store, "workspaces", g_variant_get_string (parameter, NULL), NULL);
  GtkWidget *dialog;

  if (row == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), _("Delete Workspace?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("The workspace on “%s” is removed for the whole team. "
                                    "The folder and its files stay as they are."),
                                  astro_row_get (row, "device_name") ? astro_row_get (row, "device_name") : "");
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "workspace-id", g_strdup (astro_row_get_id (row)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/*
 * GObject overrides
 */

static void
astro_task_detail_dispose (GObject *object)
{
  AstroTaskDetail *self = ASTRO_TASK_DETAIL (object);

  g_clear_handle_id (&self->presence_timeout, g_source_remove);
  g_clear_object (&self->task_signals);
  g_clear_object (&self->task);
  g_clear_object (&self->workspaces);
  g_clear_object (&self->store);
  g_clear_pointer (&self->assignee_ids, g_ptr_array_unref);
  g_clear_pointer (&self->assignees_for, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASTRO_TYPE_TASK_DETAIL);

  G_OBJECT_CLASS (astro_task_detail_parent_class)->dispose (object);
}

static void
astro_task_detail_class_init (AstroTaskDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = astro_task_detail_dispose;

  gtk_widget_class_install_action (widget_class, "detail.set-pr", "s", set_pr_action);
  gtk_widget_class_install_action (widget_class, "detail.delete-workspace", "s", delete_workspace_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/astrolabe/Astrolabe/astro-task-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, stack);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, key_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, pending_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, title_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, priority_dropdown);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, assignee_dropdown);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, facts_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, external_button);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, description_label);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, start_button);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, start_hint);
  gtk_widget_class_bind_template_child (widget_class, AstroTaskDetail, workspaces_list);
}

static void
astro_task_detail_init (AstroTaskDetail *self)
{
  GtkWidget *none;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->workspaces = g_list_store_new (ASTRO_TYPE_WORKSPACE);
  gtk_list_box_bind_model (self->workspaces_list, G_LIST_MODEL (self->workspaces),
                           create_workspace_row, self, NULL);
  none = gtk_label_new (_("Nobody has started work on this task"));
  gtk_widget_add_css_class (none, "dim-label");
  gtk_widget_set_margin_top (none, 12);
  gtk_widget_set_margin_bottom (none, 12);
  gtk_list_box_set_placeholder (self->workspaces_list, none);

  g_signal_connect_object (self->status_dropdown, "notify::selected",
                           G_CALLBACK (on_status_selected_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->priority_dropdown, "notify::selected",
                           G_CALLBACK (on_priority_selected_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->assignee_dropdown, "notify::selected",
                           G_CALLBACK (on_assignee_selected_cb), self, G_CONNECT_SWAPPED);

  self->task_signals = g_signal_group_new (ASTRO_TYPE_TASK);
  g_signal_group_connect_swapped (self->task_signals, "notify", G_CALLBACK (update), self);
  self->presence_timeout = g_timeout_add_seconds (60, on_presence_timeout_cb, self);
}

/*
 * Public API
 */

void
astro_task_detail_set_store (AstroTaskDetail *self,
                             AstroStore      *store)
{
  g_return_if_fail (ASTRO_IS_TASK_DETAIL (self));
  g_return_if_fail (ASTRO_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  g_signal_connect_object (store, "rows-changed::workspaces",
                           G_CALLBACK (on_workspaces_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "rows-changed::local_repos",
                           G_CALLBACK (on_local_repos_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "rows-changed::organization_members",
                           G_CALLBACK (on_members_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (store, "rows-changed::users",
                           G_CALLBACK (on_members_changed_cb), self, G_CONNECT_SWAPPED);
}

void
astro_task_detail_set_task (AstroTaskDetail *self,
                            AstroTask       *task)
{
  g_return_if_fail (ASTRO_IS_TASK_DETAIL (self));

  if (!g_set_object (&self->task, task))
    return;

  g_signal_group_set_target (self->task_signals, task);
  update (self);
  fill_workspaces (self);
}
