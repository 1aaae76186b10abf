"""The monitoring commands (``check``, ``export``, ``digest``, ``audit``) take ``--everything``
and ``--kind`` as ``list`` does (one loading, ``cli/commands/token_loading.py``): the same rows,
an incomplete scan said on stderr and in each command's own terms."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from test_cli import Run, cli  # noqa: F401 (the fixture)

from tokentui.core.monitoring import SCAN_ERRORS


def everything_ids(cli, sim, *, revoked: bool = False) -> set[tuple[str, int]]:  # noqa: F811
    """(kind, id) of every row ``list --everything`` prints (revoked ones only if asked)."""
    rows = cli("list", "--everything", "--json", token=sim.maintainer_token).json()
    assert isinstance(rows, list)
    return {(r["kind"], r["id"]) for r in rows if revoked or not r["revoked"]}


def samples(text: str, name: str) -> list:
    return [
        s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def test_export_everything_has_every_row_of_the_scan(cli, sim) -> None:  # noqa: F811
    result = cli("export", "--format", "prometheus", "--everything", token=sim.maintainer_token)
    assert result.code == 0, result.err
    got = {
        (s.labels["kind"], int(s.labels["id"]))
        for s in samples(result.out, "gitlab_token_days_remaining")
    }
    assert got == everything_ids(cli, sim, revoked=True)  # export keeps revoked ones, labelled
    assert {s.labels["kind"] for s in samples(result.out, "gitlab_token_days_remaining")} >= {
        "deploy",
        "project",
    }
    [errors] = samples(result.out, SCAN_ERRORS)
    assert errors.value == 0


def test_an_incomplete_scan_counts_as_scan_errors_and_check_says_unknown(cli, sim) -> None:  # noqa: F811
    sim.faults.proxy_error("GET", r"/projects/2/deploy_tokens", status=503, times=None)
    exported = cli("export", "--format", "prometheus", "--everything", token=sim.maintainer_token)
    assert exported.code == 0 and "1 problem" in exported.err
    [errors] = samples(exported.out, SCAN_ERRORS)
    assert errors.value == 1
    # Nothing of bob's expires within 2 hours or expired within the last: OK for what was
    # read, yet the scan is incomplete.
    checked = cli(
        "check",
        "--everything",
        "--warn",
        "2h",
        "--crit",
        "1h",
        "--expired-within",
        "1h",
        token=sim.maintainer_token,
    )
    assert checked.code == 3, checked.out
    assert checked.out.startswith("TOKENS UNKNOWN - the scan could not read 1 place")
    assert "project platform/web" in checked.err


def test_check_and_audit_take_kind_and_everything(cli, sim) -> None:  # noqa: F811
    checked = cli(
        "check",
        "--everything",
        "--kind",
        "deploy",
        "--warn",
        "400d",
        "--crit",
        "1h",
        token=sim.maintainer_token,
    )
    deploy_rows = {i for kind, i in everything_ids(cli, sim) if kind == "deploy"}
    assert deploy_rows and checked.code in (0, 1, 2), checked.out
    assert all("deploy" in line for line in checked.out.splitlines()[1:]), checked.out
    audited = cli("audit", "--everything", "--json", token=sim.maintainer_token)
    assert audited.code in (0, 1), audited.err
    records = audited.json()
    assert isinstance(records, list)
    kinds = {r["kind"] for r in records}
    assert kinds <= {"personal", "project", "group", "deploy", "service_account"}


def test_digest_everything_lists_the_hygiene_findings(cli, sim) -> None:  # noqa: F811
    result = cli("digest", "--everything", "--within", "400d", token=sim.maintainer_token)
    assert result.code == 0, result.err
    audited = cli("audit", "--everything", "--json", token=sim.maintainer_token).json()
    assert isinstance(audited, list) and audited
    assert f"Hygiene findings ({len(audited)})" in result.out
    first = audited[0]
    assert f"{first['name']} (token {first['id']})" in result.out
