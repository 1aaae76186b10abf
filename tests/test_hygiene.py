"""Hygiene findings (issue 14): the rules of ``tokentui/core/hygiene.py`` on tokens the
simulator serves over loopback HTTP, the owner's state as ``GET /users/:id`` says it, and the
``[hygiene]`` section of the config file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import FROZEN_NOW, instant_sleep

from tokentui.core import config
from tokentui.core.hygiene import (
    Assessor,
    Finding,
    HygieneConfig,
    flags,
    owner_state_of,
    parse_finding,
)
from tokentui.core.ownership import Ownership
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.deploy_tokens import DeployTokenOwner
from tokentui.gitlab.models import Token
from tokentui.gitlab.sources import PersonalTokens

CAROL = 4


@pytest.fixture
def frozen_sim(sim_factory):
    """A simulator at FROZEN_NOW holding only its three credentials and what a test adds."""
    return sim_factory(tokens=0, clock=lambda: FROZEN_NOW)


def seed_findings(sim) -> dict[str, int]:
    """Carol's tokens, one per finding (and one clean), made on the simulator; names -> ids."""
    today = sim.today()
    now = sim.now()

    def issue(name: str, **kw) -> int:
        kw.setdefault("scopes", ("read_api",))
        kw.setdefault("expires_at", today + timedelta(days=30))
        kw.setdefault("last_used_at", now - timedelta(days=1))
        return sim.token_record(sim.issue_token(CAROL, name=name, **kw)).id

    ids = {
        "clean": issue("clean"),
        "never-used": issue("never-used", last_used_at=None),
        "unused": issue("unused", last_used_at=now - timedelta(days=120)),
        "used-89d": issue("used-89d", last_used_at=now - timedelta(days=89)),
        "no-expiry": issue("no-expiry", expires_at=None),
        "broad": issue("broad", scopes=("api",), expires_at=today + timedelta(days=200)),
        "broad-short": issue("broad-short", scopes=("api",), expires_at=today + timedelta(days=60)),
        "expired": issue("expired", expires_at=today - timedelta(days=3)),
        "revoked": issue("revoked", expires_at=today - timedelta(days=3), revoked=True),
    }
    cliff = today + timedelta(days=40)
    for n in range(5):
        ids[f"cliff-{n}"] = issue(f"cliff-{n}", expires_at=cliff)
    return ids


async def carol_tokens(sim) -> tuple[list[Token], Ownership]:
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant_sleep) as client:
        ownership = Ownership()
        ownership.set_viewer(await client.get_user("1"))
        source = PersonalTokens(user_id=CAROL)
        tokens = await client.list_tokens(source)
        await ownership.resolve(client, tokens, source)
    return tokens, ownership


async def test_each_rule_flags_its_token_and_no_other(frozen_sim):
    ids = seed_findings(frozen_sim)
    tokens, ownership = await carol_tokens(frozen_sim)
    assessor = Assessor(HygieneConfig(), owner_state_of(ownership))
    now = FROZEN_NOW
    assessor.refresh(tokens, now)
    found = {t.id: assessor.of(t, now) for t in tokens}
    by_name = {name: found[i] for name, i in ids.items()}
    assert by_name["clean"] == ()
    assert by_name["never-used"] == (Finding.NEVER_USED,)
    assert by_name["unused"] == (Finding.UNUSED,)
    assert by_name["used-89d"] == ()
    assert by_name["no-expiry"] == (Finding.NO_EXPIRY,)
    assert by_name["broad"] == (Finding.BROAD_SCOPES,)
    assert by_name["broad-short"] == ()
    assert by_name["expired"] == (Finding.EXPIRED,)
    assert by_name["revoked"] == ()
    for n in range(5):
        assert by_name[f"cliff-{n}"] == (Finding.CLIFF,)
    assert flags(by_name["unused"] + by_name["broad"]) == "UB"


