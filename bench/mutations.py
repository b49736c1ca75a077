"""The four writes under open-loop load: `assignReferral`, `sendReferral`, `amendReferral` and
`recordAppointmentFeedback`, each at `--mutation-rate` requests per second (100 by default) for
`--duration` seconds, with the read audit on and the outbox relaying events to NATS when one
answers at `--nats-url`.

Run through `bench/run --mutations`; see bench/README.md. A send and a feedback can each be done
once, so their requests are taken from the seeded data (drafts ready to send, appointments past
their start with no feedback; on the scratch copy, appointments booked ahead are moved to a
start two hours ago when too few are due) and every request is a different one, each sent with the token of
the user it belongs to (the draft's author, a caseworker of the appointment's contract). oha
repeats bodies at random, so the load here comes from a small open-loop generator: request i is
due at start + i / rate and its latency is counted from then, so a server falling behind is
charged for the queue (as oha's `--latency-correction`). A failure is an HTTP error, a transport
error or a response with GraphQL `errors`. Writes bench/results/mutations-<size>.md and .json.
"""

import datetime
import http.client
import json
import os
import tempfile
import threading
import time

WORKERS = 32
OPEN = "('DRAFT', 'COMPLETED', 'CANCELLED', 'PREMATURELY_ENDED')"

SEND = ("mutation BenchSend($id: ID!) { sendReferral(id: $id) { id reference status version } }")
AMEND = (
    "mutation BenchAmend($id: ID!, $input: AmendReferralInput!, $reason: String!) { "
    "amendReferral(id: $id, input: $input, reason: $reason) { id version } }"
)
FEEDBACK = (
    "mutation BenchFeedback($id: ID!, $input: AppointmentFeedbackInput!) { "
    "recordAppointmentFeedback(appointmentId: $id, input: $input) { id feedback { attended } } }"
)
ASSIGN = (
    "mutation BenchAssign($id: ID!, $to: ID!) { assignReferral(id: $id, assigneeId: $to) "
    "{ id version status assignedTo { id } } }"
)


def body(query, operation, variables):
    return json.dumps({"query": query, "operationName": operation, "variables": variables}).encode()


def open_loop(server_url, requests, rate):
    """Sends `requests` ((token, body) pairs) at `rate` per second from WORKERS threads, each
    with its own keep-alive connection; returns latencies (s, from when each was due), failures
    and the wall time."""
    host, port = server_url.removeprefix("http://").split(":")
    latencies, failures = [None] * len(requests), [0]
    codes = {}
    lock, next_index = threading.Lock(), [0]
    start = time.monotonic() + 0.2

    def worker():
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(requests):
                break
            due = start + i / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            token, payload = requests[i]
            ok, code = False, "TRANSPORT"
            try:
                connection.request("POST", "/graphql", payload, {
                    "content-type": "application/json", "authorization": f"Bearer {token}"})
                response = connection.getresponse()
                answer = response.read()
                ok = response.status == 200 and b'"errors"' not in answer
                code = error_code(response.status, answer)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
            latencies[i] = time.monotonic() - due
            if not ok:
                with lock:
                    failures[0] += 1
                    codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    return [x for x in latencies if x is not None], failures[0], codes, wall


def error_code(status, answer):
    """The first GraphQL error's code (never its message, which may name a person)."""
    try:
        errors = json.loads(answer).get("errors") or []
        return errors[0].get("extensions", {}).get("code", "UNCODED") if errors else f"HTTP {status}"
    except (ValueError, AttributeError, IndexError):
        return f"HTTP {status}"


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Tokens:
    """One minted token per user, each seen once by the server (users are recorded on first
    sight) before any load."""

    def __init__(self, bench, binary, secret, server):
        self.bench, self.binary, self.secret, self.server = bench, binary, secret, server
        self.minted = {}

    def of(self, role, user, providers=(), contracts=()):
        key = (role, user)
        if key not in self.minted:
            token = self.bench.mint(self.binary, self.secret, role, user, providers, contracts)
            self.server.post(token, {"query": self.bench.BASELINE})
            self.minted[key] = token
        return self.minted[key]


def provider_users(bench, pg, database):
    """For each contract reference, a provider user who may see it: (id, providers, contracts)."""
    users = {}
    for user_id, groups in pg.rows(
        database,
        "SELECT id, groups FROM app_user WHERE authorities LIKE '%ROLE_CRS_PROVIDER%' ORDER BY id",
    ):
        parsed = json.loads(groups)
        contracts = [g[len("INT_CR_"):] for g in parsed if g.startswith("INT_CR_")]
        providers = [g[len("INT_SP_"):] for g in parsed if g.startswith("INT_SP_")]
        for contract in contracts:
            users.setdefault(contract, (user_id, providers, contracts))
    return users


