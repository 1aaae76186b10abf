"""Leak response: what a pasted token value is, and revoking it (gitlab-api.md §7.4, §7.5, §7.8).

Headless: the fronts (``tokentui identify``, the TUI's ``i`` dialog) read the value without
echoing it, call :func:`identify`, show the :class:`Identity`, and ask before :func:`revoke`.

* The text first (:func:`tokentui.gitlab.token_formats.recognise`): the family by prefix, the
  routable payload's owner id, offline.
* An access token (or a value of no known prefix) is looked up with the value itself:
  ``GET /personal_access_tokens/self`` (any scope), then ``GET /user`` (needs ``read_user``,
  ``read_api`` or ``api``) and, for a bot, ``…/self/associations`` (its project or group).
* When that is impossible (expired, revoked, a deploy or other token) and the configured
  credential is an administrator's: ``POST /admin/token``, which finds expired and revoked ones too.
* :func:`revoke`: with the value itself (``DELETE /personal_access_tokens/self``), else by id
  with the configured credential (owner or admin), else ``DELETE /admin/token``; the
  :class:`Revocation` says which. Each is one request, never repeated; a refusal moves on to
  the next way, a lost answer stops with what GitLab says now.

The value is a :class:`~pydantic.SecretStr` throughout; it is sent as a credential header or in
a JSON body, never in a URL, and is never part of a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import SecretStr

from tokentui.core.operations import Operations, Status
from tokentui.core.ownership import bot_resource, user_kind
from tokentui.core.write_outcome import Verdict
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import (
    ApiError,
    Forbidden,
    GitLabError,
    InsufficientScope,
    NotFound,
    OutcomeUnknown,
    Unauthorized,
    ValidationFailed,
)
from tokentui.gitlab.models import DeployToken, Token, TokenKind, User
from tokentui.gitlab.sources import PersonalTokens
from tokentui.gitlab.token_formats import TokenFormat, ValueKind, recognise

#: A client for the instance with a given credential (``Connection.client_for``).
ClientFactory = Callable[[SecretStr], GitLabClient]

SELF_LOOKUP = "the value itself (GET /personal_access_tokens/self)"
ADMIN_LOOKUP = "an administrator's credential (POST /admin/token)"


@dataclass(frozen=True, slots=True)
class Identity:
    """What a value is. ``found``: GitLab knows it; ``via`` how it was looked up; ``state``
    ``active``, ``expired``, ``revoked`` or ``unknown``; ``notes`` what could not be learnt."""

    format: TokenFormat
    found: bool
    via: str = ""
    state: str = "unknown"
    kind: str = ""
    token: Token | None = None
    deploy_token: DeployToken | None = None
    other: Mapping[str, Any] | None = None
    owner: User | None = None
    resource: str | None = None
    #: The value authenticates (``…/self`` answered): it can revoke itself.
    usable: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def token_id(self) -> int | None:
        """The token's id (access or deploy token), when known."""
        if self.token is not None:
            return self.token.id
        return self.deploy_token.id if self.deploy_token is not None else None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no value, ever)."""
        token, deploy = self.token, self.deploy_token
        owner = self.owner
        return {
            "found": self.found,
            "looked_up_with": self.via or None,
            "prefix": self.format.prefix or None,
            "family": self.format.kind.value,
            "routable": self.format.routable,
            "routing": dict(self.format.routing) or None,
            "kind": self.kind or None,
            "state": self.state,
            "id": self.token_id,
            "name": token.name if token else deploy.name if deploy else None,
            "owner": owner.username if owner else None,
            "owner_id": token.user_id if token else self.format.user_id,
            "resource": self.resource,
            "scopes": list(token.scopes if token else deploy.scopes if deploy else ()),
            "created_at": _iso(token.created_at) if token else None,
            "last_used_at": _iso(token.last_used_at) if token else None,
            "last_used_ips": list(token.last_used_ips or ()) if token else None,
            "expires_at": _iso(
                token.expires_at if token else deploy.expires_at if deploy else None
            ),
            "notes": list(self.notes),
        }


def facts(found: Identity) -> list[tuple[str, str]]:
    """``(label, text)`` lines both fronts show, in order. The texts hold server text as it
    came: each front makes it safe for its terminal. The value itself is never among them."""
    fmt = found.format
    shape = "routable" if fmt.routable else "legacy or unrecognised shape"
    family = f"{fmt.prefix}… ({fmt.description}; {shape})" if fmt.prefix else fmt.description
    rows = [("value", family)]
    if fmt.user_id is not None:
        rows.append(("owner id", f"{fmt.user_id} (read from the value, offline)"))
    if found.found:
        rows += [("found", f"yes, looked up with {found.via}"), ("kind", found.kind)]
    else:
        rows.append(("found", "no"))
    token, deploy = found.token, found.deploy_token
    if token is not None:
        owner = found.owner
        who = f"{owner.username} (user {token.user_id})" if owner else f"user {token.user_id}"
        rows += [
            ("name", token.name),
            ("id", str(token.id)),
            ("owner", who),
            ("resource", found.resource or "-"),
            ("scopes", ", ".join(token.scopes) or "-"),
            ("created", token.created_at.isoformat() if token.created_at else "-"),
            ("last used", token.last_used_at.isoformat() if token.last_used_at else "never"),
            ("last IPs", ", ".join(token.last_used_ips or ()) or "-"),
            ("expires", token.expires_at.isoformat() if token.expires_at else "never"),
        ]
    elif deploy is not None:
        rows += [
            ("name", deploy.name),
            ("id", str(deploy.id)),
            ("username", deploy.username),
            ("scopes", ", ".join(deploy.scopes) or "-"),
            ("expires", deploy.expires_at.isoformat() if deploy.expires_at else "never"),
        ]
    elif found.other is not None:
        rows.append(("details", json.dumps(dict(found.other), default=str)))
    if found.found:
        rows.append(("state", found.state))
    rows += [("note", note) for note in found.notes]
    return rows


def _iso(moment: date | datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _state_of(token: Token) -> str:
    if token.revoked:
        return "revoked"
    return "active" if token.active else "expired"


def _kind_words(kind: TokenKind | None) -> str:
    return f"{kind.label} access token" if kind is not None else "access token"


async def identify(
    value: SecretStr,
    *,
    client_for: ClientFactory,
    configured: GitLabClient | None = None,
    pat_prefix: str | None = None,
) -> Identity:
    """What ``value`` is. ``configured`` is the user's own client (None: none configured); it
    is used for ``POST /admin/token`` when it is an administrator's, and to read the owner
    when the value's scopes cannot."""
    fmt = recognise(value.get_secret_value(), pat_prefix=pat_prefix)
    notes: list[str] = []
    if fmt.kind in (ValueKind.ACCESS_TOKEN, ValueKind.UNKNOWN):
        found = await _self_lookup(value, fmt, client_for, configured, notes)
        if found is not None:
            return found
    else:
        notes.append(f"a {fmt.description} cannot describe itself through the REST API")
    admin = await _is_admin(configured)
    if admin and configured is not None:
        return await _admin_lookup(value, fmt, configured, notes)
    if configured is None:
        notes.append("no credential is configured for an administrator's lookup")
    elif admin is False:
        notes.append("your credential is not an administrator's: POST /admin/token is not open")
    return Identity(format=fmt, found=False, notes=tuple(notes))


