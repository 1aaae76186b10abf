"""Subcommands of the ``tokentui`` command line, one module each."""
