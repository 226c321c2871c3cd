"""The partner directory through the gateway, on the real broker and database (SQLite or PostgreSQL).

A Mission's employer-relations agents keep its partner organisations and their services; all its staff find
them by need, municipality and target group; a published organisation reaches InterMire's sector directory
through the shovel (no person on it) and leaves it when unpublished; another Mission sees none of it.
"""

import pytest

from gateway.auth import mint
from kit.actor import Actor
from tests.harness import module_platform, wait_until

pytestmark = pytest.mark.integration
P = "/missions/mirec/partners"
CHARLEROI, FARCIENNES, CHATELET = "52011", "52018", "52012"


def auth(sub, roles, mission="mirec", organisation=None):
    return {"Authorization": f"Bearer {mint(sub, mission, list(roles), organisation=organisation)}"}


ERIC = auth("eric.agent", ["employer_relations"])
ANNE = auth("anne.counsellor", ["counsellor"])
DORA = auth("dora.director", ["director"])
ANALYST = auth("ines.analyst", ["intermire_analyst"], "intermire")
MIRENA_AGENT = auth("nina.agent", ["employer_relations"], "mirena")
MIRENA_DIRECTOR = auth("noe.director", ["director"], "mirena")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(
        tmp_path_factory, "partners", {"mirec": ["employer"], "mirena": ["employer"], "intermire": None}
    )


def create(client, body, headers=ERIC, path=P):
    reply = client.post(path, json=body, headers=headers)
    assert reply.status_code == 201, reply.json
    return reply.json


def add_service(client, partner_id, body, headers=ERIC):
    reply = client.post(f"{P}/{partner_id}/services", json=body, headers=headers)
    assert reply.status_code == 201, reply.json
    return reply.json


@pytest.fixture(scope="module")
def directory(client):
    cpas = create(
        client,
        {
            "name": "CPAS de Charleroi",
            "enterprise_number": "0212.345.668",
            "partner_type": "cpas",
            "municipalities": [CHARLEROI],
            "contact": {"phone": "071 23 30 00", "email": "accueil@cpas-charleroi.test", "address": "Bd Joseph II 13"},
        },
    )
    housing = add_service(
        client,
        cpas["id"],
        {
            "title": "Cellule logement",
            "description": "Recherche d'un logement, garantie locative, prévention des expulsions.",
            "needs": ["housing", "social_aid"],
            "target_groups": ["social_aid", "single_parent"],
            "conditions": "Habiter Charleroi",
            "opening_hours": "Lundi au vendredi, 8 h 30 – 12 h",
        },
    )
    ale = create(
        client,
        {"name": "ALE de Farciennes", "partner_type": "ale", "municipalities": [FARCIENNES, CHATELET]},
    )
    language = add_service(
        client,
        ale["id"],
        {
            "title": "Français langue étrangère",
            "description": "Cours de français oral, deux matinées par semaine.",
            "needs": ["language"],
            "target_groups": ["refugee_newcomer"],
        },
    )
    return {"cpas": cpas, "housing": housing, "ale": ale, "language": language}


def names(reply):
    assert reply.status_code == 200, reply.json
    return [item["name"] for item in reply.json["items"]]


def test_staff_find_partners_by_need_municipality_and_target_group(client, directory):
    assert names(client.get(P, query_string={"need": "housing"}, headers=ANNE)) == ["CPAS de Charleroi"]
    assert names(client.get(P, query_string={"municipality": CHATELET}, headers=ANNE)) == ["ALE de Farciennes"]
    assert names(client.get(P, query_string={"target_group": "refugee_newcomer"}, headers=DORA)) == [
        "ALE de Farciennes"
    ]
    # One service answering both: the housing cell serves single parents, nobody serves newcomers for housing.
    both = {"need": "housing", "target_group": "single_parent"}
    assert names(client.get(P, query_string=both, headers=ANNE)) == ["CPAS de Charleroi"]
    assert (
        names(client.get(P, query_string={"need": "housing", "target_group": "refugee_newcomer"}, headers=ANNE)) == []
    )
    assert names(client.get(P, query_string={"q": "cpas charleroi"}, headers=ANNE)) == ["CPAS de Charleroi"]
    page = client.get(P, query_string={"page_size": 1}, headers=ANNE).json
    assert (page["total"], len(page["items"]), page["items"][0]["services_offered"]) == (2, 1, 1)
    bad = client.get(P, query_string={"need": "weather", "municipality": "abc"}, headers=ANNE)
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"need", "municipality"}
    read = client.get(f"{P}/{directory['cpas']['id']}", headers=ANNE).json
    assert read["enterprise_number"] == "0212345668" and [s["title"] for s in read["services"]] == ["Cellule logement"]


