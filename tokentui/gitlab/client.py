"""GitLabClient: the async httpx client for GitLab's token API.

SKELETON: the public surface below is the contract other modules code against. The client
helper fills in the bodies (see the brief). Do not change signatures without telling everyone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from pydantic import SecretStr

from tokentui.gitlab.models import (
    Associations,
    Group,
    NewToken,
    Project,
    ServiceAccount,
    Token,
    User,
    Version,
)
from tokentui.gitlab.sources import TokenFilters, TokenSource


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a token list."""

    items: list[Token]
    page: int
    per_page: int
    #: None when GitLab did not say (it drops X-Total above 10,000 rows).
    total: int | None
    total_pages: int | None
    next_page: int | None


@dataclass(frozen=True, slots=True)
class TLSOptions:
    """TLS settings: ``verify`` is True (system/certifi CAs), False, or a CA bundle path."""

    verify: bool | Path = True
    client_cert: Path | None = None
    client_key: Path | None = None


@dataclass(frozen=True, slots=True)
class CreateTokenRequest:
    """What a new token should be. ``access_level`` only for project/group tokens."""

    name: str
    scopes: tuple[str, ...]
    expires_at: date | None = None
    description: str | None = None
    access_level: int | None = None


class GitLabClient:
    """Async client for one GitLab instance and one credential."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr | str | None,
        *,
        tls: TLSOptions | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        concurrency: int = 8,
    ) -> None:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """The instance URL as given, without ``/api/v4``."""
        raise NotImplementedError

    def set_token(self, token: SecretStr | str) -> None:
        """Switch the credential (after a self-rotation)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the connection pool."""
        raise NotImplementedError

    async def __aenter__(self) -> GitLabClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- who and where -------------------------------------------------------------------
    async def current_user(self) -> User:
        """``GET /user``."""
        raise NotImplementedError

    async def get_user(self, user_id: int | str) -> User:
        """``GET /users/:id``."""
        raise NotImplementedError

    async def get_project(self, id_or_path: int | str) -> Project:
        """``GET /projects/:id`` (id or full path)."""
        raise NotImplementedError

    async def get_group(self, id_or_path: int | str) -> Group:
        """``GET /groups/:id`` (id or full path)."""
        raise NotImplementedError

    async def version(self) -> Version:
        """``GET /version``."""
        raise NotImplementedError

    async def list_service_accounts(self, group: int | str) -> list[ServiceAccount]:
        """``GET /groups/:id/service_accounts`` (all pages)."""
        raise NotImplementedError

    # -- tokens --------------------------------------------------------------------------
    def iter_token_pages(
        self,
        source: TokenSource,
        filters: TokenFilters | None = None,
        *,
        per_page: int = 100,
        concurrency: int | None = None,
    ) -> AsyncIterator[Page]:
        """Yield the pages of a token list in order, each exactly once."""
        raise NotImplementedError

    async def list_tokens(
        self, source: TokenSource, filters: TokenFilters | None = None
    ) -> list[Token]:
        """Every token of ``source`` (all pages)."""
        raise NotImplementedError

    async def get_token(self, source: TokenSource, token_id: int) -> Token:
        """One token of ``source``."""
        raise NotImplementedError

    async def get_self_token(self) -> Token:
        """``GET /personal_access_tokens/self``: the token in use."""
        raise NotImplementedError

    async def self_associations(self) -> Associations:
        """``GET /personal_access_tokens/self/associations`` (all pages)."""
        raise NotImplementedError

    async def create_token(
        self, source: TokenSource, request: CreateTokenRequest, *, viewer_is_admin: bool
    ) -> NewToken:
        """Create a token in ``source`` (route from ``source.create_route``). Never retried."""
        raise NotImplementedError

    async def rotate_token(
        self, source: TokenSource, token_id: int, *, expires_at: date | None = None
    ) -> NewToken:
        """Rotate a token by id. Never retried."""
        raise NotImplementedError

    async def rotate_self(
        self, source: TokenSource | None = None, *, expires_at: date | None = None
    ) -> NewToken:
        """Rotate the token in use (resource path for a project/group token). Never retried."""
        raise NotImplementedError

    async def revoke_token(self, source: TokenSource, token_id: int) -> None:
        """Revoke a token by id. Never retried."""
        raise NotImplementedError

    async def revoke_self(self) -> None:
        """``DELETE /personal_access_tokens/self``. Never retried."""
        raise NotImplementedError
