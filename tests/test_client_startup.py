"""No TLS set-up for a plain-HTTP instance (start-up time), and every other case unchanged."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from tokentui.gitlab.client import GitLabClient, _verify_for
from tokentui.gitlab.connection import TLSOptions
from tokentui.gitlab.sources import PersonalTokens
from tokentui.simulator import Simulator

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def test_plain_http_loads_no_certificates(no_proxies: None, tmp_path: Path) -> None:
    assert _verify_for("http://gitlab.internal", None) is False
    assert _verify_for("http://gitlab.internal", TLSOptions()) is False
    # A CA bundle (SSL_CERT_FILE, a profile's ca_bundle) only matters to HTTPS.
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read for http\n")
    assert _verify_for("http://gitlab.internal", TLSOptions(verify=bundle)) is False


def test_https_or_tls_options_or_a_proxy_still_build_the_context(
    no_proxies: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert isinstance(_verify_for("https://gitlab.example.com", None), ssl.SSLContext)
    with pytest.raises(ValueError, match="does not exist"):
        _verify_for("https://gitlab.example.com", TLSOptions(verify=tmp_path / "missing.pem"))
    monkeypatch.setenv("HTTPS_PROXY", "https://proxy.internal:3128")
    assert isinstance(_verify_for("http://gitlab.internal", None), ssl.SSLContext)


async def test_a_plain_http_instance_lists_tokens(no_proxies: None, sim: Simulator) -> None:
    assert sim.url is not None and sim.url.startswith("http://")
    async with GitLabClient(sim.url, sim.admin_token) as client:
        tokens = await client.list_tokens(PersonalTokens())
    assert len(tokens) == len(sim.state.tokens)
