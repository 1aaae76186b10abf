"""Kinds and resources on the command line (issue 13): ``--sort kind|resource`` and the
``kind``/``resource`` fields of ``list --json/--csv``, against the served simulator."""

from __future__ import annotations

import csv
import io

from test_cli import cli  # noqa: F401  (the fixture)

KIND_ORDER = ["personal", "impersonation", "project", "group", "service_account", "deploy"]


def test_list_sorts_by_kind_and_by_resource(cli) -> None:  # noqa: F811
    rows = cli("list", "--all", "--sort", "kind", "--json").json()
    ranks = [KIND_ORDER.index(r["kind"]) if r["kind"] else 99 for r in rows]
    assert ranks == sorted(ranks) and len(set(ranks)) >= 3
    rows = cli("list", "--all", "--sort", "resource", "--json").json()

    def place(row: dict) -> str:
        return (row["resource"] or row["owner"] or "\U0010ffff").casefold()

    assert [place(r) for r in rows] == sorted(place(r) for r in rows)
    rows = cli("list", "--all", "--sort", "kind", "--reverse", "--json").json()
    ranks = [KIND_ORDER.index(r["kind"]) if r["kind"] else 99 for r in rows]
    assert ranks == sorted(ranks, reverse=True)


def test_list_csv_keeps_every_field_and_has_kind_and_resource(cli) -> None:  # noqa: F811
    text = cli("list", "--project", "platform/api", "--csv").out
    table = list(csv.DictReader(io.StringIO(text)))
    assert table and {"id", "name", "kind", "resource", "owner", "expires_at"} <= set(table[0])
    assert {row["kind"] for row in table} == {"project"}
    assert {row["resource"] for row in table} == {"platform/api"}
