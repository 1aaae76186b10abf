"""The GitLab API layer: client, models, token sources, errors. Never imports Textual."""

import sys

# httpx's package __init__ imports its command-line client, which pulls in rich, click and
# pygments: ~35 ms on every start, for a CLI tokentui never uses (encode/httpx#3547). A None
# entry in sys.modules makes that one import fail at once; httpx then defines a stub `main`.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
