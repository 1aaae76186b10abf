"""Create, rotate and revoke, with one policy for both fronts (see docs/operations.md).

* A write is sent once: never retried, never sent twice for a token listed twice.
* A batch runs at most ``concurrency`` writes at a time (an ``asyncio.Semaphore``).
* Every rotate is preceded by the pre-flight ``GET /personal_access_tokens/self``
  (:func:`~tokentui.gitlab.credential_check.check_before_rotate`): a credential rotated
  elsewhere never reaches a rotate endpoint, where GitLab's reuse detection would revoke its
  whole family. Once the credential is rejected, the batch sends nothing more.
* The credential in use is handled last: rotated through self-rotation (the new value is
  stored, :mod:`tokentui.core.self_rotation`); revoked only with ``allow_in_use``.
* A lost answer is read back (:mod:`tokentui.core.write_outcome`), never re-sent.

No Textual, no printing: the fronts render the :class:`~.results.Outcome` objects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from tokentui.core.expiry import Clock, system_clock
from tokentui.core.operations.results import BatchResult, Outcome, Status
from tokentui.core.operations.targets import (
    BatchState,
    Target,
    collect,
    is_deploy,
    listed,
    not_sent,
    refused,
    stop_if_dead,
    stopped,
    target_id,
    target_key,
    target_token,
    unknown,
)
from tokentui.core.self_rotation import SaveCredential, rotate_in_use
from tokentui.core.write_outcome import (
    Action,
    LostAnswer,
    after_create,
    after_revoke,
    after_revoke_deploy,
    after_rotate,
)
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.credential_check import check_before_rotate, token_in_use
from tokentui.gitlab.deploy_tokens import DeployTokenOwner
from tokentui.gitlab.errors import GitLabError, OutcomeUnknown, Unauthorized
from tokentui.gitlab.models import Token
from tokentui.gitlab.sources import DeployTokens, GroupTokens, ProjectTokens, TokenSource

#: Writes in flight at once in a batch, unless the caller says otherwise.
DEFAULT_CONCURRENCY = 4


class Operations:
    """The writes of one client session.

    ``save`` stores a new value of the credential in use (None: nowhere, e.g. ``GITLAB_TOKEN``);
    ``in_use_id`` is the id of the token the client authenticates with, as last known (the
    rotate pre-flight asks GitLab anyway; a revoke asks only when it is unknown).
    """

    def __init__(
        self,
        client: GitLabClient,
        *,
        save: SaveCredential | None = None,
        in_use_id: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        clock: Clock = system_clock,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.save = save
        self.in_use_id = in_use_id
        self.concurrency = concurrency
        self.clock = clock

    # -- create -------------------------------------------------------------------------------
    async def create(
        self, source: TokenSource, request: CreateTokenRequest, *, viewer_is_admin: bool
    ) -> Outcome:
        """Create one token in ``source``."""
        started = self.clock()
        try:
            new = await self.client.create_token(source, request, viewer_is_admin=viewer_is_admin)
        except OutcomeUnknown as err:
            verdict = await after_create(
                self.client, source, name=request.name.strip(), started_at=started, error=err
            )
            return Outcome(
                Action.CREATE, Status.UNKNOWN, token_id=verdict.token_id, error=err, verdict=verdict
            )
        except GitLabError as err:
            return refused(Action.CREATE, None, err)
        except ValueError as err:  # the client's own check of the request: nothing was sent
            return Outcome(Action.CREATE, Status.REFUSED, reason=str(err))
        return Outcome(Action.CREATE, Status.DONE, token_id=new.id, new_token=new)

    # -- rotate -------------------------------------------------------------------------------
    async def rotate(
        self,
        source: TokenSource,
        targets: Target | Sequence[Target],
        *,
        expires_at: date | None = None,
        expiries: Mapping[int, date | None] | None = None,
    ) -> BatchResult:
        """Rotate each of ``targets`` (tokens of ``source``) to ``expires_at`` (None: GitLab's
        default), or each to its own date in ``expiries`` (by :attr:`Token.key`; a spread,
        :mod:`tokentui.core.rotate_expiry`). The credential in use, when among them, is rotated
        last, through self-rotation. A deploy token is refused: GitLab cannot rotate one."""
        items = listed(targets)
        results: list[Outcome | None] = [None] * len(items)
        batch = BatchState()
        now: list[int] = []
        last: list[int] = []
        seen: set[int] = set()

        def expiry_of(index: int) -> date | None:
            key = target_key(items[index])
            return expiries.get(key, expires_at) if expiries is not None else expires_at

        for index, target in enumerate(items):
            token, key = target_token(target), target_key(target)
            if key in seen:
                results[index] = not_sent(Action.ROTATE, target, "it is listed twice")
            elif is_deploy(target):
                results[index] = not_sent(
                    Action.ROTATE,
                    target,
                    "GitLab has no rotate endpoint for deploy tokens (create a new one, then "
                    "revoke this one)",
                )
            elif token is not None and token.revoked:
                results[index] = not_sent(
                    Action.ROTATE, target, "it is revoked, and a revoked token cannot be rotated"
                )
            elif not source.can_rotate:
                results[index] = not_sent(
                    Action.ROTATE, target, f"tokens of {source.label} cannot be rotated"
                )
            else:
                (last if key == self.in_use_id else now).append(index)
            seen.add(key)

        found: set[int] = set()  # found in use by their own pre-flight

        async def by_id(index: int) -> None:
            outcome = await self._rotate_by_id(batch, source, items[index], expiry_of(index))
            if outcome is None:  # GitLab says it is the credential in use: last
                last.append(index)
                found.add(index)
            results[index] = outcome

        await self._bounded(by_id, now)
        for index in sorted(last):
            target = items[index]
            # Its pre-flight stands when no write was sent since (a single rotate).
            checked = index in found and batch.sent == 0
            results[index] = await self._rotate_in_use(
                batch,
                source,
                expiry_of(index),
                target_token(target),
                target_id(target),
                checked=checked,
            )
        return collect(Action.ROTATE, results)

    async def rotate_in_use(
        self,
        source: TokenSource | None = None,
        *,
        expires_at: date | None = None,
        old: Token | None = None,
    ) -> Outcome:
        """Rotate the credential in use (``rotate self``): the pre-flight, then self-rotation.
        ``source``: the project or group of a resource token (others rotate through
        ``/personal_access_tokens/self``); ``old``: the token in use as last read."""
        return await self._rotate_in_use(
            BatchState(), source, expires_at, old, old.id if old is not None else self.in_use_id
        )

    async def _rotate_by_id(
        self, batch: BatchState, source: TokenSource, target: Target, expires_at: date | None
    ) -> Outcome | None:
        """One rotate by id; None when the pre-flight finds it is the credential in use."""
        token, token_id = target_token(target), target_id(target)
        if batch.stopped is not None:
            return stopped(Action.ROTATE, target, batch.stopped)
        try:
            in_use = await check_before_rotate(self.client, token_id, last_known_id=self.in_use_id)
        except Unauthorized as err:
            batch.stopped = err
            return refused(Action.ROTATE, target, err)
        if in_use:
            return None
        if batch.stopped is not None:
            return stopped(Action.ROTATE, target, batch.stopped)
        started = self.clock()
        batch.sent += 1
        try:
            new = await self.client.rotate_token(source, token_id, expires_at=expires_at)
        except OutcomeUnknown as err:
            name = token.name if token is not None else None
            verdict = await after_rotate(
                self.client, source, token_id, name=name, started_at=started, error=err
            )
            return unknown(Action.ROTATE, target, err, verdict)
        except GitLabError as err:
            stop_if_dead(batch, err)
            return refused(Action.ROTATE, target, err)
        return Outcome(Action.ROTATE, Status.DONE, token=token, token_id=token_id, new_token=new)

    async def _rotate_in_use(
        self,
        batch: BatchState,
        source: TokenSource | None,
        expires_at: date | None,
        old: Token | None,
        token_id: int | None,
        *,
        checked: bool = False,
    ) -> Outcome:
        def refused(err: GitLabError) -> Outcome:
            return Outcome(
                Action.ROTATE,
                Status.REFUSED,
                token=old,
                token_id=token_id,
                reason=err.message,
                error=err,
                in_use=True,
            )

        if batch.stopped is not None:
            outcome = stopped(Action.ROTATE, token_id or 0, batch.stopped, in_use=True)
            return replace(outcome, token=old, token_id=token_id)
        try:
            if not checked:
                await check_before_rotate(self.client, None)
        except Unauthorized as err:
            batch.stopped = err
            return refused(err)
        # Only a project/group token rotates itself through its resource's path.
        resource = source if isinstance(source, ProjectTokens | GroupTokens) else None
        batch.sent += 1
        try:
            rotation = await rotate_in_use(
                self.client, self.save, source=resource, expires_at=expires_at, old=old
            )
        except LostAnswer as lost:
            cause = lost.__cause__
            return Outcome(
                Action.ROTATE,
                Status.UNKNOWN,
                token=old,
                token_id=token_id,
                error=cause if isinstance(cause, GitLabError) else None,
                verdict=lost.verdict,
                in_use=True,
            )
        except GitLabError as err:
            return refused(err)
        self.in_use_id = rotation.new_token.id
        return Outcome(
            Action.ROTATE,
            Status.DONE,
            token=old,
            token_id=token_id,
            new_token=rotation.new_token,
            in_use=True,
            self_rotation=rotation,
        )

    # -- revoke -------------------------------------------------------------------------------
    async def revoke(
        self,
        source: TokenSource,
        targets: Target | Sequence[Target],
        *,
        allow_in_use: bool = False,
    ) -> BatchResult:
        """Revoke each of ``targets`` (tokens of ``source``). The credential in use is refused
        unless ``allow_in_use`` (the user confirmed it); then it is revoked last.

        Deploy tokens (GitLab deletes them) go to their own endpoints: every target of a
        :class:`DeployTokens` source (bare ids too), and a deploy row of any list (its row
        names its project or group). A deploy token is never the credential in use."""
        items = listed(targets)
        results: list[Outcome | None] = [None] * len(items)
        batch = BatchState()
        deploy_source = isinstance(source, DeployTokens)
        if not allow_in_use and not deploy_source and self.in_use_id is None and items:
            try:
                current = await token_in_use(self.client)
            except Unauthorized as err:
                batch.stopped = err
            else:
                self.in_use_id = current.id if current is not None else None
        now: list[int] = []
        last: list[int] = []
        seen: set[int] = set()
        for index, target in enumerate(items):
            token, key = target_token(target), target_key(target)
            # Deploy tokens have ids of their own: never the credential in use.
            in_use = not deploy_source and key == self.in_use_id
            if key in seen:
                results[index] = not_sent(Action.REVOKE, target, "it is listed twice")
            elif token is not None and token.revoked:
                results[index] = not_sent(Action.REVOKE, target, "it is already revoked")
            elif (
                not deploy_source
                and token is not None
                and token.is_deploy
                and _deploy_owner(token) is None
            ):
                results[index] = not_sent(
                    Action.REVOKE, target, "the row does not say which project or group holds it"
                )
            elif in_use and not allow_in_use:
                results[index] = not_sent(
                    Action.REVOKE,
                    target,
                    "it is the token tokentui itself uses: revoking it locks this session "
                    "out, so it is revoked only when asked for explicitly",
                    in_use=True,
                )
            else:
                (last if in_use else now).append(index)
            seen.add(key)

        async def one(index: int) -> None:
            target = items[index]
            results[index] = await self._revoke_one(
                batch, source, target, in_use=target_key(target) == self.in_use_id
            )

        await self._bounded(one, now)
        for index in last:
            await one(index)
        return collect(Action.REVOKE, results)

    async def revoke_in_use(self, source: TokenSource, *, old: Token | None = None) -> Outcome:
        """Revoke the credential in use (``revoke self``: the call itself is the explicit ask).
        ``old``: the token in use as last read (words the read-back)."""
        token_id = old.id if old is not None else None
        try:
            await self.client.revoke_self()
        except OutcomeUnknown as err:
            name = old.name if old is not None else None
            verdict = await after_revoke(
                self.client, source, None, name=name, in_use=True, error=err
            )
            return Outcome(
                Action.REVOKE,
                Status.UNKNOWN,
                token=old,
                token_id=token_id,
                error=err,
                verdict=verdict,
                in_use=True,
            )
        except GitLabError as err:
            return Outcome(
                Action.REVOKE,
                Status.REFUSED,
                token=old,
                token_id=token_id,
                reason=err.message,
                error=err,
                in_use=True,
            )
        return Outcome(Action.REVOKE, Status.DONE, token=old, token_id=token_id, in_use=True)

    async def _revoke_one(
        self, batch: BatchState, source: TokenSource, target: Target, *, in_use: bool
    ) -> Outcome:
        token, token_id = target_token(target), target_id(target)
        if batch.stopped is not None:
            return stopped(Action.REVOKE, target, batch.stopped, in_use=in_use)
        owner = _deploy_owner(token) if token is not None and token.is_deploy else None
        if isinstance(source, DeployTokens):
            owner = source.owner
        batch.sent += 1
        try:
            if owner is not None:
                await self.client.revoke_deploy_token(owner, token_id)
            else:
                await self.client.revoke_token(source, token_id)
        except OutcomeUnknown as err:
            name = token.name if token is not None else None
            if owner is not None:
                verdict = await after_revoke_deploy(
                    self.client, owner, token_id, name=name, error=err
                )
            else:
                verdict = await after_revoke(
                    self.client, source, token_id, name=name, in_use=in_use, error=err
                )
            return unknown(Action.REVOKE, target, err, verdict, in_use=in_use)
        except GitLabError as err:
            stop_if_dead(batch, err)
            return refused(Action.REVOKE, target, err, in_use=in_use)
        return Outcome(Action.REVOKE, Status.DONE, token=token, token_id=token_id, in_use=in_use)

    # -- shared -------------------------------------------------------------------------------

    async def _bounded(self, work: Callable[[int], Awaitable[None]], indexes: list[int]) -> None:
        """Run ``work`` for each index, at most ``concurrency`` at a time. Each runs once."""
        gate = asyncio.Semaphore(self.concurrency)

        async def gated(index: int) -> None:
            async with gate:
                await work(index)

        await asyncio.gather(*(gated(index) for index in indexes))


def _deploy_owner(token: Token) -> DeployTokenOwner | None:
    """The project or group holding a deploy-token row (its endpoints are under it); None
    when the row does not say."""
    if token.resource_id is None:
        return None
    if token.resource_type == "project":
        return DeployTokenOwner("project", token.resource_id)
    if token.resource_type == "group":
        return DeployTokenOwner("group", token.resource_id)
    return None
