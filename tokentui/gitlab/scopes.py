"""Token scopes and access levels as GitLab defines them (see docs/gitlab-facts.md).

Pure data for the client (to validate before a request) and its fronts. The simulator states
the same rules independently (``tokentui/simulator/rules.py``); ``tests/test_simulator_rules.py``
holds the two tables to each other and to GitLab.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

#: Every scope a personal access token may hold, with a one-line meaning, in GitLab's order.
SCOPE_MEANINGS: MappingProxyType[str, str] = MappingProxyType(
    {
        "api": "Full read/write access to the API, all groups and projects, registries",
        "read_api": "Read-only access to the API (GET and HEAD requests only)",
        "read_user": "Read the authenticated user's profile (/user and /users)",
        "create_runner": "Create runners",
        "manage_runner": "Manage (update, delete) runners",
        "k8s_proxy": "Call the Kubernetes API through the GitLab agent",
        "self_rotate": "Rotate this token itself, and nothing else",
        "read_repository": "Read (pull) repositories over Git-over-HTTP",
        "write_repository": "Read and write (push) repositories over Git-over-HTTP",
        "read_registry": "Read (pull) container registry images",
        "write_registry": "Write (push) container registry images (add read_registry to pull)",
        "read_virtual_registry": "Read (pull) through the dependency proxy / virtual registries",
        "write_virtual_registry": "Write (push) through the dependency proxy / virtual registries",
        "ai_features": "Use GitLab Duo features through the API",
        "sudo": "Act as any user with the Sudo header (administrators only)",
        "admin_mode": "Perform admin API calls when Admin Mode is on (administrators only)",
        "read_service_ping": "Read Service Ping payloads (administrators only)",
    }
)

#: Scopes only an administrator's token may usefully hold (``ADMIN_SCOPES``).
ADMIN_SCOPES: frozenset[str] = frozenset({"sudo", "admin_mode", "read_service_ping"})

#: Scopes a personal, impersonation or service-account token may be created with
#: (``Gitlab::Auth.all_available_scopes``).
PERSONAL_SCOPES: tuple[str, ...] = tuple(SCOPE_MEANINGS)

#: Scopes a project or group access token may hold (``resource_bot_scopes``):
#: the non-admin scopes without ``read_user``.
RESOURCE_SCOPES: tuple[str, ...] = tuple(
    s for s in SCOPE_MEANINGS if s not in ADMIN_SCOPES and s != "read_user"
)

#: The only scopes ``POST /user/personal_access_tokens`` accepts (GitLab 19.x).
SELF_SERVICE_SCOPES: tuple[str, ...] = ("k8s_proxy", "self_rotate")

#: Scopes that allow ``POST .../self/rotate``.
SELF_ROTATE_SCOPES: frozenset[str] = frozenset({"api", "self_rotate"})

#: Short forms for narrow table columns.
SCOPE_ABBREVIATIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "api": "api",
        "read_api": "r_api",
        "read_user": "r_usr",
        "create_runner": "c_run",
        "manage_runner": "m_run",
        "k8s_proxy": "k8s",
        "self_rotate": "s_rot",
        "read_repository": "r_repo",
        "write_repository": "w_repo",
        "read_registry": "r_reg",
        "write_registry": "w_reg",
        "read_virtual_registry": "r_vreg",
        "write_virtual_registry": "w_vreg",
        "ai_features": "ai",
        "sudo": "sudo",
        "admin_mode": "admin",
        "read_service_ping": "r_ping",
    }
)

#: Scopes a deploy token may hold (``DeployToken::AVAILABLE_SCOPES``, gitlab-api.md §7.3, GitLab
#: 19.2), with a one-line meaning, in GitLab's order. Deploy tokens are not API credentials:
#: they work for Git over HTTPS, the container registry and the package registry.
DEPLOY_SCOPE_MEANINGS: MappingProxyType[str, str] = MappingProxyType(
    {
        "read_repository": "Clone (pull) the repository",
        "read_registry": "Pull container registry images",
        "write_registry": "Push container registry images",
        "read_package_registry": "Pull packages from the package registry",
        "write_package_registry": "Publish packages to the package registry",
        "read_virtual_registry": "Pull through the dependency proxy / virtual registries",
        "write_virtual_registry": "Push through the dependency proxy / virtual registries",
    }
)
DEPLOY_TOKEN_SCOPES: tuple[str, ...] = tuple(DEPLOY_SCOPE_MEANINGS)
#: Short forms of the deploy-token scopes for narrow columns.
DEPLOY_SCOPE_ABBREVIATIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "read_repository": "r_repo",
        "read_registry": "r_reg",
        "write_registry": "w_reg",
        "read_package_registry": "r_pkg",
        "write_package_registry": "w_pkg",
        "read_virtual_registry": "r_vreg",
        "write_virtual_registry": "w_vreg",
    }
)
#: A deploy token's username: ``/\A[a-zA-Z0-9\.\+_-]+\z/``, at most 255 characters; without
#: one GitLab names it ``gitlab+deploy-token-<id>``.
DEPLOY_USERNAME_PATTERN = r"[a-zA-Z0-9.+_-]+"
MAX_DEPLOY_USERNAME_LENGTH = 255
#: Prefix of deploy-token values since GitLab 16.7 (older values have none).
DEPLOY_TOKEN_PREFIX = "gldt-"

#: Project/group access levels (``Gitlab::Access.options_with_owner``); default 40.
ACCESS_LEVELS: MappingProxyType[int, str] = MappingProxyType(
    {10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner"}
)
DEFAULT_ACCESS_LEVEL = 40

#: GitLab's maximum token lifetime in days (inclusive: today + 365 is accepted).
MAX_LIFETIME_DAYS = 365
#: Default expiry of a rotated token when none is given.
ROTATE_DEFAULT_DAYS = 7
#: Longest token name GitLab stores.
MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 255


def abbreviate_scopes(scopes: list[str] | tuple[str, ...]) -> str:
    """Return a compact comma-joined form of ``scopes`` for table cells."""
    return ",".join(SCOPE_ABBREVIATIONS.get(s, s) for s in scopes)


def checked_name_and_scopes(
    name: str, scopes: Sequence[str], allowed: Sequence[str], *, what: str, valid_for: str
) -> str:
    """``name`` stripped, or ``ValueError`` with a user-ready sentence when GitLab would refuse
    the name or the scopes of a new ``what`` ("token", "deploy token"): a blank or too long
    name, no scope, or a scope not in ``allowed`` (``valid_for`` says for what, in the
    message: "tokens of project platform/api")."""
    name = name.strip()
    if not name:
        raise ValueError(f"a {what} needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a {what} name has at most {MAX_NAME_LENGTH} characters")
    if not scopes:
        raise ValueError(f"a {what} needs at least one scope")
    invalid = [s for s in scopes if s not in allowed]
    if invalid:
        raise ValueError(
            f"{', '.join(invalid)} {'is' if len(invalid) == 1 else 'are'} not valid for "
            f"{valid_for}; choose from {', '.join(allowed)}"
        )
    return name
