"""Seeded, deterministic demo data: the demo cast and tokens of every kind in every state.

Everything is generated relative to ``now`` (the simulator's clock at construction), so a frozen
clock gives byte-identical data for a given seed and size.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tokentui.simulator.demo_data import (
    ADMIN_EXTRA_SCOPES,
    DEPLOY_TOKENS,
    FIRST_NAMES,
    IMPERSONATION_NAMES,
    IPS,
    PERSONAL_NAMES,
    PERSONAL_SCOPES,
    RESOURCE_NAMES,
    RESOURCE_SCOPES,
    SERVICE_NAMES,
)
from tokentui.simulator.records import (
    HUMAN,
    PROJECT_BOT,
    SERVICE_ACCOUNT,
    DeployTokenRecord,
    GroupRecord,
    ProjectRecord,
    TokenRecord,
    UserRecord,
)
from tokentui.simulator.rules import DEPLOY_TOKEN_PREFIX, TokenKind
from tokentui.simulator.state import State

GUEST, PLANNER, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 15, 20, 30, 40, 50

#: Expiry categories: (label, weight). Offsets are days from today.
EXPIRY_CATEGORIES = (
    ("expired", 12),
    ("expired_today", 2),  # expires_at == today: inactive since 00:00 UTC
    ("tomorrow", 3),  # less than a day left
    ("week", 10),  # 2..7 days
    ("month", 12),  # 8..30 days
    ("two_months", 12),  # 31..60 days
    ("later", 35),  # 61..365 days
    ("never", 8),  # no expiry (pre-16.0 tokens)
)
KINDS = (
    (TokenKind.PERSONAL, 52),
    (TokenKind.IMPERSONATION, 5),
    (TokenKind.PROJECT, 18),
    (TokenKind.GROUP, 13),
    (TokenKind.SERVICE_ACCOUNT, 12),
)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Values of the three credential tokens the simulator prints."""

    admin: str = field(repr=False)
    user: str = field(repr=False)
    maintainer: str = field(repr=False)


def seed_cast(state: State, now: datetime, host: str) -> None:
    """The fixed demo cast: users 1-5, service accounts, groups 1-3, projects 1-3."""
    rng = random.Random(state.seed * 7919)
    long_ago = now - timedelta(days=900)
    for uid, username, name, admin in (
        (1, "root", "Administrator", True),
        (2, "alice", "Alice Anders", False),
        (3, "bob", "Bob Brenner", False),
        (4, "carol", "Carol Chen", False),
        (5, "dave", "Dave Dietrich", False),
    ):
        state.add_user(
            UserRecord(uid, username, name, f"{username}@{host}", long_ago, is_admin=admin)
        )
    groups = (
        GroupRecord(1, "Platform", "platform", "platform", long_ago),
        GroupRecord(2, "Infra", "infra", "platform/infra", long_ago, parent_id=1),
        GroupRecord(3, "Data", "data", "data", long_ago, visibility="private"),
    )
    for group in groups:
        state.groups[group.id] = group
    state.groups[1].members.update({1: OWNER, 3: OWNER, 2: DEVELOPER, 4: REPORTER})
    state.groups[2].members.update({5: MAINTAINER})
    state.groups[3].members.update({4: OWNER, 5: DEVELOPER})
    for project in (
        ProjectRecord(1, "api", "api", 1, "platform/api", long_ago),
        ProjectRecord(2, "web", "web", 1, "platform/web", long_ago),
        ProjectRecord(3, "warehouse", "warehouse", 3, "data/warehouse", long_ago, "private"),
    ):
        state.projects[project.id] = project
    state.projects[1].members.update({3: MAINTAINER})
    state.projects[2].members.update({5: MAINTAINER})
    # Group service accounts: two in platform, one in data.
    for gid in (1, 1, 3):
        uid = state.next_user_id()
        hexpart = f"{rng.getrandbits(128):032x}"
        state.add_user(
            UserRecord(
                uid,
                f"service_account_group_{gid}_{hexpart}",
                "Service account user",
                f"service_account_group_{gid}_{hexpart}@noreply.{host}",
                long_ago,
                user_type=SERVICE_ACCOUNT,
                provisioned_by_group_id=gid,
            )
        )


def add_bot(
    state: State,
    resource_type: str,
    resource_id: int,
    name: str,
    level: int,
    rng: random.Random,
    host: str,
    created: datetime,
) -> UserRecord:
    """A new bot user for one resource token family, member of its resource at ``level``."""
    uid = state.next_user_id()
    username = f"{resource_type}_{resource_id}_bot_{rng.getrandbits(128):032x}"
    user = state.add_user(
        UserRecord(
            uid, username, name, f"{username}@noreply.{host}", created, user_type=PROJECT_BOT
        )
    )
    table = state.projects if resource_type == "project" else state.groups
    table[resource_id].members[uid] = level
    return user


