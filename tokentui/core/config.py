"""Profiles: where each GitLab instance is and how to talk to it, in a TOML file.

The file lives in the user's config directory (platformdirs; ``TOKENTUI_CONFIG_DIR`` overrides
it, which the tests use). It never holds a token: see :mod:`tokentui.core.credentials`. Example::

    default_profile = "work"

    [profiles.work]
    url = "https://gitlab.example.com"
    ca_bundle = "/etc/ssl/private-ca.pem"   # or: verify = false (loud warning everywhere)
    client_cert = "/home/me/.ssl/me.crt"     # optional, with client_key
    client_key = "/home/me/.ssl/me.key"
    default_source = "mine"                  # optional
    refresh_every = "15m"                    # optional: the TUI reloads the list this often
    storage = "keyring"                      # where the token is: keyring | file
    user = "alice"                           # who logged in (display only)

    [hygiene]                                # thresholds of the findings (docs/hygiene.md)
    unused_days = 90
    broad_scope_days = 90
    cliff_tokens = 5
    broad_scopes = ["api", "sudo", "admin_mode", "write_repository", "write_registry"]

    [[deliveries]]                           # where a rotated value goes (tokentui deliver)
    url = "https://gitlab.example.com"
    token_id = 57
    project = "platform/api"                 # or: group = "platform"
    variable = "DEPLOY_TOKEN"
    environment_scope = "production"         # optional: one of a key held in several scopes

No Textual import here: the scripting CLI uses this module.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs
import tomli_w

from tokentui.core.hygiene import HygieneConfig, hygiene_config
from tokentui.gitlab.connection import TLSOptions
from tokentui.gitlab.sources import SOURCE_CHOICES

#: Environment variable that moves the config directory (tests, portable setups).
CONFIG_DIR_ENV = "TOKENTUI_CONFIG_DIR"
#: Environment variable that picks the profile when ``--profile`` is not given.
PROFILE_ENV = "TOKENTUI_PROFILE"
#: Environment variables naming a CA bundle, in the order they are honoured.
CA_BUNDLE_ENVS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")

CONFIG_FILE = "config.toml"
DEFAULT_PROFILE = "default"

#: What to tell someone whose server certificate is not trusted.
TLS_HINT = (
    "if the server uses a private certificate authority, give tokentui its CA bundle: "
    "'tokentui auth login --ca-bundle PATH' (profile key 'ca_bundle', or SSL_CERT_FILE)"
)
#: The loud warning for a profile with certificate checks switched off.
VERIFY_OFF_WARNING = (
    "TLS certificate verification is OFF: anyone on the network path can read and change "
    "this traffic, tokens included. Prefer 'ca_bundle'."
)

#: ``refresh_every``: ``90s``, ``15m``, ``1h`` or a number of minutes; at least this often.
MIN_REFRESH_SECONDS = 30
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smh]?)\s*$", re.IGNORECASE)
_INTERVAL_SECONDS = {"s": 1, "": 60, "m": 60, "h": 3600}


def parse_interval(text: str, what: str = "refresh_every") -> int:
    """Seconds of an auto-refresh interval written ``90s``, ``15m``, ``1h`` or ``15``
    (minutes); at least :data:`MIN_REFRESH_SECONDS`. Raises :class:`ConfigError` naming
    ``what``."""
    match = _INTERVAL.match(text)
    if not match:
        raise ConfigError(f"{what}: {text!r} is not an interval; use e.g. 90s, 15m or 1h")
    seconds = int(match.group(1)) * _INTERVAL_SECONDS[match.group(2).lower()]
    if seconds < MIN_REFRESH_SECONDS:
        raise ConfigError(f"{what}: {text!r} is too often; the minimum is {MIN_REFRESH_SECONDS}s")
    return seconds


Storage = Literal["keyring", "file"]
STORAGES: tuple[Storage, ...] = ("keyring", "file")

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConfigError(Exception):
    """The config file or a value in it is unusable. The message is user-ready."""


def config_dir() -> Path:
    """The directory of the config file (and of the opt-in credentials file)."""
    override = os.environ.get(CONFIG_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("tokentui", appauthor=False))


def config_path() -> Path:
    """The profiles file."""
    return config_dir() / CONFIG_FILE


def check_profile_name(name: str) -> str:
    """Return ``name`` if it can name a profile, else raise :class:`ConfigError`."""
    if not _PROFILE_NAME.match(name):
        raise ConfigError(
            f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


def normalize_url(url: str) -> str:
    """The instance URL as tokentui stores it: scheme added (https) when missing, no trailing
    slash, no ``/api/v4``. Raises :class:`ConfigError` for something that is not a URL."""
    text = url.strip()
    if not text:
        raise ConfigError("the GitLab URL is empty")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{url.strip()!r} is not a GitLab URL; expected e.g. https://gitlab.example.com"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            f"{url.strip()!r} has parts a GitLab URL does not take (query, fragment or "
            "credentials); expected e.g. https://gitlab.example.com"
        )
    path = parts.path.rstrip("/")
    if path.endswith("/api/v4"):
        path = path[: -len("/api/v4")]
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{url.strip()!r} has an invalid port number") from None
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}{path}"


def same_instance(a: str, b: str) -> bool:
    """True when two URLs name the same GitLab (after normalisation)."""
    try:
        return normalize_url(a).lower() == normalize_url(b).lower()
    except ConfigError:
        return False


@dataclass(frozen=True)
class Profile:
    """One configured GitLab: URL, TLS options, where its token is stored, who it is."""

    name: str
    url: str
    verify: bool = True
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    default_source: str | None = None
    storage: Storage = "keyring"
    user: str | None = None
    #: The TUI's auto-refresh interval in seconds (``refresh_every``), None: off.
    refresh_every: int | None = None

    @property
    def insecure(self) -> bool:
        """True when certificate verification is switched off."""
        return not self.verify

    def tls_options(self) -> TLSOptions:
        """The TLS settings for a client of this profile (see :func:`tls_options`)."""
        return tls_options(
            verify=self.verify,
            ca_bundle=self.ca_bundle,
            client_cert=self.client_cert,
            client_key=self.client_key,
        )

    def to_toml(self) -> dict[str, object]:
        """The profile's table in the TOML file (no name: it is the table's key)."""
        table: dict[str, object] = {"url": self.url}
        if not self.verify:
            table["verify"] = False
        for key in ("ca_bundle", "client_cert", "client_key"):
            value = getattr(self, key)
            if value is not None:
                table[key] = str(value)
        if self.default_source:
            table["default_source"] = self.default_source
        table["storage"] = self.storage
        if self.user:
            table["user"] = self.user
        if self.refresh_every:
            table["refresh_every"] = f"{self.refresh_every}s"
        return table

    @classmethod
    def from_toml(cls, name: str, table: object, *, where: str) -> Profile:
        """Parse one ``[profiles.NAME]`` table; ``where`` names the file for messages."""
        label = f"profile {name!r} in {where}"
        if not isinstance(table, dict):
            raise ConfigError(f"{label} must be a table ([profiles.{name}])")
        try:
            check_profile_name(name)
        except ConfigError as err:
            raise ConfigError(f"{err} (in {where})") from None
        known = {
            "url",
            "verify",
            "ca_bundle",
            "client_cert",
            "client_key",
            "default_source",
            "storage",
            "user",
            "refresh_every",
        }
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(
                f"{label}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        url = table.get("url")
        if not isinstance(url, str):
            raise ConfigError(f'{label} needs url = "https://..."')
        try:
            url = normalize_url(url)
        except ConfigError as err:
            raise ConfigError(f"{label}: {err}") from None
        verify = table.get("verify", True)
        if not isinstance(verify, bool):
            raise ConfigError(f"{label}: verify must be true or false, not {verify!r}")
        paths: dict[str, Path | None] = {}
        for key in ("ca_bundle", "client_cert", "client_key"):
            value = table.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"{label}: {key} must be a file path")
            paths[key] = Path(value).expanduser() if value else None
        source = table.get("default_source")
        if source is not None and source not in SOURCE_CHOICES:
            raise ConfigError(f"{label}: default_source must be one of {', '.join(SOURCE_CHOICES)}")
        storage = table.get("storage", "keyring")
        if storage not in STORAGES:
            raise ConfigError(f"{label}: storage must be 'keyring' or 'file', not {storage!r}")
        user = table.get("user")
        if user is not None and not isinstance(user, str):
            raise ConfigError(f"{label}: user must be a string")
        refresh = table.get("refresh_every")
        if refresh is not None and not isinstance(refresh, str | int):
            raise ConfigError(f'{label}: refresh_every must be an interval such as "15m"')
        refresh_every = parse_interval(str(refresh), f"{label}: refresh_every") if refresh else None
        return cls(
            refresh_every=refresh_every,
            name=name,
            url=url,
            verify=verify,
            default_source=source,
            storage=storage,
            user=user,
            **paths,
        )


def tls_options(
    *,
    verify: bool = True,
    ca_bundle: Path | None = None,
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> TLSOptions:
    """Build :class:`TLSOptions`: ``verify=False`` wins, then an explicit CA bundle, then
    ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE``, then the default trust store. Every file
    named must exist (raises :class:`ConfigError` saying which)."""
    if client_key is not None and client_cert is None:
        raise ConfigError("client_key is set without client_cert; give both or neither")
    for label, path in (("client certificate", client_cert), ("client key", client_key)):
        if path is not None and not path.is_file():
            raise ConfigError(f"{label} {str(path)!r} does not exist or is not a file")
    if not verify:
        return TLSOptions(verify=False, client_cert=client_cert, client_key=client_key)
    bundle, origin = ca_bundle, "ca_bundle"
    if bundle is None:
        for name in CA_BUNDLE_ENVS:
            value = os.environ.get(name, "").strip()
            if value:
                bundle, origin = Path(value).expanduser(), name
                break
    if bundle is not None and not bundle.is_file():
        raise ConfigError(
            f"CA bundle {str(bundle)!r} (from {origin}) does not exist or is not a file"
        )
    return TLSOptions(
        verify=bundle if bundle is not None else True,
        client_cert=client_cert,
        client_key=client_key,
    )


_VARIABLE_KEY = re.compile(r"\A[A-Za-z0-9_]{1,255}\Z")


@dataclass(frozen=True)
class DeliveryTarget:
    """Where a rotated token's new value goes: a project's or group's CI/CD variable on the
    instance at ``url`` (token ids are per instance). Holds no secret."""

    url: str
    token_id: int
    kind: Literal["project", "group"]
    owner: str
    variable: str
    environment_scope: str | None = None

    @property
    def label(self) -> str:
        """``variable DEPLOY_TOKEN of project platform/api (scope production)``."""
        scope = f" (scope {self.environment_scope})" if self.environment_scope else ""
        return f"variable {self.variable} of {self.kind} {self.owner}{scope}"

    def to_toml(self) -> dict[str, object]:
        """One ``[[deliveries]]`` table."""
        table: dict[str, object] = {
            "url": self.url,
            "token_id": self.token_id,
            self.kind: self.owner,
            "variable": self.variable,
        }
        if self.environment_scope:
            table["environment_scope"] = self.environment_scope
        return table

    @classmethod
    def from_toml(cls, table: object, *, where: str) -> DeliveryTarget:
        """Parse one ``[[deliveries]]`` table; ``where`` names the file for messages."""
        label = f"a [[deliveries]] entry in {where}"
        if not isinstance(table, dict):
            raise ConfigError(f"{label} must be a table")
        known = {"url", "token_id", "project", "group", "variable", "environment_scope"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(f"{label}: unknown key(s) {', '.join(unknown)}")
        url, token_id, variable = table.get("url"), table.get("token_id"), table.get("variable")
        if not isinstance(url, str):
            raise ConfigError(f'{label} needs url = "https://..."')
        if not isinstance(token_id, int) or isinstance(token_id, bool) or token_id < 1:
            raise ConfigError(f"{label} needs token_id = a token id")
        if not isinstance(variable, str) or not _VARIABLE_KEY.match(variable):
            raise ConfigError(f"{label} needs variable = a CI/CD variable key")
        places = [k for k in ("project", "group") if k in table]
        if len(places) != 1 or not isinstance(table[places[0]], str) or not table[places[0]]:
            raise ConfigError(f"{label} needs exactly one of project = ... or group = ...")
        scope = table.get("environment_scope")
        if scope is not None and (not isinstance(scope, str) or not scope):
            raise ConfigError(f"{label}: environment_scope must be a non-empty string")
        kind: Literal["project", "group"] = "project" if places[0] == "project" else "group"
        return cls(normalize_url(url), token_id, kind, table[kind], variable, scope)


@dataclass
class Settings:
    """Every profile and which one is the default. Load with :func:`load_settings`."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None
    path: Path = field(default_factory=config_path)
    #: Delivery targets of rotated values (``tokentui deliver``), at most one per token.
    deliveries: list[DeliveryTarget] = field(default_factory=list)
    #: The hygiene findings' thresholds (``[hygiene]``; defaults when the file has none).
    hygiene: HygieneConfig = field(default_factory=HygieneConfig)

    def default(self) -> Profile | None:
        """The default profile: the named one, else the only one, else None."""
        if self.default_profile and self.default_profile in self.profiles:
            return self.profiles[self.default_profile]
        if len(self.profiles) == 1:
            return next(iter(self.profiles.values()))
        return None

    def get(self, name: str) -> Profile:
        """The profile called ``name``; raises :class:`ConfigError` naming the known ones."""
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none yet"
            raise ConfigError(
                f"no profile named {name!r} (configured: {known}); "
                f"create it with 'tokentui auth login --profile {name}'"
            ) from None

    def find_by_url(self, url: str) -> Profile | None:
        """The profile for this instance URL: the default one if it matches, else the first."""
        default = self.default()
        if default is not None and same_instance(default.url, url):
            return default
        return next((p for p in self.profiles.values() if same_instance(p.url, url)), None)

    def put(self, profile: Profile, *, make_default: bool = False) -> None:
        """Add or replace a profile (in memory; :meth:`save` writes the file)."""
        self.profiles[profile.name] = profile
        if make_default or not self.default_profile:
            self.default_profile = profile.name

    def remove(self, name: str) -> None:
        """Drop a profile; the default moves to the only remaining one, if exactly one."""
        self.profiles.pop(name, None)
        if self.default_profile == name:
            self.default_profile = next(iter(self.profiles)) if len(self.profiles) == 1 else None

    def delivery(self, url: str, token_id: int) -> DeliveryTarget | None:
        """The delivery target of token ``token_id`` on the instance at ``url``."""
        return next(
            (d for d in self.deliveries if d.token_id == token_id and same_instance(d.url, url)),
            None,
        )

    def set_delivery(self, target: DeliveryTarget) -> None:
        """Add or replace the target of ``target.token_id`` (in memory; :meth:`save` writes)."""
        self.unset_delivery(target.url, target.token_id)
        self.deliveries.append(target)

    def unset_delivery(self, url: str, token_id: int) -> DeliveryTarget | None:
        """Drop the target of a token; returns the one dropped, if any."""
        found = self.delivery(url, token_id)
        if found is not None:
            self.deliveries.remove(found)
        return found

    def to_toml(self) -> dict[str, object]:
        """The whole file as a TOML document."""
        doc: dict[str, object] = {}
        if self.default_profile:
            doc["default_profile"] = self.default_profile
        doc["profiles"] = {name: p.to_toml() for name, p in sorted(self.profiles.items())}
        if self.deliveries:
            doc["deliveries"] = [d.to_toml() for d in self.deliveries]
        hygiene = self.hygiene.to_toml()
        if hygiene:
            doc["hygiene"] = hygiene
        return doc

    def save(self) -> None:
        """Write the file atomically (a reader never sees half of it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = tomli_w.dumps(self.to_toml()).encode()
        write_atomic(self.path, data, mode=0o644)


def write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to ``path`` through a temporary file created with ``mode`` and renamed
    over the target, so the file is never partly written nor briefly more readable."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # POSIX; on Windows the user profile's ACLs apply
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_settings(path: Path | None = None) -> Settings:
    """Read the profiles file (a missing file means no profiles). Raises :class:`ConfigError`
    with the file name and the problem when it cannot be used."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(path=path)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None
    where = str(path)
    tables = doc.get("profiles", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"'profiles' in {where} must be a table of [profiles.NAME] tables")
    profiles = {name: Profile.from_toml(name, t, where=where) for name, t in tables.items()}
    default = doc.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"default_profile in {where} must be a profile name")
    if default is not None and default not in profiles:
        raise ConfigError(
            f"default_profile {default!r} in {where} names no profile "
            f"(configured: {', '.join(sorted(profiles)) or 'none'})"
        )
    entries = doc.get("deliveries", [])
    if not isinstance(entries, list):
        raise ConfigError(f"'deliveries' in {where} must be [[deliveries]] tables")
    deliveries = [DeliveryTarget.from_toml(entry, where=where) for entry in entries]
    try:
        hygiene = hygiene_config(doc.get("hygiene", {}), where=where)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    return Settings(
        profiles=profiles,
        default_profile=default,
        path=path,
        deliveries=deliveries,
        hygiene=hygiene,
    )
