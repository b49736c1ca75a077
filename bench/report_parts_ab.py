#!/usr/bin/env python3
"""Outcome reports with a statement read in one part against the same reports split over the
facts' pages (`CRS_REPORT_SCAN_PARTS`), in alternating pairs of server starts on the database
`bench/run --referrals N --reports` made, so the ratio is read within one run.

    bench/report_parts_ab.py --referrals 1000000 --pairs 3

Prints, per report, the median over the pairs of each side's best of `--repeats` runs, and the
ratio one part ÷ split.
"""

import argparse
import os
import secrets
import statistics
import time

from harness import bench

REPORTS = [
    ["PROVIDER"],
    ["MONTH"],
    ["SERVICE_CATEGORY"],
    ["PROVIDER", "MONTH"],
    ["PROBATION_DELIVERY_UNIT", "MONTH"],
    ["PCC_AREA", "COMPLEXITY"],
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--parts", default="2", help="CRS_REPORT_SCAN_PARTS of the split side")
    args = parser.parse_args()
    binary = os.path.join(bench.target_dir(), "release", "crs-api")
    database = f"crs_bench_{bench.label_of(args.referrals)}_s{args.seed}"
    pg = bench.Postgres("127.0.0.1", 5432, "postgres")
    secret = secrets.token_hex(32)
    token = bench.mint(binary, secret, "commissioner", "cm-bench", regions=bench.REGIONS)
    times = {(side, tuple(by)): [] for side in ("one", "split") for by in REPORTS}
    for pair in range(args.pairs):
        for side, parts in (("one", "1"), ("split", args.parts)):
            best = bench.best_report_times(binary, pg.url(database), secret,
                                           f"/tmp/report-ab-{side}.log", token, REPORTS,
                                           args.repeats,
                                           extra_env={"CRS_REPORT_SCAN_PARTS": parts})
            for by, ms in zip(REPORTS, best):
                times[(side, tuple(by))].append(ms)
        print(f"pair {pair + 1} of {args.pairs} done", flush=True)
    print(f"{args.referrals:,} referrals, {args.pairs} pairs, best of {args.repeats} per start; "
          f"ms, median over pairs")
    print("| Report | One part | Split in " + args.parts + " | One part ÷ split |")
    print("|---|---|---|---|")
    for by in REPORTS:
        one = statistics.median(times[("one", tuple(by))])
        split = statistics.median(times[("split", tuple(by))])
        print(f"| {' x '.join(by)} | {one:.0f} | {split:.0f} | {one / split:.2f} |")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"({time.monotonic() - started:.0f} s)")
