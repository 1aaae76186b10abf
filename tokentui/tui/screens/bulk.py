"""The screens of a bulk rotate or revoke (the marked tokens, ``r``/``d`` with marks).

1. :class:`BulkRotateDialog` (rotate only): the new expiries: each token's own lifetime, a
   preset, a typed date, optionally spread over N days (:mod:`tokentui.core.rotate_expiry`).
2. The preview (:func:`preview_dialog`): how many, which kinds and resources, each token (with
   its new expiry), which are skipped and why, whether tokentui's own credential is among them.
   More than one token: type their number, then ``enter`` (:class:`BulkTypedDialog`); one:
   ``x`` (:class:`BulkConfirmDialog`). ``esc`` cancels; ``enter`` alone never goes ahead.
3. :class:`BulkResultsScreen`: one line per token (done, refused with GitLab's reason, outcome
   unknown with what the read-back found, skipped). After a rotate, ``y`` copies the value of
   the line under the cursor (OSC 52, :func:`~tokentui.tui.screens.reveal.copy_secret`) and
   ``w`` writes every value to a new 0600 file the user names; leaving with values neither
   copied nor written asks first.

The policy (what is skipped, the dates, the batch) is in ``core``; these only show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from pydantic import SecretStr
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tokentui.core.bulk import BulkPlan
from tokentui.core.rotate_expiry import RotateExpiry, spread_problem
from tokentui.core.values_file import WARNING, ValueRecord, ValuesFileError, write_values
from tokentui.core.write_outcome import Action
from tokentui.gitlab.scopes import ROTATE_DEFAULT_DAYS
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.screens.confirm import DESTROY_KEY, ConfirmDialog, dialog_footer
from tokentui.tui.screens.reveal import COPY_HINT, copy_secret
from tokentui.tui.widgets.expiry_picker import ExpiryPicker

#: "same lifetime as now" for many tokens: each keeps its own.
SAME_EACH = "same lifetime as now (each token its own; never-expiring: GitLab's default)"


def _verb(action: Action) -> str:
    return "revoke" if action is Action.REVOKE else "rotate"


# --- 1. the rotate choice ---------------------------------------------------------------------


class BulkRotateDialog(ModalScreen[RotateExpiry | None]):
    """The new expiries of a bulk rotate; dismisses with a :class:`RotateExpiry` (or None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk_rotate.cancel", priority=True),
        Binding("enter", "confirm", "Next: preview", id="bulk_rotate.next", priority=True),
    ]

    def __init__(self, count: int, *, today: date) -> None:
        super().__init__(id="bulk-rotate-dialog")
        self.count = count
        self.today = today

    def compose(self) -> ComposeResult:
        noun = "token" if self.count == 1 else "tokens"
        with Vertical(id="bulk-rotate-box", classes="dialog"):
            yield Static(Text(f"Rotate {self.count} marked {noun}"), classes="dialog-title")
            yield Static("New expiry:", classes="dialog-text")
            yield ExpiryPicker(
                self.today,
                default_days=ROTATE_DEFAULT_DAYS,
                same_text=SAME_EACH,
                id="bulk-expiry",
            )
            yield Static(
                "Spread the new expiries evenly over this many days from the date above "
                "(empty: all on that date). Breaks a cliff of tokens expiring together.",
                classes="dialog-text",
            )
            yield Input(
                placeholder="days, e.g. 14",
                id="bulk-spread",
                max_length=3,
                restrict=r"[0-9]*",
                compact=True,
            )
            yield Static("", id="bulk-rotate-error", classes="step-error")
            yield Static(
                "↑/↓ pick · tab to the spread · enter preview · esc cancel", classes="dialog-keys"
            )
        yield dialog_footer()

    def on_mount(self) -> None:
        self.query_one("#expiry-options", OptionList).focus()

    def action_cancel(self) -> None:
        """Close; nothing is sent."""
        self.dismiss(None)

    def _error(self, text: str) -> None:
        error = self.query_one("#bulk-rotate-error", Static)
        error.update(Text(text))
        error.add_class("-visible")

    def choice(self) -> tuple[RotateExpiry | None, str | None]:
        """The expiry choice, or why it cannot be used."""
        picker = self.query_one(ExpiryPicker)
        spread_text = self.query_one("#bulk-spread", Input).value.strip()
        spread = int(spread_text) if spread_text else None
        if spread == 0:
            spread = None
        if picker.same_selected:
            if spread:
                return None, (
                    "a spread starts from one date: pick a preset or type a date (or empty "
                    "the spread)"
                )
            return RotateExpiry(same_lifetime=True), None
        on, problem = picker.chosen()
        if problem:
            return None, problem
        chosen = RotateExpiry(on=on, spread_days=spread)
        problem = spread_problem(chosen, self.today)
        return (None, problem) if problem else (chosen, None)

    def action_confirm(self) -> None:
        """Go on to the preview with the choice (or say why not)."""
        picker = self.query_one(ExpiryPicker)
        if picker.custom_selected and not picker.date_box.value.strip():
            picker.date_box.focus()
            return
        chosen, problem = self.choice()
        if problem or chosen is None:
            self._error(problem or "pick an expiry")
            return
        self.dismiss(chosen)


