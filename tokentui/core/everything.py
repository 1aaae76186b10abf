"""The "everything I manage" scan: every token the signed-in account is responsible for, of every
kind, in one list (issue 13; docs/everything.md). Headless: the store streams it into the TUI,
the CLI prints it.

What is read (gitlab-api.md §7.1-§7.3):

* a regular user: their own personal tokens; the access tokens and deploy tokens of every
  project where they are Maintainer or Owner (``GET /projects?min_access_level=40``, keyset)
  and of every group where they are Owner (``GET /groups?min_access_level=50``: direct Owner
  groups and all their subgroups); the service accounts of those groups and their tokens;
* an administrator: every user's tokens (``GET /personal_access_tokens``: personal,
  impersonation, project-bot, group-bot and service-account tokens, their kind and resource
  resolved by :class:`~tokentui.core.ownership.Ownership` in bulk), and every deploy token
  (``GET /deploy_tokens``). GitLab's deploy-token entity names no project or group, so the
  instance list only says which tokens exist; each one's project or group is found by reading
  the deploy-token lists of every project and group, a walk that stops as soon as every token
  of the instance list is placed. A token in no list read becomes a problem.

Every row is placed (:class:`~tokentui.core.ownership.Placement`) by the list it came from:
kind, resource and the source its writes go to, without a request per row. Rows are deduplicated
by :attr:`Token.key`. A project or group that cannot be read (403, 404, or a failure the
client's retries did not get past) becomes a :class:`Problem`, not a failed scan; a 401 ends
the scan (the credential is the problem). Cancelling the task that runs :meth:`Scan.run` keeps
what was read (``complete`` stays False).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from tokentui.core.ownership import Ownership, Placement, Resource
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.credential_check import dead_credential
from tokentui.gitlab.deploy_tokens import DeployTokenOwner
from tokentui.gitlab.errors import GitLabError, Unauthorized
from tokentui.gitlab.models import DeployToken, Group, Project, Token, TokenKind, User
from tokentui.gitlab.sources import (
    DeployTokens,
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenSource,
    resolve_source,
)
from tokentui.gitlab.terminal_text import escape

log = logging.getLogger(__name__)

#: What the source picker and the header call this source.
LABEL = "everything I manage"
#: Its name as a source choice (``--everything``, the picker's first entry).
CHOICE = "everything"
#: Projects and groups read at once (each is a few small requests, two for a project: its
#: access tokens and its deploy tokens). 16 keeps ~32 requests in flight: over a 30 ms link
#: 2,000 projects take ~4 s of round trips, 8 took ~8 s (docs/performance.md, P7).
DEFAULT_CONCURRENCY = 16
#: ``min_access_level`` of the projects and groups scanned (GitLab's Maintainer and Owner).
MAINTAINER = 40
OWNER = 50


@dataclass(frozen=True)
class Everything(PersonalTokens):
    """The "everything I manage" source: a scan (:class:`Scan`), not one list.

    It is a :class:`PersonalTokens` of every user (``user_id`` None) so that a row no list has
    placed yet is treated as a row of the administrator's list of everyone's tokens (its kind
    pending until its owner is known). ``concurrency`` bounds the projects and groups read at
    once; ``max_rate`` (requests per second, None: no cap) is handed to the client's rate
    limiter (:func:`apply_max_rate`).
    """

    concurrency: int = DEFAULT_CONCURRENCY
    max_rate: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.concurrency < 1:
            raise ValueError("the scan's concurrency must be at least 1")
        if self.max_rate is not None and self.max_rate <= 0:
            raise ValueError("the maximum request rate must be a positive number")

    @property
    def label(self) -> str:
        return LABEL

    def create_route(self, *, viewer_is_admin: bool) -> None:
        return None  # a new token goes to one project, group or user: pick that source


def resolve_choice(
    choice: str | None, value: str | None, *, viewer_id: int, viewer_is_admin: bool
) -> TokenSource:
    """:func:`~tokentui.gitlab.sources.resolve_source`, and ``everything`` (:data:`CHOICE`)
    for :class:`Everything` (the scan is a core matter, so the API layer does not know it).
    Raises ``ValueError`` with a user-ready message."""
    if choice == CHOICE:
        return Everything()
    return resolve_source(choice, value, viewer_id=viewer_id, viewer_is_admin=viewer_is_admin)


def apply_max_rate(client: GitLabClient, max_rate: float | None) -> None:
    """Hand ``max_rate`` (requests per second) to the client's rate limiter.

    The limiter itself is the client's (``GitLabClient.rate_gate``, which also follows GitLab's
    ``RateLimit-*`` headers and ``429 Retry-After``)."""
    if max_rate is None:
        return
    if not max_rate > 0:
        raise ValueError("max_rate must be a positive number of requests per second")
    client.rate_gate.max_rate = max_rate


@dataclass(frozen=True, slots=True)
class Problem:
    """A project, group or list the scan could not read: what, and why (in words)."""

    resource: str
    reason: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.reason}"


@dataclass(slots=True)
class Phase:
    """One counted part of the scan: ``done`` of ``found`` (``listed``: every one is found)."""

    noun: str
    done: int = 0
    found: int = 0
    listed: bool = False

    def text(self) -> str:
        """``412 of 1,240 projects`` (``412 of 1,240+ projects`` while still being listed)."""
        more = "" if self.listed else "+"
        return f"{self.done:,} of {self.found:,}{more} {self.noun}"


@dataclass(slots=True)
class Progress:
    """How far the scan is: rows so far, and each phase's count."""

    rows: int = 0
    phases: dict[str, Phase] = field(default_factory=dict)
    problems: int = 0

    def phase(self, name: str, noun: str | None = None) -> Phase:
        """The phase called ``name`` (created on first use)."""
        found = self.phases.get(name)
        if found is None:
            found = self.phases[name] = Phase(noun or name)
        return found

    def text(self) -> str:
        """``412 of 1,240 projects, 3 of 20 groups`` (the header and stderr show it)."""
        parts = [phase.text() for phase in self.phases.values()]
        return ", ".join(parts) if parts else "starting"


