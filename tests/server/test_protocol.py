"""The Electric shape protocol over real HTTP (electric-protocol.md §1-§5)."""

import gzip
import http.client
import json
import threading
import time
import unittest
import urllib.parse

from harness import Server, ServerTest, apply

TASK = "c28f7b2b-fe69-5bf1-9b57-ac6b5d5e9674"  # the first demo task (AST-1)


def later(seconds, fn, *args):
    t = threading.Timer(seconds, fn, args)
    t.start()
    return t


class Snapshot(ServerTest):
    def test_initial_snapshot_rows_then_snapshot_end_never_up_to_date(self):
        r = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body[-1]["headers"]["control"], "snapshot-end")
        self.assertTrue({"xmin", "xmax", "xip_list"} <= set(body[-1]["headers"]))
        rows = body[:-1]
        self.assertEqual(len(rows), len([t for t in self.srv.control("GET", "rows/tasks") if t["priority"]]))
        for m in rows:
            self.assertEqual(m["headers"], {"operation": "insert", "relation": ["public", "tasks"]})
            self.assertEqual(m["key"], f'"public"."tasks"/"{m["value"]["id"]}"')
            for v in m["value"].values():
                self.assertTrue(v is None or isinstance(v, str), v)
        self.assertIsNone(r.header("electric-up-to-date"))
        self.assertEqual(r.header("electric-offset"), "0_0")
        self.assertEqual(r.header("electric-has-data"), "true")
        self.assertEqual(r.header("cache-control"),
                         "public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746")
        self.assertTrue(r.header("electric-server").startswith("ElectricSQL/"))
        self.assertEqual(r.header("transfer-encoding"), "chunked")
        self.assertIsNone(r.header("electric-cursor"))
        handle = r.header("electric-handle")
        self.assertEqual(r.header("etag"), f'"{handle}:-1:0_0"')
        schema = json.loads(r.header("electric-schema"))
        self.assertEqual(schema["id"], {"type": "uuid", "pk_index": 0, "not_null": True})
        self.assertEqual(schema["priority"]["type"], "int4")
        self.assertEqual(schema["labels"]["type"], "jsonb")
        self.assertEqual(schema["created_at"]["type"], "timestamptz")

    def test_then_up_to_date_at_0_inf(self):
        r = self.srv.shape({"table": "organizations", "offset": "-1"})
        h = r.header("electric-handle")
        r2 = self.srv.shape({"table": "organizations", "offset": "0_0", "handle": h})
        self.assertEqual(r2.status, 200)
        body = r2.json()
        self.assertEqual(len(body), 1)
        self.assertEqual(body[0]["headers"]["control"], "up-to-date")
        self.assertTrue(body[0]["headers"]["global_last_seen_lsn"].isdigit())
        self.assertEqual(r2.header("electric-offset"), "0_inf")
        self.assertEqual(r2.header("electric-up-to-date"), "")
        self.assertEqual(r2.header("electric-has-data"), "false")
        self.assertEqual(r2.header("cache-control"), "public, max-age=60, stale-while-revalidate=300")
        self.assertIsNotNone(r2.header("electric-schema"))
        # No changes: the etag gets a monotonic suffix so it never revalidates.
        self.assertTrue(r2.header("etag").startswith(f'"{h}:0_0:0_inf:'))

    def test_same_definition_same_handle(self):
        a = self.srv.shape({"table": "users", "offset": "-1"}).header("electric-handle")
        b = self.srv.shape({"table": "users", "offset": "-1", "cache-buster": "x"}).header("electric-handle")
        c = self.srv.shape({"table": "users", "offset": "-1", "columns": "id,email"}).header("electric-handle")
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_timestamps_json_and_booleans_in_snapshot(self):
        rows, *_ = self.srv.sync({"table": "repositories"})
        flags = {r["is_private"] for r in rows.values()}
        self.assertEqual(flags, {"true", "false"})
        r = rows[f'"public"."repositories"/"{next(iter(rows.values()))["id"]}"']
        self.assertRegex(r["created_at"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00$")
        tasks, *_ = self.srv.sync({"table": "tasks"})
        for t in tasks.values():
            self.assertIsInstance(json.loads(t["labels"]), list)

    def test_head_and_options(self):
        r = self.srv.request("HEAD", "/v1/shape?table=tasks&offset=-1")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertIsNotNone(r.header("electric-handle"))
        self.assertEqual(r.header("cache-control"), "no-cache")  # not a GET
        r = self.srv.request("OPTIONS", "/v1/shape?table=tasks&offset=-1")
        self.assertEqual(r.status, 204)
        self.assertIn("electric-offset", r.header("access-control-expose-headers"))

    def test_now_offset(self):
        r = self.srv.shape({"table": "workspaces", "offset": "now"})
        self.assertEqual(r.status, 200)
        self.assertEqual([m["headers"]["control"] for m in r.json()], ["up-to-date"])
        self.assertEqual(r.header("electric-offset"), "0_inf")
        self.assertEqual(r.header("electric-has-data"), "false")

    def test_health_and_unknown_route(self):
        self.assertEqual(self.srv.get("/v1/health").status, 200)
        self.assertEqual(self.srv.get("/v1/nope").status, 404)

    def test_gzip_when_asked(self):
        plain = self.srv.shape({"table": "tasks", "offset": "-1"})
        self.assertIsNone(plain.header("content-encoding"))
        zipped = self.srv.shape({"table": "tasks", "offset": "-1"}, headers={"Accept-Encoding": "gzip, deflate"})
        self.assertEqual(zipped.header("content-encoding"), "gzip")
        self.assertIn("accept-encoding", zipped.header("vary").lower())
        self.assertLess(len(zipped.body), len(plain.body) / 3)
        self.assertEqual(gzip.decompress(zipped.body), plain.body)

    def test_if_none_match_gives_304(self):
        r = self.srv.shape({"table": "organizations", "offset": "-1"})
        r2 = self.srv.shape({"table": "organizations", "offset": "-1"}, headers={"If-None-Match": r.header("etag")})
        self.assertEqual(r2.status, 304)
        self.assertEqual(r2.body, b"")
        self.assertEqual(r2.header("electric-handle"), r.header("electric-handle"))


class Validation(ServerTest):
    def bad(self, params, field, text=None):
        r = self.srv.shape(params)
        self.assertEqual(r.status, 400, r.body)
        body = r.json()
        self.assertEqual(body["message"], "Invalid request")
        self.assertIn(field, body["errors"], body)
        if text:
            self.assertIn(text, body["errors"][field][0])
        self.assertEqual(r.header("cache-control"), "no-store")
        return body

    def test_required(self):
        self.bad({"offset": "-1"}, "table", "can't be blank")
        self.bad({"table": "tasks"}, "offset", "can't be blank")
        # Stages stop at the first failure, as in Electric: no table error here.
        body = self.bad({"replica": "x"}, "offset")
        self.assertEqual(set(body["errors"]), {"offset", "replica"})
        body = self.bad({"offset": "0_0"}, "handle")
        self.assertEqual(set(body["errors"]), {"handle"})

    def test_unknown_table(self):
        body = self.bad({"table": "nope", "offset": "-1"}, "table")
        self.assertEqual(body["errors"]["table"][0][:30], 'Table "public"."nope" does not')
        self.bad({"table": "other.tasks", "offset": "-1"}, "table")

    def test_table_forms(self):
        for t in ("tasks", "public.tasks", '"tasks"', 'public."tasks"', "TASKS"):
            self.assertEqual(self.srv.shape({"table": t, "offset": "-1"}).status, 200, t)
        self.bad({"table": '"Tasks"', "offset": "-1"}, "table")

    def test_offsets(self):
        for off in ("10", "1_2_3", "0_0 ", "-2", "_1", "a_b", "1_-1"):
            self.bad({"table": "tasks", "offset": off, "handle": "x"}, "offset", "invalid")
        h = self.srv.shape({"table": "tasks", "offset": "-1"}).header("electric-handle")
        self.assertEqual(self.srv.shape({"table": "tasks", "offset": "0_00", "handle": h}).status, 200)

    def test_handle_required_unless_minus_one_or_now(self):
        self.bad({"table": "tasks", "offset": "0_0"}, "handle", "can't be blank when offset != -1")
        # At -1 the handle is ignored, so it works as a cache-buster.
        r = self.srv.shape({"table": "tasks", "offset": "-1", "handle": "whatever"})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.header("electric-handle"), "whatever")

    def test_live_parsing(self):
        self.bad({"table": "tasks", "offset": "-1", "live": "true"}, "live", "can't be true when offset == -1")
        self.bad({"table": "tasks", "offset": "-1", "live": "0"}, "live")
        self.bad({"table": "tasks", "offset": "-1", "live": ""}, "live")
        r = self.srv.get("/v1/shape?table=tasks&offset=-1&live")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.srv.shape({"table": "tasks", "offset": "-1", "live": "false"}).status, 200)
        self.bad({"table": "tasks", "offset": "now", "live": "true"}, "live", "can't be true when offset is 'now'")
        self.bad({"table": "tasks", "offset": "0_0", "handle": "h", "live_sse": "true"}, "live_sse",
                 "can't be true unless live is also true")

    def test_enums_and_columns(self):
        self.bad({"table": "tasks", "offset": "-1", "replica": "partial"}, "replica")
        self.bad({"table": "tasks", "offset": "-1", "log": "some"}, "log")
        self.bad({"table": "tasks", "offset": "-1", "columns": "title,status"}, "columns",
                 "The list of columns must include all primary key columns, missing: id")
        self.bad({"table": "tasks", "offset": "-1", "columns": "id,nope"}, "columns",
                 "The following columns are not found on the table: nope")
        self.bad({"table": "tasks", "offset": "-1", "columns": "id,,title"}, "columns")
        self.assertEqual(self.srv.shape({"table": "tasks", "offset": "-1", "columns": "", "where": ""}).status, 200)
        self.bad({"table": "tasks", "offset": "-1", "live_sse": "true"}, "live_sse")

    def test_unknown_params_ignored(self):
        self.assertEqual(self.srv.shape({"table": "tasks", "offset": "-1", "foo": "bar",
                                         "expired_handle": "x", "cache-buster": "1"}).status, 200)

    def test_where_errors(self):
        self.bad({"table": "tasks", "offset": "-1", "where": "title LIKE 'a%'"}, "where", "like")
        self.bad({"table": "tasks", "offset": "-1", "where": "nope = 1"}, "where", "unknown reference nope")
        self.bad({"table": "tasks", "offset": "-1", "where": "priority = $1"}, "where", "$1")
        self.bad({"table": "tasks", "offset": "-1", "where": "priority = $1", "params[1]": "x"}, "where",
                 "invalid input syntax for type int4")
        self.bad({"table": "tasks", "offset": "-1", "where": "title = $2", "params[2]": "x"}, "params")


