"""Confirmation dialogs: a generic question, the rotate dialog and the revoke dialog.

The rotate dialog confirms with ``y``/``enter`` and cancels with ``n``/``esc``. A dialog whose
"yes" cannot be undone (revoke; leave a new value without copying it; discard the wizard) is a
:class:`_SafeDialog`: ``enter``, ``n`` and ``esc`` keep things as they are, and only
:data:`DESTROY_KEY` goes ahead. They only ask: the API call runs in an App-level worker once the
dialog is dismissed (see :mod:`tokentui.tui.actions`). Each dialog shows its own keys in its footer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.signal import Signal
from textual.widgets import Button, Footer, Input, OptionList, Static

from tokentui.core.expiry import (
    current_lifetime_days,
    format_ago,
    format_countdown,
    same_lifetime_days,
    today,
)
from tokentui.gitlab.models import Token
from tokentui.gitlab.scopes import MAX_LIFETIME_DAYS, ROTATE_DEFAULT_DAYS
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.widgets.expiry_picker import ExpiryPicker


def facts_table(rows: Sequence[tuple[str, str]], width: int = 12) -> Text:
    """Aligned ``label  value`` lines (values are plain text, never markup)."""
    text = Text()
    for index, (label, value) in enumerate(rows):
        if index:
            text.append("\n")
        text.append(f"{label:<{width}}", style="bold")
        text.append(value)
    return text


#: A token used this recently is probably in use right now by something.
RECENT_USE = timedelta(days=1)


def recent_use_text(token: Token, now: datetime, advice: str) -> str | None:
    """A warning (ending in ``advice``) when the token was used in the last day, else None."""
    if token.last_used_at is None or now - token.last_used_at > RECENT_USE:
        return None
    return f"It was used {format_ago(token.last_used_at, now)}: {advice}."


def last_used_text(token: Token, now: datetime) -> str:
    """``2026-11-20 14:02 UTC (3d ago) from 10.0.0.1, 10.0.0.2`` or ``never``.

    The IPs are GitLab's last few distinct addresses; servers that do not report them
    (19.2 without its feature flag) get none.
    """
    if token.last_used_at is None:
        return "never"
    moment = token.last_used_at.strftime("%Y-%m-%d %H:%M UTC")
    text = f"{moment} ({format_ago(token.last_used_at, now)})"
    if token.last_used_ips:
        text += f" from {', '.join(clean(ip) for ip in token.last_used_ips)}"
    return text


def expires_text(token: Token, now: datetime) -> str:
    """``2026-12-23 (29d 10h 00m left)``, ``2026-12-23 (revoked)`` or ``never``."""
    if token.expires_at is None:
        return "never"
    return f"{token.expires_at.isoformat()} ({format_countdown(token, now)})"


def key_button(label: str, button_id: str, *, variant: str = "default") -> Button:
    """A clickable button that never takes focus, so the dialog's keys always reach it."""
    button = Button(label, id=button_id, variant=variant, compact=True)  # type: ignore[arg-type]
    button.can_focus = False
    return button


#: The one key that does what cannot be undone in a dialog that asks first (revoke a token,
#: leave a new value without copying it, discard the wizard's input). It is bound nowhere else,
#: so a doubled or typed-ahead key (``enter enter``, ``y y``, ``d d``) never destroys anything.
DESTROY_KEY = "x"


def dialog_footer() -> Footer:
    """The footer of a dialog or the wizard: its own keys, covering the list's."""
    return Footer(show_command_palette=False)


