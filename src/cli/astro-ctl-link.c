/* astro-ctl-link.c: astrolabe-ctl link and unlink
 *
 * Exit status of link: 0 linked or local-only, 1 not a repository or an
 * error, 3 several repositories match (run again with --choose ID).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-ctl.h"
#include "astro-linker.h"
#include "astro-ssh-resolver.h"

#define EXIT_AMBIGUOUS 3

static char *
repository_name (AstroStore *store,
                 const char *repository_id)
{
  g_autoptr(AstroRow) row = astro_store_get_row (store, "repositories", repository_id, NULL);

  return row != NULL ? g_strdup (astro_row_get (row, "name")) : NULL;
}

static void
append_json_field (GString    *out,
                   const char *name,
                   const char *value)
{
  g_autofree char *quoted = astro_ctl_json_string (value);

  g_string_append_printf (out, "\"%s\":%s", name, quoted);
}

static void
append_json_candidates (GString    *out,
                        AstroStore *store,
                        const char *name,
                        GPtrArray  *candidates)
{
  g_string_append_printf (out, ",\"%s\":[", name);
  for (guint i = 0; i < candidates->len; i++)
    {
      AstroLinkCandidate *candidate = g_ptr_array_index (candidates, i);
      g_autofree char *repo_name = repository_name (store, candidate->repository_id);

      g_string_append (out, i > 0 ? ",{" : "{");
      append_json_field (out, "repository_id", candidate->repository_id);
      g_string_append_c (out, ',');
      append_json_field (out, "repository_name", repo_name);
      g_string_append_c (out, ',');
      append_json_field (out, "remote", candidate->remote_name);
      g_string_append_c (out, ',');
      append_json_field (out, "remote_key", candidate->remote_key);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

static void
print_json (AstroStore      *store,
            AstroLinkResult *result)
{
  g_autoptr(GString) out = g_string_new ("{");
  g_autofree char *repo_name = NULL;

  if (result->repository_id != NULL)
    repo_name = repository_name (store, result->repository_id);

  append_json_field (out, "status", astro_link_status_to_string (result->status));
  g_string_append_c (out, ',');
  append_json_field (out, "path", result->path);
  g_string_append_c (out, ',');
  append_json_field (out, "repository_id", result->repository_id);
  g_string_append_c (out, ',');
  append_json_field (out, "repository_name", repo_name);
  g_string_append_c (out, ',');
  append_json_field (out, "remote", result->remote_name);
  g_string_append_c (out, ',');
  append_json_field (out, "remote_key", result->remote_key);
  g_string_append_c (out, ',');
  append_json_field (out, "reason", result->reason);
  append_json_candidates (out, store, "candidates", result->candidates);
  append_json_candidates (out, store, "also_matched", result->also_matched);

  g_string_append (out, ",\"remotes\":[");
  for (guint i = 0; result->repo != NULL && i < result->repo->remotes->len; i++)
    {
      AstroRemoteInfo *remote = g_ptr_array_index (result->repo->remotes, i);

      /* Only keys and redacted URLs: a remote may carry a token. */
      g_string_append (out, i > 0 ? ",{" : "{");
      append_json_field (out, "name", remote->name);
      g_string_append_c (out, ',');
      append_json_field (out, "url", remote->fetch_display);
      g_string_append_c (out, ',');
      append_json_field (out, "key", remote->fetch_key);
      g_string_append_c (out, ',');
      append_json_field (out, "error", remote->fetch_error);
      g_string_append_c (out, ',');
      append_json_field (out, "push_key", remote->push_key);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");

  g_print ("%s\n", out->str);
}

static void
print_candidate (AstroStore         *store,
                 AstroLinkCandidate *candidate)
{
  g_autofree char *name = repository_name (store, candidate->repository_id);

  g_print ("  %s  %s  (%s: %s)\n", candidate->repository_id, name != NULL ? name : "",
           candidate->remote_name, candidate->remote_key);
}

