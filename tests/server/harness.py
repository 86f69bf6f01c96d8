"""Test helper: start the reference server on port 0 and talk real HTTP to it."""

import http.client
import json
import os
import subprocess
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class Server:
    """A running server subprocess; use as a context manager or call stop()."""

    def __init__(self, *args, seed="demo", test_controls=True, long_poll_ms=1000):
        cmd = [PYTHON, SERVER, "--port", "0", "--long-poll-ms", str(long_poll_ms)]
        if seed:
            cmd += ["--seed", seed]
        if test_controls:
            cmd.append("--test-controls")
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on http://127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line.split()[-1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- HTTP --------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, timeout=30, raw=False):
        """One request on a fresh connection -> Reply."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            return Reply(resp.status, resp.getheaders(), payload)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def shape(self, params, **kw):
        return self.get("/v1/shape?" + urllib.parse.urlencode(params), **kw)

    def control(self, method, path, body=None):
        reply = self.request(method, "/_test/" + path, body)
        if reply.status >= 300:
            raise AssertionError(f"control {method} {path} -> {reply.status} {reply.body!r}")
        return reply.json()

    def login(self, email="demo@example.com", password="demo"):
        reply = self.request("POST", "/api/auth/login", {"email": email, "password": password})
        assert reply.status == 200, reply.body
        return reply.json()

    def sync(self, params, path="/v1/shape", headers=None, max_requests=1000):
        """Initial sync to up-to-date; returns (rows by key, handle, offset, messages)."""
        rows, msgs = {}, []
        params = dict(params, offset="-1")
        params.pop("handle", None)
        for _ in range(max_requests):
            reply = self.get(path + "?" + urllib.parse.urlencode(params), headers=headers)
            if reply.status != 200:
                raise AssertionError(f"sync got {reply.status}: {reply.body!r}")
            batch = reply.json()
            msgs.extend(batch)
            apply(rows, batch)
            params["handle"] = reply.header("electric-handle")
            params["offset"] = reply.header("electric-offset")
            if reply.header("electric-up-to-date") is not None:
                return rows, params["handle"], params["offset"], msgs
        raise AssertionError("never up-to-date")


def apply(rows, batch):
    """Materialise messages the way the TS Shape does."""
    for m in batch:
        op = m.get("headers", {}).get("operation")
        if op == "insert":
            rows[m["key"]] = dict(m["value"])
        elif op == "update":
            rows[m["key"]].update(m["value"])
        elif op == "delete":
            rows.pop(m["key"], None)
        elif m.get("headers", {}).get("control") == "must-refetch":
            rows.clear()


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = [(k.lower(), v) for k, v in headers]
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:200]!r}>"


class ServerTest(unittest.TestCase):
    """One server per test class (start-up costs ~0.1 s; classes stay independent)."""

    server_args = ()
    long_poll_ms = 1000
    seed = "demo"

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(*cls.server_args, seed=cls.seed, long_poll_ms=cls.long_poll_ms)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
