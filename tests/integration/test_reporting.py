"""Reporting through the real broker and shovels: a Mission's indicators, submissions, exports, and
InterMire's sector tables built only from the sector events that reached /intermire."""

from __future__ import annotations

import base64
import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from reporting.catalogue import SECTOR_NEEDS

from contracts.catalogue import of_audience
from kit.actor import Actor
from kit.errors import Conflict, Forbidden, ValidationFailed
from runtime.demo import DemoFactory
from tests.harness import wait_until

pytestmark = pytest.mark.integration
YEAR = date.today().year - 1
DIRECTOR = Actor("dora.director", "mirec", ("director",))
OTHER_DIRECTOR = Actor("paul.director", "mirec", ("director",))


def assert_minimal_at_intermire(platform, special: str) -> None:
    """What the Missions sent InterMire, and what it stores, is what its indicator catalogue needs: no more."""
    sector = set(of_audience("sector"))
    sent = [
        p
        for p in map(json.loads, platform.scalar_all("mirec", "beneficiary", "SELECT payload FROM outbox"))
        if p["type"] in sector and p.get("dataschema", "").startswith("urn:passerelle:schema:sector:")
    ]
    assert {p["type"] for p in sent} == {"be.mire.beneficiary.registered.v1", "be.mire.beneficiary.contract_signed.v1"}
    for payload in sent:
        assert set(payload["data"]) == SECTOR_NEEDS[payload["type"]], payload["type"]

    def stored() -> list:
        engine = platform.engine("intermire", "reporting")
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text("SELECT type, pseudonym, data FROM sector_fact")).all())
        finally:
            engine.dispose()

    # 14 registrations (13 people, one at two Missions) and 3 contracts
    facts = wait_until(lambda: len(rows := stored()) == 17 and rows, what="InterMire's fact log")
    for kind, _, data in facts:
        data = json.loads(data) if isinstance(data, str) else data
        assert set(data) | {"pseudonym"} == SECTOR_NEEDS[kind], kind
    pseudonym = platform.scalar("mirec", "beneficiary", "SELECT pseudonym FROM beneficiary WHERE id = :id", id=special)
    groups = [json.loads(d) if isinstance(d, str) else d for _, p, d in facts if p == pseudonym]
    assert [d["target_groups"] for d in groups] == [["disability", "single_parent"]] * 2  # registered, contract


