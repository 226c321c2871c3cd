"""Referrals in (``beneficiary.referrals``): the rules, and the entrypoints called as a partner and as a
counsellor on a migrated SQLite database, the partner directory a fake."""

from datetime import date

import pytest
from beneficiary import referrals
from beneficiary.models import Beneficiary, Episode, Referral
from beneficiary.service import BeneficiaryService
from sqlalchemy import func, select

from kit.actor import Actor
from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit.testing import FixedClock, migrated, session, worker

CPAS, ALE, UNKNOWN = "org-cpas-charleroi", "org-ale-farciennes", "org-nowhere"
PAUL = Actor("paul@cpas", "mirec", ("partner",), CPAS)
ALICE = Actor("alice@ale", "mirec", ("partner",), ALE)
ANNE = Actor("anne.counsellor", "mirec", ("counsellor",))


class FakeDirectory:
    """The employer service's reference RPC, as the directory of MIREC answers it."""

    TYPES = {CPAS: "cpas", ALE: "ale"}

    def known_partners(self, ids):
        return {i: self.TYPES[i] for i in ids if i in self.TYPES}


def referral(**changes):
    sent = {
        "niss": "85.07.30-033.28",
        "first_name": "Léa",
        "last_name": "Van den Bossche",
        "birth_date": "1985-07-30",
        "municipality": "52011",
        "phone": "0471 23 45 67",
        "reason": "Cherche une formation en logistique après une longue période sans emploi.",
        "target_groups": ["long_term_unemployed"],
        "consent": True,
    }
    return {k: v for k, v in (sent | changes).items() if v is not None}


@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


def as_(store, actor):
    return worker(BeneficiaryService, store, actor, clock=FixedClock(), employer=FakeDirectory())


# -- rules ------------------------------------------------------------------
def test_a_partner_reads_past_accepted_only_with_the_persons_agreement():
    assert referrals.status_for_partner("received", True, None) == "received"
    assert referrals.status_for_partner("declined", True, None) == "declined"
    assert referrals.status_for_partner("accepted", False, "active") == "accepted"
    assert referrals.status_for_partner("accepted", True, "active") == "in_accompaniment"
    for closed in ("exited", "dropped_out", "transferred", None):  # None: the file was erased since
        assert referrals.status_for_partner("accepted", True, closed) == "ended"


def test_the_referrer_type_follows_the_partners_type():
    assert referrals.referrer_type("cpas") == "cpas"
    assert referrals.referrer_type("oisp") == "training_operator"
    assert referrals.referrer_type("union") == "other" and referrals.referrer_type(None) == "other"


def test_nothing_new_means_the_same_reason_and_target_groups():
    earlier = Referral(reason="Cherche  un emploi", target_groups=["neet_youth", "single_parent"])
    assert referrals.nothing_new(
        earlier, {"reason": "cherche un emploi", "target_groups": ["single_parent", "neet_youth"]}
    )
    assert not referrals.nothing_new(earlier, {"reason": "Cherche un emploi stable", "target_groups": ["neet_youth"]})
    assert not referrals.nothing_new(earlier, {"reason": "cherche un emploi", "target_groups": ["neet_youth"]})


