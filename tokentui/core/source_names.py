"""Source flags by name: ``--user alice`` (or ``@alice``), ``--impersonation alice`` and
``--service-account platform:svc-deploy`` become the ids GitLab's token endpoints take.

Project and group paths need nothing here: they go to GitLab URL-encoded in place of the id
(``/projects/platform%2Fapi/access_tokens``), as GitLab allows (``tokentui.gitlab.sources``).
The names are looked up with the client's own lookups (``user_by_username``,
``list_service_accounts``). Both fronts use it: the scripting commands and ``tokentui``'s flags
(``tokentui.cli``), and the TUI's source picker; each words :class:`UnknownName` its own way.
"""

from __future__ import annotations

import re

from tokentui.core.session import UsageError
from tokentui.core.source_search import match_account
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import NotFound

#: A GitLab username (letters, digits, ``_``, ``.``, ``-``), after an optional ``@``.
_USERNAME = re.compile(r"@?[A-Za-z0-9_.][A-Za-z0-9_.\-]*")

Choice = tuple[str, str | None]


class UnknownName(LookupError):
    """A source names someone GitLab does not know (or the viewer cannot see): ``what`` is
    ``"user"``, ``"group"`` or ``"service account"``; ``group`` is the group a service account
    was looked for in."""

    def __init__(self, what: str, name: str, *, group: str | None = None) -> None:
        where = f" in group {group!r}" if group is not None else ""
        super().__init__(f"no {what} named {name!r}{where}")
        self.what = what
        self.name = name
        self.group = group


def _user_name(choice: str, value: str | None) -> str | None:
    """The username ``--user``/``--impersonation`` names (``@`` dropped), None for an id.
    Raises :class:`UsageError` for text that is neither."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        return None
    if not _USERNAME.fullmatch(text):
        raise UsageError(
            f"--{choice} takes a user id or a username (e.g. 42, alice or @alice), not {value!r}"
        )
    return text.removeprefix("@")


def _account_name(value: str | None) -> tuple[str, str] | None:
    """``(group, account)`` when ``--service-account`` names its account by username or name
    instead of a user id, else None."""
    group, sep, account = (value or "").rpartition(":")
    account = account.strip()
    if not sep or not group.strip("/") or not account or account.isdigit():
        return None
    return group.strip("/"), account


def check_syntax(source: Choice | None) -> Choice | None:
    """``source`` with a placeholder id in place of a name, to check the rest of its syntax
    before any request (see ``resolve_source``); the source itself when it names no one."""
    if source is None:
        return None
    choice, value = source
    if choice in ("user", "impersonation") and _user_name(choice, value) is not None:
        return choice, "1"
    if choice == "service-account" and (named := _account_name(value)) is not None:
        return choice, f"{named[0]}:1"
    return source


async def ids_for_names(client: GitLabClient, source: Choice | None) -> Choice | None:
    """``source`` with the ids of the users it names (``("user", "alice")`` ->
    ``("user", "2")``, ``("service-account", "platform:svc-bot")`` -> ``"platform:8"``).
    Raises :class:`UnknownName` when there is no such user, group or service account (or the
    viewer cannot see it), :class:`UsageError` for text that is not a name."""
    if source is None:
        return None
    choice, value = source
    if choice in ("user", "impersonation"):
        name = _user_name(choice, value)
        if name is None:
            return source
        user = await client.user_by_username(name)
        if user is None:
            raise UnknownName("user", name)
        return choice, str(user.id)
    if choice == "service-account" and (named := _account_name(value)) is not None:
        group, account = named
        try:
            accounts = await client.list_service_accounts(group)
        except NotFound:
            raise UnknownName("group", group) from None
        found = match_account(accounts, account)
        if found is None:
            raise UnknownName("service account", account, group=group)
        return choice, f"{group}:{found.id}"
    return source
