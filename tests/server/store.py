"""SQLite storage and the replication log.

Every committed write gets a Postgres-like transaction id and a commit LSN, and is
handed, still under the store lock, to the listeners (the shape registry), which turn
it into per-shape log entries. Holding one lock for "write SQLite + append to the
shape logs" is what keeps snapshots and logs consistent: a shape's snapshot is read
under the same lock, so every change is either in the snapshot or in its log, never
both and never neither.
"""

import sqlite3
import threading

import schema


class StoreError(Exception):
    """A write that cannot be applied: HTTP status, error code, message, fields."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


class Change:
    __slots__ = ("table", "op", "old", "new")

    def __init__(self, table, op, old, new):
        self.table, self.op, self.old, self.new = table, op, old, new


class Transaction:
    __slots__ = ("txid", "lsn", "changes")

    def __init__(self, txid, lsn, changes):
        self.txid, self.lsn, self.changes = txid, lsn, changes


SERVER_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, refresh_hash TEXT, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, user_id TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS personal_tokens (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    user_id TEXT NOT NULL, key TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (user_id, key));
"""

FIRST_TXID = 750
FIRST_LSN = 26800000


class Store:
    def __init__(self, path):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL" if path != ":memory:" else "PRAGMA journal_mode=MEMORY")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.lock = threading.RLock()
        # Long-polls wait on this; it is notified after every commit and rotation.
        self.changed = threading.Condition(self.lock)
        self.listeners = []
        self._create()
        self.txid = int(self._meta("txid", FIRST_TXID - 1))
        self.lsn = int(self._meta("lsn", FIRST_LSN))

    def _create(self):
        with self.lock:
            for table, cols in schema.TABLES.items():
                defs = ", ".join(
                    f"{name} TEXT PRIMARY KEY" if name == schema.PK else f"{name} TEXT"
                    for name, _, _ in cols)
                if table == "users":
                    defs += ", password_hash TEXT"  # server-only, never on a shape
                self.db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({defs})")
            self.db.executescript(SERVER_TABLES)

    def _meta(self, key, default):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    # --- reads -------------------------------------------------------------

    def rows(self, table):
        cols = schema.column_names(table)
        with self.lock:
            cur = self.db.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid")
            return [dict(zip(cols, r)) for r in cur]

    def snapshot(self, table, columns, with_rows):
        """Yield (id, message bytes, row dict or None) for every row, for a shape snapshot.

        SQLite builds each insert message's JSON (json_object/json_quote run in C), which
        is what makes a 100,000-row snapshot take a second rather than several. Only
        schema column names go into this SQL, never anything from a request."""
        cols = schema.column_names(table)
        value = "json_object(" + ", ".join(f"'{c}', {c}" for c in columns) + ")"
        key = f"""json_quote('"public"."{table}"/"' || replace(id, '/', '//') || '"')"""
        headers = '{"operation":"insert","relation":["public","' + table + '"]}'
        msg = f"""'{{"key":' || {key} || ',"value":' || {value} || ',"headers":{headers}}}'"""
        with self.lock:
            cur = self.db.execute(f"SELECT {msg}, {', '.join(cols)} FROM {table} ORDER BY rowid")
            for r in cur:
                yield r[1], r[0].encode(), (dict(zip(cols, r[1:])) if with_rows else None)

    def get(self, table, row_id):
        cols = schema.column_names(table)
        with self.lock:
            r = self.db.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return dict(zip(cols, r)) if r else None

    def is_empty(self):
        with self.lock:
            return self.db.execute("SELECT count(*) FROM organizations").fetchone()[0] == 0

    # --- writes ------------------------------------------------------------

    def bulk_insert(self, table, rows, extra=None):
        """Seed data: straight into SQLite, no replication log (it predates every shape)."""
        cols = schema.column_names(table) + (extra or [])
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        with self.lock:
            self.db.execute("BEGIN")
            self.db.executemany(sql, ([row.get(c) for c in cols] for row in rows))
            self.db.execute("COMMIT")

    def commit(self, ops, before_commit=None):
        """Apply ops in one transaction; returns the Transaction (with txid and lsn).

        ops: {"op": "insert", "table", "row"} | {"op": "update", "table", "id", "set"} |
        {"op": "delete", "table", "id"}; values already in stored text form.
        before_commit(tx_changes) may raise StoreError to roll back.
        """
        with self.lock:
            # Inside a caller's transaction (a write and its idempotency record
            # commit together), a savepoint.
            nested = self.db.in_transaction
            self.db.execute("SAVEPOINT tx" if nested else "BEGIN")
            saved = (self.txid, self.lsn)
            try:
                changes = [self._apply(op) for op in ops]
                if before_commit:
                    before_commit(changes)
                self.txid += 1
                # Leave gaps between LSNs, as a real WAL would.
                self.lsn += 64 + 8 * len(changes)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('txid', ?)", (str(self.txid),))
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('lsn', ?)", (str(self.lsn),))
                self.db.execute("RELEASE tx" if nested else "COMMIT")
            except BaseException:
                self.txid, self.lsn = saved
                self.db.execute("ROLLBACK TO tx" if nested else "ROLLBACK")
                if nested:
                    self.db.execute("RELEASE tx")
                raise
            tx = Transaction(self.txid, self.lsn, changes)
            for listener in self.listeners:
                listener(tx)
            self.changed.notify_all()
            return tx

    def _apply(self, op):
        table = op["table"]
        if table not in schema.TABLES:
            raise StoreError(404, "not_found", f"unknown table {table}")
        cols = schema.column_names(table)
        kind = op["op"]
        if kind == "insert":
            row = {c: op["row"].get(c) for c in cols}
            self._check_not_null(table, row)
            if self.get(table, row["id"]):
                raise StoreError(409, "conflict", f"{table} row {row['id']} already exists")
            self.db.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [row[c] for c in cols])
            return Change(table, "insert", None, row)
        old = self.get(table, op["id"])
        if old is None:
            raise StoreError(404, "not_found", f"{table} row {op['id']} does not exist")
        if kind == "update":
            new = dict(old)
            new.update({k: v for k, v in op["set"].items() if k in new})
            self._check_not_null(table, new)
            if new["id"] != old["id"] and self.get(table, new["id"]):
                raise StoreError(409, "conflict", f"{table} row {new['id']} already exists")
            self.db.execute(
                f"UPDATE {table} SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?",
                [new[c] for c in cols] + [old["id"]])
            return Change(table, "update", old, new)
        if kind == "delete":
            self.db.execute(f"DELETE FROM {table} WHERE id = ?", (old["id"],))
            return Change(table, "delete", old, None)
        raise StoreError(400, "invalid", f"unknown op {kind}")

    def _check_not_null(self, table, row):
        missing = [c for c in schema.not_null(table) if row.get(c) is None]
        if missing:
            raise StoreError(400, "invalid", "missing required columns",
                             {c: "required" for c in missing})