class _Generator:
    """Builds token records (without ids), then ids are assigned in creation order."""

    def __init__(self, state: State, now: datetime, host: str) -> None:
        self.state = state
        self.now = now
        self.today = now.date()
        self.host = host
        self.rng = random.Random(state.seed)
        self.records: list[TokenRecord] = []
        self.prev: dict[int, TokenRecord] = {}  # id(record) -> predecessor record
        humans = [u for u in state.users.values() if u.user_type == HUMAN]
        self.humans = humans
        self.service_accounts = [u for u in state.users.values() if u.user_type == SERVICE_ACCOUNT]

    def add_extra_humans(self, total_tokens: int) -> None:
        """One more human user per ~250 tokens beyond the first 500 (big instances)."""
        extra = max(0, (total_tokens - 500) // 250)
        long_ago = self.now - timedelta(days=800)
        for n in range(extra):
            uid = self.state.next_user_id()
            first = FIRST_NAMES[n % len(FIRST_NAMES)]
            username = f"{first}{n // len(FIRST_NAMES) + 1}"
            self.humans.append(
                self.state.add_user(
                    UserRecord(
                        uid,
                        username,
                        f"{first.title()} {n + 1}",
                        f"{username}@{self.host}",
                        long_ago,
                    )
                )
            )

    def _expiry(self, category: str, created: datetime) -> tuple[date | None, datetime]:
        """An ``expires_at`` in ``category`` and a matching ``created_at``."""
        rng, today = self.rng, self.today
        offsets = {
            "expired": (-400, -1),
            "expired_today": (0, 0),
            "tomorrow": (1, 1),
            "week": (2, 7),
            "month": (8, 30),
            "two_months": (31, 60),
            "later": (61, 365),
        }
        if category == "never":
            return None, self.now - timedelta(days=rng.randint(400, 1500), seconds=rng.random())
        low, high = offsets[category]
        expires = today + timedelta(days=rng.randint(low, high))
        lifetime = rng.choice((7, 30, 90, 180, 365, 365))
        earliest = datetime.combine(expires, datetime.min.time(), self.now.tzinfo) - timedelta(
            days=lifetime
        )
        created = min(earliest + timedelta(seconds=rng.randint(0, 86_000)), self.now)
        if created >= self.now:
            created = self.now - timedelta(hours=rng.randint(1, 20))
        return expires, created

    def _last_used(self, created: datetime, until: datetime) -> tuple[datetime | None, list[str]]:
        rng = self.rng
        roll = rng.random()
        span = (until - created).total_seconds()
        if roll < 0.25 or span <= 60:
            return None, []
        if roll < 0.45 and until >= self.now - timedelta(minutes=1):
            used = self.now - timedelta(seconds=rng.randint(30, 3600))
        else:
            used = created + timedelta(seconds=rng.uniform(0, span))
        used = max(min(used, until), created)
        ips = rng.sample(IPS, rng.randint(1, 3))
        return used, ips

    def family(
        self, kind: TokenKind, category: str, *, revoked: bool = False, rotations: int = 0
    ) -> list[TokenRecord]:
        """One token (plus ``rotations`` revoked predecessors) of ``kind``."""
        rng = self.rng
        owner, name, scopes, resource = self._owner(kind)
        expires, created = self._expiry(category, self.now)
        description = rng.choice(
            (None, None, f"Used by {name}", "Managed by the platform team", "")
        )
        chain: list[TokenRecord] = []
        # Predecessors, oldest first; each was revoked when its successor was created.
        start = created
        for _ in range(rotations):
            start = start - timedelta(days=rng.randint(7, 90), seconds=rng.randint(0, 3600))
        moments = [start]
        for _ in range(rotations):
            moments.append(moments[-1] + (created - start) / max(rotations, 1))
        moments[-1] = created
        for i in range(rotations + 1):
            born = moments[i]
            last = i == rotations
            if last:
                exp = expires
                until = self.now
            else:
                exp = (moments[i + 1] + timedelta(days=7)).date()
                until = moments[i + 1]
            if exp is not None:
                until = min(until, datetime.combine(exp, datetime.min.time(), self.now.tzinfo))
            used, ips = self._last_used(born, until)
            record = TokenRecord(
                id=0,
                name=name,
                user_id=owner.id,
                scopes=scopes,
                created_at=born,
                kind=kind,
                description=description,
                revoked=(not last) or revoked,
                expires_at=exp,
                last_used_at=used,
                last_used_ips=ips,
                impersonation=kind is TokenKind.IMPERSONATION,
                resource_type=resource[0] if resource else None,
                resource_id=resource[1] if resource else None,
            )
            if chain:
                self.prev[id(record)] = chain[-1]
            chain.append(record)
        return chain

    def _owner(
        self, kind: TokenKind
    ) -> tuple[UserRecord, str, tuple[str, ...], tuple[str, int] | None]:
        rng = self.rng
        if kind is TokenKind.PERSONAL:
            owner = rng.choice(self.humans)
            scopes = rng.choice(PERSONAL_SCOPES)
            if owner.is_admin and rng.random() < 0.3:
                scopes = rng.choice(ADMIN_EXTRA_SCOPES)
            return owner, rng.choice(PERSONAL_NAMES), scopes, None
        if kind is TokenKind.IMPERSONATION:
            owner = rng.choice([u for u in self.humans if not u.is_admin])
            return owner, rng.choice(IMPERSONATION_NAMES), rng.choice(PERSONAL_SCOPES[:3]), None
        if kind is TokenKind.SERVICE_ACCOUNT:
            owner = rng.choice(self.service_accounts)
            return owner, rng.choice(SERVICE_NAMES), rng.choice(PERSONAL_SCOPES[:8]), None
        resource_type = "project" if kind is TokenKind.PROJECT else "group"
        resource_id = rng.choice((1, 1, 2, 3))
        name = rng.choice(RESOURCE_NAMES)
        level = rng.choice((GUEST, REPORTER, DEVELOPER, MAINTAINER, MAINTAINER, MAINTAINER, OWNER))
        bot = add_bot(self.state, resource_type, resource_id, name, level, rng, self.host, self.now)
        return bot, name, rng.choice(RESOURCE_SCOPES), (resource_type, resource_id)


def seed_tokens(state: State, now: datetime, total: int, host: str) -> Credentials:
    """Seed ``total`` token records (the three credentials included); returns the credentials.

    The first families cover every kind in every expiry state, revoked and rotated; the rest
    are drawn at random with realistic weights. Ids follow creation time, as in a database.
    """
    gen = _Generator(state, now, host)
    gen.add_extra_humans(total)
    budget = max(total, 3) - 3
    families: list[list[TokenRecord]] = []
    used = 0

    def take(chain: list[TokenRecord]) -> bool:
        nonlocal used
        if used >= budget:
            return False
        chain = chain[-(budget - used) :] if used + len(chain) > budget else chain
        families.append(chain)
        used += len(chain)
        return True

    for kind, _ in KINDS:
        for category, _ in EXPIRY_CATEGORIES:
            take(gen.family(kind, category))
        take(gen.family(kind, "later", revoked=True))
        take(gen.family(kind, "month", rotations=2))
    kinds = [k for k, _ in KINDS]
    kind_weights = [w for _, w in KINDS]
    categories = [c for c, _ in EXPIRY_CATEGORIES]
    category_weights = [w for _, w in EXPIRY_CATEGORIES]
    rng = gen.rng
    while used < budget:
        kind = rng.choices(kinds, kind_weights)[0]
        category = rng.choices(categories, category_weights)[0]
        roll = rng.random()
        take(
            gen.family(
                kind,
                category,
                revoked=roll < 0.06,
                rotations=rng.randint(1, 3) if 0.06 <= roll < 0.12 else 0,
            )
        )
    records = [r for chain in families for r in chain]
    # Credentials: created two days ago, valid for 300 days, scope api.
    cred_created = now - timedelta(days=2)
    creds: list[TokenRecord] = []
    for user_id, name in ((1, "tokentui-admin"), (2, "tokentui-alice"), (3, "tokentui-bob")):
        creds.append(
            TokenRecord(
                id=0,
                name=name,
                user_id=user_id,
                scopes=("api",),
                created_at=cred_created + timedelta(seconds=user_id),
                description="Credential printed by tokentui simulate",
                expires_at=(now + timedelta(days=300)).date(),
            )
        )
    records.extend(creds)
    records.sort(key=lambda r: r.created_at)
    first_id = state.next_token_id()
    for offset, record in enumerate(records):
        record.id = first_id + offset
    values: dict[int, str] = {}
    for record in records:
        predecessor = gen.prev.get(id(record))
        record.previous_id = predecessor.id if predecessor else None
        values[id(record)] = state.add_token(record)
    return Credentials(*(values[id(c)] for c in creds))


#: Which resources get which of :data:`DEPLOY_TOKENS` (by index), in seeding order.
_DEPLOY_PLAN = (
    ("project", 1, (0, 1, 3, 4)),
    ("project", 2, (0, 2)),
    ("project", 3, (0,)),
    ("group", 1, (2, 1)),
    ("group", 2, (0,)),
    ("group", 3, (3, 0)),
)


def seed_deploy_tokens(state: State, now: datetime) -> None:
    """A few deploy tokens on every seeded project and group, in every state (never expiring,
    expiring soon, later, expired, revoked). Their own id sequence and randomness: adding them
    changes no access token's id, date or value."""
    rng = random.Random(f"{state.seed}:deploy-tokens")
    midnight = datetime.combine(now.date(), datetime.min.time(), now.tzinfo)
    for resource_type, resource_id, picks in _DEPLOY_PLAN:
        for index in picks:
            name, scopes, username, days, revoked = DEPLOY_TOKENS[index]
            created = now - timedelta(days=rng.randint(20, 400), seconds=rng.randint(0, 86_000))
            expires = None if days is None else midnight + timedelta(days=days)
            record = DeployTokenRecord(
                id=state.next_deploy_token_id(),
                name=name,
                scopes=scopes,
                created_at=created,
                resource_type=resource_type,
                resource_id=resource_id,
                username=username,
                expires_at=expires,
                revoked=revoked,
                creator_id=1,
            )
            state.add_deploy_token(record, prefix=DEPLOY_TOKEN_PREFIX)
