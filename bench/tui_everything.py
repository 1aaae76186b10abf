"""P7's first rows and P8's driver: run the real ``tokentui --url URL --everything`` headless
through the whole "everything I manage" scan, then quit.

Usage: ``python bench/tui_everything.py OUT_JSON URL [--timeout S] [-- TOKENTUI_ARGS...]`` with
``GITLAB_TOKEN`` set (bob's on the fleet: Maintainer of every project); the arguments default
to ``--everything`` (``-- --all`` drives another source through the same probe). Records, as
``time.time()``:

* ``interpreter`` (this process started), ``mounted``, ``first_paint`` (the first paint of
  token rows, and how many) and ``done`` (the store said the scan is over);
* from the mount to the end of the scan, how late an asyncio task sleeping 10 ms wakes up
  (the event loop's stalls), as P6 does (``tui_scale.lag_monitor``);
* from the first rows to the end of the scan, a cursor key every 100 ms, each timed from its
  arrival to the paint after its handling (``tui_scale.timed_key``).

The parent measures the first paint from just before it started this process.
"""

from __future__ import annotations

import time

STARTED = time.time()

import asyncio  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

KEY_INTERVAL = 0.1


def main() -> int:
    out, url, *rest = sys.argv[1:]
    timeout = 600.0
    if rest[:1] == ["--timeout"]:
        timeout = float(rest[1])
        rest = rest[2:]
    args = rest[1:] if rest[:1] == ["--"] else ["--everything"]
    from tokentui.cli import main as cli

    result: dict = {"interpreter": STARTED}
    cli.tune_start()
    build_parser = cli.build_parser

    def build_and_hook(*argv):  # type: ignore[no-untyped-def]
        parser = build_parser(*argv)
        from tokentui.cli.commands import tui as tui_command

        load_app_module = tui_command.load_app_module

        def instrumented_app_module(**options):  # type: ignore[no-untyped-def]
            module = load_app_module(**options)
            instrument(module.TokenApp, result, timeout)
            return module

        tui_command.load_app_module = instrumented_app_module
        return parser

    cli.build_parser = build_and_hook
    code = cli.main(["--url", url, *args])
    with open(out, "w") as fh:
        json.dump({**result, "exit_code": code}, fh)
    return 0


def instrument(app_class, result: dict, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Hook the app: mount starts the lag monitor and the key driver; the store's DONE ends
    the run; headless at 120x40."""
    import tui_probe  # bench/ is sys.path[0] when run as a script
    import tui_scale
    from harness import median, percentile

    from tokentui.core.store import Change

    tui_probe.install()
    first_rows = asyncio.Event()
    done = asyncio.Event()
    original_init = app_class.__init__

    @functools.wraps(original_init)
    def init(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)

        def changed(change: Change) -> None:
            if change is Change.PAGE:
                result.setdefault("first_page", time.time())
            if change is Change.DONE and "done" not in result:
                result["done"] = time.time()
                result["loaded"] = getattr(self.store, "loaded", None)
                done.set()

        self.store.subscribe(changed)

    app_class.__init__ = init
    original_mount = app_class.on_mount

    def on_mount(self) -> None:  # type: ignore[no-untyped-def]
        result.setdefault("mounted", time.time())
        original_mount(self)
        asyncio.get_running_loop().create_task(drive(self))

    async def drive(app) -> None:  # type: ignore[no-untyped-def]
        lags: list[float] = []
        keys: list[float] = []
        monitor = asyncio.create_task(tui_scale.lag_monitor(lags))
        try:
            async with asyncio.timeout(timeout):
                await first_rows.wait()
                direction = "j"
                while not (done.is_set() and keys):
                    direction = "k" if direction == "j" else "j"
                    keys.append(await tui_scale.timed_key(app, direction, "key"))
                    await asyncio.sleep(KEY_INTERVAL)
        except TimeoutError:
            result["timed_out"] = timeout
        finally:
            monitor.cancel()
        result.update(
            keys=len(keys),
            key_median_ms=median(keys),
            key_max_ms=max(keys, default=float("nan")),
            max_lag_ms=max(lags, default=0.0),
            lag_p99_ms=percentile(lags, 99),
            lag_over_100ms=sum(1 for x in lags if x > 100),
        )
        app.exit()

    app_class.on_mount = on_mount
    app_class.run_async = functools.partialmethod(
        app_class.run_async, headless=True, size=(120, 40)
    )

    def rows_painted(count: int, _now: float) -> None:
        if count and "first_paint" not in result:
            result["first_paint"] = time.time()
            result["rows"] = count
            first_rows.set()

    tui_probe.PROBE.on_rows_painted = rows_painted


if __name__ == "__main__":
    raise SystemExit(main())
