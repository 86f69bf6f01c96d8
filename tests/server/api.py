"""The team API: auth endpoints, the authenticating shape proxy and the writes.

See /work/shared/design/api-contract.md. Errors are
{"error": code, "message": text, "fields": {...}?}.
"""

import json
import re
import time
import urllib.parse
from email.utils import parsedate_to_datetime

import schema
import shapes
import values
from auth import AuthError
from response import Response, api_error, json_response
from store import StoreError

# Query parameters the proxy passes on (the TS client's ELECTRIC_PROTOCOL_QUERY_PARAMS);
# everything else, notably table/where/params/columns, is set here and never by the caller.
PROTOCOL_PARAMS = {"live", "live_sse", "experimental_live_sse", "handle", "offset", "cursor",
                   "expired_handle", "log", "subset__where", "subset__limit", "subset__offset",
                   "subset__order_by", "subset__params", "subset__where_expr",
                   "subset__order_by_expr", "cache-buster"}

IDEMPOTENCY_SECONDS = 24 * 3600
MAX_BODY = 1 << 20
TASK_STATUSES = ("Backlog", "Todo", "In Progress", "In Review", "Done", "Canceled")
WORKSPACE_TYPES = ("local", "cloud")
PR_STATUSES = ("open", "draft", "merged", "closed")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


class Invalid(Exception):
    def __init__(self, fields, message="invalid request body"):
        super().__init__(message)
        self.fields = fields
        self.message = message


def auth_failure(err):
    return api_error(401, err.code, err.message,
                     headers=[("www-authenticate", f'Bearer error="invalid_token", error_description="{err.code}"')])


