"""The six figures of issue 6: how each is measured, and its target.

P1 and P2 run tokentui and python-gitlab's CLI as separate processes against the same
simulator, alternating which goes first. P3-P6 come from :mod:`tui_scale`, a driver that runs
the app headless in its own process (the simulator in another) with 100,000 tokens.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import harness
from harness import BENCH_DIR, GITLAB_CLI, PYTHON, isolated_env, median, percentile


@dataclass
class Figure:
    """One measured figure: its value, its target and whether it passes."""

    key: str
    title: str
    value: str
    target: str
    passed: bool | None
    runs: int
    detail: dict = field(default_factory=dict)


def _timed(cmd: list[str], env: dict[str, str], timeout: float = 600) -> tuple[float, str]:
    """Run ``cmd``; returns (wall seconds, stdout). Raises on a non-zero exit."""
    start = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=harness.REPO
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


#: Where the TUI's first-paint time goes (summed over runs, for the report).
P1_PHASES: dict[str, list[float]] = {}


def tokentui_first_paint(url: str, token: str) -> tuple[float, int]:
    """Seconds from process start to the first rows painted by the TUI, and how many rows.

    The phases (interpreter up, imports done, app mounted, first page in the store, first
    paint) are collected in :data:`P1_PHASES` as seconds from process start."""
    with tempfile.TemporaryDirectory(prefix="p1-") as folder:
        out = os.path.join(folder, "p1.json")
        cmd = [PYTHON, str(BENCH_DIR / "tui_first_paint.py"), out, url, "--all"]
        start = time.time()
        subprocess.run(
            cmd,
            env=isolated_env(token),
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=harness.REPO,
        )
        with open(out) as fh:
            result = json.load(fh)
    if "first_paint" not in result:
        raise RuntimeError(f"the TUI painted no rows (exit code {result.get('exit_code')})")
    for phase in ("interpreter", "imported", "textual", "mounted", "first_page", "first_paint"):
        if phase in result:
            P1_PHASES.setdefault(phase, []).append(result[phase] - start)
    return result["first_paint"] - start, int(result["rows"])


def gitlab_cli(config: str, *args: str) -> list[str]:
    """python-gitlab's CLI listing every personal access token, JSON output."""
    return [GITLAB_CLI, "-c", config, "-o", "json", "personal-access-token", "list", *args]


def _compare(
    sim: harness.SimProcess,
    runs: int,
    ours: Callable[[], tuple[float, int]],
    theirs: dict[str, list[str]],
    log: Callable[[str], None],
    label: str,
) -> tuple[list[float], dict[str, list[float]]]:
    """Alternate ``ours`` and each python-gitlab command ``runs`` times; the wall times.

    One round first, not counted: it writes each side's bytecode cache and warms the OS's
    file cache, as any second run of a command on a machine would find them."""
    ours()
    for command in theirs.values():
        _timed(command, isolated_env())
    mine: list[float] = []
    base: dict[str, list[float]] = {name: [] for name in theirs}
    for run in range(runs):
        contenders = ["tokentui", *theirs]
        if run % 2:
            contenders.reverse()
        for who in contenders:
            if who == "tokentui":
                seconds, count = ours()
                mine.append(seconds)
            else:
                seconds, out = _timed(theirs[who], isolated_env())
                count = len(json.loads(out))
                base[who].append(seconds)
            log(f"  {label} run {run + 1}: {who} {seconds:.3f} s ({count} rows)")
    return mine, base


def p1_first_paint(sim: harness.SimProcess, runs: int, log: Callable[[str], None]) -> list[Figure]:
    """P1: TUI first paint vs python-gitlab printing the same first page (100 rows, the TUI's
    page size), and vs the command exactly as the issue names it (GitLab's default 20 rows)."""
    with harness.python_gitlab_config(sim.url, sim.admin_token) as config:
        theirs = {
            "python-gitlab --per-page 100": gitlab_cli(config, "--per-page", "100"),
            "python-gitlab": gitlab_cli(config),
        }
        mine, base = _compare(
            sim, runs, lambda: tokentui_first_paint(sim.url, sim.admin_token), theirs, log, "P1"
        )
    ours = median(mine)
    figures = []
    for key, name, title in (
        ("P1", "python-gitlab --per-page 100", "same first page, 100 rows"),
        ("P1b", "python-gitlab", "as the issue names it: 20 rows"),
    ):
        other = median(base[name])
        figures.append(
            Figure(
                key,
                f"first paint vs `gitlab ... list` ({title}), {sim.latency_ms:g} ms latency",
                f"{ours * 1000:.0f} ms vs {other * 1000:.0f} ms",
                "<= python-gitlab",
                ours <= other,
                runs,
                {
                    "tokentui_s": mine,
                    "python_gitlab_s": base[name],
                    "tokentui_phases_median_s": {k: median(v) for k, v in P1_PHASES.items()},
                },
            )
        )
    phases = ", ".join(f"{k} {median(v) * 1000:.0f}" for k, v in P1_PHASES.items())
    log(f"  P1 tokentui phases (ms from process start, median): {phases}")
    return figures


