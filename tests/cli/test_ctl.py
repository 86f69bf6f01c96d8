"""astrolabe-ctl's foundation commands, run as a user would run them."""
import json
import os
import sqlite3
import subprocess
import tempfile
import unittest

CTL = os.path.join(os.environ["ASTRO_BUILD_DIR"], "src", "cli", "astrolabe-ctl")


def ctl(*args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([CTL, *args], capture_output=True, text=True, env=full_env, timeout=60)


class CtlTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "data", "astrolabe.db")

    def tearDown(self):
        self.tmp.cleanup()

    def test_version(self):
        result = ctl("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^astrolabe-ctl \d+\.\d+\.\d+\n$")

    def test_db_info_on_a_new_file(self):
        result = ctl("db", "info", "--db", self.db)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("File:           " + self.db, result.stdout)
        self.assertRegex(result.stdout, r"Schema version: [4-9]\n")
        for table in ("organizations", "users", "organization_members", "repositories", "tasks",
                      "workspaces", "local_repos", "settings", "sync_state", "outbox"):
            self.assertRegex(result.stdout, r"\n  %s +0\n" % table)
        self.assertTrue(os.path.exists(self.db))

    def test_db_info_counts_rows_as_json(self):
        self.assertEqual(ctl("db", "info", "--db", self.db).returncode, 0)
        with sqlite3.connect(self.db) as db:
            db.executemany("INSERT INTO tasks (id, title) VALUES (?, ?)",
                           [("t%d" % i, "Task %d" % i) for i in range(7)])
            db.execute("INSERT INTO users (id, email) VALUES ('u1', 'a@example.com')")

        result = ctl("db", "info", "--json", env={"ASTROLABE_DB": self.db})
        self.assertEqual(result.returncode, 0, result.stderr)
        info = json.loads(result.stdout)
        self.assertEqual(info["file"], self.db)
        self.assertEqual(info["schema_version"], info["latest_schema_version"])
        self.assertEqual(info["rows"]["tasks"], 7)
        self.assertEqual(info["rows"]["users"], 1)
        self.assertEqual(info["rows"]["workspaces"], 0)

    def test_damaged_file_is_set_aside_and_said(self):
        os.makedirs(os.path.dirname(self.db))
        with open(self.db, "wb") as f:
            f.write(b"\x00garbage" * 1000)

        result = ctl("db", "info", "--db", self.db)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("the database was damaged; it was moved to " + self.db + ".corrupt-", result.stderr)
        aside = [e for e in os.listdir(os.path.dirname(self.db)) if ".corrupt-" in e]
        self.assertEqual(len(aside), 1)
        with open(os.path.join(os.path.dirname(self.db), aside[0]), "rb") as f:
            self.assertEqual(f.read(), b"\x00garbage" * 1000)

    def test_newer_file_is_refused_untouched(self):
        self.assertEqual(ctl("db", "info", "--db", self.db).returncode, 0)
        with sqlite3.connect(self.db) as db:
            db.execute("PRAGMA user_version = 42")

        result = ctl("db", "info", "--db", self.db)
        self.assertEqual(result.returncode, 1)
        self.assertIn("made by a newer version of Astrolabe", result.stderr)
        with sqlite3.connect(self.db) as db:
            self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 42)

    def test_unreadable_location_is_an_error_not_a_crash(self):
        blocker = os.path.join(self.tmp.name, "file")
        open(blocker, "w").close()
        result = ctl("db", "info", "--db", os.path.join(blocker, "astrolabe.db"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("astrolabe-ctl: Could not create the folder", result.stderr)

    def test_sync_refuses_what_is_not_a_server_address(self):
        result = ctl("sync", "--direct", "--once", "--server", "not-a-url", "--db", self.db)
        self.assertEqual(result.returncode, 2)
        self.assertIn("is not a server address", result.stderr)

    def test_sync_says_when_the_server_cannot_be_reached(self):
        result = ctl("sync", "--direct", "--once", "--timeout", "2", "--server", "http://127.0.0.1:9", "--db", self.db)
        self.assertEqual(result.returncode, 1)
        self.assertIn("Could not reach the server", result.stderr)

    def test_usage_errors(self):
        self.assertEqual(ctl().returncode, 2)
        result = ctl("frobnicate")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown command “frobnicate”", result.stderr)
        self.assertEqual(ctl("db").returncode, 2)
        self.assertEqual(ctl("db", "info", "--no-such-option").returncode, 2)
        self.assertEqual(ctl("--help").returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
