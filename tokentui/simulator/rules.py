"""GitLab's token rules as the simulator enforces them: kinds, scopes, access levels, lifetimes.

Written from GitLab's behaviour as recorded in ``/work/shared/gitlab-api.md`` (cited as §N), not
from the client: the client keeps its own table (``tokentui.gitlab.scopes``) and
``tests/test_simulator_rules.py`` checks the two against each other and against GitLab's
answers, so a wrong entry on either side fails a test instead of passing on both.

The simulated instance has the container registry, the dependency proxy and Duo enabled, and
observability disabled (§3.1: ``read_observability``/``write_observability`` are offered only
when it is on), so its scope list is the full 19.x list without the two observability scopes.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class TokenKind(StrEnum):
    """The kinds of token the simulator stores; every one is a ``PersonalAccessToken`` row."""

    PERSONAL = "personal"
    IMPERSONATION = "impersonation"
    PROJECT = "project"
    GROUP = "group"
    SERVICE_ACCOUNT = "service_account"


#: ``Gitlab::Auth`` non-admin scopes, in the order of the §3.1 table.
NON_ADMIN_SCOPES: tuple[str, ...] = (
    "api",
    "read_api",
    "read_user",
    "create_runner",
    "manage_runner",
    "k8s_proxy",
    "self_rotate",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "read_virtual_registry",
    "write_virtual_registry",
    "ai_features",
)

#: ``Gitlab::Auth::ADMIN_SCOPES`` (§3.1): only meaningful on an administrator's token.
ADMIN_SCOPES: tuple[str, ...] = ("sudo", "admin_mode", "read_service_ping")

#: ``Gitlab::Auth.all_available_scopes`` (§3.1): what the PAT create endpoints accept
#: (admin create §4.10, service-account create §4.15) and what an impersonation token may hold.
ALL_AVAILABLE_SCOPES: tuple[str, ...] = NON_ADMIN_SCOPES + ADMIN_SCOPES

#: ``resource_bot_scopes`` (§3.1, §4.13/§4.14): the non-admin scopes without ``read_user``;
#: the ``values:`` list of project and group token ``scopes``.
RESOURCE_BOT_SCOPES: tuple[str, ...] = tuple(s for s in NON_ADMIN_SCOPES if s != "read_user")

#: ``POST /user/personal_access_tokens`` (19.x, §4.11): ``k8s_proxy`` and/or ``self_rotate``.
SELF_SERVICE_SCOPES: tuple[str, ...] = ("k8s_proxy", "self_rotate")

#: Scopes that allow ``POST …/self/rotate`` (§4.8, §4.14).
SELF_ROTATE_SCOPES: tuple[str, ...] = ("api", "self_rotate")

#: The scopes a token of each kind may be created with.
SCOPES_BY_KIND: MappingProxyType[TokenKind, tuple[str, ...]] = MappingProxyType(
    {
        TokenKind.PERSONAL: ALL_AVAILABLE_SCOPES,
        TokenKind.IMPERSONATION: ALL_AVAILABLE_SCOPES,
        TokenKind.SERVICE_ACCOUNT: ALL_AVAILABLE_SCOPES,
        TokenKind.PROJECT: RESOURCE_BOT_SCOPES,
        TokenKind.GROUP: RESOURCE_BOT_SCOPES,
    }
)

#: ``Gitlab::Access.options_with_owner`` (§3.2): the project/group token ``access_level`` values.
ACCESS_LEVELS: MappingProxyType[int, str] = MappingProxyType(
    {10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner"}
)
#: ``access_level`` when the request has none (§3.2).
DEFAULT_ACCESS_LEVEL = 40

#: Maximum lifetime with ``require_personal_access_token_expiry`` on and the 400-day flag off
#: (§1.7); inclusive: ``today + 365`` is accepted, ``today + 366`` refused.
MAX_LIFETIME_DAYS = 365
#: Default expiry of a rotated token when the request names none: today + 7 (§1.7, §4.7).
ROTATE_DEFAULT_DAYS = 7
#: ``description`` limit (§1.7: "Description is too long (maximum is 255 characters)").
MAX_DESCRIPTION_LENGTH = 255
#: ``name`` limit: not recorded in gitlab-api.md; the simulator's choice (the column's usual
#: ``varchar(255)``), refused with the description's message shape.
MAX_NAME_LENGTH = 255

# -- deploy tokens (§7.3) ---------------------------------------------------------------------

#: ``DeployToken::AVAILABLE_SCOPES`` (§7.3; 19.2 source): the ``values:`` of ``scopes`` on
#: ``POST /projects|groups/:id/deploy_tokens``. The virtual-registry pair is in the 19.2 baseline.
DEPLOY_TOKEN_SCOPES: tuple[str, ...] = (
    "read_repository",
    "read_registry",
    "write_registry",
    "read_package_registry",
    "write_package_registry",
    "read_virtual_registry",
    "write_virtual_registry",
)
#: ``DeployToken::DEPLOY_TOKEN_PREFIX`` (§7.3, §7.8; 16.7+).
DEPLOY_TOKEN_PREFIX = "gldt-"
#: The model's username format (``/\A[a-zA-Z0-9\.\+_-]+\z/``) and length limit (§7.3).
DEPLOY_USERNAME_PATTERN = r"[a-zA-Z0-9.+_-]+"
MAX_DEPLOY_USERNAME_LENGTH = 255
#: ``validates :name, length: { maximum: 255 }`` (the model has no presence check on name).
MAX_DEPLOY_NAME_LENGTH = 255
#: Default username of a token created without one: ``gitlab+deploy-token-<id>``.
DEPLOY_USERNAME_DEFAULT = "gitlab+deploy-token-{id}"
#: Levels the deploy-token endpoints need (§7.3): reads Maintainer+ on both; writes
#: Maintainer+ on a project, Owner on a group. An administrator counts as Owner.
DEPLOY_READ_LEVEL: MappingProxyType[str, int] = MappingProxyType({"project": 40, "group": 40})
DEPLOY_WRITE_LEVEL: MappingProxyType[str, int] = MappingProxyType({"project": 40, "group": 50})

# -- CI/CD variables (§7.6) -------------------------------------------------------------------

#: ``variable_type`` values (``env_var`` is the default).
VARIABLE_TYPES: tuple[str, ...] = ("env_var", "file")
#: ``key``: at most 255 characters of ``[A-Za-z0-9_]`` (``Ci::HasVariable``).
VARIABLE_KEY_PATTERN = r"[a-zA-Z0-9_]+"
MAX_VARIABLE_KEY_LENGTH = 255
#: ``description`` limit (16.2+).
MAX_VARIABLE_DESCRIPTION_LENGTH = 255
#: ``Ci::Maskable``: an expanded (``raw: false``) masked value; a raw masked value.
MASKED_VALUE_PATTERN = r"[a-zA-Z0-9_+=/@:.~-]{8,}"
MASKED_RAW_VALUE_PATTERN = r"\S{8,}"
#: Default ``environment_scope``.
DEFAULT_ENVIRONMENT_SCOPE = "*"
#: Who may read and write variables (§7.6): project Maintainer+, group Owner; admins pass.
VARIABLE_LEVEL: MappingProxyType[str, int] = MappingProxyType({"project": 40, "group": 50})
#: ``not_found!`` resource names of a missing key.
VARIABLE_NOT_FOUND: MappingProxyType[str, str] = MappingProxyType(
    {"project": "Variable", "group": "GroupVariable"}
)
#: The 409 when a key exists in several environment scopes and no filter was given.
VARIABLE_AMBIGUOUS = (
    "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"
)
VARIABLE_KEY_FORMAT = "can contain only letters, digits and '_'."
VARIABLE_HIDDEN_FIXED = "The visibility setting cannot be changed for masked and hidden variables."
VARIABLE_HIDDEN_ONLY_NEW = "Only new variables can be set as masked and hidden."
VARIABLE_HIDDEN_NEEDS_MASKED = "should be true when variable is hidden"

# -- token information API (§7.4, §7.8) -------------------------------------------------------

#: Type prefixes ``/admin/token`` recognises besides the PAT prefix and ``gldt-``; the
#: simulator stores none of these tokens, so a recognised value of these types is "Not found".
ADMIN_TOKEN_OTHER_PREFIXES: tuple[str, ...] = (
    "glft-",
    "glimt-",
    "gloas-",
    "glagent-",
    "glrt-",
    "glrtr-",
    "glptt-",
    "glcbt-",
    "glffct-",
    "_gitlab_session=",
)
#: The PAT prefix GitLab always recognises, besides the instance's current custom one.
DEFAULT_PAT_PREFIX = "glpat-"
ADMIN_TOKEN_UNSUPPORTED = "Token type not supported."
