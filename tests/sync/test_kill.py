"""R2, short version: kill -9 during initial and live sync, then restart; the
copy equals the server, and never holds rows without their offset (or the
other way round). tests/bench/kill-soak runs the long version."""
import os
import random
import signal
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from synctest import SyncTestCase, TABLES  # noqa: E402

TRIALS = int(os.environ.get("ASTRO_KILL_TRIALS", "4"))


def assert_consistent(test, db_path):
    """Every table's rows came with their shape state: same count, an offset."""
    with sqlite3.connect(db_path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "sync_state" not in tables:
            # killed before the first migration committed: nothing at all yet
            test.assertFalse(tables & set(TABLES), "synced tables without sync_state")
            return
        states = {row[0]: row[1:] for row in db.execute("SELECT shape, handle, shape_offset, row_count FROM sync_state")}
        for table in TABLES:
            count = db.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
            if count == 0:
                continue
            test.assertIn(table, states, "rows of %s without a saved state" % table)
            handle, offset, row_count = states[table]
            test.assertIsNotNone(handle, table)
            test.assertIsNotNone(offset, table)
            test.assertEqual(row_count, count, "%s: the saved count and the rows disagree" % table)


class KillTest(SyncTestCase):
    server_args = ("--seed", "bench:3000", "--chunk-bytes", "60000")

    def kill_after(self, process, seconds):
        time.sleep(seconds)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def test_kill_during_initial_sync(self):
        rng = random.Random(1234)
        for trial in range(TRIALS):
            process = self.start_live()
            self.kill_after(process, rng.uniform(0.02, 0.7))
            assert_consistent(self, self.db)
            with sqlite3.connect(self.db) as db:
                # killed before the first migration: no tasks table yet
                has_tasks = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'tasks'").fetchone()[0]
                killed_with = db.execute("SELECT count(*) FROM tasks").fetchone()[0] if has_tasks else 0
                print("trial %d: killed with %d tasks" % (trial, killed_with))
            self.sync_once()
            self.assert_copy_equals_server()
            assert_consistent(self, self.db)
            os.unlink(self.db)
            for suffix in ("-wal", "-shm"):
                if os.path.exists(self.db + suffix):
                    os.unlink(self.db + suffix)

    def test_kill_during_live_sync(self):
        self.sync_once()
        tasks = list(self.server_rows("tasks"))
        rng = random.Random(99)
        stop = threading.Event()

        def another_client():
            n = 0
            while not stop.is_set():
                n += 1
                self.server.control("PATCH", "rows/tasks/" + rng.choice(tasks), {"title": "Edit %d" % n})
                time.sleep(0.01)

        writer = threading.Thread(target=another_client)
        writer.start()
        try:
            for trial in range(TRIALS):
                process = self.start_live()
                self.kill_after(process, rng.uniform(0.2, 1.5))
                assert_consistent(self, self.db)
        finally:
            stop.set()
            writer.join()

        self.sync_once()
        self.assert_copy_equals_server()
        assert_consistent(self, self.db)


if __name__ == "__main__":
    unittest.main(verbosity=2)
