"""Randomized oracle test: shapes followed by a simple client always equal the database.

Random transactions (inserts, updates that move rows in and out of where clauses,
primary key changes, deletes, several ops per transaction) are committed while a few
shapes are followed; after every round each client copy must equal the server's rows
filtered by the shape's own definition.
"""

import http.client
import json
import random
import unittest
import urllib.parse
import uuid

from harness import ServerTest, apply

ORG1 = "db30ade9-b44e-57be-b7a3-5e98f527d67d"
ORG2 = "68b0a92c-143e-54f4-a9f9-179ba24effa3"
STATUSES = ["Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled"]

SHAPES = [
    ({"table": "tasks"}, lambda t: True, None),
    ({"table": "tasks", "where": "priority >= $1 AND status <> $2", "params[1]": "2", "params[2]": "Done"},
     lambda t: t["priority"] is not None and int(t["priority"]) >= 2 and t["status"] != "Done", None),
    ({"table": "tasks", "where": "organization_id = $1 OR assignee_id IS NULL", "params[1]": ORG2,
      "columns": "id,title,priority,organization_id", "replica": "full"},
     lambda t: t["organization_id"] == ORG2 or t["assignee_id"] is None,
     ["id", "title", "priority", "organization_id"]),
    ({"table": "tasks", "where": "status IN ('Todo', 'In Progress') AND NOT (priority = 0)"},
     lambda t: t["status"] in ("Todo", "In Progress") and t["priority"] is not None and int(t["priority"]) != 0,
     None),
]


class Follower:
    """A minimal client on one keep-alive connection: applies batches at up-to-date."""

    def __init__(self, srv, params):
        self.srv, self.params = srv, dict(params)
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        self.rows, self.handle, self.offset = {}, None, "-1"
        self.pending = []

    def request(self, live=False):
        q = dict(self.params, offset=self.offset)
        if self.handle:
            q["handle"] = self.handle
        if live:
            q["live"] = "true"
        self.conn.request("GET", "/v1/shape?" + urllib.parse.urlencode(q))
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status == 409:
            self.rows, self.pending, self.offset = {}, [], "-1"
            self.handle = resp.getheader("electric-handle")
            return
        assert resp.status == 200, (resp.status, body)
        self.pending.extend(json.loads(body))
        self.handle = resp.getheader("electric-handle")
        self.offset = resp.getheader("electric-offset")
        if resp.getheader("electric-up-to-date") is not None:
            apply(self.rows, self.pending)
            self.pending = []

    def catch_up(self):
        for _ in range(200):
            before = self.offset
            self.request()
            if not self.pending and self.offset == before:
                return
        raise AssertionError("no progress")


class Random(ServerTest):
    long_poll_ms = 300  # some live polls find nothing new for their shape

    def test_random_transactions(self):
        rnd = random.Random(1234)
        users = [u["id"] for u in self.srv.control("GET", "rows/users")]
        followers = [Follower(self.srv, p) for p, _, _ in SHAPES]
        for f in followers:
            self.addCleanup(f.conn.close)
        for f in followers:
            f.catch_up()
        for round_no in range(25):
            tasks = self.srv.control("GET", "rows/tasks")
            ops = []
            touched = set()
            for _ in range(rnd.randint(1, 5)):
                kind = rnd.random()
                candidates = [t for t in tasks if t["id"] not in touched]
                if kind < 0.25 or not candidates:
                    new_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
                    ops.append({"op": "insert", "table": "tasks", "row": {
                        "id": new_id, "organization_id": rnd.choice([ORG1, ORG2]), "title": f"r{round_no}",
                        "status": rnd.choice(STATUSES), "priority": rnd.choice([None, 0, 1, 2, 3, 4]),
                        "assignee_id": rnd.choice(users + [None]),
                        "created_at": "2026-04-01 00:00:00+00", "updated_at": "2026-04-01 00:00:00+00"}})
                    touched.add(new_id)
                    continue
                t = rnd.choice(candidates)
                touched.add(t["id"])
                if kind < 0.75:
                    change = rnd.choice([{"priority": rnd.randint(0, 4)}, {"status": rnd.choice(STATUSES)},
                                         {"title": f"t{round_no}"}, {"assignee_id": rnd.choice(users + [None])},
                                         {"organization_id": rnd.choice([ORG1, ORG2])},
                                         {"priority": None, "status": rnd.choice(STATUSES)}])
                    ops.append({"op": "update", "table": "tasks", "id": t["id"], "row": change})
                elif kind < 0.85:
                    new_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
                    touched.add(new_id)
                    ops.append({"op": "update", "table": "tasks", "id": t["id"],
                                "row": {"id": new_id, "priority": rnd.randint(0, 4)}})
                else:
                    ops.append({"op": "delete", "table": "tasks", "id": t["id"]})
            self.srv.control("POST", "tx", {"ops": ops})
            if round_no % 3 == 0:
                # Sometimes a live poll (data is already there, so it returns at once).
                for f in followers:
                    f.request(live=f.offset not in ("-1",))
            for f in followers:
                f.catch_up()
            server = self.srv.control("GET", "rows/tasks")
            for f, (params, pred, cols) in zip(followers, SHAPES):
                expect = {f'"public"."tasks"/"{t["id"]}"': ({c: t[c] for c in cols} if cols else t)
                          for t in server if pred(t)}
                self.assertEqual(f.rows, expect, f"round {round_no} shape {params}")


if __name__ == "__main__":
    unittest.main()
