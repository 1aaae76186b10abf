"""``tokentui digest`` (issue 15): the expiry report for cron mail, in process against the real
simulator (clocks frozen at ``FROZEN_NOW``, Monday 2026-11-23 12:00 UTC), one test per format
plus grouping, the window, and escaping."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from cli_helpers import Run, clean_environment, run_tokentui
from conftest import FROZEN_NOW, SimFactory

from tokentui.cli.commands import digest
from tokentui.core.digest import (
    DigestFinding,
    GroupBy,
    build,
    render_html,
    render_markdown,
    render_text,
)
from tokentui.core.expiry import FrozenClock
from tokentui.simulator import Simulator

TODAY = FROZEN_NOW.date()
CAROL, DAVE = 4, 5


@pytest.fixture
def sim(sim_factory: SimFactory) -> Simulator:
    return sim_factory(clock=lambda: FROZEN_NOW, tokens=3)


@pytest.fixture
def run(sim, tmp_path, monkeypatch, capsys):
    clean_environment(monkeypatch, tmp_path / "config")
    monkeypatch.setattr(digest, "clock", FrozenClock(FROZEN_NOW))

    def invoke(*argv: str) -> Run:
        return run_tokentui(monkeypatch, capsys, argv, url=sim.url, token=sim.admin_token)

    return invoke


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def issue(sim: Simulator, user: int, name: str, expires_at: date | None, **kw) -> int:
    value = sim.issue_token(user, name=name, scopes=("api",), expires_at=expires_at, **kw)
    return sim.token_record(value).id


@pytest.fixture
def tokens(sim: Simulator) -> dict[str, int]:
    ids = {
        "carol-soon": issue(sim, CAROL, "carol-soon", days(2)),
        "carol-later": issue(sim, CAROL, "carol-later", days(10)),
        "dave-mid": issue(sim, DAVE, "dave-mid", days(8)),
        "dave-far": issue(sim, DAVE, "dave-far", days(60)),
        "dave-never": issue(sim, DAVE, "dave-never", None),
        "dave-revoked": issue(sim, DAVE, "dave-revoked", days(3), revoked=True),
        "dave-expired": issue(sim, DAVE, "dave-expired", days(-1)),
    }
    return ids


def test_text(run, tokens) -> None:
    result = run("digest", "--all", "--within", "30d", "--no-findings")
    assert result.code == 0, result.err
    c1, c2, d1 = tokens["carol-soon"], tokens["carol-later"], tokens["dave-mid"]
    assert result.out == (
        "GitLab tokens expiring within 30d: 3 (all tokens)\n"
        "as of 2026-11-23 12:00 UTC\n"
        "\n"
        "@carol (2)\n"
        "  week of 2026-11-23 (2026-W48)\n"
        f"    - carol-soon: expires 2026-11-25 (1d left); personal token {c1}; scopes api\n"
        "  week of 2026-11-30 (2026-W49)\n"
        f"    - carol-later: expires 2026-12-03 (9d left); personal token {c2}; scopes api\n"
        "\n"
        "@dave (1)\n"
        "  week of 2026-11-30 (2026-W49)\n"
        f"    - dave-mid: expires 2026-12-01 (7d left); personal token {d1}; scopes api\n"
    )


def test_markdown(run, tokens) -> None:
    result = run("digest", "--all", "--within", "9d", "--format", "markdown", "--no-findings")
    assert result.code == 0
    c1, d1 = tokens["carol-soon"], tokens["dave-mid"]
    assert result.out == (
        "# GitLab tokens expiring within 9d: 2 (all tokens)\n"
        "\n"
        "_as of 2026-11-23 12:00 UTC_\n"
        "\n"
        "## @carol (1)\n"
        "\n"
        "### week of 2026-11-23 (2026-W48)\n"
        "\n"
        f"- **carol-soon**: expires 2026-11-25 (1d left); personal token {c1}; scopes api\n"
        "\n"
        "## @dave (1)\n"
        "\n"
        "### week of 2026-11-30 (2026-W49)\n"
        "\n"
        f"- **dave-mid**: expires 2026-12-01 (7d left); personal token {d1}; scopes api\n"
    )


def test_markdown_escapes_names(sim: Simulator, run) -> None:
    issue(sim, CAROL, "*bold* [link](http://x) <b> `code` a|b", days(5))
    result = run("digest", "--all", "--format", "markdown", "--no-findings")
    assert "- **\\*bold\\* \\[link\\](http://x) \\<b\\> \\`code\\` a\\|b**:" in result.out


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:  # type: ignore[no-untyped-def]
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_escaped(sim: Simulator, run) -> None:
    hostile = '<script>alert("x")</script> & <b>'
    issue(sim, CAROL, hostile, days(5))
    result = run("digest", "--all", "--format", "html", "--no-findings")
    assert result.code == 0
    assert "<script>" not in result.out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in result.out
    parsed = _Collect()
    parsed.feed(result.out)
    assert "script" not in parsed.tags
    assert parsed.tags.count("li") == 1
    assert any(hostile in piece for piece in parsed.text)  # the name reads back as it was
    assert result.out.startswith("<!DOCTYPE html>\n")
    assert result.out.rstrip().endswith("</body></html>")


def test_group_by_resource_and_nothing_to_say(sim: Simulator, run) -> None:
    sim.issue_resource_token("project", 1, name="ci-bot", scopes=["api"], expires_at=days(4))
    by_resource = run(
        "digest", "--project", "platform/api", "--group-by", "resource", "--no-findings"
    )
    assert by_resource.code == 0
    assert "platform/api (1)\n" in by_resource.out
    assert "    - ci-bot: expires 2026-11-27 (3d left); project token" in by_resource.out
    empty = run("digest", "--mine", "--within", "1d", "--no-findings")
    assert empty.code == 0
    assert empty.out.splitlines()[-1] == "Nothing expires within 1d."


def test_bad_arguments(run) -> None:
    bad = run("digest", "--within", "soon")
    assert bad.code == 2 and "--within" in bad.err
    assert run("digest", "--format", "pdf").code == 2


def test_findings_hook_lists_what_it_is_given(sim: Simulator) -> None:
    """The section core/hygiene.py's findings go to (left out when given none)."""
    findings = [DigestFinding("token 7 'ci'", "never used, 200 days old", "@carol")]
    digest_ = build([], now=FROZEN_NOW, within=timedelta(days=30), group_by=GroupBy.OWNER,
                    source="all", findings=findings)  # fmt: skip
    assert render_text(digest_).splitlines()[-2:] == [
        "Hygiene findings (1)",
        "  - token 7 'ci': never used, 200 days old",
    ]
    assert "## Hygiene findings \\(1\\)" not in render_markdown(digest_)
    assert "## Hygiene findings (1)" in render_markdown(digest_)
    assert "<h2>Hygiene findings (1)</h2>" in render_html(digest_)
    plain = build([], now=FROZEN_NOW, within=timedelta(days=30))
    assert "Hygiene" not in render_text(plain)
