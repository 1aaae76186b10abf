"""Completion for the source picker: users, projects and groups matching what is typed.

Headless (no Textual): asks GitLab's own search (``GET /users?search=``, ``GET /projects?
search=``, ``GET /groups?search=``) for the few entries a picker shows, narrowed to the ones
the viewer can list tokens of: a non-administrator's projects where they are at least
Maintainer, groups where they are Owner (gitlab-api.md §7.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import ServiceAccount, User
from tokentui.gitlab.terminal_text import clean

#: Suggestions asked for per query (one request, one page).
SUGGESTIONS = 8
#: Shortest query sent (GitLab matches shorter ones only exactly).
MIN_QUERY = 2
MAINTAINER, OWNER = 40, 50
#: Picker choices whose value completes, and what they complete to.
COMPLETES = {
    "user": "user",
    "impersonation": "user",
    "project": "project",
    "group": "group",
    "service-account": "group",
    "project-deploy": "project",
    "group-deploy": "group",
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One completion: ``value`` goes in the box, ``label`` is what the list shows."""

    value: str
    label: str


def wants_completion(choice: str | None, query: str) -> bool:
    """Whether ``query`` typed for ``choice`` is worth a search (not an id, long enough)."""
    text = query.strip().strip("/").removeprefix("@")
    if choice not in COMPLETES or len(text) < MIN_QUERY:
        return False
    return not text.isdigit() and ":" not in text


async def suggestions(
    client: GitLabClient, choice: str, query: str, *, viewer_is_admin: bool
) -> list[Suggestion]:
    """Users, projects or groups matching ``query`` for the picker ``choice``."""
    text = query.strip().strip("/").removeprefix("@")
    kind = COMPLETES[choice]
    if kind == "user":
        users = await client.list_users(search=text, active=True, limit=SUGGESTIONS)
        return [Suggestion(u.username, user_label(u)) for u in users]
    if kind == "project":
        projects = await client.list_projects(
            search=text,
            search_namespaces=True,
            simple=True,
            min_access_level=None if viewer_is_admin else MAINTAINER,
            order_by="path",
            sort="asc",
            limit=SUGGESTIONS,
        )
        return [
            Suggestion(p.path_with_namespace, f"{clean(p.path_with_namespace)}  ({clean(p.name)})")
            for p in projects
        ]
    groups = await client.list_groups(
        search=text,
        min_access_level=None if viewer_is_admin else OWNER,
        top_level_only=True if choice == "service-account" else None,
        order_by="path",
        limit=SUGGESTIONS,
    )
    return [Suggestion(g.full_path, f"{clean(g.full_path)}  ({clean(g.name)})") for g in groups]


def user_label(user: User) -> str:
    """``alice  Alice Anders (id 2)``."""
    name = f"  {clean(user.name)}" if user.name and user.name != user.username else ""
    return f"{clean(user.username)}{name} (id {user.id})"


def account_label(account: ServiceAccount) -> str:
    """A service account by its name and username: GitLab names every one "Service account
    user" by default, so the username (which ends in a unique part) tells them apart."""
    name = clean(account.name) or "service account"
    return f"{name} (id {account.id})\n{clean(account.username)}"


def match_account(accounts: list[ServiceAccount], wanted: str) -> ServiceAccount | None:
    """The account named ``wanted``: its id, its username (any case), or a unique name."""
    text = wanted.strip().removeprefix("@")
    if text.isdigit():
        return next((a for a in accounts if a.id == int(text)), None)
    lowered = text.lower()
    by_username = [a for a in accounts if a.username.lower() == lowered]
    if by_username:
        return by_username[0]
    by_name = [a for a in accounts if a.name.lower() == lowered]
    return by_name[0] if len(by_name) == 1 else None
