"""The agency contract end to end, on the real broker: what Le Forem and Actiris receive, and when not.

One throwaway platform (a Mission, the agencies' vhost, the shovel) for the
whole module. Every event an agency receives here is validated against the
committed JSON Schema of that agency and type (``contracts/schemas``), and
looked through for anything that must never leave a Mission.
"""

import json
import subprocess
import sys
import time
from datetime import date, timedelta

import jsonschema
import pika
import pytest
import sqlalchemy as sa
from pika.exceptions import ChannelClosedByBroker, ProbableAccessDeniedError

from contracts.agency import catalogue
from kit.actor import Actor
from kit.errors import Forbidden, ValidationFailed
from runtime.demo import DemoFactory
from tests.harness import ROOT, TestPlatform, wait_until

pytestmark = pytest.mark.integration

SCHEMAS = ROOT / "contracts" / "schemas"
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
LEAD = Actor("paula.lead", "mirec", ("project_lead",))
DIRECTOR = Actor("dora.director", "mirec", ("director",))
CHARLEROI, BRUXELLES, ANVERS = "52011", "21004", "11002"
TODAY = date.today()


class Agencies:
    """What reached each agency's queue so far (taken off the queue as the broker admin)."""

    def __init__(self, platform: TestPlatform):
        self.platform = platform
        self.received = {agency: [] for agency in catalogue.AGENCIES}

    def drain(self):
        vhost = self.platform.registry.agencies_vhost
        for agency, got in self.received.items():
            while batch := self.platform.get_messages(vhost, f"{agency}.events", 100):
                got += [json.loads(m["payload"]) for m in batch]
                for m in batch:
                    # The routing key names the agency; what the relay publishes is persistent JSON.
                    assert m["routing_key"] == f"{agency}.{json.loads(m['payload'])['type']}"
                    assert m["properties"]["delivery_mode"] == 2

    def count(self, agency: str) -> int:
        return len(self.unique(agency))

    def unique(self, agency: str) -> list[dict]:
        """Each event once, in order of first arrival: delivery is at least once, as an agency deduplicates."""
        self.drain()
        return list({e["id"]: e for e in reversed(self.received[agency])}.values())[::-1]

    def about(self, agency: str, subject: str) -> list[dict]:
        return [e for e in self.unique(agency) if e["subject"] == subject]

    def wait_for(self, agency: str, subject: str, count: int) -> list[dict]:
        wait_until(
            lambda: len(self.about(agency, subject)) >= count,
            timeout=30,
            what=f"{count} events about {subject} at {agency}",
        )
        return self.about(agency, subject)

    def settle(self):
        """Wait until nothing is on its way: every outbox row sent, the Mission's outgoing queue empty."""
        platform = self.platform
        for service in ("beneficiary", "convention"):
            wait_until(
                lambda s=service: platform.scalar("mirec", s, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
                timeout=30,
                what=f"the {service} relay to send everything",
            )
        vhost = platform.registry.site("mirec").vhost
        wait_until(
            lambda: platform.queue_depth(vhost, "outgoing.agency") == 0,
            timeout=30,
            what="the shovel to carry every agency event out",
        )
        # A message the shovel holds until the destination confirms is counted in neither queue: wait
        # until nothing new has come for a while.
        quiet_since, seen = time.monotonic(), -1
        while time.monotonic() - quiet_since < 1.5:
            self.drain()
            total = sum(len(got) for got in self.received.values())
            if total != seen:
                quiet_since, seen = time.monotonic(), total
            time.sleep(0.2)


def conforms(agency: str, event: dict) -> dict:
    """The event is exactly the contract: its agency's JSON Schema for its type."""
    schema = json.loads((SCHEMAS / agency / f"{event['type']}.json").read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(event)
    return event


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    p = TestPlatform(tmp_path_factory.mktemp("agency"), missions=("mirec",), intermire=False).setup()
    try:
        # The employer service answers whether contracts' and projects' employers exist (kit.references).
        p.start("mirec", services=["beneficiary", "convention", "employer"])
        yield p
    finally:
        p.teardown()


@pytest.fixture(scope="module")
def agencies(platform):
    return Agencies(platform)


def person(seed: int, municipality: str, disclosures, **extra) -> dict:
    data = DemoFactory(seed=seed).beneficiary()
    data.update(municipality=municipality, registered_on=(TODAY - timedelta(days=60)).isoformat(), **extra)
    data["disclosures"] = [
        {
            "given_on": data["registered_on"],
            "reference": "décret MIRE art. 5" if basis == "legal_basis" else "formulaire de consentement signé",
            "agency": agency,
            "basis": basis,
            "agency_reference": ref,
        }
        for agency, basis, ref in disclosures
    ]
    return data


def register(platform, data) -> str:
    return platform.rpc("mirec", "beneficiary", "register", data, actor=COUNSELLOR)["id"]


def employer_of(platform) -> str:
    """The employer of this module's contracts and project (one, registered on first use)."""
    if not hasattr(platform, "agency_test_employer"):
        platform.agency_test_employer = platform.new_employer("mirec", seed=4242)
    return platform.agency_test_employer


def sign_contract(platform, pid, workplace=None):
    platform.rpc(
        "mirec",
        "beneficiary",
        "record_contract",
        pid,
        {
            "signed_on": (TODAY - timedelta(days=3)).isoformat(),
            "employer_id": employer_of(platform),
            "contract_type": "permanent",
            "hours_per_week": 38,
            "workplace_municipality": workplace,
        },
        actor=COUNSELLOR,
    )


def test_a_convention_signed_in_a_mission_arrives_at_le_forem_in_the_documented_shape(platform, agencies):
    project = platform.rpc(
        "mirec",
        "convention",
        "create_project",
        {
            "title": "Maçons pour Gosselies",
            "vacancy_id": platform.new_vacancy("mirec", employer_of(platform)),
            "employer_id": employer_of(platform),
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 2,
                "contract_type": "permanent",
                "hours_per_week": 38,
                "workplace_municipality": CHARLEROI,
            },
            "training_convention": {
                "operators": [{"name": "Construform", "enterprise_number": "0403170701"}],
                "training_profile": "Maçon (SFMQ)",
                "specification": "Gros oeuvre en 12 modules",
                "hours_centre": 300,
                "hours_work": 220,
                "start_date": (TODAY + timedelta(days=10)).isoformat(),
                "end_date": (TODAY + timedelta(days=130)).isoformat(),
                "trainees_planned": 2,
            },
        },
        actor=LEAD,
    )
    employer_c = project["conventions"]["employer"][0]["id"]
    platform.rpc("mirec", "convention", "submit", employer_c, actor=LEAD)
    platform.rpc(
        "mirec",
        "convention",
        "sign",
        employer_c,
        {"party": "employer", "signer_name": "Julie Lambert", "signer_function": "gérante"},
        actor=LEAD,
    )
    platform.rpc(
        "mirec", "convention", "sign", employer_c, {"party": "mission", "signer_name": "Dora Director"}, actor=DIRECTOR
    )

    [event] = agencies.wait_for("forem", employer_c, 1)
    conforms("forem", event)
    assert event["type"] == catalogue.CONVENTION_SIGNED and event["source"] == "/missions/mirec/convention"
    assert event["data"] == {
        "convention_id": employer_c,
        "project_id": project["id"],
        "kind": "employer",
        "version": 1,
        "signed_on": TODAY.isoformat(),
        "job_municipality": CHARLEROI,
        "job_region": "wallonia",
        "hires_committed": 2,
        "contract_type": "permanent",
        "hours_per_week": 38,
    }
    assert "Julie Lambert" not in json.dumps(event) and "Dora" not in json.dumps(event)
    agencies.settle()
    assert agencies.about("actiris", employer_c) == []


def test_a_walloon_persons_path_reaches_le_forem_generalised_and_a_brussels_residents_reaches_actiris(
    platform, agencies
):
    walloon = person(
        101,
        CHARLEROI,
        [("forem", "legal_basis", "FOR-W-1")],
        referrer_type="justice_service",
        target_groups=[
            {"group": "justice_measure", "evidence": "mesure alternative", "since": "2024-01-01"},
            {"group": "neet_youth", "evidence": "sans emploi ni formation", "since": "2025-01-01"},
        ],
    )
    pid = register(platform, walloon)
    platform.rpc(
        "mirec",
        "beneficiary",
        "add_note",
        pid,
        {"kind": "social", "text": "Suivi psychologique en cours"},
        actor=COUNSELLOR,
    )
    sign_contract(platform, pid)
    registered, signed = agencies.wait_for("forem", "FOR-W-1", 2)
    assert [registered["type"], signed["type"]] == [catalogue.REGISTERED, catalogue.CONTRACT_SIGNED]
    assert conforms("forem", signed)["data"] == {
        "agency_reference": "FOR-W-1",
        "basis": "legal_basis",
        "referrer_type": "partner",
        "target_groups": ["neet_youth"],
        "signed_on": (TODAY - timedelta(days=3)).isoformat(),
        "contract_type": "permanent",
        "hours_per_week": 38,
    }
    conforms("forem", registered)
    text = json.dumps([registered, signed], ensure_ascii=False)
    for secret in (
        walloon["niss"],
        walloon["first_name"],
        walloon["last_name"],
        "Suivi psychologique",
        pid,
        "justice",
        "mesure alternative",
    ):
        assert secret not in text

    # A Brussels resident: Actiris by legal basis; Le Forem's legal basis does not reach Brussels…
    brussels = person(
        102,
        BRUXELLES,
        [("actiris", "legal_basis", "ACT-B-1"), ("forem", "legal_basis", "FOR-B-1")],
        referrer_type="cpas",
    )
    bid = register(platform, brussels)
    [registered] = agencies.wait_for("actiris", "ACT-B-1", 1)
    assert conforms("actiris", registered)["data"] == {
        "agency_reference": "ACT-B-1",
        "basis": "legal_basis",
        "registered_on": brussels["registered_on"],
    }
    # …until the job is in Wallonia: both agencies hear of the contract.
    sign_contract(platform, bid, workplace=CHARLEROI)
    agencies.wait_for("actiris", "ACT-B-1", 2)
    [forem_signed] = agencies.wait_for("forem", "FOR-B-1", 1)
    assert conforms("forem", forem_signed)["type"] == catalogue.CONTRACT_SIGNED
    assert forem_signed["data"]["referrer_type"] == "partner"  # a CPAS referral tells of social aid

    # A Flemish resident: no agency under a legal basis; Le Forem under the person's consent.
    register(platform, person(103, ANVERS, [("actiris", "legal_basis", "ACT-F-1")]))
    register(platform, person(104, ANVERS, [("forem", "consent", "FOR-F-2")]))
    [consented] = agencies.wait_for("forem", "FOR-F-2", 1)
    assert conforms("forem", consented)["data"]["basis"] == "consent"
    agencies.settle()
    assert agencies.about("actiris", "ACT-F-1") == []
    assert agencies.about("forem", "FOR-B-1")[0]["type"] == catalogue.CONTRACT_SIGNED  # never the registration


def test_withdrawal_stops_delivery_and_sends_the_forget_event(platform, agencies):
    pid = register(platform, person(105, CHARLEROI, [("forem", "consent", "FOR-WD-1")]))
    agencies.wait_for("forem", "FOR-WD-1", 1)
    platform.rpc("mirec", "beneficiary", "withdraw_disclosure", pid, "forem", actor=COUNSELLOR)
    registered, forget = agencies.wait_for("forem", "FOR-WD-1", 2)
    assert conforms("forem", forget)["type"] == catalogue.FORGET_REQUESTED
    assert forget["data"] == {
        "agency_reference": "FOR-WD-1",
        "reason": "consent_withdrawn",
        "requested_on": TODAY.isoformat(),
    }

    sign_contract(platform, pid)
    platform.rpc("mirec", "beneficiary", "drop_out", pid, {"reason": "moved"}, actor=COUNSELLOR)
    agencies.settle()
    assert [e["id"] for e in agencies.about("forem", "FOR-WD-1")] == [registered["id"], forget["id"]]
    # What the Mission keeps for a replay holds nothing more about the person than the forget event.
    kept = platform.scalar(
        "mirec",
        "beneficiary",
        "SELECT count(*) FROM outbox WHERE audience = 'agency' "
        "AND payload LIKE '%FOR-WD-1%' AND payload NOT LIKE '%forget%'",
    )
    assert kept == 0


def test_an_agency_asks_for_its_events_again_and_gets_the_same_ids(platform, agencies):
    agencies.settle()
    before = {e["id"]: e for e in agencies.received["forem"]}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "runtime.cli",
            "--registry",
            str(platform.registry_path),
            "agency-replay",
            "--agency",
            "forem",
            "--since",
            (TODAY - timedelta(days=1)).isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout)
    assert summary["failed"] == [] and summary["replayed"] > 0
    agencies.received["forem"].clear()
    wait_until(
        lambda: agencies.count("forem") >= summary["replayed"],
        timeout=30,
        what="the replayed events at Le Forem",
    )
    again = agencies.unique("forem")
    # The same events, the same ids: the agency deduplicates on the CloudEvents id.
    assert {e["id"] for e in again} <= set(before) and len(again) == summary["replayed"]
    for event in again:
        assert conforms("forem", event) == before[event["id"]]
    # Only the Mission's direction may replay, and only a known agency from a real date.
    with pytest.raises(Forbidden):
        platform.rpc("mirec", "beneficiary", "replay_agency_events", "forem", TODAY.isoformat(), actor=COUNSELLOR)
    with pytest.raises(ValidationFailed) as refused:
        platform.rpc("mirec", "convention", "replay_agency_events", "vdab", "yesterday", actor=DIRECTOR)
    assert set(refused.value.errors) == {"agency", "since"}
    # The withdrawn person's facts stay forgotten; the forget event is replayed.
    assert [e["type"] for e in again if e["subject"] == "FOR-WD-1"] == [catalogue.FORGET_REQUESTED]
    assert run.stderr.count("events queued again") == 2  # beneficiary and convention of the Mission


