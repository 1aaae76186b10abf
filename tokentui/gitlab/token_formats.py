"""What a token value is, from its text alone (gitlab-api.md §7.8): the type prefix, an
instance prefix, the routable format (checked by its CRC, owner decoded). Pure functions: no
request, no logging; the value is never kept or shown (only the prefix is named)."""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass, field
from enum import StrEnum

#: GitLab's default personal access token prefix.
PAT_PREFIX = "glpat-"
DEPLOY_PREFIX = "gldt-"


class ValueKind(StrEnum):
    """The family a value's prefix names."""

    ACCESS_TOKEN = "access token"  # personal, impersonation, project, group, service account
    DEPLOY_TOKEN = "deploy token"
    OTHER = "other GitLab token"  # feed, runner, trigger, ... (no REST self-lookup)
    UNKNOWN = "unknown"


#: The other GitLab type prefixes (§7.8), longest first so ``glrtr-`` wins over ``glrt-``.
OTHER_PREFIXES: dict[str, str] = {
    "glagent-": "agent for Kubernetes token",
    "glffct-": "feature flags client token",
    "glsoat-": "SCIM token",
    "glimt-": "incoming e-mail token",
    "gloas-": "OAuth application secret",
    "glptt-": "pipeline trigger token",
    "glcbt-": "CI/CD job token",
    "glrtr-": "runner authentication token (from a registration token)",
    "glrct-": "runner controller token",
    "glrt-": "runner authentication token",
    "glwt-": "workspace token",
    "glft-": "feed token",
    "GR1348941": "runner registration token (deprecated)",
    "_gitlab_session=": "session cookie",
}

_ROUTABLE = re.compile(
    r"\A(?P<payload>[A-Za-z0-9_-]+)\.01\.(?P<length>[0-9a-z]{2})(?P<crc>[0-9a-z]{7})\Z"
)
_ROUTING_KEYS = {
    "c": "cell",
    "g": "group",
    "o": "organization",
    "p": "project",
    "u": "user",
    "t": "type",
}


@dataclass(frozen=True, slots=True)
class TokenFormat:
    """What the text of a value says. ``prefix`` is the whole recognised prefix (an instance
    prefix included, e.g. ``acme-glpat-``); ``routable`` when the body is GitLab's routable
    format with a matching CRC; ``routing`` its decoded ``key: int`` pairs (``user`` is the
    owner's user id)."""

    kind: ValueKind
    prefix: str
    description: str
    instance_prefix: str | None = None
    routable: bool = False
    routing: dict[str, int] = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        """The owner's user id, when the routable payload carries it."""
        return self.routing.get("user")

    @property
    def api_lookup(self) -> bool:
        """Whether the value authenticates to the REST API (``…/self`` can describe it)."""
        return self.kind is ValueKind.ACCESS_TOKEN


def _base36(text: str) -> int | None:
    try:
        return int(text, 36)
    except ValueError:
        return None


def _to_base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def routing_of(value: str, prefix: str) -> dict[str, int] | None:
    """The routing pairs of a routable value (``None`` when it is not one: wrong shape, length
    or CRC). ``<prefix><payload>.01.<LL><CRC>``: LL the payload length in base36, CRC the zlib
    CRC32 of everything before it, base36, 7 characters."""
    match = _ROUTABLE.match(value[len(prefix) :])
    if match is None:
        return None
    payload = match["payload"]
    if _base36(match["length"]) != len(payload):
        return None
    checked = value[: len(value) - 7]
    if _to_base36(zlib.crc32(checked.encode())).rjust(7, "0") != match["crc"]:
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 17 or raw[-1] != len(raw) - 17:
        return {}
    pairs: dict[str, int] = {}
    for line in raw[16:-1].decode("utf-8", "replace").split("\n"):
        key, _, number = line.partition(":")
        decoded = _base36(number)
        if key in _ROUTING_KEYS and decoded is not None:
            pairs[_ROUTING_KEYS[key]] = decoded
    return pairs


def make_routable(prefix: str, random_bytes: bytes, routing: dict[str, int]) -> str:
    """A routable value (for tests and the demo): the inverse of :func:`routing_of`."""
    letters = {v: k for k, v in _ROUTING_KEYS.items()}
    text = "\n".join(sorted(f"{letters[k]}:{_to_base36(v)}" for k, v in routing.items()))
    raw = random_bytes[:16].ljust(16, b"\0") + text.encode() + bytes([len(text.encode())])
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    body = f"{prefix}{payload}.01.{_to_base36(len(payload)).rjust(2, '0')}"
    return body + _to_base36(zlib.crc32(body.encode())).rjust(7, "0")


def _split_instance_prefix(value: str, type_prefix: str) -> str | None:
    """``acme-`` of ``acme-glpat-…`` (the instance token prefix), or None."""
    at = value.find(type_prefix)
    if at <= 0:
        return None
    candidate = value[:at]
    return candidate if re.fullmatch(r"[A-Za-z0-9_]+-", candidate) else None


def recognise(value: str, *, pat_prefix: str | None = None) -> TokenFormat:
    """What ``value`` is by its text. ``pat_prefix`` is the instance's custom PAT prefix
    (``personal_access_token_prefix``) when known; ``glpat-`` is always recognised."""
    value = value.strip()
    pat_prefixes = [p for p in (pat_prefix, PAT_PREFIX) if p]
    families = [
        (p, ValueKind.ACCESS_TOKEN, "personal, project, group or impersonation token")
        for p in pat_prefixes
    ]
    families.append((DEPLOY_PREFIX, ValueKind.DEPLOY_TOKEN, "deploy token"))
    families += [(p, ValueKind.OTHER, text) for p, text in OTHER_PREFIXES.items()]
    for type_prefix, kind, text in families:
        instance = None
        if value.startswith(type_prefix):
            prefix = type_prefix
        else:
            instance = _split_instance_prefix(value, type_prefix)
            if instance is None or type_prefix.startswith(("GR", "_")):
                continue
            prefix = instance + type_prefix
        routing = routing_of(value, prefix)
        return TokenFormat(
            kind=kind,
            prefix=prefix,
            description=text,
            instance_prefix=instance,
            routable=routing is not None,
            routing=routing or {},
        )
    return TokenFormat(kind=ValueKind.UNKNOWN, prefix="", description="no GitLab token prefix")


def looks_like_token(text: str) -> bool:
    """Whether a command-line argument looks like a token value (to refuse it there)."""
    stripped = text.strip()
    if recognise(stripped).kind is not ValueKind.UNKNOWN:
        return True
    return bool(re.fullmatch(r"[A-Za-z0-9_.=-]{20,}", stripped))
