"""The source picker (``t``) takes usernames and paths, completes them from GitLab's search,
tells service accounts apart, and clears its "Looking up…" line. Pilot tests against the
frozen simulator over loopback HTTP."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static
from tui_helpers import FROZEN_NOW, settle, sim_app, wait_for

from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.sources import ImpersonationTokens, PersonalTokens, ServiceAccountTokens
from tokentui.tui.screens.source_picker import SourcePicker

BOB = 3


def picker_message(picker: SourcePicker) -> str:
    widget = picker.query_one("#source-error", Static)
    return str(widget.render()) if widget.has_class("-visible") else ""


async def open_picker(pilot, app, choice: str) -> SourcePicker:
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, SourcePicker))
    picker = app.screen
    assert isinstance(picker, SourcePicker)
    picker.choose(choice)
    await pilot.pause()
    return picker


def suggestions(picker: SourcePicker) -> list[str]:
    listed = picker.query_one("#source-suggestions", OptionList)
    if not listed.display:
        return []
    return [str(listed.get_option_at_index(i).id) for i in range(listed.option_count)]


async def test_a_user_by_username(frozen_sim) -> None:
    app = sim_app(frozen_sim, clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        picker = await open_picker(pilot, app, "user")
        await pilot.press(*"bob", "enter")
        await wait_for(pilot, lambda: app.screen is not picker)
        await settle(pilot)
        assert app.store.source == PersonalTokens(user_id=BOB)
        assert app.store.view and {t.user_id for t in app.store.view} == {BOB}
        # The lookup used GitLab's username filter, not a numeric id.
        assert any("username=bob" in r.query for r in frozen_sim.requests("GET", "/users"))


async def test_an_unknown_username_says_so(frozen_sim) -> None:
    app = sim_app(frozen_sim, clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        picker = await open_picker(pilot, app, "impersonation")
        await pilot.press(*"nobody", "enter")
        await wait_for(pilot, lambda: not picker.busy)
        message = picker_message(picker)
        assert "no user 'nobody'" in message and "numeric" not in message
        assert app.store.source == PersonalTokens(user_id=None)
        picker.query_one("#source-value", Input).value = ""
        await pilot.press(*"alice", "enter")
        await wait_for(pilot, lambda: app.screen is not picker)
        await settle(pilot)
        assert app.store.source == ImpersonationTokens(user_id=2)


async def test_typing_completes_from_gitlabs_search(frozen_sim) -> None:
    app = sim_app(frozen_sim, clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        picker = await open_picker(pilot, app, "user")
        await pilot.press(*"car")
        await wait_for(pilot, lambda: suggestions(picker) == ["carol"])
        assert any("search=car" in r.query for r in frozen_sim.requests("GET", "/users"))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen is not picker)
        await settle(pilot)
        assert app.store.source == PersonalTokens(user_id=4)

        picker = await open_picker(pilot, app, "project")
        await pilot.press(*"platform/a")
        await wait_for(pilot, lambda: suggestions(picker) == ["platform/api"])
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen is not picker)
        await settle(pilot)
        assert app.store.source.label == "project platform/api"

        picker = await open_picker(pilot, app, "group")
        await pilot.press(*"infra")
        await wait_for(pilot, lambda: suggestions(picker) == ["platform/infra"])
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen is not picker)
        await settle(pilot)
        assert app.store.source.label == "group platform/infra"


async def test_completion_offers_only_what_a_user_can_list(frozen_sim) -> None:
    """bob (Maintainer of platform/api, Owner of platform) is offered those; alice
    (Developer) no project: a project's tokens need a Maintainer."""
    app = sim_app(frozen_sim, as_user="maintainer", clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        picker = await open_picker(pilot, app, "project")
        await pilot.press(*"platform")
        await wait_for(pilot, lambda: suggestions(picker) == ["platform/api", "platform/web"])
        assert "min_access_level=40" in frozen_sim.requests("GET", "/projects")[-1].query
    app = sim_app(frozen_sim, as_user="user", clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        picker = await open_picker(pilot, app, "project")
        before = len(frozen_sim.requests("GET", "/projects"))
        await pilot.press(*"platform")
        await wait_for(pilot, lambda: len(frozen_sim.requests("GET", "/projects")) > before)
        await settle(pilot)
        assert suggestions(picker) == []


async def test_service_accounts_by_name_and_the_lookup_line_goes(frozen_sim) -> None:
    accounts = sorted(
        (u for u in frozen_sim.state.users.values() if u.provisioned_by_group_id == 1),
        key=lambda u: u.id,
    )
    app = sim_app(frozen_sim, clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        picker = await open_picker(pilot, app, "service-account")
        await pilot.press(*"platform", "enter")
        listed = picker.query_one("#service-accounts", OptionList)
        await wait_for(pilot, lambda: listed.display and listed.option_count == 2)
        # "Looking up the group's service accounts…" is gone once they are listed.
        assert picker_message(picker) == ""
        # Each entry shows its name and its whole username (the part that differs).
        labels = [str(listed.get_option_at_index(i).prompt) for i in range(2)]
        assert len(set(labels)) == 2
        for account in accounts:
            (label,) = [label for label in labels if account.username in label]
            assert account.name in label and f"id {account.id}" in label
        painted = "\n".join(s.text for s in app.screen._compositor.render_strips())
        for account in accounts:
            assert account.username in painted
        await pilot.press("escape")
        await pilot.pause()

        # GROUP:USERNAME works as well as GROUP:USER_ID.
        picker = await open_picker(pilot, app, "service-account")
        await pilot.press(*f"platform:{accounts[1].username}", "enter")
        await wait_for(pilot, lambda: app.screen is not picker)
        await settle(pilot)
        assert app.store.source == ServiceAccountTokens(group="platform", user_id=accounts[1].id)
