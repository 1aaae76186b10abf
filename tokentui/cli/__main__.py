"""``python -m tokentui.cli``: the ``tokentui`` command."""

from tokentui.cli.main import entry

raise SystemExit(entry())
