"""Who owns a token, and so what kind it is: headless, shared by the TUI and the CLI.

GitLab's list of every user's tokens (``GET /personal_access_tokens`` as an administrator) holds
personal, impersonation, project-bot, group-bot and service-account tokens, and its entity has
no kind field (docs/client.md, "Telling token kinds apart"). The kind follows from the owner:

* ``GET /users/:id``: ``bot`` is true for token bots and service accounts; a token bot's
  username is ``project_<id>_bot_<hex>`` or ``group_<id>_bot_<hex>`` (the id is its resource's),
  a service account's ``service_account_...`` (or, for an administrator on Premium,
  ``provisioned_by_group_id`` is set);
* a human's token is an impersonation token when its id is in
  ``GET /users/:id/impersonation_tokens`` (administrators only; others never list one);
* a token bot's resource path comes from ``GET /projects/:id`` / ``GET /groups/:id``.

:class:`Ownership` caches what it learns: one lookup per distinct user (run concurrently), one
per resource; with ``bulk=True`` and an administrator viewer, many owners are placed from
``GET /users`` lists instead (``exclude_humans=true`` and ``humans=true``, 100 users a page):
a few round trips for thousands of owners, not one request each. Until a user is looked up,
:meth:`Ownership.kind` answers ``None`` (pending): callers show a pending mark, never a guess.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from tokentui.gitlab.errors import Forbidden, GitLabError, NotFound, Unauthorized
from tokentui.gitlab.models import Token, TokenKind, User
from tokentui.gitlab.sources import (
    DeployTokens,
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenSource,
)

if TYPE_CHECKING:
    from tokentui.gitlab.client import GitLabClient

log = logging.getLogger(__name__)

_K = TypeVar("_K")
_R = TypeVar("_R")

#: GitLab's token-bot usernames (``ResourceAccessTokens::CreateService``); older bots lack the
#: hex part and a name collision appends a digit.
_BOT_USERNAME = re.compile(r"^(project|group)_(\d+)_bot(?:_[0-9a-f]+)?\d*$")
_SERVICE_ACCOUNT_PREFIX = "service_account_"

#: Lookups in flight at once (each is one small GET).
DEFAULT_CONCURRENCY = 16
#: An administrator's bulk resolve reads ``GET /users`` lists (100 users a page) when more
#: owners than this are unknown; fewer are looked up one by one (a wave or two).
BULK_OWNERS = 2 * DEFAULT_CONCURRENCY
#: Rows of each ``GET /users`` list read per unknown owner, at most: ten rows a page cost what
#: one ``GET /users/:id`` costs, so the lists never cost more than a tenth of the per-owner
#: lookups they replace, even on an instance with many more users than owners (whoever the
#: lists did not reach is then looked up alone).
BULK_ROWS_PER_OWNER = 10


@dataclass(frozen=True, slots=True)
class Resource:
    """The project or group a token bot belongs to."""

    type: str  # "project" or "group"
    id: int | None = None
    #: Full path (``platform/api``), None until looked up (or not readable).
    path: str | None = None

    @property
    def label(self) -> str:
        """``platform/api (project)``; ``project 2`` while the path is unknown."""
        if self.path:
            return f"{self.path} ({self.type})"
        return f"{self.type} {self.id}"


def bot_resource(username: str) -> Resource | None:
    """The resource a token bot's username names (``project_2_bot_…`` -> project 2)."""
    match = _BOT_USERNAME.match(username)
    if match is None:
        return None
    return Resource(match.group(1), int(match.group(2)))


def user_kind(user: User) -> TokenKind | None:
    """The kind of a (non-impersonation) token owned by ``user``: PERSONAL for a human,
    PROJECT/GROUP for a token bot, SERVICE_ACCOUNT for a service account; None for a bot of
    another sort that tokentui cannot place."""
    if not user.bot:
        return TokenKind.PERSONAL
    resource = bot_resource(user.username)
    if resource is not None:
        return TokenKind.PROJECT if resource.type == "project" else TokenKind.GROUP
    if user.username.startswith(_SERVICE_ACCOUNT_PREFIX) or user.provisioned_by_group_id:
        return TokenKind.SERVICE_ACCOUNT
    return None


