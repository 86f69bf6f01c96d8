"""The Electric shape protocol: shape definitions, per-shape logs and GET /v1/shape.

See /work/shared/design/electric-protocol.md. A shape is (table, where+params, columns,
replica, log). Creating one takes a snapshot of the matching rows and their ids (the
membership), under the store lock; from then on every committed transaction is
filtered into the shape's own log. Membership is what turns an update that moves a
row into or out of the where into an insert or a delete.
"""

import bisect
import datetime
import json
import random
import re
import threading
import time
import zlib

import schema
import values
from response import Response, dumps
from where import Where, WhereError

SERVER_VERSION = "ElectricSQL/1.7.12"
INF = 1 << 64            # the `inf` op of an offset: greater than any op position
BEFORE_ALL = (-1, 0)     # offset -1
SNAPSHOT_END = (0, INF)  # offset 0_inf: end of the snapshot, before any real change
CURSOR_EPOCH = datetime.datetime(2024, 10, 9, tzinfo=datetime.timezone.utc).timestamp()

PROTOCOL_HEADERS = ["electric-cursor", "electric-handle", "electric-offset", "electric-schema",
                    "electric-up-to-date", "electric-has-data", "electric-snapshot",
                    "electric-internal-known-error", "electric-server", "retry-after"]
CORS = [("access-control-allow-origin", "*"),
        ("access-control-expose-headers", ",".join(PROTOCOL_HEADERS + ["etag"])),
        ("access-control-allow-methods", "GET, HEAD, DELETE, OPTIONS")]

_OFFSET_RE = re.compile(r"(\d+)_(\d+|inf)\Z")


def parse_offset(text):
    """-1 | now | <tx>_<op> | <tx>_inf -> tuple, "now", or None if malformed."""
    if text == "-1":
        return BEFORE_ALL
    if text == "now":
        return "now"
    m = _OFFSET_RE.match(text)
    if not m:
        return None
    return (int(m.group(1)), INF if m.group(2) == "inf" else int(m.group(2)))


def format_offset(off):
    if off == BEFORE_ALL:
        return "-1"
    return f"{off[0]}_{'inf' if off[1] == INF else off[1]}"


def make_key(table, row_id):
    part = '"' + str(row_id).replace("/", "//") + '"'
    return f'"public"."{table}"/{part}'


class ShapeDef:
    """The identity of a shape. Two requests with equal definitions share a handle."""

    def __init__(self, table, where, params, columns, replica, log):
        self.table, self.where, self.columns = table, where, columns
        self.params = tuple(sorted(params.items(), key=lambda kv: int(kv[0])))
        self.replica, self.log = replica, log
        self.key = (table, where, self.params, columns, replica, log)

    def __eq__(self, other):
        return isinstance(other, ShapeDef) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


