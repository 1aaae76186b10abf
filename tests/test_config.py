"""Profiles file, URL normalisation, TLS options, and how ``connect()`` resolves a connection."""

from __future__ import annotations

import argparse
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from tokentui.cli.commands.common import connect
from tokentui.core import config, credentials
from tokentui.core.config import ConfigError, Profile, Settings
from tokentui.core.session import NotConfigured, UsageError

if TYPE_CHECKING:
    from credential_fixtures import MemoryKeyring


SECRET = "glpat-config-test-secret"


def args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(profile=kw.get("profile"), url=kw.get("url"))


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://gitlab.example.com", "https://gitlab.example.com"),
        ("https://gitlab.example.com/", "https://gitlab.example.com"),
        ("https://gitlab.example.com/api/v4/", "https://gitlab.example.com"),
        ("gitlab.example.com", "https://gitlab.example.com"),
        ("  http://127.0.0.1:8080 ", "http://127.0.0.1:8080"),
        ("https://example.com/gitlab", "https://example.com/gitlab"),
        ("HTTPS://GitLab.Example.com", "https://gitlab.example.com"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert config.normalize_url(given) == expected


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("", "empty"),
        ("ftp://gitlab.example.com", "not a GitLab URL"),
        ("https://user:pw@gitlab.example.com", "credentials"),
        ("https://gitlab.example.com:99999", "invalid port"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(given: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        config.normalize_url(given)


# --- the profiles file ------------------------------------------------------------------------


def test_missing_file_means_no_profiles(config_home: Path) -> None:
    settings = config.load_settings()
    assert settings.profiles == {}
    assert settings.default() is None
    assert settings.path == config_home / "config.toml"


def test_profiles_round_trip_and_hold_no_token(config_home: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not really a CA")
    settings = config.load_settings()
    settings.put(Profile("work", "https://gitlab.example.com", ca_bundle=bundle, user="alice"))
    settings.put(Profile("lab", "http://127.0.0.1:9", verify=False, storage="file"))
    settings.save()

    loaded = config.load_settings()
    assert loaded.default_profile == "work"  # the first profile becomes the default
    assert loaded.profiles == settings.profiles
    assert loaded.get("lab").insecure
    doc = tomllib.loads((config_home / "config.toml").read_text())
    assert doc["profiles"]["work"] == {
        "url": "https://gitlab.example.com",
        "ca_bundle": str(bundle),
        "storage": "keyring",
        "user": "alice",
    }
    assert "token" not in (config_home / "config.toml").read_text()
    assert stat.S_IMODE((config_home / "config.toml").stat().st_mode) == 0o644


def test_remove_moves_the_default_to_the_only_one_left(config_home: Path) -> None:
    settings = Settings()
    settings.put(Profile("a", "https://a.example"))
    settings.put(Profile("b", "https://b.example"))
    settings.put(Profile("c", "https://c.example"), make_default=True)
    assert settings.default_profile == "c"
    settings.remove("c")
    assert settings.default() is None  # two left, none chosen
    settings.remove("a")
    assert settings.default().name == "b"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[profiles.work\nurl = 1", "not valid TOML"),
        ('[profiles.work]\nurl = "https://x.example"\ncolour = "red"', "unknown key(s) colour"),
        ("[profiles.work]\nverify = false", "needs url"),
        ('[profiles.work]\nurl = "ftp://x"', "not a GitLab URL"),
        ('[profiles.work]\nurl = "https://x.example"\nverify = "no"', "verify must be true"),
        ('[profiles.work]\nurl = "https://x.example"\nstorage = "disk"', "storage must be"),
        ('[profiles.work]\nurl = "https://x.example"\ndefault_source = "x"', "default_source"),
        ('default_profile = "home"\n[profiles.work]\nurl = "https://x.example"', "names no"),
        ('[profiles."bad name"]\nurl = "https://x.example"', "invalid profile name"),
    ],
)
def test_bad_config_files_name_the_file_and_the_problem(
    config_home: Path, text: str, fragment: str
) -> None:
    config_home.mkdir(parents=True)
    (config_home / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        config.load_settings()
    assert fragment in str(err.value)
    assert str(config_home / "config.toml") in str(err.value)


# --- TLS options -----------------------------------------------------------------------------


def test_tls_defaults_to_the_system_trust_store(config_home: Path) -> None:
    tls = config.tls_options()
    assert tls.verify is True
    assert tls.client_cert is None


def test_tls_ca_bundle_from_profile_then_environment(
    config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, env_one, env_two = (tmp_path / n for n in ("mine.pem", "ssl.pem", "requests.pem"))
    for path in (mine, env_one, env_two):
        path.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(env_two))
    assert config.tls_options().verify == env_two
    monkeypatch.setenv("SSL_CERT_FILE", str(env_one))
    assert config.tls_options().verify == env_one
    assert config.tls_options(ca_bundle=mine).verify == mine
    assert config.tls_options(ca_bundle=mine, verify=False).verify is False


def test_tls_missing_files_are_named(config_home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CA bundle .*nope\.pem.* does not exist"):
        config.tls_options(ca_bundle=tmp_path / "nope.pem")
    with pytest.raises(ConfigError, match="client certificate"):
        config.tls_options(client_cert=tmp_path / "me.crt")
    with pytest.raises(ConfigError, match="client_key is set without client_cert"):
        config.tls_options(client_key=tmp_path / "me.key")


def test_tls_client_certificate(config_home: Path, tmp_path: Path) -> None:
    cert, key = tmp_path / "me.crt", tmp_path / "me.key"
    cert.write_text("c")
    key.write_text("k")
    tls = Profile("p", "https://x.example", client_cert=cert, client_key=key).tls_options()
    assert (tls.client_cert, tls.client_key, tls.verify) == (cert, key, True)


# --- connect(): which URL, which token, which profile ----------------------------------------


def save_profile(profile: Profile, token: str | None = SECRET, *, default: bool = False) -> None:
    settings = config.load_settings()
    settings.put(profile, make_default=default)
    settings.save()
    if token is not None:
        credentials.save_token(profile.name, profile.storage, SecretStr(token))


def test_nothing_configured(config_home: Path, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(NotConfigured, match="tokentui auth login"):
        connect(args())


def test_environment_only(config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_HOST", "gitlab.example.com")
    monkeypatch.setenv("GITLAB_TOKEN", SECRET)
    conn = connect(args())
    assert (conn.url, conn.token_origin, conn.profile) == (
        "https://gitlab.example.com",
        "GITLAB_TOKEN",
        None,
    )
    assert conn.token.get_secret_value() == SECRET
    assert SECRET not in repr(conn)


def test_gitlab_token_without_any_url(config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", SECRET)
    with pytest.raises(UsageError, match="no GitLab URL"):
        connect(args())


def test_default_profile_with_keyring_token(
    config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    save_profile(Profile("work", "https://gitlab.example.com"))
    conn = connect(args())
    assert (conn.url, conn.profile, conn.token_origin) == (
        "https://gitlab.example.com",
        "work",
        "keyring",
    )
    assert conn.token.get_secret_value() == SECRET


def test_gitlab_token_wins_over_the_stored_one_and_keeps_profile_tls(
    config_home: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_profile(Profile("lab", "https://lab.example", verify=False))
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-from-env")
    conn = connect(args())
    assert conn.token.get_secret_value() == "glpat-from-env"
    assert (conn.url, conn.profile, conn.token_origin) == (
        "https://lab.example",
        "lab",
        "GITLAB_TOKEN",
    )
    assert conn.insecure


def test_profile_flag_and_environment_variable(
    config_home: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_profile(Profile("work", "https://work.example"), "glpat-work")
    save_profile(Profile("home", "https://home.example"), "glpat-home")
    assert connect(args()).profile == "work"
    assert connect(args(profile="home")).token.get_secret_value() == "glpat-home"
    monkeypatch.setenv("TOKENTUI_PROFILE", "home")
    assert connect(args()).url == "https://home.example"
    with pytest.raises(UsageError, match=r"no profile named 'nope' \(configured: home, work\)"):
        connect(args(profile="nope"))


def test_gitlab_host_picks_the_profile_of_that_instance(
    config_home: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_profile(Profile("work", "https://work.example"), "glpat-work")
    save_profile(Profile("home", "https://home.example"), "glpat-home")
    monkeypatch.setenv("GITLAB_HOST", "home.example/")
    conn = connect(args())
    assert (conn.profile, conn.token.get_secret_value()) == ("home", "glpat-home")
    monkeypatch.setenv("GITLAB_HOST", "elsewhere.example")
    with pytest.raises(NotConfigured, match=r"no profile for https://elsewhere\.example"):
        connect(args())


def test_a_stored_token_never_goes_to_another_url(
    config_home: Path, memory_keyring: MemoryKeyring
) -> None:
    save_profile(Profile("work", "https://work.example"))
    with pytest.raises(UsageError, match="only sent to its own URL"):
        connect(args(profile="work", url="https://evil.example"))


def test_profile_without_a_stored_token(config_home: Path, memory_keyring: MemoryKeyring) -> None:
    save_profile(Profile("work", "https://work.example"), token=None)
    with pytest.raises(UsageError, match="has no token in the system keyring"):
        connect(args())


@pytest.mark.usefixtures("no_keyring")
def test_keyring_gone_since_login_is_a_usage_error(config_home: Path) -> None:
    save_profile(Profile("work", "https://work.example"), token=None)
    with pytest.raises(
        UsageError,
        match=r"cannot read the token of profile .work. from the system keyring.*--insecure-stor",
    ):
        connect(args())


@pytest.mark.usefixtures("no_keyring")
def test_file_profile_works_without_keyring(config_home: Path) -> None:
    save_profile(Profile("box", "https://box.example", storage="file"))
    conn = connect(args())
    assert (conn.token_origin, conn.token.get_secret_value()) == ("file", SECRET)


def test_verify_off_warns_loudly_on_stderr(
    config_home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    save_profile(Profile("lab", "https://lab.example", verify=False))
    conn = connect(args())
    assert conn.insecure
    assert conn.tls.verify is False
    assert "WARNING: TLS certificate verification is OFF" in capsys.readouterr().err


def test_bad_config_is_a_usage_error(config_home: Path) -> None:
    config_home.mkdir(parents=True)
    (config_home / "config.toml").write_text("this is not toml")
    with pytest.raises(UsageError, match="not valid TOML"):
        connect(args())


# --- Connection.save_token: the new value goes where the old one came from ---------------


def test_save_token_back_to_the_keyring(config_home: Path, memory_keyring: MemoryKeyring) -> None:
    save_profile(Profile("work", "https://work.example"))
    conn = connect(args())
    conn.save_token(SecretStr("glpat-rotated"))
    assert memory_keyring.passwords[("tokentui", "work")] == "glpat-rotated"
    assert conn.token.get_secret_value() == "glpat-rotated"
    assert connect(args()).token.get_secret_value() == "glpat-rotated"


@pytest.mark.usefixtures("no_keyring")
def test_save_token_back_to_the_file(config_home: Path) -> None:
    save_profile(Profile("box", "https://box.example", storage="file"))
    connect(args()).save_token(SecretStr("glpat-rotated"))
    assert credentials.load_token("box", "file").get_secret_value() == "glpat-rotated"


def test_save_token_cannot_change_the_environment(
    config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_HOST", "https://x.example")
    monkeypatch.setenv("GITLAB_TOKEN", SECRET)
    conn = connect(args())
    with pytest.raises(credentials.CredentialError, match="GITLAB_TOKEN"):
        conn.save_token(SecretStr("glpat-rotated"))