class Columns(ServerTest):
    def test_columns_subset_and_quoted(self):
        r = self.srv.shape({"table": "tasks", "offset": "-1", "columns": '"id",title,"STATUS"'})
        self.assertEqual(r.status, 400)  # "STATUS" quoted keeps case: no such column
        r = self.srv.shape({"table": "tasks", "offset": "-1", "columns": '"id",TITLE,"status"'})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(set(json.loads(r.header("electric-schema"))), {"id", "title", "status"})
        for m in r.json()[:-1]:
            self.assertEqual(set(m["value"]), {"id", "title", "status"})

    def test_update_of_unselected_column_is_not_sent(self):
        rows, h, off, _ = self.srv.sync({"table": "tasks", "columns": "id,title"})
        self.srv.control("PATCH", f"rows/tasks/{TASK}", {"priority": 4})
        tx = self.srv.control("PATCH", f"rows/tasks/{TASK}", {"title": "Renamed"})
        r = self.srv.shape({"table": "tasks", "columns": "id,title", "offset": off, "handle": h})
        changes = [m for m in r.json() if "operation" in m["headers"]]
        self.assertEqual(len(changes), 1)
        self.assertEqual(changes[0]["value"], {"id": TASK, "title": "Renamed"})
        self.assertEqual(changes[0]["headers"]["txids"], [int(tx["txid"])])