def test_a_bad_bce_or_municipality_is_refused_by_field_and_nothing_is_written(client):
    reply = client.post(
        P,
        json={
            "name": "Asbl Mauvais Numéro",
            "enterprise_number": "0123.456.789",
            "partner_type": "oisp",
            "municipalities": ["99999"],
        },
        headers=ERIC,
    )
    assert reply.status_code == 422
    assert set(reply.json["errors"]) == {"enterprise_number", "municipalities"}
    assert names(client.get(P, query_string={"q": "mauvais"}, headers=ERIC)) == []
    kind = client.post(P, json={"name": "X", "partner_type": "bank", "municipalities": [CHARLEROI]}, headers=ERIC)
    assert kind.status_code == 422 and set(kind.json["errors"]) == {"partner_type"}


def test_a_correction_at_a_stale_version_is_a_conflict(client, directory):
    ale = directory["ale"]
    first = client.patch(
        f"{P}/{ale['id']}", json={"version": ale["version"], "municipalities": [FARCIENNES]}, headers=DORA
    )
    assert first.status_code == 200, first.json
    assert first.json["version"] == ale["version"] + 1
    stale = client.patch(f"{P}/{ale['id']}", json={"version": ale["version"], "name": "ALE Farciennes"}, headers=ERIC)
    assert stale.status_code == 409
    assert stale.json["current_version"] == ale["version"] + 1 and stale.json["changed_by"] == "dora.director"
    # The municipalities served are searched as corrected.
    assert names(client.get(P, query_string={"municipality": CHATELET}, headers=ANNE)) == []
    history = client.get(f"{P}/{ale['id']}", headers=ANNE).json["corrections"]
    assert history[0]["changes"] == [
        {"field": "municipalities", "before": [FARCIENNES, CHATELET], "after": [FARCIENNES]}
    ]
    bad = client.patch(f"{P}/{ale['id']}", json={"version": 2, "enterprise_number": "12"}, headers=ERIC)
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"enterprise_number"}


def test_a_withdrawn_service_stays_readable_but_is_no_longer_offered(client, platform, directory):
    ale, language = directory["ale"], directory["language"]
    evening = add_service(
        client,
        ale["id"],
        {"title": "Alphabétisation du soir", "description": "Lire et écrire.", "needs": ["language"]},
    )
    withdrawn = client.post(f"{P}/{ale['id']}/services/{language['id']}/withdraw", headers=ERIC)
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    again = client.post(f"{P}/{ale['id']}/services/{language['id']}/withdraw", headers=ERIC)
    assert again.status_code == 422 and set(again.json["errors"]) == {"status"}
    read = client.get(f"{P}/{ale['id']}", headers=ANNE).json
    assert [(s["title"], s["status"]) for s in read["services"]] == [
        ("Alphabétisation du soir", "offered"),
        ("Français langue étrangère", "withdrawn"),
    ]
    assert names(client.get(P, query_string={"target_group": "refugee_newcomer"}, headers=ANNE)) == []
    # The reference RPCs other services ask: organisations by type, services only while offered.
    asked = [language["id"], evening["id"], directory["housing"]["id"], "no-such-id"]
    agent = Actor("eric.agent", "mirec", ("employer_relations",))
    assert platform.rpc("mirec", "employer", "known_partner_services", asked, actor=agent) == {
        evening["id"]: "ale",
        directory["housing"]["id"]: "cpas",
    }
    partner = Actor("paula.partner", "mirec", ("partner",), directory["cpas"]["id"])
    assert platform.rpc("mirec", "employer", "known_partners", [ale["id"], "x"], actor=partner) == {ale["id"]: "ale"}
    elsewhere = Actor("nina.agent", "mirena", ("employer_relations",))
    assert platform.rpc("mirena", "employer", "known_partners", [ale["id"]], actor=elsewhere) == {}


