"""kit.entrypoint: the one shape of every RPC and event handler, step by step, with fakes for the caller and the
database (the services' own tests run it on real migrated databases)."""

import inspect
from contextlib import contextmanager

import pytest
from marshmallow import Schema, fields
from nameko.timer import Timer

from contracts import internal, signal
from contracts.envelope import make_event
from kit import entrypoint as ep
from kit.actor import Actor
from kit.application import Outcome
from kit.consumer import EventHandler
from kit.errors import Forbidden, ValidationFailed
from kit.references import Ref
from kit.rpc import PromptRpc
from kit.service import Placement
from kit.testing import FixedClock

ACTOR = Actor("anne.counsellor", "mirec", ("counsellor",))


class Payload(Schema):
    name = fields.String(required=True)


class Answer(Schema):
    name = fields.String()


class Caller:
    def __init__(self, allowed, journal):
        self.allowed, self.journal = allowed, journal

    def authorize(self, action):
        self.journal.append(("authorize", action))
        if action not in self.allowed:
            raise Forbidden(f"not allowed: {action}")
        return ACTOR


class Db:
    def __init__(self, journal, seen=()):
        self.journal, self.seen = journal, set(seen)

    @contextmanager
    def transaction(self):
        self.journal.append(("transaction", "open"))
        yield "session"
        self.journal.append(("transaction", "commit"))

    @contextmanager
    def session(self):
        self.journal.append(("session", "open"))
        yield "read-session"

    @contextmanager
    def once(self, event):
        self.journal.append(("once", event.id))
        yield None if event.id in self.seen else "session"


class Owner:
    """The owning service's side of kit.references: which employers exist."""

    def __init__(self, journal, known):
        self.journal, self.known = journal, known

    def known_employers(self, ids):
        self.journal.append(("known_employers", tuple(ids)))
        return {i: None for i in ids if i in self.known}


class Service:
    def __init__(self, allowed=("x.write", "x.read", "x.notes.social"), seen=()):
        self.journal = []
        self.caller = Caller(allowed, self.journal)
        self.db = Db(self.journal, seen)
        self.employer = Owner(self.journal, {"e-1"})
        self.clock = FixedClock()
        self.site = Placement("mirec", "mission", "x")

    @ep.entrypoint("x.write", payload=Payload, answer=Answer)
    def write(self, thing_id, payload):
        self.journal.append(("body", self.unit.session, thing_id, payload["name"]))
        return {"name": payload["name"].upper()}

    @ep.entrypoint("x.read", reads=True)
    def read(self, thing_id, purpose="accompaniment"):
        session, actor, clock, source = self.unit
        self.journal.append(("body", session, actor.sub, source, self.unit.action, purpose))
        return thing_id

    @ep.entrypoint("x.write", payload=Payload, refs=lambda payload: [Ref("employer_id", "employer", payload["name"])])
    def refer(self, payload):
        self.journal.append(("body", payload["name"]))
        return Outcome("done", [("event", None)])

    @ep.entrypoint(lambda kind: f"x.notes.{kind}", kind=lambda kind: kind.strip())
    def notes(self, kind):
        self.journal.append(("body", kind))
        return kind

    @ep.entrypoint("x.write", session=False)
    def hand_over(self, batch):
        self.journal.append(("body", self.unit.session, self.unit.actor.sub, batch))
        return batch

    @ep.once(internal.BeneficiaryErasedV1)
    def on_erased(self, data):
        self.journal.append(("body", self.unit.session, self.unit.actor, data.beneficiary_id))
        return Outcome(None, [("forgotten", None)])


@pytest.fixture
def outbox(monkeypatch):
    added = []
    monkeypatch.setattr(
        ep, "to_outbox", lambda session, outcome: added.append((session, outcome.events)) or outcome.value
    )
    return added


def test_a_write_authorises_loads_runs_in_one_transaction_and_dumps():
    service = Service()
    assert service.write("t-1", {"name": "anne"}) == {"name": "ANNE"}
    assert service.journal == [
        ("authorize", "x.write"),
        ("transaction", "open"),
        ("body", "session", "t-1", "anne"),
        ("transaction", "commit"),
    ]
    assert not hasattr(service, "unit"), "the unit of work lives only while the body runs"


def test_the_caller_is_refused_before_anything_is_loaded_or_opened():
    service = Service(allowed=())
    with pytest.raises(Forbidden):
        service.write("t-1", {"unknown": "field"})
    assert service.journal == [("authorize", "x.write")]


