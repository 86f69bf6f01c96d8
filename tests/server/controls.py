"""Test controls under /_test/ (only with --test-controls). Documented in README.md."""

import time
import urllib.parse

import auth as auth_mod
import faults as faults_mod
import schema
import shapes
from api import Invalid, parse_json_body, to_stored_row
from response import api_error, json_response
from store import StoreError


def route(app, method, path, query, raw):
    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")][1:]
    try:
        body = parse_json_body(raw) if raw else {}
        if parts and parts[0] == "rows":
            return rows(app, method, parts[1:], body)
        if parts == ["tx"] and method == "POST":
            return transaction(app, body.get("ops"))
        if parts == ["faults"]:
            if method == "GET":
                return json_response(200, {"faults": app.faults.list()})
            if method == "DELETE":
                app.faults.clear()
                return json_response(200, {"faults": []})
            if method == "POST":
                specs = body["faults"] if "faults" in body else [body]
                try:
                    armed = [app.faults.arm(s) for s in specs]
                except faults_mod.FaultError as e:
                    raise Invalid({"fault": str(e)}, str(e))
                return json_response(200, {"armed": armed})
        if parts == ["counters"] and method == "GET":
            return json_response(200, app.faults.counters_snapshot())
        if parts == ["counters", "reset"] and method == "POST":
            app.faults.reset_counters()
            return json_response(200, {})
        if parts == ["idempotency"] and method == "GET":
            return json_response(200, {"records": app.api.idempotency_records()})
        if parts == ["rotate"] and method == "POST":
            handles = app.registry.rotate(table=body.get("table"), handle=body.get("handle"))
            return json_response(200, {"rotated": handles})
        if parts == ["shapes"] and method == "GET":
            return json_response(200, {"shapes": shape_list(app)})
        if parts == ["personal-tokens"] and method == "POST":
            user = user_by_email(app, body.get("email"))
            return json_response(200, {"token": app.auth.add_personal_token(user, name=body.get("name", "test"))})
        if parts == ["tokens", "expire"] and method == "POST":
            return json_response(200, {"expired": expire_tokens(app, body.get("email"))})
    except Invalid as e:
        return api_error(400, "invalid", e.message, e.fields)
    except StoreError as e:
        return api_error(e.status, e.code, e.message, e.fields)
    return api_error(404, "not_found", f"no test control {method} {path}")


def user_by_email(app, email):
    with app.store.lock:
        row = app.store.db.execute("SELECT id FROM users WHERE lower(email) = lower(?)",
                                   (email or "",)).fetchone()
    if not row:
        raise Invalid({"email": "no such user"})
    return row[0]


def rows(app, method, parts, body):
    if not parts or parts[0] not in schema.TABLES:
        raise StoreError(404, "not_found", "unknown table")
    table = parts[0]
    if len(parts) == 1 and method == "GET":
        return json_response(200, app.store.rows(table))
    if len(parts) == 1 and method == "POST":
        return transaction(app, [dict(op="insert", table=table, row=body)])
    if len(parts) == 2 and method == "PATCH":
        return transaction(app, [dict(op="update", table=table, id=parts[1], row=body)])
    if len(parts) == 2 and method == "DELETE":
        return transaction(app, [dict(op="delete", table=table, id=parts[1])])
    if len(parts) == 2 and method == "GET":
        row = app.store.get(table, parts[1])
        return json_response(200, row) if row else api_error(404, "not_found", "no such row")
    raise StoreError(405, "method_not_allowed", "unsupported")


def transaction(app, ops):
    """ops: [{"op": insert|update|delete, "table", "id"?, "row"?}] -> one txid."""
    if not isinstance(ops, list) or not ops:
        raise Invalid({"ops": "a non-empty list"})
    store_ops, passwords = [], {}
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or op.get("op") not in ("insert", "update", "delete") \
                or op.get("table") not in schema.TABLES:
            raise Invalid({f"ops[{i}]": "needs op (insert|update|delete) and a known table"})
        data = dict(op.get("row") or {})
        if op["table"] == "users" and "password" in data:
            passwords[op.get("id") or data.get("id")] = data.pop("password")
        if op["op"] == "insert":
            store_ops.append({"op": "insert", "table": op["table"], "row": to_stored_row(op["table"], data)})
        elif op["op"] == "update":
            store_ops.append({"op": "update", "table": op["table"], "id": op.get("id"),
                              "set": to_stored_row(op["table"], data, partial=True)})
        else:
            store_ops.append({"op": "delete", "table": op["table"], "id": op.get("id")})
    with app.store.lock:
        tx = app.store.commit(store_ops)
        for user_id, password in passwords.items():
            app.store.db.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                                 (auth_mod.hash_password(password), user_id))
    return json_response(200, {"txid": str(tx.txid), "lsn": str(tx.lsn)})


def shape_list(app):
    with app.store.lock:
        return [{"handle": s.handle, "table": s.table, "where": s.sdef.where,
                 "params": dict(s.sdef.params), "columns": s.sdef.columns, "replica": s.sdef.replica,
                 "log": s.sdef.log, "members": len(s.members), "log_entries": len(s.entries),
                 "latest_offset": shapes.format_offset(s.latest())}
                for s in app.registry.by_def.values()]


def expire_tokens(app, email):
    with app.store.lock:
        if email:
            user = user_by_email(app, email)
            cur = app.store.db.execute("UPDATE access_tokens SET expires_at = ? WHERE user_id = ?",
                                       (time.time() - 1, user))
        else:
            cur = app.store.db.execute("UPDATE access_tokens SET expires_at = ?", (time.time() - 1,))
        return cur.rowcount
