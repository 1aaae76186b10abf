"""Write new token values to a file the user named, only when asked: created 0600, never
overwriting, as JSON. The one place tokentui puts a token value on disk (a bulk rotate's
results screen offers it, with a warning). No Textual import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import SecretStr

#: What the front says before writing (the file holds working credentials).
WARNING = (
    "The file holds working credentials in plain text: anyone who can read it can use them. "
    "Move the values where they belong, then delete the file."
)


@dataclass(frozen=True)
class ValueRecord:
    """One new value and what it belongs to (the file's fields)."""

    id: int
    name: str
    kind: str
    resource: str
    expires_at: date | None
    token: SecretStr

    def as_json(self) -> dict[str, object]:
        """The record as the file has it (the value in clear: this is the file's purpose)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "resource": self.resource,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "token": self.token.get_secret_value(),
        }


class ValuesFileError(Exception):
    """The file could not be written; ``str()`` is a user-ready sentence."""


def write_values(path_text: str, records: Sequence[ValueRecord]) -> Path:
    """Write ``records`` as a JSON array to ``path_text`` (``~`` expanded), created with mode
    0600; refuse an existing file (never overwritten) and a blank path. Returns the path."""
    text = path_text.strip()
    if not text:
        raise ValuesFileError("type the path of a new file")
    path = Path(text).expanduser()
    body = json.dumps([r.as_json() for r in records], indent=2) + "\n"
    try:
        # O_EXCL: an existing file (or a symlink planted there) is never written through.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise ValuesFileError(f"{path} already exists: tokentui never overwrites a file") from None
    except OSError as err:
        raise ValuesFileError(f"cannot create {path}: {err.strerror or err}") from None
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(body)
    except OSError as err:
        raise ValuesFileError(f"cannot write {path}: {err.strerror or err}") from None
    return path
