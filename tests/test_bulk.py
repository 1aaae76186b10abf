"""Bulk rotate and revoke in core (issue 14): the preview (``core/bulk.py``), the new expiries
(``core/rotate_expiry.py``: same lifetime, a date, a spread), the marks (``core/marks.py``),
the values file (``core/values_file.py``) and the operations layer's deploy-token rows.

The batches run against the real simulator over loopback HTTP and assert its state and its
request log (one write per token, deploy tokens through their own endpoints).
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, date, datetime, timedelta

import pytest

from tokentui.core.bulk import plan_revoke, plan_rotate
from tokentui.core.marks import Marks
from tokentui.core.operations import Operations, Status
from tokentui.core.rotate_expiry import RotateExpiry, new_expiries, spread_dates, spread_problem
from tokentui.core.values_file import ValueRecord, ValuesFileError, write_values
from tokentui.core.write_outcome import Action, Finding
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.deploy_tokens import DeployTokenOwner
from tokentui.gitlab.models import Token
from tokentui.gitlab.sources import PersonalTokens, ProjectTokens
from tokentui.simulator import Simulator

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


async def instant(delay: float) -> None:
    """A retry wait that does not wait."""


def token(id: int, name: str = "t", **fields: object) -> Token:
    fields.setdefault("created_at", NOW - timedelta(days=10))
    return Token(id=id, name=name, **fields)  # type: ignore[arg-type]


def describe(t: Token) -> tuple[str, str]:
    return ("deploy" if t.is_deploy else "personal"), ("platform/api" if t.is_deploy else "@bob")


def writes(sim: Simulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.request_log if r.method in ("POST", "DELETE", "PUT")]


# -- marks -------------------------------------------------------------------------------------


def test_marks_toggle_mark_invert_clear_by_key() -> None:
    marks = Marks()
    assert marks.toggle(5) and 5 in marks
    assert not marks.toggle(5) and 5 not in marks
    # A deploy token and an access token with the same id are two marks (Token.key).
    access, deploy = token(7), token(7, family="deploy", resource_type="project", resource_id=1)
    marks.mark([access.key, deploy.key])
    assert len(marks) == 2
    marks.invert([7, 8])  # the tokens shown: 7 flips off, 8 on; -7 (hidden) stays
    assert set(marks) == {-7, 8}
    marks.retain(lambda key: key != 8)
    assert set(marks) == {-7}
    assert marks.clear() == 1 and not marks


# -- the preview -------------------------------------------------------------------------------


def test_plan_revoke_skips_revoked_and_expired_and_counts_kinds() -> None:
    tokens = [
        token(1, "live", expires_at=TODAY + timedelta(days=3)),
        token(2, "gone", revoked=True, active=False),
        token(3, "old", expires_at=TODAY - timedelta(days=1), active=False),
        token(4, "ci", family="deploy", resource_type="project", resource_id=1),
        token(5, "me"),
    ]
    plan = plan_revoke(tokens, now=NOW, in_use_key=5, describe=describe)
    assert [t.id for t in plan.targets] == [1, 4, 5]
    assert plan.in_use is not None and plan.in_use.id == 5
    assert [s.token.id for s in plan.skipped] == [2, 3]
    assert "already revoked" in plan.skipped[0].reason
    assert "expired on 2026-11-22" in plan.skipped[1].reason
    assert plan.kinds == (("personal", 2), ("deploy", 1))
    text = "\n".join(plan.summary())
    assert "Revoke 3 tokens." in text and "own credential is among them" in text
    assert "Skipped (2):" in text


def test_plan_rotate_skips_deploy_tokens_and_spreads_expiries() -> None:
    tokens = [token(i, f"t{i}", expires_at=TODAY + timedelta(days=2)) for i in range(1, 5)]
    tokens.append(token(9, "deploy", family="deploy", resource_type="group", resource_id=2))
    plan = plan_rotate(
        tokens,
        now=NOW,
        in_use_key=None,
        describe=describe,
        expiry=RotateExpiry(on=TODAY + timedelta(days=30), spread_days=8),
    )
    assert [t.id for t in plan.targets] == [1, 2, 3, 4]
    [skip] = plan.skipped
    assert "no rotate endpoint for deploy tokens" in skip.reason
    start = TODAY + timedelta(days=30)
    assert [plan.expiries[k] for k in (1, 2, 3, 4)] == [
        start,
        start + timedelta(days=2),
        start + timedelta(days=4),
        start + timedelta(days=6),
    ]
    assert "spread over 8 days from 2026-12-23" in "\n".join(plan.summary())


def test_spread_is_even_and_checked_against_the_maximum() -> None:
    start = date(2027, 1, 1)
    assert spread_dates(3, start, 3) == [start, start + timedelta(1), start + timedelta(2)]
    five = spread_dates(5, start, 2)  # more tokens than days: at most ceil(5/2) a day
    assert max(five.count(d) for d in set(five)) == 3 and len(set(five)) == 2
    too_far = RotateExpiry(on=TODAY + timedelta(days=360), spread_days=14)
    assert "past the 365-day maximum" in (spread_problem(too_far, TODAY) or "")
    with pytest.raises(ValueError, match="365-day maximum"):
        new_expiries(too_far, [token(1)], TODAY)
    same = new_expiries(
        RotateExpiry(same_lifetime=True),
        [token(1, expires_at=TODAY + timedelta(days=20)), token(2)],
        TODAY,
    )
    assert same == {1: TODAY + timedelta(days=30), 2: None}  # created 10 days ago


# -- the values file ---------------------------------------------------------------------------


def test_values_file_is_created_0600_and_never_overwritten(tmp_path) -> None:
    from pydantic import SecretStr

    record = ValueRecord(7, "ci", "project", "platform/api", TODAY, SecretStr("glpat-x"))
    path = write_values(str(tmp_path / "values.json"), [record])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text()) == [
        {
            "id": 7,
            "name": "ci",
            "kind": "project",
            "resource": "platform/api",
            "expires_at": TODAY.isoformat(),
            "token": "glpat-x",
        }
    ]
    with pytest.raises(ValuesFileError, match="already exists"):
        write_values(str(path), [record])
    assert json.loads(path.read_text())[0]["id"] == 7
    with pytest.raises(ValuesFileError, match="type the path"):
        write_values("  ", [record])


# -- the operations layer: deploy-token rows ---------------------------------------------------


async def test_deploy_rows_are_revoked_through_the_deploy_token_endpoints(sim: Simulator) -> None:
    """A deploy token whose id equals an access token's (and the credential in use's) is
    revoked with ``DELETE /projects/:id/deploy_tokens/:id``, never the access-token one."""
    value = sim.issue_deploy_token("project", 1, name="ci-deploy")
    record = sim.deploy_token_record(value)
    async with GitLabClient(sim.url, sim.maintainer_token, sleep=instant) as client:
        [listed] = [
            t
            for t in await client.list_deploy_tokens(DeployTokenOwner("project", 1))
            if t.id == record.id
        ]
        row = listed.as_row("project", 1)
        # Its id as the credential in use's: the layer keys by Token.key, not id.
        operations = Operations(client, in_use_id=record.id)
        [outcome] = await operations.revoke(ProjectTokens(resource="platform/api"), [row])
        [rotated] = await operations.rotate(ProjectTokens(resource="platform/api"), [row])
    assert outcome.status is Status.DONE and not outcome.in_use
    assert record.id not in sim.state.deploy_tokens
    assert writes(sim) == [("DELETE", f"/api/v4/projects/1/deploy_tokens/{record.id}")]
    assert rotated.status is Status.REFUSED and "no rotate endpoint" in (rotated.reason or "")
    assert not sim.token_record(sim.maintainer_token).revoked


async def test_a_deploy_revoke_whose_answer_is_lost_is_read_back(sim: Simulator) -> None:
    value = sim.issue_deploy_token("group", 1, name="lost-deploy")
    record = sim.deploy_token_record(value)
    sim.faults.proxy_error("DELETE", rf"/deploy_tokens/{record.id}$", 502, after_action=True)
    row = Token(
        id=record.id, name="lost-deploy", family="deploy", resource_type="group", resource_id=1
    )
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant) as client:
        [outcome] = await Operations(client).revoke(PersonalTokens(), [row])
    assert outcome.status is Status.UNKNOWN
    assert outcome.verdict is not None and outcome.verdict.finding is Finding.DONE
    assert outcome.verdict.action is Action.REVOKE
    assert [m for m, _ in writes(sim)] == ["DELETE"]  # read back, never sent again
