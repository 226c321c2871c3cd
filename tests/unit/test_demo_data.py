"""Demo data is realistic: valid national and enterprise numbers, real Walloon municipalities."""

from stdnum.be import nn, vat

from kit.reference import WALLONIA, municipality
from runtime.demo import DemoFactory


def test_generated_people_and_employers_pass_the_official_checks():
    factory = DemoFactory(seed=1)
    people = [factory.beneficiary("50000") for _ in range(500)]
    assert all(nn.is_valid(p["niss"]) for p in people)
    assert any(p["birth_date"] >= "2000" for p in people), "births from 2000 use the other checksum"
    assert {p["gender"] for p in people} == {"F", "M"}
    for p in people:
        town = municipality(p["municipality"])
        assert town["region"] == WALLONIA and town["province"] == "50000"
    employers = [factory.employer() for _ in range(200)]
    assert all(vat.is_valid(e["enterprise_number"]) for e in employers)


def test_same_seed_same_data():
    assert DemoFactory(seed=9).beneficiary() == DemoFactory(seed=9).beneficiary()
