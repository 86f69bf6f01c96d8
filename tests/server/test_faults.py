"""Every fault kind of the test controls, and the request counters."""

import http.client
import json
import socket
import time
import unittest

from harness import ServerTest


class Faults(ServerTest):
    long_poll_ms = 1000

    def setUp(self):
        self.srv.control("DELETE", "faults")

    def arm(self, **spec):
        return self.srv.control("POST", "faults", spec)["armed"][0]

    def test_status_with_body_and_headers(self):
        for status in (204, 400, 404, 429, 500, 503):
            with self.subTest(status=status):
                self.arm(path="/v1/shape", kind="status", status=status,
                         body={"code": "x"} if status != 204 else "", headers={"Retry-After": "7"})
                r = self.srv.shape({"table": "tasks", "offset": "-1"})
                self.assertEqual(r.status, status)
                self.assertEqual(r.header("retry-after"), "7")
                if status != 204:
                    self.assertEqual(r.json(), {"code": "x"})
                self.assertEqual(self.srv.shape({"table": "tasks", "offset": "-1"}).status, 200)

    def test_count_and_prefix(self):
        self.arm(path="/api/electric/", kind="status", status=503, count=2)
        tok = self.srv.login()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        self.assertEqual(self.srv.get("/v1/shape?table=tasks&offset=-1").status, 200)  # other path
        self.assertEqual(self.srv.get("/api/electric/tasks?offset=-1", headers=h).status, 503)
        self.assertEqual(self.srv.get("/api/electric/users?offset=-1", headers=h).status, 503)
        self.assertEqual(self.srv.get("/api/electric/users?offset=-1", headers=h).status, 200)
        self.assertEqual(self.srv.control("GET", "faults")["faults"], [])

    def test_write_path_fault(self):
        self.arm(path="/api/workspaces", kind="status", status=429, headers={"Retry-After": "2"},
                 body={"error": "rate_limited", "message": "slow down"})
        r = self.srv.request("PATCH", "/api/workspaces/x", {"status": "idle"})
        self.assertEqual((r.status, r.header("retry-after")), (429, "2"))

    def test_drop_after_commit(self):
        """A lost answer: the write is applied, the client hears nothing, and the
        same Idempotency-Key then gets the first answer without a second write."""
        tok = self.srv.login()["access_token"]
        h = {"Authorization": f"Bearer {tok}", "Idempotency-Key": "drop-test-1"}
        task = self.srv.control("GET", "rows/tasks")
        task = next(t for t in (task["rows"] if isinstance(task, dict) else task) if t["deleted_at"] is None)
        self.arm(path="/api/tasks/", kind="drop")
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            self.srv.request("PATCH", "/api/tasks/" + task["id"], {"priority": 3}, headers=h)
        after = self.srv.control("GET", "rows/tasks/" + task["id"])
        self.assertEqual(after["priority"], "3")
        r = self.srv.request("PATCH", "/api/tasks/" + task["id"], {"priority": 3}, headers=h)
        self.assertEqual((r.status, r.header("idempotent-replayed")), (200, "true"))
        self.assertEqual(self.srv.control("GET", "rows/tasks/" + task["id"])["updated_at"], after["updated_at"])
        self.assertEqual(self.srv.control("GET", "counters")["/api/tasks/" + task["id"]], {"drop": 1, "200": 1})

    def test_request_cut_short_is_not_handled(self):
        """A client killed while sending its body: the half request is never acted
        on, so its Idempotency-Key stays free for the retry."""
        tok = self.srv.login()["access_token"]
        before = len(self.srv.control("GET", "idempotency")["records"])
        with socket.create_connection(("127.0.0.1", self.srv.port)) as sock:
            sock.sendall(b"PATCH /api/tasks/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\n"
                         b"Host: x\r\nAuthorization: Bearer " + tok.encode() +
                         b"\r\nIdempotency-Key: cut-short\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"status\":")
            sock.shutdown(socket.SHUT_WR)
            self.assertEqual(sock.recv(100), b"")
        self.assertEqual(len(self.srv.control("GET", "idempotency")["records"]), before)

    def test_must_refetch_variants(self):
        h = self.srv.shape({"table": "tasks", "offset": "-1"}).header("electric-handle")
        params = {"table": "tasks", "offset": "0_0", "handle": h}
        self.arm(path="/v1/shape", kind="must-refetch", handle="same")
        r = self.srv.shape(params)
        self.assertEqual((r.status, r.header("electric-handle")), (409, h))
        self.assertEqual(self.srv.shape(params).status, 200)  # "same": the real shape is untouched
        self.arm(path="/v1/shape", kind="must-refetch")
        r = self.srv.shape(params)
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json(), [{"headers": {"control": "must-refetch"}}])
        new = r.header("electric-handle")
        self.assertNotIn(new, (None, h))
        # The old handle died with it, and the refetch gets the announced handle.
        self.assertEqual(self.srv.shape(params).status, 409)
        self.assertEqual(self.srv.shape({"table": "tasks", "offset": "-1"}).header("electric-handle"), new)
        self.arm(path="/v1/shape", kind="must-refetch", handle="none")
        r = self.srv.shape(dict(params, handle=new))
        self.assertEqual((r.status, r.header("electric-handle")), (409, None))
        self.assertNotEqual(self.srv.shape({"table": "tasks", "offset": "-1"}).header("electric-handle"), new)

    def test_delay(self):
        self.arm(path="/v1/health", kind="delay", ms=600)
        t0 = time.monotonic()
        self.assertEqual(self.srv.get("/v1/health").status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.55)

    def test_cut_connection(self):
        self.arm(path="/v1/shape", kind="cut", after_bytes=100)
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        conn.request("GET", "/v1/shape?table=tasks&offset=-1")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        with self.assertRaises(http.client.IncompleteRead) as cm:
            resp.read()
        self.assertEqual(len(cm.exception.partial), 100)
        conn.close()

    def test_malformed_and_truncated(self):
        self.arm(path="/v1/shape", kind="malformed")
        r = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.assertEqual(r.status, 200)
        self.assertIsNotNone(r.header("electric-handle"))
        with self.assertRaises(json.JSONDecodeError):
            json.loads(r.body)
        full = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.arm(path="/v1/shape", kind="truncated")
        r = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.assertEqual(r.status, 200)  # a complete HTTP message ...
        self.assertEqual(len(r.body), len(full.body) // 2)  # ... with half a JSON body
        with self.assertRaises(json.JSONDecodeError):
            json.loads(r.body)

    def test_missing_headers(self):
        self.arm(path="/v1/shape", kind="missing-headers")
        r = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.assertEqual(r.status, 200)
        self.assertEqual([k for k, _ in r.headers if k.startswith("electric-") and k != "electric-server"], [])
        self.arm(path="/v1/shape", kind="missing-headers", headers=["electric-offset"])
        r = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.assertIsNone(r.header("electric-offset"))
        self.assertIsNotNone(r.header("electric-handle"))

    def test_stray_snapshot_end_and_unknown_control(self):
        rows, h, off, _ = self.srv.sync({"table": "users"})
        self.arm(path="/v1/shape", kind="stray-snapshot-end")
        r = self.srv.shape({"table": "users", "offset": off, "handle": h})
        controls = [m["headers"].get("control") for m in r.json()]
        self.assertEqual(controls, ["snapshot-end", "up-to-date"])
        self.arm(path="/v1/shape", kind="unknown-control")
        r = self.srv.shape({"table": "users", "offset": off, "handle": h})
        self.assertEqual([m["headers"].get("control") for m in r.json()], ["astrolabe-unknown-control", "up-to-date"])
        self.arm(path="/v1/shape", kind="unknown-control", message={"headers": {"event": "move-out", "patterns": []}})
        r = self.srv.shape({"table": "users", "offset": off, "handle": h})
        self.assertEqual(r.json()[0]["headers"]["event"], "move-out")

    def test_rotate_fault(self):
        rows, h, off, _ = self.srv.sync({"table": "organization_members"})
        self.arm(path="/v1/shape", kind="rotate")
        r = self.srv.shape({"table": "organization_members", "offset": off, "handle": h})
        self.assertEqual(r.status, 409)
        self.assertNotEqual(r.header("electric-handle"), h)

    def test_stale_replay(self):
        _, old, _, _ = self.srv.sync({"table": "repositories"})
        self.srv.control("POST", "rotate", {"table": "repositories"})
        self.arm(path="/v1/shape", kind="stale")
        r = self.srv.shape({"table": "repositories", "offset": "-1", "expired_handle": old})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("electric-handle"), old)  # a response from the expired handle
        r = self.srv.shape({"table": "repositories", "offset": "-1", "expired_handle": old})
        self.assertNotEqual(r.header("electric-handle"), old)

    def test_stale_replay_never_crosses_users(self):
        demo = {"Authorization": "Bearer " + self.srv.login()["access_token"]}
        linus = {"Authorization": "Bearer " + self.srv.login("linus@example.com")["access_token"]}
        self.srv.sync({}, path="/api/electric/repositories", headers=demo)
        self.srv.control("POST", "rotate", {"table": "repositories"})
        self.arm(path="/api/electric/", kind="stale", count=5)
        for _ in range(5):
            r = self.srv.get("/api/electric/repositories?offset=-1", headers=linus)
            orgs = {m["value"]["organization_id"] for m in r.json() if "value" in m}
            self.assertEqual(orgs, {"68b0a92c-143e-54f4-a9f9-179ba24effa3"})

    def test_hang_until_client_gives_up(self):
        self.arm(path="/v1/shape", kind="hang")
        t0 = time.monotonic()
        with self.assertRaises((socket.timeout, TimeoutError)):
            self.srv.shape({"table": "tasks", "offset": "-1"}, timeout=1.0)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.assertEqual(self.srv.shape({"table": "tasks", "offset": "-1"}).status, 200)

    def test_out_of_bounds_fault(self):
        self.arm(path="/v1/shape", kind="out-of-bounds")
        t0 = time.monotonic()
        r = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.assertGreaterEqual(time.monotonic() - t0, 0.45)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["errors"]["offset"], ["out of bounds for this shape"])

    def test_bad_fault_specs(self):
        for spec in ({"path": "/v1/shape", "kind": "nope"}, {"kind": "hang"},
                     {"path": "/v1/shape", "kind": "status"}, {"path": "/x", "kind": "hang", "count": 0}):
            self.assertEqual(self.srv.request("POST", "/_test/faults", spec).status, 400, spec)


class Counters(ServerTest):
    def test_counters_per_path_and_status(self):
        self.srv.control("POST", "counters/reset")
        self.srv.shape({"table": "tasks", "offset": "-1"})
        self.srv.shape({"table": "tasks", "offset": "-1"})
        self.srv.shape({"table": "nope", "offset": "-1"})
        self.srv.request("POST", "/api/auth/login", {"email": "x", "password": "y"})
        c = self.srv.control("GET", "counters")
        self.assertEqual(c, {"/v1/shape": {"200": 2, "400": 1}, "/api/auth/login": {"401": 1}})
        self.srv.control("POST", "counters/reset")
        self.assertEqual(self.srv.control("GET", "counters"), {})


if __name__ == "__main__":
    unittest.main()