class Live(ServerTest):
    long_poll_ms = 1500

    def test_long_poll_answers_when_a_change_lands(self):
        rows, h, off, _ = self.srv.sync({"table": "tasks"})
        self.assertEqual(off, "0_inf")
        result = {}
        prio = str((int(self.srv.control("GET", f"rows/tasks/{TASK}")["priority"]) + 1) % 5)
        timer = later(0.3, lambda: result.update(self.srv.control("PATCH", f"rows/tasks/{TASK}",
                                                                   {"title": "Live!", "priority": prio})))
        t0 = time.monotonic()
        r = self.srv.shape({"table": "tasks", "offset": off, "handle": h, "live": "true", "cursor": ""})
        self.assertLess(time.monotonic() - t0, 1.2)
        timer.join()  # the control call may return after the long-poll does
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body[-1]["headers"]["control"], "up-to-date")
        change = body[0]
        self.assertEqual(change["headers"]["operation"], "update")
        self.assertEqual(change["value"], {"id": TASK, "title": "Live!", "priority": prio})
        hdr = change["headers"]
        self.assertEqual(hdr["txids"], [int(result["txid"])])
        self.assertEqual(hdr["lsn"], result["lsn"])
        self.assertEqual(hdr["op_position"], 0)
        self.assertIs(hdr["last"], True)
        self.assertEqual(r.header("electric-offset"), f"{result['lsn']}_0")
        self.assertEqual(r.header("electric-up-to-date"), "")
        self.assertEqual(r.header("electric-has-data"), "true")
        self.assertIsNone(r.header("electric-schema"))
        self.assertTrue(r.header("electric-cursor").isdigit())
        self.assertEqual(r.header("cache-control"), "public, max-age=5, stale-while-revalidate=5")
        self.assertEqual(r.header("etag"), f'"{h}:{off}:{result["lsn"]}_0"')

    def test_many_concurrent_holds_all_answered(self):
        rows, h, off, _ = self.srv.sync({"table": "organizations"})
        results = []

        def poll():
            results.append(self.srv.shape({"table": "organizations", "offset": off, "handle": h,
                                           "live": "true"}))
        threads = [threading.Thread(target=poll) for _ in range(30)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        self.srv.control("PATCH", f"rows/organizations/{next(iter(rows.values()))['id']}", {"slug": "many"})
        for t in threads:
            t.join()
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertEqual(len(results), 30)
        for r in results:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()[0]["value"]["slug"], "many")

    def test_empty_hold_is_up_to_date_at_same_offset(self):
        rows, h, off, _ = self.srv.sync({"table": "organizations"})
        t0 = time.monotonic()
        r = self.srv.shape({"table": "organizations", "offset": off, "handle": h, "live": "true"})
        self.assertGreaterEqual(time.monotonic() - t0, 1.4)
        self.assertEqual(r.status, 200)
        self.assertEqual([m["headers"]["control"] for m in r.json()], ["up-to-date"])
        self.assertEqual(r.header("electric-offset"), off)
        self.assertEqual(r.header("electric-has-data"), "false")
        self.assertEqual(r.header("electric-up-to-date"), "")

    def test_cursor_strictly_increases(self):
        rows, h, off, _ = self.srv.sync({"table": "organizations"})
        later(0.1, self.srv.control, "PATCH", f"rows/organizations/{next(iter(rows.values()))['id']}",
              {"name": "Renamed Org"})
        r = self.srv.shape({"table": "organizations", "offset": off, "handle": h, "live": "true", "cursor": ""})
        c1 = int(r.header("electric-cursor"))
        big = str(c1 + 10 ** 6)
        r2 = self.srv.shape({"table": "organizations", "offset": r.header("electric-offset"), "handle": h,
                             "live": "true", "cursor": big})
        self.assertGreater(int(r2.header("electric-cursor")), int(big))
        self.assertLessEqual(int(r2.header("electric-cursor")), int(big) + 3600)

    def test_data_already_there_returns_at_once(self):
        rows, h, off, _ = self.srv.sync({"table": "workspaces"})
        ws = next(iter(rows.values()))["id"]
        self.srv.control("PATCH", f"rows/workspaces/{ws}", {"status": "idle"})
        t0 = time.monotonic()
        r = self.srv.shape({"table": "workspaces", "offset": off, "handle": h, "live": "true"})
        self.assertLess(time.monotonic() - t0, 0.5)
        self.assertEqual(r.json()[0]["headers"]["operation"], "update")

    def test_non_live_catch_up_never_blocks(self):
        rows, h, off, _ = self.srv.sync({"table": "users"})
        t0 = time.monotonic()
        r = self.srv.shape({"table": "users", "offset": off, "handle": h})
        self.assertLess(time.monotonic() - t0, 0.5)
        self.assertEqual(r.json()[-1]["headers"]["control"], "up-to-date")


