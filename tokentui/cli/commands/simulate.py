"""``tokentui simulate``: run the GitLab-compatible simulator on a loopback port."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    parser = sub.add_parser(
        "simulate",
        help="run a GitLab-compatible simulator with seeded demo tokens",
        description="Serve a GitLab-compatible API (access-token endpoints) with seeded demo "
        "data on 127.0.0.1 and print its URL and the tokens of an admin (root), a regular "
        "user (alice) and a project/group maintainer (bob). Serves until Ctrl-C (SIGINT) or "
        "SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_non_negative_int, default=0, help="port (default 0: a free port)"
    )
    parser.add_argument(
        "--tokens",
        type=_non_negative_int,
        default=200,
        help="number of seeded tokens (default 200, up to 100000)",
    )
    parser.add_argument(
        "--projects",
        type=_non_negative_int,
        default=0,
        help="add a generated fleet of this many projects (nested groups, people, bots, "
        "tokens with an expiry cliff; docs/simulator.md)",
    )
    parser.add_argument(
        "--groups",
        type=_non_negative_int,
        default=0,
        help="groups of the fleet (default: one per ten projects)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo data (default 1)")
    parser.add_argument(
        "--latency-ms",
        type=_non_negative_float,
        default=0.0,
        help="delay every request by this many milliseconds",
    )
    parser.add_argument(
        "--fail-rate",
        type=_rate,
        default=0.0,
        help="fraction of requests answered 500/502/503 (0..1)",
    )
    parser.add_argument(
        "--drop-rate",
        type=_rate,
        default=0.0,
        help="fraction of connections dropped unanswered (0..1)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="allow each credential N requests a minute, then answer 429 like GitLab's "
        "authenticated API throttle (default 0: no limit)",
    )
    parser.add_argument(
        "--proxy-error",
        metavar="METHOD:STATUS:WHEN:PATH_REGEX",
        type=proxy_error_spec,
        action="append",
        default=[],
        help="answer every matching request like NGINX in front of a stuck GitLab: an HTML "
        "error page of STATUS (502, 503, 504), WHEN 'after' GitLab acted (the write happens, "
        "its answer is lost) or 'before'; e.g. 'POST:502:after:/rotate$' (repeatable)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the simulator, print where it is and its credentials, serve until interrupted."""
    from tokentui.simulator import Simulator, SimulatorConfig
    from tokentui.simulator.server import BackgroundServer

    config = SimulatorConfig(
        seed=args.seed,
        tokens=args.tokens,
        latency_ms=args.latency_ms,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        projects=args.projects,
        groups=args.groups,
        rate_limit=args.rate_limit,
    )
    sim = Simulator(config)
    for method, status, after, path_regex in args.proxy_error:
        sim.faults.proxy_error(method, path_regex, status, after_action=after, times=None)
    server = BackgroundServer(sim.app, args.host, args.port)
    try:
        url = server.start()
    except OSError as err:
        print(
            f"tokentui: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr
        )
        return 2
    sim.url = url
    # Printing the values is the point of this command (a local, throw-away instance).
    fleet = ""
    if sim.fleet is not None:
        fleet = f", {len(sim.fleet.projects)} projects in {len(sim.fleet.groups)} groups"
    print(f"GitLab simulator at {url}  ({len(sim.state.tokens)} tokens{fleet}, seed {args.seed})")
    print(f"  admin      (root):  {sim.admin_token}")
    print(f"  user       (alice): {sim.user_token}")
    print(f"  maintainer (bob):   {sim.maintainer_token}")
    if sim.owner_token is not None:
        print(f"  owner      (carol): {sim.owner_token}")
    print(
        f'Try: curl -si -H "PRIVATE-TOKEN: {sim.admin_token}" '
        f'"{url}/api/v4/personal_access_tokens?per_page=5"'
    )
    try:
        with _stop_on_signals():
            print("Press Ctrl-C to stop.", flush=True)
            server.wait()
    except _Stopped:
        pass
    finally:
        server.stop()
    print("simulator stopped", file=sys.stderr)
    return 0


def proxy_error_spec(text: str) -> tuple[str, int, bool, str]:
    """``POST:502:after:/rotate$`` -> ``("POST", 502, True, "/rotate$")`` (the regex may hold
    colons)."""
    from tokentui.simulator.faults import PROXY_STATUSES

    parts = text.split(":", 3)
    example = "expected METHOD:STATUS:WHEN:PATH_REGEX, e.g. 'POST:502:after:/rotate$'"
    if len(parts) != 4 or not parts[0].isalpha() or not parts[3]:
        raise argparse.ArgumentTypeError(f"{example}, not {text!r}")
    method, status_text, when, path_regex = parts
    if not status_text.isdigit() or int(status_text) not in PROXY_STATUSES:
        statuses = ", ".join(map(str, PROXY_STATUSES))
        raise argparse.ArgumentTypeError(f"the status is one of {statuses}, not {status_text!r}")
    if when not in ("after", "before"):
        raise argparse.ArgumentTypeError(f"WHEN is 'after' or 'before', not {when!r}")
    try:
        re.compile(path_regex)
    except re.error as err:
        raise argparse.ArgumentTypeError(
            f"{path_regex!r} is not a regular expression: {err}"
        ) from None
    return method.upper(), int(status_text), when == "after", path_regex


class _Stopped(Exception):
    """SIGINT or SIGTERM arrived: stop serving."""


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`_Stopped` for the duration of the block.

    SIGINT is handled even when it was inherited as ignored (a job started with ``&`` from a
    non-interactive shell ignores it), and SIGTERM is what ``kill``, service managers and CI use.
    The previous handlers come back afterwards.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, not {text}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, not {text}")
    return value


def _rate(text: str) -> float:
    value = _non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, not {text}")
    return value
