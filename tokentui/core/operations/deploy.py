"""Deploy tokens through the operations layer: create, revoke, and the successor GitLab's
missing rotate calls for (see docs/operations.md).

The layer's rules hold as for access tokens: each write is sent once and never retried; each
token of a batch gets its own :class:`~.results.Outcome`; at most ``ops.concurrency`` writes are
in flight; a lost answer is read back with GETs only.

* create: the deploy tokens of that name are listed first (one GET), so a lost answer is read
  back by listing them again: a new token of that name means it was created (its value is lost:
  revoke it and create another), none means it was not (safe to try again). Deploy tokens have
  no creation time to compare, hence the list before.
* revoke: GitLab's ``DELETE`` removes a deploy token (it is not kept as revoked); a lost answer
  is read back with ``GET``: gone or revoked means done, still active means not done.
* rotate: GitLab has none. :func:`successor_request` is the request for a new token with the
  same name, username and scopes and a new expiry; the old one stays until it is revoked.

A deploy token is never the credential tokentui uses (GitLab refuses them on its API), so
none of the in-use rules apply, and ids are compared within the deploy-token table only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tokentui.core.operations.batch import Operations
from tokentui.core.operations.results import BatchResult, Outcome, Status
from tokentui.core.operations.targets import (
    Target,
    refused,
)
from tokentui.core.write_outcome import Action, Finding, Verdict
from tokentui.gitlab.deploy_tokens import CreateDeployTokenRequest, create_body
from tokentui.gitlab.errors import GitLabError, OutcomeUnknown
from tokentui.gitlab.models import NewToken, Token
from tokentui.gitlab.sources import DeployTokens
from tokentui.gitlab.terminal_text import escape


async def create_deploy_token(
    ops: Operations, source: DeployTokens, request: CreateDeployTokenRequest
) -> Outcome:
    """Create one deploy token in ``source``; a done outcome's ``new_token`` is its row
    (``Token.key`` negative) with the value."""
    try:
        create_body(request)  # GitLab's rules, before anything is sent
    except ValueError as err:
        return Outcome(Action.CREATE, Status.REFUSED, reason=str(err))
    name = request.name.strip()
    client = ops.client
    try:
        before = {t.id for t in await client.list_tokens(source) if t.name == name}
    except GitLabError as err:  # nothing was sent
        return refused(Action.CREATE, None, err)
    try:
        new = await client.create_deploy_token(source.owner, request)
    except OutcomeUnknown as err:
        verdict = await after_create_deploy(ops, source, name=name, before=before, error=err)
        return Outcome(
            Action.CREATE, Status.UNKNOWN, token_id=verdict.token_id, error=err, verdict=verdict
        )
    except GitLabError as err:
        return refused(Action.CREATE, None, err)
    row = new.public().as_row(source.resource_type, source.resource_id)
    with_value = NewToken.model_validate({**row.model_dump(), "token": new.token})
    return Outcome(Action.CREATE, Status.DONE, token_id=new.id, new_token=with_value)


async def after_create_deploy(
    ops: Operations,
    source: DeployTokens,
    *,
    name: str,
    before: set[int],
    error: OutcomeUnknown,
) -> Verdict:
    """Read back a deploy-token create whose answer was lost: list the tokens of that name."""
    quoted = f"“{escape(name)}”"
    try:
        now = [t for t in await ops.client.list_tokens(source) if t.name == name]
    except GitLabError as err:
        return Verdict(
            Action.CREATE,
            Finding.UNKNOWN,
            f"tokentui cannot tell whether the deploy token {quoted} was created:",
            f"listing {escape(source.label)} failed too ({err}). Look at the list before "
            "trying again.",
        )
    new = sorted((t for t in now if t.id not in before and not t.revoked), key=lambda t: t.id)
    if not new:
        return Verdict(
            Action.CREATE,
            Finding.NOT_DONE,
            f"The deploy token {quoted} was not created.",
            "GitLab shows no new deploy token of that name: it is safe to try again.",
        )
    made = new[-1]
    return Verdict(
        Action.CREATE,
        Finding.DONE,
        f"The deploy token {quoted} was created, but its value is lost for good.",
        f"GitLab shows it as deploy token {made.id}; the answer that carried its value never "
        f"arrived. GitLab cannot rotate deploy tokens: revoke deploy token {made.id} and "
        "create another.",
        token_id=made.id,
        created=made,
    )


async def revoke_deploy_tokens(
    ops: Operations, source: DeployTokens, targets: Target | Sequence[Target]
) -> BatchResult:
    """Revoke (GitLab: delete) each of ``targets``, deploy tokens of ``source``: the layer's
    one revoke (:meth:`Operations.revoke`), which sends deploy tokens to their endpoints."""
    return await ops.revoke(source, targets)


def successor_request(old: Token, expires_at: date | None) -> CreateDeployTokenRequest:
    """A new deploy token like ``old`` (same name, username and scopes), expiring
    ``expires_at`` (None: never): what "rotate" means for a deploy token. The old one stays
    until it is revoked."""
    return CreateDeployTokenRequest(
        name=old.name, scopes=tuple(old.scopes), expires_at=expires_at, username=old.username
    )
