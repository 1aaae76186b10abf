"""Delivering a rotated value to the CI/CD variable that uses it (gitlab-api.md §7.6).

A token may have a delivery target (:class:`~tokentui.core.config.DeliveryTarget`, kept in the
config file, no secret in it). After a rotate, :func:`deliver` writes the new value with
``PUT …/variables/:key`` (the value only, so masked, protected, raw, type and environment scope
stay), reads the variable back and compares without showing anything, and reports. A hidden
variable cannot be read back: the report says the write was accepted but not checked.
:func:`plan` is the dry run (reads only). :func:`follow_rotation` moves the target to the new
token id (a rotate makes a new token). Both fronts use these; neither prints a value here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from pydantic import SecretStr

from tokentui.core import config
from tokentui.core.config import DeliveryTarget
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import GitLabError, NotFound, OutcomeUnknown
from tokentui.gitlab.models import NewToken, Variable
from tokentui.gitlab.variables import VariableOwner


class Delivered(StrEnum):
    """How a delivery ended."""

    VERIFIED = "delivered"  # written, read back, same value and flags
    UNVERIFIED = "written, not checked"  # written (GitLab said yes); a hidden variable
    FAILED = "failed"  # not written (or written wrong): the value must be kept by hand
    UNKNOWN = "unknown"  # the answer to the write was lost and the read-back could not tell


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What happened to one target; ``message`` is a user-ready sentence (no value)."""

    #: None only when the config file could not be read.
    target: DeliveryTarget | None
    result: Delivered
    message: str

    @property
    def landed(self) -> bool:
        """GitLab holds the new value (checked, or said yes to a write that cannot be read)."""
        return self.result in (Delivered.VERIFIED, Delivered.UNVERIFIED)


def owner_of(target: DeliveryTarget) -> VariableOwner:
    """The project or group of a target, as the API layer names it."""
    return VariableOwner(target.kind, target.owner)


def _flags(variable: Variable) -> tuple[object, ...]:
    return (
        variable.masked,
        variable.protected,
        variable.hidden,
        variable.raw,
        variable.variable_type,
        variable.environment_scope,
    )


def _flag_words(variable: Variable) -> str:
    words = [w for w, on in (("masked", variable.masked), ("protected", variable.protected)) if on]
    if variable.hidden:
        words.append("hidden")
    words.append(f"scope {variable.environment_scope}")
    return ", ".join(words)


def same_value(variable: Variable, value: SecretStr) -> bool:
    """Whether the variable holds ``value`` (constant-time; nothing is shown)."""
    if variable.value is None:
        return False
    return hmac.compare_digest(
        variable.value.get_secret_value().encode(), value.get_secret_value().encode()
    )


async def _read(client: GitLabClient, target: DeliveryTarget) -> Variable:
    return await client.get_variable(
        owner_of(target), target.variable, environment_scope=target.environment_scope
    )


async def plan(client: GitLabClient, target: DeliveryTarget) -> DeliveryReport:
    """The dry run: read the variable (GET only) and say what a rotate would write there."""
    try:
        current = await _read(client, target)
    except GitLabError as err:
        return DeliveryReport(
            target,
            Delivered.FAILED,
            f"would write the new value to {target.label}, but it cannot be read now: {_said(err)}",
        )
    check = (
        "it is hidden, so the write could not be read back"
        if current.hidden
        else "then read it back to check"
    )
    return DeliveryReport(
        target,
        Delivered.VERIFIED,
        f"would write the new value to {target.label} ({_flag_words(current)}, kept) and {check}",
    )


async def deliver(client: GitLabClient, target: DeliveryTarget, value: SecretStr) -> DeliveryReport:
    """Write ``value`` to the target's variable (one ``PUT``, never repeated) and check it."""
    try:
        before = await _read(client, target)
    except GitLabError as err:
        return _failed(target, f"the variable could not be read: {_said(err)}")
    try:
        await client.update_variable(
            owner_of(target), target.variable, value, environment_scope=target.environment_scope
        )
    except OutcomeUnknown as err:
        return await _after_lost_answer(client, target, value, before, err)
    except GitLabError as err:
        return _failed(target, f"GitLab refused the write: {_said(err)}")
    if before.hidden:
        return DeliveryReport(
            target,
            Delivered.UNVERIFIED,
            f"wrote the new value to {target.label}; it is a hidden variable, whose value "
            "GitLab never shows, so it could not be read back to check",
        )
    return await _check(client, target, value, before)


