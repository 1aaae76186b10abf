"""The operations layer: create, rotate, revoke and self-rotation, one policy for both fronts.

``Operations(client, save=..., in_use_id=...)`` runs the writes; each token gets a frozen
:class:`Outcome` (done / refused / unknown), a batch a :class:`BatchResult` in input order.
See docs/operations.md. No Textual import.
"""

from tokentui.core.operations.batch import DEFAULT_CONCURRENCY, Operations
from tokentui.core.operations.deploy import (
    create_deploy_token,
    revoke_deploy_tokens,
    successor_request,
)
from tokentui.core.operations.results import BatchResult, Outcome, Status
from tokentui.core.operations.targets import Target

__all__ = [
    "DEFAULT_CONCURRENCY",
    "BatchResult",
    "Operations",
    "Outcome",
    "Status",
    "Target",
    "create_deploy_token",
    "revoke_deploy_tokens",
    "successor_request",
]
