"""Client-side filtering and sorting of tokens, shared by the TUI store and the scripting CLI.

Every :class:`~tokentui.gitlab.sources.TokenFilters` field is applied here too, with GitLab's
semantics, so a server that ignores a filter (an older GitLab, a source whose endpoint takes
fewer filters) still shows the right rows. :class:`TokenIndex` keeps plain columns beside the
tokens so filtering and sorting 100,000 rows stays in the tens of milliseconds. No Textual here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from tokentui.core.expiry import expiry_instant
from tokentui.core.hygiene import Finding
from tokentui.gitlab.models import Token, TokenKind
from tokentui.gitlab.sources import TokenFilters


@dataclass(frozen=True, slots=True)
class ClientFilters:
    """Filters GitLab has no parameter for, applied to the loaded tokens only.

    ``text``: case-insensitive substring of the name. ``expiring_within_days``: active tokens
    (not revoked, not yet expired) expiring in under that many days; a revoked token cannot
    break anything when its date comes, so it never "expires within" a window, although
    GitLab's ``expires_before`` keeps it. ``scope``: holds that scope. ``kind``: of that kind
    (a row whose kind is not known yet does not match). ``expiry_week``: active tokens expiring
    in the seven days from that date (a week of the horizon, :mod:`tokentui.core.horizon`).
    ``finding``: has that hygiene finding (:mod:`tokentui.core.hygiene`); it needs the whole
    list and the owners, so the store applies it (:class:`~tokentui.core.store.TokenStore`),
    not :func:`matches`.
    """

    text: str = ""
    expiring_within_days: int | None = None
    scope: str | None = None
    kind: TokenKind | None = None
    expiry_week: date | None = None
    finding: Finding | None = None

    @property
    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return (
            not self.text.strip()
            and self.expiring_within_days is None
            and self.scope is None
            and self.kind is None
            and self.expiry_week is None
            and self.finding is None
        )


#: What a row shows beyond its token: its kind and its resource (the project or group path,
#: or the owning user), None while not known. The fronts pass one built on
#: :class:`~tokentui.core.ownership.Ownership`; without one only a deploy row knows its kind.
Facts = Callable[[Token], tuple[TokenKind | None, str | None]]


def intrinsic_facts(token: Token) -> tuple[TokenKind | None, str | None]:
    """The facts a token tells by itself: a deploy row is of kind deploy."""
    return (TokenKind.DEPLOY if token.is_deploy else None), None


class SortKey(Enum):
    """What the token list is sorted by; ``s`` cycles them in this order.

    ``URGENCY`` (the TUI's default) puts what needs attention first: active tokens by soonest
    expiry, then those that never expire, then expired ones (most recent first), then revoked
    ones (most recent expiry first). ``EXPIRY`` is the plain expiry date (never last).
    """

    URGENCY = "urgency"
    EXPIRY = "expiry"
    NAME = "name"
    CREATED = "created"
    LAST_USED = "last used"
    #: Kind, in :class:`~tokentui.gitlab.models.TokenKind` order (not known yet: last).
    KIND = "kind"
    #: Resource: the project or group path, or the owner's username (not known yet: last).
    RESOURCE = "resource"

    def next(self) -> SortKey:
        """The next key in the cycle."""
        keys = list(SortKey)
        return keys[(keys.index(self) + 1) % len(keys)]


def token_kind(token: Token, source_kind: TokenKind) -> TokenKind:
    """The kind of ``token`` as listed from a source of ``source_kind``.

    The admin list of every personal token also returns impersonation tokens (flagged), and
    resource endpoints say their resource type.
    """
    if token.resource_type == "project":
        return TokenKind.PROJECT
    if token.resource_type == "group":
        return TokenKind.GROUP
    if token.impersonation:
        return TokenKind.IMPERSONATION
    return source_kind


def expiring_filters(days: int, today: date) -> TokenFilters:
    """Server filters for "not expired, expiring in under ``days`` days" (``expires_at`` from
    tomorrow through ``today + days``). GitLab's ``expires_*`` filters keep revoked tokens:
    :class:`ClientFilters` ``expiring_within_days`` leaves them out."""
    return TokenFilters(
        expires_after=today + timedelta(days=1), expires_before=today + timedelta(days=days + 1)
    )


# --- GitLab's semantics, one token at a time ------------------------------------------------

_WORD = re.compile(r'"([^"]*)"|(\S+)')


def search_words(query: str) -> tuple[str, ...] | None:
    """GitLab's ``fuzzy_search`` split: words of 3+ characters (quoted phrases kept whole),
    case-folded. Returns None when no word is long enough (GitLab then matches the whole
    query exactly, case-insensitively)."""
    words = [m.group(1) if m.group(1) is not None else m.group(2) for m in _WORD.finditer(query)]
    long_words = tuple(w.casefold() for w in words if len(w) >= 3)
    return long_words or None


def matches_search(name: str, query: str) -> bool:
    """Whether GitLab's ``search=query`` matches a token named ``name``."""
    squished = " ".join(query.split())
    if not squished:
        return True
    words = search_words(squished)
    folded = name.casefold()
    if words is None:
        return folded == squished.casefold()
    return all(w in folded for w in words)


def _bound(value: datetime | date, *, end_of_day: bool = False) -> datetime:
    """A filter bound as an aware datetime (a date means 00:00 UTC, as GitLab parses it)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    start = expiry_instant(value)
    return start + timedelta(days=1, microseconds=-1) if end_of_day else start


def _is_active(token: Token, now: datetime) -> bool:
    if token.revoked:
        return False
    if token.expires_at is None:
        return token.active
    return now < expiry_instant(token.expires_at)


def _in_week(token: Token, week: date, now: datetime) -> bool:
    """Active (not revoked, not expired at ``now``) and expiring in the 7 days from ``week``."""
    expires = token.expires_at
    if token.revoked or expires is None or not week <= expires < week + timedelta(days=7):
        return False
    return now < expiry_instant(expires)


def matches(
    token: Token,
    server: TokenFilters,
    client: ClientFilters,
    now: datetime,
    facts: Facts = intrinsic_facts,
) -> bool:
    """Whether ``token`` passes every filter (the reference implementation of the index)."""
    if server.state is not None and _is_active(token, now) != (server.state == "active"):
        return False
    if server.revoked is not None and token.revoked != server.revoked:
        return False
    if server.search and not matches_search(token.name, server.search):
        return False
    created = token.created_at
    if server.created_before is not None and (
        created is None or created > _bound(server.created_before)
    ):
        return False
    if server.created_after is not None and (
        created is None or created < _bound(server.created_after)
    ):
        return False
    for bound, before in (
        (server.last_used_before, True),
        (server.last_used_after, False),
    ):
        if bound is None:
            continue
        if token.last_used_at is None:
            return False
        limit = _bound(bound)
        if token.last_used_at > limit if before else token.last_used_at < limit:
            return False
    if server.expires_before is not None and (
        token.expires_at is None or token.expires_at >= server.expires_before
    ):
        return False
    if server.expires_after is not None and (
        token.expires_at is None or token.expires_at < server.expires_after
    ):
        return False
    if client.text.strip() and client.text.strip().casefold() not in token.name.casefold():
        return False
    if client.scope is not None and client.scope not in token.scopes:
        return False
    if client.expiring_within_days is not None:
        if token.revoked or token.expires_at is None:
            return False
        left = expiry_instant(token.expires_at) - now
        if not timedelta(0) < left < timedelta(days=client.expiring_within_days):
            return False
    if client.expiry_week is not None and not _in_week(token, client.expiry_week, now):
        return False
    return client.kind is None or facts(token)[0] is client.kind


def filter_tokens(
    tokens: Iterable[Token],
    server: TokenFilters | None = None,
    client: ClientFilters | None = None,
    now: datetime | None = None,
    facts: Facts = intrinsic_facts,
) -> list[Token]:
    """The tokens that pass ``server`` and ``client`` filters at ``now`` (order kept)."""
    server = server or TokenFilters()
    client = client or ClientFilters()
    now = now or datetime.now(UTC)
    return [t for t in tokens if matches(t, server, client, now, facts)]


_NEVER = math.inf
#: Urgency groups are offsets far apart on one float axis (timestamps are ~2e9).
_GROUP = 1e12


def _urgency(revoked: bool, expiry_ts: float, now_ts: float) -> float:
    """One float ordering tokens by urgency (see :class:`SortKey`); ``expiry_ts`` is the
    expiry instant's timestamp, inf for never, -inf for inactive without a date."""
    finite = expiry_ts if math.isfinite(expiry_ts) else 0.0
    if revoked:
        return 4 * _GROUP - finite
    if expiry_ts == _NEVER:
        return _GROUP
    if expiry_ts > now_ts:
        return expiry_ts
    return 2 * _GROUP - finite


def _expiry_ts(token: Token) -> float:
    if token.expires_at is not None:
        return expiry_instant(token.expires_at).timestamp()
    return _NEVER if token.active else -_NEVER


_KIND_ORDER = {kind: float(i) for i, kind in enumerate(TokenKind)}
#: Sorts after every resource text (a resource not known yet goes last).
_UNKNOWN_TEXT = "\U0010ffff"


def kind_rank(kind: TokenKind | None) -> float:
    """Sort value of a kind: :class:`TokenKind` order, unknown last."""
    return _NEVER if kind is None else _KIND_ORDER[kind]


def resource_rank(resource: str | None) -> str:
    """Sort value of a resource text: case-folded, without a leading ``@``; unknown last."""
    return _UNKNOWN_TEXT if not resource else resource.lstrip("@").casefold()


def _sort_value(token: Token, key: SortKey, now_ts: float, facts: Facts) -> float | str:
    if key is SortKey.KIND:
        return kind_rank(facts(token)[0])
    if key is SortKey.RESOURCE:
        return resource_rank(facts(token)[1])
    if key is SortKey.URGENCY:
        return _urgency(token.revoked, _expiry_ts(token), now_ts)
    if key is SortKey.EXPIRY:
        return token.expires_at.toordinal() if token.expires_at else _NEVER
    if key is SortKey.NAME:
        return token.name.casefold()
    if key is SortKey.CREATED:
        return token.created_at.timestamp() if token.created_at else -_NEVER
    return token.last_used_at.timestamp() if token.last_used_at else -_NEVER


def sort_tokens(
    tokens: Iterable[Token],
    key: SortKey,
    descending: bool = False,
    *,
    now: datetime | None = None,
    facts: Facts = intrinsic_facts,
) -> list[Token]:
    """Tokens sorted by ``key`` (ties keep their order). Ascending: soonest expiry first (never
    last), name A-Z, oldest first, least recently used first (never used first), kinds in
    :class:`TokenKind` order, resources A-Z (not known yet last); urgency as :class:`SortKey`
    says (at ``now``)."""
    now_ts = (now or datetime.now(UTC)).timestamp()
    return sorted(tokens, key=lambda t: _sort_value(t, key, now_ts, facts), reverse=descending)


# --- the compact index ----------------------------------------------------------------------


class TokenIndex:
    """Tokens plus plain columns for fast filtering and sorting.

    Positions are stable: a token replaced (revoked, rotated) keeps its slot. ``select``
    returns positions in sort order; sort orders are cached until the tokens change.
    """

    def __init__(self) -> None:
        self.tokens: list[Token] = []
        #: Position of each token by :attr:`Token.key` (ids of access and deploy tokens overlap).
        self._by_key: dict[int, int] = {}
        self._names: list[str] = []
        self._revoked = bytearray()
        #: Expiry instant as a POSIX timestamp; inf = never, -inf = inactive without a date.
        self._expiry_ts: list[float] = []
        self._expiry_ord: list[float] = []
        self._created_ts: list[float] = []
        self._last_used_ts: list[float] = []
        #: Cached orders by (column name, descending).
        self._orders: dict[tuple[str, bool], list[int]] = {}
        self._shared_fields: dict[frozenset[str], set[str]] = {}
        #: Bumped on every change of the tokens (invalidates kept selections).
        self._version = 0
        self._memo_signature: object = None
        self._memo: dict[str, list[int]] = {}
        self._shared_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        #: The instant the cached urgency orders were computed for.
        self._urgency_ts: float | None = None
        #: Kind and resource of a row (see :data:`Facts`); the app's knows the owners.
        self.facts: Facts = intrinsic_facts
        #: Their columns, built on first use (a kind sort or filter) and extended as tokens
        #: arrive; dropped when the facts change (:meth:`refresh_facts`).
        self._kinds: list[TokenKind | None] | None = None
        self._kind_ranks: list[float] = []
        self._resource_ranks: list[str] = []

    def __len__(self) -> int:
        return len(self.tokens)

    def position(self, key: int) -> int | None:
        """Where the token with :attr:`Token.key` ``key`` sits, or None."""
        return self._by_key.get(key)

    def get(self, key: int) -> Token | None:
        """The token with :attr:`Token.key` ``key``, or None."""
        pos = self._by_key.get(key)
        return None if pos is None else self.tokens[pos]

    def clear(self) -> None:
        """Forget every token (the facts function stays)."""
        facts, version = self.facts, self._version + 1
        TokenIndex.__init__(self)
        self.facts = facts
        self._version = version  # never repeats: caches keyed by it stay right

    @property
    def version(self) -> int:
        """Changes whenever a token is added or replaced, or the facts change (for caches of
        derived data: the filter memo, the hygiene findings)."""
        return self._version

    def refresh_facts(self, *, affects_view: bool = True) -> None:
        """The facts changed (owners were looked up): the kind and resource columns are
        built again when next used. ``affects_view``: a kept selection used them (a kind
        filter or sort), so it is dropped too."""
        self._kinds = None
        self._kind_ranks = []
        self._resource_ranks = []
        for name in ("kind", "resource"):
            for descending in (False, True):
                self._orders.pop((name, descending), None)
        if affects_view:
            self._version += 1

    def _fact_columns(self) -> list[TokenKind | None]:
        """The kinds by position, the kind and resource sort columns extended to every token."""
        kinds = self._kinds
        if kinds is None:
            kinds = self._kinds = []
        have = len(kinds)
        if have < len(self.tokens):
            facts = self.facts
            ranks, resources = self._kind_ranks, self._resource_ranks
            for token in self.tokens[have:]:
                kind, resource = facts(token)
                kinds.append(kind)
                ranks.append(kind_rank(kind))
                resources.append(resource_rank(resource))
        return kinds

    def extend(self, tokens: Iterable[Token]) -> None:
        """Add tokens (a token already present, by :attr:`Token.key`, is replaced in place)."""
        for token in tokens:
            self.put(token)

    def put(self, token: Token) -> None:
        """Add ``token`` or replace the one with the same :attr:`Token.key`."""
        self._compact(token)
        self._version += 1
        key = token.key
        pos = self._by_key.get(key)
        columns = self._columns(token)
        if pos is None:
            self._by_key[key] = len(self.tokens)
            self.tokens.append(token)
            self._names.append(columns[0])
            self._revoked.append(columns[1])
            self._expiry_ts.append(columns[2])
            self._expiry_ord.append(columns[3])
            self._created_ts.append(columns[4])
            self._last_used_ts.append(columns[5])
        else:
            self.tokens[pos] = token
            (
                self._names[pos],
                self._revoked[pos],
                self._expiry_ts[pos],
                self._expiry_ord[pos],
                self._created_ts[pos],
                self._last_used_ts[pos],
            ) = columns
            if self._kinds is not None and pos < len(self._kinds):
                kind, resource = self.facts(token)
                self._kinds[pos] = kind
                self._kind_ranks[pos] = kind_rank(kind)
                self._resource_ranks[pos] = resource_rank(resource)
            # A changed row may move anywhere: sort afresh next time (rare: after an action).
            self._orders.clear()
        self._urgency_ts = None

    def _compact(self, token: Token) -> None:
        """Share what 100,000 tokens repeat (issue 6, memory): pydantic's per-instance set of
        field names (~700 bytes each) and equal scope / IP tuples. Values are unchanged;
        pydantic copies the field set before changing it (``model_copy``)."""
        fields = token.__pydantic_fields_set__
        shared = self._shared_fields.setdefault(frozenset(fields), fields)
        if shared is not fields:
            object.__setattr__(token, "__pydantic_fields_set__", shared)
        values = token.__dict__
        for name in ("scopes", "last_used_ips"):
            value = values.get(name)
            if value:
                values[name] = self._shared_tuples.setdefault(value, value)

    @staticmethod
    def _columns(token: Token) -> tuple[str, int, float, float, float, float]:
        expiry_ts = _expiry_ts(token)
        expiry_ord = float(token.expires_at.toordinal()) if token.expires_at else _NEVER
        return (
            token.name.casefold(),
            1 if token.revoked else 0,
            expiry_ts,
            expiry_ord,
            token.created_at.timestamp() if token.created_at else -_NEVER,
            token.last_used_at.timestamp() if token.last_used_at else -_NEVER,
        )

    def _column(self, key: SortKey) -> Sequence[float | str]:
        if key in (SortKey.KIND, SortKey.RESOURCE):
            self._fact_columns()
            return self._kind_ranks if key is SortKey.KIND else self._resource_ranks
        columns: dict[SortKey, Sequence[float | str]] = {
            SortKey.EXPIRY: self._expiry_ord,
            SortKey.NAME: self._names,
            SortKey.CREATED: self._created_ts,
            SortKey.LAST_USED: self._last_used_ts,
        }
        return columns[key]

    def _sorted(self, name: str, column: Sequence[float | str], descending: bool) -> list[int]:
        """Positions sorted by ``column`` (stable), cached; tokens appended since the last
        call are merged in (Timsort finds the sorted run), a replaced token re-sorts."""
        count = len(column)
        cached = self._orders.get((name, descending))
        if cached is not None and len(cached) == count:
            return cached
        if cached is None:
            items: list[int] = list(range(count))
        else:
            # Positions are arrival order, so merging keeps ties exactly as a full sort would.
            items = cached + list(range(len(cached), count))
        result = sorted(items, key=column.__getitem__, reverse=descending)
        self._orders[(name, descending)] = result
        return result

    def order(
        self, key: SortKey, descending: bool = False, now: datetime | None = None
    ) -> list[int]:
        """Positions sorted by ``key``; ties keep arrival order in both directions.

        Orders are cached and kept up to date cheaply as pages are appended. Urgency orders
        depend on ``now`` and are rebuilt from the expiry orders when a minute old.
        """
        if key is not SortKey.URGENCY:
            return self._sorted(key.value, self._column(key), descending)
        now_ts = (now or datetime.now(UTC)).timestamp()
        cache_key = ("urgency", descending)
        cached = self._orders.get(cache_key)
        if (
            cached is not None
            and len(cached) == len(self.tokens)
            and self._urgency_ts is not None
            and abs(now_ts - self._urgency_ts) <= 60
        ):
            return cached
        self._urgency_ts = now_ts
        result = self._urgency_order(descending, now_ts)
        self._orders[cache_key] = result
        return result

    def _urgency_order(self, descending: bool, now_ts: float) -> list[int]:
        """The urgency order (see :class:`SortKey`) by partitioning the expiry orders; the
        same as sorting by ``_urgency`` (``test_index_agrees_with_reference`` checks it)."""
        asc = self._sorted("expiry_ts", self._expiry_ts, False)
        desc = self._sorted("expiry_ts", self._expiry_ts, True)
        rev, exp, never = self._revoked, self._expiry_ts, _NEVER
        revoked_undated = [i for i in range(len(exp)) if rev[i] and not math.isfinite(exp[i])]
        if not descending:
            return [
                *[i for i in asc if not rev[i] and now_ts < exp[i] < never],
                *[i for i in asc if not rev[i] and exp[i] == never],
                *[i for i in desc if not rev[i] and exp[i] <= now_ts],
                *[i for i in desc if rev[i] and math.isfinite(exp[i])],
                *revoked_undated,
            ]
        return [
            *revoked_undated,
            *[i for i in asc if rev[i] and math.isfinite(exp[i])],
            *[i for i in asc if not rev[i] and exp[i] <= now_ts],
            *[i for i in asc if not rev[i] and exp[i] == never],
            *[i for i in desc if not rev[i] and now_ts < exp[i] < never],
        ]

    def select(
        self,
        server: TokenFilters,
        client: ClientFilters,
        now: datetime,
        key: SortKey = SortKey.EXPIRY,
        descending: bool = False,
    ) -> list[int]:
        """Positions of the tokens passing every filter, in sort order.

        Typing in the filter box is the hot path (issue 6): the rows passing every other
        filter are kept, and each text's result too, so a longer text narrows the result of a
        shorter one it contains, and erasing back returns a kept result at once.
        """
        now_ts = now.timestamp()
        signature = (
            self._version,
            server,
            replace(client, text=""),
            key,
            descending,
            # Expiry instants are midnights: minute buckets never blur an expiry.
            int(now_ts // 60),
        )
        if signature != self._memo_signature:
            self._memo_signature = signature
            self._memo = {"": self._select_base(server, client, now, key, descending)}
        text = client.text.strip().casefold()
        hit = self._memo.get(text)
        if hit is not None:
            return hit
        source = max((t for t in self._memo if t in text), key=len)
        names = self._names
        result = [i for i in self._memo[source] if text in names[i]]
        if len(self._memo) > 24:  # bounded: each kept result is a list of positions
            self._memo = {"": self._memo[""]}
        self._memo[text] = result
        return result

    def _select_base(
        self,
        server: TokenFilters,
        client: ClientFilters,
        now: datetime,
        key: SortKey,
        descending: bool,
    ) -> list[int]:
        """Positions passing every filter but the text, in sort order."""
        rows = self.order(key, descending, now)
        now_ts = now.timestamp()
        tokens = self.tokens
        if server.revoked is not None:
            flag = 1 if server.revoked else 0
            revoked = self._revoked
            rows = [i for i in rows if revoked[i] == flag]
        if server.state is not None:
            revoked, expiry = self._revoked, self._expiry_ts
            if server.state == "active":
                rows = [i for i in rows if not revoked[i] and expiry[i] > now_ts]
            else:
                rows = [i for i in rows if revoked[i] or expiry[i] <= now_ts]
        if client.expiring_within_days is not None:
            revoked, expiry = self._revoked, self._expiry_ts
            limit = now_ts + client.expiring_within_days * 86_400
            rows = [i for i in rows if not revoked[i] and now_ts < expiry[i] < limit]
        if client.scope is not None:
            scope = client.scope
            rows = [i for i in rows if scope in tokens[i].scopes]
        if client.kind is not None:
            kind, kinds = client.kind, self._fact_columns()
            rows = [i for i in rows if kinds[i] is kind]
        if client.expiry_week is not None:
            revoked, expiry, ordinals = self._revoked, self._expiry_ts, self._expiry_ord
            first = client.expiry_week.toordinal()
            rows = [
                i
                for i in rows
                if not revoked[i] and first <= ordinals[i] < first + 7 and expiry[i] > now_ts
            ]
        rest = TokenFilters(
            search=server.search,
            created_before=server.created_before,
            created_after=server.created_after,
            last_used_before=server.last_used_before,
            last_used_after=server.last_used_after,
            expires_before=server.expires_before,
            expires_after=server.expires_after,
        )
        if rest != TokenFilters():
            empty = ClientFilters()
            rows = [i for i in rows if matches(tokens[i], rest, empty, now)]
        return rows
