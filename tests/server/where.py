"""A small SQL `where` parser and evaluator for shape definitions.

Electric accepts a Postgres expression; we accept the subset Astrolabe and its tests
need (comparisons, IN, IS [NOT] NULL, AND/OR/NOT, parentheses, literals, $n params,
quoted and unquoted column names) and reject everything else with a message that
names the problem. Rows are evaluated in Python: user SQL never reaches SQLite.

Values follow Postgres typing: the column's type decides how a literal or a
parameter is read (so `priority > '2'` compares integers), and NULL gives SQL's
three-valued logic (a row is in the shape only when the expression is TRUE).
"""

import datetime
import re

import values


class WhereError(Exception):
    """A where clause we cannot accept; the message is shown to the client."""

    def __init__(self, pos, message):
        super().__init__(f"At location {pos}: {message}")
        self.pos = pos


# --- tokenizer -------------------------------------------------------------

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<qident>"(?:[^"]|"")+")
  | (?P<param>\$\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<op><>|!=|<=|>=|=|<|>|::|\(|\)|,|\.)
""", re.VERBOSE)

KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}


def tokenize(text):
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            if text[pos] == "'":
                raise WhereError(pos, "unterminated string literal")
            if text[pos] == '"':
                raise WhereError(pos, "unterminated quoted identifier")
            raise WhereError(pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        raw = m.group(kind)
        if kind != "ws":
            if kind == "ident" and raw.lower() in KEYWORDS:
                tokens.append(("kw", raw.lower(), pos))
            elif kind == "ident":
                # Unquoted identifiers fold to lower case, as in Postgres.
                tokens.append(("ident", raw.lower(), pos))
            elif kind == "qident":
                tokens.append(("ident", raw[1:-1].replace('""', '"'), pos))
            elif kind == "string":
                tokens.append(("string", raw[1:-1].replace("''", "'"), pos))
            else:
                tokens.append((kind, raw, pos))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


# --- AST ---------------------------------------------------------------------
# Nodes are tuples: ("col", name, type) ("lit", python_value_or_text, type_or_None)
# ("param", n) ("cmp", op, a, b) ("in", a, [items], negated) ("isnull", a, negated)
# ("and", a, b) ("or", a, b) ("not", a) ("bool", a)  -- a boolean column as predicate


class Parser:
    def __init__(self, text, columns):
        self.tokens = tokenize(text)
        self.i = 0
        self.columns = columns  # name -> type
        self.params_used = set()

    def peek(self):
        return self.tokens[self.i]

    def take(self):
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind, value=None):
        tok = self.peek()
        if tok[0] == kind and (value is None or tok[1] == value):
            self.i += 1
            return tok
        return None

    def expect(self, kind, value, what):
        tok = self.accept(kind, value)
        if not tok:
            bad = self.peek()
            raise WhereError(bad[2], f"expected {what}, got {describe(bad)}")
        return tok

    def parse(self):
        if self.peek()[0] == "end":
            raise WhereError(0, "empty where clause")
        node = self.parse_or()
        tok = self.peek()
        if tok[0] != "end":
            raise WhereError(tok[2], f"unexpected {describe(tok)}")
        return node

    def parse_or(self):
        node = self.parse_and()
        while self.accept("kw", "or"):
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self):
        node = self.parse_not()
        while self.accept("kw", "and"):
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self):
        if self.accept("kw", "not"):
            return ("not", self.parse_not())
        return self.parse_predicate()

    def parse_predicate(self):
        start = self.peek()
        left = self.parse_operand()
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.parse_operand()
            op = "<>" if tok[1] == "!=" else tok[1]
            return ("cmp", op, left, right)
        if tok[0] == "kw" and tok[1] == "is":
            self.take()
            negated = bool(self.accept("kw", "not"))
            t = self.peek()
            if self.accept("kw", "null"):
                return ("isnull", left, negated)
            if t[0] == "kw" and t[1] in ("true", "false"):
                self.take()
                return ("istruth", left, t[1] == "true", negated)
            raise WhereError(t[2], f"expected NULL, TRUE or FALSE after IS, got {describe(t)}")
        negated = False
        if tok[0] == "kw" and tok[1] == "not":
            nxt = self.tokens[self.i + 1]
            if nxt[0] == "kw" and nxt[1] == "in":
                self.take()
                negated = True
                tok = self.peek()
        if tok[0] == "kw" and tok[1] == "in":
            self.take()
            self.expect("op", "(", "'(' after IN")
            items = [self.parse_operand()]
            while self.accept("op", ","):
                items.append(self.parse_operand())
            self.expect("op", ")", "')' closing the IN list")
            return ("in", left, items, negated)
        if tok[0] == "op" and tok[1] == "::":
            raise WhereError(tok[2], "type casts (::) are not supported")
        if tok[0] == "ident":
            raise WhereError(tok[2], f"unsupported operator or function {tok[1]!r}")
        # A bare operand is a predicate only if it is boolean.
        if left[0] in ("and", "or", "not", "cmp", "in", "isnull", "istruth", "bool"):
            return left
        if left[0] == "col" and left[2] == "bool":
            return ("bool", left)
        if left[0] == "lit" and isinstance(left[1], bool):
            return ("bool", left)
        if left[0] == "param":
            return ("bool", left)
        raise WhereError(start[2], f"expression of type {operand_type(left) or 'unknown'} is not a condition")

    def parse_operand(self):
        tok = self.take()
        kind, value, pos = tok
        if kind == "op" and value == "(":
            node = self.parse_or()
            self.expect("op", ")", "')'")
            return node
        if kind == "op" and value == "-":
            pass
        if kind == "number":
            return ("lit", value, "number")
        if kind == "string":
            return ("lit", value, None)
        if kind == "param":
            n = int(value[1:])
            if n < 1:
                raise WhereError(pos, f"invalid parameter {value}")
            self.params_used.add(n)
            return ("param", n)
        if kind == "kw" and value in ("true", "false"):
            return ("lit", value == "true", "bool")
        if kind == "kw" and value == "null":
            return ("lit", None, None)
        if kind == "ident":
            nxt = self.peek()
            if nxt[0] == "op" and nxt[1] == "(":
                raise WhereError(pos, f"functions are not supported: {value}()")
            if nxt[0] == "op" and nxt[1] == ".":
                raise WhereError(nxt[2], "qualified column names are not supported")
            if value not in self.columns:
                raise WhereError(pos, f"unknown reference {value}")
            return ("col", value, self.columns[value])
        if kind == "end":
            raise WhereError(pos, "unexpected end of where clause")
        raise WhereError(pos, f"unexpected {describe(tok)}")


def describe(tok):
    kind, value, _ = tok
    if kind == "end":
        return "end of input"
    if kind == "string":
        return f"string '{value}'"
    return repr(value.upper() if kind == "kw" else value)


def operand_type(node):
    if node[0] == "col":
        return node[2]
    if node[0] == "lit" and node[2] == "bool":
        return "bool"
    if node[0] in ("and", "or", "not", "cmp", "in", "isnull", "istruth", "bool"):
        return "bool"
    return None


# --- typing and evaluation ----------------------------------------------------

INT_TYPES = ("int2", "int4", "int8")


def coerce(text, typ, pos_hint=0):
    """Read a Postgres text value (or literal) as the given column type."""
    if text is None:
        return None
    if isinstance(text, bool):
        if typ in ("bool", None):
            return text
        raise WhereError(pos_hint, f"cannot compare boolean with {typ}")
    try:
        if typ in INT_TYPES:
            return int(str(text).strip())
        if typ in ("float4", "float8", "numeric"):
            return float(text)
        if typ == "bool":
            low = str(text).strip().lower()
            if low in ("t", "true", "yes", "on", "1", "y"):
                return True
            if low in ("f", "false", "no", "off", "0", "n"):
                return False
            raise ValueError(text)
        if typ == "timestamptz":
            return values.parse_timestamp(str(text))
        if typ == "date":
            return datetime.date.fromisoformat(str(text).strip()[:10])
        if typ == "uuid":
            return values.parse_uuid(str(text))
    except ValueError:
        raise WhereError(pos_hint, f'invalid input syntax for type {typ}: "{text}"')
    return str(text)


class Where:
    """A parsed where clause bound to its parameters, ready to test rows."""

    def __init__(self, text, params, columns):
        parser = Parser(text, columns)
        self.tree = parser.parse()
        self.text = text
        for n in sorted(parser.params_used):
            if str(n) not in params:
                raise WhereError(0, f"parameter ${n} was not provided")
        self.params = params
        # Literals and parameters are read once per type; rows are evaluated many times
        # (a 100,000-row snapshot through the proxy), so this matters.
        self._constants = {}
        self._types = {}
        # Validate types once, so a bad literal is a 400 now rather than per row.
        self._check(self.tree)

    def _check(self, node):
        self.value(node, None)

    def matches(self, row):
        return self.value(self.tree, row) is True

    def value(self, node, row):
        """Evaluate; with row=None only types are checked (columns read as NULL)."""
        kind = node[0]
        if kind == "and":
            a, b = self.value(node[1], row), self.value(node[2], row)
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        if kind == "or":
            a, b = self.value(node[1], row), self.value(node[2], row)
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        if kind == "not":
            a = self.value(node[1], row)
            return None if a is None else not a
        if kind == "bool":
            v = self.scalar(node[1], row, "bool")
            return v
        if kind == "isnull":
            v = self.scalar(node[1], row, operand_type(node[1]))
            return (v is not None) if node[2] else (v is None)
        if kind == "istruth":
            v = self.scalar(node[1], row, "bool")
            res = v is node[2]
            return not res if node[3] else res
        if kind == "cmp":
            typ = self.common_type(node[2], node[3])
            a = self.scalar(node[2], row, typ)
            b = self.scalar(node[3], row, typ)
            if a is None or b is None:
                return None
            return compare(node[1], a, b, typ)
        if kind == "in":
            typ = self.common_type(node[1], *node[2])
            a = self.scalar(node[1], row, typ)
            if a is None:
                return None
            saw_null = False
            for item in node[2]:
                b = self.scalar(item, row, typ)
                if b is None:
                    saw_null = True
                elif compare("=", a, b, typ):
                    return False if node[3] else True
            if saw_null:
                return None
            return True if node[3] else False
        raise WhereError(0, "not a condition")

    def common_type(self, *nodes):
        key = tuple(id(n) for n in nodes)
        if key not in self._types:
            self._types[key] = self._common_type(nodes)
        return self._types[key]

    def _common_type(self, nodes):
        types = {operand_type(n) for n in nodes} - {None}
        if not types:
            # Only literals and parameters: numbers compare as numbers, else text.
            if all(n[0] == "lit" and n[2] == "number" for n in nodes):
                return "float8"
            return "text"
        if len(types) > 1:
            nums = {"int2", "int4", "int8", "float4", "float8", "numeric"}
            if types <= nums:
                return "float8"
            texty = {"text", "uuid"}
            if types <= texty:
                return "text"
            raise WhereError(0, "operator does not exist: " + " = ".join(sorted(types)))
        return types.pop()

    def scalar(self, node, row, typ):
        kind = node[0]
        if kind == "col":
            if row is None:
                return None
            value = row.get(node[1])
            if value is None or typ in ("text", None):
                return value
            if typ == "uuid":
                return value  # stored in canonical lower-case form already
            return coerce(value, typ)
        if kind in ("lit", "param"):
            key = (id(node), typ)
            if key not in self._constants:
                self._constants[key] = self._constant(node, typ)
            return self._constants[key]
        # A nested boolean expression used as an operand.
        return self.value(node, row)

    def _constant(self, node, typ):
        kind = node[0]
        if kind == "lit":
            if node[1] is None:
                return None
            if isinstance(node[1], bool):
                if typ not in ("bool", None):
                    raise WhereError(0, f"cannot compare boolean with {typ}")
                return node[1]
            if node[2] == "number" and typ not in INT_TYPES + ("float4", "float8", "numeric", None):
                if typ != "text":
                    raise WhereError(0, f"operator does not exist: {typ} = numeric")
            if node[2] == "number" and typ in INT_TYPES and not re.fullmatch(r"\d+", node[1]):
                return float(node[1])
            return coerce(node[1], typ)
        return coerce(self.params[str(node[1])], typ)


def compare(op, a, b, typ):
    if op == "=":
        return a == b
    if op == "<>":
        return a != b
    try:
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
    except TypeError:
        raise WhereError(0, f"cannot order values of type {typ}")
    raise WhereError(0, f"unknown operator {op}")
