"""Writing from the real window, through the outbox, to the reference backend:
start a workspace from a task (pending, then settled, then on the server, and
its folder's git status following), change a task's status from its detail,
and a refused write coming back as a toast that says why."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
import harness  # noqa: E402
import uitest  # noqa: E402

DEVICE = "test-laptop"


db_path = uitest.db_path


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
                   cwd=cwd, check=True, capture_output=True)


class WritesTest(unittest.TestCase):
    def setUp(self):
        uitest.clear_local_copy()
        self.server = harness.Server(long_poll_ms=1000)
        self.addCleanup(self.server.stop)
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        login = self.server.login()
        self.user = login["user"]
        self.env = {"ASTROLABE_SERVER": self.server.url, "ASTROLABE_TOKEN": login["access_token"],
                    "ASTRO_OUTBOX_BACKOFF_MS": "200", "ASTRO_OUTBOX_BACKOFF_MAX_MS": "1000",
                    "G_MESSAGES_DEBUG": os.environ.get("G_MESSAGES_DEBUG", "")}
        if self._testMethodName == "test_presence":
            # minutes become seconds
            self.env.update({"ASTRO_PRESENCE_EVERY_S": "2", "ASTRO_PRESENCE_IDLE_S": "8"})
        self.app = uitest.App(env=self.env)
        self.addCleanup(self.app.stop)
        if os.environ.get("ASTRO_DEBUG_UI"):
            self.addCleanup(lambda: sys.stderr.write(self.app.output()[-6000:]))
            self.addCleanup(lambda: uitest.dump(self.window))
            self.addCleanup(lambda: uitest.screenshot("writes-debug-%s.png" % self._testMethodName))
            self.addCleanup(lambda: sys.stderr.write("outbox: %r\noverlay: %r\n" % (
                self.local("SELECT id, state, method, path, payload, txid, http_status, last_error, attempts FROM outbox"),
                self.local("SELECT row_table, row_id FROM overlay_base"))))
        self.window = self.app.window()
        repositories = self.server.control("GET", "rows/repositories")
        uitest.find(self.window, "the synced copy", role_name="label",
                    name_contains="%d repositories" % len(repositories))
        self.repositories = {r["id"]: r for r in repositories}
        # who this is and what this machine is called, as a sign-in and the
        # preferences would have left them
        with sqlite3.connect(db_path()) as db:
            db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('account-user-id', ?)",
                       (self.user["id"],))
            db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('device-name', ?)", (DEVICE,))
        organizations = sorted(self.server.control("GET", "rows/organizations"), key=lambda o: o["name"])
        self.organization = organizations[0]  # the one the window opens on
        self.tasks = [t for t in self.server.control("GET", "rows/tasks")
                      if t["deleted_at"] is None and t["organization_id"] == self.organization["id"]]

    # --- helpers ----------------------------------------------------------------------

    def local(self, sql, *args):
        with sqlite3.connect(db_path()) as db:
            return db.execute(sql, args).fetchall()

    def server_row(self, table, row_id):
        return self.server.control("GET", "rows/%s/%s" % (table, row_id))

    def open_task(self, task):
        entry = uitest.find(self.window, "the search entry", role_name="entry", name_contains="Search Tasks")
        uitest.type_into(entry, task["external_key"])
        row = uitest.task_row(self.window, task)
        uitest.click_at(row)
        uitest.find(self.window, "the detail's title", role_name="label", name_is=task["title"])

    def link(self, repository, branch):
        checkout = os.path.join(self.tmp.name, repository["name"].lower())
        os.makedirs(checkout)
        git(checkout, "init", "-q")
        git(checkout, "commit", "-q", "--allow-empty", "-m", "start")
        git(checkout, "checkout", "-q", "-b", branch)
        git(checkout, "remote", "add", "origin", repository["url"])
        env = dict(os.environ, **self.env)
        result = subprocess.run([uitest.APP, checkout], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        uitest.find(self.window, "the link toast", role_name="label",
                    name_contains="linked to %s" % repository["name"])
        return checkout

    def saving_shown(self):
        return [n for n in uitest.find_all(self.window, role_name="label", name_is="Saving…") if uitest.visible(n)]

    def settled(self, table, row_id):
        """No unsettled write of the row (SQLite), and no "Saving…" shown."""
        pending = self.local("SELECT count(*) FROM overlay_base WHERE row_table = ? AND row_id = ?", table, row_id)
        return pending == [(0,)] and not self.saving_shown()

    def status_of_row(self, task):
        """The status the task's row in the list shows."""
        return uitest.task_row_status(self.window, task)

    def choose_status(self, position):
        """Backlog, Todo, In Progress, In Review, Done, Canceled: by the keyboard, from the top."""
        combo = uitest.find(self.window, "the task's status", role_name="combo box", name_is="Task Status")
        uitest.click(combo)
        time.sleep(0.4)
        uitest.xdotool("key", "Home", *(["Down"] * position), "Return")

    # --- tests ------------------------------------------------------------------------

    def test_start_workspace_pending_then_settled(self):
        task = next(t for t in self.tasks if t["repository_id"] and t["branch"])
        repository = self.repositories[task["repository_id"]]
        self.open_task(task)

        # nothing linked yet: the button waits and says why
        start = uitest.find(self.window, "Start Workspace", role_name="push button", name_contains="Start Workspace")
        uitest.find(self.window, "the hint", role_name="label", name_contains="Open a folder of %s" % repository["name"])
        self.assertFalse(start.getState().contains(uitest.pyatspi.STATE_SENSITIVE))

        checkout = self.link(repository, task["branch"])
        uitest.wait_for("Start Workspace to be offered",
                        lambda: start.getState().contains(uitest.pyatspi.STATE_SENSITIVE))

        # the server takes its time: the new workspace shows at once, saving
        self.server.control("POST", "faults", {"path": "/api/workspaces", "kind": "delay", "ms": 8000})
        uitest.click(start)
        title = "%s — %s" % (DEVICE, self.user["name"])
        uitest.find(self.window, "the new workspace", role_name="label", name_is=title)
        uitest.wait_for("the pending marker", self.saving_shown, timeout=3)
        # the Workspaces page has it too, under its task, while it is still saving
        uitest.xdotool("key", "ctrl+3")
        uitest.wait_for("the workspace on the Workspaces page",
                        lambda: [n for n in uitest.find_all(self.window, role_name="label", name_is=title)
                                 if uitest.visible(n)], timeout=3)
        uitest.screenshot("writes-workspace-pending.png")
        uitest.xdotool("key", "ctrl+1")
        [(workspace_id, owner, branch)] = self.local(
            "SELECT id, owner_id, git_branch FROM workspaces WHERE device_name = ?", DEVICE)
        self.assertEqual((owner, branch), (self.user["id"], task["branch"]))

        # then the server has it, and its change came back: settled
        uitest.wait_for("the write to settle", lambda: self.settled("workspaces", workspace_id), timeout=30)
        row = self.server_row("workspaces", workspace_id)
        self.assertEqual((row["task_id"], row["device_name"], row["type"], row["status"], row["git_branch"]),
                         (task["id"], DEVICE, "local", "active", task["branch"]))
        self.assertEqual(self.local("SELECT state FROM outbox WHERE row_id = ? AND method = 'POST'", workspace_id),
                         [("settled",)])
        # one workspace per task and machine: the button rests
        uitest.wait_for("Start Workspace to rest",
                        lambda: not start.getState().contains(uitest.pyatspi.STATE_SENSITIVE))
        uitest.screenshot("writes-workspace-settled.png")
        tab = uitest.find(self.window, "the Workspaces page", role_name="page tab", name_is="Workspaces")
        uitest.click(tab)
        uitest.find(self.window, "the task's group", role_name="label", name_is=task["title"])
        self.assertGreaterEqual(len(uitest.find_all(self.window, role_name="label", name_is=title)), 2)
        uitest.screenshot("writes-workspaces-page.png")
        uitest.click(uitest.find(self.window, "the Tasks page", role_name="page tab", name_is="Tasks"))

        # the folder's git status follows: a staged file is one uncommitted change
        with open(os.path.join(checkout, "notes.txt"), "w") as f:
            f.write("work\n")
        git(checkout, "add", "notes.txt")
        uitest.wait_for("the git status on the server",
                        lambda: json.loads(self.server_row("workspaces", workspace_id)["git_status"] or "{}")
                        .get("uncommitted") == 1, timeout=30)

    def test_change_status_from_the_detail(self):
        task = next(t for t in self.tasks if t["status"] == "Backlog")
        self.open_task(task)
        self.assertEqual(self.status_of_row(task), "Backlog")
        [(shown,)] = self.local("SELECT updated_at FROM tasks WHERE id = ?", task["id"])

        self.server.control("POST", "faults", {"path": "/api/tasks/", "kind": "delay", "ms": 8000})
        self.choose_status(1)  # Backlog → Todo
        uitest.wait_for("the list row to change at once", lambda: self.status_of_row(task) == "Todo", timeout=3)
        # the server must still have the version the person saw
        [(payload,)] = self.local("SELECT payload FROM outbox WHERE row_id = ?", task["id"])
        self.assertEqual(json.loads(payload).get("expected_updated_at"), shown, payload)
        uitest.wait_for("the pending marker", self.saving_shown, timeout=3)
        uitest.screenshot("writes-status-pending.png")

        uitest.wait_for("the server's row", lambda: self.server_row("tasks", task["id"])["status"] == "Todo", timeout=30)
        uitest.wait_for("the write to settle", lambda: self.settled("tasks", task["id"]), timeout=30)
        self.assertEqual(self.status_of_row(task), "Todo")
        self.assertEqual(self.local("SELECT status FROM tasks WHERE id = ?", task["id"]), [("Todo",)])

    def test_refused_write_says_why(self):
        task = next(t for t in self.tasks if t["status"] == "Backlog")
        self.open_task(task)
        self.server.control("POST", "faults", {"path": "/api/tasks/", "kind": "status", "status": 400,
                                               "body": {"error": "invalid", "message": "status frozen"}})
        self.choose_status(1)

        message = "Changing %s failed: The server refused the change (status frozen); it was undone" % \
            task["external_key"]
        uitest.find(self.window, "the toast", role_name="label", name_is=message)
        uitest.wait_for("the change to be undone", lambda: self.status_of_row(task) == "Backlog", timeout=5)
        uitest.screenshot("writes-refused.png")
        self.assertEqual(self.server_row("tasks", task["id"])["status"], "Backlog")
        self.assertEqual(self.local("SELECT state, http_status FROM outbox"), [("failed", 400)])

        # a conflict can be retried, and the retry wins
        self.server.control("POST", "faults", {"path": "/api/tasks/", "kind": "status", "status": 409,
                                               "body": {"error": "conflict", "message": "changed"}})
        self.choose_status(1)
        uitest.find(self.window, "the conflict toast", role_name="label",
                    name_contains="Someone else changed this in the meantime")
        retry = uitest.find(self.window, "its Retry button", role_name="push button", name_contains="Retry")
        uitest.screenshot("writes-conflict.png")
        uitest.click(retry)
        uitest.wait_for("the retried change on the server",
                        lambda: self.server_row("tasks", task["id"])["status"] == "Todo", timeout=30)
        uitest.wait_for("the list row", lambda: self.status_of_row(task) == "Todo", timeout=10)

    def test_presence(self):
        """Used, this person's workspaces here say so every few minutes; unused, they go idle once."""
        task = self.tasks[0]
        mine = {"id": "00000000-0000-4000-8000-0000000000c1", "organization_id": self.organization["id"],
                "repository_id": next(iter(self.repositories)), "task_id": task["id"], "owner_id": self.user["id"],
                "type": "local", "device_name": DEVICE, "status": "idle",
                "last_activity_at": "2026-01-01 00:00:00+00", "created_at": "2026-01-01 00:00:00+00",
                "updated_at": "2026-01-01 00:00:00+00"}
        theirs = dict(mine, id="00000000-0000-4000-8000-0000000000c2", device_name="elsewhere")
        self.server.control("POST", "rows/workspaces", mine)
        self.server.control("POST", "rows/workspaces", theirs)
        uitest.wait_for("the workspaces here", lambda: len(self.local(
            "SELECT id FROM workspaces WHERE id IN (?, ?)", mine["id"], theirs["id"])) == 2)

        # in use: a click in the window
        uitest.click_at(uitest.find(self.window, "the search entry", role_name="entry", name_contains="Search Tasks"))
        uitest.wait_for("this one active", lambda: self.server_row("workspaces", mine["id"])["status"] == "active",
                        timeout=20)
        first = self.server_row("workspaces", mine["id"])["last_activity_at"]
        self.assertGreater(first, mine["last_activity_at"])

        # then nothing: idle, once; the other machine's workspace was never touched
        uitest.wait_for("this one idle", lambda: self.server_row("workspaces", mine["id"])["status"] == "idle",
                        timeout=30)
        self.assertEqual(self.server_row("workspaces", theirs["id"])["status"], "idle")
        self.assertEqual(self.server_row("workspaces", theirs["id"])["last_activity_at"], theirs["last_activity_at"])
        idle_writes = self.local("SELECT count(*) FROM outbox WHERE payload = '{\"status\":\"idle\"}'")
        time.sleep(4)
        self.assertEqual(self.local("SELECT count(*) FROM outbox WHERE payload = '{\"status\":\"idle\"}'"),
                         idle_writes)


if __name__ == "__main__":
    unittest.main(verbosity=2)
