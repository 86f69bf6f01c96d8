"""The demo and bench seeds."""

import json
import time
import unittest

from harness import Server, ServerTest


class Demo(ServerTest):
    def test_demo_contents(self):
        rows = {t: self.srv.control("GET", f"rows/{t}") for t in
                ("organizations", "users", "organization_members", "repositories", "tasks", "workspaces")}
        self.assertEqual(len(rows["organizations"]), 2)
        self.assertEqual(rows["users"][0]["email"], "demo@example.com")
        demo = rows["users"][0]["id"]
        self.assertEqual(len({m["organization_id"] for m in rows["organization_members"] if m["user_id"] == demo}), 2)
        self.assertGreaterEqual(len(rows["repositories"]), 10)
        urls = [r["url"] for r in rows["repositories"]]
        self.assertTrue(any(u.startswith("git@") for u in urls))
        self.assertTrue(any(u.startswith("https://") and not u.endswith(".git") for u in urls))
        self.assertTrue(any(u.startswith("https://") and u.endswith(".git") for u in urls))
        self.assertTrue(any(u != u.lower() for u in urls))
        self.assertTrue(any("dev.azure.com" in u for u in urls))
        self.assertTrue(any("gitlab.com" in u and u.count("/") >= 5 for u in urls))
        self.assertEqual(len(rows["tasks"]), 60)
        self.assertEqual({t["status"] for t in rows["tasks"]},
                         {"Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled"})
        self.assertEqual({t["priority"] for t in rows["tasks"]}, {"0", "1", "2", "3", "4"})
        for t in rows["tasks"]:
            self.assertRegex(t["external_key"], r"^(AST|NEB)-\d+$")
            self.assertRegex(t["status_color"], r"^#[0-9a-f]{6}$")
            self.assertIsInstance(json.loads(t["labels"]), list)
        ws = rows["workspaces"]
        self.assertGreaterEqual(len({w["device_name"] for w in ws}), 4)
        self.assertTrue(any(w["pr_url"] and w["pr_number"] and w["pr_status"] for w in ws))
        for w in ws:
            self.assertEqual(set(json.loads(w["git_status"])), {"uncommitted", "ahead", "behind"})

    def test_deterministic(self):
        with Server() as other:
            for t in ("tasks", "workspaces", "repositories"):
                self.assertEqual(other.control("GET", f"rows/{t}"), self.srv.control("GET", f"rows/{t}"))


class Bench(unittest.TestCase):
    def test_bench_100k_loads_and_serves_fast(self):
        t0 = time.monotonic()
        with Server("--chunk-bytes", str(10 * 1024 * 1024), seed="bench:100000") as srv:
            started = time.monotonic() - t0
            self.assertLess(started, 30, "bench:100000 must load in seconds")
            t1 = time.monotonic()
            rows, total_bytes, params = 0, 0, {"table": "tasks", "offset": "-1"}
            while True:
                r = srv.shape(params, timeout=120)
                self.assertEqual(r.status, 200)
                total_bytes += len(r.body)
                rows += r.body.count(b'"operation":"insert"')
                if r.header("electric-up-to-date") is not None:
                    break
                params = {"table": "tasks", "offset": r.header("electric-offset"),
                          "handle": r.header("electric-handle")}
            served = time.monotonic() - t1
            self.assertEqual(rows, 100060)
            self.assertLess(total_bytes / rows, 1400)  # ~1 KB per task
            self.assertLess(served, 60)
            print(f"\nbench:100000 start {started:.1f}s, snapshot {total_bytes / 1e6:.0f} MB in {served:.1f}s")


if __name__ == "__main__":
    unittest.main()
