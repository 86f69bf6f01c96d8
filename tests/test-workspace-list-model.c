/* test-workspace-list-model.c: AstroWorkspaceListModel over a real store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "astro-store.h"
#include "astro-workspace-list-model.h"

typedef struct
{
  char                    *dir;
  AstroStore              *store;
  AstroWorkspaceListModel *model;
  GString                 *changes;  /* "position,removed,added;…" */
} Fixture;

static void
on_items_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Fixture    *fixture)
{
  g_string_append_printf (fixture->changes, "%s%u,%u,%u", fixture->changes->len ? ";" : "",
                          position, removed, added);
}

static void
apply (Fixture    *fixture,
       AstroBatch *batch)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (astro_store_apply_batch (fixture->store, batch, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
put (AstroBatch *batch,
     const char *first_column,
     ...)
{
  va_list args;

  astro_batch_add (batch, ASTRO_CHANGE_INSERT);
  va_start (args, first_column);
  for (const char *column = first_column; column != NULL; column = va_arg (args, const char *))
    astro_batch_set_value (batch, column, va_arg (args, const char *));
  va_end (args);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(AstroBatch) tasks = astro_batch_new (astro_table_lookup ("tasks"));
  g_autoptr(AstroBatch) users = astro_batch_new (astro_table_lookup ("users"));
  g_autoptr(AstroBatch) workspaces = astro_batch_new (astro_table_lookup ("workspaces"));

  fixture->dir = g_dir_make_tmp ("astro-workspaces-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (fixture->dir, "astrolabe.db", NULL);
  fixture->store = astro_store_open (path, &error);
  g_assert_no_error (error);
  fixture->changes = g_string_new (NULL);

  put (tasks, "id", "t12", "organization_id", "o1", "external_key", "AST-12", "title", "Twelve", NULL);
  put (tasks, "id", "t2", "organization_id", "o1", "external_key", "AST-2", "title", "Two", NULL);
  apply (fixture, tasks);
  put (users, "id", "u1", "name", "Ada", NULL);
  put (users, "id", "u2", "name", "Grace", NULL);
  apply (fixture, users);
  put (workspaces, "id", "w1", "organization_id", "o1", "task_id", "t12", "owner_id", "u1",
       "device_name", "laptop", "last_activity_at", "2026-01-01 10:00:00+00", NULL);
  put (workspaces, "id", "w2", "organization_id", "o1", "task_id", "t2", "owner_id", "u2",
       "device_name", "desktop", "last_activity_at", "2026-01-01 09:00:00+00", NULL);
  put (workspaces, "id", "w3", "organization_id", "o1", "task_id", NULL, "owner_id", "u1",
       "device_name", "cloud", "last_activity_at", "2026-01-01 08:00:00+00", NULL);
  put (workspaces, "id", "w4", "organization_id", "o1", "task_id", "t12", "owner_id", "u2",
       "device_name", "tablet", "last_activity_at", "2026-01-01 11:00:00+00", NULL);
  put (workspaces, "id", "w5", "organization_id", "o2", "task_id", NULL, "owner_id", "u1",
       "device_name", "elsewhere", NULL);
  apply (fixture, workspaces);

  fixture->model = astro_workspace_list_model_new (fixture->store);
  astro_workspace_list_model_set_organization (fixture->model, "o1");
  g_signal_connect (fixture->model, "items-changed", G_CALLBACK (on_items_changed_cb), fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  g_clear_object (&fixture->model);
  g_clear_object (&fixture->store);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (fixture->dir, name, NULL);
      g_unlink (child);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_string_free (fixture->changes, TRUE);
}

/* "w4,w1,…": the model's order */
static char *
ids (Fixture *fixture)
{
  GListModel *model = G_LIST_MODEL (fixture->model);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(AstroWorkspace) item = g_list_model_get_item (model, i);

      g_string_append_printf (text, "%s%s", i ? "," : "", astro_workspace_get_id (item));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
assert_changes (Fixture    *fixture,
                const char *expected)
{
  g_assert_cmpstr (fixture->changes->str, ==, expected);
  g_string_truncate (fixture->changes, 0);
}

static void
test_grouped (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *order = ids (fixture);
  g_autoptr(AstroWorkspace) first = g_list_model_get_item (G_LIST_MODEL (fixture->model), 0);

  /* AST-2 before AST-12, the most recent first within a task, no task last */
  g_assert_cmpstr (order, ==, "w2,w4,w1,w3");
  g_assert_cmpstr (astro_workspace_get_owner_name (first), ==, "Grace");
  g_assert_cmpstr (astro_row_get (astro_workspace_get_task (first), "external_key"), ==, "AST-2");
}

static void
test_exact_changes (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(AstroBatch) update = astro_batch_new (astro_table_lookup ("workspaces"));
  g_autoptr(AstroBatch) insert = astro_batch_new (astro_table_lookup ("workspaces"));
  g_autoptr(AstroBatch) rename = astro_batch_new (astro_table_lookup ("users"));
  g_autofree char *order = NULL;

  /* one workspace's git status: that item only */
  astro_batch_add (update, ASTRO_CHANGE_UPDATE);
  astro_batch_set_value (update, "id", "w1");
  astro_batch_set_value (update, "git_status", "{\"uncommitted\": 3}");
  apply (fixture, update);
  assert_changes (fixture, "2,1,1");

  /* a new one on no task, by another client */
  put (insert, "id", "w6", "organization_id", "o1", "owner_id", "u2", "device_name", "phone",
       "last_activity_at", "2026-01-01 12:00:00+00", NULL);
  apply (fixture, insert);
  assert_changes (fixture, "3,0,1");
  order = ids (fixture);
  g_assert_cmpstr (order, ==, "w2,w4,w1,w6,w3");

  /* a renamed owner changes the rows that show the name, and only the span of them */
  put (rename, "id", "u1", "name", "Ada L.", NULL);
  apply (fixture, rename);
  assert_changes (fixture, "2,3,3");

  /* a task no workspace is on changes nothing; a retitled one, its own items */
  {
    g_autoptr(AstroBatch) tasks = astro_batch_new (astro_table_lookup ("tasks"));
    g_autoptr(AstroBatch) retitle = astro_batch_new (astro_table_lookup ("tasks"));

    put (tasks, "id", "t99", "organization_id", "o1", "external_key", "AST-99", "title", "Idle", NULL);
    apply (fixture, tasks);
    assert_changes (fixture, "");

    astro_batch_add (retitle, ASTRO_CHANGE_UPDATE);
    astro_batch_set_value (retitle, "id", "t2");
    astro_batch_set_value (retitle, "title", "Two, retitled");
    apply (fixture, retitle);
    assert_changes (fixture, "0,1,1");
  }

  /* mine: only u1's */
  astro_workspace_list_model_set_owner (fixture->model, "u1");
  g_clear_pointer (&order, g_free);
  order = ids (fixture);
  g_assert_cmpstr (order, ==, "w1,w3");

  /* every organization */
  astro_workspace_list_model_set_owner (fixture->model, NULL);
  astro_workspace_list_model_set_organization (fixture->model, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->model)), ==, 6);
}

static void
test_device_name (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *name = astro_store_dup_device_name (fixture->store);
  g_autofree char *chosen = NULL;

  g_assert_cmpstr (name, ==, g_get_host_name ());
  g_assert_true (astro_store_set_setting (fixture->store, ASTRO_SETTING_DEVICE_NAME, "  studio  ", NULL));
  chosen = astro_store_dup_device_name (fixture->store);
  g_assert_cmpstr (chosen, ==, "studio");
}

static AstroWorkspace *
workspace_with (const char *status,
                const char *last_activity_at)
{
  const AstroTable *table = astro_table_lookup ("workspaces");
  g_autoptr(AstroRow) row = astro_row_new (table);

  astro_row_take_nth (row, astro_table_column_index (table, "id"), g_strdup ("w1"));
  astro_row_take_nth (row, astro_table_column_index (table, "status"), g_strdup (status));
  if (last_activity_at != NULL)
    astro_row_take_nth (row, astro_table_column_index (table, "last_activity_at"), g_strdup (last_activity_at));

  return astro_workspace_new (row);
}

/* What a workspace's presence reads, against the time asked */
static void
test_presence (void)
{
  g_autoptr(GDateTime) then = g_date_time_new_utc (2026, 11, 22, 10, 0, 0);
  gint64 at = g_date_time_to_unix (then) * G_USEC_PER_SEC;
  struct {
    const char *status;
    const char *last;
    gint64      now;
    const char *expected;
  } cases[] = {
    { "active", "2026-11-22T10:00:00Z", at + 10 * G_USEC_PER_SEC, "Active now" },
    { "active", "2026-11-22T10:00:00Z", at + (gint64) 2 * 60 * G_USEC_PER_SEC, "Active 2 minutes ago" },
    { "active", "2026-11-22T10:00:00Z", at + (gint64) 60 * 60 * G_USEC_PER_SEC, "Idle" },
    { "idle", "2026-11-22T10:00:00Z", at, "Idle" },
    { "archived", "2026-11-22T10:00:00Z", at, "Archived" },
    /* started here a moment ago: the server has not stamped it yet */
    { "active", NULL, at, "Active" },
    { "idle", NULL, at, "Idle" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(AstroWorkspace) workspace = workspace_with (cases[i].status, cases[i].last);
      g_autofree char *presence = astro_workspace_describe_presence (workspace, cases[i].now);

      g_assert_cmpstr (presence, ==, cases[i].expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/models/workspace-list/grouped", Fixture, NULL, fixture_setup, test_grouped, fixture_teardown);
  g_test_add ("/models/workspace-list/exact-changes", Fixture, NULL, fixture_setup, test_exact_changes, fixture_teardown);
  g_test_add ("/store/device-name", Fixture, NULL, fixture_setup, test_device_name, fixture_teardown);
  g_test_add_func ("/models/workspace/presence", test_presence);

  return g_test_run ();
}
