"""A generated fleet: nested groups, projects spread over them, people, bots and their tokens.

``SimulatorConfig(projects=N, groups=M)`` (``tokentui simulate --projects N --groups M``) adds
it after the demo cast, its tokens and deploy tokens, from a random stream of its own: the
seeded demo data keeps every id, date and value. Deterministic for a seed, size and clock.

Who is who (the demo cast takes part):

* bob (3, the ``maintainer`` credential): Maintainer of every top-level group of the fleet,
  so Maintainer of every fleet project through inheritance, and Owner of a few subgroups;
* carol (4, the ``owner`` credential ``tokentui-carol``, created with the fleet): Owner of
  every top-level group of the fleet (and, through inheritance, of all below);
* alice (2): Developer in a few subgroups; dave (5): Maintainer of a few subgroups;
* generated people: an Owner per top-level group, a Maintainer per subgroup, Developers and
  Reporters, some direct project members (Developer, Maintainer, Guest).

Tokens: project and group access tokens (a bot each), service accounts with tokens in the
top-level groups, personal tokens, deploy tokens. Expiries are lumpy the way real instances
are: a **cliff** (about one token in seven expires on the same day, a batch created together
a year before, like the one-year expiry GitLab 16.0 gave every token without one), two
quarterly-rotation lumps, a spread over the next months, some expired, some revoked, some
never expiring (created before 16.0); a fifth never used, some unused for months.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tokentui.simulator.demo_data import (
    FIRST_NAMES,
    PERSONAL_NAMES,
    PERSONAL_SCOPES,
    RESOURCE_NAMES,
    RESOURCE_SCOPES,
    SERVICE_NAMES,
)
from tokentui.simulator.fleet_data import (
    DEPARTMENTS,
    FLEET_DEPLOY_TOKENS,
    PROJECTS,
    SURNAMES,
    TEAMS,
)
from tokentui.simulator.records import (
    SERVICE_ACCOUNT,
    DeployTokenRecord,
    GroupRecord,
    ProjectRecord,
    TokenRecord,
    UserRecord,
)
from tokentui.simulator.rules import DEPLOY_TOKEN_PREFIX, TokenKind
from tokentui.simulator.seed import DEVELOPER, GUEST, MAINTAINER, OWNER, REPORTER, add_bot
from tokentui.simulator.state import State

ALICE, BOB, CAROL, DAVE = 2, 3, 4, 5
#: Deepest nesting below a top-level group (GitLab allows 20; real trees are shallow).
MAX_DEPTH = 3
#: Expiry categories of the fleet's tokens: (label, weight).
EXPIRY_MIX = (
    ("cliff", 14),
    ("lump", 8),
    ("expired", 8),
    ("soon", 8),  # today .. 14 days
    ("months", 30),  # 15 .. 100 days
    ("later", 24),  # 101 .. 365 days
    ("never", 4),
)
REVOKED_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class Fleet:
    """What :func:`seed_fleet` made (ids, the named people, the cliff day)."""

    top_groups: tuple[int, ...]
    groups: tuple[int, ...]
    projects: tuple[int, ...]
    people: tuple[int, ...]
    #: The day many tokens expire at once.
    cliff: date
    #: Token records and deploy tokens the fleet added.
    tokens: int
    deploy_tokens: int
    #: carol's credential (``tokentui-carol``, scope ``api``).
    owner_token: str = field(repr=False)
    maintainer_id: int = BOB
    owner_id: int = CAROL


def seed_fleet(state: State, now: datetime, host: str, *, projects: int, groups: int) -> Fleet:
    """Add a fleet of ``projects`` projects in ``groups`` groups (at least one group when
    there are projects) to ``state``; see the module docstring."""
    if projects < 0 or groups < 0:
        raise ValueError("projects and groups must be 0 or more")
    if projects and not groups:
        groups = max(1, projects // 10)
    return _FleetBuilder(state, now, host).build(projects, groups)


class _FleetBuilder:
    def __init__(self, state: State, now: datetime, host: str) -> None:
        self.state = state
        self.now = now
        self.today = now.date()
        self.host = host
        self.rng = random.Random(f"{state.seed}:fleet")
        self.records: list[TokenRecord] = []
        self.deploys: list[DeployTokenRecord] = []
        self.depth: dict[int, int] = {}
        self.people: list[UserRecord] = []
        rng = self.rng
        self.cliff = self.today + timedelta(days=rng.randint(24, 52))
        #: The 16.0-style batch: created together, one year before the cliff.
        self.cliff_batch = datetime.combine(
            self.cliff - timedelta(days=365), time(14, 5), now.tzinfo
        )
        self.lumps = (
            self.today + timedelta(days=rng.randint(58, 75)),
            self.today + timedelta(days=rng.randint(120, 150)),
        )
        self.long_ago = now - timedelta(days=1200)

    def build(self, project_count: int, group_count: int) -> Fleet:
        top = self._groups(group_count)
        group_ids = sorted(self.depth)
        project_ids = self._projects(project_count, group_ids)
        self._people(project_count, group_count)
        self._memberships(top, group_ids, project_ids)
        self._resource_tokens(group_ids, project_ids)
        self._service_accounts(top)
        self._personal_tokens()
        owner_cred = self._credential()
        self._deploy_tokens(group_ids, project_ids)
        values = self._store()
        return Fleet(
            top_groups=tuple(top),
            groups=tuple(group_ids),
            projects=tuple(project_ids),
            people=tuple(p.id for p in self.people),
            cliff=self.cliff,
            tokens=len(self.records),
            deploy_tokens=len(self.deploys),
            owner_token=values[id(owner_cred)],
        )

    # -- structure -------------------------------------------------------------------------
    def _groups(self, count: int) -> list[int]:
        rng, state = self.rng, self.state
        if count == 0:
            return []
        top_count = max(1, min(count, round(0.7 * math.sqrt(count))))
        top: list[int] = []
        taken_top = {g.full_path.lower() for g in state.groups.values()}
        for n in range(top_count):
            base = DEPARTMENTS[n % len(DEPARTMENTS)]
            path = _unique(base, taken_top)
            gid = max(state.groups, default=0) + 1
            visibility = "private" if rng.random() < 0.7 else "internal"
            state.groups[gid] = GroupRecord(
                gid, path.replace("-", " ").title(), path, path, self.long_ago,
                visibility=visibility, description=f"The {path} department",
            )  # fmt: skip
            self.depth[gid] = 0
            top.append(gid)
        children: dict[int, set[str]] = {}
        for _ in range(count - top_count):
            parents = [g for g, d in self.depth.items() if d < MAX_DEPTH]
            weights = [MAX_DEPTH - self.depth[g] for g in parents]
            parent = state.groups[rng.choices(parents, weights)[0]]
            path = _unique(rng.choice(TEAMS), children.setdefault(parent.id, set()))
            gid = max(state.groups) + 1
            visibility = parent.visibility
            if visibility == "internal" and rng.random() < 0.3:
                visibility = "private"
            created = self.long_ago + timedelta(days=rng.randint(0, 700))
            state.groups[gid] = GroupRecord(
                gid, path.replace("-", " ").title(), path, f"{parent.full_path}/{path}", created,
                parent_id=parent.id, visibility=visibility,
            )  # fmt: skip
            self.depth[gid] = self.depth[parent.id] + 1
        state.touch()
        return top

    def _projects(self, count: int, group_ids: list[int]) -> list[int]:
        rng, state = self.rng, self.state
        if not group_ids:
            return []
        # A few groups hold many projects, most hold a handful (a heavy tail).
        weights = [rng.paretovariate(1.3) for _ in group_ids]
        names: dict[int, set[str]] = {}
        ids: list[int] = []
        for _ in range(count):
            group = state.groups[rng.choices(group_ids, weights)[0]]
            path = _unique(rng.choice(PROJECTS), names.setdefault(group.id, set()))
            pid = max(state.projects, default=0) + 1
            visibility = group.visibility
            if visibility == "internal" and rng.random() < 0.2:
                visibility = "private"
            created = group.created_at + timedelta(days=rng.randint(1, 400))
            state.projects[pid] = ProjectRecord(
                pid, path, path, group.id, f"{group.full_path}/{path}", min(created, self.now),
                visibility=visibility, description=f"{path} of {group.full_path}",
            )  # fmt: skip
            ids.append(pid)
        state.touch()
        return ids

    def _people(self, project_count: int, group_count: int) -> None:
        rng, state = self.rng, self.state
        count = max(6, project_count // 6 + group_count // 2)
        taken = {u.username.lower() for u in state.users.values()}
        for _ in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            username = _unique(f"{first}.{last}", taken)
            uid = state.next_user_id()
            created = self.long_ago + timedelta(days=rng.randint(0, 1000))
            name = f"{first.title()} {last.title()}"
            self.people.append(
                state.add_user(UserRecord(uid, username, name, f"{username}@{self.host}", created))
            )

    def _memberships(self, top: list[int], group_ids: list[int], project_ids: list[int]) -> None:
        rng, state = self.rng, self.state
        people = self.people

        def grant(members: dict[int, int], uid: int, level: int, inherited: int) -> None:
            # GitLab refuses a direct membership below the inherited one.
            if level > max(inherited, members.get(uid, 0)):
                members[uid] = level

        for gid in top:
            members = state.groups[gid].members
            members.update({CAROL: OWNER, BOB: MAINTAINER})
            grant(members, rng.choice(people).id, OWNER, 0)
        subgroups = [g for g in group_ids if self.depth[g] > 0]
        for gid in subgroups:
            group = state.groups[gid]
            parent = state.groups[group.parent_id or 0]

            def inherited(uid: int, parent: GroupRecord = parent) -> int:
                return state.group_access(uid, parent)

            lead = rng.choice(people).id
            grant(group.members, lead, MAINTAINER, inherited(lead))
            for level, low, high in ((DEVELOPER, 2, 6), (REPORTER, 0, 2)):
                for person in rng.sample(people, min(len(people), rng.randint(low, high))):
                    grant(group.members, person.id, level, inherited(person.id))
        for uid, level, share in ((BOB, OWNER, 0.06), (DAVE, MAINTAINER, 0.05)):
            for gid in subgroups:
                if rng.random() < share:
                    group = state.groups[gid]
                    grant(group.members, uid, level, state.group_access(uid, group))
        for gid in rng.sample(subgroups, min(len(subgroups), 3)):
            group = state.groups[gid]
            grant(group.members, ALICE, DEVELOPER, state.group_access(ALICE, group))
        for pid in project_ids:
            project = state.projects[pid]
            roll = rng.random()
            if roll < 0.35:
                member = rng.choice(people).id
                level = rng.choice((DEVELOPER, DEVELOPER, MAINTAINER, GUEST, REPORTER))
                namespace = state.groups[project.namespace_id]
                grant(project.members, member, level, state.group_access(member, namespace))
        state.touch()

    # -- tokens ----------------------------------------------------------------------------
    def _expiry(self) -> tuple[date | None, datetime]:
        """An ``expires_at`` from :data:`EXPIRY_MIX` and a matching ``created_at``."""
        rng, today = self.rng, self.today
        category = rng.choices([c for c, _ in EXPIRY_MIX], [w for _, w in EXPIRY_MIX])[0]
        if category == "never":
            return None, self.now - timedelta(days=rng.randint(940, 1600), hours=rng.random())
        if category == "cliff":
            return self.cliff, self.cliff_batch + timedelta(seconds=rng.randint(0, 1800))
        if category == "lump":
            # A scheduled rotation: one run made them all, 90 (or 180) days before.
            expires = rng.choice(self.lumps)
            lifetime = next(d for d in (90, 180, 365) if expires - timedelta(days=d) < today)
            created = datetime.combine(expires - timedelta(days=lifetime), time(9), self.now.tzinfo)
            return expires, created + timedelta(seconds=rng.randint(0, 600))
        low, high = {
            "expired": (-200, -1),
            "soon": (0, 14),
            "months": (15, 100),
            "later": (101, 365),
        }[category]
        expires = today + timedelta(days=rng.randint(low, high))
        lifetime = rng.choice((30, 90, 180, 365, 365))
        midnight = datetime.combine(expires, time(0), self.now.tzinfo)
        created = midnight - timedelta(days=lifetime) + timedelta(seconds=rng.randint(0, 80_000))
        if created >= self.now:
            created = self.now - timedelta(hours=rng.randint(2, 300))
        return expires, created

    def _last_used(self, created: datetime, expires: date | None) -> datetime | None:
        rng = self.rng
        until = self.now
        if expires is not None:
            until = min(until, datetime.combine(expires, time(0), self.now.tzinfo))
        span = (until - created).total_seconds()
        roll = rng.random()
        if roll < 0.2 or span < 3600:
            return None  # never used
        if roll < 0.35:  # unused for months
            used = until - timedelta(days=rng.randint(90, 400))
        else:
            used = until - timedelta(seconds=rng.uniform(60, 14 * 86_400))
        return max(used, created + timedelta(minutes=5))

    def _token(
        self,
        owner: UserRecord,
        name: str,
        scopes: tuple[str, ...],
        kind: TokenKind,
        resource: tuple[str, int] | None = None,
        timing: tuple[date | None, datetime] | None = None,
    ) -> TokenRecord:
        expires, created = timing or self._expiry()
        record = TokenRecord(
            id=0,
            name=name,
            user_id=owner.id,
            scopes=scopes,
            created_at=created,
            kind=kind,
            revoked=self.rng.random() < REVOKED_SHARE,
            expires_at=expires,
            last_used_at=self._last_used(created, expires),
            resource_type=resource[0] if resource else None,
            resource_id=resource[1] if resource else None,
        )
        self.records.append(record)
        return record

    def _resource_tokens(self, group_ids: list[int], project_ids: list[int]) -> None:
        rng = self.rng
        plan: list[tuple[str, int, tuple[int, ...], tuple[int, ...]]] = [
            ("project", pid, (0, 1, 2, 3, 4), (30, 38, 20, 8, 4)) for pid in project_ids
        ]
        plan += [("group", gid, (0, 1, 2), (55, 35, 10)) for gid in group_ids]
        for resource_type, resource_id, counts, weights in plan:
            for _ in range(rng.choices(counts, weights)[0]):
                name = rng.choice(RESOURCE_NAMES)
                timing = self._expiry()
                level = rng.choice((DEVELOPER, MAINTAINER, MAINTAINER, MAINTAINER, REPORTER))
                if resource_type == "group" and rng.random() < 0.3:
                    level = OWNER
                bot = add_bot(
                    self.state, resource_type, resource_id, name, level, rng, self.host, timing[1]
                )
                kind = TokenKind.PROJECT if resource_type == "project" else TokenKind.GROUP
                scopes = rng.choice(RESOURCE_SCOPES)
                self._token(bot, name, scopes, kind, (resource_type, resource_id), timing)

    def _service_accounts(self, top: list[int]) -> None:
        rng, state = self.rng, self.state
        for gid in top:
            for _ in range(rng.randint(1, 3)):
                uid = state.next_user_id()
                username = f"service_account_group_{gid}_{rng.getrandbits(128):032x}"
                account = state.add_user(
                    UserRecord(
                        uid,
                        username,
                        "Service account user",
                        f"{username}@noreply.{self.host}",
                        self.long_ago,
                        user_type=SERVICE_ACCOUNT,
                        provisioned_by_group_id=gid,
                    )
                )
                for _ in range(rng.randint(1, 2)):
                    scopes = rng.choice(PERSONAL_SCOPES[:8])
                    name = rng.choice(SERVICE_NAMES)
                    self._token(account, name, scopes, TokenKind.SERVICE_ACCOUNT)

    def _personal_tokens(self) -> None:
        rng, users = self.rng, self.state.users
        owners = [
            (person, rng.choices((0, 1, 2, 3), (30, 40, 20, 10))[0]) for person in self.people
        ]
        owners += [(users[BOB], 3), (users[CAROL], 2), (users[DAVE], 1)]
        for owner, count in owners:
            for _ in range(count):
                scopes = rng.choice(PERSONAL_SCOPES)
                self._token(owner, rng.choice(PERSONAL_NAMES), scopes, TokenKind.PERSONAL)

    def _credential(self) -> TokenRecord:
        """carol's credential, as the demo cast's (two days old, 300 days to run)."""
        record = TokenRecord(
            id=0,
            name="tokentui-carol",
            user_id=CAROL,
            scopes=("api",),
            created_at=self.now - timedelta(days=2) + timedelta(seconds=CAROL),
            description="Credential printed by tokentui simulate",
            expires_at=(self.now + timedelta(days=300)).date(),
        )
        self.records.append(record)
        return record

    def _deploy_tokens(self, group_ids: list[int], project_ids: list[int]) -> None:
        rng = self.rng
        plan = [("project", pid, 0.3) for pid in project_ids]
        plan += [("group", gid, 0.15) for gid in group_ids]
        for resource_type, resource_id, share in plan:
            if rng.random() >= share:
                continue
            for _ in range(rng.choice((1, 1, 2))):
                name, scopes, username = rng.choice(FLEET_DEPLOY_TOKENS)
                expires_day, created = self._expiry()
                if rng.random() < 0.3:
                    expires_day = None  # deploy tokens often never expire
                expires = (
                    None
                    if expires_day is None
                    else datetime.combine(expires_day, time(0), self.now.tzinfo)
                )
                self.deploys.append(
                    DeployTokenRecord(
                        id=0,
                        name=name,
                        scopes=scopes,
                        created_at=created,
                        resource_type=resource_type,
                        resource_id=resource_id,
                        username=username,
                        expires_at=expires,
                        revoked=rng.random() < REVOKED_SHARE,
                        creator_id=BOB if resource_type == "project" else CAROL,
                    )
                )

    def _store(self) -> dict[int, str]:
        """Ids in creation order (as a database gives them), after every existing one."""
        state = self.state
        self.records.sort(key=lambda r: r.created_at)
        first = state.next_token_id()
        values: dict[int, str] = {}
        for offset, record in enumerate(self.records):
            record.id = first + offset
            values[id(record)] = state.add_token(record)
        self.deploys.sort(key=lambda r: r.created_at)
        for deploy in self.deploys:
            deploy.id = state.next_deploy_token_id()
            state.add_deploy_token(deploy, prefix=DEPLOY_TOKEN_PREFIX)
        return values


def _unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not in ``taken`` (which it joins)."""
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate.lower())
    return candidate
