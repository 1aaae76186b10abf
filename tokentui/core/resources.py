"""Locate files shipped beside the code (TCSS styles)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def styles_dir() -> Path:
    """Return the folder holding the .tcss files.

    A wheel carries them inside the package (``tokentui/styles``, see pyproject's
    force-include); an editable install or a source checkout has them at the repository root.
    """
    packaged = _PACKAGE_DIR / "styles"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / "styles"
