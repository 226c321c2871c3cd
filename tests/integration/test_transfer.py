"""A person's file handed from one Mission to another, through the gateway, on the real broker.

Two Missions' sites (MIREC and MIRENA) and InterMire run as processes on a throwaway platform; the gateway
runs in the test process. What travels goes through each Mission's outbox, its to-transfers shovel, the
transfers vhost and the addressee's inbound queue (``beneficiary.transfers``); nothing reads another
Mission's database but the test itself, to look.
"""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from gateway.auth import mint
from kit.actor import Actor
from runtime.demo import DemoFactory
from tests.harness import module_platform, wait_until

pytestmark = pytest.mark.integration
PLAN = {
    "target_occupations": ["F1703"],
    "missing_competences": ["900003"],
    "actions": [{"kind": "confirmation_internship", "description": "deux semaines chez un maçon", "due": "2027-01-15"}],
    "contract_wishes": ["permanent"],
    "mobility_km": 25,
    "agreed_with_person": True,
}
NOTE = "Suivi social : logement trouvé à Namur, déménagement prévu en janvier."


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "transfer", {"intermire": None, "mirec": None, "mirena": None})


def auth(mission, sub="anne", roles=("counsellor",)):
    return {"Authorization": f"Bearer {mint(sub, mission, list(roles))}"}


def person_at_mirec(client, platform, seed, with_note=True):
    """A person of MIREC with a path (orientation), an agreed plan and, if asked, a social note."""
    person = DemoFactory(seed=seed).beneficiary("50000")
    pid = client.post("/missions/mirec/beneficiaries", json=person, headers=auth("mirec")).json["id"]
    assert client.post(f"/missions/mirec/beneficiaries/{pid}/plan", json=PLAN, headers=auth("mirec")).status_code == 201
    moved = client.post(
        f"/missions/mirec/beneficiaries/{pid}/pathway/move", json={"to": "orientation"}, headers=auth("mirec")
    )
    assert moved.status_code == 200, moved.json
    if with_note:
        platform.rpc("mirec", "beneficiary", "add_note", pid, {"kind": "social", "text": NOTE})
    return pid, person


def received(client, status="requested"):
    reply = client.get(f"/missions/mirena/transfers?status={status}", headers=auth("mirena", "bea"))
    assert reply.status_code == 200, reply.json
    return reply.json["items"]


def resend(platform, sender, addressee, payload, **headers):
    """``payload`` published on ``sender``'s transfers exchange as its relay publishes (here as the broker admin)."""
    return platform.publish(
        platform.registry.site(sender).vhost,
        "passerelle.transfers",
        f"{addressee}.{json.loads(payload)['type']}",
        payload,
        content_type="application/cloudevents+json",
        **({"headers": headers} if headers else {}),
    )


def dead_letters(platform, site):
    """The transfers ``site``'s handler refused, taken off its dead-letter queue: (reason, event)."""
    taken = platform.get_messages(platform.registry.site(site).vhost, "beneficiary.on_transfer.dead", 10)
    return [(m["properties"]["headers"]["x-passerelle-reason"], json.loads(m["payload"])) for m in taken]


def sector(client):
    reply = client.get("/intermire/indicators/facts", headers=auth("intermire", "ian", ("intermire_analyst",)))
    assert reply.status_code == 200
    return reply.json


