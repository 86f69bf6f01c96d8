#!/usr/bin/env python3
"""Astrolabe reference backend: an Electric-compatible shape server, the
authenticating shape proxy, the team write API and (optionally) test controls.

    python3 tests/server/server.py --port 0 [--seed demo|bench:N] [--test-controls]
        [--db FILE] [--long-poll-ms N] [--chunk-bytes N] [--token-ttl SECONDS]

Prints `listening on http://127.0.0.1:<port>` once it accepts connections and
serves until SIGTERM/SIGINT. See README.md beside this file.
"""

import argparse
import gzip
import os
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api as api_mod  # noqa: E402
import auth as auth_mod  # noqa: E402
import controls  # noqa: E402
import faults as faults_mod  # noqa: E402
import seed  # noqa: E402
import shapes  # noqa: E402
from response import Response, api_error  # noqa: E402
from store import Store  # noqa: E402

WRITE_CHUNK = 64 * 1024
DRAIN_LIMIT = 64 << 20  # bodies over 1 MiB but under this are read and dropped before the 413
SHAPE_PATHS = ("/v1/shape", "/api/electric/")


class App:
    """Everything a request needs; one per server."""

    def __init__(self, args):
        db_path = args.db or ":memory:"
        self.store = Store(db_path)
        self.auth = auth_mod.Auth(self.store, args.token_ttl)
        self.registry = shapes.ShapeRegistry(self.store, args.chunk_bytes, args.long_poll_ms)
        self.api = api_mod.Api(self.store, self.auth, self.registry)
        self.faults = faults_mod.Faults()
        self.test_controls = args.test_controls
        self.long_poll_ms = args.long_poll_ms
        seed.load(self.store, self.auth, args.seed)

    def route(self, method, path, query, raw, headers):
        if path == "/v1/shape":
            if method in ("GET", "HEAD"):
                return shapes.serve(self.registry, query, method, headers.get("if-none-match"))
            if method == "OPTIONS":
                return shapes.shape_response(204, b"", [
                    ("access-control-allow-headers", "*"), ("access-control-max-age", "86400")])
            if method == "DELETE":
                if not self.test_controls:
                    return shapes.shape_response(405, b"", [])
                parsed = shapes.parse_table(query.get("table", "")) or ("", "")
                rotated = self.registry.rotate(table=parsed[1], handle=query.get("handle") or None)
                return shapes.shape_response(202, b"", [("x-rotated", str(len(rotated))),
                                                        ("cache-control", "no-cache")])
            return shapes.shape_response(405, b"", [])
        if path == "/v1/health":
            return Response(200, b'{"status":"active"}')
        if path.startswith("/api/"):
            return self.route_api(method, path, query, raw, headers)
        if path.startswith("/_test/") and self.test_controls:
            return controls.route(self, method, path, query, raw)
        return Response(404, b"Not found", content_type="text/plain")

    def route_api(self, method, path, query, raw, headers):
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[1] == "auth":
            if method != "POST":
                return api_error(405, "method_not_allowed", "use POST")
            return self.api.auth_endpoint(parts[2], raw, headers.get("authorization"))
        if len(parts) == 3 and parts[1] == "electric":
            if method not in ("GET", "HEAD"):
                return api_error(405, "method_not_allowed", "use GET")
            return self.api.proxy(parts[2], query, headers.get("authorization"), method,
                                  headers.get("if-none-match"))
        if len(parts) in (2, 3) and parts[1] in ("workspaces", "tasks"):
            return self.api.write(method, path, raw, headers)
        return api_error(404, "not_found", "no such endpoint")


GZIP_MIN_BYTES = 1024
_gzipped = {}  # a chunk's bytes -> its gzip, so a cached chunk is compressed once


def accepts_gzip(value):
    codings = [part.split(";")[0].strip().lower() for part in (value or "").split(",")]
    return "gzip" in codings