class Changes(ServerTest):
    def sync_and_tx(self, params, ops):
        rows, h, off, _ = self.srv.sync(params)
        tx = self.srv.control("POST", "tx", {"ops": ops})
        r = self.srv.shape(dict(params, offset=off, handle=h))
        self.assertEqual(r.status, 200, r.body)
        return rows, r, tx

    def test_multi_op_transaction_positions_and_last(self):
        a, b = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b2"
        org = self.srv.control("GET", "rows/organizations")[0]["id"]
        base = {"organization_id": org, "title": "T", "status": "Todo",
                "created_at": "2026-02-01T00:00:00Z", "updated_at": "2026-02-01T00:00:00Z"}
        rows, r, tx = self.sync_and_tx({"table": "tasks"}, [
            {"op": "insert", "table": "tasks", "row": dict(base, id=a)},
            {"op": "insert", "table": "organizations", "row": {
                "id": "00000000-0000-4000-8000-0000000000c3", "name": "X", "slug": "x",
                "created_at": "2026-02-01 00:00:00+00", "updated_at": "2026-02-01 00:00:00+00"}},
            {"op": "insert", "table": "tasks", "row": dict(base, id=b, labels=["x", "y"])},
            {"op": "delete", "table": "tasks", "id": a},
        ])
        changes = [m for m in r.json() if "operation" in m["headers"]]
        self.assertEqual([m["headers"]["op_position"] for m in changes], [0, 4, 6])
        self.assertEqual([m["headers"].get("last") for m in changes], [None, None, True])
        self.assertEqual([m["headers"]["operation"] for m in changes], ["insert", "insert", "delete"])
        self.assertEqual(changes[2]["value"], {"id": a})  # delete: PK only
        self.assertEqual(changes[1]["value"]["labels"], '["x", "y"]')
        self.assertEqual(changes[1]["value"]["created_at"], "2026-02-01 00:00:00+00")
        self.assertEqual(r.header("electric-offset"), f"{tx['lsn']}_6")

    def test_booleans_t_f_in_live_changes(self):
        repos, h, off, _ = self.srv.sync({"table": "repositories"})
        repo = next(v for v in repos.values() if v["is_private"] == "true")
        self.srv.control("PATCH", f"rows/repositories/{repo['id']}", {"is_private": False})
        r = self.srv.shape({"table": "repositories", "offset": off, "handle": h})
        self.assertEqual(r.json()[0]["value"]["is_private"], "f")
        full = self.srv.shape({"table": "repositories", "offset": off, "handle": h, "replica": "full"})
        self.assertEqual(full.status, 409)  # a different definition

    def test_replica_full(self):
        params = {"table": "repositories", "replica": "full"}
        repos, h, off, _ = self.srv.sync(params)
        repo = next(iter(repos.values()))
        self.srv.control("PATCH", f"rows/repositories/{repo['id']}", {"default_branch": "trunk"})
        self.srv.control("DELETE", f"rows/repositories/{repo['id']}")
        r = self.srv.shape(dict(params, offset=off, handle=h))
        upd, dele = r.json()[0], r.json()[1]
        self.assertEqual(set(upd["value"]), set(repo))
        self.assertEqual(upd["value"]["default_branch"], "trunk")
        self.assertEqual(upd["old_value"], {"default_branch": repo["default_branch"]})
        self.assertEqual(dele["headers"]["operation"], "delete")
        self.assertEqual(set(dele["value"]), set(repo))

    def test_primary_key_change_is_delete_then_insert(self):
        users, h, off, _ = self.srv.sync({"table": "users"})
        u = next(v for v in users.values() if v["email"] == "ken@example.com")
        new_id = "00000000-0000-4000-8000-00000000beef"
        self.srv.control("PATCH", f"rows/users/{u['id']}", {"id": new_id})
        r = self.srv.shape({"table": "users", "offset": off, "handle": h})
        d, i = r.json()[0], r.json()[1]
        self.assertEqual(d["headers"]["operation"], "delete")
        self.assertEqual(d["headers"]["key_change_to"], f'"public"."users"/"{new_id}"')
        self.assertEqual(d["headers"]["op_position"], 0)
        self.assertEqual(i["headers"]["operation"], "insert")
        self.assertEqual(i["headers"]["key_change_from"], f'"public"."users"/"{u["id"]}"')
        self.assertEqual(i["headers"]["op_position"], 1)
        self.assertEqual(i["value"]["email"], "ken@example.com")
        self.srv.control("PATCH", f"rows/users/{new_id}", {"id": u["id"]})

    def test_rows_moving_in_and_out_of_where(self):
        params = {"table": "tasks", "where": "priority >= $1 AND deleted_at IS NULL", "params[1]": "3"}
        rows, h, off, _ = self.srv.sync(params)
        all_tasks = self.srv.control("GET", "rows/tasks")
        expect = {t["id"] for t in all_tasks if int(t["priority"] or -1) >= 3 and t["deleted_at"] is None}
        self.assertEqual({v["id"] for v in rows.values()}, expect)
        inside = next(t for t in all_tasks if t["id"] in expect)
        outside = next(t for t in all_tasks if 0 <= int(t["priority"] or -1) < 3 and t["deleted_at"] is None)
        self.srv.control("PATCH", f"rows/tasks/{inside['id']}", {"priority": 0})
        self.srv.control("PATCH", f"rows/tasks/{outside['id']}", {"priority": 4})
        self.srv.control("PATCH", f"rows/tasks/{outside['id']}", {"title": "still in"})
        r = self.srv.shape(dict(params, offset=off, handle=h))
        ms = [m for m in r.json() if "operation" in m["headers"]]
        self.assertEqual([m["headers"]["operation"] for m in ms], ["delete", "insert", "update"])
        self.assertEqual(ms[0]["value"], {"id": inside["id"]})
        self.assertEqual(ms[1]["value"]["priority"], "4")
        self.assertEqual(len(ms[1]["value"]), 19)  # a move-in carries the full row
        self.assertTrue(all(m["headers"]["last"] for m in ms))
        apply(rows, r.json())
        now = self.srv.control("GET", "rows/tasks")
        expect = {t["id"] for t in now if int(t["priority"] or -1) >= 3 and t["deleted_at"] is None}
        self.assertEqual({v["id"] for v in rows.values()}, expect)

    def test_changes_only_log(self):
        params = {"table": "workspaces", "log": "changes_only"}
        r = self.srv.shape(dict(params, offset="-1"))
        self.assertEqual([m["headers"].get("control") for m in r.json()], ["snapshot-end"])
        h = r.header("electric-handle")
        ws = self.srv.control("GET", "rows/workspaces")[0]["id"]
        self.srv.control("PATCH", f"rows/workspaces/{ws}", {"device_name": "renamed"})
        r = self.srv.shape(dict(params, offset="0_0", handle=h))
        self.assertEqual(r.json()[0]["value"], {"id": ws, "device_name": "renamed"})