def sendable_drafts(pg, database, wanted):
    """Drafts whose completion deadline is still ahead, with their authors."""
    return pg.rows(
        database,
        "SELECT id, created_by FROM referral WHERE status = 'DRAFT' "
        "AND completion_deadline > current_date + 1 AND maximum_enforceable_days > 0 "
        f"ORDER BY md5(id::text) LIMIT {wanted}")


def bring_bookings_forward(pg, database, wanted):
    """On the scratch copy only: moves appointments booked ahead (no feedback, open referrals)
    to a start two hours ago, until `wanted` are due, since feedback needs a start passed."""
    due = int(pg.psql(database, "SELECT count(*) FROM appointment a JOIN referral r ON r.id = a.referral_id "
                      "WHERE a.feedback_submitted_at IS NULL AND a.superseded_at IS NULL "
                      "AND a.cancelled_at IS NULL AND a.starts_at < now() - interval '1 hour' "
                      f"AND r.status NOT IN {OPEN}"))
    if due >= wanted:
        return 0
    moved = pg.psql(database, f"""
        WITH ahead AS (
            SELECT a.id FROM appointment a JOIN referral r ON r.id = a.referral_id
            WHERE a.feedback_submitted_at IS NULL AND a.superseded_at IS NULL
              AND a.cancelled_at IS NULL AND a.starts_at >= now() - interval '1 hour'
              AND r.status NOT IN {OPEN}
            ORDER BY a.starts_at LIMIT {wanted - due})
        UPDATE appointment SET starts_at = now() - interval '2 hours'
        WHERE id IN (SELECT id FROM ahead) RETURNING 1""")
    return len(moved.splitlines())


def due_feedback(pg, database, wanted):
    """Appointments past their start, the latest of their kind, with no feedback, on open
    referrals: (appointment id, contract reference)."""
    return pg.rows(
        database,
        "SELECT a.id, c.reference FROM appointment a JOIN referral r ON r.id = a.referral_id "
        "JOIN contract c ON c.id = r.contract_id "
        "WHERE a.feedback_submitted_at IS NULL AND a.superseded_at IS NULL AND a.cancelled_at IS NULL "
        f"AND a.starts_at < now() - interval '1 hour' AND r.status NOT IN {OPEN} "
        f"ORDER BY md5(a.id::text) LIMIT {wanted}")


def amendable(pg, database, wanted):
    """Open sent referrals not being withdrawn, with their responsible practitioner."""
    return pg.rows(
        database,
        "SELECT id, responsible_pp_id FROM referral WHERE responsible_pp_id IS NOT NULL "
        "AND withdrawn_at IS NULL "
        f"AND status NOT IN {OPEN} ORDER BY md5(id::text) LIMIT {wanted}")


