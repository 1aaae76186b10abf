"""Command palette: switch to another configured profile, or log in to a new GitLab.

The app lists :class:`ProfileCommands` in ``COMMANDS`` and has ``switch_connection(conn)``.
Everything heavy (the profiles file, the keyring) is imported when the palette asks, not when
the app starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

#: (title, help, callback) of one palette entry.
Entry = tuple[str, str, Callable[[], Any]]


class ProfileCommands(Provider):
    """``Switch profile: NAME`` for every other configured profile, and ``Log in to another
    GitLab…`` (the login screen; the new profile is used at once)."""

    def _entries(self) -> Iterator[Entry]:
        from tokentui.core import config

        if getattr(self.app, "demo", False):
            return
        try:
            settings = config.load_settings()
        except config.ConfigError as err:
            yield ("Switch profile (unavailable)", str(err), lambda: None)
            return
        current = getattr(self.app, "profile_name", None)
        for name, profile in sorted(settings.profiles.items()):
            if name == current:
                continue
            who = f"{profile.user}@" if profile.user else ""
            insecure = "  (TLS not verified)" if profile.insecure else ""
            yield (
                f"Switch profile: {name}",
                f"{who}{profile.url}{insecure}",
                partial(self._switch, name),
            )
        yield (
            "Log in to another GitLab…",
            "Add a profile (URL and token) and switch to it",
            partial(self._login, settings),
        )

    def _switch(self, name: str) -> None:
        from tokentui.core.session import UsageError, connect_profile

        try:
            connection = connect_profile(name)
        except UsageError as err:
            self.app.notify(
                str(err), title=f"Profile {name}", severity="error", timeout=12, markup=False
            )
            return
        self.app.switch_connection(connection)  # type: ignore[attr-defined]
        self.app.notify(f"Switched to profile {name} ({connection.url})", markup=False)

    def _login(self, settings: Any) -> None:
        from tokentui.tui.screens.login import LoginScreen

        def done(connection: Any) -> None:
            if connection is not None:
                self.app.switch_connection(connection)  # type: ignore[attr-defined]

        name = _unused_name(settings.profiles)
        self.app.push_screen(LoginScreen(profile=name, make_default=False), callback=done)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def _unused_name(profiles: dict[str, Any]) -> str:
    """A profile name not taken yet: ``default``, else ``profile-2``, ``profile-3``, ..."""
    if "default" not in profiles:
        return "default"
    number = 2
    while f"profile-{number}" in profiles:
        number += 1
    return f"profile-{number}"
