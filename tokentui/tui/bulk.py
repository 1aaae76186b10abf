"""Bulk rotate and revoke of the marked tokens (``r``/``d`` while tokens are marked).

The policy is core's: :mod:`tokentui.core.bulk` plans (skips, counts, the credential in use,
the new expiries), :mod:`tokentui.core.operations` sends (bounded concurrency, each write once,
the credential in use last). This module runs the screens of :mod:`tokentui.tui.screens.bulk`
in order (rotate: the expiry choice; the preview with its confirmation; the results) and puts
the outcomes in the store and the marks. The batch runs in an App-level worker; new values go
from its outcomes straight to the results screen, which alone holds them.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from tokentui.core.bulk import BulkPlan, plan_revoke, plan_rotate
from tokentui.core.expiry import today as today_of
from tokentui.core.marks import Marks
from tokentui.core.operations import BatchResult, Operations, Outcome, Status
from tokentui.core.rotate_expiry import RotateExpiry
from tokentui.core.self_rotation import SelfRotation
from tokentui.core.values_file import ValueRecord
from tokentui.core.write_outcome import Action
from tokentui.gitlab.models import Token
from tokentui.gitlab.sources import TokenSource
from tokentui.gitlab.terminal_text import clean

if TYPE_CHECKING:
    from tokentui.tui.screens.bulk import ResultLine

#: The worker group of bulk actions.
GROUP_BULK = "token-bulk"


class BulkHost(Protocol):
    """What the bulk actions use of ``TokenActions`` (which imports this module)."""

    #: The app (``ActionsHost``: store, row context, clock, screens, workers).
    app: Any

    @property
    def source(self) -> TokenSource | None:
        """The source the list shows."""

    def kind_label(self, token: Token) -> str:
        """The token's kind in words."""

    def operations(self) -> Operations:
        """The operations layer for this session."""

    def run(self, work: Coroutine[Any, Any, None], *, group: str, name: str) -> None:
        """Run ``work`` in an App-level worker."""

    def refuse(self, reason: str) -> None:
        """Say why something cannot be done."""

    def rotation_warning(self, result: SelfRotation) -> str | None:
        """The loud warning of a self-rotation whose value was not stored or checked."""


