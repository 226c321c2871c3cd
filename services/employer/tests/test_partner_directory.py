"""The partner directory's rules and use cases, called directly: a migrated SQLite database, a fixed clock."""

from datetime import UTC, datetime

import pytest
from employer import directory
from employer.models import Partner, PartnerService
from employer.partners import OFFERED, WITHDRAWN

from kit.testing import migrated, session

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with migrated("employer", f"sqlite:///{tmp_path}/employer.sqlite") as store:
        yield store


def test_references_name_partners_and_offered_services_with_the_organisation_s_type(store):
    with session(store) as s, s.begin():
        s.add(
            Partner(
                id="p-1",
                name="CPAS de Charleroi",
                partner_type="cpas",
                municipalities=["52011"],
                contact={},
                created_at=AT,
                created_by="eric",
            )
        )
        s.flush()
        for ref, status in (("s-1", OFFERED), ("s-2", WITHDRAWN)):
            s.add(
                PartnerService(
                    id=ref,
                    partner_id="p-1",
                    title="Logement",
                    description="Aide au logement",
                    needs=["housing"],
                    target_groups=[],
                    contact={},
                    status=status,
                    created_at=AT,
                )
            )
    with session(store) as s:
        assert directory.known_partners(s, ["p-1", "p-2"]) == {"p-1": "cpas"}
        assert directory.known_partner_services(s, ["s-1", "s-2", "s-3"]) == {"s-1": "cpas"}