class _Dialog(ModalScreen):
    """Shared keys and buttons: ``y``/``enter`` confirm, ``n``/``esc`` cancel.

    The letters are typed, not bound, while a text box (the rotate dialog's date) has the
    cursor: Textual leaves out of the binding chain, priority or not, every key a focused
    ``Input`` consumes (``Widget.check_consume_key``); ``enter`` and ``esc`` still answer.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "confirm", "Confirm", id="dialog.confirm", priority=True),
        Binding("n,escape", "cancel", "Cancel", id="dialog.cancel", priority=True),
    ]

    confirm_label = "Confirm"
    cancel_label = "Cancel"
    danger = False

    def buttons(self) -> ComposeResult:
        """The confirm/cancel buttons and the key hint."""
        with Horizontal(classes="dialog-buttons"):
            yield key_button(
                f"{self.confirm_label} (y)",
                "confirm",
                variant="error" if self.danger else "primary",
            )
            yield key_button(f"{self.cancel_label} (n)", "cancel")
        yield Static("y/enter confirm · n/esc cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        # Mounted here rather than in each compose, so every dialog has it.
        self.mount(dialog_footer())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def action_cancel(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)


class _SafeDialog(_Dialog, inherit_bindings=False):
    """A dialog whose "yes" cannot be undone: ``enter``, ``n`` and ``esc`` cancel (the
    default), only :data:`DESTROY_KEY` confirms. ``y`` is not bound: elsewhere it copies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,n,escape",
            "cancel",
            "Cancel",
            id="dialog.safe_cancel",
            priority=True,
        ),
        Binding(DESTROY_KEY, "confirm", "Confirm", id="dialog.destroy", priority=True),
    ]

    def buttons(self) -> ComposeResult:
        """The cancel button first (the default), the destructive one named by its key."""
        with Horizontal(classes="dialog-buttons"):
            yield key_button(f"{self.cancel_label} (enter)", "cancel", variant="primary")
            yield key_button(f"{self.confirm_label} ({DESTROY_KEY})", "confirm", variant="error")
        yield Static(
            f"enter/n/esc {self.cancel_label.lower()} · {DESTROY_KEY} {self.confirm_label.lower()}",
            classes="dialog-keys",
        )


class ConfirmDialog(_SafeDialog):
    """A question whose "yes" cannot be undone; dismisses with True (yes) or None (no)."""

    def __init__(
        self,
        title: str,
        text: str,
        *,
        confirm_label: str = "Yes",
        cancel_label: str = "No",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="confirm-dialog")
        self.title_text = title
        self.body_text = text
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-small"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield Static(Text(self.body_text), classes="dialog-text")
            yield from self.buttons()

    def action_confirm(self) -> None:
        """Answer yes."""
        self.dismiss(True)


