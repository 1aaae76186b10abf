"""TLS with a private certificate authority: a real TLS server on loopback (``trustme`` CA, the
simulator under uvicorn). Without the CA bundle tokentui fails with a message naming the option;
with it (profile, SSL_CERT_FILE, REQUESTS_CA_BUNDLE) everything works, rotation included."""

from __future__ import annotations

import io
import socket
import ssl
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trustme
import uvicorn

from tokentui.cli import main as cli
from tokentui.simulator import Simulator, SimulatorConfig

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    cert: Path
    key: Path
    client_cert: Path
    client_key: Path


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A throwaway CA, a server certificate for 127.0.0.1, and a client certificate."""
    ca = trustme.CA()
    base = tmp_path_factory.mktemp("tls")
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("alice@example.com")
    files = TLSFiles(
        ca=base / "ca.pem",
        cert=base / "server.pem",
        key=base / "server.key",
        client_cert=base / "client.pem",
        client_key=base / "client.key",
    )
    ca.cert_pem.write_to_path(str(files.ca))
    server.cert_chain_pems[0].write_to_path(str(files.cert))
    server.private_key_pem.write_to_path(str(files.key))
    client.cert_chain_pems[0].write_to_path(str(files.client_cert))
    client.private_key_pem.write_to_path(str(files.client_key))
    return files


def serve_tls(app: Any, **ssl_options: Any) -> Iterator[str]:
    """Serve ``app`` over HTTPS on 127.0.0.1 in a thread; yield ``https://127.0.0.1:PORT``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="critical", access_log=False, lifespan="off", **ssl_options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a bound against hanging on a loaded machine
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "TLS server did not start"
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def tls_sim(tls_files: TLSFiles) -> Iterator[Simulator]:
    """The simulator behind HTTPS with a certificate from the private CA."""
    sim = Simulator(SimulatorConfig(seed=1, tokens=50))
    for url in serve_tls(sim.app, ssl_certfile=str(tls_files.cert), ssl_keyfile=str(tls_files.key)):
        sim.url = url
        yield sim


