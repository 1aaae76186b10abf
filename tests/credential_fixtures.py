"""Test doubles and fixtures for credentials: an in-memory keyring and isolated config dirs.

The real system keyring and the user's config directory are never touched by a test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

#: Environment variables that would leak the developer's own setup into a test.
CREDENTIAL_ENV = (
    "GITLAB_TOKEN",
    "GITLAB_HOST",
    "TOKENTUI_PROFILE",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PYTHON_KEYRING_BACKEND",
)


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict; can be told to fail."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        #: Raised by get_password / set_password when set (simulates a locked or broken keyring).
        self.read_error: Exception | None = None
        self.write_error: Exception | None = None

    def get_password(self, service: str, username: str) -> str | None:
        if self.read_error is not None:
            raise self.read_error
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.write_error is not None:
            raise self.write_error
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.passwords:
            raise keyring.errors.PasswordDeleteError("no such password")
        del self.passwords[(service, username)]


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty config directory for tokentui, and none of the developer's GitLab variables."""
    home = tmp_path / "config"
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def _isolated_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test: tokentui's config directory in ``tmp_path`` and an in-memory keyring, so no
    test reads or writes the developer's real profiles or keyring (and the keyring's state does
    not depend on the machine). ``config_home`` / ``memory_keyring`` / ``no_keyring`` refine it.
    """
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(tmp_path / "tokentui-config"))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install an in-memory keyring for the test; the previous backend comes back after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A machine without a keyring backend (headless Linux, SSH, CI)."""
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)
