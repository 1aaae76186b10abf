"""The first requests of a TUI session, sent together as soon as there is a client.

The TUI needs three answers before it is useful: who the viewer is (``GET /user``, which picks
the default source and says whether ``--all`` is allowed), which token is in use (``GET
/personal_access_tokens/self``, the "in use" mark) and page 1 of the list. Sent one after
another they cost three round trips; :meth:`StartRequests.send` sends them at once (page 1
only when the source's requests do not depend on the viewer, see
:func:`~tokentui.gitlab.sources.source_before_viewer`). Page 1 is kept by the client
(:meth:`~tokentui.gitlab.client.GitLabClient.prefetch_token_page`): the store's first load of
the same list takes it there, so nothing else carries it. The CLI sends them before Textual is
imported, so the network overlaps the import (docs/performance.md, P1). No Textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import Token, User
from tokentui.gitlab.sources import TokenFilters, TokenSource, source_before_viewer

T = TypeVar("T")


def _task(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    task = asyncio.ensure_future(coro)
    # An answer nobody ends up waiting for (the app left early, the source changed) must not
    # be reported as "exception never retrieved".
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return task


@dataclass
class StartRequests:
    """The viewer and the token in use (tasks), and maybe page 1 (kept by the client),
    requested at once."""

    client: GitLabClient
    viewer: asyncio.Task[User]
    self_token: asyncio.Task[Token]
    #: The source page 1 was requested for (None: it needs the viewer first).
    guess: TokenSource | None

    @classmethod
    def send(
        cls,
        client: GitLabClient,
        source_choice: tuple[str, str | None] | None,
        *,
        filters: TokenFilters | None = None,
        per_page: int = 100,
    ) -> StartRequests:
        """Send the requests (call with a running event loop)."""
        filters = filters or TokenFilters()
        guess = source_before_viewer(*source_choice) if source_choice else None
        if guess is not None:
            client.prefetch_token_page(guess, filters, per_page=per_page)
        viewer = _task(client.current_user())
        self_token = _task(client.get_self_token())
        return cls(client=client, viewer=viewer, self_token=self_token, guess=guess)

    def cancel(self) -> None:
        """Cancel whatever has not been answered (the app is leaving)."""
        for task in (self.viewer, self.self_token):
            task.cancel()
        self.client.cancel_prefetched()
