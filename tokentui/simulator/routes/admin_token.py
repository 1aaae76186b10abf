"""The token information API: ``POST`` and ``DELETE /admin/token`` (§7.4).

Written from ``lib/api/admin/token.rb`` and ``Authn::AgnosticTokenIdentifier``:

* ``authenticated_as_admin!`` runs before the parameters are checked (anonymous 401,
  non-admin 403); then ``token`` is required (400 ``token is missing``).
* The type comes from the prefix: ``glpat-`` or the instance's current custom prefix (personal,
  impersonation, project, group and service-account tokens: the ``PersonalAccessToken``
  entity, revoked and expired ones included), ``gldt-`` (the ``DeployToken`` entity). The other
  recognised prefixes (feed, runner, trigger, ... tokens) name types the simulator stores none
  of, so such a value is "Not found". Recognised but unknown: 404 ``{"message": {"error":
  "Not found"}}``; no known prefix: 422 ``Token type not supported.``.
* ``DELETE`` revokes (``revoked = true``, the row kept) an access token or a deploy token;
  204 also when it was already revoked.
"""

from __future__ import annotations

from tokentui.simulator import entities, errors, rules
from tokentui.simulator.context import Ctx
from tokentui.simulator.records import DeployTokenRecord, TokenRecord
from tokentui.simulator.route_table import Reply, route


def _lookup(ctx: Ctx) -> TokenRecord | DeployTokenRecord:
    ctx.authenticate()
    ctx.require_admin()
    value = ctx.params.string("token", required=True)
    ctx.params.check()
    assert value is not None
    value = value.strip()
    pat_prefixes = {rules.DEFAULT_PAT_PREFIX, ctx.config.token_prefix}
    found: TokenRecord | DeployTokenRecord | None
    if any(value.startswith(prefix) for prefix in pat_prefixes):
        found = ctx.state.token_by_secret(value)
    elif value.startswith(rules.DEPLOY_TOKEN_PREFIX):
        found = ctx.state.deploy_token_by_secret(value)
    elif value.startswith(rules.ADMIN_TOKEN_OTHER_PREFIXES):
        found = None
    else:
        raise errors.message_error(422, rules.ADMIN_TOKEN_UNSUPPORTED)
    if found is None:
        raise errors.message_error(404, {"error": "Not found"})
    return found


@route("POST", "admin/token")
def token_information(ctx: Ctx) -> Reply:
    """What a token value is: the token's entity (200, ``status :ok``)."""
    found = _lookup(ctx)
    if isinstance(found, DeployTokenRecord):
        return 200, entities.deploy_token(ctx, found)
    return 200, entities.token(ctx, found)


@route("DELETE", "admin/token")
def revoke_token(ctx: Ctx) -> Reply:
    """Revoke the token a value belongs to (204)."""
    if not ctx.config.admin_token_revoke:
        ctx.authenticate()
        ctx.require_admin()
        raise errors.message_error(404, "'api_admin_token_revoke' feature flag is disabled")
    found = _lookup(ctx)
    found.revoked = True
    ctx.state.touch()
    return 204, None
