"""The relay's bookkeeping: confirmed rows are marked sent, the others wait with a backoff."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from contracts.envelope import make_event
from kit import outbox
from kit.db import _Store
from kit.migrations import upgrade
from kit.relay import OutboxRelay
from kit.storage import outbox as outbox_table


class FakeChannel:
    """Stands in for the broker: confirms every row except those it is told to refuse."""

    def __init__(self, refuse=()):
        self.refuse = dict(refuse)
        self.published = []

    def publish_batch(self, rows):
        self.published.extend(r.event_id for r in rows)
        return {r.seq: self.refuse.get(r.event_id) for r in rows}

    def heartbeat(self):
        pass

    def close(self):
        pass


@pytest.fixture
def relay(tmp_path):
    url = f"sqlite:///{tmp_path}/beneficiary.sqlite"
    upgrade("beneficiary", url)
    relay = OutboxRelay()
    relay.service = "beneficiary"
    relay.store = _Store(url)
    relay.container = type("C", (), {"config": {}})()
    yield relay
    relay.store.engine.dispose()


def add_events(store, n):
    events = [
        make_event(source="/missions/mirec/beneficiary", type="be.mire.beneficiary.registered.v1", data={"i": i})
        for i in range(n)
    ]
    with store.transaction() as session:
        for event in events:
            outbox.add(session, event)
    return events


def rows(store):
    with store.sessions() as session:
        return {r.event_id: r for r in session.execute(select(outbox_table)).all()}


def test_confirmed_rows_are_marked_sent_and_refused_ones_back_off(relay):
    events = add_events(relay.store, 3)
    relay._channel = FakeChannel(refuse={events[1].id: "unroutable"})
    assert relay.relay_once() == 2
    state = rows(relay.store)
    assert state[events[0].id].sent_at and state[events[2].id].sent_at
    refused = state[events[1].id]
    assert refused.sent_at is None and refused.attempts == 1 and refused.last_error == "unroutable"
    assert refused.next_attempt_at.replace(tzinfo=UTC) > datetime.now(UTC)
    # Not due yet: the next pass publishes nothing.
    assert relay.relay_once() == 0
    assert relay._channel.published == [e.id for e in events]


def test_agency_events_need_their_agency():
    event = make_event(
        source="/missions/mirec/convention", type="be.mire.convention.signed.v1", audience="agency", data={}
    )
    with pytest.raises(ValueError):
        outbox.routing_key(event)
    assert outbox.routing_key(event, "actiris") == "actiris.be.mire.convention.signed.v1"
    signal = make_event(
        source="/intermire/reporting", type="be.mire.reporting.followed_elsewhere.v1", audience="signal", data={}
    )
    with pytest.raises(ValueError):
        outbox.routing_key(signal)
    assert outbox.routing_key(signal, "mirec") == "mirec.be.mire.reporting.followed_elsewhere.v1"