def connect(platform, vhost: str, user: str) -> pika.BlockingConnection:
    broker = platform.registry.broker
    credentials = pika.PlainCredentials(user, platform.registry.password_for(user))
    return pika.BlockingConnection(
        pika.ConnectionParameters(broker["host"], broker["port"], vhost, credentials, connection_attempts=1)
    )


def test_an_agency_user_reads_only_its_own_queue_and_publishes_nowhere(platform):
    vhost, prefix = platform.registry.agencies_vhost, platform.registry.prefix
    conn = connect(platform, vhost, prefix + "forem")
    try:
        with pytest.raises(ChannelClosedByBroker) as other_queue:
            conn.channel().basic_consume("actiris.events", lambda *a: None)
        assert other_queue.value.reply_code == 403
        with pytest.raises(ChannelClosedByBroker) as other_dead:
            conn.channel().basic_consume("actiris.events.dead", lambda *a: None)
        assert other_dead.value.reply_code == 403
        channel = conn.channel()
        channel.confirm_delivery()
        with pytest.raises(ChannelClosedByBroker) as publish:
            channel.basic_publish("passerelle.agency", "forem.be.mire.beneficiary.registered.v1", b"{}")
        assert publish.value.reply_code == 403
        own = conn.channel()
        assert own.basic_consume("forem.events", lambda *a: None)  # its own queue: allowed
        own.close()
    finally:
        if conn.is_open:
            conn.close()
    # Not even a connection to a Mission's vhost, so none of its exchanges.
    for agency in catalogue.AGENCIES:
        with pytest.raises(ProbableAccessDeniedError):
            connect(platform, platform.registry.site("mirec").vhost, prefix + agency)