def build_requests(bench, args, pg, database, tokens, fixtures):
    wanted = args.mutation_rate * args.duration
    users = provider_users(bench, pg, database)
    busiest = fixtures["busiest"]
    busiest_token = tokens.of("provider", busiest["id"], busiest["providers"], busiest["contracts"])
    colleagues = fixtures["colleagues"]
    assign = [(busiest_token, body(ASSIGN, "BenchAssign",
                                   {"id": r, "to": colleagues[i % len(colleagues)]}))
              for i, r in enumerate((fixtures["open_referrals"] * (wanted // 500 + 1))[:wanted])]
    send = [(tokens.of("probation", author), body(SEND, "BenchSend", {"id": draft}))
            for draft, author in sendable_drafts(pg, database, wanted)]
    amend = [(tokens.of("probation", pp), body(AMEND, "BenchAmend", {
        "id": referral, "reason": "Moved address",
        "input": {"furtherInformation": f"Now at a hostel (bench amendment {i})"}}))
        for i, (referral, pp) in enumerate(amendable(pg, database, wanted))]
    attended = {"attended": "YES", "didSessionHappen": True,
                "sessionSummary": "Went through the plan", "sessionResponse": "Engaged well",
                "notifyProbationPractitioner": False}
    moved = bring_bookings_forward(pg, database, wanted)
    if moved:
        bench.log(f"moved {moved} appointments booked ahead to a start two hours ago")
    feedback = []
    for appointment, contract in due_feedback(pg, database, wanted):
        if contract in users:
            user, providers, contracts = users[contract]
            feedback.append((tokens.of("provider", user, providers, contracts),
                             body(FEEDBACK, "BenchFeedback", {"id": appointment, "input": attended})))
    return {
        "assign": ("assignReferral (open referrals of the busiest scope, between colleagues)", assign),
        "send": ("sendReferral (seeded drafts, each by its author)", send),
        "amend": ("amendReferral (further information, by the responsible practitioner)", amend),
        "feedback": ("recordAppointmentFeedback (appointments past their start, attended)", feedback),
    }


def run(bench, args, pg, binary, database, load, label):
    # The writes change the data: they run on a copy, dropped afterwards.
    seeded, database = database, f"{database}_writes"
    pg.psql("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    pg.psql("postgres", f"CREATE DATABASE {database} TEMPLATE {seeded}")
    try:
        measure_all(bench, args, pg, binary, database, label)
    finally:
        pg.psql("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def measure_all(bench, args, pg, binary, database, label):
    secret = bench.secrets.token_hex(32)
    server_log = os.path.join(tempfile.gettempdir(), f"crs-bench-mutations-{label}.log")
    fixtures = bench.fixtures(pg, database)
    nats_url = args.nats_url if args.nats_url and bench.nats_reachable(args.nats_url) else None
    if args.nats_url and not nats_url:
        bench.log(f"NATS at {args.nats_url} is not reachable: the relay is not measured")
    server = bench.Server(binary, pg.url(database), secret, server_log, nats_url=nats_url)
    scenarios = {}
    try:
        tokens = Tokens(bench, binary, secret, server)
        bench.log("minting tokens and choosing the rows each write changes")
        requests = build_requests(bench, args, pg, database, tokens, fixtures)
        for key, (name, batch) in requests.items():
            if not batch:
                bench.log(f"{name}: nothing in the data to change; skipped")
                continue
            seconds = len(batch) / args.mutation_rate
            bench.log(f"{name}: {len(batch)} requests at {args.mutation_rate}/s ({seconds:.0f} s)")
            before, _ = server.metrics()
            with bench.RelayWatch(server) as relay:
                latencies, failures, codes, wall = open_loop(server.url, batch, args.mutation_rate)
            after, _ = server.metrics()
            scenarios[key] = {
                "name": name,
                "requests": len(batch),
                "rate": args.mutation_rate,
                "achieved_per_s": round(len(latencies) / wall, 1),
                "p50_ms": round(1000 * percentile(latencies, 50), 2),
                "p90_ms": round(1000 * percentile(latencies, 90), 2),
                "p99_ms": round(1000 * percentile(latencies, 99), 2),
                "max_ms": round(1000 * max(latencies), 2),
                "failures": failures,
                "failure_codes": codes,
                "statements_per_request": round((after - before) / len(batch), 2),
            }
            if nats_url:
                scenarios[key]["relay"] = relay.result()
            s = scenarios[key]
            bench.log(f"  p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, {failures} failures, "
                      f"{s['statements_per_request']} statements/request")
        peak, rss = server.memory_kib()
    finally:
        server.stop()
    data = {
        "command": " ".join(["bench/run"] + bench.sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "commit": bench.commit_of_tree(),
        "machine": bench.machine(),
        "referrals": args.referrals,
        "seed": args.seed,
        "nats": bool(nats_url),
        "read_audit": True,
        "scenarios": scenarios,
        "memory": {"peak_mib": round(peak / 1024, 1), "rss_mib": round(rss / 1024, 1)},
    }
    path = os.path.join(bench.RESULTS, f"mutations-{label}.md")
    with open(path[:-3] + ".json", "w") as f:
        json.dump(data, f, indent=2)
    write_markdown(path, data)
    bench.log(f"wrote {path} and its .json")


def failures_of(s):
    codes = ", ".join(f"{n} {code}" for code, n in sorted(s.get("failure_codes", {}).items()))
    return f"{s['failures']} ({codes})" if codes else str(s["failures"])


def write_markdown(path, data):
    lines = [
        f"# Mutations under load, {data['referrals']:,} referrals",
        "",
        f"`{data['command']}` on {data['date']}, commit `{data['commit']}`. Machine: "
        f"{data['machine']}.",
        "",
        "Each write open loop at the rate shown, every request a different row (see "
        "`bench/mutations.py`), with the read audit on and events relayed to NATS"
        + ("" if data["nats"] else " (not reachable in this run: the outbox filled, nothing was relayed)")
        + ". Latency counts from when each request was due.",
        "",
        "| Write | Requests | Rate /s | Achieved /s | p50 ms | p90 ms | p99 ms | max ms | Failures "
        "| Statements / request | Events relayed /s | Relay drained after load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in data["scenarios"].values():
        relay = s.get("relay", {})
        lines.append(
            f"| {s['name']} | {s['requests']} | {s['rate']} | {s['achieved_per_s']} | {s['p50_ms']} "
            f"| {s['p90_ms']} | {s['p99_ms']} | {s['max_ms']} | {failures_of(s)} "
            f"| {s['statements_per_request']} | {relay.get('published_per_s', '–')} "
            f"| {relay.get('drained_after_load_s', '–')} s |")
    lines += [
        "",
        f"Peak resident memory of the server over the run: {data['memory']['peak_mib']} MiB.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))