class Chunks(ServerTest):
    server_args = ("--chunk-bytes", "4000")

    def test_snapshot_split_into_chunks(self):
        # A definition of its own, so other tests' changes are not in its log.
        params = {"table": "tasks", "offset": "-1", "where": "priority IS NOT NULL"}
        offsets, rows, snapshot_ends = [], {}, 0
        while True:
            r = self.srv.shape(params)
            self.assertEqual(r.status, 200)
            body = r.json()
            snapshot_ends += sum(1 for m in body if m["headers"].get("control") == "snapshot-end")
            if r.header("electric-up-to-date") is not None:
                break
            self.assertLessEqual(len(r.body), 4000 + 3000)
            self.assertEqual(r.header("cache-control") is not None, True)
            apply(rows, body)
            offsets.append(r.header("electric-offset"))
            params = {"table": "tasks", "offset": offsets[-1], "handle": r.header("electric-handle"),
                      "where": "priority IS NOT NULL"}
        self.assertGreater(len(offsets), 5)
        self.assertEqual(offsets, [f"0_{i}" for i in range(len(offsets))])
        self.assertEqual(snapshot_ends, 1)
        self.assertEqual(r.header("electric-offset"), "0_inf")
        self.assertEqual(len(rows), len([t for t in self.srv.control("GET", "rows/tasks") if t["priority"]]))

    def test_log_read_is_chunked_at_transaction_boundaries(self):
        rows, h, off, _ = self.srv.sync({"table": "tasks"})
        for i in range(10):
            self.srv.control("PATCH", f"rows/tasks/{TASK}", {"description": "x" * 1000 + str(i)})
        n, params = 0, {"table": "tasks", "offset": off, "handle": h}
        while True:
            r = self.srv.shape(params)
            n += 1
            params["offset"] = r.header("electric-offset")
            if r.header("electric-up-to-date") is not None:
                break
        self.assertGreater(n, 1)


