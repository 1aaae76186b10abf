"""Where a profile's token lives: the system keyring, or a 0600 file the user asked for.

Never plaintext by surprise: when the keyring has no backend (headless Linux, SSH, CI) the
caller gets :class:`NoKeyring`, whose message offers what works there (``GITLAB_TOKEN`` or
``--insecure-storage``); only an explicit choice writes the file. A keyring that fails at read
time raises :class:`CredentialError` with a plain message instead of a traceback. No message
ever contains a token value.

No Textual import here: the scripting CLI uses this module.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors
import tomli_w
from keyring.backend import KeyringBackend
from pydantic import SecretStr

from tokentui.core.config import Storage, config_dir, write_atomic

#: The keyring "service" every tokentui credential is filed under (the profile is the user).
KEYRING_SERVICE = "tokentui"
#: The opt-in plaintext credentials file, in the config directory.
CREDENTIALS_FILE = "credentials.toml"

#: Human names of the places a token can come from (``auth status`` prints these).
ORIGIN_LABELS = {
    "keyring": "system keyring",
    "file": "credentials file (mode 0600)",
    "GITLAB_TOKEN": "GITLAB_TOKEN environment variable",
}


class CredentialError(Exception):
    """A token could not be read, stored or removed. The message is user-ready."""


class NoKeyring(CredentialError):
    """The system keyring has no usable backend here."""


@dataclass(frozen=True)
class KeyringStatus:
    """Whether the system keyring can hold a token, and which backend it is."""

    usable: bool
    backend: str
    reason: str = ""


def credentials_path() -> Path:
    """The opt-in plaintext credentials file."""
    return config_dir() / CREDENTIALS_FILE


def _backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def keyring_status() -> KeyringStatus:
    """Inspect the keyring backend without reading any secret.

    Unusable: the ``fail`` backend, the ``null`` backend (it silently forgets), and a chainer
    with nothing to chain.
    """
    try:
        backend = keyring.get_keyring()
    except Exception as err:  # a broken backend can fail while being set up
        return KeyringStatus(
            False, "unknown", f"the keyring could not start ({type(err).__name__})"
        )
    name = _backend_name(backend)
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return KeyringStatus(False, name, "no keyring backend is available on this system")
    if isinstance(backend, null.Keyring):
        return KeyringStatus(
            False, name, "the keyring backend is the null keyring (stores nothing)"
        )
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return KeyringStatus(False, name, "no keyring backend is available on this system")
    return KeyringStatus(True, name)


def no_keyring_message(
    status: KeyringStatus | None = None, *, action: str = "store the token in"
) -> str:
    """The plain explanation and the two ways forward when there is no keyring; ``action``
    says what could not be done (``"store the token in"``, ``"read the token from"``)."""
    status = status or keyring_status()
    return (
        f"cannot {action} the system keyring: {status.reason} "
        f"(backend {status.backend}; usual over SSH and on headless machines, which lack "
        "D-Bus/Secret Service). Either set GITLAB_TOKEN (and GITLAB_HOST) in the environment, "
        "or run 'tokentui auth login --insecure-storage' to keep it in "
        f"{credentials_path()} (a plaintext file only you can read, mode 0600)"
    )


def _scrub(text: str, secret: SecretStr | None) -> str:
    """``text`` with the secret value (if any) replaced, for messages from third parties."""
    value = secret.get_secret_value() if secret is not None else ""
    return text.replace(value, "<hidden>") if value else text


def _keyring_failure(action: str, err: BaseException, secret: SecretStr | None = None) -> str:
    detail = _scrub(str(err), secret).strip()
    kind = type(err).__name__
    return (
        f"the system keyring could not {action} ({kind}{': ' + detail if detail else ''}); "
        "unlock it, or use GITLAB_TOKEN, or log in again with --insecure-storage"
    )


# --- keyring --------------------------------------------------------------------------------


def keyring_get(profile: str) -> SecretStr | None:
    """The token stored in the keyring for ``profile``, or None when there is none."""
    status = keyring_status()
    if not status.usable:
        raise NoKeyring(
            no_keyring_message(status, action=f"read the token of profile {profile!r} from")
        )
    try:
        value = keyring.get_password(KEYRING_SERVICE, profile)
    except keyring.errors.NoKeyringError:
        raise NoKeyring(
            no_keyring_message(status, action=f"read the token of profile {profile!r} from")
        ) from None
    except Exception as err:  # dbus, locked collection, backend bugs: all user-facing
        raise CredentialError(
            _keyring_failure(f"read the token of profile {profile!r}", err)
        ) from None
    return SecretStr(value) if value else None


def keyring_set(profile: str, token: SecretStr) -> None:
    """Store ``token`` in the keyring for ``profile``; raises :class:`CredentialError`."""
    status = keyring_status()
    if not status.usable:
        raise NoKeyring(no_keyring_message(status))
    try:
        keyring.set_password(KEYRING_SERVICE, profile, token.get_secret_value())
    except keyring.errors.NoKeyringError:
        raise NoKeyring(no_keyring_message(status)) from None
    except Exception as err:
        raise CredentialError(
            _keyring_failure(f"store the token of profile {profile!r}", err, token)
        ) from None


def keyring_delete(profile: str) -> bool:
    """Remove ``profile``'s token from the keyring; False when there was none (or no keyring)."""
    if not keyring_status().usable:
        return False
    try:
        keyring.delete_password(KEYRING_SERVICE, profile)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.NoKeyringError:
        return False
    except Exception as err:
        raise CredentialError(
            _keyring_failure(f"delete the token of profile {profile!r}", err)
        ) from None
    return True


