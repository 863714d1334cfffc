#!/usr/bin/env python3
"""The ordersvc benchmark: wrk (HTTP) and grpc_load (gRPC) against the release binary, beside pgbench running the same
SQL on the same database.

Run through bench/run.sh, which builds the binary and the gRPC load generator first. Each case checks its own correctness (zero non-2xx answers,
zero socket errors, row counts that match the acknowledged writes) and the run fails when one does not hold.
"""

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
FIRST_ID = 1_000_000_000_000_000  # preloaded order n has the id made of the ASCII digits of FIRST_ID + n
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ITEMS = [("P-0", "Item-0", 250, 2), ("P-1", "Item-1", 350, 1), ("P-2", "Item-2", 450, 3)]
T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds: preloaded orders are older than any new one


class BenchFailure(Exception):
    """A case broke a correctness rule: the run fails."""


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs).stdout


def run_load(cmd):
    """Runs a load generator; its output and the CPU seconds it used (user + system), so a reader can tell whether
    the generator, not the service, was the bottleneck."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# --- databases ---------------------------------------------------------------------------------------------------


class Database:
    """What the cases ask of either backend, in SQL both understand."""

    def reset_statuses(self):
        """Every preloaded order back to Pending at version 1, for the next status case."""
        self.sql("UPDATE orders SET status = 'Pending', version = 1, updated_on = created_on WHERE version > 1")
        self.settle()

    def count(self):
        return int(self.sql("SELECT count(*) FROM orders"))

    def status_changes(self):
        """Status changes applied since the last reset: each one added 1 to an order's version."""
        return int(self.sql("SELECT coalesce(sum(version - 1), 0) FROM orders"))

    def orders_and_items(self):
        """Both counts from one snapshot."""
        orders, items = self.sql("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items)").split("|")
        return int(orders), int(items)


class Postgres(Database):
    name = "postgres"

    def __init__(self, admin_url, tag):
        self.admin_url = admin_url
        self.db = f"ordersvc_bench_{os.getpid()}_{tag}"
        base = admin_url.split("?", 1)[0].rsplit("/", 1)[0]
        # Plain TCP for the service and pgbench alike: on loopback, TLS would measure OpenSSL, not the service.
        self.url = f"{base}/{self.db}?sslmode=disable"

    def create(self):
        self.admin(f"DROP DATABASE IF EXISTS {self.db}")
        self.admin(f"CREATE DATABASE {self.db}")

    def drop(self):
        self.admin(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")

    def admin(self, sql):
        run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.admin_url, "-c", sql])

    def sql(self, sql):
        return run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.url, "-c", sql]).strip()

    def preload(self, orders):
        customers, restaurants = population(orders)
        self.sql(f"""
            INSERT INTO orders
            SELECT convert_to(({FIRST_ID} + i)::text, 'UTF8'), (10000 + i % {customers})::text,
                   (20000 + i % {restaurants})::text, 'Pending', {T0} + i * 1000, {T0} + i * 1000, 1
            FROM generate_series(1, {orders}) AS i""")
        values = ", ".join(f"({line}, '{code}', '{name}', {price}, {qty})"
                           for line, (code, name, price, qty) in enumerate(ITEMS))
        self.sql(f"""
            INSERT INTO order_items
            SELECT convert_to(({FIRST_ID} + i)::text, 'UTF8'), l.line, l.code, l.name, l.price, l.qty
            FROM generate_series(1, {orders}) AS i, (VALUES {values}) AS l(line, code, name, price, qty)""")
        self.settle()

    def settle(self):
        self.sql("VACUUM ANALYZE")
        # Write out what the last writes dirtied now, rather than in a checkpoint during the next measured run.
        try:
            self.sql("CHECKPOINT")
        except subprocess.CalledProcessError:
            pass  # not allowed for this user: carry on, with noisier numbers

    def position_of(self, order_uuid):
        """The created_on and stored id (as its ASCII digits) of a preloaded order."""
        raw = bytes.fromhex(order_uuid.replace("-", ""))
        created_on = self.sql(f"SELECT created_on FROM orders WHERE id = '\\x{raw.hex()}'::bytea")
        return int(created_on), raw.decode("ascii")


