"""One real RPC round-trip per RPC method, through the broker, against running site processes."""

import pytest

from kit.actor import Actor
from kit.errors import Conflict, NotFound, ValidationFailed
from runtime.demo import DemoFactory
from tests.harness import wait_until

pytestmark = pytest.mark.integration
AGENT = Actor("eric.agent", "mirec", ("employer_relations",))


def test_every_rpc_method_answers_over_the_broker(platform):
    platform.start("mirec")
    platform.start("intermire")
    for service in ("beneficiary", "employer", "convention", "matching", "reporting"):
        assert platform.rpc("mirec", service, "health")["ready"] is True
    assert platform.rpc("intermire", "reporting", "health")["ready"] is True

    factory = DemoFactory(seed=21)
    person = platform.rpc("mirec", "beneficiary", "register", factory.beneficiary("50000"))
    assert platform.rpc("mirec", "beneficiary", "get", person["id"])["id"] == person["id"]
    assert platform.rpc("mirec", "beneficiary", "count") == 1
    employer = platform.rpc("mirec", "employer", "register", factory.employer("50000"), actor=AGENT)
    assert platform.rpc("mirec", "employer", "get", employer["id"])["name"] == employer["name"]
    assert platform.rpc("mirec", "employer", "count") == 1

    indicators = wait_until(
        lambda: (r := platform.rpc("mirec", "reporting", "indicators"))["employers"] == 1 and r["entries"] == 1 and r,
        what="mission indicators",
    )
    assert indicators["facts"] == {"registered": 1}
    sector = wait_until(
        lambda: (r := platform.rpc("intermire", "reporting", "sector_indicators"))["people"] and r,
        what="sector indicators",
    )
    assert sector["entries_by_mission"] == {"mirec": 1} and sector["people"] == 1
    # The existence checks other services make (kit.references): existence only, this Mission only.
    vacancy = platform.new_vacancy("mirec", employer["id"])
    assert platform.rpc("mirec", "beneficiary", "known_beneficiaries", [person["id"], "no-such-id"]) == {
        person["id"]: None
    }
    assert platform.rpc("mirec", "employer", "known_employers", ["no-such-id", employer["id"]]) == {
        employer["id"]: None
    }
    assert platform.rpc("mirec", "employer", "known_vacancies", [vacancy]) == {vacancy: employer["id"]}


def test_errors_cross_rpc_with_their_fields(platform):
    platform.start("mirec", services=["beneficiary", "employer"])
    factory = DemoFactory(seed=22)
    with pytest.raises(ValidationFailed) as raised:
        platform.rpc(
            "mirec", "employer", "register", dict(factory.employer(), enterprise_number="0123456789"), actor=AGENT
        )
    assert list(raised.value.errors) == ["enterprise_number"]
    with pytest.raises(NotFound):
        platform.rpc("mirec", "beneficiary", "get", "no-such-id")
    person = factory.beneficiary()
    created = platform.rpc("mirec", "beneficiary", "register", person)
    with pytest.raises(Conflict) as conflict:
        platform.rpc("mirec", "beneficiary", "register", person)
    assert conflict.value.existing == created["id"]


def test_a_person_followed_by_two_missions_counts_once_and_both_are_told(platform):
    platform.start("mirec", services=["beneficiary"])
    platform.start("mirena", services=["beneficiary"])
    platform.start("intermire")
    person = DemoFactory(seed=23).beneficiary()
    at_mirec = platform.rpc("mirec", "beneficiary", "register", person)["id"]
    at_mirena = platform.rpc("mirena", "beneficiary", "register", person)["id"]
    # Each Mission learns that the other follows the person too; neither learns anything else.
    wait_until(
        lambda: platform.rpc("mirec", "beneficiary", "get", at_mirec)["followed_elsewhere"] == ["mirena"],
        what="MIREC to be told",
    )
    wait_until(
        lambda: platform.rpc("mirena", "beneficiary", "get", at_mirena)["followed_elsewhere"] == ["mirec"],
        what="MIRENA to be told",
    )
    sector = wait_until(
        lambda: (
            (r := platform.rpc("intermire", "reporting", "sector_indicators"))["entries_by_mission"].get("mirena") and r
        ),
        what="both Missions' entries",
    )
    assert sector["entries_by_mission"] == {"mirec": 1, "mirena": 1} and sector["people"] == 1
