"""GitLab's offset pagination: params, slicing and the exact response headers (§1.4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

from tokentui.simulator import errors
from tokentui.simulator.context import Ctx
from tokentui.simulator.params import parse_int

T = TypeVar("T")

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
#: Above this many rows GitLab drops X-Total, X-Total-Pages and rel="last".
MAX_COUNT_LIMIT = 10_000


def page_params(ctx: Ctx) -> tuple[int, int]:
    """``(page, per_page)`` with Kaminari's clamping; ``per_page=0`` is a 400."""
    page = _int_param(ctx, "page", 1)
    per_page = _int_param(ctx, "per_page", DEFAULT_PER_PAGE)
    if per_page == 0:
        raise errors.grape_error("per_page has a value not allowed")
    if per_page < 0:
        per_page = DEFAULT_PER_PAGE
    return max(page, 1), min(per_page, MAX_PER_PAGE)


def _int_param(ctx: Ctx, name: str, default: int) -> int:
    value = ctx.params.raw(name)
    if value is None or value == "":
        return default
    parsed = parse_int(value)
    if parsed is None:
        raise errors.grape_error(f"{name} is invalid")
    return parsed


def paginate(ctx: Ctx, rows: Sequence[T]) -> list[T]:
    """The requested page of ``rows``; sets the pagination headers on ``ctx``."""
    page, per_page = page_params(ctx)
    total = len(rows)
    offset = (page - 1) * per_page
    items = list(rows[offset : offset + per_page])
    counted = total <= MAX_COUNT_LIMIT
    if counted:
        total_pages = -(-total // per_page)
        out_of_range = page > total_pages
        has_next = not out_of_range and page < total_pages
        has_prev = not out_of_range and page > 1
    else:
        total_pages = 0
        has_next = offset + per_page < total
        has_prev = bool(items) and page > 1
    headers = ctx.response_headers
    links = []
    if has_prev:
        links.append(f'<{_page_url(ctx, page - 1, per_page)}>; rel="prev"')
    if has_next:
        links.append(f'<{_page_url(ctx, page + 1, per_page)}>; rel="next"')
    links.append(f'<{_page_url(ctx, 1, per_page)}>; rel="first"')
    if counted:
        links.append(f'<{_page_url(ctx, max(total_pages, 1), per_page)}>; rel="last"')
    headers["Link"] = ", ".join(links)
    headers["X-Next-Page"] = str(page + 1) if has_next else ""
    headers["X-Page"] = str(page)
    headers["X-Per-Page"] = str(per_page)
    headers["X-Prev-Page"] = str(page - 1) if has_prev else ""
    if counted:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(max(total_pages, 1))
    return items


def _page_url(ctx: Ctx, page: int, per_page: int) -> str:
    """The request URL with ``page``/``per_page`` replaced, keys sorted (Rails ``to_query``)."""
    pairs = [
        (k, v)
        for k, v in parse_qsl(ctx.query_string, keep_blank_values=True)
        if k not in ("page", "per_page", "private_token")
    ]
    pairs += [("page", str(page)), ("per_page", str(per_page))]
    pairs.sort(key=lambda kv: kv[0])
    return f"{ctx.base_url}{ctx.raw_path}?{urlencode(pairs)}"
