"""The simulator's in-memory database, with the indexes that keep big lists fast."""

from __future__ import annotations

import base64
import hashlib
import threading
from bisect import insort
from collections.abc import Sequence
from urllib.parse import unquote

from tokentui.simulator.records import (
    PROJECT_BOT,
    DeployTokenRecord,
    GroupRecord,
    ProjectRecord,
    TokenRecord,
    UserRecord,
    VariableRecord,
)


def digest_of(value: str) -> str:
    """The stored digest of a token value."""
    return hashlib.sha256(value.encode()).hexdigest()


class State:
    """Users, groups, projects and tokens, plus indexes.

    ``tokens`` is a dict keyed by id in ascending id order; ``token_ids`` is the same ids as a
    sorted list (page slices of the unfiltered admin list are O(per_page)); ``by_user`` lists
    each user's token ids ascending. Mutate tokens through :meth:`add_token` /
    :meth:`touch` so the indexes and ``version`` stay right.
    """

    def __init__(self, *, seed: int, prefix: str) -> None:
        self.seed = seed
        self.prefix = prefix
        self.users: dict[int, UserRecord] = {}
        self.groups: dict[int, GroupRecord] = {}
        self.projects: dict[int, ProjectRecord] = {}
        self.tokens: dict[int, TokenRecord] = {}
        self.token_ids: list[int] = []
        self.by_user: dict[int, list[int]] = {}
        self.by_digest: dict[str, int] = {}
        #: Bumped on every change; list caches key on it.
        self.version = 0
        #: Filtered list results keyed by query and ``version`` (see routes.personal).
        self.list_cache: dict[object, Sequence[TokenRecord]] = {}
        self.lock = threading.RLock()
        self._secret_counter = 0
        self._max_user_id = 0
        #: Deploy tokens (§7.3), id ascending; their own sequence and their own value counter,
        #: so adding some never shifts an access token's id or value.
        self.deploy_tokens: dict[int, DeployTokenRecord] = {}
        self._max_deploy_token_id = 0
        self._deploy_secret_counter = 0
        #: CI/CD variables (§7.6) per ``(owner_type, owner_id)``, in creation order.
        self.variables: dict[tuple[str, int], list[VariableRecord]] = {}

    # -- tokens --------------------------------------------------------------------------
    def next_token_id(self) -> int:
        """The id the next token gets (ids only grow, like a database sequence)."""
        return (self.token_ids[-1] + 1) if self.token_ids else 1

    def make_secret(self, token_id: int) -> str:
        """A deterministic ``glpat-`` style value: prefix + 20 URL-safe characters."""
        self._secret_counter += 1
        raw = hashlib.blake2b(
            f"{self.seed}:{token_id}:{self._secret_counter}".encode(), digest_size=15
        ).digest()
        return self.prefix + base64.urlsafe_b64encode(raw).decode()

    def add_token(self, record: TokenRecord, *, secret: str | None = None) -> str:
        """Store ``record`` (its id must be new) and return its secret value."""
        value = secret or self.make_secret(record.id)
        record.digest = digest_of(value)
        self.tokens[record.id] = record
        if self.token_ids and record.id < self.token_ids[-1]:
            insort(self.token_ids, record.id)
        else:
            self.token_ids.append(record.id)
        ids = self.by_user.setdefault(record.user_id, [])
        if ids and record.id < ids[-1]:
            insort(ids, record.id)
        else:
            ids.append(record.id)
        self.by_digest[record.digest] = record.id
        self.version += 1
        return value

    def token_by_secret(self, value: str) -> TokenRecord | None:
        """The token whose value is ``value``, if any."""
        token_id = self.by_digest.get(digest_of(value))
        return self.tokens.get(token_id) if token_id is not None else None

    def touch(self) -> None:
        """Record that something changed (invalidates cached list results)."""
        self.version += 1

    def descendants(self, token: TokenRecord) -> list[TokenRecord]:
        """Tokens rotated (directly or transitively) from ``token``."""
        children: dict[int, list[TokenRecord]] = {}
        for record in self.tokens.values():
            if record.previous_id is not None:
                children.setdefault(record.previous_id, []).append(record)
        found: list[TokenRecord] = []
        stack = [token.id]
        while stack:
            for child in children.get(stack.pop(), ()):
                found.append(child)
                stack.append(child.id)
        return found

    # -- deploy tokens -------------------------------------------------------------------
    def next_deploy_token_id(self) -> int:
        """The id the next deploy token gets (a deleted token's id is never reused)."""
        return self._max_deploy_token_id + 1

    def add_deploy_token(self, record: DeployTokenRecord, *, prefix: str) -> str:
        """Store ``record`` (its id must be new) and return its value: ``prefix`` + 20
        URL-safe characters, deterministic from the seed."""
        self._deploy_secret_counter += 1
        raw = hashlib.blake2b(
            f"{self.seed}:deploy:{record.id}:{self._deploy_secret_counter}".encode(),
            digest_size=15,
        ).digest()
        value = prefix + base64.urlsafe_b64encode(raw).decode()
        record.digest = digest_of(value)
        self.deploy_tokens[record.id] = record
        if record.id < self._max_deploy_token_id:  # keep id order (test helpers may pick ids)
            self.deploy_tokens = dict(sorted(self.deploy_tokens.items()))
        self._max_deploy_token_id = max(self._max_deploy_token_id, record.id)
        self.version += 1
        return value

    def remove_deploy_token(self, token_id: int) -> None:
        """Delete a deploy token's row (what the REST ``DELETE`` does)."""
        del self.deploy_tokens[token_id]
        self.version += 1

    def deploy_token_by_secret(self, value: str) -> DeployTokenRecord | None:
        """The deploy token whose value is ``value``, if any."""
        wanted = digest_of(value)
        return next((t for t in self.deploy_tokens.values() if t.digest == wanted), None)

    # -- CI/CD variables ----------------------------------------------------------------
    def variables_of(self, owner_type: str, owner_id: int) -> list[VariableRecord]:
        """The variables of a project or group (the list itself: append/remove mutate it)."""
        return self.variables.setdefault((owner_type, owner_id), [])

    # -- users ---------------------------------------------------------------------------
    def next_user_id(self) -> int:
        """The id the next user gets."""
        return self._max_user_id + 1

    def add_user(self, user: UserRecord) -> UserRecord:
        """Store a user."""
        self.users[user.id] = user
        self._max_user_id = max(self._max_user_id, user.id)
        self.version += 1
        return user

    def user_by_username(self, username: str) -> UserRecord | None:
        """Case-insensitive username lookup."""
        wanted = username.lower()
        return next((u for u in self.users.values() if u.username.lower() == wanted), None)

    # -- groups and projects -------------------------------------------------------------
    def find_group(self, id_or_path: str) -> GroupRecord | None:
        """A group by numeric id or (URL-decoded, case-insensitive) full path."""
        key = unquote(id_or_path)
        if key.isdigit():
            return self.groups.get(int(key))
        lowered = key.lower()
        return next((g for g in self.groups.values() if g.full_path.lower() == lowered), None)

    def find_project(self, id_or_path: str) -> ProjectRecord | None:
        """A project by numeric id or (URL-decoded, case-insensitive) full path."""
        key = unquote(id_or_path)
        if key.isdigit():
            return self.projects.get(int(key))
        lowered = key.lower()
        return next(
            (p for p in self.projects.values() if p.path_with_namespace.lower() == lowered), None
        )

    def group_ancestry(self, group: GroupRecord) -> list[GroupRecord]:
        """``group`` and its ancestors, nearest first."""
        chain = [group]
        while chain[-1].parent_id is not None:
            chain.append(self.groups[chain[-1].parent_id])
        return chain

    def root_group(self, group: GroupRecord) -> GroupRecord:
        """The top-level group above (or equal to) ``group``."""
        return self.group_ancestry(group)[-1]

    def group_access(self, user_id: int, group: GroupRecord) -> int:
        """Effective access level of a user in a group (direct or inherited), 0 if none."""
        return max((g.members.get(user_id, 0) for g in self.group_ancestry(group)), default=0)

    def project_access(self, user_id: int, project: ProjectRecord) -> int:
        """Effective access level of a user in a project (direct or through its groups)."""
        inherited = self.group_access(user_id, self.groups[project.namespace_id])
        return max(project.members.get(user_id, 0), inherited)

    def resource_bots(self, resource_type: str, resource_id: int) -> list[UserRecord]:
        """Bot users that are members of a project or group (its access-token owners)."""
        resource = (self.projects if resource_type == "project" else self.groups)[resource_id]
        return [
            self.users[uid]
            for uid in resource.members
            if uid in self.users and self.users[uid].user_type == PROJECT_BOT
        ]

    def bot_access_level(self, token: TokenRecord) -> int | None:
        """The access level of a resource token (its bot's membership level)."""
        if token.resource_type is None or token.resource_id is None:
            return None
        table = self.projects if token.resource_type == "project" else self.groups
        resource = table.get(token.resource_id)
        return resource.members.get(token.user_id) if resource else None