class Refetch(ServerTest):
    long_poll_ms = 1000

    def test_unknown_handle_409_with_new_handle(self):
        real = self.srv.shape({"table": "tasks", "offset": "-1"}).header("electric-handle")
        r = self.srv.shape({"table": "tasks", "offset": "0_0", "handle": "123-456"})
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json(), [{"headers": {"control": "must-refetch"}}])
        self.assertEqual(r.header("electric-handle"), real)
        self.assertEqual(r.header("cache-control"), "public, max-age=60, must-revalidate")

    def test_handle_of_other_definition_409(self):
        h = self.srv.shape({"table": "tasks", "offset": "-1"}).header("electric-handle")
        r = self.srv.shape({"table": "tasks", "offset": "0_0", "handle": h, "where": "priority = 1"})
        self.assertEqual(r.status, 409)
        self.assertNotEqual(r.header("electric-handle"), h)

    def test_rotation_during_live_hold(self):
        rows, h, off, _ = self.srv.sync({"table": "workspaces"})
        later(0.3, self.srv.control, "POST", "rotate", {"table": "workspaces"})
        r = self.srv.shape({"table": "workspaces", "offset": off, "handle": h, "live": "true"})
        self.assertEqual(r.status, 409)
        new = r.header("electric-handle")
        self.assertNotEqual(new, h)
        again, h2, _, _ = self.srv.sync({"table": "workspaces"})
        self.assertEqual(h2, new)
        self.assertEqual(again, rows)

    def test_delete_endpoint_rotates(self):
        h = self.srv.shape({"table": "users", "offset": "-1"}).header("electric-handle")
        self.assertEqual(self.srv.request("DELETE", "/v1/shape?table=users").status, 202)
        self.assertEqual(self.srv.shape({"table": "users", "offset": "0_0", "handle": h}).status, 409)

    def test_out_of_bounds_offset(self):
        rows, h, off, _ = self.srv.sync({"table": "organizations"})
        t0 = time.monotonic()
        r = self.srv.shape({"table": "organizations", "offset": "999999999_0", "handle": h})
        self.assertGreaterEqual(time.monotonic() - t0, 0.45)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["errors"], {"offset": ["out of bounds for this shape"]})


