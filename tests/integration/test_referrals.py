"""Referrals in, through the gateway on the real broker and databases: a local partner refers a person, the
counsellor accepts (an intake) or declines, and the partner follows its own referrals' status and nothing else.

MIREC and MIRENA run as processes on one throwaway platform; the gateway runs in the test process. The
partner directory's organisations are written straight into each Mission's employer database (the directory's
own routes are not what this file tests); the referral checks them through ``employer.known_partners``.
"""

import json
import uuid
from datetime import UTC, datetime

import pytest
from employer.models import Partner
from sqlalchemy.orm import Session

from gateway.auth import mint
from runtime.demo import DemoFactory
from tests.harness import module_platform, wait_until

pytestmark = pytest.mark.integration
R = "/missions/{code}/referrals"
EVENT_FIELDS = {"referral_id", "organisation", "partner_type", "on", "beneficiary_id"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "referrals", {"mirec": None, "mirena": None})


@pytest.fixture(scope="module")
def partners(platform):
    """Two organisations of MIREC's partner directory (a CPAS, an ALE) and one of MIRENA's."""
    made = {}
    for code, key, name, kind in (
        ("mirec", "cpas", "CPAS de Charleroi", "cpas"),
        ("mirec", "ale", "ALE de Farciennes", "ale"),
        ("mirena", "cpas_namur", "CPAS de Namur", "cpas"),
    ):
        made[key] = str(uuid.uuid4())
        engine = platform.engine(code, "employer")
        try:
            with Session(engine) as s, s.begin():
                s.add(
                    Partner(
                        id=made[key],
                        name=name,
                        partner_type=kind,
                        municipalities=["52011"],
                        contact={},
                        created_at=datetime.now(UTC),
                        created_by="test",
                    )
                )
        finally:
            engine.dispose()
    return made


def partner(mission, organisation, sub="paul"):
    return {
        "Authorization": f"Bearer {mint(f'{sub}@{organisation[:8]}', mission, ['partner'], organisation=organisation)}"
    }


def staff(mission="mirec", role="counsellor", sub="anne"):
    return {"Authorization": f"Bearer {mint(sub, mission, [role])}"}


def person(seed, **changes):
    """What a partner knows of a person: names, birth date, contact, municipality, the number if it has it."""
    p = DemoFactory(seed=seed).beneficiary("50000")
    sent = {
        "niss": p["niss"],
        "first_name": p["first_name"],
        "last_name": p["last_name"],
        "birth_date": p["birth_date"],
        "municipality": p["municipality"],
        "phone": "0471 23 45 67",
        "reason": "Suivi au CPAS depuis un an ; souhaite une formation qualifiante dans la logistique.",
        "target_groups": ["social_aid", "long_term_unemployed"],
        "consent": True,
    }
    return {k: v for k, v in (sent | changes).items() if v is not None}


def test_a_partners_referral_accepted_into_an_intake_is_followed_by_that_partner_only(client, platform, partners):
    cpas, ale = partner("mirec", partners["cpas"]), partner("mirec", partners["ale"], "alice")
    missing = client.post(R.format(code="mirec"), json=person(70, consent=None), headers=cpas)
    assert missing.status_code == 422 and list(missing.json["errors"]) == ["consent"]
    refused = client.post(R.format(code="mirec"), json=person(70, consent=False), headers=cpas)
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["consent"]
    sent = client.post(R.format(code="mirec"), json=person(70), headers=cpas)
    assert sent.status_code == 201, sent.json
    rid = sent.json["id"]
    assert sent.json["status"] == "received"

    queue = client.get(R.format(code="mirec"), headers=staff())
    assert queue.status_code == 200 and [r["id"] for r in queue.json["items"]] == [rid]
    assert queue.json["items"][0]["organisation"] == partners["cpas"]
    assert queue.json["items"][0]["partner_type"] == "cpas"
    # Another organisation's partner: the referral does not exist for it (404, not 403), nor in its list.
    other = client.get(R.format(code="mirec") + f"/{rid}", headers=ale)
    assert other.status_code == 404 and other.json["detail"] == "no such referral"
    assert client.get(R.format(code="mirec"), headers=ale).json["items"] == []
    # A partner cannot answer its own referral.
    assert client.post(R.format(code="mirec") + f"/{rid}/accept", json={}, headers=cpas).status_code == 403

    incomplete = client.post(R.format(code="mirec") + f"/{rid}/accept", json={}, headers=staff())
    assert incomplete.status_code == 422 and list(incomplete.json["errors"]) == ["gender"]
    accepted = client.post(R.format(code="mirec") + f"/{rid}/accept", json={"gender": "M"}, headers=staff())
    assert accepted.status_code == 200, accepted.json
    pid = accepted.json["beneficiary_id"]
    file = client.get(f"/missions/mirec/beneficiaries/{pid}", headers=staff())
    assert file.status_code == 200 and file.json["last_name"] == person(70)["last_name"]
    assert (file.json["referrer_type"], file.json["referrer_organisation"]) == ("cpas", partners["cpas"])
    assert file.json["episodes"][0]["referral_id"] == rid
    assert {g["group"] for g in file.json["target_groups"]} == {"social_aid", "long_term_unemployed"}
    again = client.post(R.format(code="mirec") + f"/{rid}/accept", json={"gender": "M"}, headers=staff())
    assert again.status_code == 409

    mine = client.get(R.format(code="mirec"), headers=cpas).json["items"]
    assert [(r["id"], r["status"]) for r in mine] == [(rid, "accepted")]
    assert set(mine[0]) == {
        "id",
        "first_name",
        "last_name",
        "birth_date",
        "submitted_on",
        "status",
        "answered_on",
        "decline_reason",
    }
    # The person agrees that the partner be told where they stand: "in accompaniment", then "ended".
    told = client.post(
        f"/missions/mirec/beneficiaries/{pid}/referrer-consent", json={"inform_referrer": True}, headers=staff()
    )
    assert told.status_code == 200, told.json
    assert client.get(R.format(code="mirec") + f"/{rid}", headers=cpas).json["status"] == "in_accompaniment"
    ended = client.post(
        f"/missions/mirec/beneficiaries/{pid}/exit", json={"reason": "end_of_accompaniment"}, headers=staff()
    )
    assert ended.status_code == 200, ended.json
    assert client.get(R.format(code="mirec") + f"/{rid}", headers=cpas).json["status"] == "ended"

    # The partner reaches nothing of the person beyond that: not the file, the plan, the path or the notes.
    for path in ("", "/plan", "/pathway", "/notes/social", "/notes/pedagogical", "/assessments"):
        reply = client.get(f"/missions/mirec/beneficiaries/{pid}{path}", headers=cpas)
        assert reply.status_code == 403, path
    assert client.get("/missions/mirec/beneficiaries", headers=cpas).status_code == 403
    assert client.post("/missions/mirec/beneficiaries", json=person(71), headers=cpas).status_code == 403

    # The facts went through the outbox, carrying ids and the organisation only, and reached reporting.
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        what="every outbox row confirmed",
    )
    rows = platform.scalar_all(
        "mirec", "beneficiary", "SELECT payload FROM outbox WHERE routing_key LIKE '%referral%' ORDER BY seq"
    )
    facts = [json.loads(r) for r in rows]
    assert [f["type"] for f in facts if f["subject"] == rid] == [
        "be.mire.beneficiary.referral_received.v1",
        "be.mire.beneficiary.referral_accepted.v1",
    ]
    for fact in facts:
        assert set(fact["data"]) <= EVENT_FIELDS
    wait_until(
        lambda: platform.scalar("mirec", "reporting", "SELECT count(*) FROM fact WHERE subject = :r", r=rid) == 2,
        what="reporting logged the referral's facts",
    )