def p2_full_inventory(
    sim: harness.SimProcess, runs: int, log: Callable[[str], None]
) -> list[Figure]:
    """P2: ``tokentui list --all --json`` vs ``gitlab ... list --get-all`` as the issue names
    it (GitLab's default 20 per page: 500 round trips for 10,000 tokens), and vs python-gitlab's
    best case ``--per-page 100`` (100 round trips)."""
    expected = sim.tokens
    our_cmd = [PYTHON, "-m", "tokentui.cli", "list", "--all", "--json", "--url", sim.url]

    def ours() -> tuple[float, int]:
        seconds, out = _timed(our_cmd, isolated_env(sim.admin_token))
        count = len(json.loads(out))
        if count != expected:
            raise RuntimeError(f"tokentui listed {count} tokens, not {expected}")
        return seconds, count

    with harness.python_gitlab_config(sim.url, sim.admin_token) as config:
        theirs = {
            "python-gitlab": gitlab_cli(config, "--get-all"),
            "python-gitlab --per-page 100": gitlab_cli(config, "--get-all", "--per-page", "100"),
        }
        mine, base = _compare(sim, runs, ours, theirs, log, "P2")
    phases = cli_phases(sim, runs)
    log(
        "  P2 tokentui phases (ms from process start, median): "
        + ", ".join(f"{k} {v:.0f}" for k, v in phases.items())
    )
    ours_s = median(mine)
    figures = []
    # P2 is the target, against its command as named. P2b is a stricter comparison
    # added here (python-gitlab told to page by 100): reported, not a target of the issue.
    for key, name, title, target in (
        ("P2", "python-gitlab", "`--get-all` as named, 20/page", True),
        ("P2b", "python-gitlab --per-page 100", "`--get-all --per-page 100`", False),
    ):
        other = median(base[name])
        speedup = other / ours_s if ours_s else float("inf")
        figures.append(
            Figure(
                key,
                f"full inventory, {sim.tokens:,} tokens, {sim.latency_ms:g} ms: vs {title}",
                f"{ours_s:.2f} s vs {other:.2f} s = {speedup:.1f}x",
                ">= 8x faster" if target else "none: stricter than the issue (8x shown)",
                (speedup >= 8) if target else None,
                runs,
                {
                    "tokentui_s": mine,
                    "python_gitlab_s": base[name],
                    "speedup": speedup,
                    "tokentui_phases_median_ms": phases,
                },
            )
        )
    return figures


def cli_phases(sim: harness.SimProcess, runs: int) -> dict[str, float]:
    """Median phases of ``tokentui list --all --json`` (:mod:`cli_phases`), ms from start."""
    seen: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [PYTHON, str(BENCH_DIR / "cli_phases.py"), sim.url],
            env=isolated_env(sim.admin_token),
            capture_output=True,
            text=True,
            timeout=300,
            cwd=harness.REPO,
        )
        if done.returncode != 0:
            raise RuntimeError(f"cli_phases failed: {done.stderr[-500:]}")
        phases = json.loads(done.stderr.strip().splitlines()[-1])
        for name, ms in phases.items():
            seen.setdefault(name, []).append(ms)
    return {name: median(values) for name, values in seen.items()}


def run_scale_driver(
    sim: harness.SimProcess, idle_seconds: float, log: Callable[[str], None]
) -> dict:
    """One run of :mod:`tui_scale` against ``sim``; returns its JSON result."""
    with tempfile.TemporaryDirectory(prefix="scale-") as folder:
        out = os.path.join(folder, "scale.json")
        cmd = [
            PYTHON,
            str(BENCH_DIR / "tui_scale.py"),
            out,
            sim.url,
            "--idle",
            str(idle_seconds),
            "--expect",
            str(sim.tokens),
        ]
        done = subprocess.run(
            cmd,
            env=isolated_env(sim.admin_token),
            timeout=900,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=harness.REPO,
        )
        if done.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"tui_scale failed ({done.returncode}): {done.stderr[-1500:]}")
        with open(out) as fh:
            result = json.load(fh)
    log(
        "  scale run: loaded {loaded:,} in {load_s:.1f} s; filter median {filter_median_ms:.1f} ms"
        " p95 {filter_p95_ms:.1f} ms; idle CPU {idle_cpu_pct:.2f}%; peak RSS {peak_rss_mb:.0f} MB;"
        " max loop lag {max_lag_ms:.0f} ms; key max {key_max_ms:.0f} ms;"
        " longest GC pause {gc:.0f} ms".format(gc=max(result["gc_longest_ms"]), **result)
    )
    return result


