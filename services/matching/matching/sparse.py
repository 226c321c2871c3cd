"""A small inverted index on numpy arrays: rows hold weighted features, a query scores every row.

Both the title suggester and the ranking engine need "sum of the weights of
the features a row shares with the query" over many rows. Postings are kept
CSC-style (one sorted array of row numbers per feature), so a query costs the
length of its features' postings, not the number of rows, and the work runs
in numpy, which releases the GIL.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class InvertedIndex:
    """Postings of ``n_features`` features over ``n_rows`` rows."""

    def __init__(
        self, rows: np.ndarray, features: np.ndarray, weights: np.ndarray | None, n_rows: int, n_features: int
    ):
        order = np.argsort(features, kind="stable")
        self.rows = rows[order].astype(np.int32)
        self.weights = (weights[order] if weights is not None else np.ones(len(order))).astype(np.float32)
        counts = np.bincount(features, minlength=n_features)
        self.indptr = np.zeros(n_features + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.n_rows, self.n_features = n_rows, n_features

    def postings(self, feature: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[feature], self.indptr[feature + 1]
        return self.rows[lo:hi], self.weights[lo:hi]

    def gather(
        self, features: Sequence[int] | np.ndarray, query_weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and products of weights for every posting of ``features`` (rows repeat)."""
        parts_r, parts_w = [], []
        for i, f in enumerate(features):
            r, w = self.postings(int(f))
            parts_r.append(r)
            parts_w.append(w if query_weights is None else w * np.float32(query_weights[i]))
        if not parts_r:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        return np.concatenate(parts_r), np.concatenate(parts_w)

    def scores(
        self, features: Sequence[int] | np.ndarray, query_weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, summed score) of every row that shares at least one feature with the query."""
        rows, weights = self.gather(features, query_weights)
        if len(rows) == 0:
            return rows, weights
        uniq, inverse = np.unique(rows, return_inverse=True)
        return uniq, np.bincount(inverse, weights=weights).astype(np.float32)


def best(scores: np.ndarray, k: int, tie: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Indices of the ``k`` best scores, best first, ties broken by increasing ``tie``: one array, or several
    keys, the first deciding first.

    Ties at the cut are settled the same way, so the answer depends on the
    scores and ``tie`` only, never on the order the rows came in.
    """
    keys = (tie,) if isinstance(tie, np.ndarray) else tuple(tie)
    if len(scores) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]  # the k-th largest
        keep = np.flatnonzero(scores >= kth)
        return keep[np.lexsort((*(key[keep] for key in reversed(keys)), -scores[keep]))[:k]]
    return np.lexsort((*reversed(keys), -scores))


def top_k(keys: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (key, score), best first; ties broken by key so results are stable."""
    chosen = best(scores, k, keys)
    return keys[chosen], scores[chosen]