# -- entrypoints --------------------------------------------------------------
def test_consent_is_required_and_the_organisation_must_be_in_the_directory(store):
    paul = as_(store, PAUL)
    for without in ({"consent": None}, {"consent": False}):
        with pytest.raises(ValidationFailed) as refused:
            paul.submit_referral(referral(**without))
        assert list(refused.value.errors) == ["consent"]
        assert "consent" in refused.value.errors["consent"][0]
    with pytest.raises(ValidationFailed) as refused:
        paul.submit_referral(referral(phone=None))
    assert list(refused.value.errors) == ["phone"]  # no way to reach the person
    with pytest.raises(Forbidden, match="partner directory"):
        as_(store, Actor("x@nowhere", "mirec", ("partner",), UNKNOWN)).submit_referral(referral())
    with pytest.raises(Forbidden):  # a partner token without its organisation
        as_(store, Actor("x", "mirec", ("partner",))).list_referrals()
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_referral_accepted_becomes_an_intake_and_its_partner_alone_follows_it(store):
    sent = as_(store, PAUL).submit_referral(referral())
    assert sent["status"] == "received" and set(sent) == {
        "id",
        "first_name",
        "last_name",
        "birth_date",
        "submitted_on",
        "status",
        "answered_on",
        "decline_reason",
    }
    anne = as_(store, ANNE)
    queue = anne.list_referrals()
    assert [r["id"] for r in queue["items"]] == [sent["id"]] and queue["items"][0]["organisation"] == CPAS
    # Another organisation's partner: the referral does not exist for it.
    alice = as_(store, ALICE)
    assert alice.list_referrals()["items"] == []
    with pytest.raises(NotFound):
        alice.get_referral(sent["id"])
    # An intake refused (no gender given) writes nothing: the referral still awaits its answer.
    with pytest.raises(ValidationFailed) as refused:
        anne.accept_referral(sent["id"], {})
    assert list(refused.value.errors) == ["gender"]
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(Beneficiary)) == 0
    accepted = anne.accept_referral(sent["id"], {"gender": "F", "email": "lea.vdb@example.be"})
    assert accepted["status"] == "accepted" and accepted["beneficiary_id"]
    with session(store) as s:
        who = s.get(Beneficiary, accepted["beneficiary_id"])
        assert (who.first_name, who.niss, who.birth_date) == ("Léa", "85073003328", date(1985, 7, 30))
        assert (who.referrer_type, who.referrer_organisation, who.email) == ("cpas", CPAS, "lea.vdb@example.be")
        assert s.get(Episode, (who.id, 1)).referral_id == sent["id"]
    with pytest.raises(Conflict, match="accepted"):
        anne.accept_referral(sent["id"], {"gender": "F"})
    paul = as_(store, PAUL)
    assert paul.get_referral(sent["id"])["status"] == "accepted"
    # The person agrees that the partner be told: "in accompaniment", then "ended" once the path ends.
    anne.record_referrer_consent(accepted["beneficiary_id"], {"inform_referrer": True})
    assert paul.list_referrals()["items"][0]["status"] == "in_accompaniment"
    anne.exit_path(accepted["beneficiary_id"], {"reason": "durable_employment"})
    mine = paul.get_referral(sent["id"])
    assert mine["status"] == "ended" and "beneficiary_id" not in mine and "reason" not in mine
    # The partner reaches nothing else: the file, its plan and notes are refused.
    for call in (lambda: paul.get(accepted["beneficiary_id"]), lambda: paul.list_plans(accepted["beneficiary_id"])):
        with pytest.raises(Forbidden):
            call()


def test_a_declined_referral_resubmitted_with_nothing_new_is_a_conflict(store):
    paul = as_(store, PAUL)
    first = paul.submit_referral(referral())
    with pytest.raises(Conflict, match="awaiting"):  # the same person again while the first awaits its answer
        paul.submit_referral(referral(niss=None, first_name="LEA", last_name="van den bossche"))
    anne = as_(store, ANNE)
    with pytest.raises(ValidationFailed) as refused:
        anne.decline_referral(first["id"], {})
    assert list(refused.value.errors) == ["reason"]
    anne.decline_referral(first["id"], {"reason": "La personne habite hors du bassin de la Mission."})
    seen = paul.get_referral(first["id"])
    assert (seen["status"], seen["decline_reason"]) == ("declined", "La personne habite hors du bassin de la Mission.")
    with pytest.raises(Conflict, match="declined") as conflict:
        paul.submit_referral(referral(reason=referral()["reason"].upper()))
    assert conflict.value.field == "reason" and conflict.value.existing == first["id"]
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == 1
    # Another organisation may refer the same person; and something new is a new referral.
    assert as_(store, ALICE).submit_referral(referral())["status"] == "received"
    again = paul.submit_referral(referral(reason="A déménagé à Charleroi depuis, cherche toujours en logistique."))
    assert again["status"] == "received" and again["id"] != first["id"]
    with pytest.raises(Conflict, match="declined"):
        anne.decline_referral(first["id"], {"reason": "encore"})


