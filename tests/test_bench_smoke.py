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


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_bench_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--idle", "1", "--json", str(out)],
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
