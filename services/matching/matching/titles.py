"""Job title → occupation suggestions (the employer service asks when an agent types a vacancy title).

A linear classifier (scikit-learn's ``LinearSVC``, one-vs-rest) learns the
taxonomy's occupations from their known titles (the ROME appellations and
the occupation labels). A title is read twice: as word stems with French
gender and number folded ("Magasinière" and "magasiniers" meet), and as the
plain accent-folded text; features are TF-IDF word uni- and bigrams and
character 2–5-grams inside words (typos, compounds, unseen inflections).

Why a classifier rather than the nearest known title: an occupation's
titles share the words that tell it apart ("cariste", "grutier") and also
words every trade uses ("agent", "ouvrier", "chef"). The classifier weighs
each word by how well it separates occupations, which nearest-neighbour
scoring cannot; on ROME titles held out from training it places 0.70 at
rank 1 against 0.65 for the nearest-title index it replaced (BENCHMARKS.md).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from kit.taxonomy import Taxonomy

# Feminine and plural endings folded onto a common stem; longest first.
_SUFFIXES = (
    ("trices", "teur"),
    ("trice", "teur"),
    ("teurs", "teur"),
    ("euses", "eur"),
    ("euse", "eur"),
    ("eurs", "eur"),
    ("ieres", "ier"),
    ("iere", "ier"),
    ("iers", "ier"),
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("iens", "ien"),
    ("ives", "if"),
    ("ive", "if"),
    ("ifs", "if"),
    ("elles", "el"),
    ("elle", "el"),
    ("els", "el"),
    ("aux", "al"),
    ("es", ""),
    ("e", ""),
    ("s", ""),
)
# A one-vs-rest margin of 0 is the classifier's boundary; this slope maps margins to 0..1 so that a
# clear win (margin near 1) reads near 0.98 and a title the occupation's side rejects reads below 0.5.
_SCORE_SLOPE = 4.0
KNOWN_SHARE = 0.5  # of a title's character n-grams the taxonomy must know when none of its words is known


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def stem(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + replacement
    return word


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", fold(text)) if w]


def reading(text: str) -> str:
    """The text the classifier sees: stems, then the folded words as written."""
    plain = words(text)
    return " ".join([stem(w) for w in plain] + plain)


class TitleIndex:
    """Ranks a taxonomy's occupations for a free-text job title."""

    def __init__(self, taxonomy: Taxonomy, exclude_titles: set[str] | frozenset = frozenset()):
        # scikit-learn is imported here, where the classifier is built, not with the module: it costs over a
        # second of CPU, and every site process imports this module whether or not it ever builds an index.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        docs = [(t.occupation, t.label) for t in taxonomy.titles if t.code not in exclude_titles]
        docs += [(o.code, o.label) for o in taxonomy.occupations.values()]
        texts = [reading(label) for _, label in docs]
        self.word = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[a-z0-9]{2,}"
        )
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        matrix = self._features(texts, fit=True)
        # Balanced class weights: an occupation with three known titles is as much an answer as one with forty.
        self.model = LinearSVC(C=1.0, class_weight="balanced", random_state=0).fit(matrix, [o for o, _ in docs])
        self.occupations = self.model.classes_
        self._known_words = set(self.word.vocabulary_)
        self._char_grams = self.chars.build_analyzer()

    def _features(self, texts: list[str], fit: bool = False):
        from scipy.sparse import hstack  # with scikit-learn: only once an index is built
        from sklearn.preprocessing import normalize

        if fit:
            parts = [self.word.fit_transform(texts), self.chars.fit_transform(texts)]
        else:
            parts = [self.word.transform(texts), self.chars.transform(texts)]
        return normalize(hstack(parts).tocsr())

    def known(self, title: str) -> bool:
        """Whether there is anything to go on: a word (or stem) the taxonomy uses, or mostly known pieces of
        words (an unseen inflection, a compound, a typo); a string of unknown letters gets no suggestion."""
        text = reading(title)
        if any(w in self._known_words for w in text.split()):
            return True
        grams = self._char_grams(text)
        return bool(grams) and sum(g in self.chars.vocabulary_ for g in grams) >= KNOWN_SHARE * len(grams)

    def suggest(self, title: str, limit: int = 5) -> list[tuple[str, float]]:
        """(occupation code, score in 0..1) best first; empty when nothing in the title is known."""
        if not self.known(title):
            return []
        margins = self.model.decision_function(self._features([reading(title)]))
        margins = np.atleast_2d(margins)[0]
        if len(self.occupations) == 2:  # a two-class model gives one margin, for the second class
            margins = np.array([-margins[0], margins[0]])
        order = np.lexsort((self.occupations, -margins))[:limit]
        scores = 1.0 / (1.0 + np.exp(-_SCORE_SLOPE * margins[order]))
        return [(str(self.occupations[i]), round(float(s), 4)) for i, s in zip(order, scores, strict=True)]
