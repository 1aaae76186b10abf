"""GitLab's error answers, as exceptions the handlers raise and the app renders.

Two body shapes (gitlab-api.md §1.2): Grape validation ``{"error": ...}`` and GitLab's own
``{"message": ...}``; plus the OAuth-style ``invalid_token`` / ``insufficient_scope`` bodies.
"""

from __future__ import annotations

from typing import Any

EXPIRED_DESCRIPTION = "Token is expired. You can either do re-authorization or token refresh."
REVOKED_DESCRIPTION = "Token was revoked. You have to re-authorize from the user."
INSUFFICIENT_DESCRIPTION = (
    "The request requires higher privileges than provided by the access token."
)


class ApiError(Exception):
    """An HTTP error answer: ``status``, JSON ``body`` and extra ``headers``."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body!r}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def grape_error(message: str, status: int = 400) -> ApiError:
    """Grape parameter error: ``{"error": message}``."""
    return ApiError(status, {"error": message})


def message_error(status: int, message: Any) -> ApiError:
    """GitLab ``render_api_error!``: ``{"message": message}``."""
    return ApiError(status, {"message": message})


def unauthorized() -> ApiError:
    """``unauthorized!``."""
    return message_error(401, "401 Unauthorized")


def forbidden(reason: str | None = None) -> ApiError:
    """``forbidden!``."""
    return message_error(403, f"403 Forbidden - {reason}" if reason else "403 Forbidden")


def bad_request(reason: str | None = None) -> ApiError:
    """``bad_request!`` (note GitLab's lower-case "request")."""
    return message_error(400, f"400 Bad request - {reason}" if reason else "400 Bad request")


def not_found(resource: str | None = None) -> ApiError:
    """``not_found!``: ``404 <resource> Not Found``."""
    return message_error(404, f"404 {resource} Not Found" if resource else "404 Not Found")


def record_not_found() -> ApiError:
    """``ActiveRecord::RecordNotFound`` (lower-case "found")."""
    return message_error(404, "404 Not found")


def not_allowed() -> ApiError:
    """``not_allowed!``."""
    return message_error(405, "405 Method Not Allowed")


def _invalid_token(description: str) -> ApiError:
    header = f'Bearer realm="The API", error="invalid_token", error_description="{description}"'
    return ApiError(
        401,
        {"error": "invalid_token", "error_description": description},
        {"WWW-Authenticate": header},
    )


def token_expired() -> ApiError:
    """401 for an expired credential."""
    return _invalid_token(EXPIRED_DESCRIPTION)


def token_revoked() -> ApiError:
    """401 for a revoked credential."""
    return _invalid_token(REVOKED_DESCRIPTION)


def insufficient_scope(required: tuple[str, ...]) -> ApiError:
    """403 when the credential lacks every scope the endpoint accepts."""
    scope = " ".join(required)
    header = (
        f'Bearer realm="The API", error="insufficient_scope", '
        f'error_description="{INSUFFICIENT_DESCRIPTION}", scope="{scope}"'
    )
    return ApiError(
        403,
        {
            "error": "insufficient_scope",
            "error_description": INSUFFICIENT_DESCRIPTION,
            "scope": scope,
        },
        {"WWW-Authenticate": header},
    )