class _TokenDialog(_Dialog):
    """A dialog about one token: its facts (kind, owner, scopes, last use, expiry)."""

    dialog_id = ""

    def __init__(
        self,
        token: Token,
        *,
        now: datetime,
        owner: str,
        kind: str,
        in_use: bool = False,
        describe: Callable[[], tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(id=self.dialog_id)
        self.token = token
        self.now = now
        self.owner = owner
        self.kind = kind
        self.in_use = in_use
        #: ``(owner, kind)`` as known now: the facts follow a lookup that lands while open.
        self.describe = describe
        self._facts: Static | None = None

    def _facts_table(self) -> Text:
        token = self.token
        return facts_table(
            [
                ("Kind", self.kind),
                ("Owner", self.owner),
                ("Scopes", clean(", ".join(token.scopes)) or "none"),
                ("Last used", last_used_text(token, self.now)),
                ("Expires", expires_text(token, self.now)),
            ]
        )

    def refresh_facts(self) -> None:
        """Show the owner and kind as known now (on the app's ``facts_changed`` signal, when
        lookups land)."""
        if self.describe is None or self._facts is None:
            return
        owner, kind = self.describe()
        if (owner, kind) != (self.owner, self.kind):
            self.owner, self.kind = owner, kind
            self._facts.update(self._facts_table())

    def facts(self) -> Static:
        """The token's facts as a two-column table (its countdown ticks)."""
        self._facts = Static(self._facts_table(), classes="dialog-facts")
        return self._facts

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick, name="dialog-countdown")
        if self.describe is not None:
            # The app publishes it when owners or kinds are looked up (no import of the app).
            signal = getattr(self.app, "facts_changed", None)
            if isinstance(signal, Signal):
                signal.subscribe(self, lambda _: self.refresh_facts(), immediate=True)

    def on_unmount(self) -> None:
        signal = getattr(self.app, "facts_changed", None)
        if isinstance(signal, Signal):
            signal.unsubscribe(self)

    def tick(self) -> None:
        """Recompute the facts (the countdown) from the app's clock."""
        clock = getattr(self.app, "clock", None)
        if clock is None:
            return
        self.now = clock()
        if self._facts is not None:
            self._facts.update(self._facts_table())


#: Terminal rows below which the rotate dialog drops its key hint (to fit 80x24).
SHORT_TERMINAL = 30


class RotateDialog(_TokenDialog):
    """Rotate a token: its facts, the warning, the new expiry. Dismisses with the date."""

    confirm_label = "Rotate"
    danger = True
    dialog_id = "rotate-dialog"

    def compose(self) -> ComposeResult:
        token = self.token
        with Vertical(id="rotate-box", classes="dialog"):
            yield Static(Text(f"Rotate “{clean(token.name)}”?"), classes="dialog-title")
            # On a short terminal the facts and warning scroll; the choice and buttons stay.
            with VerticalScroll(id="rotate-about"):
                yield self.facts()
                yield Static(Text(self._warning()), classes="warning")
            yield Static("New expiry:", classes="dialog-text")
            same = same_lifetime_days(token)
            lifetime = current_lifetime_days(token)
            yield ExpiryPicker(
                today(self.now),
                default_days=ROTATE_DEFAULT_DAYS,
                same_lifetime=same,
                lifetime_capped=lifetime is not None and lifetime > MAX_LIFETIME_DAYS,
                id="rotate-expiry",
            )
            yield Static("", id="rotate-error", classes="step-error")
            yield from self.buttons()

    def _warning(self) -> str:
        token = self.token
        warning = (
            "The old value stops working at once: whatever uses it fails until it gets the new one."
        )
        if self.in_use:
            warning += (
                " This is the token tokentui itself uses: tokentui saves the new value "
                "where the old one was and switches to it."
            )
        elif recent := recent_use_text(token, self.now, "hand out the new value right away"):
            warning += f" {recent}"
        return warning

    def on_mount(self) -> None:
        self.query_one("#expiry-options", OptionList).focus()

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#rotate-box").set_class(event.size.height < SHORT_TERMINAL, "-short")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        """Rotate with the highlighted expiry; on "a date of my choice" with no date typed
        yet, go to the date box first."""
        picker = self.query_one(ExpiryPicker)
        date_box = picker.query_one("#expiry-date", Input)
        if picker.custom_selected and not date_box.value.strip() and not date_box.has_focus:
            date_box.focus()
            return
        expires_at, problem = picker.chosen()
        if problem:
            error = self.query_one("#rotate-error", Static)
            error.update(Text(problem))
            error.add_class("-visible")
            return
        self.dismiss(expires_at)


class RevokeDialog(_SafeDialog, _TokenDialog):
    """Revoke a token: its facts and what follows. Dismisses with True to revoke.

    Not revoking is the default (``enter``, ``n``, ``esc``), as in the CLI; ``x`` revokes.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,n,escape",
            "cancel",
            "Cancel",
            id="revoke.cancel",
            priority=True,
        ),
        Binding(DESTROY_KEY, "confirm", "Revoke", id="revoke.revoke", priority=True),
    ]

    confirm_label = "Revoke"
    danger = True
    dialog_id = "revoke-dialog"

    def compose(self) -> ComposeResult:
        token = self.token
        with Vertical(id="revoke-box", classes="dialog dialog-small"):
            yield Static(Text(f"Revoke “{clean(token.name)}”?"), classes="dialog-title")
            yield self.facts()
            warning = "Anything using this token fails from now on. This cannot be undone."
            if token.is_deploy:
                warning += " GitLab deletes a revoked deploy token: it leaves the list."
            if recent := recent_use_text(token, self.now, "make sure nothing still needs it"):
                warning += f" {recent}"
            if self.in_use:
                warning += (
                    " This is the token tokentui itself uses: tokentui stops working until "
                    "you log in with another token."
                )
            yield Static(Text(warning), classes="warning")
            yield from self.buttons()

    def action_confirm(self) -> None:
        """Revoke."""
        self.dismiss(True)