async def _check(
    client: GitLabClient, target: DeliveryTarget, value: SecretStr, before: Variable
) -> DeliveryReport:
    try:
        after = await _read(client, target)
    except GitLabError as err:
        return DeliveryReport(
            target,
            Delivered.UNVERIFIED,
            f"wrote the new value to {target.label} (GitLab said yes), but reading it back "
            f"failed: {_said(err)}",
        )
    if not same_value(after, value):
        return _failed(target, "after the write it does not hold the new value")
    if _flags(after) != _flags(before):
        return DeliveryReport(
            target,
            Delivered.VERIFIED,
            f"delivered to {target.label} and checked, but its settings changed "
            f"(now {_flag_words(after)}; before {_flag_words(before)})",
        )
    return DeliveryReport(
        target,
        Delivered.VERIFIED,
        f"delivered to {target.label} ({_flag_words(after)}) and checked: it holds the new value",
    )


async def _after_lost_answer(
    client: GitLabClient,
    target: DeliveryTarget,
    value: SecretStr,
    before: Variable,
    err: OutcomeUnknown,
) -> DeliveryReport:
    """The write's answer was lost: read back (never write again)."""
    if before.hidden:
        return DeliveryReport(
            target,
            Delivered.UNKNOWN,
            f"the answer to the write to {target.label} was lost ({err.message}), and a hidden "
            "variable cannot be read back: keep the value",
        )
    try:
        after = await _read(client, target)
    except (GitLabError, NotFound) as read_err:
        return DeliveryReport(
            target,
            Delivered.UNKNOWN,
            f"the answer to the write to {target.label} was lost, and reading it back failed "
            f"({_said(read_err)}): keep the value",
        )
    if same_value(after, value):
        return DeliveryReport(
            target,
            Delivered.VERIFIED,
            f"delivered to {target.label}: the answer was lost, but reading it back shows the "
            "new value",
        )
    return _failed(target, "the answer to the write was lost and it does not hold the new value")


def _said(err: GitLabError) -> str:
    """The error's own sentence, without its closing full stop (it goes inside another)."""
    return err.message.rstrip(".")


def _failed(target: DeliveryTarget, why: str) -> DeliveryReport:
    return DeliveryReport(target, Delivered.FAILED, f"delivery to {target.label} failed: {why}")


def target_for(url: str, token_id: int) -> DeliveryTarget | None:
    """The configured target of token ``token_id`` on the instance at ``url``, if any."""
    return config.load_settings().delivery(url, token_id)


def follow_rotation(target: DeliveryTarget, new_id: int) -> DeliveryTarget:
    """Move the target to the token a rotate made (GitLab gives it a new id); saved."""
    settings = config.load_settings()
    settings.unset_delivery(target.url, target.token_id)
    moved = DeliveryTarget(
        target.url, new_id, target.kind, target.owner, target.variable, target.environment_scope
    )
    settings.set_delivery(moved)
    settings.save()
    return moved


async def deliver_rotated(
    client: GitLabClient, old_id: int, new: NewToken
) -> DeliveryReport | None:
    """The delivery step after a rotate of token ``old_id`` into ``new`` (both fronts): None
    when the token has no target; else deliver, and the target follows the new token id."""
    try:
        target = target_for(client.base_url, old_id)
    except config.ConfigError as err:
        return DeliveryReport(
            None, Delivered.FAILED, f"the delivery targets could not be read: {err}"
        )
    if target is None:
        return None
    report = await deliver(client, target, new.token)
    try:
        follow_rotation(target, new.id)
    except (config.ConfigError, OSError) as err:
        return DeliveryReport(
            target,
            report.result,
            f"{report.message}; the target could not be moved to token {new.id} in the config "
            f"file ({err}): run tokentui deliver set {new.id} again",
        )
    return report
