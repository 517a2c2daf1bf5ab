"""The scored evaluation (tests/evaluation.py): every seed in every form the project makes, scored cell by cell
against the hand-checked values, beside the pinned baseline.

Run: .venv/bin/python bench/evaluate.py [--write-baseline]. Prints one line per seed and form (cells and findings
right, and the baseline's), the misses of any below 100 %, and the totals; --write-baseline pins the scores as the new
baseline (do it when a change improves them: tests/test_evaluation.py fails when one drops).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.evaluation import baseline, evaluate, write_baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-baseline", action="store_true")
    args = parser.parse_args()
    scores, pinned = evaluate(), baseline()
    print(f"{'seed/form':<48}{'cells':>11}{'findings':>10}{'baseline cells':>16}")
    for key, score in scores.items():
        was = pinned.get(key)
        print(f"{key:<48}{score.cells:>5}/{score.cells_of:<5}{score.flags:>4}/{score.flags_of:<5}"
              f"{(f'{was[0]}/{was[1]}' if was else 'new'):>16}")
        for miss in score.misses[:5]:
            print(f"    {miss}")
    cells, of = sum(s.cells for s in scores.values()), sum(s.cells_of for s in scores.values())
    print(f"all: cells {cells}/{of} ({100 * cells / of:.2f} %), findings "
          f"{sum(s.flags for s in scores.values())}/{sum(s.flags_of for s in scores.values())}")
    if args.write_baseline:
        write_baseline(scores)
        print("baseline written")


if __name__ == "__main__":
    main()