class Sqlite(Database):
    name = "sqlite"

    def __init__(self, directory):
        self.path = os.path.join(directory, "orders.db")
        self.url = self.path

    def create(self):
        pass

    def drop(self):
        pass

    def sql(self, sql):
        return run(["sqlite3", "-cmd", ".timeout 10000", self.path, sql]).strip()

    def preload(self, orders):
        customers, restaurants = population(orders)
        self.sql(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders})
            INSERT INTO orders
            SELECT CAST(CAST({FIRST_ID} + i AS TEXT) AS BLOB), CAST(10000 + i % {customers} AS TEXT),
                   CAST(20000 + i % {restaurants} AS TEXT), 'Pending', {T0} + i * 1000, {T0} + i * 1000, 1 FROM n;
            """)
        for line, (code, name, price, qty) in enumerate(ITEMS):
            self.sql(f"INSERT INTO order_items SELECT id, {line}, '{code}', '{name}', {price}, {qty} FROM orders")
        self.settle()

    def settle(self):
        self.sql("ANALYZE")


def population(orders):
    """Customers and restaurants: every customer has 100 orders, whatever the scale."""
    return max(orders // 100, 1), max(orders // 500, 1)


# --- the service -------------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, binary, database_url, workdir, env_overrides):
        self.port = free_port()
        self.grpc_port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.grpc_address = f"127.0.0.1:{self.grpc_port}"
        # Tracing is on only where a case turns it on, whatever the caller's environment says.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update({
            "DATABASE_URL": database_url,
            "HTTP_ADDR": f"127.0.0.1:{self.port}",
            "GRPC_ADDR": f"127.0.0.1:{self.grpc_port}",
            "SHUTDOWN_GRACE_SECS": "0",
        })
        env.update(env_overrides)
        self.log_path = os.path.join(workdir, f"ordersvc-{self.port}.log")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen([binary], env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise BenchFailure(f"ordersvc exited at start-up; see {self.log_path}")
            try:
                if http_get(self.base + "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchFailure("ordersvc did not become ready within 60 s")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()

    def reset_peak_rss(self):
        # Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
        with open(f"/proc/{self.process.pid}/clear_refs", "w") as f:
            f.write("5")

    def peak_rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise BenchFailure("no VmHWM in /proc/<pid>/status")

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of stat; fields[0] here is field 3.
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def responses_by_status(self):
        """The service's own count of answers per (method, route, status), from /metrics: HTTP requests, and gRPC
        calls as ("grpc", method, code) with code "2xx" for OK."""
        _, body = http_get(self.base + "/metrics")
        counts = {}
        for line in body.splitlines():
            match = re.match(r'ordersvc_(http_requests|grpc_calls)_total\{(.*)\} (\d+)', line)
            if match:
                labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
                if match.group(1) == "http_requests":
                    key = (labels.get("method"), labels.get("route"), labels.get("status"))
                else:
                    code = labels.get("code")
                    key = ("grpc", labels.get("method"), "2xx" if code == "OK" else code)
                counts[key] = int(match.group(3))
        return counts

    def order_requests(self):
        """The requests answered on the orders' routes (the ones that are traced), from /metrics."""
        return sum(v for (_, route, _), v in self.responses_by_status().items() if route.startswith("/orders"))

    def settle(self):
        """Waits until the requests a load generator left in flight have finished: the service's answer count stops
        moving."""
        def answered():
            return sum(v for (_, route, _), v in self.responses_by_status().items() if route != "/metrics")
        total = answered()
        while True:
            time.sleep(0.3)
            now = answered()
            if now == total:
                return
            total = now

    def placed_total(self):
        return int(metric(self, "orders_placed_total"))


