"""Whether a web browser can be opened here, and opening one (``o`` on a token's page).

Over SSH there is no browser on the user's side of the connection: a browser started on the
server would be invisible (or, for a text browser, take the terminal away from the app). So
no browser when ``SSH_CONNECTION``/``SSH_TTY`` is set, when a Linux/BSD session has no display
(``DISPLAY``/``WAYLAND_DISPLAY``), or when :mod:`webbrowser` finds none or only a console one;
the caller then shows the URL and copies it instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

#: Opens a URL; True when a browser took it.
Opener = Callable[[str], bool]


def browser_opener(
    env: Mapping[str, str] | None = None, platform: str | None = None
) -> Opener | None:
    """A function opening a URL in a graphical browser, or None when there is none to use."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return None
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and not (
        env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    ):
        return None
    import webbrowser  # (~5 ms, only when a browser may exist)

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return None
    if isinstance(browser, webbrowser.GenericBrowser) and not isinstance(
        browser, webbrowser.BackgroundBrowser
    ):
        return None  # a console browser (lynx, w3m) would take the terminal from the app
    return lambda url: bool(browser.open(url, new=2))
