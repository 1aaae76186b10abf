"""``tokentui check`` (issue 15): the Nagios/Icinga plugin, run in process against the real
simulator over loopback HTTP, with the clock of both frozen at ``FROZEN_NOW``."""

from __future__ import annotations

import sys
from datetime import date, timedelta

import pytest
from cli_helpers import Run, clean_environment, run_tokentui
from conftest import FROZEN_NOW, SimFactory
from test_cli_usability import closed_port

from tokentui.cli.commands import check
from tokentui.core.expiry import FrozenClock
from tokentui.simulator import Simulator

TODAY = FROZEN_NOW.date()  # 2026-11-23; now is 12:00 UTC
CAROL, DAVE = 4, 5


@pytest.fixture
def sim(sim_factory: SimFactory) -> Simulator:
    """Only the three credentials' tokens (they expire in 2027), the clock frozen."""
    return sim_factory(clock=lambda: FROZEN_NOW, tokens=3)


@pytest.fixture
def plugin(sim, tmp_path, monkeypatch, capsys):
    """``plugin(*argv, token=..., url=...)``: tokentui in process as the admin by default."""
    clean_environment(monkeypatch, tmp_path / "config")
    monkeypatch.setattr(check, "clock", FrozenClock(FROZEN_NOW))

    def run(*argv: str, token: str | None = None, url: str | None = None) -> Run:
        url = sim.url if url is None else url
        token = sim.admin_token if token is None else token
        return run_tokentui(monkeypatch, capsys, argv, url=url, token=token)

    return run


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def issue(sim: Simulator, user: int, name: str, expires_at: date | None, **kw) -> tuple[int, str]:
    value = sim.issue_token(user, name=name, scopes=("api",), expires_at=expires_at, **kw)
    return sim.token_record(value).id, value


@pytest.fixture
def carol(sim: Simulator) -> dict[str, tuple[int, str]]:
    """Carol's tokens, one per case."""
    return {
        "far": issue(sim, CAROL, "far", days(60)),
        "warn": issue(sim, CAROL, "warn-10d", days(10)),  # 9d 12h left
        "crit": issue(sim, CAROL, "crit-2d", days(2)),  # 1d 12h left
        "revoked": issue(sim, CAROL, "revoked-soon", days(1), revoked=True),
        "expired": issue(sim, CAROL, "expired-today", TODAY),  # expired 12h ago
        "old": issue(sim, CAROL, "long-dead", days(-30)),
        "replaced": issue(sim, CAROL, "replaced", days(-1)),  # expired 1d 12h ago ...
        "successor": issue(sim, CAROL, "replaced", days(60)),  # ... and replaced
    }


def test_ok_exits_0_with_the_soonest_expiry_in_perfdata(sim: Simulator, plugin) -> None:
    issue(sim, DAVE, "far", days(60))
    issue(sim, DAVE, "never", None)
    result = plugin("check", "--user", "dave")
    assert result.code == 0
    assert result.out == (
        "TOKENS OK - none expires within 14d; 2 active tokens of user 5 (soonest: 59d 12h 00m "
        "left) | expiring_critical=0;;;0 expiring_warning=0;;;0 expired_recently=0;;;0 "
        "active=2;;;0 min_days_left=59.5;14:;3:;0\n"
    )


def test_no_expiring_token_leaves_min_days_left_out(sim: Simulator, plugin) -> None:
    issue(sim, DAVE, "never", None)
    result = plugin("check", "--user", "5")
    assert result.code == 0
    assert result.first.endswith(
        "| expiring_critical=0;;;0 expiring_warning=0;;;0 expired_recently=0;;;0 active=1;;;0"
    )


def test_windows_critical_exits_2_and_lists_each_token(carol, plugin) -> None:
    result = plugin("check", "--user", "carol")
    assert result.code == 2
    assert result.first == (
        "TOKENS CRITICAL - 1 expired in the last 7d, 1 expires within 3d, 1 more within 14d; "
        "4 active tokens of user 4 (soonest: 1d 12h 00m left) | expiring_critical=1;;;0 "
        "expiring_warning=1;;;0 expired_recently=1;;;0 active=4;;;0 "
        "min_days_left=1.5;14:;3:;0"
    )
    # Expired first, then by time left; revoked, long-expired and replaced tokens not at all.
    assert result.rest == [
        f"CRITICAL: token {carol['expired'][0]} 'expired-today' (personal, @carol) expired "
        "2026-11-23, expired 12h ago",
        f"CRITICAL: token {carol['crit'][0]} 'crit-2d' (personal, @carol) expires 2026-11-25, "
        "1d 12h 00m left",
        f"WARNING: token {carol['warn'][0]} 'warn-10d' (personal, @carol) expires 2026-12-03, "
        "9d 12h 00m left",
    ]
    assert result.err == ""
    for _id, value in carol.values():
        assert value not in result.out