static void
print_text (AstroStore      *store,
            AstroLinkResult *result)
{
  switch (result->status)
    {
    case ASTRO_LINK_LINKED:
      {
        g_autofree char *name = repository_name (store, result->repository_id);

        g_print (_("%s: linked to %s (%s) through remote “%s” (%s)\n"),
                 result->path, name != NULL ? name : result->repository_id,
                 result->repository_id, result->remote_name, result->remote_key);
        if (result->also_matched->len > 0)
          g_print ("%s\n", _("Other remotes also match:"));
        for (guint i = 0; i < result->also_matched->len; i++)
          print_candidate (store, g_ptr_array_index (result->also_matched, i));
      }
      break;

    case ASTRO_LINK_AMBIGUOUS:
      g_print (_("%s: several repositories match; choose one with --choose ID:\n"), result->path);
      for (guint i = 0; i < result->candidates->len; i++)
        print_candidate (store, g_ptr_array_index (result->candidates, i));
      break;

    case ASTRO_LINK_LOCAL_ONLY:
      g_print (_("%s: local-only project (no repository matches its remotes)\n"), result->path);
      break;

    case ASTRO_LINK_NOT_A_REPOSITORY:
    default:
      astro_ctl_error ("%s", result->reason);
      break;
    }
}

int
astro_ctl_link (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroLinker) linker = NULL;
  g_autoptr(AstroLinkResult) result = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *ssh_config = NULL;
  g_autofree char *choose = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { "ssh-config", 0, 0, G_OPTION_ARG_FILENAME, &ssh_config,
      N_("Resolve ssh host aliases with this file (ssh -F)"), N_("FILE") },
    { "choose", 0, 0, G_OPTION_ARG_STRING, &choose,
      N_("Link to this one of several matching repositories"), N_("ID") },
    { NULL }
  };

  context = g_option_context_new ("PATH");
  g_option_context_set_summary (context,
                                _("Link the git repository a folder belongs to with the team "
                                  "repository its remotes match."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      astro_ctl_error ("%s", error->message);
      return 2;
    }
  if (argc != 2)
    {
      astro_ctl_error ("%s", _("usage: astrolabe-ctl link [--json] [--db FILE] PATH"));
      return 2;
    }

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  linker = astro_linker_new (store);
  if (ssh_config != NULL)
    astro_linker_set_ssh_resolver (linker, astro_ssh_resolver_resolve_func,
                                   astro_ssh_resolver_new (ssh_config),
                                   (GDestroyNotify) astro_ssh_resolver_free);

  result = astro_linker_link (linker, argv[1], &error);
  if (result == NULL)
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  if (choose != NULL && (result->status == ASTRO_LINK_AMBIGUOUS ||
                         result->status == ASTRO_LINK_LINKED))
    {
      AstroLinkResult *chosen = astro_linker_choose (linker, result, choose, &error);

      if (chosen == NULL)
        {
          astro_ctl_error ("%s", error->message);
          return 1;
        }
      astro_link_result_free (result);
      result = chosen;
    }

  if (json)
    print_json (store, result);
  else
    print_text (store, result);

  switch (result->status)
    {
    case ASTRO_LINK_LINKED:
    case ASTRO_LINK_LOCAL_ONLY:
      return 0;
    case ASTRO_LINK_AMBIGUOUS:
      return EXIT_AMBIGUOUS;
    case ASTRO_LINK_NOT_A_REPOSITORY:
    default:
      return 1;
    }
}

int
astro_ctl_unlink (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(AstroLinker) linker = NULL;
  g_autofree char *db_path = NULL;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { NULL }
  };

  context = g_option_context_new ("PATH");
  g_option_context_set_summary (context, _("Forget the link of a folder."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      astro_ctl_error ("%s", error->message);
      return 2;
    }
  if (argc != 2)
    {
      astro_ctl_error ("%s", _("usage: astrolabe-ctl unlink [--db FILE] PATH"));
      return 2;
    }

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  linker = astro_linker_new (store);
  if (!astro_linker_unlink (linker, argv[1], &error))
    {
      astro_ctl_error ("%s", error->message);
      return 1;
    }

  g_print (_("%s: unlinked\n"), argv[1]);
  return 0;
}
