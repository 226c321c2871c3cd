"""Compare two records of ``tests/comparison/entrypoints.py`` (the base code's, then this tree's) field by field.

``python tests/comparison/diff.py old.json new.json`` prints how many records are equal, the calls that an
entrypoint now refuses (Forbidden) before checking its arguments where the base code checked them first
(ValidationFailed), and every other difference.
"""

import json
import sys


def main(old_path: str, new_path: str) -> int:
    with open(old_path) as f_old, open(new_path) as f_new:
        old, new = json.load(f_old), json.load(f_new)
    print("records:", len(old), len(new))
    if len(old) != len(new):
        print("the two runs made different numbers of calls")
        return 1
    order, other = [], []
    for a, b in zip(old, new, strict=True):
        if a == b:
            continue
        if a.get("call") == b.get("call") and (a.get("raised"), b.get("raised")) == ("ValidationFailed", "Forbidden"):
            order.append(a["call"])
        else:
            other.append((a, b))
    print("equal:", sum(a == b for a, b in zip(old, new, strict=True)))
    print("refused before its arguments were checked (base: ValidationFailed, now: Forbidden):", len(order))
    for call in order:
        print("   ", call)
    print("other differences:", len(other))
    for a, b in other:
        print(json.dumps(a, ensure_ascii=False)[:600])
        print(json.dumps(b, ensure_ascii=False)[:600])
        print()
    return 1 if other else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
