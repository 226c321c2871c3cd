"""How the relay groups outbox rows into messages: consecutive same-key internal or sector events only."""

from collections import namedtuple

from kit.relay import PACK_SIZE, packs

Row = namedtuple("Row", "seq audience routing_key")


def rows(*spec):
    return [Row(i, audience, key) for i, (audience, key) in enumerate(spec)]


def seqs(groups):
    return [[row.seq for row in group] for group in groups]


def test_a_run_of_same_type_events_is_one_message_and_order_is_kept():
    a, b = ("internal", "be.mire.x.a.v1"), ("internal", "be.mire.x.b.v1")
    assert seqs(packs(rows(a, a, a, b, b, a))) == [[0, 1, 2], [3, 4], [5]]


def test_agency_events_and_signals_go_one_per_message():
    forem = ("agency", "forem.be.mire.x.a.v1")
    signal = ("signal", "mirec.be.mire.y.s.v1")
    assert seqs(packs(rows(forem, forem, signal, signal))) == [[0], [1], [2], [3]]


def test_same_key_in_another_audience_is_another_message():
    assert seqs(packs(rows(("internal", "k"), ("sector", "k"), ("sector", "k")))) == [[0], [1, 2]]


def test_a_long_run_is_cut_at_the_pack_size():
    groups = packs(rows(*[("sector", "k")] * (2 * PACK_SIZE + 1)))
    assert [len(g) for g in groups] == [PACK_SIZE, PACK_SIZE, 1]
