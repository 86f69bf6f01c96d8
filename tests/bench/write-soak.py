#!/usr/bin/python3
"""R3 soak: randomized writes through astrolabe-ctl's outbox against the reference
backend, with random disconnects (lost answers, cut connections, 5xx, the server
stopped and started again) and astrolabe-ctl killed at random moments. At the end
every write must be settled, the server's rows must equal the writes' intended
effect applied in order, and each write must have been applied exactly once (one
idempotency record per outbox entry, no other writes).

  ASTRO_BUILD_DIR=_build tests/bench/write-soak.py --writes 1000 [--seed N]
"""
import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import harness  # noqa: E402

CTL = os.path.join(os.environ.get("ASTRO_BUILD_DIR", "_build"), "src", "cli", "astrolabe-ctl")
STATUSES = ["Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled"]
FAST = {"ASTRO_SYNC_BACKOFF_MS": "50", "ASTRO_SYNC_BACKOFF_MAX_MS": "400", "ASTRO_SYNC_TIMEOUT_S": "5",
        "ASTRO_OUTBOX_BACKOFF_MS": "30", "ASTRO_OUTBOX_BACKOFF_MAX_MS": "300",
        "ASTRO_OUTBOX_SETTLE_MS": "3000"}


def jsonb(value):
    """A git_status object as the server prints jsonb."""
    keys = sorted(value, key=lambda k: (len(k), k))
    return "{" + ", ".join('"%s": %s' % (k, json.dumps(value[k])) for k in keys) + "}"


