"""Signing in on the welcome page of the real window, against the reference
backend: errors are said where the user looks, success syncs, and the tokens
land in the keyring, not in the database."""
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


class SignInTest(unittest.TestCase):
    def setUp(self):
        uitest.clear_local_copy()
        self.server = harness.Server(long_poll_ms=1000)
        self.addCleanup(self.server.stop)
        self.app = uitest.App(env={"ASTROLABE_SERVER": self.server.url})
        self.addCleanup(self.app.stop)
        self.window = self.app.window()

    def fields(self):
        return {name: uitest.find(self.window, name, name_contains=name, role_name=role)
                for name, role in (("Email", "text"), ("Password", "text"))}

    def test_bad_password_then_success(self):
        # the server comes filled in
        server = uitest.find(self.window, "the server field", role_name="text", name_contains="Server")
        fields = self.fields()
        uitest.type_into(fields["Email"], "demo@example.com")
        uitest.type_into(fields["Password"], "wrong")
        uitest.click(uitest.find(self.window, "sign in", role_name="push button", name_contains="Sign In"))
        uitest.find(self.window, "the refusal", role_name="label",
                    name_is="The server did not accept these credentials")
        uitest.screenshot("sign-in-refused.png")

        uitest.type_into(fields["Password"], "demo")
        uitest.click(uitest.find(self.window, "sign in", role_name="push button", name_contains="Sign In"))
        counts = {t: len(self.server.control("GET", "rows/" + t)) for t in ("tasks", "repositories", "workspaces")}
        uitest.find(self.window, "the synced summary", role_name="label", timeout=30,
                    name_is="The local copy holds %(tasks)d tasks, %(repositories)d repositories and "
                            "%(workspaces)d workspaces." % counts)
        uitest.screenshot("signed-in.png")

        # the tokens are in the keyring, never in the database
        found = subprocess.run(["secret-tool", "search", "--all", "server", self.server.url],
                               capture_output=True, text=True)
        secrets = [line.split("=", 1)[1].strip() for line in (found.stdout + found.stderr).splitlines()
                   if line.startswith("secret =")]
        self.assertEqual(len(secrets), 2)
        for path in [db_path(), db_path() + "-wal"]:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                for secret in secrets:
                    self.assertNotIn(secret.encode(), data)
        self.assertNotIn("demo@example.com", self.app.output())

        # a new start is signed in from the keyring (read on a worker): the local copy, then live again
        self.app.stop()
        self.app = uitest.App(env={"ASTROLABE_SERVER": self.server.url})
        self.addCleanup(self.app.stop)
        self.window = self.app.window()
        uitest.find(self.window, "the synced summary", role_name="label",
                    name_is="The local copy holds %(tasks)d tasks, %(repositories)d repositories and "
                            "%(workspaces)d workspaces." % counts)
        uitest.find(self.window, "the sync status", role_name="push button", timeout=30,
                    name_contains="Sync Status: Up to date and live")

        # signing out asks first, then forgets the data and the tokens, and says hello again
        uitest.click(uitest.find(self.window, "the main menu", role_name="push button", name_is="Main Menu"))
        uitest.click(uitest.find(self.app.node, "Sign Out…", role_name="menu item", name_contains="Sign Out"))
        uitest.find(self.app.node, "the question", role_name="label", name_is="Sign Out?")
        uitest.screenshot("sign-out-question.png")
        confirm = uitest.wait_for("the Sign Out button", lambda: next(
            (n for n in uitest.find_all(self.app.node, role_name="push button", name_contains="Sign Out")
             if "…" not in uitest.name(n)), None))
        uitest.click(confirm)
        uitest.find(self.window, "the welcome page", role_name="label", name_contains="Sign in to your team server")
        with sqlite3.connect(db_path()) as db:
            self.assertEqual(db.execute("SELECT count(*) FROM tasks").fetchone()[0], 0)
        found = subprocess.run(["secret-tool", "search", "--all", "server", self.server.url],
                               capture_output=True, text=True)
        self.assertNotIn("secret =", found.stdout + found.stderr)

    def test_unreachable_server_is_said(self):
        server = uitest.find(self.window, "the server field", role_name="text", name_contains="Server")
        uitest.type_into(server, "http://127.0.0.1:9")
        fields = self.fields()
        uitest.type_into(fields["Email"], "demo@example.com")
        uitest.type_into(fields["Password"], "demo")
        uitest.click(uitest.find(self.window, "sign in", role_name="push button", name_contains="Sign In"))
        uitest.find(self.window, "the reason", role_name="label", name_contains="Could not reach http://127.0.0.1:9")
        uitest.screenshot("sign-in-unreachable.png")


if __name__ == "__main__":
    unittest.main(verbosity=2)
