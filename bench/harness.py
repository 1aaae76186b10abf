"""Shared pieces of the benchmarks: the simulator in its own process, isolated environments,
python-gitlab's configuration, statistics and the machine description.

Nothing here imports Textual or tokentui's UI: the simulator runs as ``tokentui simulate`` in a
separate process (its CPU and memory never count against the process measured).
"""

from __future__ import annotations

import atexit
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PYTHON = sys.executable
#: python-gitlab's CLI, next to the interpreter (the venv's ``bin``).
GITLAB_CLI = str(Path(PYTHON).with_name("gitlab"))

_URL_LINE = re.compile(r"GitLab simulator at (\S+)")
_ADMIN_LINE = re.compile(r"admin\s+\(root\):\s+(\S+)")
_MAINTAINER_LINE = re.compile(r"maintainer\s+\(bob\):\s+(\S+)")


@dataclass
class SimProcess:
    """A running ``tokentui simulate`` process: its URL and the admin (root) credential; with
    a fleet, ``projects`` and bob's credential (Maintainer of every fleet project)."""

    process: subprocess.Popen[str]
    url: str
    admin_token: str
    tokens: int
    latency_ms: float
    maintainer_token: str = ""
    projects: int = 0
    groups: int = 0

    def stop(self) -> None:
        """Stop the simulator (Ctrl-C, then kill if it lingers)."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def simulator(
    tokens: int,
    latency_ms: float = 0.0,
    *,
    seed: int = 1,
    timeout: float = 120.0,
    projects: int = 0,
    groups: int = 0,
) -> Iterator[SimProcess]:
    """Run the simulator with ``tokens`` tokens and ``latency_ms`` per request in a child
    process for the ``with`` block; ``projects``/``groups``: a generated fleet as well
    (``tokentui simulate --projects N --groups M``)."""
    fleet = ["--projects", str(projects), "--groups", str(groups)] if projects else []
    cmd = [
        PYTHON,
        "-m",
        "tokentui.cli.main",
        "simulate",
        "--tokens",
        str(tokens),
        "--latency-ms",
        str(latency_ms),
        "--seed",
        str(seed),
        *fleet,
    ]
    process = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=isolated_env(),
        cwd=REPO,
    )
    url = token = None
    maintainer = ""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the simulator exited early (code {process.poll()})")
            if (m := _URL_LINE.search(line)) is not None:
                url = m.group(1)
            if (m := _ADMIN_LINE.search(line)) is not None:
                token = m.group(1)
            if (m := _MAINTAINER_LINE.search(line)) is not None:
                maintainer = m.group(1)
            if "Press Ctrl-C" in line:
                break
        if url is None or token is None:
            raise RuntimeError("the simulator did not print its URL and admin token")
        sim = SimProcess(
            process, url, token, tokens, latency_ms, maintainer, projects, groups if projects else 0
        )
    except BaseException:
        process.kill()
        process.wait()
        raise
    try:
        yield sim
    finally:
        sim.stop()
        process.stdout.close()


#: Throw-away XDG home of every measured process (removed when the run ends).
_HOME = tempfile.mkdtemp(prefix="tokentui-bench-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)


def isolated_env(token: str | None = None) -> dict[str, str]:
    """The environment of a measured process: XDG dirs in a throw-away folder (no profile,
    no keyring lookup), no ``GITLAB_*`` from the caller, ``GITLAB_TOKEN`` when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "TOKENTUI_"))}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = os.path.join(_HOME, name.lower())
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # Measured as installed: with bytecode cached (a pip install compiles it; an editable
    # checkout writes it on first run). A machine with PYTHONDONTWRITEBYTECODE would make every
    # run of the checkout's modules compile them from source (~30 ms), while python-gitlab's
    # come compiled from its wheel. The cache goes in the throw-away folder, not the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(_HOME, "pycache")
    if token is not None:
        env["GITLAB_TOKEN"] = token
    return env


@contextmanager
def python_gitlab_config(url: str, token: str) -> Iterator[str]:
    """A python-gitlab CLI config file (0600, deleted afterwards) pointing at ``url``.

    The value is the simulator's throw-away admin token; python-gitlab's CLI reads its
    credential only from such a file.
    """
    folder = tempfile.mkdtemp(prefix="pgl-", dir=_HOME)
    path = os.path.join(folder, "python-gitlab.cfg")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(
            "[global]\ndefault = sim\nssl_verify = true\ntimeout = 120\n\n"
            f"[sim]\nurl = {url}\nprivate_token = {token}\napi_version = 4\n"
        )
    try:
        yield path
    finally:
        os.unlink(path)
        os.rmdir(folder)


# -- statistics ------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    """The median (NaN for no values)."""
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank; NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# -- the machine -----------------------------------------------------------------------------
def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        import textual

        textual_version = textual.__version__
    except Exception:  # textual missing: the report still prints
        textual_version = "?"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "textual": textual_version,
        "os": f"{platform.system()} {platform.release()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