def test_warning_exits_1_and_thresholds_take_hours(carol, plugin) -> None:
    # 36h is exactly what crit-2d has left: the boundary is OK (Nagios range "1.5:").
    result = plugin(
        "check", "--user", "carol", "--warn", "10d", "--crit", "36h", "--expired-within", "0"
    )
    assert result.code == 1
    assert result.first == (
        "TOKENS WARNING - 2 expire within 10d; 4 active tokens of user 4 (soonest: 1d 12h 00m "
        "left) | expiring_critical=0;;;0 expiring_warning=2;;;0 expired_recently=0;;;0 "
        "active=4;;;0 min_days_left=1.5;10:;1.5:;0"
    )
    assert [line.split(" '")[0] for line in result.rest] == [
        f"WARNING: token {carol['crit'][0]}",
        f"WARNING: token {carol['warn'][0]}",
    ]


def test_an_expired_token_stays_critical_until_revoked_or_replaced(
    sim: Simulator, carol, plugin
) -> None:
    before = plugin("check", "--user", "carol", "--warn", "1d", "--crit", "1d")
    assert before.code == 2 and "1 expired in the last 7d" in before.first
    sim.issue_token(CAROL, name="expired-today", scopes=("api",), expires_at=days(90))
    after = plugin("check", "--user", "carol", "--warn", "1d", "--crit", "1d")
    assert after.code == 0, after.out  # replaced by an active token of the same name


def test_project_tokens_name_their_project(sim: Simulator, plugin) -> None:
    value = sim.issue_resource_token(
        "project", 1, name="deploy", scopes=("api",), expires_at=days(2)
    )
    result = plugin("check", "--project", "platform/api")
    assert result.code == 2
    token_id = sim.token_record(value).id
    assert (
        f"CRITICAL: token {token_id} 'deploy' (project, platform/api) expires 2026-11-25, "
        "1d 12h 00m left"
    ) in result.rest
    assert value not in result.out + result.err


def test_server_text_cannot_break_the_plugin_output(sim: Simulator, plugin) -> None:
    issue(sim, DAVE, "a|b\nc\x1b[31m", days(2))
    result = plugin("check", "--user", "dave")
    assert result.code == 2
    assert len(result.out.splitlines()) == 2
    assert result.first.count("|") == 1  # only the perfdata separator
    assert "'a¦b\\x0ac\\x1b[31m'" in result.rest[0]


# --- UNKNOWN: every error is 3, with the reason on stdout ---------------------------------------


def test_unreachable_gitlab_is_unknown(plugin) -> None:
    port = closed_port()
    result = plugin("check", "--mine", url=f"http://127.0.0.1:{port}")
    assert result.code == 3
    assert result.first.startswith(
        f"TOKENS UNKNOWN - Nothing answers at 127.0.0.1:{port} (connection refused)"
    )
    assert len(result.out.splitlines()) == 1


def test_a_revoked_credential_is_unknown(sim: Simulator, plugin) -> None:
    value = sim.issue_token(2, name="gone", scopes=("api",), revoked=True, expires_at=days(9))
    result = plugin("check", "--mine", token=value)
    assert result.code == 3
    assert result.first.startswith(
        "TOKENS UNKNOWN - the credential is no longer valid (revoked): GitLab: Token was revoked"
    )
    assert value not in result.out + result.err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("--warn", "soon"), "--warn: 'soon' is not a duration"),
        (("--crit", "20d"), "--crit (20d) is longer than --warn (14d)"),
        (("--warn", "0"), "--warn and --crit must be longer than 0"),
        (("--bogus",), "unrecognized arguments: --bogus"),
        (("--mine", "--all"), "not allowed with argument"),
        (("--user", "bob smith"), "bob smith"),
    ],
)
def test_bad_arguments_are_unknown_not_2(sim: Simulator, plugin, argv, said) -> None:
    mark = len(sim.request_log)
    result = plugin("check", *argv)
    assert result.code == 3, result
    assert result.first.startswith("TOKENS UNKNOWN - ")
    assert said in result.first
    assert len(sim.request_log) == mark  # refused before any request


def test_check_help_lists_the_exit_codes(plugin) -> None:
    result = plugin("check", "--help")
    assert result.code == 0
    assert "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" in " ".join(result.out.split())


def test_check_is_a_top_level_command(plugin) -> None:
    assert "check" in plugin("--help").out
    assert sys.modules["tokentui.cli.commands.check"] is check