def parse_json_body(raw):
    """Bytes -> dict, or raise Invalid (not UTF-8, not JSON, not an object)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid({"body": "not UTF-8"}, "the body is not UTF-8")
    try:
        body = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as e:
        raise Invalid({"body": f"not JSON: {e.msg}"}, "the body is not JSON")
    if not isinstance(body, dict):
        raise Invalid({"body": "must be a JSON object"}, "the body must be a JSON object")
    return body


# --- field checks: each returns the stored text form or raises ValueError(reason) ---

def f_uuid(v):
    if not isinstance(v, str) or not UUID_RE.match(v):
        raise ValueError("must be a UUID")
    return v.lower()


def f_string(max_len, min_len=0):
    def check(v):
        if not isinstance(v, str):
            raise ValueError("must be a string")
        if len(v) > max_len:
            raise ValueError(f"must be at most {max_len} characters")
        if len(v) < min_len:
            raise ValueError("must not be empty")
        if "\0" in v:
            raise ValueError("must not contain NUL")
        return v
    return check


def f_enum(choices):
    def check(v):
        if v not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return v
    return check


def f_int(lo, hi):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError("must be an integer")
        if not lo <= v <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return str(v)
    return check


def f_timestamp(v):
    if not isinstance(v, str):
        raise ValueError("must be an ISO 8601 timestamp")
    try:
        return values.normalize_timestamp(v)
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp")


def f_color(v):
    if not isinstance(v, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
        raise ValueError("must be a colour like #5e6ad2")
    return v.lower()


def f_git_status(v):
    if not isinstance(v, dict):
        raise ValueError("must be an object {uncommitted, ahead, behind}")
    keys = {"uncommitted", "ahead", "behind"}
    if set(v) != keys:
        raise ValueError("must have exactly the keys uncommitted, ahead, behind")
    for k in keys:
        if isinstance(v[k], bool) or not isinstance(v[k], int) or v[k] < 0:
            raise ValueError(f"{k} must be a non-negative integer")
    return values.jsonb_text(v)


def nullable(check):
    def inner(v):
        return None if v is None else check(v)
    return inner


WORKSPACE_CREATE = {
    "id": (f_uuid, True), "organization_id": (f_uuid, True), "repository_id": (f_uuid, True),
    "task_id": (nullable(f_uuid), False), "type": (f_enum(WORKSPACE_TYPES), True),
    "device_name": (f_string(255, 1), True), "status": (nullable(f_string(64, 1)), False),
    "git_branch": (nullable(f_string(255)), False), "git_status": (nullable(f_git_status), False),
}
WORKSPACE_PATCH = {
    "status": nullable(f_string(64, 1)), "git_branch": nullable(f_string(255)),
    "git_status": nullable(f_git_status), "pr_url": nullable(f_string(2048)),
    "pr_number": nullable(f_int(1, 2**31 - 1)), "pr_status": nullable(f_enum(PR_STATUSES)),
    "last_activity_at": nullable(f_timestamp),
}
TASK_PATCH = {
    "status": f_enum(TASK_STATUSES), "status_color": nullable(f_color),
    "priority": f_int(0, 4), "assignee_id": nullable(f_uuid),
}


def check_fields(body, spec, required=()):
    """Validate a body against {field: check}; returns the converted values."""
    out, fields = {}, {}
    for k, v in body.items():
        if k == "expected_updated_at":
            continue
        if k not in spec:
            fields[k] = "unknown field"
            continue
        try:
            out[k] = spec[k](v)
        except ValueError as e:
            fields[k] = str(e)
    for k in required:
        if k not in body:
            fields[k] = "required"
    if "expected_updated_at" in body:
        try:
            f_timestamp(body["expected_updated_at"])
        except ValueError as e:
            fields["expected_updated_at"] = str(e)
    if fields:
        raise Invalid(fields)
    return out


class Api:
    def __init__(self, store, auth, registry):
        self.store = store
        self.auth = auth
        self.registry = registry
        # user id -> {table: proxy params last served}; see _on_commit.
        self.scopes = {}
        store.listeners.append(self._on_commit)

    def _on_commit(self, tx):
        """A membership change retires the proxy shapes built from the old scopes.

        The new scope is a new definition anyway (so old handles 409); rotating the
        old definition too means that if the user's scope later returns to it, the
        shape gets a fresh handle rather than one the client has marked expired.
        Runs under the store lock, inside the commit."""
        if not any(c.table == "organization_members" for c in tx.changes):
            return
        for user_id, tables in self.scopes.items():
            for table, old in list(tables.items()):
                if self.scope_params(user_id, table) != old:
                    del tables[table]
                    req = shapes.validate(dict(old, offset="-1"))
                    shape = None if isinstance(req, Response) else self.registry.by_def.get(req.sdef)
                    if shape is not None:
                        self.registry.rotate(handle=shape.handle)

    # --- memberships and proxy scoping ---------------------------------------------

    def org_ids(self, user_id):
        with self.store.lock:
            rows = self.store.db.execute(
                "SELECT DISTINCT organization_id FROM organization_members WHERE user_id = ? "
                "ORDER BY organization_id", (user_id,)).fetchall()
        return [r[0] for r in rows]

    def scope_params(self, user_id, table):
        """table/where/params of the proxy shape for this user (sorted, so stable)."""
        orgs = self.org_ids(user_id)
        if table == "organizations":
            column, ids = "id", orgs
        elif table == "users":
            with self.store.lock:
                marks = ",".join("?" * len(orgs))
                rows = self.store.db.execute(
                    f"SELECT DISTINCT user_id FROM organization_members WHERE organization_id IN ({marks}) "
                    "ORDER BY user_id", orgs).fetchall()
            column, ids = "id", [r[0] for r in rows]
        else:
            column, ids = "organization_id", orgs
        params = {"table": table}
        if ids:
            params["where"] = f"{column} IN ({', '.join(f'${i + 1}' for i in range(len(ids)))})"
            for i, v in enumerate(ids):
                params[f"params[{i + 1}]"] = v
        else:
            params["where"] = "false"
        return params

    def proxy(self, table, query, authorization, method, if_none_match):
        resp = self._proxy(table, query, authorization, method, if_none_match)
        resp.headers.append(("vary", "Authorization"))
        return resp

    def _proxy(self, table, query, authorization, method, if_none_match):
        try:
            user_id = self.auth.authenticate(authorization)
        except AuthError as e:
            return auth_failure(e)
        if table not in schema.TABLES:
            return api_error(404, "not_found", f"no shape named {table}")
        protocol = {k: v for k, v in query.items() if k in PROTOCOL_PARAMS}
        with self.store.lock:
            scope = self.scope_params(user_id, table)
            self.scopes.setdefault(user_id, {})[table] = scope
        watch = ScopeWatch(self, user_id, table, protocol, scope)
        return shapes.serve(self.registry, dict(protocol, **scope), method, if_none_match, watch)

    # --- auth endpoints ------------------------------------------------------------

    def auth_endpoint(self, action, raw, authorization):
        try:
            if action == "logout":
                self.auth.logout(authorization)
                return Response(204, b"", content_type=None)
            body = parse_json_body(raw)
            if action == "login":
                email, password = body.get("email"), body.get("password")
                if not isinstance(email, str) or not isinstance(password, str):
                    raise Invalid({k: "required" for k in ("email", "password")
                                   if not isinstance(body.get(k), str)})
                return json_response(200, self.auth.login(email, password))
            if action == "token":
                if not isinstance(body.get("token"), str):
                    raise Invalid({"token": "required"})
                return json_response(200, self.auth.exchange_personal_token(body["token"]))
            if action == "refresh":
                if not isinstance(body.get("refresh_token"), str):
                    raise Invalid({"refresh_token": "required"})
                return json_response(200, self.auth.refresh(body["refresh_token"]))
        except AuthError as e:
            return auth_failure(e)
        except Invalid as e:
            return api_error(400, "invalid", e.message, e.fields)
        return api_error(404, "not_found", "no such endpoint")

    # --- writes ----------------------------------------------------------------------

    def write(self, method, path, raw, headers):
        """POST/PATCH/DELETE under /api/workspaces and /api/tasks."""
        try:
            user_id = self.auth.authenticate(headers.get("authorization"))
        except AuthError as e:
            return auth_failure(e)
        key = headers.get("idempotency-key")
        if key is not None and not (0 < len(key) <= 255):
            return api_error(400, "invalid", "bad Idempotency-Key", {"Idempotency-Key": "1 to 255 characters"})
        # One lock for "look up key, write, record key": a concurrent retry waits for the
        # first and then gets its answer.
        with self.store.lock:
            if key is not None:
                row = self.store.db.execute(
                    "SELECT status, body FROM idempotency WHERE user_id = ? AND key = ? AND created_at > ?",
                    (user_id, key, time.time() - IDEMPOTENCY_SECONDS)).fetchone()
                if row:
                    resp = Response(row[0], row[1].encode())
                    resp.headers.append(("idempotent-replayed", "true"))
                    return resp
            # The write and its record commit together: a server stopped between
            # them would otherwise apply a retry of an applied write again.
            self.store.db.execute("BEGIN")
            try:
                resp = self._write(user_id, method, path, raw, headers)
                if key is not None and resp.status < 500:
                    self.store.db.execute(
                        "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (user_id, key, method, path, resp.status, resp.body.decode(), time.time()))
                self.store.db.execute("COMMIT")
            except BaseException:
                self.store.db.execute("ROLLBACK")
                raise
            return resp

    def idempotency_records(self):
        with self.store.lock:
            rows = self.store.db.execute(
                "SELECT user_id, key, method, path, status, body, created_at FROM idempotency "
                "ORDER BY created_at").fetchall()
        return [{"user_id": r[0], "key": r[1], "method": r[2], "path": r[3], "status": r[4],
                 "body": json.loads(r[5]) if r[5] else None, "created_at": r[6]} for r in rows]

    def _write(self, user_id, method, path, raw, headers):
        parts = path.strip("/").split("/")  # api, workspaces|tasks, [id]
        try:
            body = parse_json_body(raw) if raw or method != "DELETE" else {}
            if parts[1] == "workspaces" and len(parts) == 2 and method == "POST":
                return self._create_workspace(user_id, body)
            if len(parts) == 3 and parts[1] in ("workspaces", "tasks"):
                table, row_id = parts[1], urllib.parse.unquote(parts[2]).lower()
                if method == "PATCH":
                    spec = WORKSPACE_PATCH if table == "workspaces" else TASK_PATCH
                    return self._update(user_id, table, row_id, body, spec, headers)
                if method == "DELETE" and table == "workspaces":
                    return self._update(user_id, table, row_id, body, {}, headers, delete=True)
            return api_error(405, "method_not_allowed", f"{method} is not allowed on {path}")
        except Invalid as e:
            return api_error(400, "invalid", e.message, e.fields)
        except StoreError as e:
            return api_error(e.status, e.code, e.message, e.fields)

    def _create_workspace(self, user_id, body):
        fields = check_fields(body, {k: v[0] for k, v in WORKSPACE_CREATE.items()},
                              [k for k, v in WORKSPACE_CREATE.items() if v[1]])
        org = fields["organization_id"]
        if org not in self.org_ids(user_id):
            return api_error(403, "forbidden", "you are not a member of that organization")
        repo = self.store.get("repositories", fields["repository_id"])
        if not repo or repo["organization_id"] != org:
            raise Invalid({"repository_id": "no such repository in this organization"})
        if fields.get("task_id"):
            task = self.store.get("tasks", fields["task_id"])
            if not task or task["organization_id"] != org:
                raise Invalid({"task_id": "no such task in this organization"})
        if self.store.get("workspaces", fields["id"]):
            return api_error(409, "conflict", "a workspace with this id already exists")
        now = values.now_text()
        row = dict(fields, owner_id=user_id, created_at=now, updated_at=now, last_activity_at=now)
        row.setdefault("status", "active")
        tx = self.store.commit([{"op": "insert", "table": "workspaces", "row": row}])
        return json_response(201, {"txid": str(tx.txid), "workspace": self.store.get("workspaces", row["id"])})

    def _update(self, user_id, table, row_id, body, spec, headers, delete=False):
        if not UUID_RE.match(row_id):
            return api_error(404, "not_found", f"no {table[:-1]} {row_id}")
        changes = check_fields(body, spec)
        if not delete and not changes:
            raise Invalid({"body": "nothing to change"}, "the body changes nothing")
        current = self.store.get(table, row_id)
        if current is None:
            return api_error(404, "not_found", f"no {table[:-1]} {row_id}")
        if current["organization_id"] not in self.org_ids(user_id):
            return api_error(403, "forbidden", "that row belongs to another organization")
        conflict = self._precondition(current, body, headers)
        if conflict:
            return conflict
        if changes.get("assignee_id"):
            with self.store.lock:
                member = self.store.db.execute(
                    "SELECT 1 FROM organization_members WHERE organization_id = ? AND user_id = ?",
                    (current["organization_id"], changes["assignee_id"])).fetchone()
            if not member:
                raise Invalid({"assignee_id": "not a member of the task's organization"})
        if delete:
            tx = self.store.commit([{"op": "delete", "table": table, "id": row_id}])
        else:
            changes["updated_at"] = values.now_text()
            if changes["updated_at"] == current["updated_at"]:
                time.sleep(0.000002)
                changes["updated_at"] = values.now_text()
            tx = self.store.commit([{"op": "update", "table": table, "id": row_id, "set": changes}])
        return json_response(200, {"txid": str(tx.txid)})

    def _precondition(self, current, body, headers):
        """409 when expected_updated_at / If-Unmodified-Since no longer match."""
        updated = values.parse_timestamp(current["updated_at"])
        if "expected_updated_at" in body:
            if values.parse_timestamp(body["expected_updated_at"]) != updated:
                return api_error(409, "conflict", "the row was changed since you read it",
                                 {"updated_at": current["updated_at"]})
        ius = headers.get("if-unmodified-since")
        if ius:
            try:
                limit = parsedate_to_datetime(ius)
            except (TypeError, ValueError):
                raise Invalid({"If-Unmodified-Since": "not an HTTP date"})
            if updated.replace(microsecond=0) > limit:
                return api_error(409, "conflict", "the row was changed since you read it",
                                 {"updated_at": current["updated_at"]})
        return None


class ScopeWatch:
    """The proxy's `still_valid` for shapes.serve: None while the caller's scope is the
    one last seen, else the request params for the new scope (remembered from then on).
    Called under the store lock."""

    def __init__(self, api, user_id, table, protocol, scope):
        self.api, self.user_id, self.table = api, user_id, table
        self.protocol, self.scope = protocol, scope

    def __call__(self):
        now = self.api.scope_params(self.user_id, self.table)
        if now == self.scope:
            return None
        self.scope = now
        self.api.scopes.setdefault(self.user_id, {})[self.table] = now
        return dict(self.protocol, **now)


def to_stored_row(table, data, partial=False):
    """Test controls: a JSON row -> stored text values; raises Invalid."""
    types = schema.column_types(table)
    out, fields = {}, {}
    for k, v in data.items():
        if k not in types:
            fields[k] = "unknown column"
            continue
        try:
            out[k] = values.to_text(v, types[k])
        except (ValueError, TypeError) as e:
            fields[k] = f"not a valid {types[k]}: {e}"
    if not partial and "id" not in data:
        fields["id"] = "required"
    if fields:
        raise Invalid(fields)
    return out

