#!/usr/bin/env python3
"""Memory under the heaviest reads a client may ask for: clients reading, again and again, the largest page of the
largest orders (`limit=100` of orders with 100 items of 200-character names), some reading as fast as they can and
some not reading their answers at all. It reports the service's resident size before, its peak during the burst
(VmHWM) and its resident size a few seconds after (VmRSS), on each backend, and fails when the bars do not hold:
peak under 64 MiB, and back to within 16 MiB of the level before.

    python3 bench/memory.py --binary target/release/ordersvc [--quick] [--results DIR]

Run by bench/run.sh after the throughput cases, with the same binary.
"""

import argparse
import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BenchFailure, Postgres, ROOT, Service, Sqlite, log  # noqa: E402

PEAK_BAR_MIB = 64
RETURN_BAR_MIB = 16
CUSTOMER = "customer-memory"


def largest_order(n):
    return {
        "customer_id": CUSTOMER,
        "restaurant_id": "restaurant-memory",
        "order_items": [
            {"product_code": f"p-{n}-{i}", "name": ("n%03d" % i) * 50, "unit_price": 1.25, "quantity": 1}
            for i in range(100)
        ],
    }


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchFailure(f"no {field} in /proc/{pid}/status")


def place_orders(port, count):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(count):
        connection.request("POST", "/orders", json.dumps(largest_order(n)), {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            raise BenchFailure(f"placing a large order answered {response.status}")
    connection.close()


PAGE = f"/orders?customer_id={CUSTOMER}&limit=100"


def reader(port, stop, pages, failures):
    """Reads the largest page as fast as it can, on one keep-alive connection."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not stop.is_set():
            connection.request("GET", PAGE)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200 or not body.startswith(b'{"orders":['):
                failures.append(response.status)
                return
            pages.append(len(body))
        connection.close()
    except OSError as error:
        failures.append(str(error))


def stalled_readers(port, count):
    """Connections that ask for the largest page a few times and never read the answers."""
    sockets = []
    request = f"GET {PAGE} HTTP/1.1\r\nHost: ordersvc\r\n\r\n".encode() * 4
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(request)
        sockets.append(s)
    return sockets


def measure(binary, database, clients, stalled, seconds, workdir, env):
    database.create()
    service = Service(binary, database.url, workdir, {"RUST_LOG": "warn", **env})
    try:
        place_orders(service.port, 100)
        # The page served once, so "before" is the level of a service that has served it before.
        warm = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
        warm.request("GET", PAGE)
        warm.getresponse().read()
        warm.close()
        time.sleep(1)
        pid = service.process.pid
        before = status_kib(pid, "VmRSS")
        service.reset_peak_rss()
        stop = threading.Event()
        pages, failures = [], []
        threads = [threading.Thread(target=reader, args=(service.port, stop, pages, failures)) for _ in range(clients)]
        for thread in threads:
            thread.start()
        held = stalled_readers(service.port, stalled)
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        during = status_kib(pid, "VmRSS")
        for s in held:
            s.close()
        peak = status_kib(pid, "VmHWM")
        time.sleep(5)
        after = status_kib(pid, "VmRSS")
        if failures:
            raise BenchFailure(f"{len(failures)} readers failed: {failures[:3]}")
        if not pages:
            raise BenchFailure("no page was read")
        return {
            "backend": database.name, "clients": clients, "stalled": stalled, "pages": len(pages),
            "page_kib": max(pages) / 1024, "before": before / 1024, "peak": peak / 1024, "during": during / 1024,
            "after": after / 1024,
        }
    finally:
        service.stop()
        database.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "ordersvc"))
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--quick", action="store_true", help="a few seconds per backend")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--stalled", type=int, default=20, help="connections that never read their answers")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the service (repeatable), to compare settings")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], action="append", help="only these backends")
    parser.add_argument("--results", default=None, help="append the table to DIR/memory-<date>.md")
    options = parser.parse_args()
    seconds = 3 if options.quick else 20
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        env = dict(pair.split("=", 1) for pair in options.env)
        for database in (Sqlite(workdir), Postgres(options.admin_url, "memory")):
            if options.backend and database.name not in options.backend:
                continue
            log(f"memory: {database.name}, {options.clients} readers and {options.stalled} stalled, {seconds} s")
            rows.append(measure(options.binary, database, options.clients, options.stalled, seconds, workdir, env))
    lines = [
        "| backend | readers | stalled | pages read | page KiB | RSS before MiB | peak MiB | RSS after MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| {row['backend']} | {row['clients']} | {row['stalled']} | {row['pages']} | "
                     f"{row['page_kib']:.0f} | {row['before']:.1f} | {row['peak']:.1f} | {row['after']:.1f} |")
    table = "\n".join(lines)
    print(table)
    if options.results:
        os.makedirs(options.results, exist_ok=True)
        with open(os.path.join(options.results, time.strftime("memory-%Y-%m-%d.md")), "w") as f:
            f.write(table + "\n")
    broken = [row for row in rows
              if row["peak"] >= PEAK_BAR_MIB or row["after"] - row["before"] > RETURN_BAR_MIB]
    if broken:
        raise BenchFailure(f"memory bars broken (peak < {PEAK_BAR_MIB} MiB, back within {RETURN_BAR_MIB} MiB): "
                           f"{broken}")


if __name__ == "__main__":
    try:
        main()
    except BenchFailure as failure:
        print(f"memory benchmark failed: {failure}", file=sys.stderr)
        sys.exit(1)
