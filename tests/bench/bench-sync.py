"""Sync benchmarks against the reference backend on loopback (targets.md):

P1/P2  initial sync of N tasks: rows/s of astrolabe-ctl against the official
       TypeScript client on the same shape of the same server in the same
       run, and the peak RSS of each process (medians of --runs runs);
P7     resume after a restart with 1,000 changes waiting: requests per shape
       and bytes received against the changes' own size;
P3     a write through the team API until it has reached SQLite and
       rows-changed, with all six shapes live (bench-latency).

    bench-sync.py BUILD_DIR [--tasks 100000] [--runs 3] [--writes 200]
Prints one JSON object per figure.
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "tests", "server"))
import harness  # noqa: E402


def run_measured(argv, env=None):
    """Runs a process; returns (wall seconds, peak RSS in KiB, stdout)."""
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    out = process.stdout.read()
    err = process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (argv[0], process.returncode, err))
    return seconds, usage.ru_maxrss, out


def node_modules(build_dir):
    """The pinned official client, installed once into the build folder."""
    cache = os.path.join(build_dir, "bench-node")
    if not os.path.isdir(os.path.join(cache, "node_modules", "@electric-sql", "client")):
        os.makedirs(cache, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(SOURCE, "tests", "server", "conformance", name), cache)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=cache, check=True)
    return cache


def warm_up(server, table):
    """Fetches every chunk of the shape once, untimed: the server keeps its
    responses, and neither client should pay for building them."""
    offset, handle = "-1", None
    while True:
        params = {"table": table, "offset": offset}
        if handle:
            params["handle"] = handle
        reply = server.shape(params)
        handle, offset = reply.header("electric-handle"), reply.header("electric-offset")
        if reply.header("electric-up-to-date") is not None:
            return


def bench_initial(args, server, ctl, modules):
    ours, theirs = [], []
    warm_up(server, "tasks")
    for run in range(args.runs):
        db = tempfile.mktemp(suffix=".db")
        seconds, rss, _ = run_measured([ctl, "sync", "--direct", "--once", "--table", "tasks",
                                        "--server", server.url, "--db", db])
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
        ours.append((rows / seconds, rss, seconds))

        seconds, rss, out = run_measured(["node", os.path.join(HERE, "ts-sync.mjs"), modules, server.url, "tasks"])
        theirs.append((json.loads(out)["rows"] / seconds, rss, seconds))

    ours_rate = statistics.median(r for r, _, _ in ours)
    theirs_rate = statistics.median(r for r, _, _ in theirs)
    print(json.dumps({
        "figure": "P1/P2 initial sync", "tasks": args.tasks, "runs": args.runs,
        "astrolabe_rows_per_s": round(ours_rate), "typescript_rows_per_s": round(theirs_rate),
        "ratio": round(ours_rate / theirs_rate, 2),
        "astrolabe_peak_rss_mb": round(statistics.median(m for _, m, _ in ours) / 1024, 1),
        "typescript_peak_rss_mb": round(statistics.median(m for _, m, _ in theirs) / 1024, 1),
        "astrolabe_seconds": [round(s, 2) for _, _, s in ours],
        "typescript_seconds": [round(s, 2) for _, _, s in theirs],
    }), flush=True)


def bench_resume(args, server, ctl):
    db = tempfile.mktemp(suffix=".db")
    token = server.login()["access_token"]
    env = dict(os.environ, ASTROLABE_TOKEN=token)
    run_measured([ctl, "sync", "--once", "--server", server.url, "--db", db], env=env)

    ids = [row["id"] for row in server.control("GET", "rows/tasks")[:1000]]
    own_size = 0
    for start in range(0, len(ids), 100):
        ops = []
        for i in ids[start:start + 100]:
            ops.append({"op": "update", "table": "tasks", "id": i, "row": {"title": "Changed while away " + i[:8]}})
        own_size += len(json.dumps(ops))
        server.control("POST", "tx", {"ops": ops})
    server.control("POST", "counters/reset")

    seconds, rss, out = run_measured([ctl, "sync", "--once", "--json", "--server", server.url, "--db", db], env=env)
    result = json.loads(out)
    counters = server.control("GET", "counters")
    tasks = next(s for s in result["shapes"] if s["table"] == "tasks")
    print(json.dumps({
        "figure": "P7 resume", "changes": len(ids), "seconds": round(seconds, 2),
        "requests_per_shape": {path.rsplit("/", 1)[1]: sum(c.values()) for path, c in counters.items()
                               if path.startswith("/api/electric/")},
        "tasks_bytes_received": tasks["bytes_received"], "changes_own_bytes": own_size,
        "bytes_ratio": round(tasks["bytes_received"] / own_size, 2),
    }), flush=True)


def bench_latency(args, server, build_dir):
    db = tempfile.mktemp(suffix=".db")
    tool = os.path.join(build_dir, "tests", "bench", "bench-latency")
    _, _, out = run_measured([tool, server.url, db, str(args.writes)])
    print(json.dumps(dict(json.loads(out), figure="P3 write to rows-changed")), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--tasks", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--only", choices=["p1", "p3", "p7"])
    args = parser.parse_args()

    build_dir = os.path.abspath(args.build_dir)
    ctl = os.path.join(build_dir, "src", "cli", "astrolabe-ctl")
    with harness.Server(seed="bench:%d" % args.tasks, long_poll_ms=20000) as server:
        if args.only in (None, "p1"):
            bench_initial(args, server, ctl, node_modules(build_dir))
        if args.only in (None, "p7"):
            bench_resume(args, server, ctl)
    with harness.Server(long_poll_ms=20000) as server:
        if args.only in (None, "p3"):
            bench_latency(args, server, build_dir)


if __name__ == "__main__":
    main()
