"""The task list of the real window: the active organization's tasks, search,
and switching organization, against the reference backend."""
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
import harness  # noqa: E402
import uitest  # noqa: E402


db_path = uitest.db_path


class TasksTest(unittest.TestCase):
    def setUp(self):
        uitest.clear_local_copy()
        self.server = harness.Server(long_poll_ms=1000)
        self.addCleanup(self.server.stop)
        # a personal token, as a headless machine keeps one: the app learns
        # whose it is when it exchanges it, so "Assigned to Me" works
        token = self.server.control("POST", "personal-tokens", {"email": "demo@example.com"})["token"]
        self.app = uitest.App(env={"ASTROLABE_SERVER": self.server.url, "ASTROLABE_TOKEN": token})
        self.addCleanup(self.app.stop)
        self.window = self.app.window()
        self.organizations = sorted(self.server.control("GET", "rows/organizations"), key=lambda o: o["name"])
        self.tasks = [t for t in self.server.control("GET", "rows/tasks") if t["deleted_at"] is None]

    def setting(self, key):
        with sqlite3.connect(db_path()) as db:
            row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def matching(self, organization, text):
        text = text.lower()
        return [t for t in self.tasks if t["organization_id"] == organization["id"]
                and (text in (t["title"] or "").lower() or text in (t["external_key"] or "").lower())]

    def list_items(self):
        listing = uitest.find(self.window, "the task list", role_name="list", name_is="Tasks")
        return [n for n in uitest.walk(listing, max_depth=2) if uitest.role(n) == "list item"]

    def search(self, text):
        entry = uitest.find(self.window, "the search entry", role_name="entry", name_contains="Search Tasks")
        uitest.type_into(entry, text)

    def assert_listed(self, organization, text):
        expected = self.matching(organization, text)
        self.assertGreater(len(expected), 0)
        uitest.wait_for("%d matches for %r" % (len(expected), text), lambda: len(self.list_items()) == len(expected))
        for task in expected[:5]:
            uitest.task_row(self.window, task)

    def test_search_and_organization_switch(self):
        first, second = self.organizations[0], self.organizations[1]
        uitest.find(self.window, "the active organization", name_contains=first["name"])

        # a word of one of the first organization's titles narrows the list to exactly its matches
        word = next(t for t in self.tasks if t["organization_id"] == first["id"])["title"].split()[-1]
        self.search(word)
        self.assert_listed(first, word)
        uitest.screenshot("tasks-search.png")

        # nothing matches: the empty state says so
        self.search("zzz-no-such-task")
        uitest.find(self.window, "the empty state", role_name="label",
                    name_contains="No task’s key or title matches the search")

        # the other organization: the same search now lists its tasks
        dropdown = uitest.find(self.window, "the organization switcher", name_is="Organization")
        uitest.click(dropdown)
        uitest.find(self.app.node, "the popover's choice", role_name="label", name_is=second["name"])
        # the popover's rows offer no AT-SPI action in GTK 4.8: the keyboard, as a person would
        time.sleep(0.3)
        uitest.xdotool("key", "Down", "Return")
        # remembered for the next start
        uitest.wait_for("the switch to be kept", lambda: self.setting("active-organization") == second["id"])
        word = next(t for t in self.tasks if t["organization_id"] == second["id"])["title"].split()[-1]
        self.search(word)
        self.assert_listed(second, word)
        uitest.screenshot("tasks-other-organization.png")


    def choose(self, dropdown_name, downs):
        uitest.click(uitest.find(self.window, dropdown_name, name_is=dropdown_name, role_name="combo box"))
        time.sleep(0.4)
        uitest.xdotool("key", *(["Down"] * downs), "Return")

    def test_filters(self):
        first = self.organizations[0]
        done = [t for t in self.tasks if t["organization_id"] == first["id"] and t["status"] == "Done"]
        self.choose("Status", 5)  # Any, Backlog, Todo, In Progress, In Review, Done
        uitest.wait_for("%d done tasks" % len(done), lambda: len(self.list_items()) == len(done))
        for task in done[:3]:
            uitest.task_row(self.window, task)
            self.assertEqual(uitest.task_row_status(self.window, task), "Done")
        uitest.screenshot("tasks-done.png")

        # and unassigned among them
        unassigned = [t for t in done if t["assignee_id"] is None]
        self.choose("Assignee", 2)  # Anyone, Assigned to Me, Unassigned
        if unassigned:
            uitest.wait_for("%d unassigned" % len(unassigned), lambda: len(self.list_items()) == len(unassigned))
        else:
            uitest.find(self.window, "the empty state", role_name="label", name_contains="No task matches these filters")


    def test_assigned_to_me(self):
        first = self.organizations[0]
        me = next(u["id"] for u in self.server.control("GET", "rows/users") if u["email"] == "demo@example.com")
        mine = [t for t in self.tasks if t["organization_id"] == first["id"] and t["assignee_id"] == me]
        self.assertGreater(len(mine), 0, "the seed assigns the demo user some tasks")
        self.choose("Assignee", 1)  # Anyone, Assigned to Me, Unassigned
        uitest.wait_for("%d tasks assigned to me" % len(mine), lambda: len(self.list_items()) == len(mine))
        for task in mine[:3]:
            uitest.task_row(self.window, task)
        uitest.screenshot("tasks-assigned-to-me.png")

    def test_assigned_to_me_with_an_access_token(self):
        # an access token does not say whose it is: the empty list says why
        self.app.stop()
        uitest.clear_local_copy()
        token = self.server.login()["access_token"]
        self.app = uitest.App(env={"ASTROLABE_SERVER": self.server.url, "ASTROLABE_TOKEN": token})
        self.addCleanup(self.app.stop)
        self.window = self.app.window()
        first = self.organizations[0]
        uitest.task_row(self.window, next(t for t in self.tasks if t["organization_id"] == first["id"]))
        self.choose("Assignee", 1)
        uitest.find(self.window, "the empty state", role_name="label",
                    name_contains="Whose tasks are yours is not known")
        uitest.screenshot("tasks-assigned-to-me-unknown.png")

    def test_detail_shows_the_work_on_a_task(self):
        first = self.organizations[0]
        workspaces = self.server.control("GET", "rows/workspaces")
        users = {u["id"]: u for u in self.server.control("GET", "rows/users")}
        task = next(t for t in self.tasks if t["organization_id"] == first["id"]
                    and any(w["task_id"] == t["id"] for w in workspaces))
        on_it = [w for w in workspaces if w["task_id"] == task["id"]]

        self.search(task["external_key"])
        row = uitest.task_row(self.window, task)
        # the row's badge counts the workspaces still open on it
        open_ones = len([w for w in on_it if w["status"] != "archived"])
        if open_ones:
            self.assertIn("%d workspace" % open_ones, uitest.name(row))
        uitest.click_at(row)

        uitest.find(self.window, "the description", role_name="label", name_is=task["description"])
        for workspace in on_it:
            owner = users[workspace["owner_id"]]["name"]
            uitest.find(self.window, "the workspace on %s" % workspace["device_name"], role_name="label",
                        name_is="%s — %s" % (workspace["device_name"], owner))
        uitest.screenshot("task-detail.png")

    def test_narrow_window(self):
        """At a phone's width the rows keep their key, status and title."""
        first = self.organizations[0]
        task = next(t for t in self.tasks if t["organization_id"] == first["id"])
        self.search(task["external_key"])
        row = uitest.task_row(self.window, task)
        xid = uitest.wait_for("the X window",
                              lambda: uitest.xdotool("search", "--onlyvisible", "--name", "^Astrolabe$").split())
        uitest.xdotool("windowsize", xid[0], "400", "700")
        width = lambda: row.queryComponent().getExtents(0).width
        uitest.wait_for("the row to narrow", lambda: 0 < width() <= 400)
        uitest.screenshot("tasks-narrow.png")


if __name__ == "__main__":
    unittest.main(verbosity=2)
