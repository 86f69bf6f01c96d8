/* astro-write-values.h: what a write sends, and how it shows locally
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

gboolean  astro_write_check_fields   (const char   *table,
                                      gboolean      create,
                                      JsonObject   *fields,
                                      GError      **error);
char     *astro_write_overlay_json   (JsonObject   *fields,
                                      gboolean      create,
                                      const char   *owner_id);
char     *astro_write_payload_json   (JsonObject   *fields,
                                      const char   *expected_updated_at);
char     *astro_write_jsonb_text     (JsonNode     *node);
gint64    astro_write_parse_pr_url   (const char   *url);

G_END_DECLS
