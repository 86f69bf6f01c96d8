"""Postgres text forms of values, as Electric sends them.

Every value on a shape is a JSON string holding Postgres' text output (or JSON null).
We store that text form in SQLite, so the snapshot serializer has nothing to convert;
the one exception is booleans, which Electric renders "true"/"false" in snapshots but
"t"/"f" in replicated changes (see electric-protocol.md §2.3).
"""

import datetime
import json
import uuid

UTC = datetime.timezone.utc


def format_timestamp(dt):
    """timestamptz text: `2026-01-02 10:00:00+00`, microseconds only when non-zero."""
    dt = dt.astimezone(UTC)
    text = dt.strftime("%Y-%m-%d %H:%M:%S")
    if dt.microsecond:
        text += (".%06d" % dt.microsecond).rstrip("0")
    return text + "+00"


def parse_timestamp(text):
    """Accept ISO 8601 (`T` or space, `Z`, `+00`, `+00:00`); naive means UTC."""
    s = text.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    # Postgres writes `+00`; fromisoformat wants `+00:00`.
    if len(s) >= 3 and s[-3] in "+-" and s[-2:].isdigit() and ":" not in s[-3:]:
        s = s + ":00"
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def normalize_timestamp(text):
    return format_timestamp(parse_timestamp(text))


def now_text():
    return format_timestamp(datetime.datetime.now(UTC))


def parse_uuid(text):
    return str(uuid.UUID(text.strip()))


def jsonb_text(value):
    """Render like Postgres jsonb output: `{"a": 1, "bb": 2}`, keys by length then bytes."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + jsonb_text(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


BOOL_TRUE = ("t", "true", "yes", "on", "1", "y")
BOOL_FALSE = ("f", "false", "no", "off", "0", "n")


def to_text(value, typ):
    """Convert a JSON value supplied by a writer into the stored Postgres text form.

    Raises ValueError with a short reason when the value does not fit the type.
    """
    if value is None:
        return None
    if typ == "jsonb":
        if isinstance(value, str):
            value = json.loads(value)
        return jsonb_text(value)
    if typ == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        low = str(value).strip().lower()
        if low in BOOL_TRUE:
            return "true"
        if low in BOOL_FALSE:
            return "false"
        raise ValueError("must be a boolean")
    if typ in ("int2", "int4", "int8"):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError("must be an integer")
        n = int(str(value).strip())
        limit = {"int2": 2**15, "int4": 2**31, "int8": 2**63}[typ]
        if not -limit <= n < limit:
            raise ValueError("out of range")
        return str(n)
    if isinstance(value, (dict, list, bool)):
        raise ValueError("must be a string")
    if typ == "timestamptz":
        return normalize_timestamp(str(value))
    if typ == "date":
        return datetime.date.fromisoformat(str(value).strip()[:10]).isoformat()
    if typ == "uuid":
        return parse_uuid(str(value))
    return str(value)


def live_text(value, typ):
    """The form a replicated (WAL) change carries: booleans become t/f."""
    if typ == "bool" and value is not None:
        return "t" if value == "true" else "f"
    return value
