"""The simulator's endpoints, one module per family; :func:`load` registers them all in the
route table (:mod:`tokentui.simulator.route_table`)."""

from __future__ import annotations

from tokentui.simulator.route_table import resolve


def load() -> None:
    """Import the endpoint modules (they register themselves)."""
    from tokentui.simulator.routes import (  # noqa: F401
        admin_token,
        deploy_tokens,
        directory,
        misc,
        personal,
        resources,
        service_accounts,
        users,
        variables,
    )


__all__ = ["load", "resolve"]
