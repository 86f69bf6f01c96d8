/* astro-application-folders.c: opening a folder links it to a repository
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every way a folder arrives (command line, "Open With", a second launch, the
 * folder chooser, a drop on the window) ends here, and the answer is a toast
 * naming the repository and the remote that matched, or a dialog to choose.
 */
#define G_LOG_DOMAIN "astro-application"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-application-private.h"

/*
 * Auxiliary methods
 */

static char *
repository_name (AstroApplication *self,
                 const char       *repository_id)
{
  g_autoptr(AstroRow) row = astro_store_get_row (self->store, "repositories", repository_id, NULL);

  if (row != NULL && astro_row_get (row, "name") != NULL)
    return g_strdup (astro_row_get (row, "name"));

  return g_strdup (repository_id);
}

/* "name — organization", so two repositories of the same name can be told apart */
static char *
repository_label (AstroApplication *self,
                  const char       *repository_id)
{
  g_autoptr(AstroRow) row = astro_store_get_row (self->store, "repositories", repository_id, NULL);
  g_autoptr(AstroRow) organization = NULL;
  g_autofree char *name = repository_name (self, repository_id);

  if (row != NULL && astro_row_get (row, "organization_id") != NULL)
    organization = astro_store_get_row (self->store, "organizations",
                                        astro_row_get (row, "organization_id"), NULL);
  if (organization == NULL || astro_row_get (organization, "name") == NULL)
    return g_steal_pointer (&name);

  /* Translators: a repository and the organization it belongs to */
  return g_strdup_printf (_("%s — %s"), name, astro_row_get (organization, "name"));
}

static void
toast (AstroApplication *self,
       const char       *message)
{
  astro_window_show_toast (_astro_application_ensure_window (self), message);
}

static void
say_linked (AstroApplication      *self,
            const AstroLinkResult *result)
{
  g_autofree char *folder = g_path_get_basename (result->path);
  g_autofree char *name = repository_name (self, result->repository_id);
  g_autofree char *message = NULL;

  /* Translators: “folder” linked to repository (remote “origin”) */
  message = g_strdup_printf (_("“%s” linked to %s (remote “%s”)"), folder, name, result->remote_name);
  toast (self, message);
}

typedef struct
{
  AstroApplication *self;
  AstroLinkResult  *result;
} Choice;

static void
choice_free (gpointer data)
{
  Choice *choice = data;

  g_object_unref (choice->self);
  astro_link_result_free (choice->result);
  g_free (choice);
}

static void
on_chosen_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(AstroApplication) self = user_data;
  g_autoptr(AstroLinkResult) linked = NULL;
  g_autoptr(GError) error = NULL;

  linked = astro_linker_choose_finish (ASTRO_LINKER (source), result, &error);
  if (linked == NULL)
    {
      toast (self, error->message);
      return;
    }

  say_linked (self, linked);
}

static void
on_choice_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       Choice           *choice)
{
  if (g_str_equal (response, "cancel"))
    return;

  astro_linker_choose_async (choice->self->linker, choice->result, response,
                             on_chosen_cb, g_object_ref (choice->self));
}

static void
ask_which (AstroApplication      *self,
           const AstroLinkResult *result)
{
  g_autofree char *folder = g_path_get_basename (result->path);
  AstroWindow *window = _astro_application_ensure_window (self);
  Choice *choice;
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (window), _("Which Repository?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” matches several repositories of your team. "
                                    "Choose the one it belongs to."), folder);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"));

  for (guint i = 0; i < result->candidates->len; i++)
    {
      AstroLinkCandidate *candidate = g_ptr_array_index (result->candidates, i);
      g_autofree char *label = repository_label (self, candidate->repository_id);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), candidate->repository_id, label);
    }

  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  choice = g_new0 (Choice, 1);
  choice->self = g_object_ref (self);
  choice->result = astro_link_result_copy (result);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_choice_response_cb),
                         choice, (GClosureNotify) (void (*) (void)) choice_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_linked_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(AstroApplication) self = user_data;
  g_autoptr(AstroLinkResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *folder = NULL;

  result = astro_linker_link_finish (ASTRO_LINKER (source), res, &error);
  if (result == NULL)
    {
      g_warning ("Could not link a folder: %s", error->message);
      toast (self, error->message);
      return;
    }

  switch (result->status)
    {
    case ASTRO_LINK_LINKED:
      say_linked (self, result);
      break;

    case ASTRO_LINK_AMBIGUOUS:
      ask_which (self, result);
      break;

    case ASTRO_LINK_LOCAL_ONLY:
      folder = g_path_get_basename (result->path);
      message = g_strdup_printf (_("“%s” matches none of your team’s repositories: kept as a local project"), folder);
      toast (self, message);
      break;

    case ASTRO_LINK_NOT_A_REPOSITORY:
    default:
      toast (self, result->reason);
      break;
    }
}

