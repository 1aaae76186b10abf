"""P3-P6 driver: the real app, headless, against a simulator in another process.

Usage: ``python bench/tui_scale.py OUT_JSON URL [--idle SECONDS] [--expect N]`` with
``GITLAB_TOKEN`` set (an admin's, so the source is every user's tokens).

Phases, in one process:

1. Load (P6): from app start until every page is in the store. Meanwhile an asyncio task
   sleeping 10 ms records the event loop's lag, and a cursor key is sent as soon as the first
   rows are painted, then every 100 ms, timed from its arrival to the paint after its handling.
2. Filter (P3): ``/`` then a name typed and erased one key at a time; each key is timed from its
   arrival to the paint of the re-filtered rows.
3. Idle (P4): back on the list, nothing pressed, the countdown timer running; CPU time of the
   process (all threads) over ``--idle`` seconds of wall time.
4. Memory (P5): the peak RSS of this process (``ru_maxrss``), simulator excluded.

Keys are delivered the way the terminal driver delivers them (``driver.send_message``), not
through ``Pilot.press``, whose idle waits would sit inside the measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import time
import unicodedata

import psutil
import tui_probe  # bench/ is sys.path[0] when run as a script
from harness import median, percentile

#: Names typed into the filter box (each typed then erased key by key).
QUERIES = ("dependency", "deploy-bot", "ci")
KEY_INTERVAL = 0.1
TYPING_GAP = 0.05


def send_key(app, key: str) -> None:  # type: ignore[no-untyped-def]
    """Deliver ``key`` as the terminal driver would (same mapping as ``Pilot.press``)."""
    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def timed_key(app, key: str, tag: str, timeout: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    """Send ``key``; milliseconds until the paint after the probe's ``tag`` fires."""
    future = tui_probe.PROBE.waiter(tag)
    start = time.perf_counter()
    send_key(app, key)
    painted = await asyncio.wait_for(future, timeout)
    return (painted - start) * 1000


async def lag_monitor(samples: list[float], period: float = 0.01) -> None:
    """Record how late each ``period`` sleep wakes up (ms): the event loop's stalls."""
    while True:
        start = time.perf_counter()
        await asyncio.sleep(period)
        samples.append((time.perf_counter() - start - period) * 1000)


class GCPauses:
    """The longest pause of the cyclic garbage collector per generation (ms), and counts."""

    def __init__(self) -> None:
        self.longest = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        generation = info["generation"]
        pause = (time.perf_counter() - self._start) * 1000
        self.count[generation] += 1
        self.longest[generation] = max(self.longest[generation], pause)


