"""Loading a source's tokens and their owners for the monitoring commands (``check``,
``export``, ``digest``, ``audit``): the very loading of ``list`` and ``expiring``
(``tokentui.cli.commands.tokens``), behind one function, so the source flags (and any source
added to them, ``--everything`` included) work the same here.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

from tokentui.cli import output
from tokentui.cli.commands import common
from tokentui.cli.commands import everything as everything_cli
from tokentui.cli.commands import tokens as token_commands
from tokentui.core.expiry import system_clock
from tokentui.core.monitoring import TokenFacts
from tokentui.core.ownership import Ownership
from tokentui.core.query import filter_tokens
from tokentui.gitlab.models import Token, TokenKind
from tokentui.gitlab.sources import TokenFilters, TokenSource

#: The parser of a scripting command (connection flags, ``--demo``, exit codes in the epilog)
#: and the top-level flags it inherits (``tokentui --url U check``), as ``list`` has them.
command_parser = token_commands.command_parser
inherit_from_top_level = token_commands.inherit_from_top_level


@dataclass(frozen=True, slots=True)
class Loaded:
    """A source's tokens, who owns them, and the instance they came from."""

    tokens: list[Token]
    source: TokenSource
    owners: output.Owners
    url: str
    #: What the ``--everything`` scan could not read (each already said on stderr).
    problems: int = 0

    def facts(self) -> list[TokenFacts]:
        """Each token with its kind, owner and resource (for ``tokentui.core.monitoring``)."""
        return [self._facts(token) for token in self.tokens]

    def _facts(self, token: Token) -> TokenFacts:
        kind = self.owners.kind(token)
        found = (
            self.owners.resource(token) if kind in (TokenKind.PROJECT, TokenKind.GROUP) else None
        )
        rtype, _rid, path = found if found is not None else (None, None, None)
        return TokenFacts(
            token=token,
            kind=kind,
            owner=self.owners.owner(token),
            resource_type=rtype,
            resource=path,
            resource_url=f"{self.url.rstrip('/')}/{path}" if path else None,
        )


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The source flags of a monitoring command: those of ``list``, ``--everything`` and
    ``--kind`` included, and the scan's ``--concurrency`` and ``--max-rate``."""
    common.add_source_flags(parser, everything=True)
    everything_cli.add_flags(parser)


async def load(args: argparse.Namespace, server: TokenFilters) -> Loaded:
    """Every token of the source the flags name (``--mine``, ``--all``, ``--project P``,
    ``--everything``, ...; the profile's default without one) and of the ``--kind`` kinds,
    with ``server`` sent to GitLab (applied locally to the everything scan), and every owner
    resolved. A scan's problems are said on stderr and counted. Errors are raised
    (``GitLabError``, ``UsageError``) for the command to report."""
    kinds = everything_cli.kinds(args)
    everything = everything_cli.source(args)
    if everything_cli.is_everything(args):
        loaded = await _scan(args, everything, server)
    else:
        loaded = await _load_source(args, server)
    if not kinds:
        return loaded
    owners = loaded.owners
    return replace(loaded, tokens=[t for t in loaded.tokens if owners.kind(t) in kinds])


async def _scan(
    args: argparse.Namespace, everything: everything_cli.Everything, server: TokenFilters
) -> Loaded:
    connection = common.connect(args)
    async with token_commands.command_client(connection) as client:
        scanned = await everything_cli.run_scan(client, everything)
    rows = filter_tokens(scanned.rows, server, None, system_clock())
    everything_cli.report_problems(scanned.scan)
    problems = len(scanned.scan.problems)
    return Loaded(rows, everything, scanned.owners, connection.url, problems)


async def _load_source(args: argparse.Namespace, server: TokenFilters) -> Loaded:
    token_commands.check_source(args)
    connection = common.connect(args)
    async with token_commands.command_client(connection) as client:
        await token_commands.with_ids(client, args, connection)
        rows, source, viewer = await token_commands.fetch_with_viewer(
            client, args, connection, server
        )
        owners = await token_commands.resolve_owners(
            client, Ownership(bulk=True), viewer, rows, source
        )
    return Loaded(rows, source, owners, connection.url)
