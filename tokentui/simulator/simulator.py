"""The :class:`Simulator`: a seeded GitLab instance you can serve, inspect and break."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.types import Receive, Scope, Send

from tokentui.simulator import seed
from tokentui.simulator.app import SimulatorApp
from tokentui.simulator.config import SimulatorConfig
from tokentui.simulator.faults import Faults, LoggedRequest
from tokentui.simulator.fleet import Fleet, seed_fleet
from tokentui.simulator.rate_limits import RateLimits
from tokentui.simulator.records import (
    PROJECT_BOT,
    SERVICE_ACCOUNT,
    DeployTokenRecord,
    TokenRecord,
    UserRecord,
    VariableRecord,
)
from tokentui.simulator.rules import DEPLOY_TOKEN_PREFIX, TokenKind
from tokentui.simulator.server import serve_app
from tokentui.simulator.state import State

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real time, aware UTC."""
    return datetime.now(UTC)


class Simulator:
    """A GitLab-compatible instance in memory.

    ``app`` is the ASGI app (``httpx.ASGITransport(app=sim.app)`` in process), :meth:`serve`
    runs it on a loopback port. ``admin_token``, ``user_token`` and ``maintainer_token`` are the
    credentials of root, alice and bob. ``clock`` (aware UTC) drives the seeded dates and every
    expiry decision.
    """

    def __init__(self, config: SimulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or utc_now
        self.state = State(seed=self.config.seed, prefix=self.config.token_prefix)
        now = self.now()
        seed.seed_cast(self.state, now, self.config.host)
        credentials = seed.seed_tokens(self.state, now, self.config.tokens, self.config.host)
        seed.seed_deploy_tokens(self.state, now)
        self.admin_token: str = credentials.admin
        self.user_token: str = credentials.user
        self.maintainer_token: str = credentials.maintainer
        #: The generated fleet (``SimulatorConfig.projects``/``groups``), else None.
        self.fleet: Fleet | None = None
        #: carol's credential (Owner of every top-level group of the fleet); fleet only.
        self.owner_token: str | None = None
        if self.config.projects or self.config.groups:
            self.fleet = seed_fleet(
                self.state,
                now,
                self.config.host,
                projects=self.config.projects,
                groups=self.config.groups,
            )
            self.owner_token = self.fleet.owner_token
        self.faults = Faults(
            seed=self.config.seed,
            latency_ms=self.config.latency_ms,
            fail_rate=self.config.fail_rate,
            drop_rate=self.config.drop_rate,
        )
        #: The authenticated API throttle (``SimulatorConfig.rate_limit``) and its counts.
        self.rate_limits = RateLimits(self.config.rate_limit, self.config.rate_limit_period)
        self.request_log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        #: Set while served (by :meth:`serve` or the test fixture).
        self.url: str | None = None
        self.app = SimulatorApp(self)

    def __repr__(self) -> str:
        return (
            f"Simulator(seed={self.config.seed}, tokens={len(self.state.tokens)}, url={self.url!r})"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The simulator is itself an ASGI app (its :attr:`app`)."""
        await self.app(scope, receive, send)

    def now(self) -> datetime:
        """The simulator's current time (aware UTC)."""
        moment = self.clock()
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

    def today(self) -> date:
        """Today's UTC date."""
        return self.now().date()

    def log_request(self, entry: LoggedRequest) -> None:
        """Append to :attr:`request_log` (thread-safe; called by the app)."""
        with self._log_lock:
            self.request_log.append(entry)

    def requests(self, method: str | None = None, path_contains: str = "") -> list[LoggedRequest]:
        """Logged requests filtered by method and path substring."""
        with self._log_lock:
            return [
                r
                for r in self.request_log
                if (method is None or r.method == method.upper()) and path_contains in r.path
            ]

    # -- test helpers ----------------------------------------------------------------------
    def issue_token(
        self,
        user_id: int,
        *,
        name: str,
        scopes: Sequence[str],
        expires_at: date | None = None,
        revoked: bool = False,
        description: str | None = None,
        impersonation: bool = False,
        last_used_at: datetime | None = None,
    ) -> str:
        """Add a token for ``user_id`` directly (no HTTP); returns its value.

        A project/group bot's token gets its resource; a service account's token is of kind
        service account. ``expires_at`` None means no expiry.
        """
        with self.state.lock:
            user = self.state.users[user_id]
            resource = self._bot_resource(user) if user.user_type == PROJECT_BOT else None
            kind = TokenKind.IMPERSONATION if impersonation else _kind_of(user)
            if resource is not None and resource[0] == "group":
                kind = TokenKind.GROUP  # a group bot is a project_bot user too
            record = TokenRecord(
                id=self.state.next_token_id(),
                name=name,
                user_id=user_id,
                scopes=tuple(scopes),
                created_at=self.now(),
                kind=kind,
                description=description,
                revoked=revoked,
                expires_at=expires_at,
                last_used_at=last_used_at,
                impersonation=impersonation,
                resource_type=resource[0] if resource else None,
                resource_id=resource[1] if resource else None,
            )
            return self.state.add_token(record)

    def issue_resource_token(
        self,
        resource_type: str,
        resource_id: int,
        *,
        name: str,
        scopes: Sequence[str],
        access_level: int = 40,
        expires_at: date | None = None,
        revoked: bool = False,
    ) -> str:
        """Add a project (``"project"``) or group (``"group"``) access token with a new bot
        user at ``access_level``; returns its value."""
        if resource_type not in ("project", "group"):
            raise ValueError("resource_type must be 'project' or 'group'")
        with self.state.lock:
            bot = seed.add_bot(
                self.state,
                resource_type,
                resource_id,
                name,
                access_level,
                random.Random(f"{self.config.seed}:{self.state.next_user_id()}"),
                self.config.host,
                self.now(),
            )
        if expires_at is None:
            expires_at = self.today() + timedelta(days=30)
        return self.issue_token(
            bot.id, name=name, scopes=scopes, expires_at=expires_at, revoked=revoked
        )

    def issue_deploy_token(
        self,
        resource_type: str,
        resource_id: int,
        *,
        name: str,
        scopes: Sequence[str] = ("read_repository",),
        username: str | None = None,
        expires_at: datetime | None = None,
        revoked: bool = False,
    ) -> str:
        """Add a deploy token to a project (``"project"``) or group (``"group"``) directly (no
        HTTP); returns its ``gldt-`` value. ``expires_at`` None means never."""
        if resource_type not in ("project", "group"):
            raise ValueError("resource_type must be 'project' or 'group'")
        with self.state.lock:
            record = DeployTokenRecord(
                id=self.state.next_deploy_token_id(),
                name=name,
                scopes=tuple(scopes),
                created_at=self.now(),
                resource_type=resource_type,
                resource_id=resource_id,
                username=username,
                expires_at=expires_at,
                revoked=revoked,
            )
            return self.state.add_deploy_token(record, prefix=DEPLOY_TOKEN_PREFIX)

    def deploy_token_record(self, value: str) -> DeployTokenRecord:
        """The record of a deploy token value (KeyError when unknown)."""
        with self.state.lock:
            record = self.state.deploy_token_by_secret(value)
        if record is None:
            raise KeyError("no such deploy token")
        return record

    def add_variable(
        self,
        owner_type: str,
        owner_id: int,
        key: str,
        value: str,
        *,
        masked: bool = False,
        protected: bool = False,
        hidden: bool = False,
        raw: bool = False,
        environment_scope: str = "*",
    ) -> VariableRecord:
        """Add a CI/CD variable to a project (``"project"``) or group (``"group"``) directly
        (no HTTP, no validation); returns its record."""
        record = VariableRecord(
            owner_type=owner_type,
            owner_id=owner_id,
            key=key,
            value=value,
            protected=protected,
            masked=masked or hidden,
            hidden=hidden,
            raw=raw,
            environment_scope=environment_scope,
        )
        with self.state.lock:
            self.state.variables_of(owner_type, owner_id).append(record)
            self.state.touch()
        return record

    def variable(
        self, owner_type: str, owner_id: int, key: str, environment_scope: str = "*"
    ) -> VariableRecord:
        """The stored variable (KeyError when there is none)."""
        with self.state.lock:
            for record in self.state.variables_of(owner_type, owner_id):
                if record.key == key and record.environment_scope == environment_scope:
                    return record
        raise KeyError(f"no variable {key} ({environment_scope})")

    def token_record(self, value: str) -> TokenRecord:
        """The record of a token value (KeyError when unknown)."""
        with self.state.lock:
            record = self.state.token_by_secret(value)
        if record is None:
            raise KeyError("no such token")
        return record

    def _bot_resource(self, user: UserRecord) -> tuple[str, int] | None:
        for project in self.state.projects.values():
            if user.id in project.members:
                return "project", project.id
        for group in self.state.groups.values():
            if user.id in group.members:
                return "group", group.id
        return None

    # -- serving ---------------------------------------------------------------------------
    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Iterator[str]:
        """Serve on ``host:port`` (0 = a free port) in a background thread; yields the URL.

        ``options`` go to ``uvicorn.Config``: ``ssl_certfile=..., ssl_keyfile=...`` serve HTTPS.
        """
        with serve_app(self.app, host, port, **options) as url:
            self.url = url
            try:
                yield url
            finally:
                self.url = None


def _kind_of(user: UserRecord) -> TokenKind:
    if user.user_type == SERVICE_ACCOUNT:
        return TokenKind.SERVICE_ACCOUNT
    if user.user_type == PROJECT_BOT:
        return TokenKind.PROJECT
    return TokenKind.PERSONAL