class Shape:
    def __init__(self, handle, sdef, where, store, chunk_bytes):
        """Snapshot the matching rows now; the caller holds the store lock."""
        self.handle = handle
        self.sdef = sdef
        self.table = sdef.table
        self.where = where
        self.types = schema.column_types(sdef.table)
        self.selected = list(sdef.columns) if sdef.columns else schema.column_names(sdef.table)
        self.rotated = False
        self.members = set()
        messages = []
        for row_id, msg, row in store.snapshot(self.table, self.selected, where is not None):
            if where is None or where.matches(row):
                self.members.add(row_id)
                messages.append(msg)
        if sdef.log == "changes_only":
            messages = []  # membership still counts: later updates of these rows are updates
        # snapshot-end carries the visible-transaction window of the snapshot.
        snapshot_end = dumps({"headers": {
            "control": "snapshot-end", "xmin": str(store.txid + 1),
            "xmax": str(store.txid + 1), "xip_list": []}}).encode()
        self._chunks = self._split(messages + [snapshot_end], chunk_bytes)
        self.offsets = []   # log offsets, sorted, for bisect
        self.entries = []   # (offset, json bytes, lsn) per change message
        self.schema_header = dumps(self._schema())

    def _schema(self):
        nn = schema.not_null(self.table)
        out = {}
        for name in self.selected:
            col = {"type": self.types[name]}
            if name == schema.PK:
                col["pk_index"] = 0
            if name in nn:
                col["not_null"] = True
            out[name] = col
        return out

    # --- snapshot ---------------------------------------------------------------

    def chunks(self):
        """Snapshot chunks: bytes of comma-joined messages, each about chunk_bytes."""
        return self._chunks

    @staticmethod
    def _split(messages, chunk_bytes):
        chunks, start, size = [], 0, 0
        for i, msg in enumerate(messages):
            if i > start and size + len(msg) > chunk_bytes:
                chunks.append(b",".join(messages[start:i]))
                start, size = i, 0
            size += len(msg) + 1
        chunks.append(b",".join(messages[start:]))
        return chunks

    # --- log --------------------------------------------------------------------

    def latest(self):
        return self.offsets[-1] if self.offsets else SNAPSHOT_END

    def append(self, tx):
        """Filter one committed transaction into this shape's log (store lock held)."""
        msgs = []
        for index, change in enumerate(tx.changes):
            if change.table == self.table:
                msgs.extend(self._convert(change, 2 * index))
        for i, (op_pos, msg) in enumerate(msgs):
            msg["headers"].update({"lsn": str(tx.lsn), "op_position": op_pos, "txids": [tx.txid]})
            if i == len(msgs) - 1:
                msg["headers"]["last"] = True
            off = (tx.lsn, op_pos)
            self.offsets.append(off)
            self.entries.append((off, dumps(msg).encode(), tx.lsn))

    def _live_row(self, row, cols=None):
        return {c: values.live_text(row[c], self.types[c]) for c in (cols or self.selected)}

    def _msg(self, op, row_id, value, **extra):
        headers = {"operation": op, "relation": ["public", self.table]}
        msg = {"key": make_key(self.table, row_id), "value": value, "headers": headers}
        for k, v in extra.items():
            if k == "old_value":
                msg["old_value"] = v
            else:
                headers[k] = v
        return msg

    def _delete(self, old, **extra):
        value = self._live_row(old) if self.sdef.replica == "full" else {"id": old["id"]}
        return self._msg("delete", old["id"], value, **extra)

    def _convert(self, change, op_pos):
        """One change -> [(op_position, message)] for this shape, tracking membership."""
        old, new = change.old, change.new
        if change.op == "insert":
            if self.where is None or self.where.matches(new):
                self.members.add(new["id"])
                return [(op_pos, self._msg("insert", new["id"], self._live_row(new)))]
            return []
        if change.op == "delete":
            if old["id"] in self.members:
                self.members.discard(old["id"])
                return [(op_pos, self._delete(old))]
            return []
        was = old["id"] in self.members
        now = self.where is None or self.where.matches(new)
        if was and not now:
            self.members.discard(old["id"])
            return [(op_pos, self._delete(old))]
        if now and not was:
            self.members.add(new["id"])
            return [(op_pos, self._msg("insert", new["id"], self._live_row(new)))]
        if not now:
            return []
        if old["id"] != new["id"]:
            # A primary key change is a delete of the old key then an insert of the new.
            self.members.discard(old["id"])
            self.members.add(new["id"])
            old_key, new_key = make_key(self.table, old["id"]), make_key(self.table, new["id"])
            return [(op_pos, self._delete(old, key_change_to=new_key)),
                    (op_pos + 1, self._msg("insert", new["id"], self._live_row(new),
                                           key_change_from=old_key))]
        changed = [c for c in self.selected if old[c] != new[c]]
        if not changed:
            return []  # nothing this shape can see changed
        if self.sdef.replica == "full":
            return [(op_pos, self._msg("update", new["id"], self._live_row(new),
                                       old_value=self._live_row(old, changed)))]
        return [(op_pos, self._msg("update", new["id"], self._live_row(new, ["id"] + [c for c in changed if c != "id"])))]

    def read_log(self, after, max_bytes):
        """Entries after `after`, whole transactions, up to about max_bytes.

        Returns (list of json bytes, end offset, reached_end)."""
        i = bisect.bisect_right(self.offsets, after)
        out, size, end = [], 0, None
        while i < len(self.entries):
            off, data, lsn = self.entries[i]
            if out and size + len(data) > max_bytes and lsn != self.entries[i - 1][2]:
                break
            out.append(data)
            size += len(data) + 1
            end = off
            i += 1
        reached_end = i >= len(self.entries)
        if end is None:
            end = self.latest()
        return out, end, reached_end


