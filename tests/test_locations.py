"""Where a token lives and its settings page (issue 13), and when a browser may be opened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tokentui.core.browser import browser_opener
from tokentui.core.locations import token_location
from tokentui.core.ownership import Ownership
from tokentui.gitlab.models import DeployToken, Token, User
from tokentui.gitlab.sources import (
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
)

BASE = "https://gitlab.example.com/"
MADE = datetime(2026, 1, 1, tzinfo=UTC)


def tok(**kw) -> Token:
    return Token(id=5, name="t", created_at=MADE, **kw)


def owners() -> Ownership:
    ownership = Ownership()
    ownership.set_viewer(User(id=2, username="alice"))
    ownership.usernames.update({7: "carol", 57: "service_account_group_1_ab"})
    return ownership


@pytest.mark.parametrize(
    ("token", "source", "where", "url"),
    [
        (
            tok(user_id=2),
            PersonalTokens(user_id=2, mine=True),
            "user @alice",
            "https://gitlab.example.com/-/user_settings/personal_access_tokens",
        ),
        (
            tok(user_id=9),
            ProjectTokens("platform/api"),
            "project platform/api",
            "https://gitlab.example.com/platform/api/-/settings/access_tokens",
        ),
        (
            tok(user_id=9),
            GroupTokens("data"),
            "group data",
            "https://gitlab.example.com/groups/data/-/settings/access_tokens",
        ),
        (
            tok(user_id=7, impersonation=True),
            ImpersonationTokens(user_id=7),
            "user @carol",
            "https://gitlab.example.com/admin/users/carol/impersonation_tokens",
        ),
        (
            tok(user_id=57),
            ServiceAccountTokens(group="platform", user_id=57),
            "service account @service_account_group_1_ab of group platform",
            "https://gitlab.example.com/groups/platform/-/settings/service_accounts",
        ),
    ],
)
def test_each_kind_names_where_it_lives_and_its_settings_page(token, source, where, url) -> None:
    found = token_location(owners(), token, source, BASE)
    assert (found.where, found.url) == (where, url)


def test_a_deploy_tokens_page_is_the_repository_settings() -> None:
    row = DeployToken(id=3, name="ci", username="gitlab+deploy-token-3").as_row("project", 1)
    found = token_location(owners(), row, ProjectTokens("platform/api"), BASE)
    assert found.url == "https://gitlab.example.com/platform/api/-/settings/repository"
    group_row = DeployToken(id=4, name="ci", username="d").as_row("group", 1)
    found = token_location(owners(), group_row, GroupTokens("platform"), BASE)
    assert found.url == "https://gitlab.example.com/groups/platform/-/settings/repository"


def test_a_page_not_known_yet_has_no_url() -> None:
    # A project token of the admin list whose project path is not looked up yet.
    found = token_location(Ownership(), tok(resource_type="project", resource_id=4), None, BASE)
    assert found.url is None and found.where == "project 4"


@pytest.mark.parametrize(
    "env",
    [
        {"SSH_CONNECTION": "10.0.0.1 5555 10.0.0.2 22", "DISPLAY": ":0"},
        {"SSH_TTY": "/dev/pts/3", "DISPLAY": ":0"},
        {},  # a Linux console: no display
    ],
)
def test_no_browser_over_ssh_or_without_a_display(env) -> None:
    assert browser_opener(env, "linux") is None