def test_the_reference_consumer_acks_deduplicates_a_replay_and_dead_letters_a_malformed_event(
    platform, agencies, tmp_path
):
    agencies.settle()
    vhost = platform.registry.agencies_vhost

    def replay():
        return platform.rpc("mirec", "beneficiary", "replay_agency_events", "forem", TODAY.isoformat(), actor=DIRECTOR)[
            "replayed"
        ]

    first = replay()
    second = replay()  # the same events once more: what a consumer sees when it asks twice
    assert first == second > 0
    outside_contract = json.dumps(
        {
            "specversion": "1.0",
            "id": "bad-1",
            "source": "/missions/mirec/beneficiary",
            "type": catalogue.REGISTERED,
            "time": "2026-11-22T08:00:00Z",
            "subject": "FOR-X",
            "dataschema": "urn:x",
            "data": {"niss": "x"},
        }
    )
    assert platform.publish(vhost, "passerelle.agency", f"forem.{catalogue.REGISTERED}", outside_contract)
    assert platform.publish(vhost, "passerelle.agency", "forem.garbage", "not json at all")
    wait_until(
        lambda: platform.queue_depth(vhost, "forem.events") >= first + second + 2,
        timeout=30,
        what="the replays and the malformed messages at Le Forem's queue",
    )

    store = tmp_path / "forem.sqlite"
    url = platform.registry.amqp_uri_for(vhost, platform.registry.prefix + "forem")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "contracts.reference_consumer",
            "--url",
            url,
            "--agency",
            "forem",
            "--store",
            str(store),
            "--idle-exit",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    tally = json.loads(run.stdout)
    # Every replayed event applied once; its second copy (and any redelivery, since publishing is at least
    # once) recognised by its id.
    assert (tally["applied"], tally["dead_lettered"]) == (first, 2) and tally["duplicates"] >= second
    assert tally["requeued"] == 0 and tally["ignored"] == 0
    assert platform.queue_depth(vhost, "forem.events") == 0
    dead = platform.get_messages(vhost, "forem.events.dead", 10)
    assert sorted(m["payload"] for m in dead) == sorted([outside_contract, "not json at all"])
    assert all(m["properties"]["headers"]["x-death"][0]["reason"] == "rejected" for m in dead)

    engine = sa.create_engine(f"sqlite:///{store}")
    with engine.connect() as conn:
        seen = conn.execute(sa.text("SELECT count(*) FROM seen")).scalar()
        kept = conn.execute(sa.text("SELECT count(*) FROM event WHERE subject = 'FOR-WD-1'")).scalar()
    engine.dispose()
    assert seen == first and kept == 0