async def _is_admin(client: GitLabClient | None) -> bool | None:
    if client is None:
        return None
    try:
        return (await client.current_user()).is_admin
    except GitLabError:
        return None


async def _self_lookup(
    value: SecretStr,
    fmt: TokenFormat,
    client_for: ClientFactory,
    configured: GitLabClient | None,
    notes: list[str],
) -> Identity | None:
    async with client_for(value) as client:
        try:
            token = await client.get_self_token()
        except Unauthorized as err:
            said = {
                "expired": "GitLab says it has expired",
                "revoked": "GitLab says it was revoked",
            }.get(err.reason, "GitLab does not accept it (unknown to this instance)")
            notes.append(f"the value itself cannot be used: {said}")
            return None
        except (ValidationFailed, NotFound):
            notes.append("the value is not a personal, project or group access token")
            return None
        owner = await _owner(client, token, configured, notes)
        kind = user_kind(owner) if owner is not None else None
        resource = await _resource(client, owner, kind, notes)
    return Identity(
        format=fmt,
        found=True,
        via=SELF_LOOKUP,
        state=_state_of(token),
        kind=_kind_words(kind),
        token=token,
        owner=owner,
        resource=resource,
        usable=True,
        notes=tuple(notes),
    )


async def _owner(
    client: GitLabClient, token: Token, configured: GitLabClient | None, notes: list[str]
) -> User | None:
    try:
        return await client.current_user()
    except (InsufficientScope, Forbidden):
        pass
    if configured is not None and token.user_id is not None:
        try:
            return await configured.get_user(token.user_id)
        except GitLabError:
            pass
    notes.append(f"the owner (user {token.user_id}) could not be read with these scopes")
    return None


async def _resource(
    client: GitLabClient, owner: User | None, kind: TokenKind | None, notes: list[str]
) -> str | None:
    if owner is None or kind not in (TokenKind.PROJECT, TokenKind.GROUP):
        return None
    try:
        found = await client.self_associations()
    except GitLabError:
        place = bot_resource(owner.username)
        return place.label if place is not None else None
    if kind is TokenKind.PROJECT and found.projects:
        project = found.projects[0]
        return f"{project.path_with_namespace or project.name} (project)"
    if found.groups:
        return f"{found.groups[0].name} (group)"
    notes.append("its project or group could not be read")
    return None