def test_a_file_moves_with_its_path_plan_and_consented_notes_and_the_sender_keeps_a_closed_record(client, platform):
    pid, person = person_at_mirec(client, platform, seed=2301)
    wait_until(lambda: sector(client)["entries_by_mission"].get("mirec") == 1, what="MIREC's entry at InterMire")
    assert sector(client)["people"] == 1

    asked = client.post(
        f"/missions/mirec/beneficiaries/{pid}/transfer",
        json={"to_mission": "mirena", "consent": True, "notes_consent": True, "reason": "déménagement à Namur"},
        headers=auth("mirec"),
    )
    assert asked.status_code == 201, asked.json
    transfer_id = asked.json["id"]
    asked_at = time.monotonic()
    assert asked.json["status"] == "requested" and asked.json["to_mission"] == "mirena"
    assert asked.json["moves"] == {
        "identity": 1,
        "target_groups": len(person.get("target_groups", [])),
        "path_steps": 2,
        "plans": 1,
        "notes": 1,
    }
    shown = client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json
    assert shown["transfer"]["status"] == "requested" and shown["status"] == "active"
    again = client.post(
        f"/missions/mirec/beneficiaries/{pid}/transfer",
        json={"to_mission": "mirena", "consent": True, "reason": "encore"},
        headers=auth("mirec"),
    )
    assert again.status_code == 409

    # MIRENA lists it with what would move, and who the person is; MIREC's own list shows it as sent.
    wait_until(lambda: [t["id"] for t in received(client)] == [transfer_id], what="the transfer at MIRENA")
    delivered = time.monotonic() - asked_at
    pending = received(client)[0]
    assert pending["from_mission"] == "mirec" and pending["notes_consent"] is True
    assert pending["person"]["last_name"] == person["last_name"] and "niss" not in pending["person"]
    assert pending["moves"]["plans"] == 1 and pending["moves"]["notes"] == 1
    sent = client.get("/missions/mirec/transfers?direction=sent", headers=auth("mirec")).json["items"]
    assert [t["id"] for t in sent] == [transfer_id]
    assert client.get("/missions/mirena/transfers?direction=sent", headers=auth("mirena")).json["items"] == []

    accepted_at = time.monotonic()
    accepted = client.post(f"/missions/mirena/transfers/{transfer_id}/accept", headers=auth("mirena", "bea"))
    assert accepted.status_code == 200, accepted.json
    new_id = accepted.json["beneficiary_id"]
    assert accepted.json["status"] == "accepted" and accepted.json["person"] is None  # what was sent is not kept
    assert client.post(f"/missions/mirena/transfers/{transfer_id}/accept", headers=auth("mirena")).status_code == 409

    # At MIRENA: the file, open, with identity, path, plan and the consented note; the acceptance audited.
    at_b = client.get(f"/missions/mirena/beneficiaries/{new_id}", headers=auth("mirena", "bea")).json
    assert (at_b["last_name"], at_b["birth_date"], at_b["stage"], at_b["status"]) == (
        person["last_name"],
        person["birth_date"],
        "orientation",
        "active",
    )
    assert at_b["counsellor"] == "bea" and at_b["plan_version"] == 1
    path = client.get(f"/missions/mirena/beneficiaries/{new_id}/pathway", headers=auth("mirena")).json
    assert [t["kind"] for t in path["transitions"]] == ["entered", "moved", "transfer_in"]
    plans = client.get(f"/missions/mirena/beneficiaries/{new_id}/plan", headers=auth("mirena")).json
    assert [p["target_occupations"] for p in plans] == [["F1703"]]
    notes = client.get(f"/missions/mirena/beneficiaries/{new_id}/notes/social", headers=auth("mirena")).json
    assert [n["text"] for n in notes] == [NOTE]
    assert (
        platform.scalar(
            "mirena",
            "beneficiary",
            "SELECT count(*) FROM audit WHERE action = 'beneficiary.transfer.accept' AND subject = :s",
            s=new_id,
        )
        == 1
    )

    # At MIREC: a closed record once the answer is back; nothing more of the file readable, nothing changeable.
    wait_until(
        lambda: (
            client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json["status"] == "transferred"
        ),
        what="MIREC's file closed",
    )
    print(
        f"transfer: request listed at MIRENA {delivered:.2f} s after it was asked; MIREC's file closed "
        f"{time.monotonic() - accepted_at:.2f} s after the acceptance (both polled every 0.2 s)"
    )
    at_a = client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json
    assert at_a["transfer"]["status"] == "accepted" and at_a["plan_version"] is None
    assert client.get(f"/missions/mirec/beneficiaries/{pid}/plan", headers=auth("mirec")).json == []
    assert client.get(f"/missions/mirec/beneficiaries/{pid}/notes/social", headers=auth("mirec")).json == []
    steps = client.get(f"/missions/mirec/beneficiaries/{pid}/pathway", headers=auth("mirec")).json["transitions"]
    assert steps[-1]["kind"] == "transfer_out" and steps[-1]["why"] == "transferred to mirena"
    refused = client.post(
        f"/missions/mirec/beneficiaries/{pid}/pathway/move", json={"to": "formation"}, headers=auth("mirec")
    )
    assert refused.status_code == 422 and "status" in refused.json["errors"]
    # The request's outbox row held the file (national number, notes): gone once answered.
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE audience = 'transfer'") == 0

    # The answer published again by MIRENA (its relay after a lost confirm), the way every copy travels:
    # through both shovels, which write the way it came (kit.forwarded). Applied once.
    answer = platform.scalar("mirena", "beneficiary", "SELECT payload FROM outbox WHERE audience = 'transfer'")
    assert "niss" not in answer and NOTE not in answer  # the answer carries no personal data
    assert resend(platform, "mirena", "mirec", answer)
    mirec = next(s for s in platform.sites if s.code == "mirec")
    wait_until(lambda: "on_transfer" in _duplicates(mirec), what="the duplicate answer skipped by the inbox")
    steps = client.get(f"/missions/mirec/beneficiaries/{pid}/pathway", headers=auth("mirec")).json["transitions"]
    assert [s["kind"] for s in steps].count("transfer_out") == 1

    # InterMire: both Missions derived the same pseudonym, so the person counts once.
    wait_until(lambda: sector(client)["entries_by_mission"].get("mirena") == 1, what="MIRENA's entry at InterMire")
    assert sector(client)["people"] == 1


