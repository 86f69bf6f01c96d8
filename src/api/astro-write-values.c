/* astro-write-values.c: the fields of each write, as sent and as shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The overlay must show a value exactly as the shape will bring it back, or
 * the row would flicker when the write settles: numbers become their
 * decimal text, jsonb is rendered the way Postgres prints it.
 */
#define G_LOG_DOMAIN "astro-outbox"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "astro-write-values.h"

/* What the team API accepts (api-contract.md, Writes). */
static const char * const workspace_create_fields[] = {
  "id", "organization_id", "repository_id", "task_id", "type", "device_name", "status",
  "git_branch", "git_status", NULL,
};
static const char * const workspace_patch_fields[] = {
  "status", "git_branch", "git_status", "pr_url", "pr_number", "pr_status",
  "last_activity_at", NULL,
};
static const char * const task_patch_fields[] = {
  "status", "status_color", "priority", "assignee_id", NULL,
};

gboolean
astro_write_check_fields (const char  *table,
                          gboolean     create,
                          JsonObject  *fields,
                          GError     **error)
{
  const char * const *allowed;
  g_autoptr(GList) members = NULL;

  if (g_strcmp0 (table, "workspaces") == 0)
    allowed = create ? workspace_create_fields : workspace_patch_fields;
  else if (g_strcmp0 (table, "tasks") == 0 && !create)
    allowed = task_patch_fields;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Rows of %s cannot be %s", table, create ? "created" : "changed");
      return FALSE;
    }

  members = json_object_get_members (fields);
  if (members == NULL && !create)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "The write changes nothing");
      return FALSE;
    }

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "“%s” cannot be written in %s", (const char *) l->data, table);
        return FALSE;
      }

  return TRUE;
}

static int
compare_jsonb_keys (gconstpointer a,
                    gconstpointer b)
{
  size_t la = strlen (a), lb = strlen (b);

  /* Postgres orders jsonb keys by length, then bytewise */
  if (la != lb)
    return la < lb ? -1 : 1;
  return strcmp (a, b);
}

static void
append_jsonb (GString  *out,
              JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      GList *members = g_list_sort (json_object_get_members (object), compare_jsonb_keys);

      g_string_append_c (out, '{');
      for (GList *l = members; l != NULL; l = l->next)
        {
          g_autoptr(JsonNode) name = json_node_init_string (json_node_alloc (), l->data);
          g_autofree char *key = json_to_string (name, FALSE);

          g_string_append_printf (out, "%s%s: ", l == members ? "" : ", ", key);
          append_jsonb (out, json_object_get_member (object, l->data));
        }
      g_string_append_c (out, '}');
      g_list_free (members);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          append_jsonb (out, json_array_get_element (array, i));
        }
      g_string_append_c (out, ']');
    }
  else
    {
      g_autofree char *text = json_to_string (node, FALSE);

      g_string_append (out, text);
    }
}

/* jsonb as Postgres prints it: `{"ahead": 1, "behind": 0, "uncommitted": 2}` */
char *
astro_write_jsonb_text (JsonNode *node)
{
  g_autoptr(GString) out = g_string_new (NULL);

  append_jsonb (out, node);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static JsonNode *
shown_value (const char *column,
             JsonNode   *node)
{
  JsonNode *shown = json_node_alloc ();

  if (JSON_NODE_HOLDS_NULL (node))
    return json_node_init_null (shown);

  if (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autofree char *text = astro_write_jsonb_text (node);
      return json_node_init_string (shown, text);
    }

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      return json_node_init_string (shown, text);
    }

  if (json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autofree char *text = g_strdup (json_node_get_string (node));

      /* stored lower case by the server */
      if (g_str_equal (column, "status_color"))
        {
          g_autofree char *lower = g_ascii_strdown (text, -1);
          return json_node_init_string (shown, lower);
        }
      return json_node_init_string (shown, text);
    }

  {
    g_autofree char *text = json_to_string (node, FALSE);
    return json_node_init_string (shown, text);
  }
}

/* {column: text|null}, what the row shows until the write settles. */
char *
astro_write_overlay_json (JsonObject *fields,
                          gboolean    create,
                          const char *owner_id)
{
  g_autoptr(JsonObject) overlay = json_object_new ();
  g_autoptr(JsonNode) root = json_node_alloc ();
  g_autoptr(GList) members = json_object_get_members (fields);

  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (overlay, l->data,
                            shown_value (l->data, json_object_get_member (fields, l->data)));

  /* a create: what the server fills in that we already know */
  if (create)
    {
      if (owner_id != NULL)
        json_object_set_string_member (overlay, "owner_id", owner_id);
      if (!json_object_has_member (overlay, "status"))
        json_object_set_string_member (overlay, "status", "active");
    }

  json_node_init_object (root, overlay);
  return json_to_string (root, FALSE);
}

char *
astro_write_payload_json (JsonObject *fields,
                          const char *expected_updated_at)
{
  g_autoptr(JsonObject) payload = json_object_new ();
  g_autoptr(JsonNode) root = json_node_alloc ();
  g_autoptr(GList) members = NULL;

  if (fields != NULL)
    members = json_object_get_members (fields);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (payload, l->data,
                            json_node_copy (json_object_get_member (fields, l->data)));
  if (expected_updated_at != NULL)
    json_object_set_string_member (payload, "expected_updated_at", expected_updated_at);

  if (json_object_get_size (payload) == 0)
    return NULL;

  json_node_init_object (root, payload);
  return json_to_string (root, FALSE);
}

/* The number of a pull or merge request from its URL: GitHub
 * …/pull/123, GitLab …/-/merge_requests/45, Bitbucket …/pull-requests/6.
 * Returns 0 when the URL is not one. */
gint64
astro_write_parse_pr_url (const char *url)
{
  static const char * const markers[] = { "/pull/", "/merge_requests/", "/pull-requests/", "/pulls/" };
  g_autoptr(GUri) uri = NULL;
  const char *path;

  if (url == NULL)
    return 0;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return 0;
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
    return 0;

  path = g_uri_get_path (uri);
  for (guint i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      const char *found = g_strrstr (path, markers[i]);
      const char *digits;
      char *end = NULL;
      gint64 number;

      if (found == NULL)
        continue;
      digits = found + strlen (markers[i]);
      if (!g_ascii_isdigit (*digits))
        continue;
      number = g_ascii_strtoll (digits, &end, 10);
      if (number <= 0 || number > G_MAXINT32 || (*end != '\0' && *end != '/'))
        continue;
      return number;
    }

  return 0;
}