Rows = Callable[[list[Token]], None]
Notify = Callable[[Progress], None]
Report = Callable[[Problem], None]


def _ignore(_: object) -> None:
    return None


class Scan:
    """One run of the everything scan for ``client``'s account (see the module doc).

    ``ownership`` receives a placement per row (and, for an administrator, resolves the owners
    of the instance list in bulk); ``on_rows`` gets each batch of new rows as it arrives (never
    a row twice), ``on_progress`` each change of :attr:`progress`, ``on_problem`` each problem,
    ``on_placed`` when rows handed on earlier got their placement (an administrator's rows are
    shown as their pages arrive, and placed once every owner is resolved).
    """

    def __init__(
        self,
        client: GitLabClient,
        ownership: Ownership,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_rows: Rows = _ignore,
        on_progress: Notify = _ignore,
        on_problem: Report = _ignore,
        on_placed: Callable[[], None] = lambda: None,
        hold: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.on_placed = on_placed
        #: A regular user's projects and groups are walked once this returns (a UI paints
        #: its first screen before their answers compete with it); their own tokens go at once.
        self.hold = hold
        self.ownership = ownership
        self.on_rows = on_rows
        self.on_progress = on_progress
        self.on_problem = on_problem
        self._limit = asyncio.Semaphore(concurrency)
        self.rows: dict[int, Token] = {}
        self.problems: list[Problem] = []
        self.progress = Progress()
        #: Every project and group was read (or reported as a problem).
        self.complete = False
        self.viewer: User | None = None

    # -- running -------------------------------------------------------------------------
    async def run(self, viewer: User | None = None) -> list[Token]:
        """Scan to the end; returns the rows (also in :attr:`rows`). Raises the 401 (or a
        failure of a list the scan cannot do without) that ended it."""
        if viewer is None:
            viewer = await self.client.current_user()
        self.viewer = viewer
        self.ownership.set_viewer(viewer)
        if viewer.is_admin:
            await self._scan_instance()
        else:
            await self._scan_managed(viewer)
        self.complete = True
        self._notify()
        return list(self.rows.values())

    def _emit(self, placed: Iterable[tuple[Token, Placement]]) -> None:
        """Place and hand on the rows not seen yet (by :attr:`Token.key`)."""
        new: list[Token] = []
        for token, placement in placed:
            self.ownership.place(token, placement)
            if token.key in self.rows:
                continue
            self.rows[token.key] = token
            new.append(token)
        if new:
            self.progress.rows = len(self.rows)
            self.on_rows(new)
            self._notify()

    def _problem(self, resource: str, err: GitLabError | str) -> None:
        reason = err if isinstance(err, str) else _reason(err)
        problem = Problem(escape(resource), reason)
        self.problems.append(problem)
        self.progress.problems = len(self.problems)
        log.info("everything scan: %s", problem)
        self.on_problem(problem)
        self._notify()

    def _notify(self) -> None:
        self.on_progress(self.progress)

    async def _guarded(self, resource: str, work: Awaitable[None]) -> bool:
        """Run one resource's reads; a refusal or a failure past the client's retries is a
        problem (False). A 401 ends the scan when the credential itself is dead; GitLab also
        answers 401 where the account may not list a resource's tokens (§4.13), and that is a
        problem like a 403."""
        try:
            async with self._limit:
                await work
        except Unauthorized as err:
            if await dead_credential(self.client, err) is not None:
                raise
            self._problem(resource, f"not allowed (HTTP 401): {err.message}")
            return False
        except GitLabError as err:
            self._problem(resource, err)
            return False
        return True

    # -- a regular user ------------------------------------------------------------------
    async def _scan_managed(self, viewer: User) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._own_tokens(viewer))
            tasks.create_task(self._walk_all(tasks))

    async def _walk_all(self, tasks: asyncio.TaskGroup) -> None:
        if self.hold is not None:
            await self.hold()
        tasks.create_task(self._walk_projects(tasks, min_access_level=MAINTAINER))
        tasks.create_task(self._walk_groups(tasks))

    async def _own_tokens(self, viewer: User) -> None:
        source = PersonalTokens(user_id=viewer.id, mine=True)
        placement = Placement(TokenKind.PERSONAL, source, owner=viewer.username)
        async for page in self.client.iter_token_pages(source):
            self._emit((token, placement) for token in page.items)

    async def _walk_projects(
        self, tasks: asyncio.TaskGroup, *, min_access_level: int | None
    ) -> None:
        phase = self.progress.phase("projects")
        async for projects in self.client.iter_project_pages(min_access_level=min_access_level):
            for project in projects:
                phase.found += 1
                tasks.create_task(self._project(project, phase))
            self._notify()
        phase.listed = True
        self._notify()

    async def _project(self, project: Project, phase: Phase) -> None:
        path = project.path_with_namespace
        resource = Resource("project", project.id, path)

        async def read() -> None:
            source = ProjectTokens(path)
            tokens, deploy = await asyncio.gather(
                self.client.list_tokens(source),
                self.client.list_deploy_tokens(DeployTokenOwner("project", project.id)),
            )
            self._emit((t, Placement(TokenKind.PROJECT, source, resource)) for t in tokens)
            self._emit_deploy(deploy, resource)

        await self._guarded(f"project {path}", read())
        phase.done += 1
        self._notify()

    async def _walk_groups(self, tasks: asyncio.TaskGroup) -> None:
        phase = self.progress.phase("groups")
        groups = await self.client.list_groups(min_access_level=OWNER)
        phase.found = len(groups)
        phase.listed = True
        self._notify()
        for group in groups:
            tasks.create_task(self._group(group, phase))

    async def _group(self, group: Group, phase: Phase) -> None:
        path = group.full_path
        resource = Resource("group", group.id, path)

        async def read() -> None:
            source = GroupTokens(path)
            tokens, deploy, accounts = await asyncio.gather(
                self.client.list_tokens(source),
                self.client.list_deploy_tokens(DeployTokenOwner("group", group.id)),
                self.client.list_service_accounts(group.id),
            )
            self._emit((t, Placement(TokenKind.GROUP, source, resource)) for t in tokens)
            self._emit_deploy(deploy, resource)
            for found in await asyncio.gather(
                *(self._account_tokens(path, account.id) for account in accounts)
            ):
                account_source, rows = found
                owner = next(a.username for a in accounts if a.id == account_source.user_id)
                placement = Placement(TokenKind.SERVICE_ACCOUNT, account_source, owner=owner)
                self._emit((t, placement) for t in rows)

        await self._guarded(f"group {path}", read())
        phase.done += 1
        self._notify()

    async def _account_tokens(
        self, group: str, user_id: int
    ) -> tuple[ServiceAccountTokens, list[Token]]:
        source = ServiceAccountTokens(group=group, user_id=user_id)
        return source, await self.client.list_tokens(source)

    def _emit_deploy(self, deploy: list[DeployToken], resource: Resource) -> None:
        rtype: Literal["project", "group"] = "project" if resource.type == "project" else "group"
        source = DeployTokens(rtype, resource.path or str(resource.id))
        placement = Placement(TokenKind.DEPLOY, source, resource)
        self._emit((token.as_row(rtype, resource.id), placement) for token in deploy)

    # -- an administrator ----------------------------------------------------------------
    async def _scan_instance(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._every_token())
            tasks.create_task(self._every_deploy_token())

    async def _every_token(self) -> None:
        """Every access token of the instance, streamed as pages arrive; then every owner
        resolved at once (``GET /users`` lists, :class:`Ownership` bulk mode) and each row
        placed with its kind, resource and write source."""
        every = PersonalTokens(user_id=None)
        phase = self.progress.phase("tokens", "tokens")
        tokens: list[Token] = []
        async for page in self.client.iter_token_pages(every):
            tokens.extend(page.items)
            phase.done = len(tokens)
            phase.found = page.total if page.total is not None else len(tokens)
            # Shown at once, kinds pending; placed below once the owners are known.
            new = [t for t in page.items if t.key not in self.rows]
            for token in new:
                self.rows[token.key] = token
            self.progress.rows = len(self.rows)
            if new:
                self.on_rows(new)
            self._notify()
        phase.found = phase.done = len(tokens)
        phase.listed = True
        self._notify()
        ownership = self.ownership
        bulk = ownership.bulk
        ownership.bulk = True
        try:
            await ownership.resolve(self.client, tokens, every)
        finally:
            ownership.bulk = bulk
        self._emit((token, self._instance_placement(token, every)) for token in tokens)
        self.on_placed()

    def _instance_placement(self, token: Token, every: PersonalTokens) -> Placement:
        ownership = self.ownership
        kind = ownership.kind(token, every)
        resource = ownership.resource(token, every)
        uid = token.user_id
        info = ownership.owner(uid)
        owner = ownership.username(uid)
        source: TokenSource = PersonalTokens(user_id=uid)
        if kind is TokenKind.IMPERSONATION and uid is not None:
            source = ImpersonationTokens(user_id=uid)
        elif kind in (TokenKind.PROJECT, TokenKind.GROUP) and resource is not None:
            where = resource.path or str(resource.id)
            source = ProjectTokens(where) if resource.type == "project" else GroupTokens(where)
            owner = None
        elif kind is TokenKind.SERVICE_ACCOUNT and uid is not None:
            user = info.user if info is not None else None
            group = user.provisioned_by_group_id if user is not None else None
            if group is not None:
                source = ServiceAccountTokens(group=str(group), user_id=uid)
        return Placement(kind, source, resource, owner)

    async def _every_deploy_token(self) -> None:
        """Every deploy token (``GET /deploy_tokens``), placed in its project or group by
        walking the per-resource lists until none is left to place."""
        try:
            every = await self.client.list_deploy_tokens()
        except Unauthorized:
            raise
        except GitLabError as err:
            self._problem("the instance's deploy tokens", err)
            return
        wanted = {token.id: token for token in every}
        if not wanted:
            return
        phase = self.progress.phase("deploy", "deploy-token lists")
        done = asyncio.Event()

        async def place(kind: Literal["project", "group"], rid: int, path: str) -> None:
            if done.is_set():
                phase.done += 1
                return
            resource = Resource(kind, rid, path)

            async def read() -> None:
                found = await self.client.list_deploy_tokens(DeployTokenOwner(kind, rid))
                for token in found:
                    wanted.pop(token.id, None)
                self._emit_deploy(found, resource)
                if not wanted:
                    done.set()

            await self._guarded(f"{kind} {path}", read())
            phase.done += 1
            self._notify()

        async with asyncio.TaskGroup() as walk:

            async def walk_groups() -> None:
                for group in await self.client.list_groups(all_available=True):
                    phase.found += 1
                    walk.create_task(place("group", group.id, group.full_path))

            async def walk_projects() -> None:
                async for projects in self.client.iter_project_pages():
                    if done.is_set():
                        return
                    for project in projects:
                        phase.found += 1
                        walk.create_task(place("project", project.id, project.path_with_namespace))
                    self._notify()

            walk.create_task(walk_groups())
            walk.create_task(walk_projects())
        phase.listed = True
        phase.done = phase.found
        self._notify()
        for token in sorted(wanted.values(), key=lambda t: t.id):
            self._problem(
                f"deploy token {token.id} “{token.name}”",
                "in GitLab's instance list but in no project or group list read: its project "
                "or group is unknown",
            )


def _reason(err: GitLabError) -> str:
    """A problem's reason: ``HTTP 404: 404 Project Not Found`` (the status and GitLab's own
    words, made safe for a terminal) when GitLab answered, else the error's sentence."""
    status = getattr(err, "status", None)
    body = getattr(err, "gitlab_message", None)
    said = body.get("message") or body.get("error") if isinstance(body, dict) else None
    if status and isinstance(said, str) and said:
        return f"HTTP {status}: {escape(said)}"
    return err.message


async def scan(
    client: GitLabClient,
    ownership: Ownership | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_rows: Rows = _ignore,
    on_progress: Notify = _ignore,
    on_problem: Report = _ignore,
) -> Scan:
    """Run a whole scan and return it (rows, problems, progress): for scripts and the CLI."""
    job = Scan(
        client,
        ownership or Ownership(bulk=True),
        concurrency=concurrency,
        on_rows=on_rows,
        on_progress=on_progress,
        on_problem=on_problem,
    )
    await job.run()
    return job