async def test_a_blocked_owner_is_read_from_the_user_and_flags_active_tokens_only(frozen_sim):
    ids = seed_findings(frozen_sim)
    frozen_sim.state.users[CAROL].state = "blocked"
    tokens, ownership = await carol_tokens(frozen_sim)
    assessor = Assessor(HygieneConfig(), owner_state_of(ownership))
    assessor.refresh(tokens, FROZEN_NOW)
    found = {t.id: assessor.of(t, FROZEN_NOW) for t in tokens}
    assert found[ids["clean"]] == (Finding.OWNER_BLOCKED,)
    assert found[ids["expired"]] == (Finding.EXPIRED,)  # a dead token: nothing to block
    assert found[ids["revoked"]] == ()
    [text] = [
        assessor.explain(t, Finding.OWNER_BLOCKED, FROZEN_NOW)
        for t in tokens
        if t.id == ids["clean"]
    ]
    assert "blocked" in text and "Revoke it" in text


async def test_filtering_keeps_the_order_and_follows_the_thresholds(frozen_sim):
    ids = seed_findings(frozen_sim)
    tokens, ownership = await carol_tokens(frozen_sim)
    assessor = Assessor(HygieneConfig(), owner_state_of(ownership))
    positions = list(reversed(range(len(tokens))))
    kept = assessor.keep(tokens, positions, Finding.CLIFF, FROZEN_NOW)
    assert [tokens[i].id for i in kept] == [ids[f"cliff-{n}"] for n in reversed(range(5))]
    unused = assessor.keep(tokens, positions, Finding.UNUSED, FROZEN_NOW)
    assert {tokens[i].id for i in unused} == {ids["unused"]}
    # Stricter thresholds: 60 days unused, broad after 30 days, cliffs of 6 tokens.
    assessor.set_config(HygieneConfig(unused_days=60, broad_scope_days=30, cliff_tokens=6))
    unused = assessor.keep(tokens, positions, Finding.UNUSED, FROZEN_NOW)
    assert {tokens[i].id for i in unused} == {ids["unused"], ids["used-89d"]}
    broad = assessor.keep(tokens, positions, Finding.BROAD_SCOPES, FROZEN_NOW)
    assert {tokens[i].id for i in broad} == {ids["broad"], ids["broad-short"]}
    assert assessor.keep(tokens, positions, Finding.CLIFF, FROZEN_NOW) == []


async def test_a_replaced_token_is_assessed_again(frozen_sim):
    ids = seed_findings(frozen_sim)
    tokens, _ = await carol_tokens(frozen_sim)
    assessor = Assessor()
    everything = range(len(tokens))
    before = assessor.keep(tokens, everything, Finding.EXPIRED, FROZEN_NOW)
    assert [tokens[i].id for i in before] == [ids["expired"]]
    [pos] = before
    tokens[pos] = tokens[pos].model_copy(update={"revoked": True})
    assert assessor.keep(tokens, everything, Finding.EXPIRED, FROZEN_NOW) == []
    # The next day, the 89-day-old use is 90 days old: still not more than 90; two days on, it is.
    later = FROZEN_NOW + timedelta(days=2)
    unused = assessor.keep(tokens, everything, Finding.UNUSED, later)
    assert {tokens[i].id for i in unused} == {ids["unused"], ids["used-89d"]}


async def test_deploy_tokens_have_no_use_findings_and_every_sentence_says_what_to_do(frozen_sim):
    frozen_sim.issue_deploy_token("project", 1, name="forever", scopes=("write_registry",))
    async with GitLabClient(frozen_sim.url, frozen_sim.admin_token, sleep=instant_sleep) as client:
        rows = [
            t.as_row("project", 1)
            for t in await client.list_deploy_tokens(DeployTokenOwner("project", 1))
        ]
    [row] = [r for r in rows if r.name == "forever"]
    assessor = Assessor()
    assessor.refresh(rows, FROZEN_NOW)
    assert assessor.of(row, FROZEN_NOW) == (Finding.NO_EXPIRY, Finding.BROAD_SCOPES)
    for finding in assessor.of(row, FROZEN_NOW):
        text = assessor.explain(row, finding, FROZEN_NOW)
        assert "delete" in text or "Recreate" in text


