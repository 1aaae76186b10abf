"""The scripting CLI's renderers: JSON schema, CSV neutralisation, a safe terminal table."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr

from tokentui.cli import output
from tokentui.gitlab.models import NewToken, Token, TokenKind
from tokentui.gitlab.scopes import SCOPE_MEANINGS

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def make_token(**fields: object) -> Token:
    base: dict[str, object] = {
        "id": 7,
        "name": "ci-deploy",
        "created_at": "2026-01-02T03:04:05.678Z",
        "scopes": ["api", "read_repository"],
        "user_id": 2,
        "expires_at": "2026-11-30",
        "active": True,
    }
    base.update(fields)
    return Token.model_validate(base)


def test_record_has_every_documented_key_in_order() -> None:
    record = output.token_record(make_token(), NOW)
    assert tuple(record) == output.FIELDS


def test_record_values_and_computed_fields() -> None:
    token = make_token(
        last_used_at="2026-11-20T08:00:00Z",
        last_used_ips=["10.0.0.1"],
        description=None,
    )
    record = output.token_record(token, NOW, kind=TokenKind.PERSONAL)
    assert record["id"] == 7
    assert record["kind"] == "personal"
    assert record["state"] == "active"
    assert record["scopes"] == ["api", "read_repository"]
    assert record["created_at"] == "2026-01-02T03:04:05.678Z"
    assert record["last_used_at"] == "2026-11-20T08:00:00.000Z"
    assert record["last_used_ips"] == ["10.0.0.1"]
    assert record["expires_at"] == "2026-11-30"
    # 00:00 UTC on 2026-11-30 is 6 days 12 hours after NOW.
    assert record["expires_in_s"] == 6 * 86_400 + 12 * 3_600
    assert record["description"] is None
    assert record["access_level"] is None and record["access_level_name"] is None


def test_record_expired_revoked_never_and_resource() -> None:
    expired = output.token_record(make_token(expires_at="2026-11-23"), NOW)
    assert expired["state"] == "expired"
    assert expired["expires_in_s"] == -12 * 3_600
    revoked = output.token_record(make_token(revoked=True, active=False), NOW)
    assert revoked["state"] == "revoked"
    never = output.token_record(make_token(expires_at=None), NOW)
    assert never["expires_at"] is None and never["expires_in_s"] is None
    project = output.token_record(
        make_token(access_level=30, resource_type="project", resource_id=1), NOW
    )
    assert project["kind"] == "project"
    assert project["access_level_name"] == "Developer"
    impersonation = output.token_record(make_token(impersonation=True), NOW)
    assert impersonation["kind"] == "impersonation"


def test_new_token_record_carries_the_value_only_there() -> None:
    new = NewToken.model_validate(
        {**make_token().model_dump(mode="json"), "token": SecretStr("glpat-secretvalue1234567")}
    )
    record = output.new_token_record(new, NOW, rotated_from_id=3)
    assert record["token"] == "glpat-secretvalue1234567"
    assert record["rotated_from_id"] == 3
    assert "glpat-secretvalue1234567" not in json.dumps(output.token_record(new.public(), NOW))


def test_json_escapes_control_and_bidi_characters_but_stays_valid() -> None:
    hostile = "evil\x1b[31mred\x1b]8;;http://x\x07\u202eright\x9b"
    text = output.dumps_json([output.token_record(make_token(name=hostile), NOW)])
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\x9b" not in text
    assert json.loads(text)[0]["name"] == hostile
    emoji = output.dumps_json({"name": "🔑 clé"})
    assert "🔑 clé" in emoji


def test_csv_header_and_formula_neutralisation() -> None:
    tokens = [
        make_token(id=1, name='=HYPERLINK("http://x")'),
        make_token(id=2, name="+cmd", description="@SUM(A1)"),
        make_token(id=3, name="-2+3", expires_at="2026-11-01"),
        make_token(id=4, name="plain, with comma"),
    ]
    buffer = io.StringIO()
    output.write_csv((output.token_record(t, NOW) for t in tokens), buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows[0] == list(output.FIELDS)
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_id["1"]["name"] == '\'=HYPERLINK("http://x")'
    assert by_id["2"]["name"] == "'+cmd"
    assert by_id["2"]["description"] == "'@SUM(A1)"
    assert by_id["3"]["name"] == "'-2+3"
    assert by_id["4"]["name"] == "plain, with comma"
    # Our own numbers stay numbers (an expired token's negative seconds is not a formula).
    assert by_id["3"]["expires_in_s"] == str(-22 * 86_400 - 12 * 3_600)
    assert by_id["4"]["scopes"] == "api read_repository"
    assert by_id["4"]["revoked"] == "false"
    for row in rows[1:]:
        for cell in row[1:3]:
            assert not cell.startswith(("=", "+", "-", "@"))


def test_table_is_plain_without_colour_and_shows_text_literally() -> None:
    tokens = [
        make_token(id=1, name="[bold]markup[/bold]"),
        make_token(id=22, name="esc\x1b[2Jclear", expires_at="2026-11-23"),
        make_token(id=333, name="🔑 emoji ‮rtl"),
    ]
    buffer = io.StringIO()
    output.write_table(tokens, NOW, buffer, width=200, color=False)
    text = buffer.getvalue()
    lines = text.splitlines()
    assert lines[0].split() == [
        "ID",
        "NAME",
        "KIND",
        "STATE",
        "SCOPES",
        "EXPIRES",
        "LEFT",
        "LAST",
        "USED",
    ]
    assert "[bold]markup[/bold]" in text
    assert "esc\\x1b[2Jclear" in text and "\x1b" not in text
    assert "\u202e" not in text and "\\u202e" in text
    assert "expired" in lines[2]
    assert len(lines) == 4


def test_table_colours_only_when_asked_and_fits_width() -> None:
    token = make_token(name="n" * 300)
    buffer = io.StringIO()
    output.write_table([token], NOW, buffer, width=100, color=True)
    text = buffer.getvalue()
    assert "\x1b[32m" in text  # active in green
    plain = io.StringIO()
    output.write_table([token], NOW, plain, width=100, color=False)
    for line in plain.getvalue().splitlines():
        assert output.display_width(line) <= 100
    assert "…" in plain.getvalue()


def test_use_color_honours_no_color(monkeypatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert output.use_color(Tty())
    assert not output.use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not output.use_color(Tty())


def test_detail_lists_every_field() -> None:
    buffer = io.StringIO()
    token = make_token(access_level=40, description="deploys\x1b[0m", expires_at=date(2027, 1, 1))
    output.write_detail(token, NOW, buffer)
    text = buffer.getvalue()
    for label in ("id:", "name:", "scopes:", "access level:", "expires at:", "countdown:"):
        assert label in text
    assert "40 (Maintainer)" in text
    assert "api, read_repository" in text
    assert "deploys\\x1b[0m" in text and "\x1b" not in text


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_table_fits_narrow_terminals_keeping_the_essentials(width: int) -> None:
    tokens = [
        make_token(id=12345, name="a-rather-long-token-name-for-ci", scopes=list(SCOPE_MEANINGS)),
        make_token(id=2, name="x", last_used_at="2026-11-20T08:00:00Z", impersonation=True),
    ]
    buffer = io.StringIO()
    output.write_table(tokens, NOW, buffer, width=width, color=False)
    lines = buffer.getvalue().splitlines()
    assert all(output.display_width(line) <= width for line in lines)
    header = lines[0].split()
    for column in ("ID", "NAME", "STATE", "LEFT"):
        assert column in header
    assert "12345" in lines[1] and "6d 12h 00m left" in lines[1]
    if width >= 160:
        assert "impersonation" in lines[2] and "a-rather-long-token-name-for-ci" in lines[1]