def scale_figures(results: list[dict], tokens: int, idle_seconds: float) -> list[Figure]:
    """P3-P6 from the runs of :mod:`tui_scale` (medians across runs)."""
    n = len(results)
    filt_all = [x for r in results for x in r["filter_ms"]]
    f_med = median([r["filter_median_ms"] for r in results])
    f_p95 = median([r["filter_p95_ms"] for r in results])
    cpu = median([r["idle_cpu_pct"] for r in results])
    rss = median([r["peak_rss_mb"] for r in results])
    lag = median([r["max_lag_ms"] for r in results])
    key_max = median([r["key_max_ms"] for r in results])
    first_rows = median([r["first_rows_s"] for r in results])
    first_key = median([r["first_key_ms"] for r in results])
    stall = max(lag, key_max)
    return [
        Figure(
            "P3",
            f"filter keypress -> repainted list ({tokens:,} tokens)",
            f"median {f_med:.1f} ms, p95 {f_p95:.1f} ms ({len(filt_all)} keys)",
            "median <= 30 ms, p95 <= 60 ms",
            f_med <= 30 and f_p95 <= 60,
            n,
            {"all_keys_median_ms": median(filt_all), "all_keys_p95_ms": percentile(filt_all, 95)},
        ),
        Figure(
            "P4",
            f"idle CPU, countdowns running ({tokens:,} tokens, {idle_seconds:g} s)",
            f"{cpu:.2f}% of one core ({median([r['idle_paints'] for r in results]):.0f} paints)",
            "<= 2%",
            cpu <= 2,
            n,
            {
                "runs_pct": [r["idle_cpu_pct"] for r in results],
                "paints": [r["idle_paints"] for r in results],
                "seconds_countdowns_on_screen": [r["idle_seconds_countdowns"] for r in results],
            },
        ),
        Figure(
            "P5",
            f"peak RSS of the app ({tokens:,} tokens loaded)",
            f"{rss:.0f} MB",
            "<= 250 MB",
            rss <= 250,
            n,
            {"runs_mb": [r["peak_rss_mb"] for r in results]},
        ),
        Figure(
            "P6",
            f"responsiveness while {tokens:,} tokens stream in",
            f"max loop lag {lag:.0f} ms, slowest key {key_max:.0f} ms; first rows at "
            f"{first_rows * 1000:.0f} ms, first key after them {first_key:.0f} ms",
            "no stall > 100 ms; first page usable at once",
            stall <= 100,
            n,
            {
                "load_s": [r["load_s"] for r in results],
                "lag_p99_ms": [r["lag_p99_ms"] for r in results],
                "key_median_ms": [r["key_median_ms"] for r in results],
                "keys": [r["keys"] for r in results],
                "gc_longest_ms_by_generation": [r["gc_longest_ms"] for r in results],
            },
        ),
    ]


# -- P7 and P8: the "everything I manage" scan (issue 13) ----------------------------------------
def everything_support() -> dict[str, bool]:
    """Whether this tokentui has the everything scan yet: ``list --everything`` (P7) and the
    TUI's ``--everything`` (P7b, P8), read from their ``--help``."""
    found = {}
    for name, args in (("list", ["list", "--help"]), ("tui", ["--help"])):
        done = subprocess.run(
            [PYTHON, "-m", "tokentui.cli", *args],
            env=isolated_env(),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=harness.REPO,
        )
        found[name] = done.returncode == 0 and "--everything" in done.stdout
    return found


def _skipped(key: str, title: str, target: str, why: str, detail: dict) -> Figure:
    return Figure(key, title, f"skipped: {why}", target, None, 0, {**detail, "skipped": why})


def tui_everything(url: str, token: str, timeout: float = 900) -> dict:
    """One run of :mod:`tui_everything`; its JSON with times made relative to the spawn."""
    with tempfile.TemporaryDirectory(prefix="p8-") as folder:
        out = os.path.join(folder, "p8.json")
        cmd = [PYTHON, str(BENCH_DIR / "tui_everything.py"), out, url, "--timeout", str(timeout)]
        start = time.time()
        done = subprocess.run(
            cmd,
            env=isolated_env(token),
            timeout=timeout + 60,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=harness.REPO,
        )
        if done.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"tui_everything failed ({done.returncode}): {done.stderr[-1500:]}")
        with open(out) as fh:
            result = json.load(fh)
    if "first_paint" not in result or "done" not in result:
        raise RuntimeError(
            f"the TUI's everything scan painted no rows or never finished: {result!r}"
        )
    for mark in ("interpreter", "mounted", "first_page", "first_paint", "done"):
        if mark in result:
            result[f"{mark}_s"] = result[mark] - start
    return result