class ShapeRegistry:
    def __init__(self, store, chunk_bytes, long_poll_ms):
        self.store = store
        self.chunk_bytes = chunk_bytes
        self.long_poll_ms = long_poll_ms
        self.by_def = {}
        self.by_handle = {}
        self.shutdown = threading.Event()
        self._monotonic = 0
        store.listeners.append(self._on_commit)

    def _on_commit(self, tx):
        tables = {c.table for c in tx.changes}
        for shape in self.by_def.values():
            if shape.table in tables:
                shape.append(tx)

    def _new_handle(self, sdef):
        while True:
            handle = f"{zlib.crc32(repr(sdef.key).encode())}-{time.time_ns() // 1000}"
            if handle not in self.by_handle:
                return handle

    def get_or_create(self, sdef, where):
        with self.store.lock:
            shape = self.by_def.get(sdef)
            if shape is None:
                shape = Shape(self._new_handle(sdef), sdef, where, self.store, self.chunk_bytes)
                self.by_def[sdef] = shape
                self.by_handle[shape.handle] = shape
            return shape

    def rotate(self, table=None, handle=None):
        """Retire shapes (all of a table, or one handle): their handles now get 409."""
        with self.store.lock:
            victims = [s for s in self.by_def.values()
                       if (table is None or s.table == table) and (handle is None or s.handle == handle)]
            for shape in victims:
                shape.rotated = True
                del self.by_def[shape.sdef]
            self.store.changed.notify_all()
            return [s.handle for s in victims]

    def rotate_to_new(self, handle):
        """Retire the shape of `handle` (if live) and return the handle that replaces it."""
        with self.store.lock:
            shape = self.by_handle.get(handle or "")
            if shape is None:
                return None
            if not shape.rotated:
                self.rotate(handle=handle)
            return self.get_or_create(shape.sdef, shape.where).handle

    def next_monotonic(self):
        with self.store.lock:
            self._monotonic += 1
            return self._monotonic


# --- request parsing -----------------------------------------------------------

def parse_table(text):
    """`tasks`, `public.tasks`, `"tasks"`, `public."tasks"` -> (schema, name)."""
    m = re.fullmatch(r'(?:("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)\.)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)', text)
    if not m:
        return None

    def ident(s):
        return s[1:-1].replace('""', '"') if s.startswith('"') else s.lower()

    return (ident(m.group(1)) if m.group(1) else "public", ident(m.group(2)))


def parse_columns(text):
    """Comma list; quoted names keep case, `""` escapes `"`; unquoted fold to lower case."""
    cols, i = [], 0
    while i <= len(text):
        if i < len(text) and text[i] == '"':
            j, name = i + 1, ""
            while True:
                k = text.find('"', j)
                if k < 0:
                    return None
                if text[k + 1:k + 2] == '"':
                    name += text[j:k + 1]
                    j = k + 2
                    continue
                name += text[j:k]
                i = k + 1
                break
        else:
            k = text.find(",", i)
            k = len(text) if k < 0 else k
            name = text[i:k].strip().lower()
            i = k
        if not name:
            return None
        cols.append(name)
        if i >= len(text):
            break
        if text[i] != ",":
            return None
        i += 1
    return cols


