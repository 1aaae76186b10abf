"""ExpiryPicker: choose a token's expiry from presets (7/30/90/180/365 days), the token's
current lifetime (rotate), or a typed date.

The highlighted option *is* the choice, so arrows pick and ``enter`` can confirm the dialog.
"a date of my choice" puts the cursor in the date box (``up`` goes back to the list), and a
date typed while the list has the focus goes to the box too: what is typed is used or
refused with a message, never replaced by a preset.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tokentui.core.expiry import EXPIRY_PRESET_DAYS, parse_date, preset_date, validate_expiry
from tokentui.gitlab.scopes import MAX_LIFETIME_DAYS

CUSTOM = "custom"
SAME = "same"
NEVER = "never"


def preset_label(days: int, today: date, width: int = 10) -> Text:
    """``30 days   2026-12-23`` for the option list."""
    return Text(f"{f'{days} days':<{width}}{preset_date(days, today).isoformat()}")


def same_lifetime_text(days: int, capped: bool) -> str:
    """``same lifetime as now: 273 days`` (``(the maximum)`` when capped)."""
    return f"same lifetime as now: {days} days" + (" (the maximum)" if capped else "")


class ExpiryPicker(Vertical):
    """Presets, optionally the current lifetime and a custom date; :meth:`chosen` returns
    the date or why not."""

    def __init__(
        self,
        today: date,
        *,
        default_days: int = 30,
        allow_custom: bool = True,
        same_lifetime: int | None = None,
        lifetime_capped: bool = False,
        allow_never: bool = False,
        same_text: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="expiry-picker")
        self.today = today
        self.default_days = default_days
        self.allow_custom = allow_custom
        #: Days of "same lifetime as now" (offered first, and the default), or None.
        self.same_lifetime = same_lifetime
        self.lifetime_capped = lifetime_capped
        #: Offer "never" (deploy tokens may have no expiry): :meth:`chosen` gives no date.
        self.allow_never = allow_never
        #: Many tokens: "same lifetime as now" is each token's own (this label, no date;
        #: :attr:`same_selected` tells the dialog, which computes the dates in core).
        self.same_text = same_text
        self._presets = tuple(EXPIRY_PRESET_DAYS)
        if default_days not in self._presets:
            self._presets = tuple(sorted({*self._presets, default_days}))

    def _option_ids(self) -> list[str]:
        ids = [SAME] if self.same_lifetime is not None or self.same_text else []
        ids += [f"days-{d}" for d in self._presets]
        if self.allow_never:
            ids.append(NEVER)
        if self.allow_custom:
            ids.append(CUSTOM)
        return ids

    def compose(self) -> ComposeResult:
        options = []
        width = 10
        if self.same_text:
            options.append(Option(Text(self.same_text), id=SAME))
        elif self.same_lifetime is not None:
            same = same_lifetime_text(self.same_lifetime, self.lifetime_capped)
            width = len(same) + 2
            when = preset_date(self.same_lifetime, self.today).isoformat()
            options.append(Option(Text(f"{same:<{width}}{when}"), id=SAME))
        options += [
            Option(preset_label(d, self.today, width), id=f"days-{d}") for d in self._presets
        ]
        if self.allow_never:
            options.append(Option("never (no expiry)", id=NEVER))
        if self.allow_custom:
            options.append(Option("a date of my choice (type it)", id=CUSTOM))
        option_list = OptionList(*options, id="expiry-options", classes="expiry-options")
        yield option_list
        if self.allow_custom:
            last = preset_date(MAX_LIFETIME_DAYS, self.today).isoformat()
            yield Input(
                placeholder=f"YYYY-MM-DD, up to {last}",
                id="expiry-date",
                max_length=10,
                select_on_focus=False,
                compact=True,
            )

    def on_mount(self) -> None:
        default = SAME if SAME in self._option_ids() else f"days-{self.default_days}"
        self.options.highlighted = self._option_ids().index(default)

    @property
    def options(self) -> OptionList:
        """The presets list."""
        return self.query_one("#expiry-options", OptionList)

    @property
    def date_box(self) -> Input:
        """The box for a typed date (only with ``allow_custom``)."""
        return self.query_one("#expiry-date", Input)

    def _highlighted_id(self) -> str | None:
        option_list = self.options
        if option_list.highlighted is None:
            return None
        return option_list.get_option_at_index(option_list.highlighted).id

    @property
    def same_selected(self) -> bool:
        """True when the highlighted option is "same lifetime as now"."""
        return self._highlighted_id() == SAME

    @property
    def custom_selected(self) -> bool:
        """True when the highlighted option is the typed date."""
        return self._highlighted_id() == CUSTOM

    def select_days(self, days: int) -> None:
        """Highlight a preset (tests, defaults)."""
        self.options.highlighted = self._option_ids().index(f"days-{days}")

    def select_same_lifetime(self) -> None:
        """Highlight "same lifetime as now"."""
        self.options.highlighted = self._option_ids().index(SAME)

    def set_custom(self, text: str) -> None:
        """Type a custom date and select it."""
        self.date_box.value = text
        self.options.highlighted = self._option_ids().index(CUSTOM)

    def chosen(self) -> tuple[date | None, str | None]:
        """``(date, None)`` for a usable choice, else ``(None, reason)``."""
        option_id = self._highlighted_id()
        if option_id is None:
            return None, "pick an expiry"
        if option_id == NEVER:
            return None, None
        if option_id == CUSTOM:
            text = self.date_box.value
            if not text.strip():
                return None, "type a date as YYYY-MM-DD, or pick one of the presets"
            try:
                value = parse_date(text)
            except ValueError as err:
                return None, str(err)
        elif option_id == SAME:
            if self.same_lifetime is None:
                return None, None  # each token's own lifetime (``same_text``)
            value = preset_date(self.same_lifetime, self.today)
        else:
            value = preset_date(int(option_id.removeprefix("days-")), self.today)
        problem = validate_expiry(value, self.today)
        return (None, problem) if problem else (value, None)

    def _to_date_box(self) -> Input:
        self.options.highlighted = self._option_ids().index(CUSTOM)
        box = self.date_box
        box.focus()
        return box

    def on_key(self, event: events.Key) -> None:
        if not self.allow_custom:
            return
        options, box = self.options, self.date_box
        if options.has_focus and event.is_printable and event.character not in (None, " "):
            # A date typed on the list: it goes to the date box, never lost.
            event.stop()
            event.prevent_default()
            self._to_date_box().insert_text_at_cursor(event.character or "")
        elif box.has_focus and event.key == "up":
            # Back to the list, on the option above "a date of my choice".
            event.stop()
            event.prevent_default()
            options.highlighted = max(self._option_ids().index(CUSTOM) - 1, 0)
            options.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        # Typing a date means "use the typed date".
        if event.input.id == "expiry-date" and event.value.strip() and not self.custom_selected:
            self.options.highlighted = self._option_ids().index(CUSTOM)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # "-custom" while the typed date is the choice (a dialog may show its box only then).
        custom = event.option.id == CUSTOM
        self.set_class(custom, "-custom")
        if custom and event.option_list.has_focus:
            # Choosing "a date of my choice" puts the cursor in the date box.
            self.date_box.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == CUSTOM:
            event.stop()
            self.date_box.focus()