@pytest.fixture(scope="module")
def mtls_sim(tls_files: TLSFiles) -> Iterator[Simulator]:
    """The simulator behind HTTPS that also requires a client certificate from the CA."""
    sim = Simulator(SimulatorConfig(seed=1, tokens=50))
    for url in serve_tls(
        sim.app,
        ssl_certfile=str(tls_files.cert),
        ssl_keyfile=str(tls_files.key),
        ssl_ca_certs=str(tls_files.ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        # TLS 1.2: a missing client certificate fails the handshake itself (with 1.3 the
        # server drops the connection after it, which looks like a network failure).
        ssl_version=ssl.PROTOCOL_TLSv1_2,
    ):
        sim.url = url
        yield sim


@pytest.fixture
def cli_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``tokentui ARGV`` in process with ``stdin``; returns (code, stdout, stderr)."""

    def call(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.mark.usefixtures("memory_keyring")
def test_unknown_ca_fails_clearly_and_names_the_option(
    tls_sim: Simulator, config_home: Path, cli_run
) -> None:
    code, _out, err = cli_run("auth", "login", "--url", tls_sim.url, stdin=tls_sim.user_token)
    assert code == 2
    assert "TLS" in err
    assert "certificate" in err.lower()
    assert "--ca-bundle" in err
    assert "Traceback" not in err
    assert not (config_home / "config.toml").exists()


def test_ca_bundle_in_the_profile(
    tls_sim: Simulator,
    tls_files: TLSFiles,
    config_home: Path,
    memory_keyring: MemoryKeyring,
    cli_run,
) -> None:
    code, out, err = cli_run(
        "auth",
        "login",
        "--url",
        tls_sim.url,
        "--ca-bundle",
        str(tls_files.ca),
        stdin=tls_sim.user_token,
    )
    assert code == 0, err
    assert "as alice" in out
    doc = tomllib.loads((config_home / "config.toml").read_text())
    assert doc["profiles"]["default"]["ca_bundle"] == str(tls_files.ca)
    code, out, _ = cli_run("auth", "status")
    assert code == 0
    assert f"TLS: CA bundle {tls_files.ca}" in out
    assert "user: alice" in out
    # The scripting commands use the profile's CA too.
    code, out, err = cli_run("list", "--mine", "--json")
    assert code == 0, err
    # Logging in again without TLS flags keeps the bundle.
    code, _, err = cli_run("auth", "login", "--url", tls_sim.url, stdin=tls_sim.user_token)
    assert code == 0, err


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_ca_bundle_from_the_environment(
    tls_sim: Simulator,
    tls_files: TLSFiles,
    config_home: Path,
    cli_run,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    monkeypatch.setenv("GITLAB_HOST", tls_sim.url)
    monkeypatch.setenv("GITLAB_TOKEN", tls_sim.admin_token)
    code, out, err = cli_run("auth", "status")
    assert code == 2
    assert "--ca-bundle" in out
    monkeypatch.setenv(variable, str(tls_files.ca))
    code, out, err = cli_run("auth", "status")
    assert code == 0, out + err
    assert "user: root" in out


@pytest.mark.usefixtures("memory_keyring")
def test_verify_off_works_with_a_loud_warning(
    tls_sim: Simulator, config_home: Path, cli_run
) -> None:
    code, out, err = cli_run(
        "auth",
        "login",
        "--url",
        tls_sim.url,
        "--insecure-skip-tls-verify",
        stdin=tls_sim.user_token,
    )
    assert code == 0, err
    assert "WARNING: TLS certificate verification is OFF" in err
    code, out, err = cli_run("auth", "status")
    assert code == 0
    assert "!! certificate verification OFF !!" in out
    code, _, err = cli_run("list", "--mine")
    assert code == 0
    assert "WARNING: TLS certificate verification is OFF" in err


@pytest.mark.usefixtures("memory_keyring")
def test_rotation_over_tls_uses_the_profile_ca(
    tls_sim: Simulator, tls_files: TLSFiles, config_home: Path, cli_run
) -> None:
    value = tls_sim.issue_token(4, name="tls-rotate", scopes=["api"])
    code, _, err = cli_run(
        "auth", "login", "--url", tls_sim.url, "--ca-bundle", str(tls_files.ca), stdin=value
    )
    assert code == 0, err
    code, out, err = cli_run("auth", "rotate")
    assert code == 0, err
    assert "stored in the system keyring" in out
    assert tls_sim.token_record(value).revoked
    code, out, _ = cli_run("auth", "status")
    assert code == 0 and "user: carol" in out


@pytest.mark.usefixtures("memory_keyring")
def test_client_certificate(
    mtls_sim: Simulator, tls_files: TLSFiles, config_home: Path, cli_run
) -> None:
    base = ("auth", "login", "--url", mtls_sim.url, "--ca-bundle", str(tls_files.ca))
    code, _, err = cli_run(*base, stdin=mtls_sim.user_token)
    assert code == 2
    assert "The TLS connection" in err
    assert "Traceback" not in err
    code, out, err = cli_run(
        *base,
        "--client-cert",
        str(tls_files.client_cert),
        "--client-key",
        str(tls_files.client_key),
        stdin=mtls_sim.user_token,
    )
    assert code == 0, err
    doc = tomllib.loads((config_home / "config.toml").read_text())
    assert doc["profiles"]["default"]["client_cert"] == str(tls_files.client_cert)
    code, out, _ = cli_run("auth", "status")
    assert code == 0
    assert f"client certificate {tls_files.client_cert}" in out


@pytest.mark.usefixtures("memory_keyring")
def test_missing_tls_files_are_named(config_home: Path, tmp_path: Path, cli_run) -> None:
    code, _, err = cli_run(
        "auth",
        "login",
        "--url",
        "https://127.0.0.1:1",
        "--ca-bundle",
        str(tmp_path / "nope.pem"),
        stdin="glpat-x",
    )
    assert code == 2
    assert "nope.pem" in err and "does not exist" in err
