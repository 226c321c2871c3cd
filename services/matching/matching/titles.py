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

A title the taxonomy knows is first looked up (``TitleLookup``): written
as an agent would type it (accents or not, one gender form, "H/F", "resp."
for responsable, a typo in a word), it is the known title once normalised,
and its occupation is the answer; the classifier ranks the rest, and answers
alone the titles the lookup does not know. On noisy variants of known ROME
titles a nearest-title lookup beat the classifier (0.97 against 0.90 in an
independent check), while the classifier wins on titles never seen: the two
are combined rather than one chosen.

Training needs scikit-learn; suggesting does not. A trained index is a few
arrays (the two vocabularies with their IDF weights, the classifier's
weights), saved under the cache folder keyed by the training titles, so that
a Mission's matching service that finds them reads them back in
milliseconds instead of importing scikit-learn (about three seconds of CPU)
at every start. Suggestions from read-back arrays are the classifier's own:
a test compares them with scikit-learn's on every title of the taxonomy.
"""

from __future__ import annotations

import functools
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
from numpy.typing import ArrayLike

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
# The indexes this process has read or trained, by (training key, cache folder): the containers of one process
# share one, and the sites `up` forks find the one its launcher made before forking (runtime.launcher).
_READY: dict[tuple[str, Path | None], TitleIndex] = {}


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

    def __init__(
        self,
        words: list[str],
        word_idf: ArrayLike,
        chars: list[str],
        char_idf: ArrayLike,
        coef: ArrayLike,
        intercept: ArrayLike,
        occupations: ArrayLike,
        lookup: TitleLookup | None = None,
    ) -> None:
        self.lookup: TitleLookup | None = lookup  # known titles, consulted before the classifier
        self.words = {term: i for i, term in enumerate(words)}
        self.chars = {term: i for i, term in enumerate(chars)}
        self.word_idf, self.char_idf = np.asarray(word_idf), np.asarray(char_idf)
        self.coef, self.intercept = np.asarray(coef), np.asarray(intercept)
        self.occupations = np.asarray(occupations)

    @classmethod
    def train(cls, taxonomy: Taxonomy, exclude_titles: set[str] | frozenset[str] = frozenset()) -> TitleIndex:
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
        index = cls(
            list(word.get_feature_names_out()),
            word.idf_,
            list(chars.get_feature_names_out()),
            chars.idf_,
            coef,
            intercept,
            model.classes_,
        )
        index.lookup = TitleLookup(taxonomy, exclude_titles)
        return index

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
        key = (training_key(taxonomy), folder)
        if key not in _READY:
            _READY[key] = cls._read_or_train(taxonomy, folder, key[0])
        return _READY[key]

    @classmethod
    def _read_or_train(cls, taxonomy: Taxonomy, folder: Path | None, name: str) -> TitleIndex:
        if folder is None:
            return cls.train(taxonomy)
        path = folder / f"titles-{name}.npz"
        try:
            found = cls.load(path)
            found.lookup = TitleLookup(taxonomy)  # a fraction of a second: built, not saved
            return found
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
        """(occupation code, score in 0..1) best first; empty when nothing in the title is known.

        A known title (``TitleLookup``) puts its occupation first, scored 1.0 (0.99 when a typo was
        corrected to find it); the classifier's suggestions follow."""
        found = self.lookup.find(title) if self.lookup is not None and limit > 0 else None
        if found is not None:
            occupation, exact = found
            rest = [s for s in self.classify(title, limit) if s[0] != occupation]
            return [(occupation, 1.0 if exact else 0.99)] + rest[: limit - 1]
        return self.classify(title, limit)

    def classify(self, title: str, limit: int = 5) -> list[tuple[str, float]]:
        """The classifier's suggestions alone."""
        if not self.known(title):
            return []
        row = self._features(reading(title))
        columns = np.fromiter(row, dtype=np.int64, count=len(row))
        values = np.fromiter(row.values(), dtype=np.float64, count=len(row))
        margins = self.coef[:, columns] @ values + self.intercept
        order = np.lexsort((self.occupations, -margins))[:limit]
        scores = 1.0 / (1.0 + np.exp(-_SCORE_SLOPE * margins[order]))
        return [(str(self.occupations[i]), round(float(s), 4)) for i, s in zip(order, scores, strict=True)]


# -- known titles -----------------------------------------------------------
# Gender and inclusive markers agents append: "H/F", "(H/F)", "F/H", "m/f/x", "h/f/x", "M/V" …
_MARKER = re.compile(r"[(\[]?\b(?:[hfmx]\s*/\s*[hfmxv](?:\s*/\s*[hfmx])?|h\s*-\s*f|f\s*-\s*h)\b[)\]]?")
# A feminine ending written in brackets after the masculine: "Régleur(se)", "Technicien(ne)", "Ouvrier(ère)".
_BRACKETED_ENDING = re.compile(r"(?<=[a-z])\s*\((?:e|ne|se|euse|rice|ere|ive|le|es|s)\)")
ABBREVIATIONS = {
    "resp": "responsable",
    "respo": "responsable",
    "tech": "technicien",
    "techn": "technicien",
    "technic": "technicien",
    "assist": "assistant",
    "asst": "assistant",
    "adj": "adjoint",
    "dir": "directeur",
    "ing": "ingenieur",
    "cond": "conducteur",
    "prep": "preparateur",
    "agt": "agent",
    "ouv": "ouvrier",
    "mecan": "mecanicien",
    "comm": "commercial",
    "admin": "administratif",
    "gest": "gestionnaire",
    "coord": "coordinateur",
    "sup": "superieur",
    "qualif": "qualifie",
}
# Words that change nothing to what a title means once the rest is equal.
_LINKS = frozenset({"de", "du", "des", "d", "l", "la", "le", "les", "un", "une", "au", "aux", "a", "en", "et"})
TYPO_MIN = 5  # letters: shorter words are not corrected (too many neighbours one letter away)