async def test_hits_list_every_finding_with_its_sentence(frozen_sim):
    ids = seed_findings(frozen_sim)
    tokens, _ = await carol_tokens(frozen_sim)
    hits = Assessor().hits(tokens, FROZEN_NOW)
    named = {(h.token.id, h.finding) for h in hits}
    assert (ids["unused"], Finding.UNUSED) in named
    assert (ids["expired"], Finding.EXPIRED) in named
    assert all(h.text.endswith(".") for h in hits)
    [expired] = [h for h in hits if h.finding is Finding.EXPIRED]
    assert "2026-11-20 (3 days ago)" in expired.text


def test_findings_are_named_by_name_or_flag():
    assert parse_finding("Unused") is Finding.UNUSED
    assert parse_finding("b") is Finding.BROAD_SCOPES
    with pytest.raises(ValueError, match="known: never-used, unused"):
        parse_finding("stale")


# --- the config file ------------------------------------------------------------------------


def write_config(config_home, text: str):
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_thresholds_come_from_the_config_file_and_survive_a_save(config_home):
    write_config(
        config_home,
        '[hygiene]\nunused_days = 30\ncliff_tokens = 12\nbroad_scopes = ["api", "sudo"]\n',
    )
    settings = config.load_settings()
    assert settings.hygiene == HygieneConfig(
        unused_days=30, cliff_tokens=12, broad_scopes=frozenset({"api", "sudo"})
    )
    settings.save()  # e.g. 'tokentui auth login' rewriting the file
    assert config.load_settings().hygiene == settings.hygiene
    assert config.load_settings(config_home / "none.toml").hygiene == HygieneConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unused_days = 0", "unused_days must be a whole number of days from 1 to 3650, not 0"),
        ('unused_days = "90d"', "unused_days must be a whole number of days"),
        ("broad_scope_days = true", "broad_scope_days must be a whole number of days"),
        ("cliff_tokens = 1", "cliff_tokens must be a whole number of tokens from 2"),
        ('broad_scopes = "api"', "broad_scopes must be a list of scope names"),
        ('broad_scopes = ["api", "wirte_repository"]', "unknown scope(s) 'wirte_repository'"),
        ("unused = 90", "unknown key(s) unused; known: unused_days"),
    ],
)
def test_a_bad_threshold_is_refused_naming_the_file_and_the_key(config_home, text, message):
    path = write_config(config_home, f"[hygiene]\n{text}\n")
    with pytest.raises(config.ConfigError) as caught:
        config.load_settings()
    assert message in str(caught.value)
    assert f"[hygiene] in {path}" in str(caught.value)


async def test_the_store_filters_by_a_finding_and_follows_its_changes(frozen_sim):
    from tokentui.core.expiry import FrozenClock
    from tokentui.core.query import ClientFilters
    from tokentui.core.store import TokenStore

    ids = seed_findings(frozen_sim)
    async with GitLabClient(frozen_sim.url, frozen_sim.admin_token, sleep=instant_sleep) as client:
        store = TokenStore(client, FrozenClock(FROZEN_NOW), source=PersonalTokens(user_id=CAROL))
        await store.load()
        store.set_client_filters(ClientFilters(finding=Finding.EXPIRED))
        assert [t.id for t in store.view] == [ids["expired"]]
        assert not store.client_filters.is_empty
        store.apply_revoked(ids["expired"])  # revoked: no longer a finding
        assert store.view == []
        store.set_client_filters(ClientFilters(finding=Finding.CLIFF, text="cliff-3"))
        assert [t.name for t in store.view] == ["cliff-3"]
