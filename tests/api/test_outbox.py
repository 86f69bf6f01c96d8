"""Writes through the outbox: the real astrolabe-ctl, a real SQLite file and the
reference backend over loopback (tests/server/)."""
import json
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sync"))
import synctest  # noqa: E402
import harness  # noqa: E402

FAST_WRITES = {"ASTRO_OUTBOX_BACKOFF_MS": "50", "ASTRO_OUTBOX_BACKOFF_MAX_MS": "300"}


class OutboxTestCase(synctest.SyncTestCase):
    def env(self, extra=None, token=True):
        return super().env(dict(FAST_WRITES, **(extra or {})), token)

    def local(self, sql, *args):
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()

    def task(self, key):
        rows = self.local("SELECT id, status, priority, updated_at FROM tasks WHERE external_key = ?", key)
        self.assertEqual(len(rows), 1, key)
        return dict(zip(("id", "status", "priority", "updated_at"), rows[0]))

    def server_row(self, table, row_id):
        reply = self.server.request("GET", f"/_test/rows/{table}/{row_id}")
        return reply.json() if reply.status == 200 else None

    def outbox(self, *args):
        return json.loads(self.ctl("outbox", "--json", *args).stdout)

    def pending(self, table, row_id):
        return bool(self.local("SELECT 1 FROM overlay_base WHERE row_table = ? AND row_id = ?", table, row_id))

    def write(self, *args, check=True, server=None):
        return self.ctl(*args, "--server", server or self.server.url, check=check)

    def records(self):
        return self.server.control("GET", "idempotency")["records"]

    def setUp(self):
        super().setUp()
        self.sync_once()


