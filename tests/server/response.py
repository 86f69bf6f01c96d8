"""A response as a value: handlers build one, the fault layer may alter it, the
HTTP layer writes it. Keeping it a plain value is what lets faults such as
"drop the electric-* headers" or "cut after K bytes" apply to any endpoint."""

import json


class Response:
    def __init__(self, status, body=b"", headers=None, content_type="application/json; charset=utf-8"):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode()
        # A list of (name, value); names lower case, as Electric sends them.
        self.headers = list(headers or [])
        if content_type and body is not None and status not in (204, 304):
            self.headers.append(("content-type", content_type))
        self.chunked = False      # shape bodies use chunked transfer encoding
        self.head_only = False    # HEAD: headers only
        self.cut_after = None     # fault: close the connection after this many body bytes
        self.hang = False         # fault: never answer
        self.drop = False         # fault: close the connection instead of answering
        self.stream = None        # an iterator of body pieces, written as they come (SSE)

    def header(self, name):
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def set_header(self, name, value):
        self.remove_header(name)
        self.headers.append((name, value))

    def remove_header(self, name):
        self.headers = [(k, v) for k, v in self.headers if k != name]


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_response(status, value, headers=None):
    return Response(status, dumps(value).encode(), headers)


def api_error(status, code, message, fields=None, headers=None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return json_response(status, body, headers)