static void
on_folder_chosen_cb (GtkNativeDialog  *chooser,
                     int               response,
                     AstroApplication *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (folder != NULL)
        _astro_application_open_folder (self, folder);
    }

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

/* Through the file chooser portal when there is one (always in a Flatpak). */
static void
open_folder_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  AstroApplication *self = user_data;
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Open a Folder"),
                                         GTK_WINDOW (_astro_application_ensure_window (self)),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Open"), _("_Cancel"));
  g_signal_connect (chooser, "response", G_CALLBACK (on_folder_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
relink_folder_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  g_autoptr(GFile) folder = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  _astro_application_open_folder (user_data, folder);
}

typedef struct
{
  AstroApplication *self;
  char             *path;
} Unlink;

static void
unlink_free (Unlink *unlink)
{
  g_object_unref (unlink->self);
  g_free (unlink->path);
  g_free (unlink);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Unlink, unlink_free)

static void
on_unlinked_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Unlink) unlink = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_path_get_basename (unlink->path);
  g_autofree char *message = NULL;

  if (!astro_linker_unlink_finish (ASTRO_LINKER (source), result, &error))
    {
      toast (unlink->self, error->message);
      return;
    }

  message = g_strdup_printf (_("“%s” unlinked"), folder);
  toast (unlink->self, message);
}

static void
unlink_folder_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  AstroApplication *self = user_data;
  Unlink *unlink;

  if (self->linker == NULL)
    {
      toast (self, _("Folders cannot be unlinked now"));
      return;
    }

  unlink = g_new0 (Unlink, 1);
  unlink->self = g_object_ref (self);
  unlink->path = g_strdup (g_variant_get_string (parameter, NULL));
  astro_linker_unlink_async (self->linker, unlink->path, on_unlinked_cb, unlink);
}

/* The file manager shows the folder; the OpenURI portal in a Flatpak. */
static void
show_folder_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  AstroApplication *self = user_data;
  g_autoptr(GFile) folder = g_file_new_for_path (g_variant_get_string (parameter, NULL));
  g_autofree char *uri = g_file_get_uri (folder);

  gtk_show_uri (GTK_WINDOW (_astro_application_ensure_window (self)), uri, GDK_CURRENT_TIME);
}

static const GActionEntry folder_actions[] = {
  { "open-folder", open_folder_action },
  { "relink-folder", relink_folder_action, "s" },
  { "unlink-folder", unlink_folder_action, "s" },
  { "show-folder", show_folder_action, "s" },
};

/*
 * Private API
 */

void
_astro_application_folders_init (AstroApplication *self)
{
  static const char *open_accels[] = { "<Control>o", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self), folder_actions,
                                   G_N_ELEMENTS (folder_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.open-folder", open_accels);

  if (self->store == NULL)
    return;

  self->linker = astro_linker_new (self->store);
  /* folders whose repository arrived while we were closed; discovery may
   * wait on `ssh -G` and the save on a sync's batch */
  astro_linker_relink_in_background (self->linker);
}

void
_astro_application_open_folder (AstroApplication *self,
                                GFile            *folder)
{
  g_autofree char *path = g_file_get_path (folder);

  if (path == NULL)
    {
      toast (self, _("Only folders on this computer can be linked"));
      return;
    }

  if (self->linker == NULL)
    {
      toast (self, _("Folders cannot be linked: the local copy could not be opened"));
      return;
    }

  astro_linker_link_async (self->linker, path, NULL, on_linked_cb, g_object_ref (self));
}
