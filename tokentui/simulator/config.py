"""Configuration of the GitLab simulator."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How big the demo instance is and how it misbehaves.

    ``tokens`` is the total number of token records seeded (the three credentials included).
    ``rate_limit`` throttles each credential to that many requests per ``rate_limit_period``
    seconds (GitLab's authenticated API throttle, ``rate_limits.py``); 0 is off.
    ``projects`` / ``groups`` add a generated fleet (``fleet.py``) after them: nested groups,
    projects, people, bots and their tokens (``groups`` 0 with projects: one per ten projects).
    ``latency_ms`` / ``fail_rate`` / ``drop_rate`` are the initial fault settings; they can be
    changed later through :attr:`Simulator.faults`.
    """

    seed: int = 1
    tokens: int = 200
    projects: int = 0
    groups: int = 0
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit: int = 0
    rate_limit_period: int = 60
    #: GitLab 19.2 feature flag ``expose_last_used_ips_for_access_tokens`` (default off there;
    #: on here so the demo shows IPs). Off: ``last_used_ips`` is absent from every entity.
    expose_last_used_ips: bool = True
    #: Reported by ``GET /version``.
    version: str = "19.2.0-ee"
    revision: str = "41946e65"
    #: Instance setting ``personal_access_token_prefix``.
    token_prefix: str = "glpat-"
    #: ``api_admin_token_revoke`` (§7.4): on in the newest code (no check); off, ``DELETE
    #: /admin/token`` answers 404 with the flag's message, as 17.7-18.4 by default.
    admin_token_revoke: bool = True
    #: Host name used in generated e-mail addresses and web URLs of the seeded data.
    host: str = "gitlab.example.com"
