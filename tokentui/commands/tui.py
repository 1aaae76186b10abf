"""Placeholder: replaced by its owner."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Top-level flags of the TUI."""
    parser.add_argument("--demo", action="store_true", help="run against the bundled simulator")


def run(args: argparse.Namespace) -> int:
    """Open the TUI."""
    print("the TUI is not built yet")
    return 0