async def _admin_lookup(
    value: SecretStr, fmt: TokenFormat, admin: GitLabClient, notes: list[str]
) -> Identity:
    try:
        info = await admin.admin_token_info(value)
    except NotFound:
        notes.append("GitLab knows no token with this value (POST /admin/token: Not found)")
        return Identity(format=fmt, found=False, via=ADMIN_LOOKUP, notes=tuple(notes))
    except ValidationFailed:
        notes.append("GitLab does not support this token type (POST /admin/token)")
        return Identity(format=fmt, found=False, via=ADMIN_LOOKUP, notes=tuple(notes))
    if isinstance(info, DeployToken):
        state = "revoked" if info.revoked else "expired" if info.expired else "active"
        return Identity(
            format=fmt,
            found=True,
            via=ADMIN_LOOKUP,
            state=state,
            kind="deploy token",
            deploy_token=info,
            notes=tuple(notes),
        )
    if isinstance(info, Token):
        owner: User | None = None
        if info.user_id is not None:
            try:
                owner = await admin.get_user(info.user_id)
            except GitLabError:
                notes.append(f"the owner (user {info.user_id}) could not be read")
        kind = user_kind(owner) if owner is not None else None
        place = bot_resource(owner.username) if owner is not None else None
        return Identity(
            format=fmt,
            found=True,
            via=ADMIN_LOOKUP,
            state=_state_of(info),
            kind=_kind_words(kind),
            token=info,
            owner=owner,
            resource=place.label if place is not None else None,
            notes=tuple(notes),
        )
    return Identity(
        format=fmt,
        found=True,
        via=ADMIN_LOOKUP,
        state="unknown",
        kind=fmt.description,
        other=info,
        notes=tuple(notes),
    )


def _verdict(verdict: Verdict | None) -> str:
    return verdict.text if verdict is not None else "the answer was lost"


# -- revoking --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Revocation:
    """How a revoke went: ``done``; ``how`` the way that worked (or was last tried);
    ``unknown`` when an answer was lost; ``tried`` the refusals met on the way, in words."""

    done: bool
    how: str
    unknown: bool = False
    tried: tuple[str, ...] = ()


WITH_ITSELF = "with the value itself (DELETE /personal_access_tokens/self)"
ADMIN_REVOKE = "with an administrator's credential (DELETE /admin/token)"


def _by_id(token_id: int) -> str:
    return (
        f"by id {token_id} with your configured credential "
        f"(DELETE /personal_access_tokens/{token_id})"
    )


async def revoke(
    identity: Identity,
    value: SecretStr,
    *,
    client_for: ClientFactory,
    configured: GitLabClient | None = None,
) -> Revocation:
    """Revoke the token ``value`` is, the first way that works: itself, by id, admin."""
    tried: list[str] = []
    if identity.usable:
        async with client_for(value) as client:
            outcome = await Operations(client).revoke_in_use(PersonalTokens(), old=identity.token)
        if outcome.status is Status.DONE:
            return Revocation(True, WITH_ITSELF, tried=tuple(tried))
        if outcome.status is Status.UNKNOWN:
            return Revocation(False, WITH_ITSELF, unknown=True, tried=(_verdict(outcome.verdict),))
        tried.append(f"{WITH_ITSELF}: {outcome.reason}")
    token = identity.token
    if configured is not None and token is not None and not token.revoked:
        ops = Operations(configured)
        [outcome] = await ops.revoke(PersonalTokens(), [token])
        if outcome.status is Status.DONE:
            return Revocation(True, _by_id(token.id), tried=tuple(tried))
        if outcome.status is Status.UNKNOWN:
            return Revocation(
                False, _by_id(token.id), unknown=True, tried=(_verdict(outcome.verdict),)
            )
        tried.append(f"{_by_id(token.id)}: {outcome.reason}")
    if configured is not None and await _is_admin(configured):
        try:
            await configured.admin_revoke_token(value)
        except OutcomeUnknown as err:
            return Revocation(False, ADMIN_REVOKE, unknown=True, tried=(err.message,))
        except (ApiError, GitLabError) as err:
            tried.append(f"{ADMIN_REVOKE}: {err.message}")
            return Revocation(False, ADMIN_REVOKE, tried=tuple(tried))
        return Revocation(True, ADMIN_REVOKE, tried=tuple(tried))
    if tried:
        return Revocation(False, "every way tried was refused", tried=tuple(tried))
    return Revocation(
        False,
        "no way to revoke it from here: the value cannot be used, and no administrator's "
        "credential is configured",
    )
