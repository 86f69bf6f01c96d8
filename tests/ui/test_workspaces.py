"""The Workspaces page of the real window, against the reference backend: the
active organization's workspaces grouped by task (with "Exploratory" for work
on no task), a workspace another client starts appears by itself, "Mine"
narrows the list, and Ctrl+3 reaches the page."""
import os
import sqlite3
import subprocess
import sys
import unittest

import pyatspi

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
import harness  # noqa: E402
import uitest  # noqa: E402


db_path = uitest.db_path


class WorkspacesTest(unittest.TestCase):
    def setUp(self):
        uitest.clear_local_copy()
        self.server = harness.Server(long_poll_ms=1000)
        self.addCleanup(self.server.stop)
        self.token = self.server.login()["access_token"]
        self.organizations = sorted(self.server.control("GET", "rows/organizations"), key=lambda o: o["name"])
        self.first = self.organizations[0]
        self.users = {u["id"]: u for u in self.server.control("GET", "rows/users")}
        self.tasks = {t["id"]: t for t in self.server.control("GET", "rows/tasks")}

    def workspaces(self):
        return [w for w in self.server.control("GET", "rows/workspaces")
                if w["organization_id"] == self.first["id"]]

    def start(self, user_id=None):
        # the local copy made by the real store, with who signed in as a
        # sign-in on the welcome page would have saved it (a token from the
        # environment does not say)
        subprocess.run([uitest.CTL, "db", "info"], check=True, capture_output=True)
        if user_id is not None:
            with sqlite3.connect(db_path()) as db:
                db.execute("INSERT INTO settings (key, value) VALUES ('account-user-id', ?)", (user_id,))
        self.app = uitest.App(env={"ASTROLABE_SERVER": self.server.url, "ASTROLABE_TOKEN": self.token})
        self.addCleanup(self.app.stop)
        self.window = self.app.window()
        # synced: the tasks page lists the first organization's tasks
        uitest.find(self.window, "the active organization", name_contains=self.first["name"], timeout=30)
        uitest.find(self.window, "the synced summary", role_name="label", name_contains="The local copy holds",
                    timeout=30)

    def title(self, workspace):
        return "%s — %s" % (workspace["device_name"], self.users[workspace["owner_id"]]["name"])

    def listed_titles(self):
        listing = uitest.find(self.window, "the workspaces list", role_name="list", name_is="Workspaces by Task")
        return sorted(uitest.name(n) for n in uitest.walk(listing, max_depth=12)
                      if uitest.role(n) == "label" and " — " in uitest.name(n))

    def show_page_with_keyboard(self):
        # a click on the window gives it the keyboard (there is no window manager)
        uitest.click_at(uitest.find(self.window, "the summary", role_name="label",
                                    name_contains="The local copy holds"))
        uitest.xdotool("key", "ctrl+3")
        # GTK 4.8 says nothing of a widget being on screen; the page switcher says which page is
        tab = uitest.find(self.window, "the Workspaces tab", role_name="page tab", name_is="Workspaces")
        uitest.wait_for("the Workspaces page", lambda: tab.getState().contains(pyatspi.STATE_SELECTED))

    def test_grouped_live_and_mine(self):
        workspaces = self.workspaces()
        mine_owner = max({w["owner_id"] for w in workspaces},
                         key=lambda u: sum(w["owner_id"] == u for w in workspaces))
        self.start(user_id=mine_owner)

        self.show_page_with_keyboard()
        uitest.find(self.window, "the Exploratory group", role_name="label", name_is="Exploratory")
        # found once: a walk of the whole window's tree is slow on a busy machine
        # (GTK 4.8 names a toggle button a push button, after its label and text)
        mine = uitest.find(self.window, "the Mine toggle", role_name="push button",
                           name_contains="Only My Workspaces")
        toolbar = mine.parent  # the count is beside it

        # every workspace of the organization, and a group header per task
        uitest.wait_for("the %d workspaces" % len(workspaces),
                        lambda: self.listed_titles() == sorted(self.title(w) for w in workspaces))
        for task_id in {w["task_id"] for w in workspaces if w["task_id"] is not None}:
            task = self.tasks[task_id]
            uitest.find(self.window, "the group of " + task["external_key"], role_name="label",
                        name_is=task["external_key"])
            uitest.find(self.window, "the title of " + task["external_key"], role_name="label",
                        name_is=task["title"])
        self.assertTrue(any(w["task_id"] is None for w in workspaces))
        uitest.find(toolbar, "the count", role_name="label", name_is="%d workspaces" % len(workspaces))
        # the other organization's are not here
        other = [w for w in self.server.control("GET", "rows/workspaces")
                 if w["organization_id"] != self.first["id"]]
        self.assertFalse(set(self.title(w) for w in other) - set(self.title(w) for w in workspaces)
                         & set(self.listed_titles()))
        uitest.screenshot("workspaces.png")

        # another client starts a workspace on no task: it appears by itself, under Exploratory
        added = {
            "id": "00000000-0000-4000-8000-0000000000aa", "organization_id": self.first["id"],
            "task_id": None, "repository_id": workspaces[0]["repository_id"], "owner_id": mine_owner,
            "type": "cloud", "device_name": "teammate-runner", "status": "active",
            "git_branch": "spike/new-idea", "git_status": '{"uncommitted": 2, "ahead": 0, "behind": 0}',
            "pr_url": None, "pr_number": None, "pr_status": None,
            "last_activity_at": "2026-11-22 10:00:00+00",
            "created_at": "2026-11-22 10:00:00+00", "updated_at": "2026-11-22 10:00:00+00"}
        self.server.control("POST", "rows/workspaces", added)
        workspaces.append(added)
        uitest.wait_for("the new workspace",
                        lambda: self.listed_titles() == sorted(self.title(w) for w in workspaces))
        uitest.find(toolbar, "the new count", role_name="label", name_is="%d workspaces" % len(workspaces))
        uitest.screenshot("workspaces-live.png")

        # Mine: only the signed-in user's
        self.assertTrue(mine.getState().contains(pyatspi.STATE_SENSITIVE))
        uitest.click(mine)
        expected = sorted(self.title(w) for w in workspaces if w["owner_id"] == mine_owner)
        self.assertLess(len(expected), len(workspaces))
        uitest.wait_for("only mine", lambda: self.listed_titles() == expected)
        uitest.find(toolbar, "the count of mine", role_name="label",
                    name_is="%d workspaces of yours" % len(expected))
        uitest.screenshot("workspaces-mine.png")

        # and back to everyone's
        uitest.click(mine)
        uitest.wait_for("everyone's again", lambda: len(self.listed_titles()) == len(workspaces))

    def test_mine_needs_to_know_who_signed_in(self):
        self.start(user_id=None)
        self.show_page_with_keyboard()
        mine = uitest.find(self.window, "the Mine toggle", role_name="push button",
                           name_contains="Only My Workspaces")
        uitest.screenshot("workspaces-mine-unknown.png")
        self.assertFalse(mine.getState().contains(pyatspi.STATE_SENSITIVE))
        self.assertIn("does not say who you are", mine.description)


if __name__ == "__main__":
    unittest.main(verbosity=2)
