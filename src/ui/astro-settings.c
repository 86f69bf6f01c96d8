/* astro-settings.c: the app's GSettings, when its schema is installed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "astro-settings"

#include "config.h"

#include "astro-settings.h"

/**
 * astro_settings_new_if_installed:
 * @missing_means: (nullable): what the user loses without the schema, for
 *   the warning; %NULL warns of nothing
 *
 * Missing schemas (an uninstalled build without GSETTINGS_SCHEMA_DIR) must
 * not abort the app: what the settings hold is then simply not kept.
 *
 * Returns: (transfer full) (nullable): the settings, or %NULL
 */
GSettings *
astro_settings_new_if_installed (const char *missing_means)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);

  if (schema == NULL)
    {
      if (missing_means != NULL)
        g_warning ("The settings schema %s is not installed; %s", APP_ID, missing_means);
      return NULL;
    }

  return g_settings_new (APP_ID);
}