def test_a_payload_outside_its_schema_is_refused_field_by_field_before_the_transaction():
    service = Service()
    with pytest.raises(ValidationFailed) as refused:
        service.write("t-1", {})
    assert refused.value.errors == {"name": ["Missing data for required field."]}
    assert ("transaction", "open") not in service.journal


def test_a_read_opens_a_session_and_the_unit_gives_what_use_cases_take_first():
    service = Service()
    assert service.read("t-2", purpose="control") == "t-2"
    assert service.journal[1:] == [
        ("session", "open"),
        ("body", "read-session", "anne.counsellor", "/missions/mirec/x", "x.read", "control"),
    ]


def test_references_are_checked_by_their_owner_before_the_transaction_and_events_go_to_the_outbox(outbox):
    service = Service()
    with pytest.raises(ValidationFailed) as refused:
        service.refer({"name": "e-404"})
    assert refused.value.errors == {"employer_id": ["no employer with this reference in this Mission"]}
    assert service.journal == [("authorize", "x.write"), ("known_employers", ("e-404",))]
    assert outbox == []

    service.journal.clear()
    assert service.refer({"name": "e-1"}) == "done"
    assert [step[0] for step in service.journal] == [
        "authorize",
        "known_employers",
        "transaction",
        "body",
        "transaction",
    ]
    assert outbox == [("session", [("event", None)])]


def test_an_action_that_depends_on_the_arguments_is_decided_after_they_are_loaded():
    service = Service()
    assert service.notes(" social ") == "social"
    assert service.journal[0] == ("authorize", "x.notes.social")
    with pytest.raises(Forbidden):
        service.notes("psychological")


def test_nameko_still_checks_each_call_against_the_method_own_signature():
    inspect.getcallargs(Service.write, None, "t-1", {"name": "x"})
    with pytest.raises(TypeError):
        inspect.getcallargs(Service.write, None, "t-1")
    with pytest.raises(TypeError):
        inspect.getcallargs(Service.read, None, "t-1", "p", "extra")


def test_an_event_is_loaded_through_its_contract_and_applied_once(outbox):
    event = make_event(
        source="/missions/mirec/beneficiary", type=internal.BeneficiaryErasedV1.TYPE, data={"beneficiary_id": "b-1"}
    )
    service = Service()
    service.on_erased(event)
    assert service.journal == [("once", event.id), ("body", "session", None, "b-1")]
    assert outbox == [("session", [("forgotten", None)])]

    again = Service(seen={event.id})
    again.on_erased(event)
    assert again.journal == [("once", event.id)]

    other = make_event(source="/missions/mirec/beneficiary", type=internal.BeneficiaryRegisteredV1.TYPE, data={})
    with pytest.raises(Exception, match="is not"):
        Service().on_erased(other)


def test_the_spec_registers_the_method_as_the_service_rpc_and_once_as_its_event_handler():
    (rpc,) = Service.write.nameko_entrypoints
    assert isinstance(rpc, PromptRpc)
    (handler,) = Service.on_erased.nameko_entrypoints
    assert isinstance(handler, EventHandler)
    assert (handler.event_type, handler.source) == (internal.BeneficiaryErasedV1.TYPE, "internal")

    class Signals:
        @ep.once(signal.FollowedElsewhereV1, source="signal")
        def on_followed(self, data):
            pass

    (handler,) = Signals.on_followed.nameko_entrypoints
    assert (handler.event_type, handler.source) == (signal.FollowedElsewhereV1.TYPE, "signal")


def test_without_a_session_the_body_runs_authorised_with_the_actor_and_nothing_opened():
    service = Service()
    assert service.hand_over(7) == 7
    assert service.journal == [("authorize", "x.write"), ("body", None, "anne.counsellor", 7)]
    assert not hasattr(service, "unit")
    with pytest.raises(Forbidden):
        Service(allowed=()).hand_over(7)


def test_the_due_timer_sets_the_due_counts_through_the_service():
    def due_counts(session, today):
        return {}

    class Counted:
        measure_due = ep.due_timer(due_counts)

        def __init__(self):
            self.counted = []

        def count_due(self, counts):
            self.counted.append(counts)

    (timer,) = Counted.measure_due.nameko_entrypoints
    assert isinstance(timer, Timer) and timer.eager
    service = Counted()
    service.measure_due()
    assert service.counted == [due_counts]