async def run(out: str, url: str, idle: float, expect: int | None) -> int:
    started = time.perf_counter()
    pauses = GCPauses()
    gc.callbacks.append(pauses)
    from tokentui.cli import gc_tuning
    from tokentui.cli import main as cli

    # As the ``tokentui`` command does (cli.entry): its start-up policy (frame rate, imports
    # with the collector paused then frozen, loaded tokens frozen as they arrive).
    cli.tune_start()
    with gc_tuning.paused_for_imports():
        tui_probe.install()
        from tokentui.core.store import Change
        from tokentui.gitlab.client import GitLabClient
        from tokentui.tui.app import make_app

    probe = tui_probe.PROBE
    marks: dict[str, float] = {}

    def rows_painted(count: int, now: float) -> None:
        if count and "first_rows" not in marks:
            marks["first_rows"] = now

    probe.on_rows_painted = rows_painted
    client = GitLabClient(url, os.environ["GITLAB_TOKEN"])
    app = make_app(client, source_choice=("all", None))
    gc_tuning.freeze_tokens_as_they_load(app.store)
    store = app.store
    done = asyncio.Event()

    def changed(change: Change) -> None:
        if change is Change.PAGE and "first_page" not in marks:
            marks["first_page"] = time.perf_counter()
        if change is Change.DONE:
            marks["done"] = time.perf_counter()
            done.set()

    store.subscribe(changed)
    result: dict = {}
    async with app.run_test(size=(120, 40)) as pilot:
        # -- 1. load --------------------------------------------------------------------------
        lags: list[float] = []
        monitor = asyncio.create_task(lag_monitor(lags))
        keys: list[float] = []
        first_key_ms: float | None = None
        direction = "j"
        while not (done.is_set() and (keys or not store.loaded)):
            if "first_rows" not in marks:
                # The first key goes in as soon as the first rows are painted.
                await asyncio.sleep(0.005)
                continue
            direction = "k" if direction == "j" else "j"
            ms = await timed_key(app, direction, "key")
            keys.append(ms)
            if first_key_ms is None:
                first_key_ms = ms
            await asyncio.sleep(KEY_INTERVAL)
        monitor.cancel()
        gc.callbacks.remove(pauses)
        if store.error is not None:
            raise SystemExit(f"loading failed: {store.error!r}")
        if expect is not None and store.loaded != expect:
            raise SystemExit(f"loaded {store.loaded} tokens, expected {expect}")
        rss_loaded = psutil.Process().memory_info().rss / 2**20
        result.update(
            loaded=store.loaded,
            load_s=marks["done"] - started,
            first_page_s=marks["first_page"] - started,
            first_rows_s=marks["first_rows"] - started,
            first_key_ms=first_key_ms if first_key_ms is not None else float("nan"),
            keys=len(keys),
            key_median_ms=median(keys),
            key_max_ms=max(keys, default=float("nan")),
            max_lag_ms=max(lags, default=0.0),
            lag_p99_ms=percentile(lags, 99),
            lag_over_100ms=sum(1 for x in lags if x > 100),
            rss_loaded_mb=rss_loaded,
            gc_longest_ms=pauses.longest,
            gc_count=pauses.count,
        )
        await pilot.pause()

        # -- 2. filter ------------------------------------------------------------------------
        await pilot.press("slash")
        filter_ms: list[float] = []
        for query in QUERIES:
            for ch in query:
                filter_ms.append(await timed_key(app, ch, "rows"))
                await asyncio.sleep(TYPING_GAP)
            for _ in query:
                filter_ms.append(await timed_key(app, "backspace", "rows"))
                await asyncio.sleep(TYPING_GAP)
        result.update(
            filter_ms=filter_ms,
            filter_median_ms=median(filter_ms),
            filter_p95_ms=percentile(filter_ms, 95),
        )
        await pilot.press("escape")
        await pilot.pause()

        # -- 3. idle --------------------------------------------------------------------------
        # Back to the top of the list: the most urgent tokens, whose countdowns show seconds
        # (the costliest idle screen: a repaint every second).
        await pilot.press("home")
        await pilot.pause()
        await asyncio.sleep(2.0)
        from tokentui.tui.screens.tokens import SECOND_BANDS

        bands = app.screen.query_one("#table").visible_bands()
        result["idle_seconds_countdowns"] = not SECOND_BANDS.isdisjoint(bands)
        me = psutil.Process()
        paints = probe.paints
        cpu0 = sum(me.cpu_times()[:2])
        wall0 = time.perf_counter()
        await asyncio.sleep(idle)
        cpu1 = sum(me.cpu_times()[:2])
        wall1 = time.perf_counter()
        result.update(
            idle_s=wall1 - wall0,
            idle_cpu_pct=(cpu1 - cpu0) / (wall1 - wall0) * 100,
            idle_paints=probe.paints - paints,
        )

    # -- 4. memory ----------------------------------------------------------------------------
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(out, "w") as fh:
        json.dump(result, fh)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("url")
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--expect", type=int, default=None)
    args = parser.parse_args()
    return asyncio.run(run(args.out, args.url, args.idle, args.expect))


if __name__ == "__main__":
    raise SystemExit(main())
