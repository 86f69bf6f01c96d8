"""Fault injection and request counters (test controls only).

A fault is armed for a path prefix and fires on the next `count` matching requests.
Most kinds transform the response the real handler produced, so the stream state
stays true to life (e.g. `missing-headers` drops electric-* from a real answer).
"""

import copy
import threading
import time
import urllib.parse

from response import Response, dumps

KINDS = {"status", "must-refetch", "delay", "cut", "malformed", "truncated", "missing-headers",
         "stray-snapshot-end", "unknown-control", "rotate", "stale", "hang", "out-of-bounds", "drop"}

# Kinds decided before the handler runs (the handler is not called for them).
BEFORE = {"status", "must-refetch", "hang", "out-of-bounds"}

PROTOCOL_PARAMS = {"live", "live_sse", "experimental_live_sse", "handle", "offset", "cursor",
                   "expired_handle", "log", "cache-buster"}
STALE_MAX_BODY = 4 << 20


class FaultError(ValueError):
    pass


def check_spec(spec):
    if not isinstance(spec, dict):
        raise FaultError("a fault is a JSON object")
    if not isinstance(spec.get("path"), str) or not spec["path"].startswith("/"):
        raise FaultError("path must be a string starting with /")
    if spec.get("kind") not in KINDS:
        raise FaultError("kind must be one of " + ", ".join(sorted(KINDS)))
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise FaultError("count must be a positive integer")
    if spec["kind"] == "status" and not isinstance(spec.get("status"), int):
        raise FaultError("status faults need an integer status")
    if spec["kind"] == "cut" and not isinstance(spec.get("after_bytes", 0), int):
        raise FaultError("after_bytes must be an integer")
    return dict(spec, count=count)


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.armed = []
        self.counters = {}
        self.recorded = {}  # shape key -> {handle: Response}, for `stale`

    # --- arming ---------------------------------------------------------------------

    def arm(self, spec):
        spec = check_spec(spec)
        with self.lock:
            self.armed.append(spec)
        return spec

    def clear(self):
        with self.lock:
            self.armed = []

    def list(self):
        with self.lock:
            return [dict(f) for f in self.armed]

    def take(self, path):
        """The first armed fault matching path, with its count decremented."""
        with self.lock:
            for fault in self.armed:
                if path.startswith(fault["path"]):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.armed.remove(fault)
                    return dict(fault)
        return None

    # --- counters ---------------------------------------------------------------------

    def count(self, path, status):
        with self.lock:
            per = self.counters.setdefault(path, {})
            per[str(status)] = per.get(str(status), 0) + 1

    def counters_snapshot(self):
        with self.lock:
            return copy.deepcopy(self.counters)

    def reset_counters(self):
        with self.lock:
            self.counters = {}

    # --- stale replay -------------------------------------------------------------------

    @staticmethod
    def shape_key(path, query, authorization):
        """A cache key as a CDN would build it: the URL minus protocol params, and the
        caller (the proxy answers `Vary: Authorization`), so a replay never crosses users."""
        defining = sorted((k, v) for k, v in query.items() if k not in PROTOCOL_PARAMS)
        return (path + "?" + urllib.parse.urlencode(defining), authorization or "")

    def record(self, path, query, authorization, resp):
        handle = resp.header("electric-handle")
        if resp.status != 200 or not handle or resp.stream is not None or len(resp.body) > STALE_MAX_BODY:
            return
        with self.lock:
            per = self.recorded.setdefault(self.shape_key(path, query, authorization), {})
            per.pop(handle, None)
            per[handle] = resp  # dicts keep insertion order: last is most recent
            while len(per) > 8:
                per.pop(next(iter(per)))

    def stale_for(self, path, query, authorization, current_handle):
        """A recorded response from an earlier handle of the same shape, or None."""
        with self.lock:
            per = self.recorded.get(self.shape_key(path, query, authorization), {})
            wanted = query.get("expired_handle")
            if wanted and wanted in per and wanted != current_handle:
                return per[wanted]
            for handle in reversed(list(per)):
                if handle != current_handle:
                    return per[handle]
        return None


# --- response transformations -----------------------------------------------------------

def before_response(fault, query, long_poll_ms, shutdown, rotate_handle):
    """Kinds that replace the handler entirely; returns a Response (or hang marker)."""
    kind = fault["kind"]
    if kind == "status":
        body = fault.get("body", "")
        if not isinstance(body, str):
            body = dumps(body)
        resp = Response(fault["status"], body.encode(), content_type=None)
        if body and fault["status"] not in (204, 304):
            resp.headers.append(("content-type", "application/json; charset=utf-8"))
        for k, v in (fault.get("headers") or {}).items():
            resp.headers.append((k.lower(), str(v)))
        return resp
    if kind == "must-refetch":
        which = fault.get("handle", "new")
        resp = Response(409, b'[{"headers":{"control":"must-refetch"}}]')
        if which == "same":
            if query.get("handle"):
                resp.headers.append(("electric-handle", query["handle"]))
        elif which in ("new", "none"):
            # As in real life the old handle dies (its shape is rotated), so the world
            # the client refetches is coherent: the new handle is the one it will get.
            fresh = rotate_handle(query.get("handle"))
            if which == "new":
                resp.headers.append(("electric-handle", fresh or f"fault-{time.time_ns() // 1000}"))
        else:
            resp.headers.append(("electric-handle", str(which)))
        resp.headers.append(("cache-control", "public, max-age=60, must-revalidate"))
        return resp
    if kind == "hang":
        resp = Response(200, b"")
        resp.hang = True
        return resp
    if kind == "out-of-bounds":
        shutdown.wait(long_poll_ms / 2000)
        resp = Response(400, dumps({"message": "Invalid request",
                                    "errors": {"offset": ["out of bounds for this shape"]}}).encode())
        resp.headers.append(("cache-control", "no-store"))
        return resp
    return None


def after_response(fault, resp):
    """Kinds that alter the real response."""
    kind = fault["kind"]
    if kind == "cut":
        resp.cut_after = int(fault.get("after_bytes", 0))
    elif kind == "drop":
        # The handler ran (a write committed), then the answer is lost whole.
        resp.drop = True
    elif kind == "malformed":
        resp.body = fault.get("body", '[{"key":"oops","value":{"id":}]} not json').encode()
    elif kind == "truncated":
        keep = fault.get("after_bytes")
        resp.body = resp.body[:keep if isinstance(keep, int) else max(1, len(resp.body) // 2)]
    elif kind == "missing-headers":
        drop = fault.get("headers")
        if drop:
            drop = {h.lower() for h in drop}
            resp.headers = [(k, v) for k, v in resp.headers if k not in drop]
        else:
            resp.headers = [(k, v) for k, v in resp.headers if not k.startswith("electric-")
                            or k == "electric-server"]
    elif kind in ("stray-snapshot-end", "unknown-control"):
        if kind == "stray-snapshot-end":
            msg = {"headers": {"control": "snapshot-end", "xmin": "1", "xmax": "1", "xip_list": []}}
        else:
            msg = fault.get("message") or {"headers": {"control": "astrolabe-unknown-control"}}
        extra = dumps(msg).encode()
        body = resp.body.strip()
        if body.startswith(b"[") and resp.status == 200:
            resp.body = b"[" + extra + (b"," + body[1:] if body != b"[]" else b"]")
    return resp