def test_a_declined_referral_resubmitted_with_nothing_new_is_409(client, platform, partners):
    cpas = partner("mirec", partners["cpas"])
    someone = person(72, niss=None)  # the partner does not know the number
    rid = client.post(R.format(code="mirec"), json=someone, headers=cpas).json["id"]
    pending = client.post(R.format(code="mirec"), json=someone, headers=cpas)
    assert pending.status_code == 409 and "awaiting" in pending.json["detail"]
    no_reason = client.post(R.format(code="mirec") + f"/{rid}/decline", json={}, headers=staff(role="director"))
    assert no_reason.status_code == 422 and list(no_reason.json["errors"]) == ["reason"]
    why = "La personne est déjà suivie par l'ALE pour le même projet."
    declined = client.post(R.format(code="mirec") + f"/{rid}/decline", json={"reason": why}, headers=staff())
    assert declined.status_code == 200 and declined.json["status"] == "declined"
    seen = client.get(R.format(code="mirec") + f"/{rid}", headers=cpas).json
    assert (seen["status"], seen["decline_reason"]) == ("declined", why)

    before = platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM referral")
    again = client.post(
        R.format(code="mirec"), json=someone | {"first_name": someone["first_name"].upper()}, headers=cpas
    )
    assert again.status_code == 409, again.json
    assert "declined" in again.json["detail"] and list(again.json["errors"]) == ["reason"]
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM referral") == before
    renewed = client.post(
        R.format(code="mirec"),
        json=someone | {"reason": "Habite désormais Charleroi ; le suivi par l'ALE a pris fin en mars."},
        headers=cpas,
    )
    assert renewed.status_code == 201 and renewed.json["id"] != rid
    # Answered already: a second answer is a conflict, and writes nothing.
    assert (
        client.post(R.format(code="mirec") + f"/{rid}/decline", json={"reason": "x"}, headers=staff()).status_code
        == 409
    )


def test_another_missions_partner_sees_nothing_of_mirec(client, platform, partners):
    cpas = partner("mirec", partners["cpas"])
    rid = client.post(R.format(code="mirec"), json=person(73), headers=cpas).json["id"]
    namur = partner("mirena", partners["cpas_namur"], "nadia")
    assert client.get(R.format(code="mirec"), headers=namur).status_code == 404
    assert client.get(R.format(code="mirec") + f"/{rid}", headers=namur).status_code == 404
    assert client.get(R.format(code="mirena"), headers=namur).json["items"] == []
    assert client.get(R.format(code="mirena") + f"/{rid}", headers=namur).status_code == 404
    # MIREC's organisation is not in MIRENA's directory: its token there is refused before anything is written.
    foreign = client.post(R.format(code="mirena"), json=person(74), headers=partner("mirena", partners["cpas"]))
    assert foreign.status_code == 403 and "directory" in foreign.json["detail"]
    assert platform.scalar("mirena", "beneficiary", "SELECT count(*) FROM referral") == 0
    # A partner token without an organisation is refused at the gateway, saying why.
    bare = {"Authorization": f"Bearer {mint('paul', 'mirec', ['partner'])}"}
    reply = client.get(R.format(code="mirec"), headers=bare)
    assert reply.status_code == 401 and "organisation" in reply.json["detail"]
