"""A file's transfers under the data-protection duties (``beneficiary.transfer_records``): the person's copy,
erasure at either Mission, and requests left unanswered declined by the retention schedule.

Two migrated SQLite databases stand for the sending Mission (MIREC) and the receiving one (MIRENA); the
service class is called as its entrypoints are, and the request travels as the outbox row the sender wrote,
handed to the receiver's handler (no broker: the topology is the integration test's).
"""

import json
from datetime import timedelta

import pytest
from beneficiary.models import Transfer
from beneficiary.service import BeneficiaryService
from sqlalchemy import select

from contracts.envelope import parse
from kit.actor import Actor
from kit.service import Placement
from kit.storage import outbox
from kit.testing import FixedClock, migrated, session, worker
from runtime.demo import DemoFactory

MISSIONS = ("mirec", "mirena")
PERIODS = {"transfers_pending_days": 60}
DAY = timedelta(days=1)


def actors(site):
    return Actor("anne.counsellor", site, ("counsellor",)), Actor("dora.director", site, ("director",))


@pytest.fixture
def missions(tmp_path):
    """Both Missions' databases on one clock, with a worker per Mission and role."""
    clock = FixedClock()
    with (
        migrated("beneficiary", f"sqlite:///{tmp_path}/mirec.sqlite") as a,
        migrated("beneficiary", f"sqlite:///{tmp_path}/mirena.sqlite") as b,
    ):
        workers = {}
        for code, store in (("mirec", a), ("mirena", b)):
            for role, actor in zip(("counsellor", "director"), actors(code), strict=True):
                w = worker(BeneficiaryService, store, actor, site=code, clock=clock)
                w.site = Placement(code, "mission", "beneficiary", MISSIONS)
                workers[code, role] = w
        yield clock, {"mirec": a, "mirena": b}, workers


def outbox_rows(store, type_=None):
    with session(store) as s:
        rows = s.execute(select(outbox.c.event_id, outbox.c.routing_key, outbox.c.payload).order_by(outbox.c.seq))
        found = [(r.event_id, r.routing_key, json.loads(r.payload)) for r in rows]
    return [r for r in found if type_ is None or r[2]["type"].endswith(f".{type_}.v1")]


def transfer_row(store, transfer_id):
    with session(store) as s:
        row = s.get(Transfer, transfer_id)
        return None if row is None else {c: getattr(row, c) for c in Transfer.__table__.columns.keys()}


def ask(missions, seed=41, also_at_b=False):
    """A person of MIREC whose file MIREC asks MIRENA to take, the request delivered to MIRENA's handler.
    With ``also_at_b``, MIRENA holds a file of its own for the same national number."""
    clock, stores, w = missions
    person = DemoFactory(seed=seed).beneficiary("50000")
    at_a = w["mirec", "counsellor"].register(person)["id"]
    at_b = w["mirena", "counsellor"].register(person)["id"] if also_at_b else None
    sent = w["mirec", "counsellor"].request_transfer(
        at_a, {"to_mission": "mirena", "consent": True, "reason": "déménage à Namur chez sa sœur"}
    )
    [(_, key, body)] = [r for r in outbox_rows(stores["mirec"], "transfer_requested") if r[2]["subject"] == sent["id"]]
    assert key.startswith("mirena.")
    w["mirena", "counsellor"].on_transfer(parse(body))
    assert transfer_row(stores["mirena"], sent["id"])["file"]["person"]["niss"] == person["niss"]
    return sent["id"], at_a, at_b, person


def test_the_copy_lists_the_files_transfers_and_a_request_pending_for_the_number_without_the_file(missions):
    clock, stores, w = missions
    transfer_id, at_a, at_b, _ = ask(missions, also_at_b=True)

    [mine] = w["mirec", "director"].subject_access(at_a)["transfers"]
    assert (mine["id"], mine["direction"], mine["mission"], mine["status"]) == (
        transfer_id,
        "sent",
        "mirena",
        "requested",
    )
    assert mine["reason"] == "déménage à Namur chez sa sœur" and mine["requested_on"] == clock.today().isoformat()
    assert "file" not in mine and "event_id" not in mine
    # At MIRENA, the file it holds for the same number: the request pending for it is listed, not its payload.
    [theirs] = w["mirena", "director"].subject_access(at_b)["transfers"]
    assert (theirs["id"], theirs["direction"], theirs["mission"]) == (transfer_id, "received", "mirec")
    assert "file" not in theirs and "person" not in json.dumps(theirs)
    # A person MIRENA holds under another number sees none of it.
    other = w["mirena", "counsellor"].register(DemoFactory(seed=99).beneficiary("50000"))["id"]
    assert w["mirena", "director"].subject_access(other)["transfers"] == []


