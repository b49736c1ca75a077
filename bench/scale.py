"""Past one machine, simulated on one: one, two and three crs-api instances behind a loopback
balancer, on one PostgreSQL primary and one streaming replica.

Run through `bench/run --scale`; see bench/README.md. A primary cluster is made with `initdb`
in a scratch folder (the machine's PostgreSQL binaries, loopback only, as the `postgres` user
when run as root), loaded with `crs-api seed synthetic` (the same size and seed as the harness's
database), and copied with `pg_basebackup -R` into a replica streaming from it. Each step starts
N release servers (pool of 10 each, `CRS_DATABASE_URL` the primary, `CRS_DATABASE_REPLICA_URL`
the replica, so the dashboards read the replica) behind HAProxy (one thread, round robin,
keep-alive to the servers), then drives the busiest provider's dashboard through the balancer:
closed loop with 16 connections (throughput and p99 at saturation), then open loop at
`--rate` (p99 at a rate every step holds). CPU is read from /proc per part: the servers, the
primary's and the replica's processes, the balancer, and the whole machine. Writes
bench/results/scale-<size>.md and .json.
"""

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time

SCRATCH = "/var/tmp/crs-bench-scale"
STEPS = (1, 2, 3)


class Cluster:
    """One PostgreSQL data folder on its own loopback port, run by `postgres` when we are root."""

    def __init__(self, bench, name, port):
        self.bench, self.name, self.port = bench, name, port
        self.data = os.path.join(SCRATCH, name)
        self.bin = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                  check=True).stdout.strip()
        self.as_postgres = os.geteuid() == 0

    def run(self, program, *args):
        command = [os.path.join(self.bin, program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, cwd=SCRATCH, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def configure(self, shared_buffers):
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{SCRATCH}'\nmax_connections = 100\n"
                f"shared_buffers = '{shared_buffers}'\nwal_level = replica\nhot_standby = on\n")

    def start(self):
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(SCRATCH, f"{self.name}.log"),
                 "-w", "-t", "120", "start")

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def pids(self):
        """The postmaster and every process it started."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            postmaster = f.readline().strip()
        children = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        if f.read().rsplit(")", 1)[1].split()[1] == postmaster:
                            children.append(pid)
                except (OSError, IndexError):
                    pass
        return [postmaster, *children]


def make_clusters(bench, args, binary, main_pg):
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    if os.geteuid() == 0:
        subprocess.run(["chown", "postgres:", SCRATCH], check=True)
    shared_buffers = main_pg.psql("postgres", "SHOW shared_buffers")
    primary = Cluster(bench, "primary", bench.free_port())
    primary.run("initdb", "-D", primary.data, "-U", "postgres", "-A", "trust", "--no-sync")
    primary.configure(shared_buffers)
    primary.start()
    pg = bench.Postgres("127.0.0.1", primary.port, "postgres")
    pg.psql("postgres", "CREATE DATABASE crs")
    bench.log(f"loading {args.referrals} synthetic referrals into the primary")
    bench.run([binary, "seed", "synthetic", "--referrals", str(args.referrals), "--seed",
               str(args.seed)], env=dict(os.environ, CRS_DATABASE_URL=pg.url("crs"), CRS_LOG="warn"),
              capture=False)
    pg.psql("crs", "VACUUM ANALYZE")
    replica = Cluster(bench, "replica", bench.free_port())
    primary.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                "-D", replica.data, "-R", "-X", "stream", "-c", "fast")
    replica.configure(shared_buffers)
    replica.start()
    return primary, replica, pg


def balancer(bench, ports):
    """HAProxy on a free loopback port, round robin over `ports`; returns (process, url)."""
    port = bench.free_port()
    servers = "\n".join(f"  server s{i} 127.0.0.1:{p}" for i, p in enumerate(ports))
    config = (
        "global\n  nbthread 1\n  maxconn 4096\n"
        "defaults\n  mode http\n  option http-keep-alive\n  timeout connect 5s\n"
        "  timeout client 60s\n  timeout server 60s\n"
        f"frontend crs\n  bind 127.0.0.1:{port}\n  default_backend api\n"
        f"backend api\n  balance roundrobin\n  http-reuse always\n{servers}\n")
    path = os.path.join(tempfile.gettempdir(), "crs-bench-haproxy.cfg")
    with open(path, "w") as f:
        f.write(config)
    process = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, f"http://127.0.0.1:{port}/graphql"


def busy_seconds():
    with open("/proc/stat") as f:
        values = list(map(int, f.readline().split()[1:]))
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def drive(bench, oha, url, token, bodies, duration, parts, rate=None):
    """One oha run through the balancer; CPU seconds per request of each part in `parts`
    (name → callable giving pids)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("\n".join(bodies) + "\n")
        body_file = f.name
    out = body_file + ".json"
    command = [oha, "-z", f"{duration}s", "-c", "16", "--no-tui", "-w", "-m", "POST",
               "-T", "application/json", "-H", f"authorization: Bearer {token}", "-Z", body_file,
               "--output-format", "json", "-o", out]
    if rate:
        command += ["-q", str(rate), "--latency-correction"]
    command.append(url)
    pids = {name: pids_of() for name, pids_of in parts.items()}
    before = {name: bench.cpu_seconds(p) for name, p in pids.items()}
    busy0 = busy_seconds()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    busy = busy_seconds() - busy0
    cpu = {name: bench.cpu_seconds(pids[name]) - before[name] for name in pids}
    with open(out) as f:
        report = json.load(f)
    os.unlink(body_file)
    os.unlink(out)
    statuses = report.get("statusCodeDistribution", {})
    ok = int(statuses.get("200", 0))
    failures = sum(int(n) for c, n in statuses.items() if c != "200") + \
        sum(int(n) for n in report.get("errorDistribution", {}).values())
    pct = report.get("latencyPercentiles", {})
    return {
        "rps": round(report["summary"].get("requestsPerSec", 0.0), 1),
        "p50_ms": round(pct.get("p50", 0.0) * 1000, 2),
        "p99_ms": round(pct.get("p99", 0.0) * 1000, 2),
        "failures": failures,
        "cpu_ms_per_request": {name: round(1000 * s / ok, 3) if ok else None
                               for name, s in cpu.items()},
        "machine_busy": round(busy / (duration * (os.cpu_count() or 1)), 2),
    }


