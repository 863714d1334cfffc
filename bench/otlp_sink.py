#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver for the benchmark, in place of a collector: it takes POST /v1/traces (protobuf),
answers 200 and keeps the body. GET /count counts the spans of the bodies kept so far, which it reads from the
message's wire format (ExportTraceServiceRequest: resource_spans = 1, each with scope_spans = 2, each with spans = 2),
so no protobuf library is needed, and answers `<spans> <requests>`. Counting when asked, after a run, keeps the
decoding's CPU out of the measured seconds: on this 2-core machine the sink shares the cores with the service, as a
collector on the same host would, and a real collector decodes far faster than Python. Usage: otlp_sink.py PORT"""

import http.server
import sys
import threading

count_lock = threading.Lock()
counts = {"spans": 0, "requests": 0}
waiting = []


def varint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def fields(data):
    """(field number, bytes) of each length-delimited field of one message; other wire types are skipped."""
    at = 0
    while at < len(data):
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, at = varint(data, at)
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        elif wire == 2:
            length, at = varint(data, at)
            yield number, data[at:at + length]
            at += length
        else:
            raise ValueError(f"wire type {wire}")


def spans_in(request):
    return sum(1
               for number, resource_spans in fields(request) if number == 1
               for number, scope_spans in fields(resource_spans) if number == 2
               for number, _ in fields(scope_spans) if number == 2)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with count_lock:
            waiting.append(body)
            counts["requests"] += 1
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):
        with count_lock:
            bodies = waiting[:]
            waiting.clear()
        spans = sum(spans_in(body) for body in bodies)
        with count_lock:
            counts["spans"] += spans
            text = f"{counts['spans']} {counts['requests']}".encode()
        self.send_response(200)
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