@dataclass(slots=True)
class OwnerInfo:
    """What is known about one token owner."""

    user: User | None
    #: Kind of this user's non-impersonation tokens (None: a bot tokentui cannot place).
    kind: TokenKind | None
    resource: Resource | None = None
    #: Ids of the user's impersonation tokens (humans, admin viewer), None when not looked up.
    impersonation_ids: frozenset[int] | None = None
    #: Tokens with an id up to this existed when ``impersonation_ids`` was read.
    checked_upto: int = 0
    #: The lookup failed (user gone, or no right to read it): the kind stays unknown.
    failed: bool = False


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a row of a mixed list (the everything scan, ``tokentui.core.everything``) lives,
    known from the list it was read from: its kind and resource need no lookup, and its
    writes go to ``source`` (the row decides, not the list on screen)."""

    #: None: a bot tokentui cannot place (shown as unknown, as without a placement).
    kind: TokenKind | None
    #: The source whose endpoints act on this row (revoke, rotate, read back).
    source: TokenSource
    resource: Resource | None = None
    #: The owner's username, when the row belongs to a user (personal, service account).
    owner: str | None = None


class Ownership:
    """Kind, owner and resource of tokens, resolved lazily and cached (see the module doc).

    ``viewer_is_admin`` matters: only an administrator's lists hold impersonation tokens, so
    for anyone else a human's token is personal as soon as the human is known.
    """

    def __init__(self, *, concurrency: int = DEFAULT_CONCURRENCY, bulk: bool = False) -> None:
        self.viewer: User | None = None
        #: Many owners to place (the CLI's lists): an administrator reads them from the
        #: ``GET /users`` lists (:meth:`_resolve_in_bulk`); for anyone else, once a bot shows
        #: its project or group, that resource's token list places all its bots at once
        #: (see :meth:`_sweep`).
        self.bulk = bulk
        self._sweeps: dict[tuple[str, int], asyncio.Future[None]] = {}
        self._waiting = 0
        self.viewer_is_admin = False
        self._owners: dict[int, OwnerInfo] = {}
        #: Rows placed by the list they came from, by :attr:`Token.key` (see :meth:`place`).
        self._placed: dict[int, Placement] = {}
        self._paths: dict[tuple[str, int], str | None] = {}
        self._path_lookups: dict[tuple[str, int], asyncio.Future[None]] = {}
        self._user_lookups: dict[int, asyncio.Future[OwnerInfo]] = {}
        self._semaphore = asyncio.Semaphore(concurrency)
        #: Usernames known (also for the rest of the app: dialogs, detail).
        self.usernames: dict[int, str] = {}

    # -- what is known ---------------------------------------------------------------------
    def set_viewer(self, viewer: User | None) -> None:
        """The signed-in user (their own tokens need no user lookup when not an admin)."""
        self.viewer = viewer
        self.viewer_is_admin = bool(viewer and viewer.is_admin)
        if viewer is not None:
            self.usernames[viewer.id] = viewer.username

    def clear(self) -> None:
        """Forget everything (another instance or credential)."""
        self.viewer = None
        self.viewer_is_admin = False
        self._owners.clear()
        self._paths.clear()
        self._path_lookups.clear()
        self._user_lookups.clear()
        self._sweeps.clear()
        self._placed.clear()
        self.usernames.clear()

    def place(self, token: Token, placement: Placement) -> None:
        """Record where ``token`` lives (by :attr:`Token.key`): :meth:`kind`,
        :meth:`resource` and :meth:`owner_text` answer from it, and no lookup is made."""
        self._placed[token.key] = placement
        if placement.owner and token.user_id is not None:
            self.usernames[token.user_id] = placement.owner
        found = placement.resource
        if found is not None and found.id is not None and found.path:
            self._paths.setdefault((found.type, found.id), found.path)

    def placement(self, token: Token) -> Placement | None:
        """Where ``token`` was placed by its list, or None."""
        return self._placed.get(token.key)

    def row_source(self, token: Token, source: TokenSource | None) -> TokenSource | None:
        """The source whose endpoints act on ``token``: its placement's, else ``source``."""
        placed = self._placed.get(token.key)
        return placed.source if placed is not None else source

    def owner(self, user_id: int | None) -> OwnerInfo | None:
        """What is known about ``user_id`` (None: not looked up yet)."""
        if user_id is None:
            return None
        info = self._owners.get(user_id)
        viewer = self.viewer
        # A non-admin's lists never hold impersonation tokens: the viewer is enough.
        own = viewer is not None and user_id == viewer.id and not self.viewer_is_admin
        if info is None and own and viewer is not None:
            return OwnerInfo(viewer, user_kind(viewer), self._resource_of(viewer))
        return info

    def kind(self, token: Token, source: TokenSource | None) -> TokenKind | None:
        """The token's kind, or None while its owner is not looked up (or cannot be placed)."""
        placed = self._placed.get(token.key)
        if placed is not None:
            return placed.kind
        if token.is_deploy:
            return TokenKind.DEPLOY
        if token.resource_type == "project":
            return TokenKind.PROJECT
        if token.resource_type == "group":
            return TokenKind.GROUP
        if token.impersonation:
            return TokenKind.IMPERSONATION
        if source is not None and not isinstance(source, PersonalTokens):
            return source.kind
        info = self.owner(token.user_id)
        if info is None or info.kind is None:
            return None
        if info.kind is not TokenKind.PERSONAL or token.impersonation is False:
            return info.kind
        if not self.viewer_is_admin:
            return TokenKind.PERSONAL
        if info.impersonation_ids is None:
            return None
        if token.id in info.impersonation_ids:
            return TokenKind.IMPERSONATION
        # A token newer than the impersonation list read (a rotation's successor): ask again.
        return TokenKind.PERSONAL if token.id <= info.checked_upto else None

    def resource(self, token: Token, source: TokenSource | None) -> Resource | None:
        """The project or group a project/group token belongs to (None for other kinds)."""
        placed = self._placed.get(token.key)
        if placed is not None:
            return placed.resource
        named = _source_resource(source)
        if named is not None:
            rtype, given = named
            if given.isdigit():
                rid = int(given)
                return Resource(rtype, rid, self._paths.get((rtype, rid)))
            return Resource(rtype, token.resource_id, given)
        if token.resource_type in ("project", "group") and token.resource_id is not None:
            key = (token.resource_type, token.resource_id)
            return Resource(token.resource_type, token.resource_id, self._paths.get(key))
        info = self.owner(token.user_id)
        if info is None or info.resource is None:
            return None
        found = info.resource
        return Resource(found.type, found.id, self._paths.get((found.type, found.id or 0)))

    def resource_text(self, token: Token, source: TokenSource | None) -> str | None:
        """Where the token lives, for the Resource sort: the project's or group's path, else
        the owning user's ``@username``; None while not known."""
        resource = self.resource(token, source)
        if resource is not None:
            return resource.path
        user_id = source.user_id if isinstance(source, ServiceAccountTokens) else token.user_id
        name = self.username(user_id)
        return f"@{name}" if name else None

    def facts(
        self, token: Token, source: TokenSource | None
    ) -> tuple[TokenKind | None, str | None]:
        """Kind and resource text of ``token`` (``tokentui.core.query.Facts``)."""
        return self.kind(token, source), self.resource_text(token, source)

    def username(self, user_id: int | None) -> str | None:
        """The username of ``user_id`` when known."""
        return self.usernames.get(user_id) if user_id is not None else None

    def owner_text(self, token: Token, source: TokenSource | None) -> str:
        """Who or what a token belongs to, in one line: ``platform/api (project)`` for a
        project/group token, ``@alice`` for anyone else (``user 7`` while unknown)."""
        resource = self.resource(token, source)
        if resource is not None:
            return resource.label
        user_id = token.user_id
        if isinstance(source, ServiceAccountTokens):
            user_id = source.user_id
        if user_id is None:
            return ""
        name = self.usernames.get(user_id)
        return f"@{name}" if name else f"user {user_id}"

    # -- lookups ---------------------------------------------------------------------------
    def needs_lookup(self, tokens: Iterable[Token], source: TokenSource | None) -> list[int]:
        """Owners of ``tokens`` whose kind, name or resource is not known yet (user ids)."""
        wanted: set[int] = set()
        placed = self._placed
        for token in tokens:
            uid = token.user_id
            if uid is None or uid in wanted:
                continue
            if token.key in placed and placed[token.key].kind is not None:
                continue  # its list said where it lives
            info = self.owner(uid)
            if info is None:
                wanted.add(uid)
            elif info.failed:
                continue
            elif self.kind(token, source) is None and info.kind is TokenKind.PERSONAL:
                wanted.add(uid)  # a token newer than the impersonation list read
            elif (
                info.resource is not None
                and info.resource.id is not None
                and (info.resource.type, info.resource.id) not in self._paths
            ):
                wanted.add(uid)
        return sorted(wanted)

    def needs_source_lookup(self, source: TokenSource | None) -> bool:
        """Whether the source names its project or group by id, whose path is not known."""
        named = _source_resource(source)
        if named is not None and named[1].isdigit():
            return (named[0], int(named[1])) not in self._paths
        return False

    async def resolve(
        self,
        client: GitLabClient,
        tokens: Iterable[Token],
        source: TokenSource | None,
    ) -> bool:
        """Look up the owners (and resources) of ``tokens`` not known yet, concurrently.

        Returns True when something was learnt. Authentication and transport errors propagate
        (the caller reports them); a user or resource that cannot be read stays unknown.
        """
        tokens = list(tokens)
        upto: dict[int, int] = {}
        for token in tokens:
            if token.user_id is not None:
                upto[token.user_id] = max(upto.get(token.user_id, 0), token.id)
        wanted = self.needs_lookup(tokens, source)
        jobs: list[Awaitable[object]] = []
        if self.bulk and self.viewer_is_admin and len(wanted) > BULK_OWNERS:
            jobs.append(self._resolve_in_bulk(client, wanted, upto))
        else:
            jobs.extend(self._resolve_user(client, uid, upto[uid]) for uid in wanted)
        named = _source_resource(source)
        if named is not None and self.needs_source_lookup(source):
            jobs.append(self._resolve_path(client, named[0], int(named[1])))
        if not jobs:
            return False
        await asyncio.gather(*jobs)
        if self._sweeps:
            await asyncio.gather(*self._sweeps.values())
        return True

    async def _resolve_in_bulk(
        self, client: GitLabClient, wanted: list[int], upto: Mapping[int, int]
    ) -> None:
        """Place many owners from an administrator's ``GET /users`` lists, 100 a page: every
        bot and service account (``exclude_humans=true``) and the humans (``humans=true``),
        both read at once (each list's pages concurrently). A human's impersonation list is
        read as soon as the humans are known, a bot's project or group path once the bots are;
        whoever the lists did not place (a list cut short, a user created meanwhile, a bot
        tokentui cannot place from the list entity) is looked up alone, as without ``bulk``.
        """
        limit = BULK_ROWS_PER_OWNER * len(wanted)
        pending = {uid for uid in wanted if uid not in self._owners}
        placed: set[int] = set()

        async def place(humans: bool) -> None:
            try:
                users = await client.list_users(
                    humans=humans or None, exclude_humans=not humans or None, limit=limit
                )
            except (NotFound, Forbidden) as err:  # not allowed after all: one by one
                log.info("user list unavailable: %s", err)
                return
            jobs: list[Awaitable[None]] = []
            resources: set[tuple[str, int]] = set()
            for user in users:
                if user.id not in pending or user.bot == humans:
                    continue  # not sought, or an entity without ``bot`` (read alone)
                kind = user_kind(user)
                if kind is None:
                    continue  # the single user's entity may say more (provisioned_by_group_id)
                info = OwnerInfo(user, kind, self._resource_of(user))
                self.usernames[user.id] = user.username
                self._owners[user.id] = info
                placed.add(user.id)
                if kind is TokenKind.PERSONAL:
                    jobs.append(self._resolve_user(client, user.id, upto[user.id]))
                elif info.resource is not None and info.resource.id is not None:
                    resources.add((info.resource.type, info.resource.id))
            # Impersonation lists (humans), one path per project or group (bots).
            jobs.extend(self._resolve_path(client, *key) for key in sorted(resources))
            await asyncio.gather(*jobs)

        await asyncio.gather(place(humans=True), place(humans=False))
        rest = [uid for uid in wanted if uid not in placed]
        await asyncio.gather(*(self._resolve_user(client, uid, upto[uid]) for uid in rest))

    async def _resolve_user(self, client: GitLabClient, user_id: int, upto: int) -> None:
        info = self._owners.get(user_id)
        if info is None and self.viewer is not None and user_id == self.viewer.id:
            info = OwnerInfo(self.viewer, user_kind(self.viewer), self._resource_of(self.viewer))
            self._owners[user_id] = info
        if info is None:
            info = await self._shared(self._user_lookups, user_id, self._read_user(client, user_id))
        if info.failed:
            return
        if info.kind is TokenKind.PERSONAL and self.viewer_is_admin and upto > info.checked_upto:
            await self._read_impersonation(client, info, user_id, upto)
        resource = info.resource
        if resource is not None and resource.id is not None:
            await self._resolve_path(client, resource.type, resource.id)

    @staticmethod
    async def _shared(
        table: dict[_K, asyncio.Future[_R]], key: _K, work: Coroutine[Any, Any, _R]
    ) -> _R:
        """Run ``work`` once per ``key`` while it is in flight; every caller gets its result."""
        pending = table.get(key)
        if pending is None:
            pending = asyncio.ensure_future(work)
            table[key] = pending
        else:
            work.close()
        try:
            return await asyncio.shield(pending)
        finally:
            if pending.done():
                table.pop(key, None)

    async def _read_user(self, client: GitLabClient, user_id: int) -> OwnerInfo:
        self._waiting += 1
        try:
            async with self._semaphore:
                self._waiting -= 1
                if self._sweeps:
                    # A resource's token list is on its way: it may place this user too.
                    await asyncio.gather(*self._sweeps.values())
                placed = self._owners.get(user_id)
                if placed is not None:
                    return placed  # placed by a resource's token list meanwhile
                user = await client.get_user(user_id)
        except (NotFound, Forbidden) as err:
            log.info("user %s unavailable: %s", user_id, err)
            info = OwnerInfo(None, None, failed=True)
        else:
            self.usernames[user_id] = user.username
            info = OwnerInfo(user, user_kind(user), self._resource_of(user))
            resource = info.resource
            # Worth a list of the resource's tokens only while many lookups are queued.
            if self.bulk and resource is not None and self._waiting > 2 * DEFAULT_CONCURRENCY:
                self._start_sweep(client, resource)
        self._owners[user_id] = info
        return info

    def _start_sweep(self, client: GitLabClient, resource: Resource) -> None:
        if resource.id is None or (resource.type, resource.id) in self._sweeps:
            return
        sweep = asyncio.ensure_future(self._sweep(client, resource.type, resource.id))
        self._sweeps[(resource.type, resource.id)] = sweep

    async def _sweep(self, client: GitLabClient, rtype: str, rid: int) -> None:
        """Place every bot of one project or group from its token list
        (``GET /projects|groups/:id/access_tokens``: every token of every bot of the resource,
        revoked and expired ones too, §4.13), instead of one ``GET /users/:id`` per bot."""
        source: TokenSource = (
            ProjectTokens(str(rid)) if rtype == "project" else GroupTokens(str(rid))
        )
        try:
            tokens = await client.list_tokens(source)
        except GitLabError as err:  # not allowed, gone, failing: the per-user lookups go on
            log.info("%s %s token list unavailable: %s", rtype, rid, err)
            return
        kind = TokenKind.PROJECT if rtype == "project" else TokenKind.GROUP
        for token in tokens:
            if token.user_id is not None and token.user_id not in self._owners:
                self._owners[token.user_id] = OwnerInfo(None, kind, Resource(rtype, rid))

    async def _read_impersonation(
        self, client: GitLabClient, info: OwnerInfo, user_id: int, upto: int
    ) -> None:
        try:
            async with self._semaphore:
                tokens = await client.list_tokens(ImpersonationTokens(user_id=user_id))
        except (NotFound, Forbidden, Unauthorized) as err:
            # Not an administrator after all (or the user is gone): kinds stay unknown.
            log.info("impersonation tokens of user %s unavailable: %s", user_id, err)
            info.failed = True
            return
        info.impersonation_ids = frozenset(t.id for t in tokens)
        info.checked_upto = max(upto, max(info.impersonation_ids, default=0))

    async def _resolve_path(self, client: GitLabClient, rtype: str, rid: int) -> None:
        """The path of one project or group: one request, shared by every caller."""
        key = (rtype, rid)
        if key not in self._paths:
            await self._shared(self._path_lookups, key, self._read_path(client, rtype, rid))

    async def _read_path(self, client: GitLabClient, rtype: str, rid: int) -> None:
        key = (rtype, rid)
        try:
            async with self._semaphore:
                if rtype == "project":
                    project = await client.get_project(rid)
                    self._paths[key] = project.path_with_namespace
                else:
                    group = await client.get_group(rid)
                    self._paths[key] = group.full_path
        except (NotFound, Forbidden) as err:
            log.info("%s %s unavailable: %s", rtype, rid, err)
            self._paths[key] = None  # not readable: shown by id

    @staticmethod
    def _resource_of(user: User) -> Resource | None:
        return bot_resource(user.username) if user.bot else None

    @property
    def names(self) -> Mapping[int, str]:
        """Known usernames by user id."""
        return self.usernames


def _source_resource(source: TokenSource | None) -> tuple[str, str] | None:
    """``(type, id or path)`` of the project or group a source lists the tokens of (its access
    tokens or its deploy tokens), else None."""
    if isinstance(source, ProjectTokens):
        return "project", source.resource
    if isinstance(source, GroupTokens):
        return "group", source.resource
    if isinstance(source, DeployTokens):
        return source.resource_type, source.resource
    return None
