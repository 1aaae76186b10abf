"""ExpiryPicker: choose a token's expiry from presets (7/30/90/180/365 days) or a typed date.

Used by the create wizard (presets and a custom date) and the rotate dialog (presets only).
The highlighted option *is* the choice, so arrows pick and ``enter`` can confirm the dialog.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tokentui.expiry import EXPIRY_PRESET_DAYS, parse_date, preset_date, validate_expiry

CUSTOM = "custom"


def preset_label(days: int, today: date) -> Text:
    """``30 days   2026-12-23`` for the option list."""
    return Text(f"{f'{days} days':<10}{preset_date(days, today).isoformat()}")


class ExpiryPicker(Vertical):
    """Presets, optionally a custom date; :meth:`chosen` returns the date or why not."""

    def __init__(
        self,
        today: date,
        *,
        default_days: int = 30,
        allow_custom: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="expiry-picker")
        self.today = today
        self.default_days = default_days
        self.allow_custom = allow_custom
        self._presets = tuple(EXPIRY_PRESET_DAYS)
        if default_days not in self._presets:
            self._presets = tuple(sorted({*self._presets, default_days}))

    def compose(self) -> ComposeResult:
        options = [Option(preset_label(d, self.today), id=f"days-{d}") for d in self._presets]
        if self.allow_custom:
            options.append(Option("a date of my choice (type it below)", id=CUSTOM))
        option_list = OptionList(*options, id="expiry-options", classes="expiry-options")
        yield option_list
        if self.allow_custom:
            yield Input(
                placeholder=f"YYYY-MM-DD, up to {preset_date(365, self.today).isoformat()}",
                id="expiry-date",
                max_length=10,
            )

    def on_mount(self) -> None:
        self.options.highlighted = self._presets.index(self.default_days)

    @property
    def options(self) -> OptionList:
        """The presets list."""
        return self.query_one("#expiry-options", OptionList)

    @property
    def custom_selected(self) -> bool:
        """True when the highlighted option is the typed date."""
        option_list = self.options
        if option_list.highlighted is None:
            return False
        return option_list.get_option_at_index(option_list.highlighted).id == CUSTOM

    def select_days(self, days: int) -> None:
        """Highlight a preset (tests, defaults)."""
        self.options.highlighted = self._presets.index(days)

    def set_custom(self, text: str) -> None:
        """Type a custom date and select it."""
        self.query_one("#expiry-date", Input).value = text
        self.options.highlighted = len(self._presets)

    def chosen(self) -> tuple[date | None, str | None]:
        """``(date, None)`` for a usable choice, else ``(None, reason)``."""
        option_list = self.options
        if option_list.highlighted is None:
            return None, "pick an expiry"
        option_id = option_list.get_option_at_index(option_list.highlighted).id or ""
        if option_id == CUSTOM:
            text = self.query_one("#expiry-date", Input).value
            if not text.strip():
                return None, "type a date as YYYY-MM-DD, or pick one of the presets"
            try:
                value = parse_date(text)
            except ValueError as err:
                return None, str(err)
        else:
            value = preset_date(int(option_id.removeprefix("days-")), self.today)
        problem = validate_expiry(value, self.today)
        return (None, problem) if problem else (value, None)

    def on_input_changed(self, event: Input.Changed) -> None:
        # Typing a date means "use the typed date".
        if event.input.id == "expiry-date" and event.value.strip():
            self.options.highlighted = len(self._presets)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # "-custom" while the typed date is the choice (a dialog may show its box only then).
        self.set_class(event.option.id == CUSTOM, "-custom")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == CUSTOM:
            event.stop()
            self.query_one("#expiry-date", Input).focus()
