"""Marks: the tokens the user picked for a bulk action, kept by :attr:`Token.key`.

A plain set of keys, so marks survive reloads, filters and sorts (the rows are new objects
each load; their keys are not), and a row asks ``token.key in marks`` when it is painted: an
int in a set, nothing allocated. No Textual import: the TUI shows them, ``core/bulk.py`` plans
what to do with the tokens they name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


class Marks:
    """The marked tokens' keys (:attr:`Token.key`: the id, minus the id for a deploy token)."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterable[int] = ()) -> None:
        self._keys: set[int] = set(keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._keys))

    def __bool__(self) -> bool:
        return bool(self._keys)

    def toggle(self, key: int) -> bool:
        """Mark ``key`` when unmarked, else unmark it; True when it is marked now."""
        if key in self._keys:
            self._keys.discard(key)
            return False
        self._keys.add(key)
        return True

    def mark(self, keys: Iterable[int]) -> int:
        """Mark every one of ``keys`` (the tokens shown); how many were not marked before."""
        before = len(self._keys)
        self._keys.update(keys)
        return len(self._keys) - before

    def invert(self, keys: Iterable[int]) -> None:
        """Flip the mark of each of ``keys`` (the tokens shown); marks of tokens a filter
        hides stay as they are."""
        self._keys.symmetric_difference_update(set(keys))

    def unmark(self, keys: Iterable[int]) -> None:
        """Unmark each of ``keys`` (the tokens a bulk action finished with)."""
        self._keys.difference_update(keys)

    def clear(self) -> int:
        """Unmark everything; how many were marked."""
        count = len(self._keys)
        self._keys.clear()
        return count

    def retain(self, present: Callable[[int], bool]) -> int:
        """Drop the marks of tokens no longer there (``present(key)`` False: gone from the
        server after a reload); how many were dropped."""
        gone = {key for key in self._keys if not present(key)}
        self._keys -= gone
        return len(gone)

    def keys(self) -> frozenset[int]:
        """The marked keys, as a snapshot."""
        return frozenset(self._keys)
