"""The built wheel ships the styles, and the app installed from it finds them.

The wheel is built from this checkout (``pip wheel . --no-deps``), installed into an empty
directory (``pip install --no-deps --target``: tokentui's own files only, the dependencies
come from the test environment), and everything after runs from that directory with the
checkout out of ``sys.path``. ``pyproject.toml`` force-includes ``styles/`` as
``tokentui/styles``; without it the app would start unstyled, since it keeps only the style
files that exist (``app._css_paths``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory the wheel is installed into."""
    base = tmp_path_factory.mktemp("wheel")
    dist, target = base / "dist", base / "site"
    run(sys.executable, "-m", "pip", "wheel", REPO, "--no-deps", "-q", "-w", dist, cwd=base)
    (wheel,) = dist.glob("tokentui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for style in sorted((REPO / "styles").glob("*.tcss")):
        assert f"tokentui/styles/{style.name}" in names, f"the wheel lacks {style.name}"
    run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
        target, wheel, cwd=base)  # fmt: skip
    return target


def installed_env(target: Path) -> dict[str, str]:
    """An environment that imports tokentui from ``target`` (first on the path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENTUI_", "GITLAB_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(target), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_the_installed_app_finds_its_styles(installed: Path) -> None:
    expected = {p.name: p.read_bytes() for p in (REPO / "styles").glob("*.tcss")}
    assert expected, "no styles in the checkout"
    code = (
        "import tokentui, tokentui.tui.app\n"
        "print(tokentui.__file__)\n"
        "for path in tokentui.tui.app.TokenApp.CSS_PATH:\n"
        "    print(path)\n"
    )
    # -P and a neutral cwd: the checkout is not on the path, only the install is.
    lines = run(
        sys.executable, "-P", "-c", code, cwd=installed.parent, env=installed_env(installed)
    ).splitlines()
    package = Path(lines[0]).parent
    assert package == installed / "tokentui", f"imported from {package}, not the install"
    css = [Path(line) for line in lines[1:]]
    assert sorted(p.name for p in css) == sorted(expected)
    for path in css:
        assert path.parent == package / "styles" and path.is_file(), path
        assert path.read_bytes() == expected[path.name], f"{path.name} differs from styles/"


def test_the_installed_command_runs_the_demo(installed: Path, tmp_path: Path) -> None:
    """``tokentui --demo`` from the install draws its list on a real terminal and quits."""
    if sys.platform == "win32":
        pytest.skip("uses a pseudo-terminal")
    from pty_terminal import PtyProcess

    script = installed / "bin" / "tokentui"
    assert script.is_file(), "the wheel installs no tokentui command"
    env = installed_env(installed)
    env.update(
        TERM="xterm-256color",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        TOKENTUI_CONFIG_DIR=str(tmp_path / "config" / "tokentui"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    for name in ("COLUMNS", "LINES", "NO_COLOR", "TEXTUAL"):
        env.pop(name, None)
    with PtyProcess([str(script), "--demo"], env) as term:
        term.wait_for(lambda: "DEMO" in term.text() and "active" in term.text(), "the demo list")
        term.send("q")
        assert term.wait_exit() == 0
