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

Training needs scikit-learn; suggesting does not. A trained index is a few
arrays (the two vocabularies with their IDF weights, the classifier's
weights), saved under the cache folder keyed by the training titles, so that
a Mission's matching service that finds them reads them back in
milliseconds instead of importing scikit-learn (about three seconds of CPU)
at every start. Suggestions from read-back arrays are the classifier's own:
a test compares them with scikit-learn's on every title of the taxonomy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections import Counter
from importlib import metadata
from pathlib import Path

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
FORMAT = 1  # of the saved arrays: a change of features or of their layout must not read old files
WORD_TOKEN = re.compile(r"[a-z0-9]{2,}")
log = logging.getLogger(__name__)


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


def word_grams(text: str) -> list[str]:
    """The word vectorizer's terms: words of two letters or more, and pairs of neighbouring words."""
    tokens = WORD_TOKEN.findall(text.lower())
    return tokens + [" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)]


def char_grams(text: str, low: int = 2, high: int = 5) -> list[str]:
    """The character vectorizer's terms: 2- to 5-grams inside each word padded with a space on both sides (a word
    shorter than n gives itself once), as scikit-learn's ``char_wb`` analyzer cuts them."""
    grams = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


def _weights(grams: list[str], vocabulary: dict[str, int], idf: np.ndarray, offset: int) -> dict[int, float]:
    """Sublinear term frequency × IDF, normalised to length 1 (TfidfVectorizer's defaults here)."""
    counts = Counter(g for g in grams if g in vocabulary)
    weights = {vocabulary[g]: (1.0 + np.log(n)) * idf[vocabulary[g]] for g, n in counts.items()}
    norm = np.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {offset + column: w / norm for column, w in weights.items()}


class TitleIndex:
    """Ranks a taxonomy's occupations for a free-text job title (``train`` it, or ``load`` saved arrays)."""

    def __init__(self, words: list[str], word_idf, chars: list[str], char_idf, coef, intercept, occupations):
        self.words = {term: i for i, term in enumerate(words)}
        self.chars = {term: i for i, term in enumerate(chars)}
        self.word_idf, self.char_idf = np.asarray(word_idf), np.asarray(char_idf)
        self.coef, self.intercept = np.asarray(coef), np.asarray(intercept)
        self.occupations = np.asarray(occupations)

    @classmethod
    def train(cls, taxonomy: Taxonomy, exclude_titles: set[str] | frozenset = frozenset()) -> TitleIndex:
        """Fit the classifier on the taxonomy's titles and occupation labels (scikit-learn, imported here)."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize
        from sklearn.svm import LinearSVC

        docs = training_docs(taxonomy, exclude_titles)
        texts = [reading(label) for _, label in docs]
        word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=WORD_TOKEN.pattern)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        matrix = normalize(hstack([word.fit_transform(texts), chars.fit_transform(texts)]).tocsr())
        # Balanced class weights: an occupation with three known titles is as much an answer as one with forty.
        model = LinearSVC(C=1.0, class_weight="balanced", random_state=0).fit(matrix, [o for o, _ in docs])
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:  # a two-class model keeps one row, for the second class
            coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
        return cls(
            list(word.get_feature_names_out()),
            word.idf_,
            list(chars.get_feature_names_out()),
            chars.idf_,
            coef,
            intercept,
            model.classes_,
        )

    # -- saved arrays ----------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the arrays to ``path`` (``.npz``) and the classifier's weights beside it (``.npy``, read back
        memory-mapped: the sites of one machine share one copy in the page cache, some 300 MB for the whole ROME),
        each through a temporary file: a reader never sees half a file, and finds the weights before the rest."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        np.save(partial.with_suffix(".npy"), np.ascontiguousarray(self.coef))
        os.replace(partial.with_suffix(".npy"), weights_path(path))
        np.savez(
            partial.with_suffix(".npz"),
            words=np.array(list(self.words), dtype=str),
            word_idf=self.word_idf,
            chars=np.array(list(self.chars), dtype=str),
            char_idf=self.char_idf,
            intercept=self.intercept,
            occupations=self.occupations.astype(str),
        )
        os.replace(partial.with_suffix(".npz"), path)

    @classmethod
    def load(cls, path: Path) -> TitleIndex:
        with np.load(path) as saved:
            return cls(
                [str(w) for w in saved["words"]],
                saved["word_idf"],
                [str(c) for c in saved["chars"]],
                saved["char_idf"],
                np.load(weights_path(path), mmap_mode="r"),
                saved["intercept"],
                saved["occupations"],
            )

    @classmethod
    def cached(cls, taxonomy: Taxonomy, folder: Path | None) -> TitleIndex:
        """Read back the index trained on this taxonomy's titles if ``folder`` holds it; else train it and save it
        there (a folder that cannot be written only costs the next start the training)."""
        if folder is None:
            return cls.train(taxonomy)
        path = folder / f"titles-{training_key(taxonomy)}.npz"
        try:
            return cls.load(path)
        except (OSError, ValueError, KeyError, EOFError):
            pass  # not trained yet here, or a file of another format: train
        index = cls.train(taxonomy)
        try:
            index.save(path)
        except OSError as exc:
            log.warning("title index not saved in %s: %s", folder, exc)
        return index

    # -- suggesting ------------------------------------------------------
    def _features(self, text: str) -> dict[int, float]:
        """The title's one row of the training matrix: both parts, then the whole row normalised to length 1."""
        row = _weights(word_grams(text), self.words, self.word_idf, 0)
        row.update(_weights(char_grams(text), self.chars, self.char_idf, len(self.words)))
        norm = np.sqrt(sum(w * w for w in row.values())) or 1.0
        return {column: w / norm for column, w in row.items()}

    def known(self, title: str) -> bool:
        """Whether there is anything to go on: a word (or stem) the taxonomy uses, or mostly known pieces of
        words (an unseen inflection, a compound, a typo); a string of unknown letters gets no suggestion."""
        text = reading(title)
        if any(w in self.words for w in text.split()):
            return True
        grams = char_grams(text)
        return bool(grams) and sum(g in self.chars for g in grams) >= KNOWN_SHARE * len(grams)

    def suggest(self, title: str, limit: int = 5) -> list[tuple[str, float]]:
        """(occupation code, score in 0..1) best first; empty when nothing in the title is known."""
        if not self.known(title):
            return []
        row = self._features(reading(title))
        columns = np.fromiter(row, dtype=np.int64, count=len(row))
        values = np.fromiter(row.values(), dtype=np.float64, count=len(row))
        margins = self.coef[:, columns] @ values + self.intercept
        order = np.lexsort((self.occupations, -margins))[:limit]
        scores = 1.0 / (1.0 + np.exp(-_SCORE_SLOPE * margins[order]))
        return [(str(self.occupations[i]), round(float(s), 4)) for i, s in zip(order, scores, strict=True)]


def weights_path(path: Path) -> Path:
    return path.with_suffix(".weights.npy")


def training_docs(taxonomy: Taxonomy, exclude_titles: set[str] | frozenset = frozenset()) -> list[tuple[str, str]]:
    """(occupation, title) pairs the classifier learns: the known titles, then the occupations' own labels."""
    docs = [(t.occupation, t.label) for t in taxonomy.titles if t.code not in exclude_titles]
    return docs + [(o.code, o.label) for o in taxonomy.occupations.values()]


def training_key(taxonomy: Taxonomy) -> str:
    """Names the saved index: what it was trained on, the saved format and scikit-learn's version."""
    described = json.dumps([FORMAT, metadata.version("scikit-learn"), training_docs(taxonomy)], ensure_ascii=False)
    return hashlib.sha256(described.encode()).hexdigest()[:16]
