"""The sync engine, through the real astrolabe-ctl, against the reference backend over loopback."""
import json
import os
import signal
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from synctest import SyncTestCase, TABLES  # noqa: E402


class InitialSyncTest(SyncTestCase):
    def test_proxy_copy_equals_server(self):
        result = self.sync_once()
        self.assertIn("Up to date", result.stdout)
        self.assert_copy_equals_server()
        # the state is saved with the rows
        status = json.loads(self.ctl("status", "--json").stdout)
        self.assertEqual(sorted(s["shape"] for s in status["shapes"]), sorted(TABLES))
        for shape in status["shapes"]:
            self.assertIsNotNone(shape["handle"])
            self.assertEqual(shape["rows"], len(self.local_rows(shape["shape"])))
            self.assertIsNone(shape["last_error"])

    def test_proxy_scope_of_a_one_organization_user(self):
        self.token = self.server.login("ada@example.com")["access_token"]
        self.sync_once()
        orgs = set(self.local_rows("organizations"))
        self.assertEqual(len(orgs), 1)
        self.assert_copy_equals_server(organizations=orgs)

    def test_direct_mode(self):
        self.sync_once("--direct", env=self.env(token=False))
        self.assert_copy_equals_server()

    def test_small_chunks(self):
        # many snapshot chunks, applied one by one on a first sync
        self.server.stop()
        from synctest import harness
        self.server = harness.Server("--chunk-bytes", "2000", long_poll_ms=self.long_poll_ms)
        self.addCleanup(self.server.stop)
        self.token = self.server.login()["access_token"]
        self.sync_once()
        self.assert_copy_equals_server()
        self.assertGreater(self.requests_to("/api/electric/tasks"), 5)

    def test_not_signed_in(self):
        result = self.ctl("sync", "--once", "--server", self.server.url, env=self.env(token=False), check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("not signed in", result.stderr)

    def test_refused_token_without_refresh_signs_out(self):
        self.token = "not-a-real-token"
        result = self.sync_once(check=False)
        self.assertEqual(result.returncode, 3)
        self.assertIn("signed out", result.stderr)


class LiveTest(SyncTestCase):
    def test_changes_by_another_client_arrive(self):
        self.sync_once()
        process = self.start_live()
        task = next(iter(self.server_rows("tasks").values()))
        org = task["organization_id"]

        self.server.control("PATCH", "rows/tasks/" + task["id"], {"title": "Renamed live"})
        self.wait_until("the update", lambda: self.local_rows("tasks")[task["id"]]["title"] == "Renamed live")

        new_id = "00000000-0000-4000-8000-00000000abcd"
        self.server.control("POST", "rows/tasks", {"id": new_id, "organization_id": org, "title": "Brand new",
                                                   "status": "Todo", "priority": 2,
                                                   "created_at": "2026-11-01 10:00:00+00",
                                                   "updated_at": "2026-11-01 10:00:00+00"})
        self.wait_until("the insert", lambda: new_id in self.local_rows("tasks"))

        self.server.control("DELETE", "rows/tasks/" + task["id"])
        self.wait_until("the delete", lambda: task["id"] not in self.local_rows("tasks"))

        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(10), 0)
        self.assert_copy_equals_server()

    def test_restart_resumes_with_one_catch_up_request(self):
        self.sync_once()
        with sqlite3.connect(self.db) as db:
            handles = dict(db.execute("SELECT shape, handle FROM sync_state"))
        task = next(iter(self.server_rows("tasks").values()))
        self.server.control("PATCH", "rows/tasks/" + task["id"], {"title": "While away"})
        self.server.control("POST", "counters/reset")

        self.sync_once()

        counters = self.counters()
        for table in TABLES:
            self.assertEqual(counters.get("/api/electric/" + table), {"200": 1}, table)
        with sqlite3.connect(self.db) as db:
            self.assertEqual(dict(db.execute("SELECT shape, handle FROM sync_state")), handles)
        self.assertEqual(self.local_rows("tasks")[task["id"]]["title"], "While away")
        self.assert_copy_equals_server()

    def test_membership_removed_while_offline(self):
        self.sync_once()
        me = self.server.login()["user"]["id"]
        memberships = [m for m in self.server_rows("organization_members").values() if m["user_id"] == me]
        self.assertEqual(len(memberships), 2)
        gone = memberships[0]
        self.server.control("DELETE", "rows/organization_members/" + gone["id"])

        self.sync_once()

        kept = {memberships[1]["organization_id"]}
        self.assertEqual(set(self.local_rows("organizations")), kept)
        for table in ("repositories", "tasks", "workspaces"):
            self.assertTrue(all(r["organization_id"] in kept for r in self.local_rows(table).values()), table)
        self.assert_copy_equals_server(organizations=kept)


if __name__ == "__main__":
    unittest.main(verbosity=2)
