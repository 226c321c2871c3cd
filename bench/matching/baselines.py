"""The plain baselines the benchmark measures beside the engine, in the same run.

* ``JaccardScan``: Jaccard similarity of competence sets, every candidate
  scanned for every query (no index, no constraints);
* ``NgramTfidf``: character n-gram (2–4) TF-IDF of the raw title, the nearest
  known title gives the occupation.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from matching.sparse import InvertedIndex


class JaccardScan:
    def __init__(self, sets: list[list[int]]):
        width = max(len(s) for s in sets)
        self.matrix = np.full((len(sets), width), -1, dtype=np.int32)
        for i, s in enumerate(sets):
            self.matrix[i, : len(s)] = s
        self.sizes = (self.matrix >= 0).sum(axis=1)

    def top(self, codes: list[int], k: int = 20) -> np.ndarray:
        inter = np.isin(self.matrix, np.asarray(codes, dtype=np.int32)).sum(axis=1)
        score = inter / (self.sizes + len(codes) - inter)
        best = np.argpartition(-score, k)[:k]
        return best[np.argsort(-score[best])]


def _grams(text: str) -> Counter:
    t = f" {text.lower()} "
    return Counter(t[i : i + n] for n in (2, 3, 4) for i in range(len(t) - n + 1))


class NgramTfidf:
    def __init__(self, titles: list[tuple[str, str]]):
        self.labels = [occ for occ, _ in titles]
        counted = [_grams(t) for _, t in titles]
        df = Counter(g for c in counted for g in c)
        self.vocab = {g: i for i, g in enumerate(df)}
        self.idf = np.array([math.log((1 + len(counted)) / (1 + df[g])) + 1 for g in self.vocab], dtype=np.float32)
        rows, feats, weights = [], [], []
        for r, c in enumerate(counted):
            ids = np.array([self.vocab[g] for g in c])
            w = np.array(list(c.values()), dtype=np.float32) * self.idf[ids]
            rows.append(np.full(len(ids), r)), feats.append(ids), weights.append(w / np.linalg.norm(w))
        self.index = InvertedIndex(
            np.concatenate(rows), np.concatenate(feats), np.concatenate(weights), len(counted), len(self.vocab)
        )

    def predict(self, title: str) -> str | None:
        c = _grams(title)
        known = [(self.vocab[g], v) for g, v in c.items() if g in self.vocab]
        if not known:
            return None
        ids = np.array([i for i, _ in known])
        docs, sims = self.index.scores(ids, np.array([v for _, v in known], dtype=np.float32) * self.idf[ids])
        return self.labels[docs[int(np.argmax(sims))]]
