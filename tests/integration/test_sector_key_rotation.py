"""Sector key rotation (ARCHITECTURE.md, "Sector key rotation") on real sites, broker and shovels.

Two Missions and InterMire. People are registered under key A; the Missions restart with key B; a person
already followed by MIREC is registered by MIRENA under B before anything is rekeyed (two people for
InterMire, for now); ``passerelle rotate-sector-key`` re-derives every pseudonym; InterMire counts every
person once again, and the people and first contracts it counted before the change are unchanged.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import date

import pytest

from kit.errors import Forbidden
from runtime.demo import DemoFactory
from tests.harness import ROOT, wait_until

pytestmark = pytest.mark.integration
KEY_A, KEY_B = "sector-key-a-" + uuid.uuid4().hex, "sector-key-b-" + uuid.uuid4().hex


def sector(platform) -> dict:
    return platform.rpc("intermire", "reporting", "sector_indicators")


def contract(platform, code, ref, on):
    """A first contract with an employer of that Mission (a contract must name one that exists there)."""
    platform.rpc(
        code,
        "beneficiary",
        "record_contract",
        ref,
        {
            "signed_on": on.isoformat(),
            "employer_id": platform.new_employer(code),
            "contract_type": "permanent",
            "hours_per_week": 38,
        },
    )


def rotate(platform, *argv) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "--registry", str(platform.registry_path), "rotate-sector-key", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    return proc.returncode, json.loads(proc.stdout)


def key_ids(platform, code) -> set[str]:
    engine = platform.engine(code, "beneficiary")
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.exec_driver_sql("SELECT DISTINCT pseudonym_key FROM beneficiary")}
    finally:
        engine.dispose()


def test_rotation_keeps_intermire_counting_each_person_once(platform, monkeypatch):
    from kit import pseudonym

    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", KEY_A)
    id_a = pseudonym.key_id()
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", KEY_B)
    id_b = pseudonym.key_id()
    assert id_a != id_b and len(id_a) == 12

    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", KEY_A)
    platform.start("intermire")
    mirec = platform.start("mirec", services=["beneficiary", "employer"])
    mirena = platform.start("mirena", services=["beneficiary", "employer"])
    factory = DemoFactory(seed=2027)
    year = date.today().year
    shared, walker = factory.beneficiary(), factory.beneficiary()
    at_mirec = {}
    for person in (shared, walker, factory.beneficiary()):
        at_mirec[person["niss"]] = platform.rpc("mirec", "beneficiary", "register", person)["id"]
    at_mirena = {shared["niss"]: platform.rpc("mirena", "beneficiary", "register", shared)["id"]}
    platform.rpc("mirena", "beneficiary", "register", factory.beneficiary())
    contract(platform, "mirec", at_mirec[shared["niss"]], date(year, 1, 15))
    before = wait_until(
        lambda: (s := sector(platform))["people"] == 4 and s["first_contracts"] == 1 and s,
        what="InterMire's counts under key A",
    )
    assert key_ids(platform, "mirec") == {id_a}

    # The new key is deployed: the Missions restart with it. Known people keep their pseudonym for now.
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", KEY_B)
    for site in (mirec, mirena):
        site.stop()
        platform.sites.remove(site)
    platform.start("mirec", services=["beneficiary", "employer"])
    platform.start("mirena", services=["beneficiary", "employer"])
    # MIRENA takes in someone MIREC follows under key A: for now, two pseudonyms of one person.
    at_mirena[walker["niss"]] = platform.rpc("mirena", "beneficiary", "register", walker)["id"]
    wait_until(lambda: sector(platform)["people"] == 5, what="the walker counted twice before the rekey")
    assert key_ids(platform, "mirena") == {id_a, id_b}

    code, result = rotate(platform, "--batch", "2")
    assert code == 0 and result["failed"] == []
    assert result["missions"]["mirec"] == {"rekeyed": 3, "labelled": 0, "key": id_b}
    assert result["missions"]["mirena"] == {"rekeyed": 2, "labelled": 0, "key": id_b}
    assert key_ids(platform, "mirec") == key_ids(platform, "mirena") == {id_b}

    # One person again; nothing counted before the change is lost or doubled.
    after = wait_until(lambda: (s := sector(platform))["people"] == 4 and s, what="InterMire after the rekey")
    assert after["first_contracts"] == before["first_contracts"] == 1
    assert after["entries_by_mission"] == {"mirec": 3, "mirena": 3}
    # The shared person's contract signed after the change, at MIRENA under key B, is the same person's.
    contract(platform, "mirena", at_mirena[shared["niss"]], date(year, 2, 1))
    wait_until(
        lambda: (
            platform.scalar(
                "intermire",
                "reporting",
                "SELECT count(*) FROM sector_fact WHERE type = 'be.mire.beneficiary.contract_signed.v1'",
            )
            == 2
        ),
        what="the second contract",
    )
    assert sector(platform)["first_contracts"] == 1

    # The key's identifier travelled with the pseudonyms; InterMire logged no rekey as a fact.
    payloads = [json.loads(p) for p in platform.scalar_all("mirena", "beneficiary", "SELECT payload FROM outbox")]
    sector_events = [p for p in payloads if p.get("dataschema", "").startswith("urn:passerelle:schema:sector:")]
    assert {p["data"]["pseudonym_key"] for p in sector_events} == {id_a, id_b}
    assert (
        platform.scalar(
            "intermire", "reporting", "SELECT count(*) FROM sector_fact WHERE type LIKE '%pseudonym_rekeyed%'"
        )
        == 0
    )

    # Only the Mission's direction (or the platform acting for it) may rekey.
    with pytest.raises(Forbidden):
        platform.rpc("mirec", "beneficiary", "rekey_pseudonyms", 10)
    # Again: nothing left to do.
    code, again = rotate(platform)
    assert code == 0 and again["missions"]["mirec"]["rekeyed"] == again["missions"]["mirena"]["rekeyed"] == 0
