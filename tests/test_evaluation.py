"""The scored evaluation (tests/evaluation.py): no score of any seed in any form may drop below the baseline pinned
in tests/data/evaluation_baseline.json, and every pinned file and form is still scored."""

from __future__ import annotations

from tests.evaluation import baseline, evaluate


def test_no_score_drops_below_the_baseline():
    scores, pinned = evaluate(), baseline()
    assert set(pinned) == set(scores), "evaluated files and forms changed: bench/evaluate.py --write-baseline"
    dropped = {key: (score.as_list(), pinned[key], score.misses[:3]) for key, score in scores.items()
               if score.cells < pinned[key][0] or score.flags < pinned[key][2]
               or [score.cells_of, score.flags_of] != [pinned[key][1], pinned[key][3]]}
    assert dropped == {}
    assert sum(s.cells_of for s in scores.values()) > 10_000  # every cell of 5 seeds × 11 forms
