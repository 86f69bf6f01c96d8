/* astro-ctl-db.c: astrolabe-ctl db info
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astrolabe-ctl"

#include "config.h"

#include <glib/gi18n.h>

#include "astro-ctl.h"

static int
db_info (AstroStore *store,
         gboolean    json)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) local = astro_store_list_local_tables ();
  const AstroTable * const *tables;
  guint n_tables;

  tables = astro_table_all (&n_tables);
  for (guint i = 0; i < n_tables; i++)
    g_ptr_array_add (names, (gpointer) tables[i]->name);
  for (guint i = 0; i < local->len; i++)
    g_ptr_array_add (names, g_ptr_array_index (local, i));

  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 count = astro_store_count_rows (store, g_ptr_array_index (names, i), &error);

      if (count < 0)
        {
          astro_ctl_error ("%s", error->message);
          return 1;
        }
      g_array_append_val (counts, count);
    }

  if (json)
    {
      g_autofree char *file = astro_ctl_json_string (astro_store_get_path (store));

      g_print ("{\"file\": %s, \"schema_version\": %d, \"latest_schema_version\": %d, \"rows\": {",
               file, astro_store_get_schema_version (store), astro_store_get_latest_version ());
      for (guint i = 0; i < names->len; i++)
        g_print ("%s\"%s\": %" G_GINT64_FORMAT, i ? ", " : "",
                 (const char *) g_ptr_array_index (names, i),
                 g_array_index (counts, gint64, i));
      g_print ("}}\n");
      return 0;
    }

  g_print (_("File:           %s\n"), astro_store_get_path (store));
  g_print (_("Schema version: %d\n"), astro_store_get_schema_version (store));
  g_print ("%s", _("Rows:\n"));
  for (guint i = 0; i < names->len; i++)
    g_print ("  %-22s %10" G_GINT64_FORMAT "\n",
             (const char *) g_ptr_array_index (names, i),
             g_array_index (counts, gint64, i));

  return 0;
}

int
astro_ctl_db (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(AstroStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Use this database file"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };

  context = g_option_context_new ("info");
  g_option_context_set_summary (context, _("Show the local database: its file, schema version and rows per table."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      astro_ctl_error ("%s", error->message);
      return 2;
    }

  if (argc != 2 || !g_str_equal (argv[1], "info"))
    {
      astro_ctl_error ("%s", _("usage: astrolabe-ctl db info [--db FILE] [--json]"));
      return 2;
    }

  store = astro_ctl_open_store (db_path);
  if (store == NULL)
    return 1;

  return db_info (store, json);
}
