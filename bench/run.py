"""Run every benchmark of issues 6 and 13 and print the figures with their targets.

    python bench/run.py            # the real sizes (10,000 and 100,000 tokens; 2,000 projects)
    python bench/run.py --quick    # tiny sizes, one run each: proves the harness works
    python bench/run.py --only P2,P3 --json results.json
    python bench/run.py --only P7,P8   # the "everything I manage" scan (issue 13)

Each figure is the median of several runs. The simulator runs in its own process
(``tokentui simulate``); tokentui and python-gitlab's CLI are measured as separate processes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict

import harness
from figures import (
    Figure,
    p1_first_paint,
    p2_full_inventory,
    p7_p8_everything,
    run_scale_driver,
    scale_figures,
)

ALL = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8")


def log(text: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run each")
    parser.add_argument("--only", default=",".join(ALL), help="figures to run, e.g. P1,P2")
    parser.add_argument("--runs", type=int, default=None, help="runs of P1/P2 (default 5/3)")
    parser.add_argument("--scale-runs", type=int, default=None, help="runs of P3-P6 (default 3)")
    parser.add_argument("--tokens", type=int, default=None, help="tokens for P2 (10,000)")
    parser.add_argument("--scale-tokens", type=int, default=None, help="for P3-P6 (100,000)")
    parser.add_argument("--latency-ms", type=float, default=30.0, help="P1/P2 latency (30)")
    parser.add_argument("--idle", type=float, default=None, help="P4 idle window (30 s)")
    parser.add_argument("--projects", type=int, default=None, help="P7/P8 fleet (2,000)")
    parser.add_argument("--groups", type=int, default=None, help="P7/P8 groups (200)")
    parser.add_argument("--fleet-runs", type=int, default=None, help="runs of P7/P8 (3)")
    parser.add_argument(
        "--baseline-runs", type=int, default=None, help="python-gitlab runs of P7 (1: ~75 s)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    args.only = {x.strip().upper() for x in args.only.split(",") if x.strip()}
    unknown = args.only - set(ALL)
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(sorted(unknown))}")
    quick = args.quick
    args.p1_runs = args.runs or (1 if quick else 5)
    args.p2_runs = args.runs or (1 if quick else 3)
    args.scale_runs = args.scale_runs or (1 if quick else 3)
    args.tokens = args.tokens or (300 if quick else 10_000)
    args.scale_tokens = args.scale_tokens or (1_000 if quick else 100_000)
    args.idle = args.idle if args.idle is not None else (2.0 if quick else 30.0)
    args.projects = args.projects or (40 if quick else 2_000)
    args.groups = args.groups or (8 if quick else 200)
    args.fleet_runs = args.fleet_runs or (1 if quick else 3)
    args.baseline_runs = args.baseline_runs or 1
    if quick and args.latency_ms == 30.0:
        args.latency_ms = 5.0
    return args


def table(figures: list[Figure]) -> str:
    """The figures as a plain-text table."""
    rows = [("", "figure", "measured (median)", "target", "result")]
    for f in figures:
        verdict = "info" if f.passed is None else ("PASS" if f.passed else "FAIL")
        rows.append((f.key, f.title, f.value, f.target, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = harness.machine()
    log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    figures: list[Figure] = []
    started = time.perf_counter()
    if args.only & {"P1", "P2"}:
        log(f"simulator: {args.tokens:,} tokens, {args.latency_ms:g} ms latency")
        with harness.simulator(args.tokens, args.latency_ms) as sim:
            if "P1" in args.only:
                figures.extend(p1_first_paint(sim, args.p1_runs, log))
            if "P2" in args.only:
                figures.extend(p2_full_inventory(sim, args.p2_runs, log))
    if args.only & {"P3", "P4", "P5", "P6"}:
        log(f"simulator: {args.scale_tokens:,} tokens, no added latency")
        with harness.simulator(args.scale_tokens, 0.0) as sim:
            results = [run_scale_driver(sim, args.idle, log) for _ in range(args.scale_runs)]
        wanted = scale_figures(results, args.scale_tokens, args.idle)
        figures.extend(f for f in wanted if f.key in args.only)
    if args.only & {"P7", "P8"}:
        log(
            f"simulator: a fleet of {args.projects:,} projects in {args.groups:,} groups, "
            f"{args.latency_ms:g} ms latency"
        )
        with harness.simulator(
            200, args.latency_ms, projects=args.projects, groups=args.groups
        ) as sim:
            wanted = p7_p8_everything(sim, args.fleet_runs, args.baseline_runs, log)
        figures.extend(f for f in wanted if f.key.rstrip("b") in args.only)
    figures.sort(key=lambda f: f.key)
    print()
    print(table(figures))
    print(f"\n({time.perf_counter() - started:.0f} s; {info['cpus']} CPUs, {info['cpu']})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": info, "figures": [asdict(f) for f in figures]}, fh, indent=1)
    return 0 if all(f.passed is not False for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
