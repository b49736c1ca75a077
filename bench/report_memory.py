#!/usr/bin/env python3
"""The server's peak memory for one outcome report: a fresh server per report, on the 1M database.

    bench/report_memory.py --binary target/release/crs-api [--binary /tmp/crs-api-before]

Each start: the server's peak resident set (VmHWM) once ready, then after one report; the
report's time beside it. With two binaries, the starts alternate report by report. The
database is bench/run's (`crs_bench_<size>_s<seed>`, made by `bench/run --referrals 1000000
--reports`).
"""
import argparse
import secrets

from harness import bench

REPORTS = [
    ["REGION"],
    ["SERVICE_CATEGORY"],
    ["PROVIDER", "MONTH"],
    ["PROBATION_DELIVERY_UNIT", "MONTH"],
    ["SERVICE_CATEGORY", "PROBATION_DELIVERY_UNIT"],
]


def one_start(binary, url, secret, token, by):
    """A fresh server: its VmHWM (MiB) when ready and after one report `by`, and the time."""
    server = bench.Server(binary, url, secret, "/tmp/report-memory.log")
    try:
        idle, _ = server.memory_kib()
        result = bench.time_report(server, token, by, 1)
        peak, _ = server.memory_kib()
        return idle / 1024, peak / 1024, result
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", action="append", required=True,
                        help="a build's crs-api binary (give two to compare)")
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    database = f"crs_bench_{bench.label_of(args.referrals)}_s{args.seed}"
    pg = bench.Postgres("127.0.0.1", 5432, "postgres")
    secret = secrets.token_hex(32)
    token = bench.mint(args.binary[0], secret, "commissioner", "cm-bench", regions=bench.REGIONS)
    print(f"{args.referrals:,} referrals; one report per fresh server; VmHWM in MiB "
          "(when ready → after the report), the report's ms in brackets")
    print("| Report | Rows | " + " | ".join(args.binary) + " |")
    print("|---|---|" + "---|" * len(args.binary))
    for by in REPORTS:
        cells, rows = [], None
        for binary in args.binary:
            idle, peak, result = one_start(binary, pg.url(database), secret, token, by)
            rows = result["rows"]
            cells.append(f"{idle:.0f} → **{peak:.0f}** ({result['best_ms']:.0f})")
        print(f"| {' x '.join(by)} | {rows} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