def gzip_body(body):
    found = _gzipped.get(body)
    if found is None:
        found = gzip.compress(body, compresslevel=1, mtime=0)
        if len(_gzipped) > 256:
            _gzipped.clear()
        _gzipped[body] = found
    return found


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "astrolabe-reference/1"
    timeout = 300  # idle keep-alive connections are dropped after this

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus the
        # peer's delayed ACK adds ~40 ms to every small response (a live change).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if os.environ.get("ASTRO_SERVER_LOG"):
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.handle_any()

    do_HEAD = do_POST = do_PATCH = do_DELETE = do_OPTIONS = do_PUT = do_GET

    def handle_any(self):
        app = self.server.app
        method = self.command
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        # Last value wins for repeated parameters; blank values are kept (`live=`).
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        is_test = path.startswith("/_test/")

        try:
            raw, too_large = self.read_body(headers)
        except ConnectionAbortedError:
            self.close_connection = True
            return

        fault = None
        if app.test_controls and not is_test:
            fault = app.faults.take(path)
        resp = None
        if fault:
            if fault["kind"] == "delay":
                app.registry.shutdown.wait(fault.get("ms", 1000) / 1000)
            elif fault["kind"] == "rotate":
                table = fault.get("table") or (path.rsplit("/", 1)[-1] if path.startswith("/api/electric/")
                                               else (shapes.parse_table(query.get("table", "")) or ("", ""))[1])
                app.registry.rotate(table=table)
            resp = faults_mod.before_response(fault, query, app.long_poll_ms, app.registry.shutdown,
                                              app.registry.rotate_to_new)
        if resp is None:
            if too_large:
                resp = api_error(413, "too_large", f"the body is over {api_mod.MAX_BODY} bytes")
            else:
                resp = app.route(method, path, query, raw, headers)
            if any(path.startswith(p) for p in SHAPE_PATHS):
                if fault and fault["kind"] == "stale":
                    stale = app.faults.stale_for(path, query, headers.get("authorization"),
                                                 resp.header("electric-handle"))
                    if stale is not None:
                        resp = Response(stale.status, stale.body, list(stale.headers), content_type=None)
                        resp.chunked = True
                elif app.test_controls:
                    app.faults.record(path, query, headers.get("authorization"), resp)
            if fault:
                resp = faults_mod.after_response(fault, resp)
        if method == "HEAD":
            resp.head_only = True
        if not is_test:
            app.faults.count(path, "hang" if resp.hang else "drop" if resp.drop else resp.status)
        self.send(resp)

    def read_body(self, headers):
        """The request body -> (bytes, too_large). Over 1 MiB the body is read and
        dropped (up to DRAIN_LIMIT) so the client, still sending, can read our 413."""
        limit = api_mod.MAX_BODY
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body, too_large = b"", False
            while True:
                size = int(self.rfile.readline(100).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return (b"" if too_large else body), too_large
                piece = self.rfile.read(size)
                self.rfile.readline(3)
                if len(body) + len(piece) > limit:
                    too_large, body = True, b""
                elif not too_large:
                    body += piece
        try:
            n = int(headers.get("content-length") or 0)
        except ValueError:
            n = -1
        if 0 <= n <= limit:
            body = self.rfile.read(n)
            if len(body) < n:
                # The client went away mid-body: like any real server, never act
                # on half a request (a write with its key would be refused for good).
                raise ConnectionAbortedError("request body cut short")
            return body, False
        if 0 <= n <= DRAIN_LIMIT:
            while n > 0:
                got = self.rfile.read(min(n, 1 << 16))
                if not got:
                    break
                n -= len(got)
        else:
            self.close_connection = True
        return b"", True

    def send(self, resp):
        if resp.hang:
            self.hang()
            return
        if resp.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.log_request(resp.status)
        self.send_response_only(resp.status)
        self.send_header("date", self.date_time_string())
        for k, v in resp.headers:
            self.send_header(k, v)
        if resp.stream is not None and not resp.head_only:
            self.send_stream(resp)
            return
        body = b"" if resp.head_only or resp.status in (204, 304) else resp.body
        chunked = resp.chunked and resp.status not in (204, 304) and not resp.head_only
        if chunked and len(body) >= GZIP_MIN_BYTES and accepts_gzip(self.headers.get("accept-encoding")):
            # As Electric behind a compressing proxy or CDN: shape bodies go
            # gzipped to a client that asks. A cut fault then cuts the
            # compressed bytes, as a broken connection would.
            body = gzip_body(body)
            self.send_header("content-encoding", "gzip")
            self.send_header("vary", "accept-encoding")
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        elif resp.status not in (204, 304):
            self.send_header("content-length", str(len(resp.body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if resp.cut_after is not None:
            body = body[:resp.cut_after]
        try:
            if chunked:
                for i in range(0, len(body), WRITE_CHUNK):
                    piece = body[i:i + WRITE_CHUNK]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                if resp.cut_after is None:
                    self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        if resp.cut_after is not None:
            # The fault: the peer sees the connection drop in the middle of the body.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def send_stream(self, resp):
        """Chunked body written piece by piece as the iterator yields (SSE)."""
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        budget = resp.cut_after
        try:
            self.wfile.flush()
            for piece in resp.stream:
                if budget is not None:
                    piece = piece[:budget]
                    budget -= len(piece)
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                if budget == 0:
                    break
            if budget is None:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            resp.stream.close()
        if budget is not None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def hang(self):
        """Never answer: wait until the client gives up or the server stops."""
        self.close_connection = True
        shutdown = self.server.app.registry.shutdown
        deadline = time.monotonic() + 3600
        while not shutdown.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return  # the client closed the connection
                except OSError:
                    return
                time.sleep(0.2)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Clients that hang up (aborted long-polls, tests that give up) are normal here.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", default=None, help="demo | bench:N")
    parser.add_argument("--test-controls", action="store_true")
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--long-poll-ms", type=int, default=20000)
    parser.add_argument("--chunk-bytes", type=int, default=10 * 1024 * 1024)
    parser.add_argument("--token-ttl", type=float, default=3600)
    args = parser.parse_args(argv)

    app = App(args)
    server = Server(("127.0.0.1", args.port), Handler)
    server.app = app

    def stop(signum, frame):
        app.registry.shutdown.set()
        with app.store.lock:
            app.store.changed.notify_all()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
