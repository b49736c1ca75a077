#!/usr/bin/env python3
"""Two builds of the server, one report workload: alternating server starts on the 1M database.

    bench/binaries_ab.py --before /tmp/crs-api-before --after target/release/crs-api

Each start of each binary: one warm-up report (REGION), then each report twice, best kept;
`--pairs` alternating pairs, median over pairs. Used for changes that only the server's CPU
shows, such as the disclosure audit: build the earlier commit's release binary, copy it aside,
build the later one. `--by PROVIDER,SERVICE_CATEGORY` (repeated) picks the reports; the
default is the three largest reports by month. The database is bench/run's
(`crs_bench_<size>_s<seed>`, made by `bench/run --referrals 1000000 --reports`). When the later
build adds a migration, the earlier one no longer starts on a database it has migrated:
`--after-database NAME` gives the later build a copy of its own (made here from bench/run's with
`CREATE DATABASE … TEMPLATE` unless it exists; its first start migrates it), and both
databases are vacuumed and analysed before the first pair.
"""
import argparse
import secrets
import statistics

from harness import bench

REPORTS = [
    ["PROBATION_DELIVERY_UNIT", "MONTH"],
    ["CONTRACT", "MONTH"],
    ["PROVIDER", "MONTH"],
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the earlier build's crs-api binary")
    parser.add_argument("--after", required=True, help="the later build's crs-api binary")
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--by", action="append", metavar="DIMENSION[,DIMENSION]",
                        help="a report's dimensions, comma-separated (repeat for more reports)")
    parser.add_argument("--after-database", metavar="NAME",
                        help="a copy of the database for the later build (which migrates it)")
    args = parser.parse_args()
    reports = [by.split(",") for by in args.by] if args.by else REPORTS
    database = f"crs_bench_{bench.label_of(args.referrals)}_s{args.seed}"
    pg = bench.Postgres("127.0.0.1", 5432, "postgres")
    secret = secrets.token_hex(32)
    binaries = {"before": args.before, "after": args.after}
    databases = {"before": database, "after": args.after_database or database}
    token = bench.mint(args.after, secret, "commissioner", "cm-bench", regions=bench.REGIONS)
    if args.after_database:
        copy_for_the_later_build(pg, database, args.after_database, args.after, secret, token)
    times = {(side, tuple(by)): [] for side in binaries for by in reports}
    for pair in range(args.pairs):
        for side, binary in binaries.items():
            best = bench.best_report_times(binary, pg.url(databases[side]), secret,
                                           f"/tmp/binaries-ab-{side}.log", token, reports,
                                           args.repeats)
            for by, ms in zip(reports, best):
                times[(side, tuple(by))].append(ms)
        print(f"pair {pair + 1} of {args.pairs} done", flush=True)
    print(f"{args.referrals:,} referrals, {args.pairs} pairs, best of {args.repeats} per start; "
          "ms, median over pairs (each pair's figure in brackets)")
    print("| Report | Before | After | Before ÷ after |")
    print("|---|---|---|---|")
    for by in reports:
        before, after = times[("before", tuple(by))], times[("after", tuple(by))]
        b, a = statistics.median(before), statistics.median(after)
        print(f"| {' x '.join(by)} | {b:.0f} ({', '.join(f'{t:.0f}' for t in before)}) | "
              f"{a:.0f} ({', '.join(f'{t:.0f}' for t in after)}) | {b / a:.2f} |")


def copy_for_the_later_build(pg, database, copy, binary, secret, token):
    """`copy` made from `database` unless it exists, migrated by one start of `binary` (one
    report), then both vacuumed and analysed, so neither build reads dead rows or stale
    statistics the other did not."""
    exists = pg.psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{copy}'").strip()
    if not exists:
        print(f"copying {database} to {copy}", flush=True)
        pg.psql("postgres", f'CREATE DATABASE "{copy}" TEMPLATE "{database}"')
    bench.best_report_times(binary, pg.url(copy), secret, "/tmp/binaries-ab-migrate.log", token,
                            [["REGION"]], 1)
    for name in (database, copy):
        pg.psql(name, "VACUUM ANALYZE")


if __name__ == "__main__":
    main()
