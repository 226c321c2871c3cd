"""The checker: a ledger's verdict in four numbers — lost, duplicated effects, unexpected, dead-lettered.

* **lost** — an expected ``(event, handler)`` pair neither applied nor
  dead-lettered, plus every write a client saw acknowledged that its
  producer does not hold;
* **duplicated effects** — inbox rows or effect rows beyond the first for one
  ``(event, handler)``;
* **unexpected** — something applied or dead-lettered that nobody committed
  or injected, an effect without its inbox row (or the reverse), or a dead
  letter of a committed event (a valid event must never be dead-lettered);
* **dead-lettered** — dead letters, which must be exactly the injected poison.

Pass: 0 / 0 / 0 / exactly the injected poison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.reliability.ledger import EFFECTS, Ledger


@dataclass
class Verdict:
    lost: int
    duplicated: int
    unexpected: int
    dead_lettered: int
    poison_injected: int
    committed: int
    confirmed: int
    applied: int
    examples: dict[str, list] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.unexpected == 0
            and self.dead_lettered == self.poison_injected
            and not self.examples.get("poison not dead-lettered")
        )

    def line(self) -> str:
        return (
            f"lost {self.lost} / duplicated {self.duplicated} / unexpected {self.unexpected} / "
            f"dead-lettered {self.dead_lettered} (poison injected {self.poison_injected}); "
            f"{self.committed} events committed, {self.confirmed} confirmed, {self.applied} applications"
        )

    def explain(self) -> str:
        parts = [self.line()]
        for what, items in self.examples.items():
            if items:
                parts.append(f"  {what}: {items[:5]}")
        return "\n".join(parts)


def check(ledger: Ledger, poison: set[tuple[str, str]] = frozenset(), injected_ids: set[str] = frozenset()) -> Verdict:
    """``poison``: the ``(message id, handler)`` pairs the test injected as poison and expects dead-lettered;
    ``injected_ids``: every message id the test injected (a valid injected message may take effect)."""
    dead_pairs = set(ledger.dead)
    lost = sorted(p for p in ledger.expected if p not in ledger.applied and p not in dead_pairs)
    lost_writes = sorted(k for k, v in ledger.acknowledged.items() if v not in ledger.stored)
    duplicated = sorted(p for p, n in ledger.applied.items() if n > 1)
    duplicated += sorted(p for p, n in ledger.effects.items() if n > 1 and p not in duplicated)
    duplicated += sorted(p for p, n in ledger.dead.items() if n > 1 and p in poison)
    known = set(ledger.committed) | set(injected_ids)
    unexpected = sorted(p for p in ledger.applied if p[0] not in known)
    unexpected += sorted(p for p in ledger.applied if p[0] in ledger.committed and p not in ledger.expected)
    effect_handlers = set(EFFECTS)
    unexpected += sorted(p for p in ledger.effects if p not in ledger.applied)
    unexpected += sorted(
        p for p in ledger.applied if p[1] in effect_handlers and p not in ledger.effects and p[0] in ledger.committed
    )
    unexpected += sorted(p for p in dead_pairs if p not in poison)
    not_dead = sorted(p for p in poison if p not in dead_pairs)
    return Verdict(
        lost=len(lost) + len(lost_writes),
        duplicated=len(duplicated),
        unexpected=len(unexpected),
        dead_lettered=sum(ledger.dead.values()),
        poison_injected=len(poison),
        committed=len(ledger.committed),
        confirmed=len(ledger.confirmed),
        applied=sum(1 for p in ledger.applied if p in ledger.expected),
        examples={
            "lost": lost,
            "lost acknowledged writes": lost_writes,
            "duplicated": duplicated,
            "unexpected": unexpected,
            "poison not dead-lettered": not_dead,
        },
    )
