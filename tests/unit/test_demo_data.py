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


def test_the_demo_partner_directory_is_valid_added_once_and_shares_one_organisation(tmp_path):
    """``runtime.demo._partners`` through the directory's own use cases: every body passes the schemas, a second
    seeding finds the organisations by name and adds nothing, and the first one is shared with InterMire."""
    from employer import directory
    from employer import partner_schemas as ps

    from kit import inputs
    from kit.actor import Actor
    from kit.testing import FixedClock, migrated, session
    from runtime.demo import DEMO_PARTNERS, _partners

    agent, clock, source = (
        Actor("eric@mirec", "mirec", ("employer_relations",)),
        FixedClock(),
        "/missions/mirec/employer",
    )
    with migrated("employer", f"sqlite:///{tmp_path}/employer.sqlite") as store:

        def call(method, *args):
            with session(store) as s, s.begin():
                if method == "search_partners":
                    return directory.search(s, inputs.load(ps.PartnerSearchSchema(), args[0]), *args[1:])
                if method == "create_partner":
                    made = directory.create_partner(s, agent, clock, source, inputs.load(ps.PartnerSchema(), args[0]))
                    return ps.PartnerOutSchema().dump(made.value)
                if method == "add_partner_service":
                    body = inputs.load(ps.PartnerServiceSchema(), args[1])
                    return ps.PartnerServiceOutSchema().dump(
                        directory.add_service(s, agent, clock, source, args[0], body).value
                    )
                assert method == "publish_partner"
                return ps.PartnerOutSchema().dump(directory.set_published(s, agent, clock, source, args[0], True).value)

        assert _partners(call, DemoFactory(5), "Charleroi", "50000") == len(DEMO_PARTNERS)
        assert _partners(call, DemoFactory(5), "Charleroi", "50000") == 0
        with session(store) as s:
            listed = directory.search(s, {}, 1, 100)["items"]
        assert len(listed) == len(DEMO_PARTNERS) and sum(p["published"] for p in listed) == 1
        assert {p["partner_type"] for p in listed} == {kind for _, kind, _ in DEMO_PARTNERS}
