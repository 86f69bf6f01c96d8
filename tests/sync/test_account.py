"""Signing in with the real secret service (gnome-keyring in a private D-Bus
session): tokens live there and nowhere else; a refused token is renewed once
for every shape at once; signing out clears the synced data but not links."""
import glob
import json
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from synctest import SyncTestCase  # noqa: E402


def secret_tool(*args):
    return subprocess.run(["secret-tool", *args], capture_output=True, text=True)


class AccountTest(SyncTestCase):
    def login(self, email="demo@example.com", password="demo"):
        return self.ctl("login", "--server", self.server.url, "--email", email,
                        env=self.env(token=False), stdin=password + "\n", check=False)

    def secrets(self):
        found = secret_tool("search", "--all", "server", self.server.url)
        return [line.split("=", 1)[1].strip() for line in (found.stdout + found.stderr).splitlines()
                if line.startswith("secret =")]

    def files_contain(self, needle):
        for path in glob.glob(self.db + "*"):
            with open(path, "rb") as f:
                if needle.encode() in f.read():
                    return path
        return None

    def test_login_keeps_tokens_in_the_keyring_only(self):
        result = self.login()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Signed in to %s as demo@example.com" % self.server.url, result.stdout)

        tokens = self.secrets()
        self.assertEqual(len(tokens), 2, "an access and a refresh token")
        sync = self.sync_once(env=self.env(token=False))
        self.assert_copy_equals_server()

        for token in tokens:
            self.assertIsNone(self.files_contain(token), "a token reached the database")
            self.assertNotIn(token, sync.stdout + sync.stderr + result.stdout + result.stderr)

    def test_wrong_password(self):
        result = self.login(password="wrong")
        self.assertEqual(result.returncode, 1)
        self.assertIn("did not accept these credentials", result.stderr)
        self.assertEqual(self.secrets(), [])

    def test_unreachable_server(self):
        result = self.ctl("login", "--server", "http://127.0.0.1:9", "--email", "demo@example.com",
                          env=self.env(token=False), stdin="demo\n", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("Could not reach", result.stderr)

    def test_personal_token(self):
        token = self.server.control("POST", "personal-tokens", {"email": "ada@example.com"})["token"]
        result = self.ctl("login", "--server", self.server.url, "--token", env=self.env(token=False),
                          stdin=token + "\n")
        self.assertIn("as ada@example.com", result.stdout)
        self.assertNotIn(token, result.stdout + result.stderr)

    def test_personal_token_in_the_environment(self):
        # what a headless machine keeps: it outlives any access token, and it
        # tells whose tasks are "mine"
        token = self.server.control("POST", "personal-tokens", {"email": "ada@example.com"})["token"]
        self.server.control("POST", "counters/reset")
        result = self.sync_once(env=self.env({"ASTROLABE_TOKEN": token}, token=False))
        self.assertNotIn(token, result.stdout + result.stderr)
        self.assertEqual(self.requests_to("/api/auth/token"), 1, self.counters())
        users = self.server_rows("users")
        ada = next(user["id"] for user in users.values() if user["email"] == "ada@example.com")
        hers = {member["organization_id"] for member in self.server_rows("organization_members").values()
                if member["user_id"] == ada}
        self.assertEqual(set(self.local_rows("tasks")), set(self.server_rows("tasks", hers)))

        theirs = {task["id"] for task in self.server_rows("tasks", hers).values() if task["assignee_id"] == ada}
        self.assertTrue(theirs, "the seed assigns ada some tasks")
        mine = self.ctl("tasks", "--assignee", "me", "--json",
                        env=self.env({"ASTROLABE_TOKEN": token}, token=False))
        self.assertEqual({json.loads(line)["id"] for line in mine.stdout.splitlines()}, theirs)

        # kept in memory only: neither the keyring nor the database has it
        self.assertEqual(self.secrets(), [])
        self.assertIsNone(self.files_contain(token), "the token reached the database")

    def test_refused_environment_token_signs_out(self):
        result = self.sync_once(env=self.env({"ASTROLABE_TOKEN": "astro_pat_unknown"}, token=False),
                                check=False)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("The token in ASTROLABE_TOKEN was refused", result.stderr)
        self.assertEqual(self.requests_to("/api/auth/token"), 1, self.counters())

    def test_expired_tokens_are_renewed_once_for_all_shapes(self):
        self.assertEqual(self.login().returncode, 0)
        self.sync_once(env=self.env(token=False))
        process = self.start_live(env=self.env(token=False))
        self.wait_until("live", lambda: self.requests_to("/api/electric/tasks") >= 2)

        self.server.control("POST", "counters/reset")
        self.server.control("POST", "tokens/expire", {"email": "demo@example.com"})
        task = next(iter(self.server_rows("tasks").values()))
        self.server.control("PATCH", "rows/tasks/" + task["id"], {"title": "After the expiry"})

        self.wait_until("the change after renewal",
                        lambda: self.local_rows("tasks")[task["id"]]["title"] == "After the expiry", timeout=20)
        counters = self.counters()
        self.assertEqual(sum(counters.get("/api/auth/refresh", {}).values()), 1, counters)
        process.terminate()
        process.wait(10)

    def expire_then_answer_refresh(self, status, count):
        """Signed in and synced; then the access token expires and the next
        `count` renewals get `status`."""
        self.assertEqual(self.login().returncode, 0)
        self.sync_once(env=self.env(token=False))
        self.server.control("POST", "tokens/expire", {"email": "demo@example.com"})
        self.server.control("POST", "faults", {"path": "/api/auth/refresh", "kind": "status", "status": status,
                                               "body": {"error": "status %d" % status}, "count": count})

    def test_refused_refresh_signs_out(self):
        # the server forgets every session: access and refresh tokens die
        self.expire_then_answer_refresh(401, 5)
        result = self.sync_once(env=self.env(token=False), check=False)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("signed out", result.stderr)

    def test_busy_refresh_is_tried_again(self):
        # a server that cannot renew now (503) has not refused the sign-in:
        # asking the person to sign in again over a blip would be wrong
        self.expire_then_answer_refresh(503, 3)
        task = next(iter(self.server_rows("tasks").values()))
        self.server.control("PATCH", "rows/tasks/" + task["id"], {"title": "After the blip"})
        self.server.control("POST", "counters/reset")

        result = self.sync_once(env=self.env(token=False), check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Could not renew the sign-in", result.stderr)
        self.assertEqual(self.counters().get("/api/auth/refresh"), {"503": 3, "200": 1}, self.counters())
        self.assertEqual(self.local_rows("tasks")[task["id"]]["title"], "After the blip")
        self.assert_copy_equals_server()

    def test_logout_clears_synced_data_and_keeps_links(self):
        self.assertEqual(self.login().returncode, 0)
        self.sync_once(env=self.env(token=False))
        with sqlite3.connect(self.db) as db:
            db.execute("INSERT INTO local_repos (path, device_id, created_at) VALUES ('/src/app', 'd', 'now')")

        result = self.ctl("logout", env=self.env(token=False))
        self.assertIn("Signed out", result.stdout)
        self.assertEqual(self.secrets(), [])
        with sqlite3.connect(self.db) as db:
            for table in ("tasks", "organizations", "sync_state"):
                self.assertEqual(db.execute("SELECT count(*) FROM %s" % table).fetchone()[0], 0, table)
            self.assertEqual(db.execute("SELECT count(*) FROM local_repos").fetchone()[0], 1)
        # the server revoked the session
        self.assertGreaterEqual(sum(self.counters().get("/api/auth/logout", {}).values()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