# --- the opt-in file -----------------------------------------------------------------------


def _read_file_tokens(path: Path) -> dict[str, str]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(
            f"{path} is readable by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"tokentui will not use it until you run: chmod 600 {path}"
        )
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        # The parser's message can quote the line, which holds a token: never show it.
        raise CredentialError(
            f"{path} cannot be read ({type(err).__name__}); fix or delete it"
        ) from None
    tokens = doc.get("tokens", {})
    if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
        raise CredentialError(f"{path} is damaged ([tokens] must map profile names to strings)")
    return tokens


def _write_file_tokens(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"# tokentui credentials: written because you chose --insecure-storage.\n"
    write_atomic(path, header + tomli_w.dumps({"tokens": tokens}).encode(), mode=0o600)


def file_get(profile: str) -> SecretStr | None:
    """The token stored in the credentials file for ``profile``, or None."""
    value = _read_file_tokens(credentials_path()).get(profile)
    return SecretStr(value) if value else None


def file_set(profile: str, token: SecretStr) -> None:
    """Store ``token`` in the 0600 credentials file (only when the user chose it)."""
    path = credentials_path()
    try:
        tokens = _read_file_tokens(path)
        tokens[profile] = token.get_secret_value()
        _write_file_tokens(path, tokens)
    except OSError as err:
        raise CredentialError(
            f"cannot write {path}: {_scrub(err.strerror or str(err), token)}"
        ) from None


def file_delete(profile: str) -> bool:
    """Remove ``profile``'s token from the credentials file; False when there was none."""
    path = credentials_path()
    tokens = _read_file_tokens(path)
    if profile not in tokens:
        return False
    del tokens[profile]
    try:
        if tokens:
            _write_file_tokens(path, tokens)
        else:
            path.unlink()
    except OSError as err:
        raise CredentialError(f"cannot write {path}: {err.strerror or err}") from None
    return True


# --- by storage kind -----------------------------------------------------------------------


def load_token(profile: str, storage: Storage) -> SecretStr | None:
    """The stored token of ``profile`` from ``storage``, or None when nothing is stored."""
    return keyring_get(profile) if storage == "keyring" else file_get(profile)


def save_token(profile: str, storage: Storage, token: SecretStr) -> None:
    """Store ``token`` for ``profile`` in ``storage``; raises :class:`CredentialError`."""
    if storage == "keyring":
        keyring_set(profile, token)
    else:
        file_set(profile, token)


def delete_token(profile: str) -> list[Storage]:
    """Remove ``profile``'s token from every store; returns where one was removed."""
    removed: list[Storage] = []
    if keyring_delete(profile):
        removed.append("keyring")
    if file_delete(profile):
        removed.append("file")
    return removed
