"""Server text on a terminal: the one rule for which characters are unsafe, and its renderings.

Token names, descriptions, usernames, group and project paths, IP addresses and GitLab's error
messages come from the server and are data: shown literally, never interpreted. The CLI
(:func:`escape`, :func:`escape_json`) and the TUI (:func:`clean`) render the same set of unsafe
characters, decided here only.

Unsafe (Unicode general categories, Python's own Unicode database):

- ``Cc``, every control character: C0 (NUL..US, including TAB, LF and CR), DEL and C1. ESC
  starts the CSI/OSC sequences that recolour, move the cursor, clear the screen, write the
  clipboard (OSC 52) or plant a link (OSC 8); their 8-bit C1 forms (``\\x9b``, ``\\x9d``) do the
  same on terminals that honour them; BEL rings, BS and CR overwrite what was printed, and TAB
  and LF break a one-line cell.
- ``Cf``, invisible format characters, except the two joiners (below): the bidirectional
  embeddings, overrides, isolates and marks (U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C)
  reorder what follows (``invoice\\u202egpj.exe`` shows as ``invoiceexe.jpg``); the zero-width
  space, word joiner, BOM and soft hyphen make two different names look the same; the rest
  (Arabic number signs, interlinear annotations, tags...) have no consistent terminal rendering.
- ``Zl``, ``Zp``: U+2028 and U+2029 are line breaks to some terminals and renderers.
- ``Cs``: a lone surrogate (JSON can carry ``"\\ud800"``) has no UTF-8 encoding; writing it
  fails with UnicodeEncodeError.

Safe, shown as they are: letters of every script (right-to-left ones included: issue 7 wants
them literal), digits, punctuation, symbols and emoji, marks (accents, variation selectors),
spaces (no-break and ideographic spaces are visible blanks), and

- ZWNJ and ZWJ (U+200C, U+200D): part of how words (Persian, Indic scripts) and emoji
  sequences (👨‍👩‍👧) are written; they can neither move text nor start a sequence.
- tag characters inside an emoji tag sequence (🏴 + tags + CANCEL TAG: the flags of England,
  Scotland, Wales); anywhere else they are invisible text, so unsafe.
- ``Co`` (private use: icon-font glyphs) and ``Cn`` (unassigned): no terminal gives them a
  function, and emoji newer than Python's Unicode database are ``Cn`` to it.

The table below is written out (computing it from ``unicodedata`` would cost every CLI start a
scan of 1.1 million code points); ``tests/test_terminal_text.py`` checks it against the
categories of the running Python. It also lists the format characters of Unicode 15
(U+13439-1343F) so a newer Python agrees.

Speed: the TUI cleans every cell it paints. Text passing ``str.isprintable`` (every
``Cc``/``Cf``/``Cs``/``Zl``/``Zp`` character is unprintable) is returned at once without a
copy; other text is searched with one precompiled character class (see :class:`_Rule`); only
text that really holds an unsafe character is rebuilt. 100,000 typical names (``timeit``):
about 60 ns a name when ASCII, 0.2 us with an emoji and a joiner, 1.1 us when hostile.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

#: The unsafe code points, as inclusive ranges (see the module docstring for why each).
UNSAFE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),  # C0 controls
    (0x007F, 0x009F),  # DEL, C1 controls
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),  # Arabic number signs
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200B),  # zero-width space (U+200C ZWNJ and U+200D ZWJ stay)
    (0x200E, 0x200F),  # left-to-right and right-to-left marks
    (0x2028, 0x2029),  # line and paragraph separators
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidi isolates, deprecated format characters
    (0xD800, 0xDFFF),  # surrogates (only ever lone in a str)
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls (1343x: Unicode 15)
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters (kept inside an emoji tag sequence)
)


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    parts = [
        f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges
    ]
    return "[" + "".join(parts) + "]"


# A subdivision flag: black flag, tag letters, CANCEL TAG (the only valid use of tags). GitLab
# names are short, and Unicode's flags use a handful of tags: 32 is plenty.
_TAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]{1,32}\U000e007f")
_TAG_SEQUENCE_MAX = 34


def _in_tag_sequence(text: str, index: int) -> bool:
    """Whether the tag character at ``text[index]`` is part of an emoji tag sequence."""
    flag = text.rfind("\U0001f3f4", max(0, index - _TAG_SEQUENCE_MAX), index)
    if flag < 0:
        return False
    match = _TAG_SEQUENCE.match(text, flag)
    return match is not None and index < match.end()


#: Where the astral unsafe ranges lie (covers them all, leaves out emoji and CJK).
_ASTRAL_SPANS = ((0x110BD, 0x1D17A), (0xE0001, 0xE007F))


class _Rule:
    """A set of unsafe ranges as a regular expression that finds candidates: the unsafe
    characters of the BMP, and astral characters in a few wide spans, checked against a small
    set. The regex engine tests a class's astral ranges one by one for every character, so
    listing them exactly makes a scan slow; few spans are faster. ``wide`` (one span, every
    astral character) scans long text fastest (JSON: 10,000 tokens 6 ms, two spans 14 ms,
    exact 28 ms); the two spans keep emoji out, so a short name with an emoji and a joiner
    is checked without a Python call per emoji."""

    def __init__(self, ranges: tuple[tuple[int, int], ...], *, wide: bool = False) -> None:
        bmp = tuple((low, high) for low, high in ranges if high <= 0xFFFF)
        astral = [(low, high) for low, high in ranges if low > 0xFFFF]
        assert len(bmp) + len(astral) == len(ranges), "a range crosses U+FFFF"
        assert all(any(a <= low and high <= b for a, b in _ASTRAL_SPANS) for low, high in astral)
        self.astral = frozenset(chr(c) for low, high in astral for c in range(low, high + 1))
        spans = ((0x10000, 0x10FFFF),) if wide else _ASTRAL_SPANS
        self.candidates = re.compile(_char_class((*bmp, *spans)))

    def _unsafe(self, match: re.Match[str]) -> bool:
        char = match.group()
        if char <= "\uffff":
            return True
        if char not in self.astral:
            return False
        return not (
            "\U000e0020" <= char <= "\U000e007f" and _in_tag_sequence(match.string, match.start())
        )

    def find(self, text: str) -> list[str]:
        """The unsafe characters of ``text``, in order."""
        return [m.group() for m in self.candidates.finditer(text) if self._unsafe(m)]

    def sub(self, render: Callable[[str], str], text: str) -> str:
        """``text`` with each unsafe character replaced by ``render(char)``."""

        def replace(match: re.Match[str]) -> str:
            char = match.group()
            if char <= "\uffff" or self._unsafe(match):
                return render(char)
            return char

        return self.candidates.sub(replace, text)


_RULE = _Rule(UNSAFE_RANGES)
_CANDIDATES = _RULE.candidates


@functools.cache
def _json_rule() -> _Rule:
    """For JSON text: the encoder escapes C0 controls inside strings, and the newlines between
    values are its layout, so every unsafe character but LF (compiled on first use: only
    ``--json`` needs it, and a CLI start should not pay for it)."""
    return _Rule(((0x00, 0x09), (0x0B, 0x1F), *UNSAFE_RANGES[1:]), wide=True)


def is_safe(text: str) -> bool:
    """Whether ``text`` can go to a terminal as it is (no unsafe character)."""
    return not unsafe_characters(text)


def unsafe_characters(text: str) -> list[str]:
    """The unsafe characters of ``text``, in order (empty when it is safe)."""
    if text.isprintable() or _CANDIDATES.search(text) is None:
        return []
    return _RULE.find(text)


def _replace_unsafe(text: str, render: Callable[[str], str]) -> str:
    """``text`` with each unsafe character replaced by ``render(char)``."""
    if text.isprintable() or _CANDIDATES.search(text) is None:
        return text
    return _RULE.sub(render, text)


@functools.cache
def visible_escape(char: str) -> str:
    """One character as a Python-style escape: ``\\x1b``, ``\\u202e``, ``\\U000e0001``."""
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape(text: str) -> str:
    """Server text for the CLI (table, detail, CSV, messages): each unsafe character as a
    visible escape (:func:`visible_escape`), so ``\\x1b]52;...`` is printed, not played."""
    if text.isprintable():  # the common case, without a call
        return text
    return _replace_unsafe(text, visible_escape)


def clean(text: str | None) -> str:
    """Server text for the TUI: plain one-line text, each unsafe character shown as ``?``
    (None is empty)."""
    if not text:
        return ""
    if text.isprintable():  # the common case, without a call: this runs for every cell painted
        return text
    return _replace_unsafe(text, _question_mark)


def _question_mark(char: str) -> str:
    return "?"


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters above the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape_json(json_text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with every unsafe character a JSON
    ``\\uXXXX`` escape, so it still parses to the same data and prints safely. The newlines
    of its layout stay; the encoder has already escaped control characters inside strings."""
    if json_text.isascii():
        # The encoder escaped C0 inside strings; DEL is the one ASCII character left to find
        # (two fast C scans instead of a regular expression over megabytes of output).
        if "\x7f" not in json_text:
            return json_text
    elif json_text.isprintable() or _CANDIDATES.search(json_text) is None:
        return json_text
    return _json_rule().sub(_json_escape, json_text)