def run(bench, args, binary, main_pg, label):
    oha = bench.ensure_oha()
    primary, replica, pg = make_clusters(bench, args, binary, main_pg)
    try:
        data = measure(bench, args, binary, oha, primary, replica, pg)
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(SCRATCH, ignore_errors=True)
    data.update({
        "command": " ".join(["bench/run"] + bench.sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "commit": bench.commit_of_tree(),
        "machine": bench.machine(),
        "referrals": args.referrals,
        "seed": args.seed,
    })
    path = os.path.join(bench.RESULTS, f"scale-{label}.md")
    with open(path[:-3] + ".json", "w") as f:
        json.dump(data, f, indent=2)
    write_markdown(path, data)
    bench.log(f"wrote {path} and its .json")


def measure(bench, args, binary, oha, primary, replica, pg):
    secret = bench.secrets.token_hex(32)
    f = bench.fixtures(pg, "crs")
    busiest = f["busiest"]
    token = bench.mint(binary, secret, "provider", busiest["id"], busiest["providers"],
                       busiest["contracts"])
    bodies = bench.bodies_of(bench.DASHBOARD, "BenchDashboard", [{"first": 20}])
    replica_url = f"postgres://postgres@127.0.0.1:{replica.port}/crs?sslmode=disable"
    steps = []
    for n in STEPS:
        servers = []
        proxy = None
        try:
            for i in range(n):
                servers.append(bench.Server(
                    binary, pg.url("crs"), secret,
                    os.path.join(tempfile.gettempdir(), f"crs-bench-scale-{i}.log"),
                    extra_env={"CRS_DATABASE_REPLICA_URL": replica_url}))
            for server in servers:
                server.post(token, {"query": bench.BASELINE})
            proxy, url = balancer(bench, [s.port for s in servers])
            parts = {
                "servers": lambda: [s.process.pid for s in servers],
                "primary": primary.pids,
                "replica": replica.pids,
                "balancer": lambda: [proxy.pid],
            }
            bench.log(f"{n} instance(s): warming up")
            drive(bench, oha, url, token, bodies, args.warmup, parts)
            saturation = drive(bench, oha, url, token, bodies, args.duration, parts)
            at_rate = drive(bench, oha, url, token, bodies, args.duration, parts, rate=args.rate)
            peak = max(s.memory_kib()[0] for s in servers)
            steps.append({"instances": n, "saturation": saturation, "at_rate": at_rate,
                          "peak_mib_per_instance": round(peak / 1024, 1)})
            bench.log(f"{n} instance(s): {saturation['rps']} req/s at saturation, p99 "
                      f"{saturation['p99_ms']} ms; at {args.rate}/s p99 {at_rate['p99_ms']} ms; "
                      f"CPU ms/request {saturation['cpu_ms_per_request']}")
        finally:
            if proxy:
                proxy.terminate()
                proxy.wait()
            for server in servers:
                server.stop()
    return {"steps": steps, "rate": args.rate, "duration_s": args.duration,
            "busiest": {"contracts": len(busiest["contracts"]),
                        "referrals": busiest["scope_referrals"]}}


def write_markdown(path, data):
    lines = [
        f"# One to three instances on a primary and a replica, {data['referrals']:,} referrals",
        "",
        f"`{data['command']}` on {data['date']}, commit `{data['commit']}`. Machine: "
        f"{data['machine']}.",
        "",
        f"The busiest provider's dashboard ({data['busiest']['contracts']} contracts, "
        f"{data['busiest']['referrals']:,} referrals) through HAProxy (one thread, round robin) "
        "to N release servers (pool of 10 each) reading a streaming replica of the primary, "
        f"{data['duration_s']} s per measurement. Everything (load generator, balancer, servers, "
        "both PostgreSQL clusters) shares the machine's two cores.",
        "",
        "| Instances | Saturation req/s | p50 ms | p99 ms | Machine busy | "
        f"p99 ms at {data['rate']}/s | Failures | CPU ms/request: servers | replica | primary "
        "| balancer | Peak MiB per instance |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in data["steps"]:
        s, r = step["saturation"], step["at_rate"]
        cpu = s["cpu_ms_per_request"]
        lines.append(
            f"| {step['instances']} | {s['rps']} | {s['p50_ms']} | {s['p99_ms']} "
            f"| {round(100 * s['machine_busy'])} % | {r['p99_ms']} | {s['failures'] + r['failures']} "
            f"| {cpu['servers']} | {cpu['replica']} | {cpu['primary']} | {cpu['balancer']} "
            f"| {step['peak_mib_per_instance']} |")
    lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))
