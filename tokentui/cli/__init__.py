"""The command-line front: the ``tokentui`` entry point (:mod:`tokentui.cli.main`), its
subcommands (:mod:`tokentui.cli.commands`) and their output formats (docs/architecture.md)."""