def test_consent_to_inform_the_referrer_needs_a_file_from_a_referral(store):
    anne = as_(store, ANNE)
    from runtime.demo import DemoFactory

    pid = anne.register(DemoFactory(seed=5).beneficiary())["id"]
    with pytest.raises(ValidationFailed) as refused:
        anne.record_referrer_consent(pid, {"inform_referrer": True})
    assert list(refused.value.errors) == ["inform_referrer"]


def test_erasing_the_person_erases_the_referral_their_file_came_from(store):
    sent = as_(store, PAUL).submit_referral(referral())
    anne = as_(store, ANNE)
    pid = anne.accept_referral(sent["id"], {"gender": "F"})["beneficiary_id"]
    as_(store, Actor("dirk.director", "mirec", ("director",))).erase(pid)
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == 0
    assert as_(store, PAUL).list_referrals()["items"] == []


def test_the_persons_copy_holds_the_referral_and_who_read_it(store):
    sent = as_(store, PAUL).submit_referral(referral())
    anne = as_(store, ANNE)
    pid = anne.accept_referral(sent["id"], {"gender": "F"})["beneficiary_id"]
    as_(store, PAUL).get_referral(sent["id"])
    copy = as_(store, Actor("dirk.director", "mirec", ("director",))).subject_access(pid)
    assert [r["id"] for r in copy["referrals"]] == [sent["id"]] and "search_name" not in copy["referrals"][0]
    assert copy["referrals"][0]["reason"] == referral()["reason"]
    readers = {(a["actor"], a["action"]) for a in copy["audit"] if a["subject"] == sent["id"]}
    assert ("paul@cpas", "beneficiary.referral.read") in readers


def test_a_referral_of_someone_on_file_is_the_intakes_409_and_stays_received(store):
    from kit.errors import FileExists
    from runtime.demo import DemoFactory

    anne = as_(store, ANNE)
    on_file = DemoFactory(seed=8).beneficiary()
    pid = anne.register(on_file)["id"]
    sent = as_(store, PAUL).submit_referral(referral(niss=on_file["niss"]))
    with pytest.raises(FileExists) as exists:
        anne.accept_referral(sent["id"], {"gender": "F"})
    assert exists.value.existing == pid
    assert anne.get_referral(sent["id"])["status"] == "received"
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(Beneficiary)) == 1


def test_a_declined_referral_is_deleted_by_retention_after_its_period_and_the_others_stay(store):
    from datetime import timedelta

    clock = FixedClock()
    paul = worker(BeneficiaryService, store, PAUL, clock=clock, employer=FakeDirectory())
    anne = worker(BeneficiaryService, store, ANNE, clock=clock, employer=FakeDirectory())
    declined = paul.submit_referral(referral())["id"]
    waiting = paul.submit_referral(referral(niss=None, first_name="Marc", birth_date="1990-01-02"))["id"]
    anne.decline_referral(declined, {"reason": "La personne habite hors du bassin de la Mission."})
    director = worker(BeneficiaryService, store, Actor("passerelle-retention", "mirec", ("director",)), clock=clock)
    periods = {"referrals_declined_days": 180}
    clock.at += timedelta(days=180)  # on the last day of its period: kept
    assert director.apply_retention(periods, False)["referrals"] == 0
    clock.at += timedelta(days=1)
    assert director.apply_retention(periods, True)["referrals"] == 1
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == 2  # the dry run removed nothing
    assert director.apply_retention(periods, False)["referrals"] == 1
    with session(store) as s:
        assert set(s.scalars(select(Referral.id))) == {waiting}  # the unanswered one waits in the list
    with pytest.raises(ValidationFailed) as refused:
        director.apply_retention({"referrals_declined_days": 29}, True)
    assert list(refused.value.errors) == ["referrals_declined_days"]
