"""The token detail: every field of one token, scopes in full with their meanings.

Used as the pane under the table (it follows the cursor) and inside the full detail screen.
All server text goes in as ``rich.text.Text`` (never parsed as markup) after ``clean``.
"""

from __future__ import annotations

import io
from datetime import datetime

from rich.console import Console, RenderableType
from rich.console import Group as RenderGroup
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from tokentui.core.expiry import band, format_ago, format_countdown, token_state
from tokentui.gitlab.models import Associations, Token
from tokentui.gitlab.scopes import ACCESS_LEVELS, SCOPE_MEANINGS
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.widgets.token_table import IN_USE_MARK, RowContext

_STATE_STYLE = {"active": "bold green", "expired": "bold yellow", "revoked": "bold red"}
_BAND_STYLE = {
    "revoked": "dim",
    "expired": "red",
    "under-1-day": "bold white on red",
    "under-7-days": "dark_orange",
    "under-30-days": "yellow",
    "under-60-days": "cyan",
    "later": "green",
    "never": "dim",
}


def _when(moment: datetime | None, now: datetime) -> Text:
    if moment is None:
        return Text("never", style="dim")
    stamp = moment.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M UTC")
    return Text.assemble(stamp, (f" · {format_ago(moment, now)}", "dim"))


def render_detail(
    token: Token,
    ctx: RowContext,
    *,
    associations: Associations | None = None,
    associations_error: str | None = None,
) -> RenderableType:
    """A renderable with every field of ``token`` at the context's clock."""
    now = ctx.clock()
    state = token_state(token, now)
    in_use = token.key == ctx.self_token_id

    title = Text(clean(token.name), style="bold")
    if in_use:
        title.append(f"   {IN_USE_MARK} in use by tokentui", style="bold magenta")

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_row("id", Text(str(token.id)))
    grid.add_row("kind", Text(ctx.kind_label(token)))
    grid.add_row("owner", Text(ctx.owner(token) or "-"))
    if token.username:
        grid.add_row("username", Text(clean(token.username)))
    location = ctx.location(token)
    grid.add_row("lives in", Text(clean(location.where)))
    if location.url:
        grid.add_row("settings", Text.assemble(clean(location.url), ("  (o opens)", "dim")))
    else:
        grid.add_row("settings", Text("looking up…", style="dim"))
    if token.description:
        grid.add_row("description", Text(clean(token.description)))
    grid.add_row("state", Text(state, style=_STATE_STYLE[state]))
    if token.expires_at is None:
        grid.add_row("expires", Text("never", style="dim"))
    else:
        grid.add_row("expires", Text(f"{token.expires_at.isoformat()} (00:00 UTC)"))
    grid.add_row(
        "countdown", Text(format_countdown(token, now), style=_BAND_STYLE[band(token, now).value])
    )
    if token.created_at is None and token.is_deploy:
        grid.add_row("created", Text("not known (GitLab does not say for deploy tokens)", "dim"))
    else:
        grid.add_row("created", _when(token.created_at, now))
    last_used = _when(token.last_used_at, now)
    if token.last_used_ips:
        last_used.append(" · from " + ", ".join(clean(ip) for ip in token.last_used_ips))
    grid.add_row("last used", last_used)
    if token.access_level is not None:
        level = ACCESS_LEVELS.get(token.access_level, "custom")
        grid.add_row("access level", Text(f"{level} ({token.access_level})"))

    scopes = Table.grid(padding=(0, 2))
    scopes.add_column(style="bold", no_wrap=True)
    scopes.add_column(style="dim")
    for scope in token.scopes:
        scopes.add_row(Text(clean(scope)), Text(SCOPE_MEANINGS.get(scope, "unknown scope")))
    if not token.scopes:
        scopes.add_row(Text("(none)"), Text(""))

    parts: list[RenderableType] = [title]
    findings = ctx.findings(token, now)
    if findings and ctx.hygiene is not None:
        # First, under the name: what to do about the token (the pane has a fixed height).
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold yellow", no_wrap=True)
        table.add_column()
        for finding in findings:
            table.add_row(
                Text(f"{finding.flag} {finding.label}"),
                Text(ctx.hygiene.explain(token, finding, now), style="dim"),
            )
        parts.append(table)
    parts += [grid, Text("scopes", style="dim"), scopes]
    if in_use:
        parts.append(Text("reaches (self/associations)", style="dim"))
        if associations_error:
            parts.append(Text(f"  {associations_error}", style="yellow"))
        elif associations is None:
            parts.append(Text("  loading…", style="dim"))
        else:
            groups = ", ".join(clean(g.name) for g in associations.groups) or "none"
            projects = (
                ", ".join(clean(p.path_with_namespace or p.name) for p in associations.projects)
                or "none"
            )
            parts.append(Text.assemble(("  groups   ", "dim"), groups))
            parts.append(Text.assemble(("  projects ", "dim"), projects))
    return RenderGroup(*parts)


class TokenDetail(Widget, can_focus=False):
    """Every field of one token; ``refresh_time`` re-renders on clock ticks.

    As the pane under the table it has a fixed height (what does not fit is in the full
    detail, ``enter``), so re-rendering never needs a layout pass: the cursor moves and the
    filter is typed without one. With ``auto_height`` (the full detail screen, inside a
    scrolling container) it grows with its content.
    """

    def __init__(self, context: RowContext, *, auto_height: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.auto_height = auto_height
        self.token: Token | None = None
        self.associations: Associations | None = None
        self.associations_error: str | None = None
        self._renderable: RenderableType = Text("")

    def render(self) -> RenderableType:
        return self._renderable

    def show(self, token: Token | None) -> None:
        """Show ``token`` (None: an empty hint); nothing to do when it is already shown."""
        if token is self.token and token is not None:
            return
        self.token = token
        self.refresh_time(layout=True)

    def refresh_time(self, *, layout: bool = False) -> None:
        """Re-render at the clock's current time (``layout``: the content's height may have
        changed; only matters with ``auto_height``)."""
        if self.token is None:
            self._renderable = Text("no token selected", style="dim")
        else:
            self._renderable = render_detail(
                self.token,
                self.context,
                associations=self.associations,
                associations_error=self.associations_error,
            )
        self.refresh(layout=layout and self.auto_height)

    @property
    def plain_text(self) -> str:
        """What the detail shows, as plain text (tests, accessibility)."""
        console = Console(width=max(self.size.width, 80), record=True, file=io.StringIO())
        console.print(self._renderable)
        return console.export_text()
