"""One request as the handlers see it: parameters, clock, and the authenticated caller."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from tokentui.simulator import errors, rules
from tokentui.simulator.params import Params
from tokentui.simulator.records import TokenRecord, UserRecord
from tokentui.simulator.state import State

if TYPE_CHECKING:
    from tokentui.simulator.config import SimulatorConfig

#: GitLab's reuse-detection path test (``access_token_rotation_request?``).
ROTATION_PATH = re.compile(r"access_tokens/(\d+|self)/rotate$")
#: GitLab updates ``last_used_at`` at most this often.
LAST_USED_INTERVAL = timedelta(minutes=10)
#: Every scope (endpoints that accept any scope, e.g. ``/personal_access_tokens/self``).
ANY_SCOPE: tuple[str, ...] = rules.ALL_AVAILABLE_SCOPES


@dataclass
class Ctx:
    """Request context. ``user``/``token`` are set by :meth:`authenticate`."""

    state: State
    config: SimulatorConfig
    method: str
    path: str
    params: Params = field(repr=False)
    #: Request headers, lower-case names. May hold the credential: never in a repr.
    headers: dict[str, str] = field(repr=False)
    client_ip: str
    base_url: str
    raw_path: str
    query_string: str
    now: datetime
    user: UserRecord | None = None
    token: TokenRecord | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def today(self) -> date:
        """Today's date in UTC (token expiry works on UTC dates)."""
        return self.now.date()

    @property
    def is_admin(self) -> bool:
        """Whether the caller is an administrator (Admin Mode is off in the simulator)."""
        return bool(self.user and self.user.is_admin)

    def credential(self) -> str | None:
        """The token sent: ``PRIVATE-TOKEN``, ``private_token=`` or ``Authorization: Bearer``."""
        value = self.headers.get("private-token")
        if value:
            return value.strip()
        query = self.params.raw("private_token")
        if isinstance(query, str) and query:
            return query.strip()
        auth = self.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        return None

    def authenticate(self, scopes: tuple[str, ...] | None = None) -> UserRecord:
        """GitLab's ``authenticate!`` with the endpoint's accepted ``scopes``.

        Default scopes: ``api`` and, for GET/HEAD, ``read_api``. Order of checks as in
        ``AccessTokenValidationService``: expired, revoked (plus family revocation on a rotate
        path), scope.
        """
        if scopes is None:
            scopes = ("api", "read_api") if self.method in ("GET", "HEAD") else ("api",)
        value = self.credential()
        if not value:
            raise errors.unauthorized()
        token = self.state.token_by_secret(value)
        if token is None or token.user_id not in self.state.users:
            raise errors.unauthorized()
        if token.expired(self.today):
            raise errors.token_expired()
        if token.revoked:
            if ROTATION_PATH.search(self.path):
                self.revoke_family(token)
            raise errors.token_revoked()
        if not set(token.scopes) & set(scopes):
            raise errors.insufficient_scope(scopes)
        user = self.state.users[token.user_id]
        if user.state != "active":
            raise errors.forbidden(f"Your account has been {user.state}.")
        self._mark_used(token)
        self.user, self.token = user, token
        sudo = self.headers.get("sudo") or self.params.raw("sudo")
        if isinstance(sudo, str | int) and not isinstance(sudo, bool) and str(sudo).strip():
            self.user = self._sudo(str(sudo).strip(), user, token)
        return self.user

    def _sudo(self, identifier: str, user: UserRecord, token: TokenRecord) -> UserRecord:
        """GitLab's ``sudo!``: an admin's token with the ``sudo`` scope acts as another user."""
        if not user.is_admin:
            raise errors.forbidden("Must be admin to use sudo")
        if "sudo" not in token.scopes:
            raise errors.insufficient_scope(("sudo",))
        target = (
            self.state.users.get(int(identifier))
            if identifier.isdigit()
            else self.state.user_by_username(identifier)
        )
        if target is None:
            raise errors.not_found(f"User with ID or username '{identifier}'")
        return target

    def revoke_family(self, token: TokenRecord) -> None:
        """Reuse detection: revoke every active descendant of ``token``."""
        for child in self.state.descendants(token):
            if not child.revoked:
                child.revoked = True
        self.state.touch()

    def _mark_used(self, token: TokenRecord) -> None:
        changed = False
        if token.last_used_at is None or self.now - token.last_used_at >= LAST_USED_INTERVAL:
            token.last_used_at = self.now
            changed = True
        if not token.last_used_ips or token.last_used_ips[0] != self.client_ip:
            ips = [ip for ip in token.last_used_ips if ip != self.client_ip]
            token.last_used_ips = [self.client_ip, *ips][:5]
            changed = True
        if changed:
            self.state.touch()

    def require_admin(self) -> None:
        """``authenticated_as_admin!`` (after authenticate)."""
        if not self.is_admin:
            raise errors.forbidden()
