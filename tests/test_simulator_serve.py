"""Simulator.serve(): its own loopback server, over plain HTTP and HTTPS (uvicorn options)."""

from __future__ import annotations

import ssl

import httpx
import trustme

from tokentui.simulator import Simulator, SimulatorConfig


def test_serve_plain_http_and_stop() -> None:
    sim = Simulator(SimulatorConfig(tokens=20))
    with sim.serve() as url:
        assert url.startswith("http://127.0.0.1:") and sim.url == url
        r = httpx.get(f"{url}/api/v4/user", headers={"PRIVATE-TOKEN": sim.admin_token})
        assert r.json()["username"] == "root"
    assert sim.url is None
    try:
        httpx.get(f"{url}/api/v4/user", timeout=2)
    except httpx.ConnectError:
        pass
    else:  # pragma: no cover - the server must be gone
        raise AssertionError("server still answering after serve() ended")


def test_serve_https_with_a_private_ca(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "c.pem", tmp_path / "k.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    sim = Simulator(SimulatorConfig(tokens=20))
    with sim.serve(ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as url:
        assert url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=ssl.create_default_context(cafile=str(ca_file))) as client:
            r = client.get(
                f"{url}/api/v4/personal_access_tokens",
                params={"per_page": 2},
                headers={"PRIVATE-TOKEN": sim.user_token},
            )
        assert r.status_code == 200
        assert r.headers["Link"].startswith(f"<{url}/api/v4/personal_access_tokens?")
