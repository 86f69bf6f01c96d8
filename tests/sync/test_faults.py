"""R1: every fault armed on the reference backend; the copy converges with
nothing lost or duplicated, and retries back off instead of storming."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from synctest import SyncTestCase  # noqa: E402

PATH = "/api/electric/tasks"

# (name, fault) armed for the next requests of the tasks shape
FAULTS = [
    ("204", {"kind": "status", "status": 204, "count": 1}),
    ("400", {"kind": "status", "status": 400, "body": {"message": "Invalid request"}, "count": 1}),
    ("404", {"kind": "status", "status": 404, "count": 1}),
    ("409", {"kind": "must-refetch", "count": 1}),
    ("409-without-handle", {"kind": "must-refetch", "handle": "none", "count": 1}),
    ("409-same-handle", {"kind": "must-refetch", "handle": "same", "count": 1}),
    ("429-retry-after", {"kind": "status", "status": 429, "headers": {"Retry-After": "1"}, "count": 1}),
    ("500", {"kind": "status", "status": 500, "count": 2}),
    ("503-retry-after", {"kind": "status", "status": 503, "headers": {"Retry-After": "1"}, "count": 1}),
    ("missing-headers", {"kind": "missing-headers", "count": 1}),
    ("malformed", {"kind": "malformed", "count": 1}),
    ("cut", {"kind": "cut", "after_bytes": 300, "count": 1}),
    ("truncated", {"kind": "truncated", "count": 1}),
    ("stray-snapshot-end", {"kind": "stray-snapshot-end", "count": 1}),
    ("unknown-control", {"kind": "unknown-control", "count": 1}),
    ("out-of-bounds", {"kind": "out-of-bounds", "count": 1}),
    ("stale", {"kind": "stale", "count": 1}),
    ("rotate", {"kind": "rotate", "count": 1}),
    ("hang", {"kind": "hang", "count": 1}),
    ("delay", {"kind": "delay", "ms": 1500, "count": 1}),
]


class FaultTest(SyncTestCase):
    long_poll_ms = 600

    def converge_through(self, fault):
        # a fault during the initial sync
        self.server.control("POST", "faults", dict(fault, path=PATH))
        self.sync_once()
        self.assert_copy_equals_server()

        # and during a catch-up, with changes waiting
        tasks = list(self.server_rows("tasks").values())
        self.server.control("PATCH", "rows/tasks/" + tasks[0]["id"], {"title": "Changed meanwhile"})
        self.server.control("DELETE", "rows/tasks/" + tasks[1]["id"])
        self.server.control("POST", "faults", dict(fault, path=PATH))
        self.sync_once()
        self.assert_copy_equals_server()


def make_test(fault):
    def test(self):
        self.converge_through(fault)
    return test


for name, fault in FAULTS:
    setattr(FaultTest, "test_" + name.replace("-", "_"), make_test(fault))


class StormTest(SyncTestCase):
    def test_persistent_failure_backs_off(self):
        self.server.control("POST", "faults", {"path": PATH, "kind": "status", "status": 500, "count": 10000})
        env = self.env({"ASTRO_SYNC_BACKOFF_MS": "1000", "ASTRO_SYNC_BACKOFF_MAX_MS": "32000"})
        process = self.start_live(env=env)
        time.sleep(8)
        process.terminate()
        process.wait(10)
        # full jitter from 1 s doubling: a handful in 8 s, never a storm
        self.assertLessEqual(self.requests_to(PATH), 8)
        self.assertGreaterEqual(self.requests_to(PATH), 2)
        # the other shapes were not held back by the failing one
        self.assertEqual(len(self.local_rows("repositories")), len(self.server_rows("repositories")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
