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
    from tokentui.cli import main as cli

    result: dict[str, float] = {"interpreter": STARTED}
    apps: list = []
    # As the ``tokentui`` command does (cli.entry); the hooks go in once the parser is built,
    # which is when the command imports its modules.
    cli.tune_start()
    build_parser = cli.build_parser

    def build_and_hook(*argv):  # type: ignore[no-untyped-def]
        parser = build_parser(*argv)
        result["imported"] = time.time()
        from tokentui.cli.commands import tui as tui_command

        load_app_module = tui_command.load_app_module

        def instrumented_app_module(**options):  # type: ignore[no-untyped-def]
            """The CLI imports Textual in a thread while its first requests travel: hook the
            app as soon as it is imported, as the CLI would see it."""
            module = load_app_module(**options)
            result["textual"] = time.time()
            instrument(module.TokenApp, apps, result)
            return module

        tui_command.load_app_module = instrumented_app_module
        return parser

    cli.build_parser = build_and_hook
    code = cli.main(["--url", url, *(extra or ["--all"])])
    with open(out, "w") as fh:
        json.dump({**result, "exit_code": code}, fh)
    return 0


def instrument(app_class, apps: list, result: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    """Record the first page in the store, the mount and the first paint of rows (then quit);
    run headless at 120x40."""
    import tui_probe  # bench/ is sys.path[0] when run as a script

    from tokentui.core.store import Change

    tui_probe.install()
    original_init = app_class.__init__

    @functools.wraps(original_init)
    def init(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        apps.append(self)

        def changed(change: Change) -> None:
            if change is Change.PAGE:
                result.setdefault("first_page", time.time())

        self.store.subscribe(changed)

    app_class.__init__ = init
    original_mount = app_class.on_mount

    def on_mount(self) -> None:  # type: ignore[no-untyped-def]
        result.setdefault("mounted", time.time())
        original_mount(self)

    app_class.on_mount = on_mount
    app_class.run_async = functools.partialmethod(
        app_class.run_async, headless=True, size=(120, 40)
    )

    def rows_painted(count: int, _now: float) -> None:
        if count and "first_paint" not in result:
            result["first_paint"] = time.time()
            result["rows"] = count
            apps[-1].exit()

    tui_probe.PROBE.on_rows_painted = rows_painted


if __name__ == "__main__":
    raise SystemExit(main())