class Nats:
    """A NATS server with JetStream of the benchmark's own, on a free port with a temporary store."""

    def __init__(self, workdir):
        if not shutil.which("nats-server"):
            raise BenchFailure("create_events needs nats-server on the PATH (Debian: apt-get install nats-server)")
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.store = tempfile.mkdtemp(prefix="nats-", dir=workdir)
        self.process = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port),
                                         "-sd", self.store], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise BenchFailure("nats-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.store, ignore_errors=True)


class OtlpSink:
    """bench/otlp_sink.py on a free port: where a traced service sends its spans, counting them."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "otlp_sink.py"), str(self.port)])
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                self.counts()
                return
            except OSError:
                time.sleep(0.05)
        raise BenchFailure("the OTLP sink did not start")

    def counts(self):
        """(spans, export requests) received so far."""
        _, body = http_get(self.endpoint + "/count")
        spans, requests = body.split()
        return int(spans), int(requests)

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def metric(service, name):
    """A counter or gauge without labels from the service's /metrics (0 when absent)."""
    _, body = http_get(service.base + "/metrics")
    match = re.search(rf"^ordersvc_{name} (\S+)", body, re.M)
    return float(match.group(1)) if match else 0.0


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def deep_cursor(service, orders):
    """A cursor half-way down all orders, reached by walking pages of 100, and the last order before it."""
    depth_pages = max(orders // 200, 1)
    cursor, last = None, None
    for _ in range(depth_pages):
        url = service.base + "/orders?limit=100" + (f"&cursor={cursor}" if cursor else "")
        _, body = http_get(url)
        page = json.loads(body)
        cursor, last = page["next_cursor"], page["orders"][-1]["id"]
    return cursor, last


def check_preload(service, orders):
    """The preloaded rows read back through the API as valid orders."""
    _, body = http_get(f"{service.base}/orders/{uuid_of(orders)}")
    order = json.loads(body).get("order", {})
    if len(order.get("order_items", [])) != 3 or order.get("status") != "Pending":
        raise BenchFailure(f"a preloaded order reads back wrong: {body}")
    _, body = http_get(f"{service.base}/orders?limit=20&customer_id=10000")
    page = json.loads(body)
    if len(page["orders"]) != 20 or not page.get("next_cursor"):
        raise BenchFailure(f"a customer's first page reads back wrong: {body[:300]}")


def uuid_of(n):
    hexed = "".join(f"{ord(c):02x}" for c in str(FIRST_ID + n))
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


# --- load generators ---------------------------------------------------------------------------------------------


@dataclass
class Load:
    requests: int = 0
    per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    client_cpu_seconds: float = 0.0
    raw: str = ""


def duration_ms(text):
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(base, script, connections, seconds, args, threads):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "--latency",
           "-s", os.path.join(BENCH, "wrk", script), base, "--"] + [f"{k}={v}" for k, v in args.items()]
    out, cpu = run_load(cmd)
    load = Load(raw=out, client_cpu_seconds=cpu)
    load.requests = int(re.search(r"(\d+) requests in", out).group(1))
    load.per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    load.p50_ms = duration_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    load.p99_ms = duration_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    load.errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return load


def grpc_load(binary, address, operation, connections, seconds, args):
    """The gRPC load generator (app/examples/grpc_load.rs): `connections` callers, one HTTP/2 connection each."""
    cmd = [binary, "--addr", f"http://{address}", "--op", operation, "--connections", str(connections),
           "--seconds", str(seconds)] + [f"--{k}={v}" for k, v in args.items()]
    out, cpu = run_load(cmd)
    values = dict(re.findall(r"(\w+)=([\d.]+)", out))
    return Load(requests=int(values["requests"]), per_second=float(values["per_second"]),
                p50_ms=float(values["p50_ms"]), p99_ms=float(values["p99_ms"]), errors=int(values["errors"]),
                client_cpu_seconds=cpu, raw=out)


def pgbench(url, script, connections, seconds, variables, workdir):
    logs = os.path.join(workdir, "pgbench_log")
    for name in os.listdir(workdir):
        if name.startswith("pgbench_log"):
            os.remove(os.path.join(workdir, name))
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j", "2", "-T", str(seconds),
           "-l", f"--log-prefix={logs}", "-f", os.path.join(BENCH, "sql", script)]
    for key, value in variables.items():
        cmd += ["-D", f"{key}={value}"]
    out = run(cmd + [url], cwd=workdir)
    load = Load(raw=out)
    load.requests = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    load.per_second = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out)
    load.errors = int(failed.group(1)) if failed else 0
    latencies = []
    for name in os.listdir(workdir):
        if name.startswith("pgbench_log"):
            with open(os.path.join(workdir, name)) as f:
                latencies += [int(line.split()[2]) for line in f if line.strip()]
    latencies.sort()
    if latencies:
        load.p50_ms = latencies[len(latencies) // 2] / 1000
        load.p99_ms = latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] / 1000
    return load


