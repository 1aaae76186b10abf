"""``tokentui export --format prometheus`` (issue 15): gauges in cnieg/gitlab-tokens-exporter's
names, parsed with ``prometheus_client``'s own parser, on stdout and written atomically for
node_exporter's textfile collector; in process against the real simulator, clock frozen."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cli_helpers import Run, clean_environment, run_tokentui
from conftest import FROZEN_NOW
from prometheus_client.parser import text_string_to_metric_families
from test_cli_check import CAROL, DAVE, days, issue
from test_cli_check import sim as sim
from test_cli_usability import closed_port

from tokentui.cli.commands import export
from tokentui.core import monitoring
from tokentui.core.expiry import FrozenClock
from tokentui.simulator import Simulator

DAYS = "gitlab_token_days_remaining"
LAST_SCAN = "gitlab_tokens_exporter_last_scan_timestamp"
ERRORS = "gitlab_tokens_exporter_scan_errors"


@pytest.fixture
def cli(sim, tmp_path, monkeypatch, capsys):
    """``cli(*argv, token=..., url=...)``: tokentui in process as the admin by default."""
    clean_environment(monkeypatch, tmp_path / "config")
    monkeypatch.setattr(export, "clock", FrozenClock(FROZEN_NOW))

    def run(*argv: str, token: str | None = None, url: str | None = None) -> Run:
        url = sim.url if url is None else url
        token = sim.admin_token if token is None else token
        return run_tokentui(monkeypatch, capsys, argv, url=url, token=token)

    return run


def samples(text: str) -> dict[str, list]:
    """Every sample of every family, parsed by prometheus_client (which rejects bad text)."""
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge"
        assert family.documentation
        found[family.name] = list(family.samples)
    return found


def by_id(text: str) -> dict[str, dict[str, str]]:
    return {s.labels["id"]: {**s.labels, "value": s.value} for s in samples(text)[DAYS]}


def test_personal_tokens_have_cnieg_labels_and_days(sim: Simulator, cli) -> None:
    soon, soon_value = issue(sim, CAROL, "ci-deploy", days(10))
    never, never_value = issue(sim, DAVE, "forever", None)
    gone, gone_value = issue(sim, CAROL, "old", days(-3))
    revoked, revoked_value = issue(sim, CAROL, "revoked", days(30), revoked=True)
    result = cli("export", "--format", "prometheus", "--all")
    assert result.code == 0 and result.err == ""
    parsed = samples(result.out)
    assert set(parsed) == {DAYS, LAST_SCAN, ERRORS}
    assert [s.value for s in parsed[LAST_SCAN]] == [FROZEN_NOW.timestamp()]
    assert [s.value for s in parsed[ERRORS]] == [0]
    rows = by_id(result.out)
    assert rows[str(soon)] == {
        "name": "ci-deploy",
        "id": str(soon),
        "type": "user",
        "user": "carol",
        "active": "true",
        "revoked": "false",
        "scopes": "[api]",
        "expires_at": "2026-12-03",
        "kind": "personal",
        "owner": "carol",
        "resource": "",
        "value": 10,
    }
    # No expiry: 9999 (cnieg's value) and no expires_at label.
    assert rows[str(never)]["value"] == monitoring.NO_EXPIRY_DAYS == 9999
    assert "expires_at" not in rows[str(never)]
    assert rows[str(gone)]["value"] == -3 and rows[str(gone)]["active"] == "false"
    assert rows[str(revoked)]["revoked"] == "true" and rows[str(revoked)]["active"] == "false"
    # The three credentials' tokens are there too; never a value.
    assert len(rows) == 7
    for value in (soon_value, never_value, gone_value, revoked_value, sim.admin_token):
        assert value not in result.out


def test_no_revoked_leaves_revoked_tokens_out(sim: Simulator, cli) -> None:
    issue(sim, CAROL, "revoked", days(30), revoked=True)
    kept, _ = issue(sim, CAROL, "kept", days(30))
    rows = by_id(cli("export", "--user", "carol", "--no-revoked").out)
    assert set(rows) == {str(kept)}


def test_project_tokens_have_their_project_access_level_and_web_url(sim: Simulator, cli) -> None:
    value = sim.issue_resource_token(
        "project",
        1,
        name="deploy",
        scopes=("read_api", "read_repository"),
        access_level=30,
        expires_at=days(5),
    )
    token_id = str(sim.token_record(value).id)
    result = cli("export", "--project", "platform/api")
    row = by_id(result.out)[token_id]
    assert row == {
        "name": "deploy",
        "id": token_id,
        "type": "project",
        "project": "platform/api",
        "active": "true",
        "revoked": "false",
        "access_level": "developer",
        "web_url": f"{sim.url}/platform/api",
        "scopes": "[read_api,read_repository]",
        "expires_at": days(5).isoformat(),
        "kind": "project",
        "owner": "",
        "resource": "platform/api",
        "value": 5,
    }
    assert value not in result.out


def test_label_values_are_escaped(sim: Simulator, cli) -> None:
    name = 'say "hi"\\ to\nme'
    token_id, _ = issue(sim, DAVE, name, days(3))
    result = cli("export", "--user", "dave")
    assert by_id(result.out)[str(token_id)]["name"] == name  # parsed back exactly
    assert 'name="say \\"hi\\"\\\\ to\\nme"' in result.out


# --- --output: atomic textfile --------------------------------------------------------------


def test_output_is_replaced_atomically_with_mode_0644(sim: Simulator, cli, tmp_path) -> None:
    out_dir = tmp_path / "textfile"
    out_dir.mkdir()
    target = out_dir / "gitlab_tokens.prom"
    first = cli("export", "--all", "--output", str(target))
    assert first.code == 0 and first.out == "" and first.err == ""
    old = target.read_text()
    new_id, value = issue(sim, CAROL, "new", days(20))
    second = cli("export", "--all", "-o", str(target))
    assert second.code == 0
    text = target.read_text()
    assert text != old and str(new_id) in by_id(text)
    assert os.listdir(out_dir) == ["gitlab_tokens.prom"]  # no temporary file left
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert value not in text


def test_a_failed_write_leaves_the_old_file_whole(cli, tmp_path, monkeypatch) -> None:
    target = tmp_path / "tokens.prom"
    assert cli("export", "--all", "-o", str(target)).code == 0
    old = target.read_text()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(monitoring.os, "replace", broken_replace)
    result = cli("export", "--all", "-o", str(target))
    assert result.code == 2
    assert "No space left on device" in result.err
    assert target.read_text() == old
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # the temp file removed


def test_a_failed_scan_keeps_the_last_samples_and_counts_errors(
    sim: Simulator, cli, tmp_path
) -> None:
    target = tmp_path / "tokens.prom"
    token_id, _ = issue(sim, CAROL, "watched", days(2))
    assert cli("export", "--user", "carol", "-o", str(target)).code == 0
    down = f"http://127.0.0.1:{closed_port()}"
    for errors in (1, 2):
        failed = cli("export", "--user", "carol", "-o", str(target), url=down)
        assert failed.code == 2 and failed.err.startswith("tokentui: error: Nothing answers")
        parsed = samples(target.read_text())
        assert [s.labels["id"] for s in parsed[DAYS]] == [str(token_id)]
        assert [s.value for s in parsed[LAST_SCAN]] == [FROZEN_NOW.timestamp()]
        assert [s.value for s in parsed[ERRORS]] == [errors]
    assert cli("export", "--user", "carol", "-o", str(target)).code == 0
    assert [s.value for s in samples(target.read_text())[ERRORS]] == [0]


def test_a_failed_first_scan_writes_no_samples_and_time_0(sim: Simulator, cli, tmp_path) -> None:
    target = tmp_path / "tokens.prom"
    value = sim.issue_token(2, name="gone", scopes=("api",), revoked=True, expires_at=days(9))
    result = cli("export", "--mine", "-o", str(target), token=value)
    assert result.code == 2
    assert "the credential is no longer valid (revoked)" in result.err
    parsed = samples(target.read_text())
    assert parsed.get(DAYS, []) == []
    assert [s.value for s in parsed[LAST_SCAN]] == [0]
    assert [s.value for s in parsed[ERRORS]] == [1]
    assert value not in target.read_text() + result.err + result.out


def test_bad_output_is_refused_before_any_request(sim: Simulator, cli, tmp_path) -> None:
    mark = len(sim.request_log)
    missing = cli("export", "-o", str(tmp_path / "nope" / "tokens.prom"))
    assert missing.code == 2 and "there is no directory" in missing.err
    directory = cli("export", "-o", str(tmp_path))
    assert directory.code == 2 and "give a file name" in directory.err
    assert len(sim.request_log) == mark
    assert not Path(tmp_path / "nope").exists()
