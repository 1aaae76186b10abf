"""The key footer: Textual's ``Footer``, rebuilt only when the keys it shows change, and
never while the screen waits.

Textual's footer rebuilds its keys (``recompose``: the old keys removed, the new ones mounted,
repaints suspended meanwhile) on every change of the screen's bindings, whether or not the keys
it shows change. At start-up the bindings change about seven times (screen pushed, focus set,
idle), which queued five rebuilds back to back. And it asks for each with
``call_after_refresh``, so the screen runs it among its after-refresh callbacks and *awaits*
it: until the keys are mounted the screen handles no message, and a key pressed meanwhile,
which bubbles from the focused widget through the screen to the app's bindings, waits. While
100,000 tokens load each rebuild shares the loop with the pages (~150 ms), so the first cursor
key after the first rows waited for them: ~200-300 ms, more on a busy machine
(docs/performance.md, P6).

:class:`Footer` rebuilds in its own message pump (``call_next``), one rebuild for any number of
requests made before it runs, and none when the keys it would show (the screen's active
bindings, the palette key, the compact style) are those it shows already.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

#: What the footer shows: per binding its key, display, action, description, whether it is
#: enabled and its tooltip; then whether the palette key is shown and the compact style.
Shown = tuple[tuple[tuple[str, str | None, str, str, bool, str], ...], bool, bool]


class Footer(TextualFooter):
    """Textual's footer, rebuilt once per change of its keys, in its own pump (module doc)."""

    #: The keys of the last rebuild that mounted any (None: none yet).
    _shown: Shown | None = None
    _rebuild_queued = False

    async def recompose(self) -> None:
        """Queue one rebuild in this widget's own message pump (whoever asked for it)."""
        if not self._rebuild_queued:
            self._rebuild_queued = True
            self.call_next(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_queued = False
        if not self.is_attached:
            return
        shown = self._keys()
        if shown == self._shown:
            return
        await super().recompose()
        # Until the screen's bindings are ready Textual's footer composes nothing: that is not
        # the keys shown, so the next request rebuilds.
        self._shown = shown if self.children else None

    def _keys(self) -> Shown:
        bindings = tuple(
            (
                binding.key,
                binding.key_display,
                binding.action,
                binding.description,
                enabled,
                tooltip,
            )
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return bindings, self.show_command_palette, self.compact
