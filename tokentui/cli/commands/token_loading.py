"""Loading a source's tokens and their owners for the monitoring commands (``check``,
``export``): the very loading of ``list`` and ``expiring`` (``tokentui.cli.commands.tokens``),
behind one function, so the source flags (and any source added to them) work the same here.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from tokentui.cli import output
from tokentui.cli.commands import common
from tokentui.cli.commands import tokens as token_commands
from tokentui.core.monitoring import TokenFacts
from tokentui.core.ownership import Ownership
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


async def load(args: argparse.Namespace, server: TokenFilters) -> Loaded:
    """Every token of the source the flags name (``--mine``, ``--all``, ``--project P``, ...;
    the profile's default without one), with ``server`` sent to GitLab, and every owner
    resolved. Errors are raised (``GitLabError``, ``UsageError``) for the command to report."""
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