def read_sse(srv, params, on_open=None, timeout=10):
    """Open an SSE request; returns (response, [(seconds since open, event text)])."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    try:
        conn.request("GET", "/v1/shape?" + urllib.parse.urlencode(params))
        resp = conn.getresponse()
        t0 = time.monotonic()
        if on_open:
            on_open()
        events, buf = [], b""
        while True:
            piece = resp.read1(65536)
            if not piece:
                break
            buf += piece
            while b"\n\n" in buf:
                event, buf = buf.split(b"\n\n", 1)
                events.append((time.monotonic() - t0, event.decode()))
        return resp, events
    finally:
        conn.close()


def sse_data(events):
    return [json.loads(e[len("data: "):]) for _, e in events if e.startswith("data: ")]


class Sse(ServerTest):
    long_poll_ms = 400  # keep-alive every 0.42 s, stream closed after 1.2 s

    def test_data_already_there_is_sent_and_the_stream_ends(self):
        rows, h, off, _ = self.srv.sync({"table": "workspaces"})
        ws = next(iter(rows.values()))["id"]
        tx = self.srv.control("PATCH", f"rows/workspaces/{ws}", {"status": "idle"})
        t0 = time.monotonic()
        resp, events = read_sse(self.srv, {"table": "workspaces", "handle": h, "offset": off,
                                           "live": "true", "live_sse": "true", "cursor": ""})
        self.assertLess(time.monotonic() - t0, 0.3)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("content-type"), "text/event-stream")
        self.assertEqual(resp.getheader("electric-offset"), off)
        self.assertEqual(resp.getheader("cache-control"), "public, max-age=59")
        self.assertIsNotNone(resp.getheader("electric-cursor"))
        msgs = sse_data(events)
        self.assertEqual(msgs[0]["headers"]["txids"], [int(tx["txid"])])
        self.assertEqual(msgs[-1]["headers"]["control"], "up-to-date")
        self.assertEqual(msgs[-1]["headers"]["global_last_seen_lsn"], tx["lsn"])

    def test_streams_batches_keepalives_until_timeout(self):
        rows, h, off, _ = self.srv.sync({"table": "users"})
        uid = next(iter(rows.values()))["id"]
        timers = [later(0.1, self.srv.control, "PATCH", f"rows/users/{uid}", {"name": "One"}),
                  later(0.6, self.srv.control, "PATCH", f"rows/users/{uid}", {"name": "Two"})]
        resp, events = read_sse(self.srv, {"table": "users", "handle": h, "offset": off,
                                           "live": "true", "experimental_live_sse": "true"})
        for t in timers:
            t.join()
        self.assertGreaterEqual(events[-1][0], 1.0)  # held until the SSE timeout
        self.assertLess(events[-1][0], 2.0)
        self.assertIn(": keep-alive", [e for _, e in events])
        msgs = sse_data(events)
        names = [m["value"]["name"] for m in msgs if "value" in m]
        self.assertEqual(names, ["One", "Two"])
        self.assertEqual([m["headers"].get("control") for m in msgs], [None, "up-to-date", None, "up-to-date"])
        # The TS client resumes from "<global_last_seen_lsn>_0": that offset is in bounds.
        resume = f'{msgs[-1]["headers"]["global_last_seen_lsn"]}_0'
        r = self.srv.shape({"table": "users", "handle": h, "offset": resume})
        self.assertEqual(r.status, 200)

    def test_snapshot_chunk_in_sse_form(self):
        with Server("--chunk-bytes", "3000", long_poll_ms=400) as srv:
            first = srv.shape({"table": "tasks", "offset": "-1"})
            h = first.header("electric-handle")
            t0 = time.monotonic()
            resp, events = read_sse(srv, {"table": "tasks", "handle": h, "offset": "0_0",
                                          "live": "true", "live_sse": "true"})
            self.assertLess(time.monotonic() - t0, 0.3)
            msgs = sse_data(events)
            self.assertTrue(msgs)
            self.assertTrue(all(m["headers"]["operation"] == "insert" for m in msgs))
            plain = srv.shape({"table": "tasks", "handle": h, "offset": "0_0"}).json()
            self.assertEqual(msgs, plain)

    def test_rotation_ends_the_stream(self):
        rows, h, off, _ = self.srv.sync({"table": "repositories"})
        later(0.2, self.srv.control, "POST", "rotate", {"table": "repositories"})
        t0 = time.monotonic()
        resp, events = read_sse(self.srv, {"table": "repositories", "handle": h, "offset": off,
                                           "live": "true", "live_sse": "true"})
        self.assertLess(time.monotonic() - t0, 0.9)  # well before the 1.2 s SSE timeout
        self.assertEqual(sse_data(events), [])
        self.assertEqual(self.srv.shape({"table": "repositories", "handle": h, "offset": off}).status, 409)


class KeepAlive(ServerTest):
    def test_many_requests_on_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        self.addCleanup(conn.close)
        paths = ["/v1/shape?table=tasks&offset=-1", "/v1/shape?table=tasks&offset=0_0&handle=nope",
                 "/v1/shape?table=nope&offset=-1", "/v1/health", "/_test/rows/users",
                 "/v1/shape?table=users&offset=-1"]
        statuses = []
        for path in paths * 2:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            statuses.append(resp.status)
            if resp.status in (200, 400, 409):
                json.loads(body)  # each body framed exactly
        self.assertEqual(statuses, [200, 409, 400, 200, 200, 200] * 2)
        conn.request("HEAD", paths[0])
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, b""))
        conn.request("GET", "/v1/health")
        self.assertEqual(conn.getresponse().status, 200)


class Shutdown(unittest.TestCase):
    def test_sigterm_with_a_hold_in_progress_exits_promptly(self):
        srv = Server(long_poll_ms=20000)
        try:
            rows, h, off, _ = srv.sync({"table": "users"})
            replies = []
            t = threading.Thread(target=lambda: replies.append(
                srv.shape({"table": "users", "offset": off, "handle": h, "live": "true"})))
            t.start()
            time.sleep(0.3)
            t0 = time.monotonic()
            srv.proc.terminate()
            self.assertEqual(srv.proc.wait(5), 0)
            self.assertLess(time.monotonic() - t0, 3)
            t.join(5)
        finally:
            srv.stop()


class Direct405(unittest.TestCase):
    def test_delete_without_test_controls_is_405_and_controls_404(self):
        with Server(test_controls=False) as srv:
            self.assertEqual(srv.request("DELETE", "/v1/shape?table=users").status, 405)
            self.assertEqual(srv.get("/_test/rows/tasks").status, 404)
            self.assertEqual(srv.request("POST", "/_test/faults", {"path": "/", "kind": "hang"}).status, 404)


if __name__ == "__main__":
    unittest.main()
