"""Where a token lives: the project, group or user it belongs to, and the GitLab page where it
is managed (the detail pane shows both; ``o`` opens the page). Headless, for both fronts.

The pages (GitLab's web UI, under the instance URL):

* personal: ``/-/user_settings/personal_access_tokens`` (the signed-in user's own page);
* project / group access tokens: ``<project>/-/settings/access_tokens``,
  ``/groups/<group>/-/settings/access_tokens``;
* deploy tokens: the repository settings, ``<project>/-/settings/repository`` or
  ``/groups/<group>/-/settings/repository`` (section "Deploy tokens");
* impersonation: ``/admin/users/<username>/impersonation_tokens``;
* a group service account's: the top-level group's ``/groups/<group>/-/settings/service_accounts``
  (its tokens are managed there); when the group is not known, the account's admin page
  ``/admin/users/<username>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokentui.core.ownership import Ownership, Resource
from tokentui.gitlab.models import Token, TokenKind
from tokentui.gitlab.sources import ServiceAccountTokens, TokenSource


@dataclass(frozen=True, slots=True)
class Location:
    """Where a token lives: ``where`` in words (``project platform/api``), ``url`` of its
    settings page (None while the path or the owner is not known)."""

    where: str
    url: str | None


def resource_web_url(base_url: str, resource: Resource) -> str | None:
    """A project's or group's page (``<base>/platform/api``, ``<base>/groups/data``), as
    GitLab's ``web_url``; None while its path is not known."""
    if not resource.path:
        return None
    base = base_url.rstrip("/")
    return (
        f"{base}/{resource.path}"
        if resource.type == "project"
        else f"{base}/groups/{resource.path}"
    )


def token_location(
    ownership: Ownership, token: Token, source: TokenSource | None, base_url: str
) -> Location:
    """Where ``token`` lives and the URL of the page that manages it (see the module doc)."""
    base = base_url.rstrip("/")
    kind = ownership.kind(token, source)
    resource = ownership.resource(token, source)
    if resource is not None:
        where = f"{resource.type} {resource.path or resource.id}"
        page = resource_web_url(base, resource)
        tab = "repository" if kind is TokenKind.DEPLOY else "access_tokens"
        return Location(where, f"{page}/-/settings/{tab}" if page else None)
    user_id = source.user_id if isinstance(source, ServiceAccountTokens) else token.user_id
    name = ownership.username(user_id)
    who = f"user @{name}" if name else (f"user {user_id}" if user_id is not None else "unknown")
    if kind is TokenKind.PERSONAL:
        return Location(who, f"{base}/-/user_settings/personal_access_tokens")
    if kind is TokenKind.IMPERSONATION:
        return Location(who, f"{base}/admin/users/{name}/impersonation_tokens" if name else None)
    if kind is TokenKind.SERVICE_ACCOUNT:
        if isinstance(source, ServiceAccountTokens):
            where = f"service account @{name or user_id} of group {source.group}"
            return Location(where, f"{base}/groups/{source.group}/-/settings/service_accounts")
        return Location(
            f"service account @{name}" if name else who,
            f"{base}/admin/users/{name}" if name else None,
        )
    return Location(who, None)