class BulkActions:
    """Bulk rotate and revoke for the app behind ``actions``."""

    def __init__(self, actions: BulkHost) -> None:
        self.actions = actions
        self.app = actions.app

    # -- what is marked ---------------------------------------------------------------------
    @property
    def marks(self) -> Marks:
        """The marked tokens' keys (the table paints them from the row context)."""
        return self.app.row_context.marks

    def marked(self) -> tuple[list[Token], int]:
        """The marked tokens the list holds, and how many marks name tokens it does not hold
        (a filter GitLab applies left them out)."""
        store = self.app.store
        tokens: list[Token] = []
        missing = 0
        for key in self.marks:
            token = store.get(key)
            if token is None:
                missing += 1
            else:
                tokens.append(token)
        return tokens, missing

    def _describe(self, token: Token) -> tuple[str, str]:
        return self.actions.kind_label(token), self.app.row_context.owner(token)

    def _in_use_key(self) -> int | None:
        token = self.app.self_token
        return token.key if token is not None else None

    def _lines(self, plan: BulkPlan, missing: int) -> list[str]:
        """One preview line per token to send."""
        lines = []
        for token in plan.targets:
            kind, owner = self._describe(token)
            line = f"{token.id} “{clean(token.name)}” · {kind} · {owner}"
            if plan.action is Action.ROTATE:
                when = plan.expiries.get(token.key)
                line += f" → {when.isoformat() if when else 'GitLab default'}"
            if plan.in_use is not None and token.key == plan.in_use.key:
                line += " · tokentui's own credential (last)"
            lines.append(line)
        if missing:
            lines.append(
                f"{missing} marked token(s) are not in the list loaded now (a filter GitLab "
                "applies left them out): not included."
            )
        return lines

    # -- revoke -----------------------------------------------------------------------------
    def revoke_marked(self) -> None:
        """Preview, confirm, revoke the marked tokens, show the results."""
        tokens, missing = self.marked()
        self.app.want_user_names(tokens)
        plan = plan_revoke(
            tokens, now=self.app.clock(), in_use_key=self._in_use_key(), describe=self._describe
        )
        self._preview(plan, missing)

    # -- rotate -----------------------------------------------------------------------------
    def rotate_marked(self) -> None:
        """Choose the new expiries, preview, confirm, rotate, show the results."""
        from tokentui.tui.screens.bulk import BulkRotateDialog

        tokens, missing = self.marked()
        self.app.want_user_names(tokens)
        now = self.app.clock()

        def chosen(expiry: RotateExpiry | None) -> None:
            if expiry is None:
                return
            source = self.actions.source
            cannot = None
            if source is not None and not source.can_rotate:
                cannot = f"tokens of {clean(source.label)} cannot be rotated through the API"
            try:
                plan = plan_rotate(
                    tokens,
                    now=self.app.clock(),
                    in_use_key=self._in_use_key(),
                    describe=self._describe,
                    expiry=expiry,
                    cannot_rotate=cannot,
                )
            except ValueError as err:
                self.actions.refuse(str(err))
                return
            self._preview(plan, missing)

        self.app.push_screen(BulkRotateDialog(len(tokens), today=today_of(now)), chosen)

    # -- shared -----------------------------------------------------------------------------
    def _preview(self, plan: BulkPlan, missing: int) -> None:
        from tokentui.tui.screens.bulk import preview_dialog

        def confirmed(yes: bool | None) -> None:
            if yes and plan.count:
                name = f"Bulk {plan.action.value}"
                self.actions.run(self._send(plan), group=GROUP_BULK, name=name)

        self.app.push_screen(preview_dialog(plan, self._lines(plan, missing)), confirmed)

    async def _send(self, plan: BulkPlan) -> None:
        from tokentui.tui.screens.bulk import BulkResultsScreen

        source = self.actions.source
        assert source is not None
        operations = self.actions.operations()
        if plan.action is Action.REVOKE:
            # The preview named the credential in use when it was marked: the explicit ask.
            result = await operations.revoke(source, plan.targets, allow_in_use=True)
        else:
            result = await operations.rotate(source, plan.targets, expiries=plan.expiries)
        lines = self._settle(plan, result)
        done = len(result.with_status(Status.DONE))
        heading = f"{plan.action.value.capitalize()}: {done} of {len(result)} done" + (
            f", {len(plan.skipped)} skipped" if plan.skipped else ""
        )
        self.app.push_screen(BulkResultsScreen(plan.action, lines, heading=heading))

    def _settle(self, plan: BulkPlan, result: BatchResult) -> list[ResultLine]:
        """Put the outcomes in the store and the marks; the results screen's lines."""
        from tokentui.tui.screens.bulk import ResultLine

        store = self.app.store
        lines: list[ResultLine] = []
        finished: list[int] = []
        reload = False
        for token, outcome in zip(plan.targets, result, strict=True):
            name = f"{token.id} “{clean(token.name)}”"
            if outcome.status is Status.DONE:
                finished.append(token.key)
                lines.append(self._done_line(token, outcome, name))
            elif outcome.status is Status.UNKNOWN:
                reload = True
                verdict = outcome.verdict
                found = clean(verdict.text) if verdict is not None else "the read-back failed"
                lines.append(ResultLine(f"? unknown   {name}: {found}", "unknown"))
            else:
                lines.append(
                    ResultLine(f"✗ refused   {name}: {clean(outcome.reason or '')}", "refused")
                )
        for skip in plan.skipped:
            lines.append(ResultLine(f"– skipped   {clean(skip.reason)}", "skipped"))
        self.marks.unmark(finished)
        if reload:
            store.reload()  # an unknown outcome: show the server's state
        return lines

    def _done_line(self, token: Token, outcome: Outcome, name: str) -> ResultLine:
        from tokentui.tui.screens.bulk import ResultLine

        store = self.app.store
        new = outcome.new_token
        if new is None:  # a revoke
            store.apply_revoked(token.key)
            return ResultLine(f"✓ revoked   {name}", "done")
        public = new.public()
        store.apply_rotated(token.key, public)
        text = f"✓ rotated   {name} → token {new.id}, expires "
        text += new.expires_at.isoformat() if new.expires_at else "never"
        if outcome.self_rotation is not None:
            self.app.self_token = public
            warning = self.actions.rotation_warning(outcome.self_rotation)
            text += " · tokentui's own credential: " + (
                warning or "stored where the old one was, in use now"
            )
        kind, owner = self._describe(token)
        record = ValueRecord(
            id=new.id,
            name=new.name,
            kind=kind,
            resource=owner,
            expires_at=new.expires_at,
            token=new.token,
        )
        return ResultLine(text, "done", record)
