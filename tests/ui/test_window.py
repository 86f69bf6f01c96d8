"""The real main window under Xvfb, driven through accessibility."""
import configparser
import os
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
import harness  # noqa: E402
import uitest  # noqa: E402


db_path = uitest.db_path


def keyfile():
    parser = configparser.ConfigParser()
    parser.read(os.path.join(os.environ["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile"))
    return parser


class WindowTest(unittest.TestCase):
    def setUp(self):
        uitest.clear_local_copy()
        self.app = None

    def tearDown(self):
        if self.app is not None:
            self.app.stop()

    def test_welcome_page_and_menu(self):
        self.app = uitest.App()
        window = self.app.window()

        uitest.find(window, "the welcome", role_name="label", name_is="Welcome to Astrolabe")
        uitest.find(window, "what to do next", role_name="label",
                    name_contains="Sign in to your team server")
        uitest.find(window, "the sign-in button", role_name="push button", name_contains="Sign In")

        menu_button = uitest.find(window, "the main menu button", name_is="Main Menu",
                                  role_name="push button")
        uitest.screenshot("window-empty.png")
        uitest.click(menu_button)

        shortcuts = uitest.find(self.app.node, "Keyboard Shortcuts item", role_name="menu item",
                                name_contains="Keyboard Shortcuts")
        about = uitest.find(self.app.node, "About item", role_name="menu item",
                            name_contains="About Astrolabe")
        uitest.wait_for("the menu to show", lambda: uitest.visible(shortcuts) and uitest.visible(about))
        uitest.screenshot("window-menu.png")

        uitest.click(about)
        about_window = uitest.find(self.app.node, "the About window", role_name="frame",
                                   name_contains="About")
        uitest.find(about_window, "the version", role_name="label", name_is="0.1.0")
        uitest.screenshot("about.png")

        # the database was created where the issue says it lives
        self.assertTrue(os.path.exists(db_path()))

    def test_shortcuts_window(self):
        self.app = uitest.App()
        window = self.app.window()
        uitest.click(uitest.find(window, "main menu", name_is="Main Menu", role_name="push button"))
        uitest.click(uitest.find(self.app.node, "Keyboard Shortcuts item", role_name="menu item",
                                 name_contains="Keyboard Shortcuts"))
        shortcuts = uitest.find(self.app.node, "the shortcuts window", role_name="frame",
                                name_contains="Shortcuts")
        uitest.find(shortcuts, "a shortcut title", role_name="label", name_is="Show Shortcuts")
        uitest.screenshot("shortcuts.png")

    def test_offline_shows_what_the_local_copy_holds(self):
        # make the schema with the real store, then put rows in as a sync would
        subprocess.run([uitest.CTL, "db", "info"], check=True, capture_output=True)
        with sqlite3.connect(db_path()) as db:
            db.execute("INSERT INTO tasks (id, title) VALUES ('t1', 'One'), ('t2', 'Two')")
            db.execute("INSERT INTO repositories (id, name) VALUES ('r1', 'app')")

            # the tasks were last synced five minutes ago from that server
            five_minutes_ago = int((time.time() - 300) * 1e6)
            db.execute("INSERT INTO sync_state (shape, definition, handle, shape_offset, last_up_to_date, row_count)"
                       " VALUES ('tasks', 'proxy http://127.0.0.1:9 tasks', 'h1', '0_inf', ?, 2)",
                       (five_minutes_ago,))

        # signed in, but the server cannot be reached: the local copy is shown
        self.app = uitest.App(env={"ASTROLABE_SERVER": "http://127.0.0.1:9", "ASTROLABE_TOKEN": "offline"})
        window = self.app.window()
        uitest.find(window, "the summary", role_name="label",
                    name_is="The local copy holds 2 tasks, 1 repository and 0 workspaces.")
        uitest.find(window, "the offline banner", role_name="label",
                    name_is="Offline: showing the data from the last sync (5 minutes ago)")
        uitest.find(window, "the sync status", role_name="push button",
                    name_contains="Sync Status: Sync is having trouble")
        uitest.screenshot("window-offline.png")

    def test_live_copy_of_the_server(self):
        with harness.Server(long_poll_ms=1000) as server:
            token = server.login()["access_token"]
            counts = {t: len(server.control("GET", "rows/" + t)) for t in ("tasks", "repositories", "workspaces")}

            self.app = uitest.App(env={"ASTROLABE_SERVER": server.url, "ASTROLABE_TOKEN": token})
            window = self.app.window()
            uitest.find(window, "the synced summary", role_name="label",
                        name_is="The local copy holds %(tasks)d tasks, %(repositories)d repositories and "
                                "%(workspaces)d workspaces." % counts)

            # a teammate adds a task: the window follows without any action
            org = server.control("GET", "rows/organizations")[0]["id"]
            server.control("POST", "rows/tasks", {
                "id": "00000000-0000-4000-8000-0000000000ff", "organization_id": org,
                "title": "Added by a teammate", "status": "Todo", "priority": 1,
                "created_at": "2026-11-22 10:00:00+00", "updated_at": "2026-11-22 10:00:00+00"})
            uitest.find(window, "the live update", role_name="label",
                        name_contains="holds %d tasks" % (counts["tasks"] + 1))
            uitest.screenshot("window-live.png")

            # the sync status says live, and its popover tells each table's rows
            status = uitest.find(window, "the sync status", role_name="push button",
                                 name_contains="Sync Status: Up to date and live")
            uitest.click(status)
            uitest.find(self.app.node, "the tasks row", role_name="label", name_is="tasks")
            uitest.find(self.app.node, "the tasks count", role_name="label",
                        name_is="%d rows" % (counts["tasks"] + 1))
            uitest.find(self.app.node, "Sync Now", role_name="push button", name_contains="Sync Now")
            uitest.screenshot("window-sync-status.png")
            self.assertNotIn(token, self.app.output())

    def test_first_sync_shows_progress(self):
        with harness.Server(long_poll_ms=1000) as server:
            token = server.login()["access_token"]
            counts = {t: len(server.control("GET", "rows/" + t)) for t in ("tasks", "repositories", "workspaces")}
            # the tasks are slow to come; every other table arrives at once
            server.control("POST", "faults", {"path": "/api/electric/tasks", "kind": "delay", "ms": 8000})

            self.app = uitest.App(env={"ASTROLABE_SERVER": server.url, "ASTROLABE_TOKEN": token})
            window = self.app.window()
            uitest.find(window, "the first sync", role_name="label", name_is="Syncing for the First Time")
            progress = uitest.find(window, "the rows received", role_name="list", name_is="Rows Received")
            uitest.find(progress, "the repositories, complete", role_name="label",
                        name_is="%d rows, complete" % counts["repositories"])
            uitest.find(progress, "the tasks, still coming", role_name="label", name_is="0 rows received")
            uitest.screenshot("window-first-sync.png")

            # the pages are there meanwhile: the repositories, already here, can be looked at
            uitest.click(uitest.find(window, "the Repositories tab", role_name="page tab", name_is="Repositories"))
            uitest.find(window, "a repository", role_name="label", name_is="Design-System")
            uitest.screenshot("window-first-sync-repositories.png")
            uitest.click(uitest.find(window, "the Tasks tab", role_name="page tab", name_is="Tasks"))
            uitest.find(window, "the first sync, again", role_name="label", name_is="Syncing for the First Time")

            # then the pages, with everything
            uitest.find(window, "the synced summary", role_name="label", timeout=30,
                        name_is="The local copy holds %(tasks)d tasks, %(repositories)d repositories and "
                                "%(workspaces)d workspaces." % counts)
            tasks_tab = uitest.find(window, "the Tasks tab", role_name="page tab", name_is="Tasks")
            self.assertTrue(tasks_tab.getState().contains(pyatspi_state("STATE_SELECTED")))

    def test_damaged_database_is_set_aside_and_told(self):
        os.makedirs(os.path.dirname(db_path()), exist_ok=True)
        with open(db_path(), "wb") as f:
            f.write(b"this is not a database" * 500)

        self.app = uitest.App()
        window = self.app.window()
        uitest.find(window, "the toast", role_name="label", name_contains="The local copy was damaged")
        uitest.screenshot("window-recovered.png")
        aside = [e for e in os.listdir(os.path.dirname(db_path())) if ".corrupt-" in e]
        self.assertEqual(len(aside), 1)
        self.assertIn("is damaged", self.app.output())

    def test_newer_database_is_left_alone_and_explained(self):
        subprocess.run([uitest.CTL, "db", "info"], check=True, capture_output=True)
        with sqlite3.connect(db_path()) as db:
            db.execute("PRAGMA user_version = 99")

        self.app = uitest.App()
        window = self.app.window()
        uitest.find(window, "the error page", role_name="label",
                    name_is="The Local Copy Could Not Be Opened")
        uitest.find(window, "the reason", role_name="label", name_contains="newer version of Astrolabe")
        uitest.screenshot("window-too-new.png")
        with sqlite3.connect(db_path()) as db:
            self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 99)

    def test_window_size_is_kept(self):
        self.app = uitest.App()
        window = self.app.window()
        default = extents(window)
        xid = uitest.wait_for("the X window",
                              lambda: uitest.xdotool("search", "--onlyvisible", "--name", "^Astrolabe$").split())
        uitest.xdotool("windowsize", xid[0], "720", "540")
        resized = uitest.wait_for("the resize", lambda: (lambda e: e if e != default else None)(extents(window)))

        close = uitest.find(window, "the close button", role_name="push button", name_is="Close")
        uitest.click(close)
        self.assertEqual(self.app.wait_exit(), 0)

        settings = keyfile()
        section = "dev/astrolabe/Astrolabe"
        # the window's own size, which is the X window less its client-side shadow
        self.assertAlmostEqual(int(settings.get(section, "window-width")), 720, delta=40)
        self.assertAlmostEqual(int(settings.get(section, "window-height")), 540, delta=40)
        self.assertEqual(settings.get(section, "window-maximized"), "false")

        # and the next start comes back at that size
        self.app = uitest.App()
        window = self.app.window()
        uitest.wait_for("the remembered size", lambda: extents(window) == resized)
        uitest.screenshot("window-resized.png")


def extents(node):
    e = node.queryComponent().getExtents(pyatspi_desktop_coords())
    return (e.width, e.height)


def pyatspi_state(name):
    import pyatspi
    return getattr(pyatspi, name)


def pyatspi_desktop_coords():
    import pyatspi
    return pyatspi.DESKTOP_COORDS


if __name__ == "__main__":
    unittest.main(verbosity=2)