def test_a_declined_transfer_leaves_the_file_open_and_a_redelivered_request_is_applied_once(client, platform):
    pid, _ = person_at_mirec(client, platform, seed=2302, with_note=True)
    asked = client.post(
        f"/missions/mirec/beneficiaries/{pid}/transfer",
        json={"to_mission": "mirena", "consent": True, "reason": "rapprochement familial"},
        headers=auth("mirec"),
    )
    assert asked.status_code == 201, asked.json
    transfer_id = asked.json["id"]
    assert asked.json["moves"]["notes"] == 0  # no consent for the notes: none travel
    wait_until(lambda: transfer_id in [t["id"] for t in received(client)], what="the transfer at MIRENA")
    row = json.loads(platform.scalar("mirec", "beneficiary", "SELECT payload FROM outbox WHERE audience = 'transfer'"))
    assert row["data"]["notes"] == [] and NOTE not in json.dumps(row)

    # The same request published again (a relay's second copy after a lost confirm): applied once.
    assert resend(platform, "mirec", "mirena", json.dumps(row))
    mirena = next(s for s in platform.sites if s.code == "mirena")
    wait_until(lambda: "on_transfer" in _duplicates(mirena), what="the duplicate skipped by the inbox")
    assert platform.scalar("mirena", "beneficiary", "SELECT count(*) FROM transfer WHERE id = :i", i=transfer_id) == 1
    assert [t["id"] for t in received(client)].count(transfer_id) == 1

    no_reason = client.post(f"/missions/mirena/transfers/{transfer_id}/decline", json={}, headers=auth("mirena"))
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    declined = client.post(
        f"/missions/mirena/transfers/{transfer_id}/decline",
        json={"reason": "commune hors de notre bassin"},
        headers=auth("mirena", "bea", ("director",)),
    )
    assert declined.status_code == 200, declined.json
    assert declined.json["status"] == "declined" and declined.json["person"] is None
    assert platform.scalar("mirena", "beneficiary", "SELECT file FROM transfer WHERE id = :i", i=transfer_id) is None

    wait_until(
        lambda: (
            client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json["transfer"]["status"]
            == "declined"
        ),
        what="the answer at MIREC",
    )
    at_a = client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json
    assert at_a["status"] == "active" and at_a["plan_version"] == 1
    assert at_a["transfer"]["answer_reason"] == "commune hors de notre bassin"
    assert len(client.get(f"/missions/mirec/beneficiaries/{pid}/notes/social", headers=auth("mirec")).json) == 1
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE audience = 'transfer'") == 0
    # Declined, the file can be offered again (and declined again: no request is left holding the file).
    again = client.post(
        f"/missions/mirec/beneficiaries/{pid}/transfer",
        json={"to_mission": "mirena", "consent": True, "reason": "nouvelle demande"},
        headers=auth("mirec"),
    )
    assert again.status_code == 201
    wait_until(lambda: again.json["id"] in [t["id"] for t in received(client)], what="the second request")
    decline = {"reason": "toujours hors bassin"}
    assert client.post(f"/missions/mirena/transfers/{again.json['id']}/decline", json=decline, headers=auth("mirena"))
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE audience = 'transfer'") == 0,
        what="the second answer at MIREC",
    )