def test_erasing_the_sender_anonymises_its_row_and_drops_the_request_that_carried_the_file(missions):
    clock, stores, w = missions
    transfer_id, at_a, _, person = ask(missions)
    w["mirec", "director"].erase(at_a)
    row = transfer_row(stores["mirec"], transfer_id)
    assert (row["beneficiary_id"], row["reason"], row["event_id"], row["status"]) == (None, "", None, "requested")
    assert outbox_rows(stores["mirec"], "transfer_requested") == []
    assert not any(person["niss"] in json.dumps(body) for _, _, body in outbox_rows(stores["mirec"]))
    # The receiver's answer still finds the row, and closes nothing.
    w["mirena", "counsellor"].decline_transfer(transfer_id, {"reason": "pas de place"})
    [(_, _, answer)] = outbox_rows(stores["mirena"], "transfer_answered")
    w["mirec", "counsellor"].on_transfer(parse(answer))
    assert transfer_row(stores["mirec"], transfer_id)["status"] == "declined"


def test_erasing_at_the_receiver_declines_a_pending_request_for_the_number_and_tells_the_sender(missions):
    clock, stores, w = missions
    transfer_id, at_a, at_b, person = ask(missions, also_at_b=True)
    w["mirena", "director"].erase(at_b)
    row = transfer_row(stores["mirena"], transfer_id)
    assert (row["status"], row["file"], row["answer_reason"], row["reason"]) == ("declined", None, "erased", "")
    [(_, key, answer)] = outbox_rows(stores["mirena"], "transfer_answered")
    assert key.startswith("mirec.") and answer["data"]["accepted"] is False
    assert not any(person["niss"] in json.dumps(body) for _, _, body in outbox_rows(stores["mirena"]))
    w["mirec", "counsellor"].on_transfer(parse(answer))
    assert transfer_row(stores["mirec"], transfer_id)["status"] == "declined"
    assert w["mirec", "counsellor"].get(at_a)["status"] == "active"


def test_erasing_a_file_accepted_from_another_mission_anonymises_the_received_row(missions):
    clock, stores, w = missions
    transfer_id, *_ = ask(missions)
    accepted = w["mirena", "counsellor"].accept_transfer(transfer_id)
    at_b = accepted["beneficiary_id"]
    assert [t["id"] for t in w["mirena", "director"].subject_access(at_b)["transfers"]] == [transfer_id]
    w["mirena", "director"].erase(at_b)
    row = transfer_row(stores["mirena"], transfer_id)
    assert (row["beneficiary_id"], row["status"], row["reason"], row["mission"]) == (None, "accepted", "", "mirec")


def test_a_request_left_unanswered_expires_after_its_period_and_the_dry_run_said_so(missions):
    clock, stores, w = missions
    transfer_id, at_a, _, person = ask(missions)
    answered, *_ = ask(missions, seed=42)
    w["mirena", "counsellor"].decline_transfer(answered, {"reason": "pas de place"})
    retention = w["mirena", "director"]
    clock.at += 60 * DAY
    assert retention.apply_retention(PERIODS, True)["transfers"] == []
    clock.at += DAY
    dry = retention.apply_retention(PERIODS, True)
    assert dry["transfers"] == [transfer_id] and dry["periods"]["transfers_pending_days"] == 60
    assert transfer_row(stores["mirena"], transfer_id)["file"] is not None

    done = retention.apply_retention(PERIODS, False)
    assert done["transfers"] == [transfer_id]
    row = transfer_row(stores["mirena"], transfer_id)
    assert (row["status"], row["file"], row["answer_reason"]) == ("declined", None, "expired")
    assert row["answered_on"] == clock.today() and row["answered_by"] == "dora.director"
    answers = [a for _, _, a in outbox_rows(stores["mirena"], "transfer_answered") if a["subject"] == transfer_id]
    assert [(a["data"]["accepted"], a["data"]["reason"]) for a in answers] == [(False, "expired")]
    # The sender applies it as any decline: its file stays open, and may be offered again.
    w["mirec", "counsellor"].on_transfer(parse(answers[0]))
    assert transfer_row(stores["mirec"], transfer_id)["status"] == "declined"
    assert w["mirec", "counsellor"].get(at_a)["status"] == "active"
    assert retention.apply_retention(PERIODS, False)["transfers"] == []
    # A request sent from here never expires here: only the receiver's pending requests do.
    assert w["mirec", "director"].apply_retention(PERIODS, True)["transfers"] == []
