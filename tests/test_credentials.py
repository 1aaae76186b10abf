"""Credential storage: the keyring, its headless absence, and the opt-in 0600 file."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest
from keyring.backends import chainer, null
from pydantic import SecretStr

from tokentui.core import credentials
from tokentui.core.credentials import CredentialError, NoKeyring

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring


SECRET = "glpat-test-secret-value-0123456789"


def test_keyring_round_trip(config_home: Path, memory_keyring: MemoryKeyring) -> None:
    assert credentials.keyring_status().usable
    assert credentials.load_token("work", "keyring") is None
    credentials.save_token("work", "keyring", SecretStr(SECRET))
    assert memory_keyring.passwords == {("tokentui", "work"): SECRET}
    assert credentials.load_token("work", "keyring").get_secret_value() == SECRET
    assert credentials.delete_token("work") == ["keyring"]
    assert credentials.load_token("work", "keyring") is None
    assert credentials.delete_token("work") == []


@pytest.mark.usefixtures("config_home", "no_keyring")
def test_no_backend_is_said_plainly_with_the_ways_forward() -> None:
    status = credentials.keyring_status()
    assert not status.usable
    assert status.backend == "keyring.backends.fail.Keyring"
    with pytest.raises(NoKeyring) as err:
        credentials.save_token("work", "keyring", SecretStr(SECRET))
    message = str(err.value)
    assert "no keyring backend" in message
    assert "GITLAB_TOKEN" in message
    assert "--insecure-storage" in message
    assert str(credentials.credentials_path()) in message
    with pytest.raises(NoKeyring):
        credentials.load_token("work", "keyring")
    # Nothing was written anywhere as a fallback.
    assert not credentials.credentials_path().exists()


@pytest.mark.parametrize(
    "backend", [null.Keyring(), chainer.ChainerBackend()], ids=["null", "empty-chainer"]
)
def test_useless_backends_count_as_none(
    backend: keyring.backend.KeyringBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        assert not credentials.keyring_status().usable
    finally:
        keyring.set_keyring(previous)


def test_keyring_read_error_is_a_clear_message(
    config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.read_error = RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")
    with pytest.raises(CredentialError) as err:
        credentials.load_token("work", "keyring")
    message = str(err.value)
    assert "could not read the token of profile 'work'" in message
    assert "DBus.Error.ServiceUnknown" in message
    assert "GITLAB_TOKEN" in message


def test_keyring_write_error_never_echoes_the_value(
    config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.write_error = keyring.errors.PasswordSetError(f"cannot store {SECRET}")
    with pytest.raises(CredentialError) as err:
        credentials.save_token("work", "keyring", SecretStr(SECRET))
    assert SECRET not in str(err.value)
    assert "<hidden>" in str(err.value)


@pytest.mark.usefixtures("no_keyring")
def test_file_storage_is_0600_and_round_trips(config_home: Path) -> None:
    credentials.save_token("work", "file", SecretStr(SECRET))
    credentials.save_token("home", "file", SecretStr("glpat-other"))
    path = credentials.credentials_path()
    assert path.parent == config_home
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.load_token("work", "file").get_secret_value() == SECRET
    assert credentials.load_token("home", "file").get_secret_value() == "glpat-other"
    assert credentials.load_token("nobody", "file") is None
    # No temporary files are left behind.
    assert sorted(p.name for p in config_home.iterdir()) == ["credentials.toml"]
    assert credentials.delete_token("work") == ["file"]
    assert credentials.load_token("work", "file") is None
    assert credentials.delete_token("home") == ["file"]
    assert not path.exists()


@pytest.mark.usefixtures("memory_keyring")
def test_file_readable_by_others_is_refused(config_home: Path) -> None:
    credentials.save_token("work", "file", SecretStr(SECRET))
    path = credentials.credentials_path()
    path.chmod(0o644)
    with pytest.raises(CredentialError) as err:
        credentials.load_token("work", "file")
    assert "chmod 600" in str(err.value)
    assert "0644" in str(err.value)


@pytest.mark.usefixtures("memory_keyring")
def test_damaged_file_message_does_not_quote_it(config_home: Path) -> None:
    config_home.mkdir(parents=True)
    path = credentials.credentials_path()
    path.write_text(f'[tokens]\nwork = "{SECRET}\n')
    path.chmod(0o600)
    with pytest.raises(CredentialError) as err:
        credentials.load_token("work", "file")
    assert SECRET not in str(err.value)
    assert str(path) in str(err.value)


def test_delete_removes_from_every_store(config_home: Path, memory_keyring: MemoryKeyring) -> None:
    credentials.save_token("work", "keyring", SecretStr(SECRET))
    credentials.save_token("work", "file", SecretStr(SECRET))
    assert credentials.delete_token("work") == ["keyring", "file"]
    assert memory_keyring.passwords == {}


def test_credentials_code_imports_neither_textual_nor_keyring_at_cli_start() -> None:
    code = (
        "import sys, tokentui.cli.main, tokentui.core.config, tokentui.core.login\n"
        "import tokentui.core.self_rotation\n"
        "assert 'textual' not in sys.modules, 'textual'\n"
        "import tokentui.core.credentials\n"
        "assert 'textual' not in sys.modules, 'textual'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    started = subprocess.run(
        [sys.executable, "-c", "import sys, tokentui.cli.main; print('keyring' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert started.stdout.strip() == "False"