def test_who_may_write_and_read_the_directory(client, directory):
    cpas = directory["cpas"]
    assert client.post(P, json={"name": "X"}, headers=ANNE).status_code == 403
    assert client.post(f"{P}/{cpas['id']}/publish", headers=ANNE).status_code == 403
    # A partner (its token scoped to its organisation) reads nothing of the directory.
    assert client.get(P, headers=auth("paula.partner", ["partner"], organisation=cpas["id"])).status_code == 403
    assert client.get(P, headers=ANALYST).status_code == 404  # not a Mission's: the gateway names none to it
    assert client.get("/intermire/partners", headers=DORA).status_code == 404


def test_another_mission_sees_nothing_of_the_directory(client, directory):
    assert client.get("/missions/mirena/partners", headers=MIRENA_DIRECTOR).json["total"] == 0
    assert (
        client.get(f"/missions/mirena/partners/{directory['cpas']['id']}", headers=MIRENA_DIRECTOR).status_code == 404
    )
    # Its own staff cannot reach this Mission's directory by naming it (the gateway says it is not found).
    assert client.get(P, headers=MIRENA_AGENT).status_code == 404
    theirs = create(
        client,
        {"name": "CPAS de Namur", "partner_type": "cpas", "municipalities": ["92094"]},
        headers=MIRENA_AGENT,
        path="/missions/mirena/partners",
    )
    assert names(client.get(P, headers=ANNE)) == ["ALE de Farciennes", "CPAS de Charleroi"]
    assert client.get(f"{P}/{theirs['id']}", headers=ANNE).status_code == 404


def test_a_published_partner_reaches_inter_mire_and_leaves_it_when_unpublished(client, platform, directory):
    cpas = directory["cpas"]
    published = client.post(f"{P}/{cpas['id']}/publish", headers=DORA)
    assert published.status_code == 200 and published.json["published"] is True
    assert client.post(f"{P}/{cpas['id']}/publish", headers=DORA).status_code == 422

    def listed(**query):
        reply = client.get("/intermire/partners", query_string=query, headers=ANALYST)
        assert reply.status_code == 200, reply.json
        return reply.json["items"]

    shared = wait_until(lambda: listed() or None, what="the CPAS in InterMire's directory")
    assert [(p["mission"], p["name"], p["partner_type"]) for p in shared] == [("mirec", "CPAS de Charleroi", "cpas")]
    entry = shared[0]
    assert [s["title"] for s in entry["services"]] == ["Cellule logement"]
    # An organisation and its services, nothing else: no enterprise number, no author, no person.
    assert "enterprise_number" not in entry and "created_by" not in entry
    assert entry["contact"]["email"] == "accueil@cpas-charleroi.test"
    assert listed(need="housing", municipality=CHARLEROI) and not listed(need="language")
    assert listed(mission="mirena") == []

    # A change of a shared organisation is shared again: a new service, then its withdrawal.
    debt = add_service(
        client,
        cpas["id"],
        {"title": "Médiation de dettes", "description": "Plan de paiement.", "needs": ["debt"]},
    )
    wait_until(lambda: listed(need="debt") or None, what="the new service at InterMire")
    client.post(f"{P}/{cpas['id']}/services/{debt['id']}/withdraw", headers=ERIC)
    wait_until(lambda: not listed(need="debt"), what="the withdrawn service gone from InterMire")
    assert listed(need="housing")

    unpublished = client.post(f"{P}/{cpas['id']}/unpublish", headers=ERIC)
    assert unpublished.status_code == 200 and unpublished.json["published"] is False
    wait_until(lambda: listed() == [], what="the CPAS gone from InterMire's directory")
    # Still in the Mission's own directory.
    assert names(client.get(P, query_string={"need": "housing"}, headers=ANNE)) == ["CPAS de Charleroi"]