def test_an_unknown_mission_or_no_consent_is_refused_and_nothing_is_written(client, platform):
    pid, _ = person_at_mirec(client, platform, seed=2303, with_note=False)

    def counts():
        return (
            platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM transfer"),
            platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox"),
        )

    before = counts()
    for body, field in (
        ({"to_mission": "mirezz", "consent": True, "reason": "x"}, "to_mission"),
        ({"to_mission": "mirec", "consent": True, "reason": "x"}, "to_mission"),
        ({"to_mission": "mirelux", "consent": True, "reason": "x"}, "to_mission"),  # not in this registry
        ({"to_mission": "mirena", "consent": False, "reason": "x"}, "consent"),
        ({"to_mission": "mirena", "reason": "x"}, "consent"),
        ({"to_mission": "mirena", "consent": True}, "reason"),
    ):
        reply = client.post(f"/missions/mirec/beneficiaries/{pid}/transfer", json=body, headers=auth("mirec"))
        assert reply.status_code == 422, (body, reply.json)
        assert field in reply.json["errors"], (body, reply.json)
    assert counts() == before
    # Roles the policy leaves out, and another Mission's counsellor, reach nothing.
    body = {"to_mission": "mirena", "consent": True, "reason": "x"}
    assert (
        client.post(
            f"/missions/mirec/beneficiaries/{pid}/transfer", json=body, headers=auth("mirec", "sam", ("social_worker",))
        ).status_code
        == 403
    )
    assert (
        client.post(f"/missions/mirec/beneficiaries/{pid}/transfer", json=body, headers=auth("mirena")).status_code
        == 404
    )
    assert counts() == before


def ask_mirena(client, platform, seed, reason):
    """A person of MIREC whose file MIREC asks MIRENA to take; the request once listed at MIRENA."""
    pid, _ = person_at_mirec(client, platform, seed=seed, with_note=False)
    body = {"to_mission": "mirena", "consent": True, "reason": reason}
    asked = client.post(f"/missions/mirec/beneficiaries/{pid}/transfer", json=body, headers=auth("mirec"))
    assert asked.status_code == 201, asked.json
    transfer_id = asked.json["id"]
    wait_until(lambda: transfer_id in [t["id"] for t in received(client)], what="the transfer at MIRENA")
    return pid, transfer_id


def test_a_transfer_not_shovelled_from_its_sender_is_dead_lettered_and_one_never_answered_expires(client, platform):
    pid, transfer_id = ask_mirena(client, platform, 2304, "déménagement à Jambes")
    payloads = platform.scalar_all("mirec", "beneficiary", "SELECT payload FROM outbox WHERE audience = 'transfer'")
    [genuine] = [e for e in map(json.loads, payloads) if e["subject"] == transfer_id]

    def copy(source_mission):
        forged_id = str(uuid.uuid4())
        data = dict(genuine["data"], transfer_id=forged_id, from_mission=source_mission)
        event = dict(genuine, id=str(uuid.uuid4()), subject=forged_id, data=data)
        return forged_id, json.dumps(event | {"source": f"/missions/{source_mission}/beneficiary"})

    # Put by hand into MIRENA's inbound exchange (no shovel carried it), and sent by MIREC in MIRENA's name
    # (the event's source and sender consistent, the broker's forward headers not).
    by_hand, by_hand_body = copy("mirec")
    inbound = platform.registry.site("mirena").vhost
    assert platform.publish(
        inbound,
        "passerelle.transfers.in",
        f"mirena.{genuine['type']}",
        by_hand_body,
        content_type="application/cloudevents+json",
    )
    impersonated, impersonated_body = copy("mirena")
    assert resend(platform, "mirec", "mirena", impersonated_body)
    refused: list = []
    wait_until(lambda: refused.extend(dead_letters(platform, "mirena")) or len(refused) >= 2, what="both dead-lettered")
    reasons = {event["data"]["transfer_id"]: reason for reason, event in refused}
    assert "not shovelled" in reasons[by_hand] and "NotAdmitted" in reasons[by_hand]
    assert (
        "claims Mission mirena" in reasons[impersonated]
        and platform.registry.site("mirec").vhost in (reasons[impersonated])
    )
    assert (
        platform.scalar_all(
            "mirena", "beneficiary", "SELECT id FROM transfer WHERE id IN (:a, :b)", a=by_hand, b=impersonated
        )
        == []
    )

    # Never answered: sixty-one days later the retention schedule declines it ("expired"), as the dry run said.
    engine = platform.engine("mirena", "beneficiary")
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE transfer SET requested_on = :d WHERE id = :i"),
            {"d": datetime.now(UTC).date() - timedelta(days=61), "i": transfer_id},
        )
    engine.dispose()
    director = Actor(sub="passerelle-retention", mission="mirena", roles=("director",))
    periods = {"transfers_pending_days": 60}
    dry = platform.rpc("mirena", "beneficiary", "apply_retention", periods, True, actor=director)
    assert dry["transfers"] == [transfer_id]
    assert platform.scalar("mirena", "beneficiary", "SELECT file FROM transfer WHERE id = :i", i=transfer_id)
    done = platform.rpc("mirena", "beneficiary", "apply_retention", periods, False, actor=director)
    assert done["transfers"] == [transfer_id]
    assert platform.scalar("mirena", "beneficiary", "SELECT file FROM transfer WHERE id = :i", i=transfer_id) is None
    [expired] = [t for t in received(client, "declined") if t["id"] == transfer_id]
    assert expired["answer_reason"] == "expired"
    by = platform.scalar("mirena", "beneficiary", "SELECT answered_by FROM transfer WHERE id = :i", i=transfer_id)
    assert by == "passerelle-retention"
    # MIREC hears it as a decline: its file stays open, and the request's outbox row (the file) goes.
    wait_until(
        lambda: (
            client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json["transfer"]["status"]
            == "declined"
        ),
        what="the expiry at MIREC",
    )
    at_a = client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json
    assert at_a["status"] == "active" and at_a["transfer"]["answer_reason"] == "expired"
    assert platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE audience = 'transfer'") == 0
    assert platform.rpc("mirena", "beneficiary", "apply_retention", periods, False, actor=director)["transfers"] == []