# --- cases -------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    backend: str
    orders: int
    operation: str
    connections: int
    service: Load
    pgbench: Load = None
    peak_rss_kib: int = 0
    cpu_per_1000: float = 0.0
    client_cpu_pct: float = 0.0  # the load generator's CPU time over the run's duration (100 = one core)
    paired: "Row" = None  # create_events only: the median create run of the alternating rounds
    notes: list = field(default_factory=list)


def median_pair(operation, plain_runs, runs):
    """The median of `runs` as `operation`'s row, paired with the median of `plain_runs`; the rates of every round
    first in its notes."""
    by_rate = lambda rows: sorted(rows, key=lambda r: r.service.per_second)
    row = by_rate(runs)[len(runs) // 2]
    row.operation = operation
    row.paired = by_rate(plain_runs)[len(plain_runs) // 2]
    rates = lambda rows: ", ".join(f"{r.service.per_second:.0f}" for r in rows)
    row.notes.insert(0, f"{len(runs)} alternating rounds, req/s off: {rates(plain_runs)}; on: {rates(runs)}")
    return row


class Session:
    """One database and one running service on it, preloaded with `orders` orders."""

    def __init__(self, options, database, orders, workdir):
        self.options, self.db, self.orders, self.workdir = options, database, orders, workdir
        self.customers, self.restaurants = population(orders)
        self.create_runs = 0
        database.create()
        self.service = Service(options.binary, database.url, workdir, options.service_env)
        try:
            log(f"[{database.name}] preloading {orders} orders")
            database.preload(orders)
            check_preload(self.service, orders)
        except BaseException:
            self.close()
            raise

    def close(self):
        self.service.stop()
        self.db.drop()

    def case(self, operation, connections):
        if operation == "create_events":
            return self.case_with_events(connections)
        if operation in ("get_traced", "create_traced"):
            return self.case_traced(operation.removesuffix("_traced"), connections)
        return self.measure(operation, connections)

    def case_traced(self, operation, connections):
        """`operation` with tracing on (every trace sampled, spans sent as protobuf to a local sink) against it with
        tracing off, in `--rounds` alternating pairs as for create_events. The sink's count proves the spans were
        sent, not dropped: at least three per request (the SERVER span, the use case, a statement)."""
        sink = OtlpSink()
        plain = self.service
        traced = Service(self.options.binary, self.db.url, self.workdir,
                         dict(self.options.service_env, OTEL_EXPORTER_OTLP_ENDPOINT=sink.endpoint,
                              OTEL_TRACES_SAMPLER="always_on", OTEL_BSP_SCHEDULE_DELAY="200",
                              OTEL_BSP_MAX_QUEUE_SIZE="65536"))
        plain_runs, traced_runs = [], []
        try:
            for _ in range(self.options.rounds):
                if operation == "create":
                    self.db.settle()
                plain_runs.append(self.measure(operation, connections, pgbench_too=False))
                if operation == "create":
                    self.db.settle()
                self.service = traced
                try:
                    spans_before = sink.counts()[0]
                    requests_before, sink_cpu_before = traced.order_requests(), sink.cpu_seconds()
                    run = self.measure(operation, connections, pgbench_too=False)
                    sink_cpu = sink.cpu_seconds() - sink_cpu_before
                    # The warm-up's requests are traced too.
                    requests = traced.order_requests() - requests_before
                    spans = self.spans_sent(sink, spans_before, requests)
                    run.notes.append(f"{spans / max(requests, 1):.1f} spans per request; sink CPU "
                                     f"{sink_cpu / self.options.seconds * 100:.0f}% (receiving only)")
                    traced_runs.append(run)
                finally:
                    self.service = plain
        finally:
            traced.stop()
            sink.stop()
        row = median_pair(f"{operation}_traced", plain_runs, traced_runs)
        row.notes.insert(1, f"service CPU ms per request off {row.paired.cpu_per_1000:.3f}, on {row.cpu_per_1000:.3f}")
        return row

    def spans_sent(self, sink, before, requests):
        """The spans the sink received since `before`, once the service's batches stopped coming (its warm-up's and
        the run's requests all sent)."""
        deadline = time.time() + 30
        received = sink.counts()[0]
        while True:
            time.sleep(0.5)
            now = sink.counts()[0]
            if now == received and now - before >= 3 * requests:
                return now - before
            if time.time() > deadline:
                raise BenchFailure(f"tracing: {requests} requests but only {now - before} spans reached the sink")
            received = now

    def case_with_events(self, connections):
        """create with events on against create with them off, in `--rounds` alternating pairs on the same database
        (each run after a vacuum and a checkpoint), so the difference is what the outbox and its relay cost and not
        what the database went through between two runs. The row is the median events run; `paired` the median plain
        one. Also checks that the relay kept up: every order placed in a run has its event in the stream once the
        backlog drains."""
        nats = Nats(self.workdir)
        plain = self.service
        with_events = Service(self.options.binary, self.db.url, self.workdir,
                              dict(self.options.service_env, NATS_URL=nats.url))
        plain_runs, event_runs = [], []
        try:
            for _ in range(self.options.rounds):
                self.db.settle()
                plain_runs.append(self.measure("create", connections, pgbench_too=False))
                self.db.settle()
                self.service = with_events
                try:
                    event_runs.append(self.measure_with_events(connections))
                finally:
                    self.service = plain
        finally:
            with_events.stop()
            nats.stop()
        return median_pair("create_events", plain_runs, event_runs)

    def measure_with_events(self, connections):
        placed_before = self.service.placed_total()
        published_before = metric(self.service, "events_published_total")
        row = self.measure("create", connections, pgbench_too=False)
        placed = self.service.placed_total() - placed_before
        deadline = time.time() + 60
        while metric(self.service, "outbox_backlog_events") > 0 or \
                metric(self.service, "events_published_total") - published_before < placed:
            if time.time() > deadline:
                raise BenchFailure("create_events: the relay did not catch up within 60 s of the load")
            time.sleep(0.5)
        published = metric(self.service, "events_published_total") - published_before
        if published != placed or metric(self.service, "event_publish_errors_total"):
            raise BenchFailure(f"create_events: {placed} orders placed but {published:.0f} events published")
        row.notes.append(f"{published:.0f} events published, none lost")
        return row

    def measure(self, operation, connections, pgbench_too=True):
        seconds, warmup = self.options.seconds, self.options.warmup
        script, wrk_args, pg_vars = self.plan(operation, connections)
        log(f"[{self.db.name} {self.orders}] {operation} at {connections} connections")
        before = self.counts(operation)
        warm = self.drive(operation, script, connections, warmup, wrk_args)
        self.service.settle()
        self.check(operation, "warm-up", warm, before, connections)
        self.after_run(operation)
        before = self.counts(operation)
        placed_before = self.service.placed_total()
        self.service.reset_peak_rss()
        cpu_before = self.service.cpu_seconds()
        load = self.drive(operation, script, connections, seconds, wrk_args)
        cpu = self.service.cpu_seconds() - cpu_before
        self.service.settle()
        row = Row(self.db.name, self.orders, operation, connections, load,
                  peak_rss_kib=self.service.peak_rss_kib(),
                  cpu_per_1000=cpu / max(load.requests, 1) * 1000,
                  client_cpu_pct=load.client_cpu_seconds / seconds * 100)
        self.check(operation, "service", load, before, connections)
        if operation in ("create", "grpc_create"):
            placed = self.service.placed_total() - placed_before
            grown = self.counts(operation) - before
            if placed != grown:
                raise BenchFailure(f"create: the service counted {placed} placed orders but {grown} rows appeared")
        self.after_run(operation)
        if pgbench_too and isinstance(self.db, Postgres):
            before = self.counts(operation)
            row.pgbench = pgbench(self.db.url, script.replace(".lua", ".sql"), connections, seconds, pg_vars,
                                  self.workdir)
            if row.pgbench.errors:
                raise BenchFailure(f"pgbench {operation}: {row.pgbench.errors} failed transactions")
            if operation in ("create", "grpc_create", "status"):
                grown = self.counts(operation) - before
                if grown != row.pgbench.requests:
                    raise BenchFailure(f"pgbench {operation}: {row.pgbench.requests} transactions but {grown} rows")
            self.after_run(operation)
        self.check_statuses()
        return row

    def drive(self, operation, script, connections, seconds, args):
        """Load for `seconds`: wrk running `script`, or, for a grpc_ operation, the gRPC load generator."""
        if operation.startswith("grpc_"):
            return grpc_load(self.options.grpc_load, self.service.grpc_address, operation.removeprefix("grpc_"),
                             connections, seconds, args)
        return wrk(self.service.base, script, connections, seconds, args, self.options.threads)

    def plan(self, operation, connections):
        """The load's script (wrk's, and the name of pgbench's) and arguments, and the pgbench variables, for one
        operation. A gRPC operation runs the same statements as its HTTP twin."""
        common = {"t0": int(time.time() * 1_000_000)}
        if operation in ("create", "grpc_create"):
            self.create_runs += 1
            items = {}
            for line, (code, name, _, _) in enumerate(ITEMS):
                items[f"code{line}"], items[f"name{line}"] = code, name
            return ("create.lua", {"customers": self.customers, "restaurants": self.restaurants},
                    dict(common, n=0, base=(1 + self.create_runs) * FIRST_ID, customers=self.customers,
                         restaurants=self.restaurants, status="Pending", version=1, **items))
        if operation in ("get", "grpc_get"):
            return "get.lua", {"orders": self.orders}, {"orders": self.orders}
        if operation == "status":
            return ("status.lua", {"orders": self.orders, "threads": self.options.threads},
                    dict(common, n=0, slice=self.orders // connections, pending="Pending", accepted="Accepted",
                         preparing="Preparing", ready="ReadyForPickup", out="OutForDelivery", delivered="Delivered"))
        if operation == "list_customer":
            return ("list_customer.lua", {"customers": self.customers}, {"customers": self.customers, "limit": 21})
        if operation == "list_deep":
            cursor, last = deep_cursor(self.service, self.orders)
            variables = {"limit": 21}
            if isinstance(self.db, Postgres):
                variables["at"], variables["id"] = self.db.position_of(last)
            return "list_deep.lua", {"cursor": cursor}, variables
        raise ValueError(operation)

    def counts(self, operation):
        if operation in ("create", "grpc_create"):
            return self.db.count()
        if operation == "status":
            return self.db.status_changes()
        return 0

    def check(self, operation, what, load, before, connections):
        if load.errors:
            answers = {k: v for k, v in self.service.responses_by_status().items() if not k[2].startswith("2")}
            raise BenchFailure(f"{operation} ({what}): {load.errors} errors; non-2xx answers so far: {answers}; "
                               f"see {self.service.log_path}\n{load.raw}")
        if operation in ("create", "grpc_create", "status"):
            grown = self.counts(operation) - before
            # wrk stops with up to one request in flight per connection: those may have been applied unanswered.
            if not load.requests <= grown <= load.requests + connections:
                raise BenchFailure(f"{operation} ({what}): {load.requests} acknowledged but {grown} rows changed")

    def after_run(self, operation):
        if operation == "status":
            self.db.reset_statuses()
        elif operation == "create":
            self.db.settle()
        orders, items = self.db.orders_and_items()
        if items != 3 * orders:
            raise BenchFailure(f"{orders} orders but {items} items: every order has 3")

    def check_statuses(self):
        wrong = {k: v for k, v in self.service.responses_by_status().items()
                 if not k[2].startswith("2") and k[1] not in ("/metrics", "/readyz", "/healthz")}
        if wrong:
            raise BenchFailure(f"answers other than 2xx: {wrong}")


# --- report ------------------------------------------------------------------------------------------------------


def fmt_ms(value):
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def table(rows):
    lines = [
        "| backend | orders | operation | conns | req/s | p50 ms | p99 ms | errors | pgbench tps | pgbench p50 ms "
        "| pgbench p99 ms | ratio | p99 / pgbench p99 | peak RSS MiB | CPU s / 1000 req | load gen CPU % |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s, p = r.service, r.pgbench
        pg = (f"{p.per_second:.0f} | {fmt_ms(p.p50_ms)} | {fmt_ms(p.p99_ms)} | {s.per_second / p.per_second:.2f} | "
              f"{s.p99_ms / p.p99_ms:.1f}") if p else "n/a | n/a | n/a | n/a | n/a"
        lines.append(f"| {r.backend} | {r.orders} | {r.operation} | {r.connections} | {s.per_second:.0f} | "
                     f"{fmt_ms(s.p50_ms)} | {fmt_ms(s.p99_ms)} | {s.errors} | {pg} | {r.peak_rss_kib / 1024:.1f} | "
                     f"{r.cpu_per_1000:.3f} | {r.client_cpu_pct:.0f} |")
    return "\n".join(lines)


def paired_costs(rows):
    """What the outbox costs create, and tracing costs get and create: each paired row's median run's req/s against
    the median plain run of the same alternating rounds, per backend and connections."""
    sections = [("create_events", "Events (NATS_URL set, a local nats-server with JetStream)", "create with events"),
                ("get_traced", "Tracing (every trace sampled, OTLP protobuf to a local sink)", "get traced"),
                ("create_traced", None, "create traced")]
    text = ""
    for operation, title, name in sections:
        lines = []
        for r in rows:
            if r.operation == operation and r.paired:
                base = r.paired.service.per_second
                kept = r.service.per_second / base
                lines.append(f"- {r.backend}, {r.connections} connections: {name} keeps {kept:.0%} of its req/s "
                             f"({r.service.per_second:.0f} against {base:.0f}); " + "; ".join(r.notes))
        if lines:
            text += (f"\n{title}:\n" if title else "") + "\n".join(lines) + "\n"
    return text


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pg = run(["psql", "--version"]).strip()
    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    return f"{os.cpu_count()} cores ({cpu}), {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') >> 30} GiB, {pg}, {version}"


# --- main --------------------------------------------------------------------------------------------------------

# Creates last, so the deep page's position is a preloaded order. Each gRPC operation runs right after its HTTP twin;
# create_events (create with NATS_URL set) right after create, which it is compared with; get_traced and
# create_traced (tracing on) in alternating rounds with their plain twins.
OPERATIONS = ["get", "get_traced", "grpc_get", "list_customer", "list_deep", "status", "create", "create_events",
              "create_traced", "grpc_create"]
READS = ["get", "grpc_get", "list_customer", "list_deep"]


def plan(options):
    """(backend, orders, operations) for each session."""
    if options.orders:
        return [("postgres", options.orders, OPERATIONS), ("sqlite", options.orders, OPERATIONS)]
    if options.quick:
        return [("postgres", 20_000, OPERATIONS), ("sqlite", 20_000, OPERATIONS)]
    return [("postgres", 100_000, OPERATIONS), ("sqlite", 100_000, OPERATIONS),
            ("postgres", 10_000, READS), ("postgres", 1_000_000, READS)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per case, small data: checks the harness")
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "ordersvc"))
    parser.add_argument("--grpc-load", default=os.path.join(ROOT, "target", "release", "examples", "grpc_load"),
                        help="the gRPC load generator (cargo build --release --example grpc_load)")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                              "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--connections", default=None, help="comma-separated; default 16,64 (quick: 16)")
    parser.add_argument("--only", default=None, help="comma-separated operations to run")
    parser.add_argument("--backend", default=None, help="postgres or sqlite only")
    parser.add_argument("--results", default=None, help="directory for the table and raw output")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the service (repeatable)")
    parser.add_argument("--seconds", type=int, default=None, help="measured seconds per case (default 10; quick: 2)",
                        dest="measured_seconds")
    parser.add_argument("--rounds", type=int, default=None,
                        help="alternating pairs of create / create_events, get / get_traced and create / create_traced, "
                             "medians compared (default 3; quick: 1)")
    parser.add_argument("--orders", type=int, default=None, help="one scale only: this many preloaded orders")
    options = parser.parse_args()
    options.seconds, options.warmup = (2, 1) if options.quick else (10, 3)
    options.seconds = options.measured_seconds or options.seconds
    options.threads = 2
    options.rounds = options.rounds or (1 if options.quick else 3)
    connections = [int(c) for c in (options.connections or ("16" if options.quick else "16,64")).split(",")]
    options.service_env = dict(kv.split("=", 1) for kv in options.env)
    only = set(options.only.split(",")) if options.only else None

    started = datetime.datetime.now(datetime.timezone.utc)
    rows, raw = [], []
    workdir = tempfile.mkdtemp(prefix="ordersvc-bench-")
    try:
        for tag, (backend, orders, operations) in enumerate(plan(options)):
            if options.backend and backend != options.backend:
                continue
            operations = [o for o in operations if not only or o in only]
            if not operations:
                continue
            database = Postgres(options.admin_url, tag) if backend == "postgres" else Sqlite(workdir)
            session = Session(options, database, orders, workdir)
            try:
                for operation in operations:
                    for conns in connections:
                        row = session.case(operation, conns)
                        rows.append(row)
                        raw.append(f"### {backend} {orders} {operation} {conns}\n\n{row.service.raw}\n"
                                   + (f"{row.pgbench.raw}\n" if row.pgbench else ""))
                        log(table([row]).splitlines()[-1])
            finally:
                session.close()
                if backend == "sqlite":
                    for name in os.listdir(workdir):
                        if name.startswith("orders.db"):
                            os.remove(os.path.join(workdir, name))
    except BenchFailure as failure:
        log(f"FAILED: {failure}")
        return 1
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)

    header = (f"ordersvc benchmark, {started:%Y-%m-%d %H:%M} UTC, {'quick' if options.quick else 'full'} run: "
              f"{options.seconds} s per case after {options.warmup} s of warm-up, wrk with {options.threads} threads "
              f"(HTTP) or grpc_load with one HTTP/2 connection per caller (gRPC); "
              f"pgbench -M prepared -j 2 on the same database right after.\nMachine: {machine()}.\n")
    report = header + "\n" + table(rows) + "\n" + paired_costs(rows)
    print(report)
    if options.results:
        os.makedirs(options.results, exist_ok=True)
        stamp = f"{started:%Y-%m-%d}"
        with open(os.path.join(options.results, f"{stamp}.md"), "w") as f:
            f.write(report)
        with open(os.path.join(options.results, f"{stamp}-raw.txt"), "w") as f:
            f.write(report + "\n" + "\n".join(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
