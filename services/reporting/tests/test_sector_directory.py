"""InterMire's sector partner directory (``reporting.directory``) over a migrated SQLite: the latest revision of
each Mission's organisation wins, unpublishing removes it, and a search reads needs and municipalities."""

from datetime import UTC, datetime

import pytest
from reporting import directory

from contracts import sector
from kit.testing import migrated, session

AT = datetime(2026, 12, 7, 10, tzinfo=UTC)


def shared(revision: int, name: str = "CPAS de Charleroi", needs=("housing",)) -> sector.PartnerPublishedV1:
    service = sector.SharedPartnerService(
        service_id="s-1",
        title="Cellule logement",
        description="Logement",
        needs=list(needs),
        target_groups=["single_parent"],
        contact=sector.PartnerContact(phone="071 23 30 00"),
    )
    return sector.PartnerPublishedV1(
        partner_id="p-1",
        revision=revision,
        name=name,
        partner_type="cpas",
        municipalities=["52011"],
        contact=sector.PartnerContact(email="accueil@cpas.example"),
        services=[service],
    )


@pytest.fixture
def store(tmp_path):
    with migrated("reporting", f"sqlite:///{tmp_path}/reporting.sqlite") as store:
        yield store


def test_the_latest_revision_wins_and_unpublishing_removes_it(store):
    with session(store) as s, s.begin():
        assert directory.apply(s, "mirec", shared(2, "CPAS de Charleroi (nouveau nom)"), AT)
        assert not directory.apply(s, "mirec", shared(1), AT)  # an older event redelivered late
        assert directory.apply(s, "mirena", shared(1, "CPAS de Namur"), AT)  # another Mission's, same reference
    with session(store) as s:
        page = directory.search(s, {}, 1, 25)
        assert [(p["mission"], p["name"]) for p in page["items"]] == [
            ("mirec", "CPAS de Charleroi (nouveau nom)"),
            ("mirena", "CPAS de Namur"),
        ]
        assert page["items"][0]["services"][0]["contact"]["phone"] == "071 23 30 00"
        assert directory.search(s, {"need": "debt"}, 1, 25)["total"] == 0
        assert (
            directory.search(s, {"need": "housing", "municipality": "52011", "mission": "mirena"}, 1, 25)["total"] == 1
        )
    with session(store) as s, s.begin():
        assert directory.apply(s, "mirec", sector.PartnerUnpublishedV1(partner_id="p-1", revision=3), AT)
        assert not directory.apply(s, "mirec", shared(2), AT)  # a republication older than the removal
    with session(store) as s:
        assert [p["mission"] for p in directory.search(s, {}, 1, 25)["items"]] == ["mirena"]
