"""P1 driver: run the real ``tokentui --url URL --all`` headless and record when the first rows
are painted (wall clock, ``time.time()``), then quit.

Usage: ``python bench/tui_first_paint.py OUT_JSON URL [tokentui args...]`` with ``GITLAB_TOKEN``
set. The parent measures from just before it started this process.
"""

from __future__ import annotations

import time

STARTED = time.time()

import functools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402


def main() -> int:
    out, url, *extra = sys.argv[1:]
    import tui_probe  # bench/ is sys.path[0] when run as a script

    from tokentui import cli
    from tokentui.app import TokenApp
    from tokentui.store import Change

    tui_probe.install()
    result: dict[str, float] = {"interpreter": STARTED, "imported": time.time()}
    apps: list[TokenApp] = []

    original_init = TokenApp.__init__

    @functools.wraps(original_init)
    def init(self: TokenApp, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        apps.append(self)

        def changed(change: Change) -> None:
            if change is Change.PAGE:
                result.setdefault("first_page", time.time())

        self.store.subscribe(changed)

    TokenApp.__init__ = init  # type: ignore[method-assign]
    original_mount = TokenApp.on_mount

    def on_mount(self: TokenApp) -> None:
        result.setdefault("mounted", time.time())
        original_mount(self)

    TokenApp.on_mount = on_mount  # type: ignore[method-assign]
    TokenApp.run = functools.partialmethod(  # type: ignore[method-assign]
        TokenApp.run, headless=True, size=(120, 40)
    )

    def rows_painted(count: int, _now: float) -> None:
        if count and "first_paint" not in result:
            result["first_paint"] = time.time()
            result["rows"] = count
            apps[-1].exit()

    tui_probe.PROBE.on_rows_painted = rows_painted
    code = cli.main(["--url", url, *(extra or ["--all"])])
    with open(out, "w") as fh:
        json.dump({**result, "exit_code": code}, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
