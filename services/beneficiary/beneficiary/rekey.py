"""Sector key rotation, the Mission's part: re-derive the pseudonyms made under another key.

The Mission holds each person's national number, so it needs only the new key (ARCHITECTURE.md, "Sector
key rotation"). A batch, in one transaction: every person whose ``pseudonym_key`` is not the current
key's id gets the new pseudonym; their followed-elsewhere signal moves with it; and InterMire is told
``previous → new`` by one sector event per person, through the outbox in the same transaction, so a crash
loses no pair and a batch half applied does not exist. Idempotent: a person already on the current key
is not touched again, so ``passerelle rotate-sector-key`` simply repeats until nothing remains.

Rows from before key identifiers whose pseudonym the current key gives again (the key did not change)
only get the identifier: no event, since nothing changed for InterMire. So do provisional identities (no
number yet, a random pseudonym: ``beneficiary.identity``), renamed when their number is known instead.
"""

from __future__ import annotations

from sqlalchemy import func, select

from beneficiary import events
from beneficiary.models import Beneficiary, FollowedElsewhere
from kit import outbox
from kit.pseudonym import key_id, pseudonym


def rekey(db, source: str, limit: int = 500) -> dict:
    """One batch of at most ``limit`` people; ``{"key", "rekeyed", "labelled", "remaining"}``."""
    current = key_id()
    stale = Beneficiary.pseudonym_key != current
    rekeyed = labelled = 0
    with db.transaction() as session:
        people = session.scalars(select(Beneficiary).where(stale).order_by(Beneficiary.id).limit(limit)).all()
        for person in people:
            if person.niss is None:
                # A provisional identity's pseudonym is random, not derived under any key: only the label moves.
                person.pseudonym_key = current
                labelled += 1
                continue
            previous, person.pseudonym = person.pseudonym, pseudonym(person.niss)
            person.pseudonym_key = current
            if person.pseudonym == previous:
                labelled += 1
                continue
            signal = session.get(FollowedElsewhere, previous)
            if signal is not None:
                moved = FollowedElsewhere(
                    pseudonym=person.pseudonym, missions=signal.missions, signalled_at=signal.signalled_at
                )
                session.delete(signal)
                session.flush()
                session.merge(moved)
            outbox.add(session, events.pseudonym_rekeyed(source, previous, person))
            rekeyed += 1
        session.flush()
        remaining = session.scalar(select(func.count()).select_from(Beneficiary).where(stale))
    return {"key": current, "rekeyed": rekeyed, "labelled": labelled, "remaining": remaining}