def test_mission_and_sector_indicators_from_events(platform):
    # The employer service answers whether a contract's employer exists (kit.references).
    platform.start("mirec", services=["beneficiary", "reporting", "employer"])
    platform.start("mirena", services=["beneficiary", "reporting"])
    platform.start("intermire")
    factory = DemoFactory(seed=77)
    at_mirec = []
    for i in range(8):
        person = factory.beneficiary(registered_on=date(YEAR, 1 + i % 3, 10))
        if i == 1:  # two special categories: InterMire's catalogue names a legal basis for one, disability
            person["target_groups"] = [
                {"group": g, "evidence": "attestation", "since": date(YEAR, 1, 2).isoformat()}
                for g in ("justice_measure", "disability", "single_parent")
            ]
        at_mirec.append((person, platform.rpc("mirec", "beneficiary", "register", person)["id"]))
    shared = at_mirec[0][0]  # also followed by MIRENA: one person, counted once sector-wide
    platform.rpc("mirena", "beneficiary", "register", dict(shared, registered_on=date(YEAR, 2, 1).isoformat()))
    for i in range(5):
        platform.rpc("mirena", "beneficiary", "register", factory.beneficiary(registered_on=date(YEAR, 3, 1 + i)))
    for _, ref in at_mirec[:3]:
        platform.rpc(
            "mirec",
            "beneficiary",
            "record_contract",
            ref,
            {
                "signed_on": date(YEAR, 4, 2).isoformat(),
                "employer_id": platform.new_employer("mirec"),
                "contract_type": "permanent",
                "hours_per_week": 38,
            },
        )

    # The Mission's own figures, from its internal events.
    q1 = wait_until(
        lambda: (r := platform.rpc("mirec", "reporting", "headline", f"{YEAR}-Q1"))["indicators"]["entries"] == 8 and r,
        what="MIREC's entries",
    )["indicators"]
    assert q1["people_accompanied"] == 8 and q1["first_contracts"] == 0
    year = wait_until(
        lambda: (
            (r := platform.rpc("mirec", "reporting", "headline", str(YEAR)))["indicators"]["first_contracts"] == 3 and r
        ),
        what="MIREC's contracts",
    )["indicators"]
    assert year["people_accompanied"] == 8
    by_gender = platform.rpc("mirec", "reporting", "indicator", "entries", str(YEAR), "gender")
    assert sum(by_gender["cells"].values()) == 8

    # InterMire: only what the shovels carried; the shared person counts once in the sector total.
    wait_until(
        lambda: platform.rpc("intermire", "reporting", "sector_indicators")["people"] == 13,
        what="the sector events at InterMire",
    )
    assert_minimal_at_intermire(platform, special=at_mirec[1][1])
    table = platform.rpc("intermire", "reporting", "sector_table", "people_accompanied", str(YEAR), None)
    assert table["missions"]["mirec"]["total"] == 8 and table["missions"]["mirena"]["total"] == 6
    assert table["sector"]["total"] == 13
    by_gender = platform.rpc("intermire", "reporting", "sector_table", "people_accompanied", str(YEAR), "gender")
    shown = [
        v
        for row in [*by_gender["missions"].values(), by_gender["sector"]]
        for v in [*row["cells"].values(), row["total"]]
        if v is not None
    ]
    assert shown and all(v == 0 or v >= 5 for v in shown)  # nothing published below the threshold

    # Submissions: submitted, approved by someone else, then locked.
    submitted = platform.rpc("mirec", "reporting", "submit_period", str(YEAR), actor=DIRECTOR)
    assert submitted["figures"]["entries"]["total"] == 8
    platform.rpc("mirec", "reporting", "approve_submission", str(YEAR), 1, actor=OTHER_DIRECTOR)
    with pytest.raises(Conflict):
        platform.rpc("mirec", "reporting", "submit_period", str(YEAR), actor=DIRECTOR)
    # InterMire hears of it through the Mission's to-sector shovel: who has submitted, which version is approved.
    seen = wait_until(
        lambda: (
            (r := platform.rpc("intermire", "reporting", "sector_submissions", str(YEAR)))
            and any(m["mission"] == "mirec" and m["status"] == "approved" for m in r["missions"])
            and r
        ),
        what="MIREC's approval at InterMire",
    )
    by_mission = {m["mission"]: m for m in seen["missions"]}
    assert by_mission["mirec"]["approved_version"] == 1 and by_mission["mirec"]["versions"][0]["changed"] == []
    assert by_mission["mirena"]["status"] == "missing"

    # Two breakdowns: MIREC's Mission rows are not asked, the sector's age band × gender is protected as a whole.
    cross = platform.rpc(
        "intermire", "reporting", "sector_table", "people_accompanied", str(YEAR), "gender", "age_band"
    )
    assert cross["rows"] == "age_band" and cross["margin"]["total"] == 13
    shown = [v for row in [*cross["lines"].values(), cross["margin"]] for v in [*row["cells"].values(), row["total"]]]
    assert all(v is None or v == 0 or v >= 5 for v in shown)

    # Exports and errors keep their fields across RPC; each side sees only what it may.
    export = platform.rpc("intermire", "reporting", "sector_export", str(YEAR), "xlsx")
    book = load_workbook(io.BytesIO(base64.b64decode(export["content"])))
    assert "Youth Guarantee" in book.sheetnames and "ESF+" in book.sheetnames
    # the board's PDF: the same publications (cached by the XLSX above), laid out for a board meeting
    pdf = platform.rpc("intermire", "reporting", "sector_export", str(YEAR), "pdf")
    assert pdf["content_type"] == "application/pdf" and base64.b64decode(pdf["content"]).startswith(b"%PDF-")
    assert platform.rpc("mirec", "reporting", "export", str(YEAR), "csv", actor=DIRECTOR)["content"].startswith(
        "scope,indicator"
    )
    with pytest.raises(ValidationFailed) as raised:
        platform.rpc("intermire", "reporting", "sector_table", "no_such_indicator", str(YEAR))
    assert list(raised.value.errors) == ["indicator"]
    with pytest.raises(ValidationFailed) as raised:
        platform.rpc("intermire", "reporting", "sector_table", "entries", f"{YEAR}-03")
    assert list(raised.value.errors) == ["period"]
    with pytest.raises(Forbidden):
        platform.rpc("mirec", "reporting", "export", str(YEAR), "csv")  # a counsellor
    with pytest.raises(Forbidden):
        platform.rpc(
            "intermire",
            "reporting",
            "sector_table",
            "entries",
            str(YEAR),
            actor=Actor("dora.director", "mirec", ("director",)),
        )
