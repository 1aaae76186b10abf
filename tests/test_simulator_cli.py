"""``tokentui simulate``: prints its URL and credentials, serves GitLab-shaped answers, stops
cleanly on Ctrl-C (SIGINT) and on SIGTERM, also when started as a background job."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from tokentui.cli.main import main


def _ignore_sigint() -> None:
    # What a non-interactive shell does to a job started with `&` (and nohup to SIGHUP).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("stop_with", "background"),
    [
        (signal.SIGINT, False),
        (signal.SIGTERM, False),
        (signal.SIGINT, True),
        (signal.SIGTERM, True),
    ],
    ids=["sigint", "sigterm", "sigint-background", "sigterm-background"],
)
def test_simulate_serves_until_interrupted(stop_with: signal.Signals, background: bool) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokentui.cli", "simulate", "--tokens", "60", "--seed", "4"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint if background else None,
    )
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        url = re.search(r"http://127\.0\.0\.1:\d+", text)
        admin = re.search(r"admin +\(root\): +(glpat-\S+)", text)
        assert url and admin, text
        assert re.search(r"user +\(alice\): +glpat-\S+", text)
        assert re.search(r"maintainer \(bob\): +glpat-\S+", text)
        r = httpx.get(
            f"{url.group(0)}/api/v4/personal_access_tokens",
            params={"per_page": 5},
            headers={"PRIVATE-TOKEN": admin.group(1)},
            timeout=120,  # a bound against hanging on a busy machine, not a speed assertion
        )
        assert r.status_code == 200 and len(r.json()) == 5
        assert r.headers["X-Total"] == "60" and r.headers["X-Next-Page"] == "2"
        proc.send_signal(stop_with)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # never leave a simulator behind, whatever failed
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "simulator stopped" in err and "Traceback" not in err


def test_simulate_rejects_bad_flags(capsys) -> None:  # type: ignore[no-untyped-def]
    for argv in (["--fail-rate", "2"], ["--tokens", "-1"], ["--latency-ms", "abc"]):
        try:
            main(["simulate", *argv])
        except SystemExit as exc:
            assert exc.code == 2
        else:  # pragma: no cover - argparse always exits
            raise AssertionError(argv)
    err = capsys.readouterr().err
    assert "fraction between 0 and 1" in err and "expected 0 or more" in err
    assert "expected a number" in err


def test_simulate_proxy_error_flag(capsys) -> None:  # type: ignore[no-untyped-def]
    from tokentui.cli.commands.simulate import proxy_error_spec

    assert proxy_error_spec("post:502:after:/a:b$") == ("POST", 502, True, "/a:b$")
    assert proxy_error_spec("DELETE:504:before:/tokens/\\d+$")[1:3] == (504, False)
    for bad in ("POST:500:after:/x", "POST:502:later:/x", "POST:502", "POST:502:after:(["):
        try:
            main(["simulate", "--proxy-error", bad])
        except SystemExit as exc:
            assert exc.code == 2
        else:  # pragma: no cover - argparse always exits
            raise AssertionError(bad)
    err = capsys.readouterr().err
    assert "the status is one of 502, 503, 504" in err and "WHEN is 'after' or 'before'" in err
    assert "expected METHOD:STATUS:WHEN:PATH_REGEX" in err and "not a regular expression" in err