def test_the_copy_lists_the_transfer_at_both_missions_and_erasure_leaves_neither_a_reference(client, platform):
    pid, transfer_id = ask_mirena(client, platform, 2305, "rapprochement familial à Namur")
    accepted = client.post(f"/missions/mirena/transfers/{transfer_id}/accept", headers=auth("mirena", "bea"))
    assert accepted.status_code == 200, accepted.json
    new_id = accepted.json["beneficiary_id"]
    wait_until(
        lambda: (
            client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth("mirec")).json["status"] == "transferred"
        ),
        what="MIREC's file closed",
    )
    for mission, file_id, direction, other in (
        ("mirec", pid, "sent", "mirena"),
        ("mirena", new_id, "received", "mirec"),
    ):
        director = auth(mission, "dora", ("director",))
        copy = client.get(f"/missions/{mission}/beneficiaries/{file_id}/access/beneficiary", headers=director)
        assert copy.status_code == 200, copy.json
        [listed] = copy.json["transfers"]
        assert (listed["id"], listed["direction"], listed["mission"], listed["status"]) == (
            transfer_id,
            direction,
            other,
            "accepted",
        )
        assert listed["reason"] == "rapprochement familial à Namur" and listed["answered_on"]
        assert "file" not in listed and "event_id" not in listed
        erased = client.delete(f"/missions/{mission}/beneficiaries/{file_id}", headers=director)
        assert erased.status_code == 200, erased.json
        engine = platform.engine(mission, "beneficiary")
        with engine.connect() as conn:
            left = conn.execute(
                sa.text("SELECT beneficiary_id, reason, status FROM transfer WHERE id = :i"), {"i": transfer_id}
            ).all()
        engine.dispose()
        assert [tuple(r) for r in left] == [(None, "", "accepted")]


def test_no_transfer_queue_is_readable_by_intermire_or_an_agency(platform):
    """Personal data never passes where InterMire or an agency can read: only the shovel reads /transfers."""
    vhost = platform.registry.transfers_vhost
    grants = platform.mgmt.get(f"/vhosts/{vhost.replace('/', '%2F')}/permissions")
    users = {g["user"] for g in grants}
    assert users == {platform.registry.broker["admin_user"], platform.registry.prefix + "shovel"}
    queues = {q["name"] for q in platform.mgmt.get(f"/queues/{vhost.replace('/', '%2F')}")}
    assert queues == {"transfers.mirec", "transfers.mirena"}


def _duplicates(site) -> str:
    return "\n".join(
        line for line in site.metrics().splitlines() if line.startswith("passerelle_events_duplicate_total{")
    )
