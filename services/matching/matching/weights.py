"""How much a competence tells about a fit: its inverse document frequency over the taxonomy's occupations.

A competence that half of all trades ask for ("travailler en équipe") says
little about whether a person fits a vacancy; one that a single trade asks
for ("conduire une grue à tour") says a lot. Each competence weighs

    1 + ln((1 + N) / (1 + n))

(``N`` occupations in the taxonomy, ``n`` of them listing the competence),
the smoothed IDF of text retrieval: 1 for a competence every trade lists,
about 6.5 for one of a single trade on the ROME's 531 occupations. A code
no occupation lists (a Mission's own competence) weighs the most.

Weights are rounded to whole eighths, so that the ranking's sums stay exact
whatever order they are added in (see ``matching.candidates``).

A competence is called *rare* in explanations when at most ``RARE_SHARE`` of
the occupations list it (and at least when only one does): what a
counsellor would point at as "what sets this person apart".
"""

from __future__ import annotations

import math
from collections import Counter

from kit.taxonomy import Taxonomy

EIGHTHS = 8
RARE_SHARE = 0.01  # of the occupations: 5 of the ROME's 531


class Tell:
    """Competence code → weight (whole eighths, at least 1) and whether it is rare."""

    def __init__(self, taxonomy: Taxonomy):
        self.occupations = len(taxonomy.occupations)
        self.listed = Counter(code for o in taxonomy.occupations.values() for code in set(o.competences))
        self.rare_at = max(1, int(RARE_SHARE * self.occupations))
        self._cache: dict[str, float] = {}

    def __call__(self, code: str) -> float:
        found = self._cache.get(code)
        if found is None:
            idf = 1.0 + math.log((1 + self.occupations) / (1 + self.listed.get(code, 0)))
            found = self._cache[code] = round(idf * EIGHTHS) / EIGHTHS
        return found

    def rare(self, code: str) -> bool:
        return self.listed.get(code, 0) <= self.rare_at
