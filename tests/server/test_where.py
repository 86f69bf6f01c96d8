"""The where parser and evaluator, directly and through /v1/shape."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import schema  # noqa: E402
from harness import ServerTest  # noqa: E402
from where import Where, WhereError, tokenize  # noqa: E402

TYPES = schema.column_types("tasks")
TYPES_REPO = schema.column_types("repositories")
ROW = {"id": "c28f7b2b-fe69-5bf1-9b57-ac6b5d5e9674", "title": "It's here", "priority": "3",
       "status": "Todo", "assignee_id": None, "due_date": "2026-01-10",
       "created_at": "2026-01-02 10:00:00+00", "labels": '["a"]', "deleted_at": None}


def m(text, params=None, row=ROW, types=TYPES):
    return Where(text, params or {}, types).matches(row)


class Parse(unittest.TestCase):
    def test_comparisons(self):
        self.assertTrue(m("priority = 3"))
        self.assertTrue(m("priority <> 4"))
        self.assertTrue(m("priority != 4"))
        self.assertTrue(m("priority < 4 AND priority <= 3 AND priority > 2 AND priority >= 3"))
        self.assertFalse(m("priority > 3"))
        self.assertTrue(m("priority = '3'"))  # an untyped literal takes the column's type

    def test_numbers_compare_as_numbers(self):
        self.assertTrue(m("priority < 10"))  # as text '3' > '10'
        self.assertTrue(m("priority < $1", {"1": "10"}))

    def test_strings_and_quoting(self):
        self.assertTrue(m("title = 'It''s here'"))
        self.assertTrue(m('"title" = $1', {"1": "It's here"}))
        self.assertTrue(m("TITLE = 'It''s here'"))  # unquoted names fold to lower case
        with self.assertRaises(WhereError):
            m('"TITLE" = 1')

    def test_in_and_not_in(self):
        self.assertTrue(m("status IN ('Todo', 'Done')"))
        self.assertFalse(m("status NOT IN ('Todo', 'Done')"))
        self.assertTrue(m("priority IN ($1, $2)", {"1": "1", "2": "3"}))
        # NULL in the list makes a miss unknown, so NOT IN excludes the row.
        self.assertFalse(m("status NOT IN ('Done', NULL)"))

    def test_null_logic(self):
        self.assertTrue(m("assignee_id IS NULL"))
        self.assertFalse(m("assignee_id IS NOT NULL"))
        self.assertFalse(m("assignee_id = $1", {"1": "c28f7b2b-fe69-5bf1-9b57-ac6b5d5e9674"}))
        self.assertFalse(m("NOT (assignee_id = $1)", {"1": "c28f7b2b-fe69-5bf1-9b57-ac6b5d5e9674"}))
        self.assertTrue(m("assignee_id = $1 OR priority = 3", {"1": "c28f7b2b-fe69-5bf1-9b57-ac6b5d5e9674"}))
        self.assertFalse(m("NULL = NULL"))

    def test_precedence_and_parentheses(self):
        self.assertTrue(m("priority = 1 OR priority = 3 AND status = 'Todo'"))
        self.assertFalse(m("(priority = 1 OR priority = 3) AND status = 'Done'"))
        self.assertTrue(m("NOT priority = 1 AND NOT status = 'Done'"))
        self.assertTrue(m("((priority = 3))"))

    def test_typed_columns(self):
        self.assertTrue(m("created_at < '2026-01-03'"))
        self.assertTrue(m("created_at = '2026-01-02T10:00:00Z'"))
        self.assertTrue(m("due_date > $1", {"1": "2026-01-09"}))
        self.assertTrue(m("id = 'C28F7B2B-FE69-5BF1-9B57-AC6B5D5E9674'"))
        repo = {"id": "x", "is_private": "true", "github_id": "9000000000"}
        self.assertTrue(m("is_private", row=repo, types=TYPES_REPO))
        self.assertFalse(m("NOT is_private", row=repo, types=TYPES_REPO))
        self.assertTrue(m("is_private = true AND github_id > 8000000000", row=repo, types=TYPES_REPO))
        self.assertTrue(m("is_private IS TRUE", row=repo, types=TYPES_REPO))
        self.assertTrue(m("true"))
        self.assertFalse(m("false"))

    def test_errors_name_the_problem(self):
        cases = {
            "title LIKE 'a%'": "like",
            "lower(title) = 'a'": "functions are not supported",
            "priority = 1 AND": "unexpected end",
            "(priority = 1": "')'",
            "priority = 'x'": "invalid input syntax for type int4",
            "id = 'nope'": "invalid input syntax for type uuid",
            "nope = 1": "unknown reference nope",
            "priority": "not a condition",
            "priority::text = '1'": "casts",
            "title = 'open": "unterminated string",
            "priority = 1;": "unexpected character",
            "t.priority = 1": "qualified",
            "priority = $1": "$1 was not provided",
            "": "empty",
            "priority IS 3": "expected NULL",
            "status IN 'Todo'": "'(' after IN",
        }
        for text, needle in cases.items():
            with self.subTest(text=text):
                with self.assertRaises(WhereError) as cm:
                    Where(text, {}, TYPES)
                self.assertIn(needle, str(cm.exception))
                self.assertTrue(str(cm.exception).startswith("At location "))

    def test_tokenizer_positions(self):
        toks = tokenize("a = 'x' AND \"B\" IN ($1)")
        self.assertEqual([t[0] for t in toks],
                         ["ident", "op", "string", "kw", "ident", "kw", "op", "param", "op", "end"])
        self.assertEqual(toks[4][1], "B")
        self.assertEqual(toks[2][2], 4)


class Fuzz(unittest.TestCase):
    def test_random_token_soup_never_crashes(self):
        """Any where text is either accepted or a WhereError, never another exception."""
        import random
        rnd = random.Random(7)
        pieces = ["priority", "status", "id", "title", '"title"', "is_private", "due_date", "created_at",
                  "=", "<>", "!=", "<", ">=", "IN", "NOT", "IS", "NULL", "TRUE", "AND", "OR", "(", ")",
                  ",", "'x'", "'2026-01-01'", "3", "3.5", "-1", "$1", "$2", "$0", "::", ";", "'", '"', "LIKE"]
        accepted = 0
        for _ in range(3000):
            text = " ".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 9)))
            try:
                w = Where(text, {"1": "2", "2": "x"}, TYPES)
                w.matches(ROW)
                accepted += 1
            except WhereError:
                pass
        self.assertGreater(accepted, 10)


class OverHttp(ServerTest):
    long_poll_ms = 200

    def test_odd_requests_are_never_500(self):
        import random
        rnd = random.Random(11)
        values = ["", "-1", "now", "0_0", "0_inf", "1_2_3", "x", "tasks", '"tasks"', "public.", ".",
                  "id,", ",id", '"id', '""', "id,,title", "true", "false", "1", "priority = $1", "(",
                  "\u0000", "%", "üñí", "a" * 300]
        keys = ["table", "offset", "handle", "live", "where", "params[1]", "params[x]", "params",
                "columns", "replica", "log", "cursor", "live_sse", "subset__where"]
        for _ in range(300):
            q = {k: rnd.choice(values) for k in rnd.sample(keys, rnd.randint(1, 7))}
            r = self.srv.shape(q)
            self.assertIn(r.status, (200, 400, 409), (q, r))


    def test_where_filters_snapshot(self):
        rows, *_ = self.srv.sync({"table": "tasks", "where": "status IN ($1, $2) AND priority >= $3",
                                  "params[1]": "Todo", "params[2]": "Done", "params[3]": "2"})
        expect = {t["id"] for t in self.srv.control("GET", "rows/tasks")
                  if t["status"] in ("Todo", "Done") and int(t["priority"]) >= 2}
        self.assertTrue(expect)
        self.assertEqual({r["id"] for r in rows.values()}, expect)

    def test_where_400(self):
        r = self.srv.shape({"table": "tasks", "offset": "-1", "where": "title ~ 'x'"})
        self.assertEqual(r.status, 400)
        self.assertIn("At location 6", r.json()["errors"]["where"][0])


if __name__ == "__main__":
    unittest.main()
