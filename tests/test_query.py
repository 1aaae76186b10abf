"""Client-side filters and sorting: GitLab's semantics, and the fast index agreeing with them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from tokentui.core.query import (
    ClientFilters,
    SortKey,
    TokenIndex,
    expiring_filters,
    filter_tokens,
    matches_search,
    sort_tokens,
    token_kind,
)
from tokentui.gitlab.models import DeployToken, Token, TokenKind
from tokentui.gitlab.sources import TokenFilters

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def tok(id: int, name: str = "t", **kw) -> Token:
    data = {"id": id, "name": name, "created_at": "2026-01-01T00:00:00Z"}
    data.update(kw)
    return Token.model_validate(data)


def ids(tokens) -> list[int]:
    return [t.id for t in tokens]


def select_tokens(
    tokens: list[Token],
    server: TokenFilters | None = None,
    client: ClientFilters | None = None,
    now: datetime = NOW,
    key: SortKey = SortKey.EXPIRY,
    descending: bool = False,
) -> list[Token]:
    """The reference the index must agree with: filter, then sort, with no index."""
    return sort_tokens(filter_tokens(tokens, server, client, now), key, descending, now=now)


@pytest.mark.parametrize(
    ("name", "query", "hit"),
    [
        ("deploy-bot", "deploy", True),
        ("deploy-bot", "DEPLOY", True),
        ("deploy-bot", "dep bot", True),  # every 3+ char word must match
        ("deploy-bot", "dep cat", False),
        ("ci", "ci", True),  # no 3+ word: exact, case-insensitive
        ("CI", "ci", True),
        ("ci-token", "ci", False),
        ("my token", '"my tok"', True),  # quoted phrase kept whole
        ("anything", "", True),
    ],
)
def test_matches_search_like_gitlab(name: str, query: str, hit: bool) -> None:
    assert matches_search(name, query) is hit


def test_state_and_revoked_follow_the_clock() -> None:
    tokens = [
        tok(1, expires_at=TODAY + timedelta(days=1)),  # active
        tok(2, expires_at=TODAY),  # expired at 00:00 today
        tok(3, revoked=True, active=False, expires_at=TODAY + timedelta(days=9)),
        tok(4),  # never expires
        tok(5, active=False),  # GitLab says inactive, no date
    ]
    assert ids(filter_tokens(tokens, TokenFilters(state="active"), now=NOW)) == [1, 4]
    assert ids(filter_tokens(tokens, TokenFilters(state="inactive"), now=NOW)) == [2, 3, 5]
    assert ids(filter_tokens(tokens, TokenFilters(revoked=True), now=NOW)) == [3]
    assert ids(filter_tokens(tokens, TokenFilters(revoked=False), now=NOW)) == [1, 2, 4, 5]


def test_date_filters_follow_gitlab_bounds() -> None:
    tokens = [
        tok(1, created_at="2026-03-01T00:00:00Z", last_used_at="2026-06-01T10:00:00Z"),
        tok(2, created_at="2026-03-02T08:00:00Z"),
        tok(3, created_at="2026-05-01T00:00:00Z", last_used_at="2026-06-09T10:00:00Z"),
    ]
    # A date bound means 00:00 UTC, inclusive.
    assert ids(filter_tokens(tokens, TokenFilters(created_before=date(2026, 3, 1)), now=NOW)) == [1]
    assert ids(filter_tokens(tokens, TokenFilters(created_after=date(2026, 3, 2)), now=NOW)) == [
        2,
        3,
    ]
    # Never-used tokens are excluded by both last-used bounds.
    after = TokenFilters(last_used_after=datetime(2026, 6, 5, tzinfo=UTC))
    assert ids(filter_tokens(tokens, after, now=NOW)) == [3]
    before = TokenFilters(last_used_before=datetime(2026, 6, 5, tzinfo=UTC))
    assert ids(filter_tokens(tokens, before, now=NOW)) == [1]


def test_expires_bounds_strict_before_inclusive_after() -> None:
    tokens = [tok(i, expires_at=TODAY + timedelta(days=i)) for i in range(1, 6)] + [tok(9)]
    f = TokenFilters(expires_after=TODAY + timedelta(days=2), expires_before=TODAY + timedelta(4))
    assert ids(filter_tokens(tokens, f, now=NOW)) == [2, 3]


def test_expiring_within_days_excludes_expired_and_never() -> None:
    tokens = [
        tok(1, expires_at=TODAY),  # expired
        tok(2, expires_at=TODAY + timedelta(days=1)),  # in 12h
        tok(3, expires_at=TODAY + timedelta(days=7)),  # in 6.5 days
        tok(4, expires_at=TODAY + timedelta(days=8)),  # in 7.5 days
        tok(5),
    ]
    assert ids(filter_tokens(tokens, client=ClientFilters(expiring_within_days=7), now=NOW)) == [
        2,
        3,
    ]
    assert ids(filter_tokens(tokens, client=ClientFilters(expiring_within_days=1), now=NOW)) == [2]
    # The server-side form selects the same rows.
    server = expiring_filters(7, TODAY)
    assert ids(filter_tokens(tokens, server, now=NOW)) == [2, 3]


def test_text_and_scope_filters() -> None:
    tokens = [
        tok(1, "Deploy prod", scopes=["api"]),
        tok(2, "deploy-staging", scopes=["read_api"]),
        tok(3, "backup", scopes=["api"]),
    ]
    assert ids(filter_tokens(tokens, client=ClientFilters(text="DEPLOY"), now=NOW)) == [1, 2]
    assert ids(filter_tokens(tokens, client=ClientFilters(scope="api"), now=NOW)) == [1, 3]
    assert ClientFilters().is_empty and not ClientFilters(text="x").is_empty


def test_sort_keys_and_none_placement() -> None:
    tokens = [
        tok(1, "b", expires_at=TODAY + timedelta(days=3), created_at="2026-02-01T00:00:00Z"),
        tok(2, "A", last_used_at="2026-06-01T00:00:00Z"),
        tok(3, "c", expires_at=TODAY + timedelta(days=1), last_used_at="2026-05-01T00:00:00Z"),
    ]
    assert ids(sort_tokens(tokens, SortKey.EXPIRY)) == [3, 1, 2]  # never last
    assert ids(sort_tokens(tokens, SortKey.EXPIRY, descending=True)) == [2, 1, 3]
    assert ids(sort_tokens(tokens, SortKey.NAME)) == [2, 1, 3]  # case-insensitive
    assert ids(sort_tokens(tokens, SortKey.CREATED)) == [2, 3, 1]
    assert ids(sort_tokens(tokens, SortKey.LAST_USED)) == [1, 3, 2]  # never used first


def test_sort_key_cycle() -> None:
    key = SortKey.URGENCY
    seen = []
    for _ in range(8):
        seen.append(key)
        key = key.next()
    assert seen == [*SortKey, SortKey.URGENCY]
    assert [k.value for k in SortKey] == [
        "urgency",
        "expiry",
        "name",
        "created",
        "last used",
        "kind",
        "resource",
    ]


def test_urgency_puts_what_needs_attention_first() -> None:
    tokens = [
        tok(1, expires_at=TODAY - timedelta(days=30)),  # expired long ago
        tok(2, revoked=True, active=False, expires_at=TODAY + timedelta(days=2)),
        tok(3),  # never expires
        tok(4, expires_at=TODAY + timedelta(days=90)),
        tok(5, expires_at=TODAY),  # expired at 00:00 today
        tok(6, expires_at=TODAY + timedelta(days=1)),  # in 12 hours
    ]
    assert ids(sort_tokens(tokens, SortKey.URGENCY, now=NOW)) == [6, 4, 3, 5, 1, 2]
    assert ids(sort_tokens(tokens, SortKey.URGENCY, True, now=NOW)) == [2, 1, 5, 3, 4, 6]


def test_token_kind() -> None:
    assert token_kind(tok(1, impersonation=True), TokenKind.PERSONAL) is TokenKind.IMPERSONATION
    assert token_kind(tok(1, resource_type="project"), TokenKind.PERSONAL) is TokenKind.PROJECT
    assert token_kind(tok(1, resource_type="group"), TokenKind.GROUP) is TokenKind.GROUP
    assert token_kind(tok(1), TokenKind.SERVICE_ACCOUNT) is TokenKind.SERVICE_ACCOUNT


def random_tokens(n: int, seed: int = 7) -> list[Token]:
    rng = random.Random(seed)
    words = ["deploy", "ci", "backup", "Metrics", "bot", "read", "renovate", "cron"]
    out = []
    for i in range(1, n + 1):
        expires = None if rng.random() < 0.15 else TODAY + timedelta(days=rng.randint(-40, 400))
        used = None if rng.random() < 0.3 else NOW - timedelta(hours=rng.randint(0, 5000))
        revoked = rng.random() < 0.1
        out.append(
            tok(
                i,
                f"{rng.choice(words)}-{rng.choice(words)}-{i % 13}",
                revoked=revoked,
                active=not revoked and rng.random() > 0.05,
                expires_at=expires,
                last_used_at=used,
                created_at=NOW - timedelta(hours=rng.randint(0, 9000)),
                scopes=rng.sample(["api", "read_api", "read_repository", "k8s_proxy"], 2),
            )
        )
    return out


NO_CLIENT = ClientFilters()
FILTER_CASES = [
    (TokenFilters(), ClientFilters()),
    (TokenFilters(state="active"), ClientFilters(text="deploy")),
    (TokenFilters(state="inactive"), ClientFilters()),
    (TokenFilters(revoked=True), ClientFilters(scope="api")),
    (TokenFilters(revoked=False, search="bot ci"), ClientFilters(expiring_within_days=30)),
    (expiring_filters(7, TODAY), ClientFilters(text="-1")),
    (
        TokenFilters(created_after=date(2026, 3, 1), last_used_before=date(2026, 5, 1)),
        ClientFilters(),
    ),
    (TokenFilters(last_used_after=NOW - timedelta(days=30)), ClientFilters(text="METRICS")),
]


@pytest.mark.parametrize(("server", "client"), FILTER_CASES)
@pytest.mark.parametrize("key", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
def test_index_agrees_with_reference(server, client, key, descending) -> None:
    tokens = random_tokens(400)
    index = TokenIndex()
    index.extend(tokens)
    got = [index.tokens[i].id for i in index.select(server, client, NOW, key, descending)]
    assert got == ids(select_tokens(tokens, server, client, NOW, key, descending))


def test_index_put_replaces_in_place_and_invalidates_order() -> None:
    index = TokenIndex()
    index.extend([tok(1, "b"), tok(2, "a")])
    assert [index.tokens[i].id for i in index.order(SortKey.NAME)] == [2, 1]
    index.put(tok(1, "0-first"))
    assert len(index) == 2
    assert [index.tokens[i].id for i in index.order(SortKey.NAME)] == [1, 2]
    assert index.get(1).name == "0-first" and index.position(2) == 1 and index.get(99) is None
    index.clear()
    assert len(index) == 0 and index.get(1) is None


@pytest.mark.parametrize("key", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
def test_orders_stay_right_as_pages_are_appended(key, descending) -> None:
    tokens = random_tokens(500, seed=11)
    streamed = TokenIndex()
    for start in range(0, len(tokens), 70):  # sort after every "page"
        streamed.extend(tokens[start : start + 70])
        streamed.order(key, descending, NOW)
    streamed.put(tokens[3].model_copy(update={"name": "zzz", "revoked": True}))
    expected = sort_tokens(
        [*tokens[:3], tokens[3].model_copy(update={"name": "zzz", "revoked": True}), *tokens[4:]],
        key,
        descending,
        now=NOW,
    )
    got = [streamed.tokens[i].id for i in streamed.order(key, descending, NOW)]
    assert got == ids(expected)


def test_typing_and_erasing_agree_with_reference() -> None:
    tokens = random_tokens(600, seed=5)
    index = TokenIndex()
    index.extend(tokens)
    server = TokenFilters(state="active")
    typed = ["d", "de", "dep", "depl", "dep", "de", "d", "", "m", "me", "-1", "cr", "c", "ci-"]
    for text in typed:
        client = ClientFilters(text=text)
        got = [index.tokens[i].id for i in index.select(server, client, NOW, SortKey.URGENCY)]
        expected = select_tokens(tokens, server, client, NOW, SortKey.URGENCY)
        assert got == ids(expected), text
    # New data invalidates what was kept.
    index.put(
        tokens[0].model_copy(
            update={"name": "dddd", "expires_at": None, "revoked": False, "active": True}
        )
    )
    got = index.select(server, ClientFilters(text="dddd"), NOW, SortKey.URGENCY)
    assert [index.tokens[i].name for i in got] == ["dddd"]


# --- kind and resource (issue 13): facts beside the token, sorted and filtered in the index ----


def _facts_for(
    tokens: list[Token], seed: int = 3
) -> dict[int, tuple[TokenKind | None, str | None]]:
    """A deterministic kind and resource per token (some not known yet: None)."""
    rng = random.Random(seed)
    kinds = [*TokenKind, None]
    places = ["platform/api", "Platform/web", "@alice", "@bob", "data", None]
    return {t.key: (rng.choice(kinds), rng.choice(places)) for t in tokens}


@pytest.mark.parametrize("key", [SortKey.KIND, SortKey.RESOURCE, SortKey.URGENCY])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    "client",
    [
        ClientFilters(kind=TokenKind.PROJECT),
        ClientFilters(kind=TokenKind.DEPLOY, text="deploy"),
        ClientFilters(expiry_week=TODAY + timedelta(days=1)),
        ClientFilters(expiry_week=TODAY + timedelta(days=29), kind=TokenKind.GROUP),
        ClientFilters(),
    ],
)
def test_index_sorts_and_filters_by_kind_and_resource_as_the_reference(
    key, descending, client
) -> None:
    tokens = random_tokens(400, seed=13)
    table = _facts_for(tokens)
    index = TokenIndex()
    index.facts = lambda t: table[t.key]
    index.extend(tokens[:150])
    index.select(TokenFilters(), client, NOW, key, descending)  # columns built, then extended
    index.extend(tokens[150:])
    got = [index.tokens[i].id for i in index.select(TokenFilters(), client, NOW, key, descending)]
    expected = sort_tokens(
        filter_tokens(tokens, None, client, NOW, facts=lambda t: table[t.key]),
        key,
        descending,
        now=NOW,
        facts=lambda t: table[t.key],
    )
    assert got == ids(expected)
    if client.kind is not None:
        assert all(table[i][0] is client.kind for i in got)


def test_kind_order_and_unknown_last() -> None:
    tokens = [tok(1), tok(2), tok(3), tok(4)]
    table = {
        1: (TokenKind.DEPLOY, "b"),
        2: (None, None),
        3: (TokenKind.PERSONAL, "@Zed"),
        4: (TokenKind.PROJECT, "alpha/x"),
    }
    facts = lambda t: table[t.id]  # noqa: E731
    assert ids(sort_tokens(tokens, SortKey.KIND, facts=facts)) == [3, 4, 1, 2]
    # Resources A-Z, ignoring a user's "@" and case; not known yet last.
    assert ids(sort_tokens(tokens, SortKey.RESOURCE, facts=facts)) == [4, 1, 3, 2]


def test_facts_that_change_reorder_and_refilter_the_view() -> None:
    tokens = [tok(1, "a"), tok(2, "b"), tok(3, "c")]
    table: dict[int, tuple[TokenKind | None, str | None]] = {t.id: (None, None) for t in tokens}
    index = TokenIndex()
    index.facts = lambda t: table[t.key]
    index.extend(tokens)
    project = ClientFilters(kind=TokenKind.PROJECT)
    assert index.select(TokenFilters(), project, NOW, SortKey.NAME) == []
    table[2] = (TokenKind.PROJECT, "platform/api")  # an owner lookup landed
    index.refresh_facts()
    assert [index.tokens[i].id for i in index.select(TokenFilters(), project, NOW)] == [2]
    table[3] = (TokenKind.PROJECT, "data/etl")
    index.refresh_facts()
    order = index.select(TokenFilters(), ClientFilters(), NOW, SortKey.RESOURCE)
    assert [index.tokens[i].id for i in order] == [3, 2, 1]


def test_a_deploy_row_is_of_kind_deploy_without_any_lookup() -> None:
    deploy = DeployToken(id=1, name="ci", username="gitlab+deploy-token-1").as_row("project", 9)
    personal = tok(1, "ci")
    only = ClientFilters(kind=TokenKind.DEPLOY)
    assert filter_tokens([personal, deploy], client=only, now=NOW) == [deploy]
    index = TokenIndex()
    index.extend([personal, deploy])
    assert [index.tokens[i].key for i in index.select(TokenFilters(), only, NOW)] == [-1]


def test_the_week_filter_holds_active_tokens_of_those_seven_days() -> None:
    week = TODAY + timedelta(days=8)
    tokens = [
        tok(1, expires_at=week),
        tok(2, expires_at=week + timedelta(days=6)),
        tok(3, expires_at=week + timedelta(days=7)),  # the next week
        tok(4, expires_at=week - timedelta(days=1)),  # the week before
        tok(5, expires_at=week, revoked=True, active=False),  # cannot break anything
        tok(6),  # never
    ]
    assert ids(filter_tokens(tokens, client=ClientFilters(expiry_week=week), now=NOW)) == [1, 2]
    assert not ClientFilters(expiry_week=week).is_empty
    assert not ClientFilters(kind=TokenKind.GROUP).is_empty
