"""Job title → occupation on the real ROME: the classifier alone, the known-title lookup before it, a nearest title.

    python -m bench.matching.titles [--rome ../shared/data/rome_fr/rome_v347] [--variants 1000] [--seed 47]

Two sets, accuracy@1 (the right occupation first) on each:

* **noisy variants of known titles**: ``--variants`` ROME job titles drawn
  with a fixed seed, each written as an agent would type it: one gender form
  ("Agent / Agente d'accueil" → "Agent d'accueil" or "Agente d'accueil", half
  each), then one to three of: accents stripped, all upper or all lower
  case, a marker appended ("H/F", "(H/F)", "(F/H)", "m/f/x", "- H/F"), an
  abbreviation ("resp." for responsable, "tech." for technicien(ne),
  "assist." for assistant(e), when the title has one), one typo in a word of
  six letters or more (two neighbours swapped, a letter dropped, doubled or
  changed); the index is trained on every title;
* **held-out titles**: the 20 % of ROME titles ``bench.matching.run`` holds
  out (by a hash of their code), as written, against an index (classifier
  and lookup) trained without them.

Only titles and occupation labels are read, never the ROME's mobility links.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "matching"))

from matching.titles import TitleIndex  # noqa: E402

from bench.matching.baselines import NgramTfidf  # noqa: E402
from kit.taxonomy import load  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROME = ROOT.parent / "shared" / "data" / "rome_fr" / "rome_v347"
MARKERS = (" H/F", " (H/F)", " (F/H)", " m/f/x", " - H/F")
ABBREVIATED = (
    ("Responsable", "Resp."),
    ("Technicienne", "Tech."),
    ("Technicien", "Tech."),
    ("Assistante", "Assist."),
    ("Assistant", "Assist."),
)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def held_out(code: str) -> bool:
    return int(hashlib.sha256(code.encode()).hexdigest(), 16) % 5 == 0


def gender_form(label: str, rng: random.Random) -> str:
    """ "Agent / Agente d'accueil" → one of "Agent d'accueil", "Agente d'accueil"."""
    if " / " not in label:
        return label
    first, second = label.split(" / ", 1)
    feminine, _, rest = second.partition(" ")
    return f"{feminine if rng.random() < 0.5 else first} {rest}".strip()


def typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    at = rng.randrange(1, len(w) - 1)
    kind = rng.choice(("swap", "drop", "double", "change"))
    if kind == "swap":
        w = w[:at] + w[at + 1] + w[at] + w[at + 2 :]
    elif kind == "drop":
        w = w[:at] + w[at + 1 :]
    elif kind == "double":
        w = w[:at] + w[at] + w[at:]
    else:
        w = w[:at] + rng.choice(LETTERS.replace(w[at].lower(), "")) + w[at + 1 :]
    words[i] = w
    return " ".join(words)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def abbreviate(text: str, rng: random.Random) -> str:
    for word, short in ABBREVIATED:
        if text.startswith(word + " "):
            return short + text[len(word) :]
    return text


def variant(label: str, rng: random.Random) -> str:
    text = gender_form(label, rng)
    noises = ["accents", "case", "marker", "typo"] + (["abbreviation"] * 2 if abbreviate(text, rng) != text else [])
    for noise in set(rng.sample(noises, rng.randint(1, 3))):
        if noise == "accents":
            text = strip_accents(text)
        elif noise == "case":
            text = text.upper() if rng.random() < 0.5 else text.lower()
        elif noise == "marker":
            text += rng.choice(MARKERS)
        elif noise == "abbreviation":
            text = abbreviate(text, rng)
        else:
            text = typo(text, rng)
    return text


def accuracy(tests, predict) -> float:
    return sum(1 for occupation, title in tests if predict(title) == occupation) / len(tests)


def first(suggestions) -> str | None:
    return suggestions[0][0] if suggestions else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rome", default=str(DEFAULT_ROME))
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=47)
    ap.add_argument("--cache", default=str(ROOT / "var" / "cache"), help="where the index trained on all is kept")
    args = ap.parse_args(argv)
    tax = load(args.rome)
    rng = random.Random(args.seed)
    titles = sorted(tax.titles, key=lambda t: t.code)
    noisy = [(t.occupation, variant(t.label, rng)) for t in rng.sample(titles, args.variants)]
    known = [(t.occupation, t.label) for t in titles] + [(o.code, o.label) for o in tax.occupations.values()]

    t0 = time.perf_counter()
    index = TitleIndex.cached(tax, Path(args.cache))
    nearest = NgramTfidf(known)
    rows = [
        (
            f"noisy variants of known titles ({len(noisy)}, seed {args.seed})",
            accuracy(noisy, lambda s: first(index.classify(s, 1))),
            accuracy(noisy, lambda s: first(index.suggest(s, 1))),
            accuracy(noisy, nearest.predict),
        )
    ]
    held = {t.code for t in titles if held_out(t.code)}
    tests = [(t.occupation, t.label) for t in titles if t.code in held]
    index = TitleIndex.train(tax, held)
    nearest = NgramTfidf([(t.occupation, t.label) for t in titles if t.code not in held] + known[len(titles) :])
    rows.append(
        (
            f"held-out titles ({len(tests)})",
            accuracy(tests, lambda s: first(index.classify(s, 1))),
            accuracy(tests, lambda s: first(index.suggest(s, 1))),
            accuracy(tests, nearest.predict),
        )
    )
    print("| accuracy@1 on | classifier alone | known-title lookup, then classifier | nearest title (n-gram TF-IDF) |")
    print("|---|---|---|---|")
    for what, alone, both, base in rows:
        print(f"| {what} | {alone:.3f} | {both:.3f} | {base:.3f} |")
    print(f"({time.perf_counter() - t0:.0f} s; examples: {'; '.join(t for _, t in noisy[:6])})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
