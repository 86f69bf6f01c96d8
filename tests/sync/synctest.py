"""Helpers for sync tests: the real astrolabe-ctl against the reference backend."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import harness  # noqa: E402

CTL = os.path.join(os.environ["ASTRO_BUILD_DIR"], "src", "cli", "astrolabe-ctl")
TABLES = ["organizations", "users", "organization_members", "repositories", "tasks", "workspaces"]
COLUMNS = {
    "organizations": ["id", "name", "slug", "avatar_url", "created_at", "updated_at"],
    "users": ["id", "email", "name", "avatar_url", "created_at", "updated_at"],
    "organization_members": ["id", "organization_id", "user_id", "role", "created_at", "updated_at"],
    "repositories": ["id", "organization_id", "name", "slug", "url", "default_branch", "github_id",
                     "created_at", "updated_at"],
    "tasks": ["id", "organization_id", "repository_id", "title", "description", "status",
              "status_color", "priority", "assignee_id", "external_provider", "external_id",
              "external_key", "external_url", "branch", "labels", "due_date", "created_at",
              "updated_at", "deleted_at"],
    "workspaces": ["id", "organization_id", "task_id", "repository_id", "owner_id", "type",
                   "device_name", "status", "git_branch", "git_status", "pr_url", "pr_number",
                   "pr_status", "last_activity_at", "created_at", "updated_at"],
}

# Fast retries so a test of a fault takes seconds, not a minute.
FAST = {"ASTRO_SYNC_BACKOFF_MS": "50", "ASTRO_SYNC_BACKOFF_MAX_MS": "400", "ASTRO_SYNC_TIMEOUT_S": "5"}


class SyncTestCase(unittest.TestCase):
    long_poll_ms = 1000
    server_args = ()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "astrolabe.db")
        self.server = harness.Server(*self.server_args, long_poll_ms=self.long_poll_ms)
        self.addCleanup(self.server.stop)
        self.addCleanup(self.tmp.cleanup)
        self.token = self.server.login()["access_token"]
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    def env(self, extra=None, token=True):
        env = dict(os.environ)
        env.pop("ASTROLABE_TOKEN", None)
        if token:
            env["ASTROLABE_TOKEN"] = self.token
        env.update(FAST)
        env.update(extra or {})
        return env

    def ctl(self, *args, env=None, timeout=60, check=True, stdin=None):
        result = subprocess.run([CTL, *args, "--db", self.db], env=env or self.env(),
                                capture_output=True, text=True, timeout=timeout, input=stdin)
        if check and result.returncode != 0:
            raise AssertionError("astrolabe-ctl %s exited %d:\n%s" % (" ".join(args), result.returncode, result.stderr))
        return result

    def sync_once(self, *args, **kw):
        return self.ctl("sync", "--once", "--server", self.server.url, "--timeout", "40", *args, **kw)

    def start_live(self, *args, env=None):
        process = subprocess.Popen([CTL, "sync", "--server", self.server.url, "--db", self.db, *args],
                                   env=env or self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        self.processes.append(process)
        return process

    def local_rows(self, table):
        with sqlite3.connect(self.db) as db:
            cursor = db.execute("SELECT %s FROM %s" % (", ".join(COLUMNS[table]), table))
            return {row[0]: dict(zip(COLUMNS[table], row)) for row in cursor}

    def server_rows(self, table, organizations=None):
        rows = self.server.control("GET", "rows/" + table)
        if isinstance(rows, dict):
            rows = rows.get("rows", rows)
        result = {}
        for row in rows:
            if organizations is not None:
                org = row["id"] if table == "organizations" else row.get("organization_id")
                if table != "users" and org not in organizations:
                    continue
            result[row["id"]] = {c: row.get(c) for c in COLUMNS[table]}
        return result

    def assert_copy_equals_server(self, organizations=None, tables=TABLES):
        for table in tables:
            if table == "users" and organizations is not None:
                continue
            self.assertEqual(self.local_rows(table), self.server_rows(table, organizations),
                             "table %s differs" % table)

    def wait_until(self, what, predicate, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for " + what)

    def counters(self):
        return self.server.control("GET", "counters")

    def requests_to(self, path):
        return sum(self.counters().get(path, {}).values())