@functools.lru_cache(maxsize=1 << 16)  # a taxonomy's titles use a few thousand words, each many times
def _stem_all(word: str) -> str:
    """``stem`` until it holds: "chargée" → "chargee" → "charge" → "charg" as "chargé" does."""
    for _ in range(3):
        shorter = stem(word)
        if shorter == word:
            break
        word = shorter
    return word


def title_words(title: str) -> list[str]:
    """A title's words as the lookup compares them: folded, markers and bracketed endings dropped,
    abbreviations spelt out (whatever the dot)."""
    text = _BRACKETED_ENDING.sub("", _MARKER.sub(" ", fold(title)))
    return [ABBREVIATIONS.get(w, w) for w in re.split(r"[^a-z0-9]+", text) if w]


def title_key(plain: list[str]) -> str:
    """The words stemmed (gender and number folded), link words dropped, and the second of two neighbours with
    the same stem dropped ("Agent / Agente" is one word), in their order."""
    key: list[str] = []
    for w in plain:
        if w in _LINKS:
            continue
        s = _stem_all(w)
        if not key or key[-1] != s:
            key.append(s)
    return " ".join(key)


def gender_forms(label: str) -> list[str]:
    """The label as written and, for "Ouvrier maçon / Ouvrière maçonne de VRD", each form alone: "Ouvrier maçon
    de VRD" and "Ouvrière maçonne de VRD" (the words before the slash stand for as many words after it)."""
    if label.count(" / ") != 1:
        return [label]
    left, right = label.split(" / ")
    n = len(left.split())
    after = right.split()
    return [label, " ".join(left.split() + after[n:]), right]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter added, dropped, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class TitleLookup:
    """Known titles → occupation, after normalisation (``title_key``), with a one-letter typo per word forgiven.

    A key two occupations share (after normalisation) answers nothing: the classifier decides. A word the
    titles never use, of ``TYPO_MIN`` letters or more, is read as the known word one edit away when exactly
    one is (the most frequent when several are, if it is twice as frequent as the next).
    """

    def __init__(self, taxonomy: Taxonomy, exclude_titles: set[str] | frozenset[str] = frozenset()):
        owners: dict[str, set[str]] = {}
        counts: Counter[str] = Counter()
        known = training_docs(taxonomy, exclude_titles)
        known += [(t.occupation, t.short) for t in taxonomy.titles if t.code not in exclude_titles and t.short]
        for occupation, label in known:
            for form in gender_forms(label):
                plain = title_words(form)
                counts.update(plain)
                owners.setdefault(title_key(plain), set()).add(occupation)
        self.occupation_of = {key: next(iter(occ)) for key, occ in owners.items() if len(occ) == 1}
        self.counts = counts
        self._near: dict[str, list[str]] = {}  # a known word with a letter dropped → the known words
        for w in counts:
            if len(w) >= TYPO_MIN - 1:
                for d in _deletions(w) | {w}:
                    self._near.setdefault(d, []).append(w)

    def correct(self, word: str) -> str:
        """The known word ``word`` is a typo of, or ``word``."""
        if word in self.counts or len(word) < TYPO_MIN or not word.isalpha():
            return word
        seen = {w for d in _deletions(word) | {word} for w in self._near.get(d, ())}
        near = sorted((w for w in seen if _one_edit(word, w)), key=lambda w: (-self.counts[w], w))
        if len(near) == 1 or (len(near) > 1 and self.counts[near[0]] >= 2 * self.counts[near[1]]):
            return near[0]
        return word

    def find(self, title: str) -> tuple[str, bool] | None:
        """(occupation, whether found without correcting a typo), or None when the title is not a known one."""
        plain = title_words(title)
        if not plain:
            return None
        found = self.occupation_of.get(title_key(plain))
        if found is not None:
            return found, True
        corrected = [self.correct(w) for w in plain]
        if corrected != plain:
            found = self.occupation_of.get(title_key(corrected))
            if found is not None:
                return found, False
        return None


def weights_path(path: Path) -> Path:
    return path.with_suffix(".weights.npy")


def training_docs(taxonomy: Taxonomy, exclude_titles: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(occupation, title) pairs the classifier learns: the known titles, then the occupations' own labels."""
    docs = [(t.occupation, t.label) for t in taxonomy.titles if t.code not in exclude_titles]
    return docs + [(o.code, o.label) for o in taxonomy.occupations.values()]


def training_key(taxonomy: Taxonomy) -> str:
    """Names the saved index: what it was trained on, the saved format and scikit-learn's version."""
    described = json.dumps([FORMAT, metadata.version("scikit-learn"), training_docs(taxonomy)], ensure_ascii=False)
    return hashlib.sha256(described.encode()).hexdigest()[:16]
