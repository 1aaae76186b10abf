"""Hygiene findings: what is wrong with a token, from what a list already holds.

Both fronts ask this module (the TUI's Flags column, ``f`` filter and detail pane; the CLI's
``tokentui audit``), so they agree on every rule. The facts are the token itself, the clock,
the expiry cliffs of the list (:mod:`tokentui.core.cliffs`) and, where the front resolved it,
the state of the token's owner (``GET /users/:id``'s ``state``). No request is made here.

=================  ====  ==============================================================
finding            flag  rule (thresholds: ``[hygiene]`` of the config file)
=================  ====  ==============================================================
``never-used``     N     active, GitLab has no last use (access tokens only)
``unused``         U     active, last used more than ``unused_days`` UTC days ago
``no-expiry``      F     active, never expires ("forever")
``broad-scopes``   B     active, holds a scope of ``broad_scopes`` and lives longer than
                         ``broad_scope_days`` (from creation, or from today for a deploy
                         token, to its expiry; for ever without one)
``cliff``          C     active, expires on a cliff day (``cliff_tokens`` or more)
``owner-blocked``  O     active, its owner's account is blocked, banned or deactivated
``expired``        E     expired, not revoked: GitLab still lists it
=================  ====  ==============================================================

Every finding but ``expired`` is about a token that still works ("should act"); a revoked token
has none. See docs/hygiene.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from tokentui.core import cliffs
from tokentui.core.expiry import expiry_instant
from tokentui.core.ownership import Ownership
from tokentui.gitlab.models import Token
from tokentui.gitlab.scopes import DEPLOY_TOKEN_SCOPES, PERSONAL_SCOPES

#: The owner's state for a token (``GET /users/:id``'s ``state``), None when not known.
OwnerState = Callable[[Token], str | None]

#: User states in which GitLab refuses the user's tokens.
BLOCKED_STATES: frozenset[str] = frozenset(
    {"blocked", "banned", "deactivated", "ldap_blocked", "blocked_pending_approval"}
)

#: Scopes that give write or administrator access (gitlab-api.md §3.1, §7.3): a leaked token
#: holding one can change code, images, packages or the instance. Read-only scopes and the
#: narrow ones (``k8s_proxy``, ``self_rotate``, runner creation, ``ai_features``) are not
#: broad; ``read_user``/``read_api`` only read.
DEFAULT_BROAD_SCOPES: tuple[str, ...] = (
    "api",
    "sudo",
    "admin_mode",
    "write_repository",
    "write_registry",
    "write_package_registry",
    "write_virtual_registry",
)
#: Every scope a ``broad_scopes`` list may name (access-token and deploy-token scopes).
KNOWN_SCOPES: frozenset[str] = frozenset(PERSONAL_SCOPES) | frozenset(DEPLOY_TOKEN_SCOPES)

DEFAULT_UNUSED_DAYS = 90
DEFAULT_BROAD_SCOPE_DAYS = 90


class Finding(StrEnum):
    """A hygiene finding; the value is its name (the filter's, ``audit``'s)."""

    NEVER_USED = "never-used"
    UNUSED = "unused"
    NO_EXPIRY = "no-expiry"
    BROAD_SCOPES = "broad-scopes"
    CLIFF = "cliff"
    OWNER_BLOCKED = "owner-blocked"
    EXPIRED = "expired"

    @property
    def flag(self) -> str:
        """The short flag of the Flags column."""
        return _FLAGS[self]

    @property
    def label(self) -> str:
        """A few words for the detail pane and the picker."""
        return _LABELS[self]


_FLAGS = {
    Finding.NEVER_USED: "N",
    Finding.UNUSED: "U",
    Finding.NO_EXPIRY: "F",
    Finding.BROAD_SCOPES: "B",
    Finding.CLIFF: "C",
    Finding.OWNER_BLOCKED: "O",
    Finding.EXPIRED: "E",
}
_LABELS = {
    Finding.NEVER_USED: "never used",
    Finding.UNUSED: "unused",
    Finding.NO_EXPIRY: "never expires",
    Finding.BROAD_SCOPES: "broad scopes, long life",
    Finding.CLIFF: "on an expiry cliff",
    Finding.OWNER_BLOCKED: "owner blocked",
    Finding.EXPIRED: "expired, still listed",
}
#: Findings in the order they are shown (column, detail, audit).
FINDINGS: tuple[Finding, ...] = tuple(Finding)
_BIT = {finding: 1 << n for n, finding in enumerate(FINDINGS)}
_NEVER_USED, _UNUSED, _NO_EXPIRY, _BROAD, _EXPIRED = (
    _BIT[f]
    for f in (
        Finding.NEVER_USED,
        Finding.UNUSED,
        Finding.NO_EXPIRY,
        Finding.BROAD_SCOPES,
        Finding.EXPIRED,
    )
)


def parse_finding(name: str) -> Finding:
    """A finding by its name or flag (case-insensitive); ``ValueError`` naming the known ones."""
    text = name.strip().lower()
    for finding in FINDINGS:
        if text in (finding.value, finding.flag.lower()):
            return finding
    known = ", ".join(f.value for f in FINDINGS)
    raise ValueError(f"no finding named {name.strip()!r}; known: {known}")


@dataclass(frozen=True, slots=True)
class HygieneConfig:
    """The thresholds (config file: ``[hygiene]``; see :func:`hygiene_config`)."""

    unused_days: int = DEFAULT_UNUSED_DAYS
    broad_scope_days: int = DEFAULT_BROAD_SCOPE_DAYS
    cliff_tokens: int = cliffs.DEFAULT_MIN_TOKENS
    broad_scopes: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_BROAD_SCOPES))

    def to_toml(self) -> dict[str, object]:
        """The ``[hygiene]`` table: only what differs from the defaults."""
        table: dict[str, object] = {}
        default = HygieneConfig()
        for key in ("unused_days", "broad_scope_days", "cliff_tokens"):
            if getattr(self, key) != getattr(default, key):
                table[key] = getattr(self, key)
        if self.broad_scopes != default.broad_scopes:
            table["broad_scopes"] = sorted(self.broad_scopes)
        return table


#: Bounds of the day thresholds (a day up to ten years).
_MAX_DAYS = 3650


def hygiene_config(table: object, *, where: str) -> HygieneConfig:
    """Parse a ``[hygiene]`` table; ``ValueError`` with a user-ready message naming ``where``
    (the file) and the key when a value cannot be used."""
    label = f"[hygiene] in {where}"
    if not isinstance(table, dict):
        raise ValueError(f"'hygiene' in {where} must be a table ([hygiene])")
    known = ("unused_days", "broad_scope_days", "cliff_tokens", "broad_scopes")
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ValueError(f"{label}: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
    values: dict[str, object] = {}
    for key, low, example in (
        ("unused_days", 1, 90),
        ("broad_scope_days", 1, 90),
        ("cliff_tokens", 2, 5),
    ):
        if key not in table:
            continue
        value = table[key]
        high = _MAX_DAYS if key.endswith("_days") else 1_000_000
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            what = "days" if key.endswith("_days") else "tokens"
            raise ValueError(
                f"{label}: {key} must be a whole number of {what} from {low} to {high}, "
                f"not {value!r} (e.g. {key} = {example})"
            )
        values[key] = value
    if "broad_scopes" in table:
        scopes = table["broad_scopes"]
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ValueError(
                f'{label}: broad_scopes must be a list of scope names, e.g. ["api", "sudo"]'
            )
        bad = sorted({s for s in scopes if s not in KNOWN_SCOPES})
        if bad:
            raise ValueError(
                f"{label}: broad_scopes: unknown scope(s) {', '.join(map(repr, bad))}; "
                f"known: {', '.join(sorted(KNOWN_SCOPES))}"
            )
        values["broad_scopes"] = frozenset(scopes)
    return HygieneConfig(**values)  # type: ignore[arg-type]


# --- the rules --------------------------------------------------------------------------------


def _lifetime_days(token: Token, today: date) -> int | None:
    """Days from creation (today for a deploy row, which has no creation time) to expiry;
    None for a token that never expires."""
    if token.expires_at is None:
        return None
    start = token.created_at.astimezone(UTC).date() if token.created_at else today
    return (token.expires_at - start).days


class _Day:
    """What the rules compare with on one UTC day (computed once, not per token)."""

    __slots__ = ("broad_days", "broad_scopes", "today", "unused_before")

    def __init__(self, config: HygieneConfig, now: datetime) -> None:
        self.today = now.astimezone(UTC).date()
        #: A last use before this instant is more than ``unused_days`` UTC days ago.
        self.unused_before = expiry_instant(self.today - timedelta(days=config.unused_days))
        self.broad_scopes = config.broad_scopes
        self.broad_days = config.broad_scope_days


def token_bits(token: Token, config: HygieneConfig, now: datetime) -> int:
    """The findings that follow from the token and the clock alone, as bits (the list's
    cliffs and the owner's state are added by :class:`Assessor`)."""
    return _token_bits(token, _Day(config, now))


def _token_bits(token: Token, day: _Day) -> int:
    if token.revoked:
        return 0
    expires = token.expires_at
    # Active until 00:00 UTC on the expiry date: while today is before it.
    if (expires is not None and expires <= day.today) or (expires is None and not token.active):
        return _EXPIRED
    bits = 0
    if token.family != "deploy":  # GitLab's deploy-token entity says nothing of use
        used = token.last_used_at
        if used is None:
            bits = _NEVER_USED
        elif used < day.unused_before:
            bits = _UNUSED
    if expires is None:
        bits |= _NO_EXPIRY | (0 if day.broad_scopes.isdisjoint(token.scopes) else _BROAD)
    elif not day.broad_scopes.isdisjoint(token.scopes):
        life = _lifetime_days(token, day.today)
        if life is None or life > day.broad_days:
            bits |= _BROAD
    return bits


def _count(days: Counter[date], token: Token, bits: int, step: int) -> None:
    """Count ``token`` in (``step`` 1) or out of (-1) the active tokens' expiry days."""
    if token.expires_at is not None and not bits & _EXPIRED and not token.revoked:
        days[token.expires_at] += step


def _findings(bits: int) -> tuple[Finding, ...]:
    return tuple(f for f in FINDINGS if bits & _BIT[f])


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding of one token, with its sentence (what it means, what to do)."""

    token: Token
    finding: Finding
    text: str


class Assessor:
    """The findings of the tokens of one list, computed once per change of the list.

    ``of(token)`` answers for one row (the Flags column, the detail pane); ``keep(tokens,
    positions, finding)`` filters positions of a list by one finding (the TUI's ``f``).
    :meth:`refresh` keeps the per-token part by position and recomputes it only for a token
    that is new or replaced (compared by identity), or for all when the UTC day or the
    thresholds change; the expiry days are counted as tokens come and go, so a page of a long
    load costs its own tokens only. The owner's state is read when asked (it arrives lazily).
    """

    def __init__(
        self,
        config: HygieneConfig | None = None,
        owner_state: OwnerState | None = None,
        *,
        position_of: Callable[[int], int | None] | None = None,
    ):
        self.config = config or HygieneConfig()
        self.owner_state: OwnerState = owner_state or (lambda token: None)
        #: Where a token (by :attr:`Token.key`) sits in the refreshed list, when the list's
        #: owner can say (``TokenIndex.position``): :meth:`of` then reuses what was computed.
        self.position_of = position_of
        self._reset()

    def _reset(self) -> None:
        self._tokens: list[Token] = []
        #: The token-and-clock findings by position, one byte each (100,000 tokens: 100 kB).
        self._bits = bytearray()
        self._day: date | None = None
        self._version: object = None
        #: Active tokens expiring on each day (the cliffs' input).
        self._days: Counter[date] = Counter()
        self._cliffs: dict[date, int] = {}
        #: Which refreshed positions are on a cliff (built when the cliff filter asks).
        self._cliff_bits: bytearray | None = None

    def set_config(self, config: HygieneConfig) -> None:
        """New thresholds: everything is computed again at the next :meth:`refresh`."""
        self.config = config
        self._reset()

    # -- the list ------------------------------------------------------------------------------
    def refresh(self, tokens: Sequence[Token], now: datetime, *, version: object = None) -> None:
        """Bring the findings up to date with ``tokens`` (positions stable, as
        :class:`~tokentui.core.query.TokenIndex` keeps them) at ``now``. ``version``: the
        list's change counter, if it has one; the same version on the same day is a no-op."""
        day = now.astimezone(UTC).date()
        if version is not None and version == self._version and day == self._day:
            return
        if day != self._day or len(tokens) < len(self._tokens):
            self._reset()
            self._day = day
        self._version = version
        known, bits, days = self._tokens, self._bits, self._days
        rules = _Day(self.config, now)
        changed = False
        for i in range(len(known)):
            token = tokens[i]
            if token is not known[i]:
                _count(days, known[i], bits[i], -1)
                known[i], bits[i] = token, _token_bits(token, rules)
                _count(days, token, bits[i], 1)
                changed = True
        for i in range(len(known), len(tokens)):
            token = tokens[i]
            known.append(token)
            bits.append(_token_bits(token, rules))
            _count(days, token, bits[i], 1)
            changed = True
        if changed or self._version is None:
            self._cliffs = cliffs.cliff_days(days, min_tokens=self.config.cliff_tokens)
            self._cliff_bits = None

    @property
    def cliffs(self) -> dict[date, int]:
        """The cliff days of the list (as of the last :meth:`refresh`)."""
        return self._cliffs

    def _bits_of(self, token: Token, now: datetime, position: int | None = None) -> int:
        if position is None and self.position_of is not None:
            position = self.position_of(token.key)
        bits = None
        if position is not None and position < len(self._tokens):
            bits = self._bits[position] if self._tokens[position] is token else None
        if bits is None:
            bits = token_bits(token, self.config, now)
        active = bits & _BIT[Finding.EXPIRED] == 0 and not token.revoked
        if active and token.expires_at is not None and token.expires_at in self._cliffs:
            bits |= _BIT[Finding.CLIFF]
        if active and self.owner_state(token) in BLOCKED_STATES:
            bits |= _BIT[Finding.OWNER_BLOCKED]
        return bits

    def of(self, token: Token, now: datetime, position: int | None = None) -> tuple[Finding, ...]:
        """The findings of ``token``, in :data:`FINDINGS` order: what :meth:`refresh` computed
        when it is that list's token (at ``position``, else :attr:`position_of`), else
        computed now."""
        return _findings(self._bits_of(token, now, position))

    def keep(
        self, tokens: Sequence[Token], positions: Iterable[int], finding: Finding, now: datetime
    ) -> list[int]:
        """The ``positions`` (of ``tokens``) whose token has ``finding``, order kept (after a
        :meth:`refresh` of the same list and version, nothing is computed again)."""
        self.refresh(tokens, now, version=self._version)
        bits = self._bits
        if finding is Finding.CLIFF:
            on_cliff = self._cliff_bits
            if on_cliff is None:
                days = self._cliffs
                on_cliff = self._cliff_bits = bytearray(
                    1
                    if days and not bits[i] & _EXPIRED and not t.revoked and t.expires_at in days
                    else 0
                    for i, t in enumerate(self._tokens)
                )
            return [i for i in positions if on_cliff[i]]
        if finding is Finding.OWNER_BLOCKED:
            # One question per owner, not per token (owners hold many tokens).
            state = self.owner_state
            blocked: dict[int | None, bool] = {}
            kept = []
            for i in positions:
                token = tokens[i]
                if bits[i] & _EXPIRED or token.revoked:
                    continue
                uid = token.user_id
                answer = blocked.get(uid)
                if answer is None:
                    answer = blocked[uid] = state(token) in BLOCKED_STATES
                if answer:
                    kept.append(i)
            return kept
        bit = _BIT[finding]
        return [i for i in positions if bits[i] & bit]

    # -- the sentences -----------------------------------------------------------------------------
    def explain(self, token: Token, finding: Finding, now: datetime) -> str:
        """What ``finding`` means for ``token`` and what to do about it, in a sentence or two."""
        today = now.astimezone(UTC).date()
        config = self.config
        deploy = token.is_deploy
        revoke = "delete it" if deploy else "revoke it"
        if finding is Finding.NEVER_USED:
            since = ""
            if token.created_at is not None:
                created = token.created_at.astimezone(UTC).date()
                since = f" since it was created on {created} ({(today - created).days} days ago)"
            return (
                f"GitLab has no record of it being used{since}. If nothing "
                f"needs it, {revoke}; a token nobody uses is only a risk."
            )
        if finding is Finding.UNUSED:
            assert token.last_used_at is not None
            used = token.last_used_at.astimezone(UTC).date()
            return (
                f"Last used on {used}, {(today - used).days} days ago (more than "
                f"{config.unused_days}). If nothing uses it any more, {revoke}."
            )
        if finding is Finding.NO_EXPIRY:
            fix = (
                "create a replacement with an expiry date and delete this one"
                if deploy
                else "rotate it with an expiry date (at most 365 days ahead)"
            )
            return f"It never expires: a leaked value works for ever. Give it an end: {fix}."
        if finding is Finding.BROAD_SCOPES:
            broad = ", ".join(s for s in token.scopes if s in config.broad_scopes)
            life = _lifetime_days(token, today)
            span = (
                "never expires"
                if life is None
                else f"lives {life} days (more than {config.broad_scope_days})"
            )
            return (
                f"It holds {broad} and {span}: a leak "
                "gives write access for long. Recreate it with narrower scopes, or "
                + ("give it an earlier expiry." if deploy else "rotate it to an earlier expiry.")
            )
        if finding is Finding.CLIFF:
            day = token.expires_at
            others = self._cliffs.get(day, 1) - 1 if day is not None else 0
            return (
                f"It expires on {day} with {others} other active tokens (an expiry cliff): "
                "everything using them breaks at 00:00 UTC that day. Rotate some of them "
                "earlier, spread over several days."
            )
        if finding is Finding.OWNER_BLOCKED:
            state = self.owner_state(token) or "blocked"
            return (
                f"Its owner's account is {state.replace('_', ' ')}: GitLab refuses the token "
                f"while it is. {revoke.capitalize()}, or move what uses it to an active "
                "account's token."
            )
        expired = token.expires_at
        ago = f" on {expired} ({(today - expired).days} days ago)" if expired else ""
        again = "create a new one" if deploy else "recreate it (c in the TUI)"
        return (
            f"It expired{ago} but is not revoked, so GitLab still lists it; it cannot be "
            f"rotated. {revoke.capitalize()} to clear the list, or {again} if something "
            "still needs it."
        )

    def hits(self, tokens: Sequence[Token], now: datetime) -> list[Hit]:
        """Every finding of every token of the list, token by token (list order)."""
        self.refresh(tokens, now)
        return [
            Hit(token, finding, self.explain(token, finding, now))
            for i, token in enumerate(tokens)
            for finding in self.of(token, now, i)
        ]


def flags(findings: Iterable[Finding]) -> str:
    """The Flags cell: the findings' flags run together (``NFB``)."""
    return "".join(f.flag for f in findings)


def owner_state_of(ownership: Ownership) -> OwnerState:
    """The owner's state as ``ownership`` knows it (None until the owner was looked up)."""

    def state(token: Token) -> str | None:
        info = ownership.owner(token.user_id)
        user = info.user if info is not None else None
        return user.state if user is not None else None

    return state
