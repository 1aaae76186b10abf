"""Request parameters with Grape's coercions and error messages.

Query and body are merged as Grape does; body may be JSON or form-encoded. Errors collect and
are raised together, joined with ", " (``{"error": "name is missing, scopes is missing"}``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

from tokentui.simulator.errors import grape_error

_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


class Params:
    """Merged request parameters; each ``get_*`` coerces or records an error."""

    def __init__(self, query: str, body: bytes, content_type: str) -> None:
        self.values: dict[str, Any] = {}
        self.errors: list[str] = []
        for key, value in parse_qsl(query, keep_blank_values=True):
            self._put(key, value)
        if body:
            if "json" in content_type:
                try:
                    data = json.loads(body)
                except ValueError:
                    data = None
                if isinstance(data, dict):
                    self.values.update(data)
            else:
                for key, value in parse_qsl(body.decode("utf-8", "replace"), True):
                    self._put(key, value)

    def _put(self, key: str, value: str) -> None:
        if key.endswith("[]"):
            self.values.setdefault(key[:-2], [])
            if isinstance(self.values[key[:-2]], list):
                self.values[key[:-2]].append(value)
        else:
            self.values[key] = value

    def has(self, name: str) -> bool:
        """Whether the key was sent at all."""
        return name in self.values

    def raw(self, name: str) -> Any:
        """The value as sent."""
        return self.values.get(name)

    def check(self) -> None:
        """Raise the collected Grape errors, if any."""
        if self.errors:
            raise grape_error(", ".join(self.errors))

    # -- coercions -------------------------------------------------------------------------
    def string(self, name: str, *, required: bool = False) -> str | None:
        """A string. ``required`` is Grape's presence check: only an absent key is
        "<name> is missing"; a blank or null value comes back as "" for the model to refuse."""
        if name not in self.values:
            if required:
                self.errors.append(f"{name} is missing")
            return None
        value = self.values[name]
        if value is None:
            return "" if required else None
        if isinstance(value, list | dict):
            self.errors.append(f"{name} is invalid")
            return None
        return str(value)

    def integer(self, name: str, *, default: int | None = None) -> int | None:
        """An integer, or ``default`` when absent."""
        value = self.values.get(name)
        if value is None:
            return default
        parsed = parse_int(value)
        if parsed is None:
            self.errors.append(f"{name} is invalid")
        return parsed

    def boolean(self, name: str) -> bool | None:
        """A Grape Boolean."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.errors.append(f"{name} is invalid")
        return None

    def date(self, name: str) -> date | None:
        """A Grape Date (``YYYY-MM-DD``; a date-time's date part is taken). Blank -> None."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.errors.append(f"{name} is invalid")
        return parsed

    def datetime(self, name: str) -> datetime | None:
        """A Grape DateTime (date or ISO date-time; naive means UTC). Blank -> None."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            self.errors.append(f"{name} is invalid")
        return parsed

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        """A value restricted to ``allowed`` ("<name> does not have a valid value")."""
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            self.errors.append(f"{name} does not have a valid value")
            return None
        return value

    def string_list(
        self,
        name: str,
        *,
        required: bool = False,
        comma: bool = True,
        allowed: tuple[str, ...] | None = None,
    ) -> list[str] | None:
        """An ``Array[String]`` (JSON list, ``name[]`` fields or, with ``comma``, "a,b").

        ``required``: an absent key is "<name> is missing"; an empty value comes back as []."""
        if name not in self.values:
            if required:
                self.errors.append(f"{name} is missing")
            return None
        value = self.values[name]
        if value is None or value == "" or value == []:
            return [] if required else None
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",")] if comma else [value]
            items = [v for v in items if v]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = list(value)
        else:
            self.errors.append(f"{name} is invalid")
            return None
        if allowed is not None and any(item not in allowed for item in items):
            self.errors.append(f"{name} does not have a valid value")
            return None
        return items


def parse_int(value: Any) -> int | None:
    """An integer from JSON or text, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def parse_date(value: Any) -> date | None:
    """``YYYY-MM-DD`` (or a date-time, whose date is taken), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    moment = parse_datetime(text)
    return moment.date() if moment else None


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time; naive values are UTC."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
