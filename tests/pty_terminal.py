"""A real process on a pseudo-terminal, its output played into an emulated xterm (pyte).

``AlternateScreen`` adds what pyte lacks: the alternate screen buffer (private modes 1049, 1047
and 47), switched in and out as xterm does, so what a full-screen program leaves on the normal
screen and in its scrollback can be read after it exits. ``PtyProcess`` runs a command on a
pseudo-terminal of a given size, feeds everything it writes to such a screen (and keeps the raw
bytes), and lets a test type keys and wait, by polling, for what the screen shows.
"""

from __future__ import annotations

import copy
import errno
import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyte
from pyte.screens import History

#: xterm's alternate-screen private modes: 1049 (save the cursor, switch, clear), 1047 (switch;
#: cleared on the way out) and 47 (switch only).
ALT_SCREEN_MODES = (1049, 1047, 47)


class AlternateScreen(pyte.HistoryScreen):
    """A pyte screen with xterm's alternate buffer and a scrollback for the normal one.

    While the alternate buffer is active, lines scrolled off it are dropped (xterm keeps no
    scrollback for it); the normal buffer, its cursor and its scrollback wait untouched.
    ``normal_drawn`` collects every character drawn while the normal buffer was active, so text
    written there and erased again is still seen.
    """

    def __init__(self, columns: int, lines: int, history: int = 10_000) -> None:
        self.alternate = False
        self.normal_drawn: list[str] = []
        self._saved: dict[str, Any] | None = None
        self._alternate_buffer: Any = None
        super().__init__(columns, lines, history=history)

    # --- the switch ------------------------------------------------------------------------

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        """Set modes; the alternate-screen ones switch to the alternate buffer."""
        if kwargs.get("private"):
            for mode in (m for m in modes if m in ALT_SCREEN_MODES):
                self._enter_alternate(save_cursor=mode == 1049, clear=mode == 1049)
            modes = tuple(m for m in modes if m not in ALT_SCREEN_MODES)
        if modes:
            super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        """Reset modes; the alternate-screen ones switch back to the normal buffer."""
        if kwargs.get("private"):
            for mode in (m for m in modes if m in ALT_SCREEN_MODES):
                self._leave_alternate(clear=mode == 1047, restore_cursor=mode == 1049)
            modes = tuple(m for m in modes if m not in ALT_SCREEN_MODES)
        if modes:
            super().reset_mode(*modes, **kwargs)

    def _enter_alternate(self, *, save_cursor: bool, clear: bool) -> None:
        if self.alternate:
            return
        self._saved = {
            "buffer": self.buffer,
            "history": self.history,
            "cursor": copy.copy(self.cursor) if save_cursor else None,
        }
        # xterm keeps one alternate buffer: 47 shows it as it was left.
        if self._alternate_buffer is None:
            self._alternate_buffer = type(self.buffer)(self.buffer.default_factory)
        self.buffer = self._alternate_buffer
        size, ratio = self.history.size, self.history.ratio
        self.history = History(deque(maxlen=size), deque(maxlen=size), ratio, size, size)
        self.alternate = True
        if clear:
            self.erase_in_display(2)
        self.dirty.update(range(self.lines))

    def _leave_alternate(self, *, clear: bool, restore_cursor: bool) -> None:
        if not self.alternate or self._saved is None:
            return
        if clear:
            self.erase_in_display(2)
        self.buffer = self._saved["buffer"]
        self.history = self._saved["history"]
        saved_cursor = self._saved["cursor"]
        if restore_cursor and saved_cursor is not None:
            self.cursor = saved_cursor
        self._saved = None
        self.alternate = False
        self.dirty.update(range(self.lines))

    def draw(self, data: str) -> None:
        """Draw text; remember what was drawn on the normal buffer."""
        if not self.alternate:
            self.normal_drawn.append(data)
        super().draw(data)

    # --- reading -----------------------------------------------------------------------------

    def _render(self, line: Mapping[int, Any]) -> str:
        return "".join(line[x].data for x in range(self.columns))

    def alternate_lines(self) -> list[str]:
        """The alternate buffer's lines (empty when it is not active)."""
        return list(self.display) if self.alternate else []

    def normal_lines(self) -> list[str]:
        """The normal buffer's scrollback, then its screen lines, whichever buffer is active."""
        if self.alternate and self._saved is not None:
            history, buffer = self._saved["history"], self._saved["buffer"]
        else:
            history, buffer = self.history, self.buffer
        scrolled = [self._render(line) for line in history.top]
        on_screen = [self._render(buffer[y]) for y in range(self.lines)]
        below = [self._render(line) for line in history.bottom]
        return scrolled + on_screen + below


class PtyProcess:
    """``argv`` on a ``columns`` x ``lines`` pseudo-terminal, played into an ``AlternateScreen``.

    Use as a context manager: on the way out a process still running is killed and the
    terminal's file descriptor closed.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        columns: int = 120,
        lines: int = 40,
        before: str = "",
    ) -> None:
        self.screen = AlternateScreen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.closed = False
        if before:
            self.stream.feed(before.encode())
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.master = master
        try:
            self.proc = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        os.close(self.master)

    def pump(self, wait: float = 0.05) -> bool:
        """Read what the process wrote (waiting up to ``wait`` s for something) into the
        screen; False once the terminal is closed (the process and its children are gone)."""
        if self.closed:
            return False
        ready, _, _ = select.select([self.master], [], [], wait)
        while ready:
            try:
                chunk = os.read(self.master, 65536)
            except OSError as err:
                if err.errno != errno.EIO:
                    raise
                chunk = b""
            if not chunk:
                self.closed = True
                return False
            self.raw += chunk
            self.stream.feed(chunk)
            ready, _, _ = select.select([self.master], [], [], 0)
        return True

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 90) -> None:
        """Pump until ``condition()`` holds; fail naming ``what`` and the screen after
        ``timeout`` s (generous: a limit for a hung process, not a speed check)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline or (not self.pump() and not condition()):
                raise AssertionError(
                    f"waited for {what}; the process {self._state()} and the screen shows:\n"
                    + "\n".join(line.rstrip() for line in self.screen.display)
                )

    def wait_for_text(self, text: str, timeout: float = 90) -> None:
        """Wait until ``text`` is on the screen (the active buffer)."""
        self.wait_for(lambda: text in self.text(), repr(text), timeout)

    def wait_exit(self, timeout: float = 90) -> int:
        """Read everything to the end; the process's exit status."""
        deadline = time.monotonic() + timeout
        while self.pump():
            if time.monotonic() > deadline:
                raise AssertionError(f"the process did not end; it {self._state()}")
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))

    def send(self, keys: str | bytes) -> None:
        """Type ``keys`` (``\\r`` is enter, ``\\x1b`` escape)."""
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def text(self) -> str:
        """The active buffer's lines, one per line."""
        return "\n".join(self.screen.display)

    def _state(self) -> str:
        code = self.proc.poll()
        return "is still running" if code is None else f"exited with {code}"