def p7_p8_everything(
    sim: harness.SimProcess, runs: int, baseline_runs: int, log: Callable[[str], None]
) -> list[Figure]:
    """P7: ``tokentui list --everything --json`` as bob (Maintainer of every project of the
    fleet) vs ``bench/pgl_everything.py`` (python-gitlab: the projects with
    ``min_access_level=40``, then each one's access tokens, one after another); P7b: the TUI's
    first rows of ``tokentui --everything``; P8: the TUI's event loop during that scan."""
    token = sim.maintainer_token
    size = f"{sim.projects:,} projects in {sim.groups:,} groups, {sim.latency_ms:g} ms latency"
    theirs: list[float] = []
    counted: dict = {}
    for run in range(baseline_runs):
        seconds, out = _timed(
            [PYTHON, str(BENCH_DIR / "pgl_everything.py"), sim.url], isolated_env(token), 3600
        )
        counted = json.loads(out)
        theirs.append(seconds)
        log(
            f"  P7 run {run + 1}: python-gitlab {seconds:.2f} s "
            f"({counted['projects']} projects, {counted['tokens']} project tokens)"
        )
    if counted.get("projects", 0) < sim.projects:
        raise RuntimeError(f"python-gitlab found {counted} projects, not {sim.projects}")
    other = median(theirs)
    support = everything_support()
    detail: dict = {"python_gitlab_s": theirs, "python_gitlab_counted": counted}
    figures: list[Figure] = []
    p7_title = f"everything scan vs a python-gitlab script, {size}"
    if not support["list"]:
        why = "`tokentui list --everything` is not there yet"
        log(f"  P7 tokentui: {why}")
        figures.append(_skipped("P7", p7_title, ">= 10x faster", why, detail))
    else:
        cmd = [PYTHON, "-m", "tokentui.cli", "list", "--everything", "--json", "--url", sim.url]
        _timed(cmd, isolated_env(token))  # one uncounted run: bytecode and file caches
        mine: list[float] = []
        rows = 0
        for run in range(runs):
            seconds, out = _timed(cmd, isolated_env(token))
            rows = len(json.loads(out))
            mine.append(seconds)
            log(f"  P7 run {run + 1}: tokentui {seconds:.2f} s ({rows} rows)")
        ours = median(mine)
        speedup = other / ours if ours else float("inf")
        figures.append(
            Figure(
                "P7",
                p7_title,
                f"{ours:.2f} s vs {other:.1f} s = {speedup:.1f}x",
                ">= 10x faster",
                speedup >= 10,
                runs,
                {**detail, "tokentui_s": mine, "tokentui_rows": rows, "speedup": speedup},
            )
        )
    p7b_title = f"first rows of `tokentui --everything`, {size}"
    p8_title = f"responsiveness during the everything scan, {size}"
    if not support["tui"]:
        why = "the TUI's `--everything` is not there yet"
        log(f"  P7b/P8: {why}")
        figures.append(_skipped("P7b", p7b_title, "<= 1 s", why, {}))
        figures.append(_skipped("P8", p8_title, "no stall > 100 ms", why, {}))
        return figures
    tui_everything(sim.url, token)  # uncounted, as above
    results = [tui_everything(sim.url, token) for _ in range(runs)]
    for r in results:
        log(
            "  P7b/P8 run: first rows {first_paint_s:.3f} s ({rows} rows), scan done "
            "{done_s:.2f} s; max loop lag {max_lag_ms:.0f} ms, slowest key {key_max_ms:.0f} ms "
            "({keys} keys)".format(**r)
        )
    first = median([r["first_paint_s"] for r in results])
    lag = median([r["max_lag_ms"] for r in results])
    key_max = median([r["key_max_ms"] for r in results])
    figures.append(
        Figure(
            "P7b",
            p7b_title,
            f"{first * 1000:.0f} ms from the process's start (scan done at "
            f"{median([r['done_s'] for r in results]):.2f} s)",
            "<= 1 s",
            first <= 1.0,
            runs,
            {"first_paint_s": [r["first_paint_s"] for r in results]},
        )
    )
    figures.append(
        Figure(
            "P8",
            p8_title,
            f"max loop lag {lag:.0f} ms, slowest key {key_max:.0f} ms",
            "no stall > 100 ms",
            max(lag, key_max) <= 100,
            runs,
            {
                "lag_p99_ms": [r["lag_p99_ms"] for r in results],
                "key_median_ms": [r["key_median_ms"] for r in results],
                "keys": [r["keys"] for r in results],
                "done_s": [r["done_s"] for r in results],
            },
        )
    )
    return figures