def next_cursor(incoming, long_poll_ms):
    """Seconds since 2024-10-09 rounded up to the long-poll interval, strictly above incoming."""
    interval = max(1, round(long_poll_ms / 1000))
    elapsed = time.time() - CURSOR_EPOCH
    cursor = int(-(-elapsed // interval) * interval)
    try:
        prev = int(incoming)
    except (TypeError, ValueError):
        prev = 0
    if cursor <= prev:
        cursor = prev + random.randint(1, 3600)
    return str(cursor)


def bad_request(errors, extra_headers=()):
    body = dumps({"message": "Invalid request", "errors": errors}).encode()
    return shape_response(400, body, list(extra_headers))


def shape_response(status, body, headers):
    resp = Response(status, body, [("electric-server", SERVER_VERSION)] + CORS + headers)
    resp.chunked = True
    if status >= 400 and status != 409:
        resp.set_header("cache-control", "no-store")
        resp.headers.append(("surrogate-control", "no-store"))
    return resp


def must_refetch(handle):
    headers = []
    if handle:
        headers.append(("electric-handle", handle))
    headers.append(("cache-control", "public, max-age=60, must-revalidate" if handle else "public, max-age=1"))
    return shape_response(409, b'[{"headers":{"control":"must-refetch"}}]', headers)


def is_true(value):
    # ⚠ Electric parses booleans as `value != "false"`: a bare `live` is true.
    return value is not None and value != "false"


class ShapeRequest:
    """Validated parameters of one shape request."""

    def __init__(self, sdef, where, offset, handle, live, cursor, sse=False):
        self.sdef, self.where, self.offset = sdef, where, offset
        self.handle, self.live, self.cursor, self.sse = handle, live, cursor, sse


def validate(params):
    """params: dict str->str (and `params[n]` keys). Returns ShapeRequest or a 400 Response.

    Checks run in Electric's order (api/params.ex) and stop at the first failing
    stage, so a request gets the same error fields the real server would name."""
    # Stage 1: casting (types and enums) together with "offset is required".
    errors = {}
    replica = params.get("replica") or "default"
    if replica not in ("default", "full"):
        errors["replica"] = ["is invalid"]
    log = params.get("log") or "full"
    if log not in ("full", "changes_only"):
        errors["log"] = ["is invalid"]
    # Like Ecto, an empty string counts as absent (table, where, columns, handle, ...).
    columns = None
    if params.get("columns"):
        columns = parse_columns(params["columns"])
        if columns is None:
            errors["columns"] = ["Invalid zero-length identifier or unterminated quote"]
    if "params" in params:
        errors["params"] = ["is invalid"]
    where_params = {}
    for k, v in params.items():
        m = re.fullmatch(r"params\[(.*)\]", k)
        if m:
            if not re.fullmatch(r"[1-9]\d*", m.group(1)):
                errors["params"] = ["is invalid"]
            else:
                where_params[m.group(1)] = v
    offset_text = params.get("offset")
    if offset_text is None or offset_text == "":
        errors["offset"] = ["can't be blank"]
    if errors:
        return bad_request(errors)
    # Stage 2..5: offset format, handle, live, live_sse.
    offset = parse_offset(offset_text)
    if offset is None:
        return bad_request({"offset": ["has invalid format"]})
    handle = params.get("handle") or None
    if offset in (BEFORE_ALL, "now"):
        handle = None  # dropped, so clients can use it as a cache-buster
    elif not handle:
        return bad_request({"handle": ["can't be blank when offset != -1"]})
    live = is_true(params.get("live"))
    if live and offset == BEFORE_ALL:
        return bad_request({"live": ["can't be true when offset == -1"]})
    if live and offset == "now":
        return bad_request({"live": ["can't be true when offset is 'now'"]})
    sse = is_true(params.get("live_sse")) or is_true(params.get("experimental_live_sse"))
    if sse and not live:
        return bad_request({"live_sse": ["can't be true unless live is also true"]})
    if sse and any(k.startswith("subset__") for k in params):
        return bad_request({"live_sse": ["can't be true for subset snapshots"]})
    # Stage 6: the shape itself: table, columns, where.
    table_text = params.get("table")
    if not table_text:
        return bad_request({"table": ["can't be blank"]})
    parsed = parse_table(table_text)
    if parsed is None or parsed[0] != "public" or parsed[1] not in schema.TABLES:
        shown = f'"{parsed[0]}"."{parsed[1]}"' if parsed else table_text
        return bad_request({"table": [f"Table {shown} does not exist. If the table name contains "
                                      "capitals or special characters you must quote it."]})
    table = parsed[1]
    types = schema.column_types(table)
    if columns is not None:
        unknown = [c for c in columns if c not in types]
        if schema.PK not in columns:
            return bad_request({"columns": ["The list of columns must include all primary key "
                                            "columns, missing: id"]})
        if unknown:
            return bad_request({"columns": ["The following columns are not found on the table: "
                                            + ", ".join(unknown)]})
        # Keep the table's own order, so equal sets are equal shapes.
        columns = tuple(c for c in schema.column_names(table) if c in set(columns))
    where = None
    where_text = params.get("where")
    if where_text:
        if where_params and sorted(map(int, where_params)) != list(range(1, len(where_params) + 1)):
            return bad_request({"params": ["Parameters must be numbered sequentially, starting from 1"]})
        try:
            where = Where(where_text, where_params, types)
        except WhereError as e:
            return bad_request({"where": [str(e)]})
    # Features of Electric this reference server does not implement.
    if any(k.startswith("subset__") for k in params):
        return bad_request({"subset": ["subset snapshots are not supported by this reference server"]})
    where_text = where.text if where else None
    sdef = ShapeDef(table, where_text, where_params if where else {}, columns, replica, log)
    return ShapeRequest(sdef, where, offset, handle, live, params.get("cursor"), sse)


# --- serving --------------------------------------------------------------------

def serve(registry, params, method="GET", if_none_match=None, still_valid=None):
    """Answer one /v1/shape request. `still_valid()` (proxy) returns None while the
    caller's definition holds, or the params of its new definition: answer 409."""
    resp = _serve(registry, params, if_none_match, still_valid)
    if method not in ("GET", "OPTIONS"):
        resp.set_header("cache-control", "no-cache")  # Electric's first cache rule
    return resp


def _serve(registry, params, if_none_match, still_valid):
    req = validate(params)
    if isinstance(req, Response):
        return req
    store = registry.store
    with store.lock:
        if still_valid is not None:
            # The caller's scope may have changed since the proxy computed it; checking
            # under the lock that also creates the shape means a shape is never created
            # for a scope that a concurrent membership change already retired.
            new_params = still_valid()
            if new_params is not None:
                params = new_params
                req = validate(params)
                if isinstance(req, Response):
                    return req
        if req.offset in (BEFORE_ALL, "now"):
            shape = registry.get_or_create(req.sdef, req.where)
        else:
            shape = registry.by_handle.get(req.handle)
            if shape is None or shape.rotated or shape.sdef != req.sdef:
                fresh = registry.get_or_create(req.sdef, req.where)
                return must_refetch(fresh.handle)

    req_offset_text = params["offset"]
    base = [("electric-handle", shape.handle)]

    if req.offset == "now":
        with store.lock:
            end = shape.latest()
            lsn = store.lsn
        return finish(registry, shape, req, req_offset_text, [], end, True, base, lsn, if_none_match)

    if req.sse:
        return sse_response(registry, shape, req, still_valid)

    if req.offset == BEFORE_ALL or (req.offset[0] == 0 and req.offset[1] < len(shape.chunks()) - 1):
        # A snapshot chunk; -1 gets chunk 0 (ending at 0_0), 0_i gets chunk i+1.
        index = 0 if req.offset == BEFORE_ALL else req.offset[1] + 1
        chunk = shape.chunks()[index]
        return finish(registry, shape, req, req_offset_text, [chunk], (0, index), False, base,
                      store.lsn, if_none_match, has_data=True)

    outcome = wait_for_log(registry, shape, req, req.offset, req.live, still_valid)
    if outcome[0] == "refetch":
        return must_refetch(outcome[1])
    if outcome[0] == "out-of-bounds":
        return bad_request({"offset": ["out of bounds for this shape"]}, [("electric-handle", shape.handle)])
    _, parts, end, reached_end, lsn = outcome
    body_parts = [b",".join(parts)] if parts else []
    return finish(registry, shape, req, req_offset_text, body_parts, end, reached_end, base, lsn,
                  if_none_match, has_data=bool(parts))


def wait_for_log(registry, shape, req, offset, hold, still_valid, hold_seconds=None):
    """Read the shape's log after `offset`, holding (if `hold`) until something arrives.

    Returns ("refetch", handle_or_None) | ("out-of-bounds",) |
    ("log", parts, end_offset, reached_end, global_lsn); parts is empty after a timeout."""
    store = registry.store
    now = time.monotonic()
    deadline = now + (registry.long_poll_ms / 1000 if hold_seconds is None else hold_seconds)
    oob_deadline = now + registry.long_poll_ms / 2000
    with store.lock:
        while True:
            if still_valid is not None:
                # The proxy's definition for this caller changed during the hold.
                new_params = still_valid()
                if new_params is not None:
                    new_req = validate(new_params)
                    if isinstance(new_req, Response):
                        return ("refetch", None)
                    return ("refetch", registry.get_or_create(new_req.sdef, new_req.where).handle)
            if shape.rotated:
                return ("refetch", registry.get_or_create(req.sdef, req.where).handle)
            # Offsets up to the server's last commit are in bounds even if this shape saw
            # nothing then (an SSE client resumes from `<global_last_seen_lsn>_0`).
            if offset > max(shape.latest(), (store.lsn, INF)):
                # Out of bounds: give the log a chance to catch up, then 400.
                left = oob_deadline - time.monotonic()
                if left <= 0 or registry.shutdown.is_set():
                    return ("out-of-bounds",)
                store.changed.wait(min(left, 0.5))
                continue
            parts, end, reached_end = shape.read_log(offset, registry.chunk_bytes)
            if parts or not hold:
                break
            left = deadline - time.monotonic()
            if left <= 0 or registry.shutdown.is_set():
                break  # empty hold: up-to-date at the same offset
            store.changed.wait(min(left, 0.5))
        if not parts:
            end = max(end, offset)  # never move a client's offset backwards
        return ("log", parts, end, reached_end, store.lsn)


def sse_response(registry, shape, req, still_valid):
    """live_sse: headers at once, then `data: <message>` events as changes arrive.

    Data already available is sent and the response ends at once; otherwise batches
    are streamed as they commit, with `: keep-alive` comments, until the SSE timeout
    (3 long-poll intervals: 60 s by default) or a rotation/out-of-bounds ends it."""
    keepalive_s = registry.long_poll_ms * 21 / 20000   # 21 s at the default 20 s
    total_s = registry.long_poll_ms * 3 / 1000         # 60 s at the default 20 s

    def events():
        offset = req.offset
        if offset[0] == 0 and offset[1] < len(shape.chunks()) - 1:
            # Still inside the snapshot: send the next chunk and end.
            for msg in split_messages(shape.chunks()[offset[1] + 1]):
                yield b"data: " + msg + b"\n\n"
            return
        started = time.monotonic()
        hold = False  # the first read does not wait: data already there ends the response
        while not registry.shutdown.is_set():
            left = total_s - (time.monotonic() - started)
            if left <= 0:
                return
            outcome = wait_for_log(registry, shape, req, offset, hold, still_valid,
                                   hold_seconds=min(left, keepalive_s))
            if outcome[0] != "log":
                return  # rotation or out-of-bounds: the next request gets the 409 or 400
            _, parts, end, reached_end, lsn = outcome
            if parts:
                for part in parts:
                    yield b"data: " + part + b"\n\n"
                if reached_end:
                    yield (b"data: " + dumps({"headers": {"control": "up-to-date",
                                                          "global_last_seen_lsn": str(lsn)}}).encode()
                           + b"\n\n")
                if not hold:
                    return
                offset = end
            elif hold:
                yield b": keep-alive\n\n"
            hold = True

    headers = [("electric-handle", shape.handle), ("electric-offset", format_offset(req.offset)),
               ("electric-cursor", next_cursor(req.cursor, registry.long_poll_ms)),
               ("cache-control", "public, max-age=59"), ("connection", "keep-alive")]
    resp = shape_response(200, b"", headers)
    resp.set_header("content-type", "text/event-stream")
    resp.stream = events()
    return resp


def split_messages(chunk):
    """A snapshot chunk (comma-joined JSON messages) back into single messages."""
    return [dumps(m).encode() for m in json.loads(b"[" + chunk + b"]")]


def finish(registry, shape, req, req_offset_text, parts, end, up_to_date, headers, lsn,
           if_none_match, has_data=False):
    if up_to_date and req.offset != BEFORE_ALL:
        parts = parts + [dumps({"headers": {"control": "up-to-date",
                                            "global_last_seen_lsn": str(lsn)}}).encode()]
    else:
        up_to_date = False
    body = b"[" + b",".join(parts) + b"]"
    end_text = format_offset(end)
    headers = list(headers)
    headers.append(("electric-offset", end_text))
    if up_to_date:
        headers.append(("electric-up-to-date", ""))
    headers.append(("electric-has-data", "true" if has_data else "false"))
    if req.live:
        headers.append(("electric-cursor", next_cursor(req.cursor, registry.long_poll_ms)))
    else:
        headers.append(("electric-schema", shape.schema_header))
    etag = f'"{shape.handle}:{req_offset_text}:{end_text}'
    if not has_data:
        etag += f":{registry.next_monotonic()}"
    headers.append(("etag", etag + '"'))
    if req.offset == BEFORE_ALL:
        cc = "public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746"
    elif req.live:
        cc = "public, max-age=5, stale-while-revalidate=5"
    else:
        cc = "public, max-age=60, stale-while-revalidate=300"
    headers.append(("cache-control", cc))
    if if_none_match and etag + '"' in [t.strip() for t in if_none_match.split(",")]:
        return shape_response(304, b"", headers)
    return shape_response(200, body, headers)
