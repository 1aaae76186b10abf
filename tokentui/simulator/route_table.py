"""Route table: ``(method, path pattern) -> handler``, matched on decoded path segments.

Patterns are split on ``/``; ``:name`` captures one segment (so ``platform%2Fapi`` is one
segment, as GitLab wants URL-encoded paths). Literal segments win over captures, so
``.../self/rotate`` is matched before ``.../:token_id/rotate``. The endpoint modules
(``tokentui.simulator.routes.*``) register themselves here with :func:`route`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: A handler returns ``(status, body)``; body None means an empty body (204).
Reply = tuple[int, Any]
Handler = Callable[..., Reply]


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint."""

    method: str
    segments: tuple[str, ...]
    handler: Handler

    def match(self, method: str, parts: list[str]) -> dict[str, str] | None:
        """Captured path params if ``method``/``parts`` match."""
        if method != self.method and not (method == "HEAD" and self.method == "GET"):
            return None
        if len(parts) != len(self.segments):
            return None
        captured: dict[str, str] = {}
        for pattern, part in zip(self.segments, parts, strict=True):
            if pattern.startswith(":"):
                captured[pattern[1:]] = part
            elif pattern != part:
                return None
        return captured


ROUTES: list[Route] = []


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` on ``path`` (under /api/v4)."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, tuple(path.strip("/").split("/")), handler))
        # Literal segments before captures, so ``self`` wins over ``:id``.
        ROUTES.sort(key=lambda r: tuple(s.startswith(":") for s in r.segments))
        return handler

    return register


def resolve(method: str, parts: list[str]) -> tuple[Handler, dict[str, str]] | None:
    """The handler and path params for a request, or None (404)."""
    for candidate in ROUTES:
        captured = candidate.match(method, parts)
        if captured is not None:
            return candidate.handler, captured
    return None