class Writes(OutboxTestCase):
    def test_shows_at_once_then_settles_by_txid(self):
        before = self.task("AST-12")
        self.write("task", "set-status", "AST-12", "In Review", "--no-wait")
        # at once, locally, marked pending; the server has nothing yet
        self.assertEqual(self.task("AST-12")["status"], "In Review")
        self.assertTrue(self.pending("tasks", before["id"]))
        self.assertNotEqual(self.server_row("tasks", before["id"])["status"], "In Review")
        [entry] = self.outbox()
        self.assertEqual((entry["state"], entry["method"], entry["attempts"]), ("pending", "PATCH", 0))

        result = self.write("outbox", "--send")
        self.assertIn("every write is settled", result.stdout)
        server = self.server_row("tasks", before["id"])
        self.assertEqual(server["status"], "In Review")
        after = self.task("AST-12")
        self.assertEqual((after["status"], after["updated_at"]), ("In Review", server["updated_at"]))
        self.assertFalse(self.pending("tasks", before["id"]))
        [settled] = self.outbox("--state", "settled")
        self.assertTrue(settled["txid"])
        self.assertEqual([r["key"] for r in self.records()], [settled["idempotency_key"]])

    def test_workspace_start_set_pr_archive_delete(self):
        started = self.write("workspace", "start", "--task", "AST-12", "--device", "test-box")
        workspace = started.stdout.split()[0]
        self.assertIn("settled", started.stdout)
        row = self.server_row("workspaces", workspace)
        self.assertEqual((row["device_name"], row["type"], row["status"]), ("test-box", "local", "active"))
        self.assertEqual(row["task_id"], self.task("AST-12")["id"])

        self.write("workspace", "set-pr", workspace, "https://gitlab.com/a/b/-/merge_requests/45")
        self.assertEqual(self.server_row("workspaces", workspace)["pr_number"], "45")
        self.assertEqual(self.local("SELECT pr_number, pr_status FROM workspaces WHERE id = ?", workspace),
                         [("45", "open")])
        self.write("workspace", "set-git", workspace, "--branch", "feat/x", "--uncommitted", "2", "--ahead", "1")
        self.assertEqual(self.server_row("workspaces", workspace)["git_status"],
                         '{"ahead": 1, "behind": 0, "uncommitted": 2}')
        self.write("workspace", "archive", workspace)
        self.assertEqual(self.server_row("workspaces", workspace)["status"], "archived")
        self.write("workspace", "delete", workspace)
        self.assertIsNone(self.server_row("workspaces", workspace))
        self.assertEqual(self.local("SELECT count(*) FROM workspaces WHERE id = ?", workspace), [(0,)])
        self.assertEqual(self.outbox(), [])
        self.assertEqual(len(self.records()), 5)

    def test_pr_url_must_be_one(self):
        result = self.ctl("workspace", "set-pr", "x", "https://example.com/nothing", check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("not a pull or merge request URL", result.stderr)

    def test_coalescing(self):
        workspace = self.local("SELECT id FROM workspaces ORDER BY id LIMIT 1")[0][0]
        self.server.control("POST", "counters/reset")
        for i in range(10):
            self.write("workspace", "set-git", workspace, "--uncommitted", str(i), "--no-wait")
        entries = self.outbox()
        self.assertEqual(len(entries), 1, entries)
        self.assertEqual(self.local("SELECT git_status FROM workspaces WHERE id = ?", workspace),
                         [('{"ahead": 0, "behind": 0, "uncommitted": 9}',)])
        self.write("outbox", "--send")
        counters = self.server.control("GET", "counters")
        self.assertEqual(counters.get(f"/api/workspaces/{workspace}"), {"200": 1})
        self.assertEqual(self.server_row("workspaces", workspace)["git_status"],
                         '{"ahead": 0, "behind": 0, "uncommitted": 9}')

    def test_lost_answer_does_not_duplicate(self):
        task = self.task("AST-5")
        self.server.control("POST", "faults", {"path": "/api/tasks/", "kind": "drop"})
        result = self.write("task", "set-status", "AST-5", "Done", "--priority", "1")
        self.assertIn("settled", result.stdout)
        [record] = self.records()
        [entry] = self.outbox("--state", "settled")
        self.assertEqual(record["key"], entry["idempotency_key"])
        self.assertEqual(entry["attempts"], 2)
        counters = self.server.control("GET", "counters")[f"/api/tasks/{task['id']}"]
        self.assertEqual(counters, {"drop": 1, "200": 1})
        self.assertEqual(self.server_row("tasks", task["id"])["status"], "Done")
        self.assertEqual(self.task("AST-5")["status"], "Done")

    def test_server_errors_retry_with_the_same_key(self):
        task = self.task("AST-6")
        self.server.control("POST", "faults", {"faults": [
            {"path": "/api/tasks/", "kind": "status", "status": 503, "headers": {"Retry-After": "0"}},
            {"path": "/api/tasks/", "kind": "status", "status": 429, "headers": {"Retry-After": "0"}},
            {"path": "/api/tasks/", "kind": "status", "status": 500}]})
        self.write("task", "set-status", "AST-6", "Todo", "--force")
        [entry] = self.outbox("--state", "settled")
        self.assertEqual(entry["attempts"], 4)
        self.assertEqual(self.server.control("GET", "counters")[f"/api/tasks/{task['id']}"],
                         {"503": 1, "429": 1, "500": 1, "200": 1})
        self.assertEqual(len(self.records()), 1)

    def test_busy_renewal_keeps_the_write(self):
        # a personal token is traded for a session on the first 401; a server
        # that cannot do it now (503) has not refused it
        task = self.task("AST-7")
        pat = self.server.control("POST", "personal-tokens", {"email": "demo@example.com"})["token"]
        self.server.control("POST", "faults", {"path": "/api/auth/token", "kind": "status", "status": 503,
                                               "count": 2})
        self.server.control("POST", "counters/reset")
        result = self.ctl("task", "set-status", "AST-7", "Done", "--force", "--server", self.server.url,
                          env=self.env({"ASTROLABE_TOKEN": pat}, token=False))
        self.assertIn("settled", result.stdout)
        self.assertNotIn("Signed out", result.stdout + result.stderr)
        counters = self.server.control("GET", "counters")
        self.assertEqual(counters["/api/auth/token"], {"503": 2, "200": 1}, counters)
        self.assertEqual(self.server_row("tasks", task["id"])["status"], "Done")
        self.assertEqual(len(self.records()), 1)

    def test_settle_timeout_refetches(self):
        task = self.task("AST-8")
        # the live request that would bring the change never answers
        self.server.control("POST", "faults", {"path": "/api/electric/tasks", "kind": "hang", "count": 1})
        started = time.monotonic()
        self.ctl("task", "set-status", "AST-8", "Canceled", "--server", self.server.url,
                 env=self.env({"ASTRO_OUTBOX_SETTLE_MS": "500", "ASTRO_SYNC_TIMEOUT_S": "60"}))
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual(self.task("AST-8")["status"], "Canceled")
        self.assertFalse(self.pending("tasks", task["id"]))
        self.assertEqual(self.local("SELECT state, refetch_at IS NOT NULL FROM outbox"), [("settled", 1)])


class Rejections(OutboxTestCase):
    def reject(self, status, body):
        task = self.task("AST-3")
        self.server.control("POST", "faults", {"path": "/api/tasks/", "kind": "status", "status": status,
                                               "body": body})
        result = self.write("task", "set-status", "AST-3", "Done", check=False)
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertEqual(self.task("AST-3")["status"], task["status"])
        self.assertFalse(self.pending("tasks", task["id"]))
        [entry] = self.outbox("--state", "failed")
        self.assertEqual(entry["http_status"], status)
        self.assertEqual(self.server_row("tasks", task["id"])["status"], task["status"])
        return result.stderr

    def test_400(self):
        message = self.reject(400, {"error": "invalid", "message": "bad", "fields": {"status": "not allowed"}})
        self.assertIn("status: not allowed", message)

    def test_403(self):
        self.assertIn("not allowed to change this", self.reject(403, {"error": "forbidden", "message": "no"}))

    def test_404(self):
        self.assertIn("no longer exists", self.reject(404, {"error": "not_found", "message": "gone"}))

    def test_409(self):
        self.assertIn("changed this in the meantime", self.reject(409, {"error": "conflict", "message": "x"}))

    def test_real_400_from_the_server(self):
        task = self.task("AST-4")
        result = self.write("task", "set-status", "AST-4", "Nope", check=False)
        self.assertEqual(result.returncode, 4)
        self.assertIn("status", result.stderr)
        self.assertEqual(self.task("AST-4")["status"], task["status"])

    def test_conflict_detected_then_retried(self):
        task = self.task("AST-9")
        # a teammate changes the task; this copy has not synced it yet
        self.server.control("PATCH", f"rows/tasks/{task['id']}",
                            {"priority": 4, "updated_at": "2030-01-01 00:00:00+00"})
        result = self.write("task", "set-status", "AST-9", "Done", check=False)
        self.assertEqual(result.returncode, 4)
        self.assertIn("changed this in the meantime", result.stderr)
        self.assertEqual(self.server_row("tasks", task["id"])["status"], task["status"])
        [failed] = self.outbox("--state", "failed")
        self.assertEqual(failed["http_status"], 409)
        # Retry: this change wins, knowingly
        self.write("outbox", "--retry", str(failed["id"]))
        self.assertEqual(self.server_row("tasks", task["id"])["status"], "Done")
        self.assertEqual(self.task("AST-9")["status"], "Done")
        self.assertEqual(self.task("AST-9")["priority"], "4")


class Offline(OutboxTestCase):
    def test_offline_writes_survive_restart_and_land_once(self):
        # a server whose rows, tokens and idempotency records live in a file
        self.server.stop()
        self.server_db = os.path.join(self.tmp.name, "server.db")
        self.server = harness.Server("--db", self.server_db, long_poll_ms=1000)
        self.addCleanup(self.server.stop)
        self.token = self.server.login()["access_token"]
        self.sync_once()
        task = self.task("AST-14")
        url = self.server.url
        self.server.stop()

        result = self.write("task", "set-status", "AST-14", "In Progress", server=url)
        self.assertIn("Offline", result.stdout)
        started = self.write("workspace", "start", "--task", "AST-14", server=url)
        workspace = started.stdout.split()[0]
        self.assertIn("Offline", started.stdout)
        self.assertEqual(self.task("AST-14")["status"], "In Progress")
        self.assertEqual(self.local("SELECT device_name IS NOT NULL FROM workspaces WHERE id = ?", workspace), [(1,)])
        entries = self.outbox()
        self.assertEqual([e["state"] for e in entries], ["pending", "pending"])
        self.assertTrue(all(e["attempts"] >= 1 for e in entries))

        # the server is back (on another port); a new process sends them
        self.server = harness.Server("--db", self.server_db, long_poll_ms=1000)
        self.addCleanup(self.server.stop)
        self.write("outbox", "--send")
        self.assertEqual(self.outbox(), [])
        self.assertEqual(self.server_row("tasks", task["id"])["status"], "In Progress")
        self.assertEqual(self.server_row("workspaces", workspace)["task_id"], task["id"])
        keys = sorted(r["key"] for r in self.records())
        self.assertEqual(keys, sorted(e["idempotency_key"] for e in entries))
        self.assertFalse(self.pending("tasks", task["id"]))
        self.assertFalse(self.pending("workspaces", workspace))

    def test_fault_armed_then_lands(self):
        task = self.task("AST-15")
        self.server.control("POST", "faults", {"path": "/api/tasks/", "kind": "drop", "count": 50})
        result = self.write("task", "set-status", "AST-15", "Done", "--timeout", "20")
        self.assertIn("Offline", result.stdout)
        self.server.control("DELETE", "faults")
        self.write("outbox", "--send")
        self.assertEqual(self.server_row("tasks", task["id"])["status"], "Done")
        self.assertEqual(len(self.records()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
