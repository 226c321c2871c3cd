"""Job title → occupation suggestions (the employer service asks when an agent types a vacancy title).

Every known title (the taxonomy's appellations and occupation labels) is a
row of a TF-IDF index over two kinds of features: word stems, with French
gender and number folded ("Magasinière" and "magasiniers" meet), and
character n-grams of those stems (typos, compounds). A query scores every
title; an occupation scores by its best title plus a smaller share of its
next ones, so an occupation that several titles point to wins a close call.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

import numpy as np

from kit.taxonomy import Taxonomy
from matching.sparse import InvertedIndex

STOPWORDS = frozenset("a au aux d de des du en et l la le les ou par pour sur un une".split())
# Feminine and plural endings folded onto a common stem; longest first.
_SUFFIXES = (("trices", "teur"), ("trice", "teur"), ("teurs", "teur"), ("euses", "eur"), ("euse", "eur"),
             ("eurs", "eur"), ("ieres", "ier"), ("iere", "ier"), ("iers", "ier"), ("iennes", "ien"),
             ("ienne", "ien"), ("iens", "ien"), ("ives", "if"), ("ive", "if"), ("ifs", "if"),
             ("elles", "el"), ("elle", "el"), ("els", "el"), ("aux", "al"), ("es", ""), ("e", ""), ("s", ""))
WORD_WEIGHT, NGRAM_WEIGHT = 1.0, 0.6
SECOND_SHARE = 0.5  # how much an occupation's second-best title adds
PROFILE_SHARE = 1.0  # how much the occupation's profile document adds
TITLE_IN_PROFILE = 0.5  # weight of the occupation's own titles in its profile


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def stem(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + replacement
    return word


def features(text: str) -> Counter:
    words = [w for w in re.split(r"[^a-z0-9]+", fold(text)) if w and w not in STOPWORDS and len(w) > 1]
    out: Counter = Counter()
    for word in dict.fromkeys(stem(w) for w in words):
        out["w:" + word] += WORD_WEIGHT
        padded = f"<{word}>"
        for n in (3, 4):
            for i in range(len(padded) - n + 1):
                out["g:" + padded[i:i + n]] += NGRAM_WEIGHT
    return out


class TitleIndex:
    """Ranks a taxonomy's occupations for a free-text job title."""

    def __init__(self, taxonomy: Taxonomy, exclude_titles: set[str] | frozenset = frozenset()):
        docs: list[tuple[str, str]] = [(t.occupation, t.label) for t in taxonomy.titles if t.code not in exclude_titles]
        docs += [(o.code, o.label) for o in taxonomy.occupations.values()]
        self.taxonomy = taxonomy
        self.doc_occupation = np.array([occ for occ, _ in docs])
        counted = [features(label) for _, label in docs]
        df: Counter = Counter(f for c in counted for f in c)
        self.vocab = {f: i for i, f in enumerate(df)}
        self.idf = np.array([math.log((1 + len(docs)) / (1 + df[f])) + 1.0 for f in self.vocab], dtype=np.float32)
        rows, feats, weights = [], [], []
        for r, c in enumerate(counted):
            ids = np.array([self.vocab[f] for f in c], dtype=np.int64)
            w = np.array(list(c.values()), dtype=np.float32) * self.idf[ids]
            w /= np.linalg.norm(w) or 1.0
            rows.append(np.full(len(ids), r)), feats.append(ids), weights.append(w)
        self.index = InvertedIndex(np.concatenate(rows), np.concatenate(feats), np.concatenate(weights),
                                   len(docs), len(self.vocab))
        self.occupations, self.doc_occ_id = np.unique(self.doc_occupation, return_inverse=True)
        self._profiles(taxonomy, docs)

    def _profiles(self, taxonomy: Taxonomy, docs: list[tuple[str, str]]) -> None:
        """One document per occupation: its label, definition, competences and known titles together,
        to place a title whose words are spread over several of the occupation's titles."""
        occ_pos = {str(c): i for i, c in enumerate(self.occupations)}
        titles: dict[str, list[str]] = {}
        for occ, label in docs:
            titles.setdefault(occ, []).append(label)
        counted = []
        for code in self.occupations:
            o = taxonomy.occupations[str(code)]
            text = " ".join([o.label, o.definition] + [taxonomy.competences[c] for c in o.competences])
            profile = Counter({f: 1.0 for f in features(text) if f.startswith("w:")})
            for label in titles.get(str(code), ()):
                for f, v in features(label).items():
                    profile[f] = max(profile[f], v * TITLE_IN_PROFILE)
            counted.append(profile)
        df: Counter = Counter(f for c in counted for f in c)
        self.p_vocab = {f: i for i, f in enumerate(df)}
        self.p_idf = np.array([math.log((1 + len(counted)) / (1 + df[f])) + 1.0 for f in self.p_vocab],
                              dtype=np.float32)
        rows, feats, weights = [], [], []
        for r, c in enumerate(counted):
            ids = np.array([self.p_vocab[f] for f in c], dtype=np.int64)
            w = np.array(list(c.values()), dtype=np.float32) * self.p_idf[ids]
            w /= np.linalg.norm(w) or 1.0
            rows.append(np.full(len(ids), r)), feats.append(ids), weights.append(w)
        self.p_index = InvertedIndex(np.concatenate(rows), np.concatenate(feats), np.concatenate(weights),
                                     len(counted), len(self.p_vocab))
        assert len(occ_pos) == len(counted)

    def _profile_scores(self, c: Counter) -> np.ndarray:
        out = np.zeros(len(self.occupations), dtype=np.float32)
        known = [(self.p_vocab[f], v) for f, v in c.items() if f in self.p_vocab]
        if known:
            ids = np.array([i for i, _ in known])
            q = np.array([v for _, v in known], dtype=np.float32) * self.p_idf[ids]
            rows, sims = self.p_index.scores(ids, q / np.linalg.norm(q))
            out[rows] = sims
        return out

    def suggest(self, title: str, limit: int = 5) -> list[tuple[str, float]]:
        """(occupation code, score in 0..1) best first; empty when nothing in the title is known."""
        c = features(title)
        known = [(self.vocab[f], v) for f, v in c.items() if f in self.vocab]
        if not known:
            return []
        ids = np.array([i for i, _ in known])
        q = np.array([v for _, v in known], dtype=np.float32) * self.idf[ids]
        # Unknown query features still count in the norm: a title half made of unseen words is a weaker match.
        full = np.linalg.norm([v * (self.idf[self.vocab[f]] if f in self.vocab else self.idf.max())
                               for f, v in c.items()])
        docs, sims = self.index.scores(ids, q / (full or 1.0))
        occ = self.doc_occ_id[docs]
        order = np.lexsort((-sims, occ))
        occ, sims = occ[order], sims[order]
        first = np.ones(len(occ), dtype=bool)
        first[1:] = occ[1:] != occ[:-1]
        best_idx = np.flatnonzero(first)
        best = sims[best_idx]
        second = np.zeros_like(best)
        has_second = (best_idx + 1 < len(occ))
        nxt = best_idx[has_second] + 1
        same = occ[nxt] == occ[best_idx[has_second]]
        second[np.flatnonzero(has_second)[same]] = sims[nxt[same]]
        score = (best + SECOND_SHARE * second) / (1 + SECOND_SHARE)
        score = (score + PROFILE_SHARE * self._profile_scores(c)[occ[best_idx]]) / (1 + PROFILE_SHARE)
        order = np.lexsort((occ[best_idx], -score))[:limit]
        return [(str(self.occupations[occ[best_idx[i]]]), round(float(score[i]), 4)) for i in order]
