"""``tokentui auth login|status|logout|rotate`` against the simulator, in process (with the
in-memory keyring) and, for the headless case, as a real subprocess."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tokentui.cli import main as cli
from tokentui.core import credentials

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring

    from tokentui.simulator import Simulator


def run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    """Run ``tokentui ARGV`` in process with ``stdin`` (not a terminal); (code, out, err)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def accepted(sim: Simulator, value: str) -> bool:
    """Does the simulator accept ``value`` now?"""
    response = httpx.get(
        f"{sim.url}/api/v4/personal_access_tokens/self", headers={"PRIVATE-TOKEN": value}
    )
    return response.status_code == 200


@pytest.fixture
def cli_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    def call(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        return run(monkeypatch, capsys, *argv, stdin=stdin)

    return call


# --- login ------------------------------------------------------------------------------


def test_login_checks_shows_and_stores(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    code, out, err = cli_run("auth", "login", "--url", sim.url, stdin=sim.admin_token + "\n")
    assert code == 0, err
    assert f"Logged in to {sim.url} as root (Administrator), administrator." in out
    record = sim.token_record(sim.admin_token)
    assert f"Token {record.name!r} (id {record.id}): scopes {', '.join(record.scopes)}" in out
    assert "system keyring" in out
    assert "profile 'default' (the default profile)" in out
    assert sim.admin_token not in out + err
    assert memory_keyring.passwords == {("tokentui", "default"): sim.admin_token}
    text = (config_home / "config.toml").read_text()
    assert sim.admin_token not in text
    doc = tomllib.loads(text)
    assert doc["default_profile"] == "default"
    assert doc["profiles"]["default"] == {"url": sim.url, "storage": "keyring", "user": "root"}


def test_login_a_regular_user_into_a_named_profile(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    code, out, _ = cli_run(
        "auth",
        "login",
        "--profile",
        "alice",
        "--url",
        sim.url + "/api/v4/",
        "--default-source",
        "mine",
        stdin=sim.user_token,
    )
    assert code == 0
    assert "as alice (Alice Anders), not an administrator." in out
    doc = tomllib.loads((config_home / "config.toml").read_text())
    assert doc["profiles"]["alice"]["url"] == sim.url
    assert doc["profiles"]["alice"]["default_source"] == "mine"


def test_login_refuses_a_bad_token_and_saves_nothing(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    code, _out, err = cli_run("auth", "login", "--url", sim.url, stdin="glpat-not-a-real-token\n")
    assert code == 2
    assert "tokentui: error:" in err
    assert "401" in err or "Unauthorized" in err or "unauthorized" in err.lower()
    assert "Traceback" not in err
    assert memory_keyring.passwords == {}
    assert not (config_home / "config.toml").exists()


def test_login_refuses_a_revoked_token(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    value = sim.issue_token(2, name="old", scopes=["api"], revoked=True)
    code, _, err = cli_run("auth", "login", "--url", sim.url, stdin=value)
    assert code == 2
    assert "revoked" in err.lower()
    assert memory_keyring.passwords == {}


@pytest.mark.usefixtures("memory_keyring")
def test_login_needs_a_url_and_a_token(config_home: Path, cli_run) -> None:
    code, _, err = cli_run("auth", "login", stdin="glpat-x\n")
    assert code == 2 and "pass --url" in err
    code, _, err = cli_run("auth", "login", "--url", "https://x.example", stdin="\n")
    assert code == 2 and "no token given" in err
    code, _, err = cli_run("auth", "login", "--url", "ftp://x", stdin="glpat-x\n")
    assert code == 2 and "not a GitLab URL" in err
    code, _, err = cli_run("auth", "login", "--profile", "a b", "--url", "x.example", stdin="t")
    assert code == 2 and "invalid profile name" in err


def test_the_token_is_never_a_flag(config_home: Path, cli_run) -> None:
    with pytest.raises(SystemExit):
        cli_run("auth", "login", "--token", "glpat-x")


# --- a machine without a keyring --------------------------------------------------------


@pytest.mark.usefixtures("no_keyring")
def test_headless_login_says_so_and_offers_the_ways_forward(
    sim: Simulator, config_home: Path, cli_run
) -> None:
    code, _out, err = cli_run("auth", "login", "--url", sim.url, stdin=sim.user_token)
    assert code == 2
    assert "no keyring backend is available" in err
    assert "GITLAB_TOKEN" in err
    assert "--insecure-storage" in err
    # Nothing written, no plaintext fallback.
    assert not config_home.exists() or list(config_home.iterdir()) == []


@pytest.mark.usefixtures("no_keyring")
def test_headless_login_with_insecure_storage_then_status(
    sim: Simulator, config_home: Path, cli_run
) -> None:
    code, out, err = cli_run(
        "auth", "login", "--url", sim.url, "--insecure-storage", stdin=sim.user_token
    )
    assert code == 0, err
    path = credentials.credentials_path()
    assert f"credentials file {path} (mode 0600)" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sim.user_token in path.read_text()
    code, out, _ = cli_run("auth", "status")
    assert code == 0
    assert f"token stored in: credentials file {path} (mode 0600)" in out
    assert "user: alice" in out


def test_headless_subprocess_with_the_fail_backend(sim: Simulator, tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "TOKENTUI_", "SSL_"))
    }
    env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        TOKENTUI_CONFIG_DIR=str(tmp_path / "cfg"),
    )
    command = [sys.executable, "-m", "tokentui.cli", "auth", "login", "--url", sim.url]
    proc = subprocess.run(
        command, input=sim.user_token, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "cannot store the token in the system keyring" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [*command, "--insecure-storage"],
        input=sim.user_token,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    status = subprocess.run(
        [sys.executable, "-m", "tokentui.cli", "auth", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "user: alice" in status.stdout


# --- status -----------------------------------------------------------------------------


def test_status_lists_every_profile_and_warns_under_30_days(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    soon = sim.issue_token(3, name="soon", scopes=["api"], expires_at=sim.today() + timedelta(9))
    assert cli_run("auth", "login", "--url", sim.url, stdin=sim.admin_token)[0] == 0
    assert cli_run("auth", "login", "--profile", "bob", "--url", sim.url, stdin=soon)[0] == 0
    code, out, _ = cli_run("auth", "status")
    assert code == 0
    default, bob = out.split("profile bob")
    assert default.startswith("profile default (default)")
    assert "user: root (Administrator), administrator" in default
    assert "token stored in: system keyring" in default
    assert "WARNING" not in default
    assert "user: bob" in bob
    assert "token: 'soon'" in bob
    assert "scopes: api" in bob
    assert f"expires: {(sim.today() + timedelta(9)).isoformat()} (" in bob
    assert "WARNING: this token expires in under 30 days" in bob
    code, out, _ = cli_run("auth", "status", "--profile", "bob")
    assert code == 0 and "profile default" not in out and "user: bob" in out


def test_status_reports_a_dead_token_and_exits_2(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    value = sim.issue_token(4, name="carol's", scopes=["api"])
    assert cli_run("auth", "login", "--url", sim.url, stdin=value)[0] == 0
    httpx.delete(
        f"{sim.url}/api/v4/personal_access_tokens/self", headers={"PRIVATE-TOKEN": value}
    ).raise_for_status()
    code, out, _ = cli_run("auth", "status")
    assert code == 2
    assert "! the token does not work:" in out
    assert "revoked" in out.lower()


def test_status_names_gitlab_token_first(
    sim: Simulator,
    config_home: Path,
    memory_keyring: MemoryKeyring,
    cli_run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cli_run("auth", "login", "--url", sim.url, stdin=sim.admin_token)[0] == 0
    monkeypatch.setenv("GITLAB_TOKEN", sim.user_token)
    code, out, _ = cli_run("auth", "status")
    assert code == 0
    env_part, profile_part = out.split("profile default")
    assert env_part.startswith("GITLAB_TOKEN (environment variable; used before any stored")
    assert "user: alice" in env_part
    assert "GITLAB_TOKEN is set and is used instead" in profile_part
    assert "user: root" in profile_part


@pytest.mark.usefixtures("memory_keyring")
def test_status_when_nothing_is_configured(config_home: Path, cli_run) -> None:
    code, out, _ = cli_run("auth", "status")
    assert code == 2
    assert "Not logged in" in out


# --- logout -----------------------------------------------------------------------------


def test_logout_forgets_the_profile_and_the_token(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    assert cli_run("auth", "login", "--url", sim.url, stdin=sim.user_token)[0] == 0
    code, out, err = cli_run("auth", "logout")
    assert code == 0
    assert "Logged out of profile 'default'" in out
    assert "still works on GitLab" in err
    assert memory_keyring.passwords == {}
    assert tomllib.loads((config_home / "config.toml").read_text()) == {"profiles": {}}
    assert accepted(sim, sim.user_token)
    code, _, err = cli_run("auth", "logout")
    assert code == 2 and "not logged in" in err


def test_logout_revoke_revokes_on_gitlab(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    value = sim.issue_token(4, name="laptop", scopes=["api"])
    assert cli_run("auth", "login", "--profile", "carol", "--url", sim.url, stdin=value)[0] == 0
    code, out, _ = cli_run("auth", "logout", "--profile", "carol", "--revoke")
    assert code == 0
    assert "Revoked the token of profile 'carol'" in out
    assert sim.token_record(value).revoked
    assert memory_keyring.passwords == {}


# --- rotate -----------------------------------------------------------------------------


def test_rotate_stores_the_new_value_and_tokentui_keeps_working(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    assert cli_run("auth", "login", "--url", sim.url, stdin=sim.user_token)[0] == 0
    wanted = sim.today() + timedelta(days=45)
    code, out, err = cli_run("auth", "rotate", "--expires-at", wanted.isoformat())
    assert code == 0, err
    new = memory_keyring.passwords[("tokentui", "default")]
    assert new != sim.user_token
    assert new not in out + err  # stored, so never printed
    assert f"expires {wanted.isoformat()}" in out
    assert "stored in the system keyring of profile 'default'" in out
    assert not accepted(sim, sim.user_token)
    assert accepted(sim, new)
    # tokentui keeps working with the rotated credential.
    code, out, _ = cli_run("auth", "status")
    assert code == 0 and "user: alice" in out


def test_rotate_prints_the_value_when_it_cannot_be_stored(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    assert cli_run("auth", "login", "--url", sim.url, stdin=sim.user_token)[0] == 0
    memory_keyring.write_error = RuntimeError("keyring locked")
    code, out, err = cli_run("auth", "rotate")
    assert code == 2
    new = out.strip()
    assert accepted(sim, new)
    assert not accepted(sim, sim.user_token)
    assert "WARNING: the new value could not be stored" in err
    assert "keyring locked" in err
    assert new not in err


def test_rotate_a_gitlab_token_prints_the_new_value(
    sim: Simulator, config_home: Path, cli_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_HOST", sim.url)
    monkeypatch.setenv("GITLAB_TOKEN", sim.user_token)
    code, out, err = cli_run("auth", "rotate")
    assert code == 0
    assert accepted(sim, out.strip())
    assert "GITLAB_TOKEN" in err


@pytest.mark.usefixtures("memory_keyring")
def test_rotate_when_rotation_is_refused(sim: Simulator, config_home: Path, cli_run) -> None:
    value = sim.issue_token(2, name="reader", scopes=["read_api"])
    assert cli_run("auth", "login", "--url", sim.url, stdin=value)[0] == 0
    code, out, err = cli_run("auth", "rotate")
    assert code == 2
    assert out == ""
    assert "tokentui: error:" in err
    assert accepted(sim, value)


def test_login_notes_that_gitlab_token_comes_first(
    sim: Simulator,
    config_home: Path,
    memory_keyring: MemoryKeyring,
    cli_run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", sim.admin_token)
    code, _, err = cli_run("auth", "login", "--url", sim.url, stdin=sim.user_token)
    assert code == 0
    assert "GITLAB_TOKEN is set in this environment and is used before the stored token" in err
    assert memory_keyring.passwords == {("tokentui", "default"): sim.user_token}


def test_status_with_a_keyring_that_fails_to_read(
    sim: Simulator, config_home: Path, memory_keyring: MemoryKeyring, cli_run
) -> None:
    assert cli_run("auth", "login", "--url", sim.url, stdin=sim.user_token)[0] == 0
    memory_keyring.read_error = RuntimeError("org.freedesktop.Secret.Error.IsLocked")
    code, out, err = cli_run("auth", "status")
    assert code == 2
    assert "! the system keyring could not read the token of profile 'default'" in out
    assert "IsLocked" in out
    assert "Traceback" not in out + err
    code, _, err = cli_run("list", "--mine")
    assert code == 2
    assert "could not read the token of profile 'default'" in err