# --- 2. the preview ---------------------------------------------------------------------------


class _BulkPreview(ModalScreen[bool | None]):
    """The preview of a plan; subclasses say how it is confirmed."""

    def __init__(self, plan: BulkPlan, lines: Sequence[str]) -> None:
        super().__init__(id="bulk-preview")
        self.plan = plan
        #: One line per token to send (the front words them: kind, resource, expiry).
        self.lines = tuple(lines)

    def _title(self) -> str:
        plan = self.plan
        noun = "token" if plan.count == 1 else "tokens"
        if plan.count == 0:
            return f"Nothing to {_verb(plan.action)}"
        return f"{_verb(plan.action).capitalize()} {plan.count} {noun}?"

    def compose(self) -> ComposeResult:
        with Vertical(id="bulk-preview-box", classes="dialog"):
            yield Static(Text(self._title()), classes="dialog-title")
            with VerticalScroll(id="bulk-preview-about"):
                # The title says the count: the summary goes on from its second line.
                summary = self.plan.summary()[1:]
                yield Static(Text("\n".join(summary)), id="bulk-summary")
                if self.lines:
                    yield Static(Text("\n".join(self.lines)), id="bulk-targets")
            if self.plan.count:
                yield Static(Text(self._warning()), classes="warning")
            yield from self.confirm_area()
        yield dialog_footer()

    def _warning(self) -> str:
        if self.plan.action is Action.REVOKE:
            return "Anything using these tokens fails from now on. This cannot be undone."
        return (
            "Each old value stops working at once; the new values are shown once, on the "
            "results screen, and kept only in memory."
        )

    def confirm_area(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def action_cancel(self) -> None:
        """Close; nothing is sent."""
        self.dismiss(None)


class BulkConfirmDialog(_BulkPreview):
    """The preview of one token (or none): ``enter``, ``n`` and ``esc`` cancel, only
    :data:`DESTROY_KEY` goes ahead (as the one-token revoke dialog)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,n,escape", "cancel", "Cancel", id="bulk.cancel", priority=True),
        Binding(DESTROY_KEY, "confirm", "Go ahead", id="bulk.confirm", priority=True),
    ]

    def confirm_area(self) -> ComposeResult:
        if self.plan.count:
            verb = _verb(self.plan.action)
            yield Static(f"enter/n/esc cancel · {DESTROY_KEY} {verb}", classes="dialog-keys")
        else:
            yield Static("enter/esc close", classes="dialog-keys")

    def action_confirm(self) -> None:
        """Go ahead (one token)."""
        if self.plan.count:
            self.dismiss(True)


class BulkTypedDialog(_BulkPreview):
    """The preview of several tokens: type their number, then ``enter``; ``esc`` cancels.
    ``enter`` with anything else typed says so and sends nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="bulk_typed.cancel", priority=True),
    ]

    def confirm_area(self) -> ComposeResult:
        count, verb = self.plan.count, _verb(self.plan.action)
        yield Static(
            Text(f"Type {count} (the number of tokens) and press enter to {verb} them:"),
            classes="dialog-text",
        )
        # No placeholder: a greyed number in the box reads as already typed.
        yield Input(id="bulk-count", max_length=9, restrict=r"[0-9]*", compact=True)
        yield Static("", id="bulk-count-error", classes="step-error")
        yield Static(f"type {count}, enter {verb} · esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#bulk-count", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == str(self.plan.count):
            self.dismiss(True)
            return
        error = self.query_one("#bulk-count-error", Static)
        error.update(
            Text(
                f"Type {self.plan.count} to {_verb(self.plan.action)} the {self.plan.count} "
                "tokens, or esc to cancel."
            )
        )
        error.add_class("-visible")


def preview_dialog(plan: BulkPlan, lines: Sequence[str]) -> _BulkPreview:
    """The preview, confirmed by typing the count when more than one token would be sent."""
    return BulkTypedDialog(plan, lines) if plan.count > 1 else BulkConfirmDialog(plan, lines)


# --- 3. the results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultLine:
    """One token's line on the results screen; ``value``: a rotate's new value (memory only)."""

    text: str
    status: str
    record: ValueRecord | None = None

    @property
    def value(self) -> SecretStr | None:
        """The new value, when there is one."""
        return self.record.token if self.record is not None else None


class ValuesPathDialog(ModalScreen[str | None]):
    """Ask for the path of a new file for the values, with the warning; dismisses with the
    path written (or None). The file is written here, so a refusal (it exists) stays on screen
    with its reason."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="values_path.cancel", priority=True),
    ]

    def __init__(self, records: Sequence[ValueRecord]) -> None:
        super().__init__(id="values-path-dialog")
        self.records = tuple(records)

    def compose(self) -> ComposeResult:
        noun = "value" if len(self.records) == 1 else "values"
        with Vertical(classes="dialog dialog-small"):
            yield Static(
                Text(f"Write the {len(self.records)} new {noun} to a file?"),
                classes="dialog-title",
            )
            yield Static(Text(WARNING), classes="warning")
            yield Static(
                "A new file (never overwritten), created 0600, JSON: id, name, kind, resource, "
                "expires_at, token.",
                classes="dialog-text",
            )
            yield Input(placeholder="path of a new file", id="values-path", compact=True)
            yield Static("", id="values-path-error", classes="step-error")
            yield Static("enter write · esc cancel", classes="dialog-keys")
        yield dialog_footer()

    def on_mount(self) -> None:
        self.query_one("#values-path", Input).focus()

    def action_cancel(self) -> None:
        """Close without writing."""
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            path = write_values(event.value, self.records)
        except ValuesFileError as err:
            error = self.query_one("#values-path-error", Static)
            error.update(Text(str(err)))
            error.add_class("-visible")
            return
        self.dismiss(str(path))


class BulkResultsScreen(ModalScreen[None]):
    """One line per token of a bulk action; a rotate's values stay here, in memory only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy value", id="bulk_results.copy"),
        Binding("w", "write", "Write values to a file", id="bulk_results.write"),
        Binding("escape,q", "leave", "Done", id="bulk_results.done"),
    ]

    def __init__(self, action: Action, lines: Sequence[ResultLine], *, heading: str) -> None:
        super().__init__(id="bulk-results")
        self.action = action
        self._lines: list[ResultLine] | None = list(lines)
        self.heading = heading
        #: Lines whose value was copied; whether every value was written to a file.
        self.copied: set[int] = set()
        self.saved = False

    @property
    def lines(self) -> list[ResultLine]:
        """The lines (empty once the screen is left: the values are dropped)."""
        return self._lines or []

    def compose(self) -> ComposeResult:
        with Vertical(id="bulk-results-box", classes="dialog"):
            yield Static(Text(self.heading), classes="dialog-title")
            yield OptionList(
                *(Option(Text(line.text), id=f"line-{i}") for i, line in enumerate(self.lines)),
                id="bulk-results-list",
            )
            yield Static("", id="bulk-results-status", classes="dialog-text")
            keys = "esc/q done"
            if self._values():
                keys = "↑/↓ a line · y copy its value · w write all values to a file · " + keys
            yield Static(keys, classes="dialog-keys")
        yield dialog_footer()

    def on_mount(self) -> None:
        self.query_one("#bulk-results-list", OptionList).focus()
        self.query_one("#bulk-results-status", Static).display = False

    def _values(self) -> list[int]:
        return [i for i, line in enumerate(self.lines) if line.value is not None]

    def _status(self, text: Text) -> None:
        status = self.query_one("#bulk-results-status", Static)
        status.update(text)
        status.display = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy", "write"):
            return bool(self._values())
        return True

    def action_copy(self) -> None:
        """Copy the value of the line under the cursor (OSC 52; kept nowhere else)."""
        index = self.query_one("#bulk-results-list", OptionList).highlighted
        if index is None or index >= len(self.lines):
            return
        record = self.lines[index].record
        if record is None:
            self._status(Text("That line has no new value: pick a rotated token's line."))
            return
        copy_secret(self.app, record.token.get_secret_value())
        self.copied.add(index)
        status = Text(f"Copied the new value of “{clean(record.name)}”. ", style="bold green")
        status.append(COPY_HINT, style="")
        self._status(status)

    def action_write(self) -> None:
        """Ask for a path and write every new value there (0600, never overwriting)."""
        records = [line.record for line in self.lines if line.record is not None]
        if not records:
            return

        def written(path: str | None) -> None:
            if path:
                self.saved = True
                self._status(
                    Text(f"Wrote {len(records)} value(s) to {path} (mode 0600). {WARNING}")
                )

        self.app.push_screen(ValuesPathDialog(records), written)

    def action_leave(self) -> None:
        """Leave; with values neither copied nor written, ask first (the safe answer stays)."""
        unsaved = [i for i in self._values() if i not in self.copied]
        if self.saved or not unsaved:
            self._forget_and_close()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self._forget_and_close()

        self.app.push_screen(
            ConfirmDialog(
                "Leave without the new values?",
                f"{len(unsaved)} new value(s) were neither copied nor written to a file. You "
                "will not see them again: those tokens would have to be rotated again.",
                confirm_label="Leave",
                cancel_label="Stay",
                danger=True,
            ),
            answered,
        )

    def _forget_and_close(self) -> None:
        self._lines = None
        self.query_one("#bulk-results-list", OptionList).clear_options()
        self.dismiss(None)
