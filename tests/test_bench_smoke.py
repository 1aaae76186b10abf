"""The benchmark harness runs end to end at tiny sizes (``bench/run.py --quick``).

No timed assertion: the figures are benchmarks (``docs/performance.md``). This proves the
harness works: the simulator starts in its own process, tokentui and python-gitlab both list
every token, the TUI drivers paint rows, type in the filter box and report every figure.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
#: The figures of issue 6 (P7 and P8 have their own smoke test below).
ISSUE_6 = "P1,P2,P3,P4,P5,P6"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_bench_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [sys.executable, str(BENCH / "run.py"), "--quick", "--idle", "1", "--json"]
    done = subprocess.run(
        [*command, str(out), "--only", ISSUE_6],
        capture_output=True,
        text=True,
        timeout=220,
        cwd=BENCH.parent,
    )
    # 0: every figure met its target, 1: some did not (tiny sizes say nothing about speed).
    assert done.returncode in (0, 1), done.stderr[-3000:]
    results = json.loads(out.read_text())
    figures = {f["key"]: f for f in results["figures"]}
    assert set(figures) == {"P1", "P1b", "P2", "P2b", "P3", "P4", "P5", "P6"}
    for figure in figures.values():
        assert figure["value"] and figure["target"]
        # P2b is reported for information (a stricter comparison than the issue's): no verdict.
        assert figure["passed"] in ((None,) if figure["key"] == "P2b" else (True, False))
        assert figure["key"] in done.stdout  # the printed table has every row
    # Both contenders listed every token (figures.py checks counts; here: they were timed).
    p2 = figures["P2"]["detail"]
    assert p2["tokentui_s"] and p2["python_gitlab_s"]
    assert all(s > 0 for s in p2["tokentui_s"] + p2["python_gitlab_s"])
    p3 = figures["P3"]["detail"]
    assert not math.isnan(p3["all_keys_median_ms"])
    assert results["machine"]["cpus"] and results["machine"]["python"]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_bench_reports_the_everything_scan(tmp_path: Path) -> None:
    """P7 (everything scan vs the python-gitlab script), P7b (first rows) and P8 (event loop
    during the scan) on a tiny fleet: the python-gitlab side is measured and finds every
    project; tokentui's side is measured, or skipped with its reason while the scan is not
    there yet."""
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--only", "P7,P8", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=220,
        cwd=BENCH.parent,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    figures = {f["key"]: f for f in json.loads(out.read_text())["figures"]}
    assert set(figures) == {"P7", "P7b", "P8"}
    p7 = figures["P7"]["detail"]
    assert p7["python_gitlab_s"] and all(s > 0 for s in p7["python_gitlab_s"])
    assert p7["python_gitlab_counted"]["projects"] >= 40
    for figure in figures.values():
        assert figure["key"] in done.stdout and figure["target"]
        if "skipped" in figure["detail"]:
            assert figure["passed"] is None and "not there yet" in figure["value"]
        else:
            assert figure["passed"] in (True, False)
    if "skipped" not in p7:
        assert p7["tokentui_rows"] > 0 and all(s > 0 for s in p7["tokentui_s"])