def text(value):
    if value is None:
        return None
    if isinstance(value, dict):
        return jsonb(value)
    return str(value)


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "astrolabe.db")
        self.server_db = os.path.join(self.tmp.name, "server.db")
        self.server = None
        self.stats = {"writes": 0, "no_wait": 0, "kills": 0, "faults": 0, "restarts": 0, "offline": 0}
        self.start_server()
        self.token = self.server.login()["access_token"]

    def start_server(self):
        self.server = harness.Server("--db", self.server_db, long_poll_ms=1000)

    def env(self):
        return dict(os.environ, ASTROLABE_TOKEN=self.token, **FAST)

    def ctl(self, *args, check=True, timeout=90):
        result = subprocess.run([CTL, *args, "--server", self.server.url, "--db", self.db], env=self.env(),
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise SystemExit("astrolabe-ctl %s exited %d: %s" % (" ".join(args), result.returncode, result.stderr))
        return result

    def local(self, sql, *params):
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, params).fetchall()

    def disrupt(self):
        """Something goes wrong with the network or the server, now and then."""
        roll = self.rng.random()
        if roll < 0.05 and self.server is not None:
            self.server.stop()
            self.stats["restarts"] += 1
            # a few writes while the server is away
            url = self.server.url
            for _ in range(self.rng.randint(1, 4)):
                self.one_write(url_override=url)
                self.stats["offline"] += 1
            self.start_server()
        elif roll < 0.25:
            kind = self.rng.choice(["drop", "cut", "status503", "status500", "status429"])
            spec = {"path": "/api/", "count": self.rng.randint(1, 3)}
            if kind.startswith("status"):
                spec.update(kind="status", status=int(kind[6:]), headers={"Retry-After": "0"})
            elif kind == "cut":
                spec.update(kind="cut", after_bytes=self.rng.randint(0, 10))
            else:
                spec.update(kind="drop")
            self.server.control("POST", "faults", spec)
            self.stats["faults"] += 1

    def pick_write(self):
        tasks = [r[0] for r in self.local("SELECT id FROM tasks WHERE deleted_at IS NULL AND repository_id IS NOT NULL ORDER BY id")]
        mine = [r[0] for r in self.local("SELECT row_id FROM outbox WHERE kind = 'create'")]
        roll = self.rng.random()
        if roll < 0.35 or not mine:
            if roll < 0.1 or not mine:
                return ["workspace", "start", "--task", self.rng.choice(tasks), "--device", "soak"]
            args = ["task", "set-status", self.rng.choice(tasks), self.rng.choice(STATUSES), "--force"]
            if self.rng.random() < 0.5:
                args += ["--priority", str(self.rng.randint(0, 4))]
            return args
        workspace = self.rng.choice(mine)
        roll = self.rng.random()
        if roll < 0.6:
            return ["workspace", "set-git", workspace, "--uncommitted", str(self.rng.randint(0, 20)),
                    "--ahead", str(self.rng.randint(0, 3)), "--branch", "soak/%d" % self.rng.randint(0, 5)]
        if roll < 0.8:
            return ["workspace", "set-pr", workspace,
                    "https://github.com/acme/x/pull/%d" % self.rng.randint(1, 999),
                    "--status", self.rng.choice(["open", "draft", "merged", "closed"]), "--force"]
        return ["workspace", "archive", workspace, "--force"]

    def one_write(self, url_override=None):
        args = self.pick_write()
        self.stats["writes"] += 1
        mode = self.rng.random()
        url = url_override or self.server.url
        if mode < 0.3:
            args.append("--no-wait")
            self.stats["no_wait"] += 1
        cmd = [CTL, *args, "--server", url, "--db", self.db, "--timeout", "30"]
        if mode > 0.9 and url_override is None:
            process = subprocess.Popen(cmd, env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(self.rng.uniform(0, 0.08))
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.stats["kills"] += 1
            return
        result = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=90)
        if result.returncode not in (0,):
            for row in self.local("SELECT id, kind, state, attempts, http_status, txid, last_error FROM outbox"
                                  " WHERE row_id IN (SELECT row_id FROM outbox WHERE row_id = ?)", args[2]):
                print("outbox:", row)
            raise SystemExit("write %s exited %d: %s" % (" ".join(args), result.returncode, result.stderr))

    def intended(self):
        """Every write in the outbox, applied in order: what the server must hold."""
        rows = {}
        for kind, table, row_id, payload, state, status, error, attempts in self.local(
                "SELECT kind, row_table, row_id, payload, state, http_status, last_error, attempts"
                " FROM outbox ORDER BY id"):
            if state != "settled":
                raise SystemExit("a %s ended %s after %d attempts (%s: %s): %s %s"
                                 % (kind, state, attempts, status, error, table, row_id))
            fields = json.loads(payload) if payload else {}
            fields.pop("expected_updated_at", None)
            key = (table, row_id)
            if kind == "create":
                rows[key] = dict(fields)
            elif kind == "delete":
                rows[key] = None
            else:
                rows.setdefault(key, {}).update(fields)
        return rows

    def verify(self):
        problems = []
        for (table, row_id), fields in self.intended().items():
            reply = self.server.request("GET", f"/_test/rows/{table}/{row_id}")
            if fields is None:
                if reply.status != 404:
                    problems.append(f"{table} {row_id} should be gone")
                continue
            server = reply.json()
            for column, value in fields.items():
                if text(value) != server.get(column):
                    problems.append(f"{table} {row_id} {column}: server {server.get(column)!r}, intended {text(value)!r}")
            local = self.local(f"SELECT {', '.join(fields)} FROM {table} WHERE id = ?", row_id)
            if [tuple(server.get(c) for c in fields)] != local:
                problems.append(f"{table} {row_id}: local {local} differs from the server")
        keys = [r[0] for r in self.local("SELECT idempotency_key FROM outbox")]
        records = [r["key"] for r in self.server.control("GET", "idempotency")["records"]]
        if sorted(keys) != sorted(records):
            problems.append(f"{len(keys)} writes but {len(records)} idempotency records")
        if self.local("SELECT count(*) FROM overlay_base") != [(0,)]:
            problems.append("rows still pending")
        return problems, len(keys)

    def run(self):
        started = time.monotonic()
        self.ctl("sync", "--once", "--timeout", "60")
        while self.stats["writes"] < self.args.writes:
            self.disrupt()
            self.one_write()
        self.server.control("DELETE", "faults")
        for _ in range(5):
            self.ctl("outbox", "--send", "--timeout", "60", check=False)
            if not self.local("SELECT 1 FROM outbox WHERE state != 'settled'"):
                break
        problems, n_entries = self.verify()
        elapsed = time.monotonic() - started
        counters = self.server.control("GET", "counters")
        requests = sum(sum(v.values()) for k, v in counters.items() if not k.startswith("/api/electric"))
        print(f"writes {self.stats['writes']} (outbox entries {n_entries} after coalescing), "
              f"no-wait {self.stats['no_wait']}, kills {self.stats['kills']}, faults {self.stats['faults']}, "
              f"server restarts {self.stats['restarts']} ({self.stats['offline']} writes offline), "
              f"{elapsed:.1f} s; write requests since the last restart {requests}")
        self.server.stop()
        for problem in problems[:20]:
            print("PROBLEM:", problem)
        return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    print(f"seed {args.seed}")
    sys.exit(Soak(args).run())


if __name__ == "__main__":
    main()
