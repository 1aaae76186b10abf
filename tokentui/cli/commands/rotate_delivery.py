"""``tokentui rotate``'s delivery step and its ``--dry-run``: what the CLI says around
:mod:`tokentui.core.delivery` (the rotate itself stays in :mod:`tokentui.cli.commands.tokens`).

A delivered value is not printed: it went where it is used. A delivery that failed leaves the
rotate's own output (the value on stdout, once) and says on stderr that delivery failed and why,
with exit status :data:`EXIT_DELIVERY_FAILED`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from tokentui.cli import output
from tokentui.cli.commands import common
from tokentui.core import delivery
from tokentui.core.delivery import Delivered, DeliveryReport
from tokentui.core.expiry import system_clock
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import NewToken, TokenKind
from tokentui.gitlab.sources import TokenSource
from tokentui.gitlab.terminal_text import escape

#: The rotate happened but its value did not reach the delivery target (it is on stdout).
EXIT_DELIVERY_FAILED = 3


def report_delivered(
    args: argparse.Namespace, new: NewToken, kind: TokenKind, old_id: int, report: DeliveryReport
) -> int:
    """A delivered rotate: no value anywhere; ``--json`` gets the token without it."""
    if args.json:
        record = output.new_token_record(new, system_clock(), kind=kind, rotated_from_id=old_id)
        record.pop("token")
        record["delivery"] = {"result": report.result.value, "message": report.message}
        with common.closed_stdout_tolerated():
            output.write_json(record, sys.stdout)
    expiry = new.expires_at.isoformat() if new.expires_at else "never"
    print(
        f"tokentui: rotated token {old_id} into {new.id} '{escape(new.name)}' (expires {expiry}); "
        f"{escape(report.message)}. The value was not printed.",
        file=sys.stderr,
    )
    return common.EXIT_OK


def report_failed(report: DeliveryReport) -> int:
    """After the value was printed as rotate prints it: why delivery failed."""
    lead = "delivery outcome unknown" if report.result is Delivered.UNKNOWN else "delivery failed"
    why = escape(report.message.rstrip("."))
    print(
        f"tokentui: error: {lead}: {why}. The new value is the one printed on stdout: put it "
        "there by hand.",
        file=sys.stderr,
    )
    return EXIT_DELIVERY_FAILED


async def dry_run(
    client: GitLabClient,
    url: str,
    source: TokenSource,
    token_id: int | None,
    expires_at: date | None,
) -> int:
    """``rotate --dry-run``: what would happen (GETs only). Exit 0, or 2 when the delivery
    target cannot be read now."""
    token = await (
        client.get_self_token() if token_id is None else client.get_token(source, token_id)
    )
    expiry = expires_at.isoformat() if expires_at else "GitLab's default (7 days)"
    print(
        f"tokentui: dry run: would rotate token {token.id} '{escape(token.name)}' of "
        f"{source.label} (new expiry {expiry}); nothing was sent",
        file=sys.stderr,
    )
    target = delivery.target_for(url, token.id)
    if target is None:
        print("tokentui: dry run: it has no delivery target", file=sys.stderr)
        return common.EXIT_OK
    report = await delivery.plan(client, target)
    print(f"tokentui: dry run: {escape(report.message)}", file=sys.stderr)
    return common.EXIT_OK if report.result is not Delivered.FAILED else common.EXIT_ERROR
