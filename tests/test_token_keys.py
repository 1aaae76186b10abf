"""Rows of different families share one list: a deploy token and an access token may have the
same id (GitLab keeps them in different tables), so lists key rows by ``Token.key``."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tokentui.core.cliffs import expiry_cliffs
from tokentui.core.query import TokenIndex
from tokentui.gitlab.models import DeployToken, Token

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def access(token_id: int, *, expires: date | None = None, name: str = "pat") -> Token:
    return Token(id=token_id, name=name, created_at=CREATED, expires_at=expires)


def deploy(token_id: int, *, expires: datetime | None = None) -> Token:
    entity = DeployToken(
        id=token_id,
        name="deploy",
        username=f"gitlab+deploy-token-{token_id}",
        expires_at=expires,
        scopes=("read_repository",),
    )
    return entity.as_row("project", 42)


def test_a_deploy_token_and_an_access_token_with_the_same_id_are_two_rows() -> None:
    index = TokenIndex()
    index.extend([access(7), deploy(7)])
    assert len(index.tokens) == 2
    got_access, got_deploy = index.get(access(7).key), index.get(deploy(7).key)
    assert got_access is not None and got_access.family == "access"
    assert got_deploy is not None and got_deploy.family == "deploy"
    # Replacing one does not touch the other.
    index.put(access(7, name="renamed"))
    assert len(index.tokens) == 2
    assert index.get(deploy(7).key) == deploy(7)


def test_a_deploy_row_keeps_gitlabs_facts_and_expires_early_never_late() -> None:
    row = deploy(3, expires=datetime(2027, 1, 1, 15, 30, tzinfo=UTC))
    assert (row.id, row.is_deploy, row.username) == (3, True, "gitlab+deploy-token-3")
    assert (row.resource_type, row.resource_id) == ("project", 42)
    assert row.expires_at == date(2027, 1, 1)  # 00:00 UTC of the instant's date
    assert row.created_at is None and row.active
    expired = DeployToken(id=4, name="old", username="u", expired=True).as_row("group", 1)
    assert not expired.active


def test_a_cliff_is_a_day_far_above_the_usual() -> None:
    cliff = date(2027, 5, 16)
    usual = [access(100 + n, expires=date(2027, 6, 1 + n)) for n in range(20)]
    usual += [access(200 + n, expires=date(2027, 6, 1 + n)) for n in range(20)]  # 2 a day
    tokens = usual + [access(n, expires=cliff) for n in range(1, 9)]
    assert expiry_cliffs(tokens) == {cliff: 8}
    # Revoked tokens do not count; a day of 5 is below 3x the usual 2.
    assert expiry_cliffs(usual + [access(n, expires=cliff) for n in range(1, 6)]) == {}
    gone = [t.model_copy(update={"active": False, "revoked": True}) for t in tokens[-8:]]
    assert expiry_cliffs(usual + gone) == {}
