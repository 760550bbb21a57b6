#!/usr/bin/env python3
"""A small HTTP(S) server for the get_url/uri/unarchive tests, bound to a loopback
address given on the command line. Serves files from a directory (with
If-Modified-Since, as python's http.server does) and a few endpoints:
  /echo            the request as JSON (method, path, headers, body)
  /status/N        answers status N
  /redirect        302 to /files/a.txt
  /json            a JSON document
  /disposition     a file named by Content-Disposition
  /summary         what the request carried, as {"summary": TEXT}: the Content-Type (the
                   multipart boundary left out) and the body's length and sha256, or for
                   multipart/form-data each part's headers (names in order, values) and
                   its decoded payload's length and sha256
Usage: http_lab.py ADDR PORTFILE DIR [CERTFILE KEYFILE]
Writes the chosen port to PORTFILE once listening."""
import http.server
import json
import os
import ssl
import sys


def summary(method, ctype, raw):
    import email.parser
    import hashlib
    import re

    def digest(b):
        return "%d:%s" % (len(b), hashlib.sha256(b).hexdigest()[:16])

    if not ctype.startswith("multipart/form-data"):
        return "%s %s %s" % (method, ctype, digest(raw))
    msg = email.parser.BytesParser().parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
    parts = []
    for part in msg.get_payload():
        heads = ";".join("%s=%s" % (k, v) for k, v in part.items())
        parts.append("[%s %s]" % (heads, digest(part.get_payload(decode=True))))
    return "%s %s %s" % (method, re.sub(r'boundary="[^"]*"', "boundary=B", ctype), " ".join(parts))


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, code, body, ctype="text/plain", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _route(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = raw.decode("utf-8", "replace")
        if self.path == "/summary":
            self._send(200, json.dumps({"summary": summary(self.command, self.headers.get("Content-Type", ""), raw)}),
                       "application/json")
        elif self.path == "/echo":
            self._send(200, json.dumps({"method": self.command, "path": self.path, "body": body,
                                        "headers": {k.lower(): v for k, v in self.headers.items()}}), "application/json")
        elif self.path.startswith("/status/"):
            self._send(int(self.path[8:]), "status " + self.path[8:] + "\n")
        elif self.path == "/redirect":
            self._send(302, "", extra={"Location": "/files/a.txt"})
        elif self.path == "/json":
            self._send(200, json.dumps({"zones": [{"name": "z1", "id": 1}], "count": 1}), "application/json; charset=utf-8")
        elif self.path == "/disposition":
            self._send(200, "named\n", "application/octet-stream", {"Content-Disposition": 'attachment; filename="named.txt"'})
        else:
            return False
        return True

    def do_GET(self):
        if not self._route():
            if self.path.startswith("/files/"):
                self.path = self.path[6:]
            super().do_GET()

    def do_HEAD(self):
        if not self._route():
            if self.path.startswith("/files/"):
                self.path = self.path[6:]
            super().do_HEAD()

    def do_POST(self):
        self._route() or self._send(404, "no\n")

    do_PUT = do_POST
    do_DELETE = do_POST


def main():
    addr, portfile, directory = sys.argv[1:4]
    handler = lambda *a, **kw: Handler(*a, directory=directory, **kw)
    server = http.server.ThreadingHTTPServer((addr, 0), handler)
    if len(sys.argv) > 5:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()
