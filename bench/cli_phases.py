"""Where ``tokentui list --all --json`` spends its time (one extra run, not part of P2's figure).

Usage: ``python bench/cli_phases.py URL`` with ``GITLAB_TOKEN`` set; prints one JSON object on
stderr: milliseconds from process start to the end of each phase (imports, ``GET /user``, every
page fetched, records built, JSON text made, exit). stdout gets the command's own output.
"""

from __future__ import annotations

import time

STARTED = time.time()

import atexit  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402


def main() -> int:
    from tokentui.cli import main as cli

    # As the ``tokentui`` command does (cli.entry); the hooks go in once the parser is built,
    # which is when the command imports its modules.
    cli.tune_start()
    build_parser = cli.build_parser

    def build_and_hook(*argv):  # type: ignore[no-untyped-def]
        parser = build_parser(*argv)
        hook(marks)
        return parser

    cli.build_parser = build_and_hook
    marks: dict[str, float] = {}

    def report() -> None:
        marks["exit"] = time.time()
        phases = {name: round((at - STARTED) * 1000) for name, at in marks.items()}
        print(json.dumps(phases), file=sys.stderr)

    atexit.register(report)
    return cli.main(["list", "--all", "--json", "--url", sys.argv[1]])


def hook(marks: dict[str, float]) -> None:
    """Record the end of each phase (``GET /user``, the pages, the records, the JSON)."""
    from tokentui.cli import output
    from tokentui.cli.commands import tokens
    from tokentui.gitlab.client import GitLabClient

    marks["imported"] = time.time()
    current_user = GitLabClient.current_user

    async def timed_current_user(self: GitLabClient):  # type: ignore[no-untyped-def]
        user = await current_user(self)
        marks["user"] = time.time()
        return user

    fetch = tokens._fetch

    async def timed_fetch(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await fetch(*args, **kwargs)
        marks["pages"] = time.time()
        return result

    dumps = output.dumps_json

    def timed_dumps(*args, **kwargs):  # type: ignore[no-untyped-def]
        marks["records"] = time.time()
        text = dumps(*args, **kwargs)
        marks["json"] = time.time()
        return text

    GitLabClient.current_user = timed_current_user  # type: ignore[method-assign]
    tokens._fetch = timed_fetch
    output.dumps_json = timed_dumps


if __name__ == "__main__":
    raise SystemExit(main())
