"""The time split chooses its window by time, then by positives: worked by hand on per-day counts."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ipr_guard.model.promotion import decide
from ipr_guard.model.training import plan_split

D = dt.date(2026, 10, 31)


def day(n: int) -> dt.date:
    """The n-th day before D (day(0) is D)."""
    return D - dt.timedelta(days=n)


def test_the_configured_window_stands_when_it_holds_enough_positives():
    # Days 0..29 with 1 positive and 10 negatives each; the latest 21 days hold 21 positives.
    counts = [(day(n), 1, 10) for n in range(30)]
    split = plan_split(counts, validation_days=21, min_positives=20)
    assert split.cutoff == day(21) and split.window_days == 21 and split.note == ""
    assert split.counts == {("validation", 1): 21, ("validation", 0): 210, ("train", 1): 9, ("train", 0): 90}


def test_a_pause_in_enforcement_grows_the_window_back_to_the_positives():
    # Enforcement paused for the latest 30 days (no positives); before it, 2 positives a day on days 30..89.
    counts = [(day(n), 0, 5) for n in range(30)] + [(day(n), 2, 5) for n in range(30, 90)]
    split = plan_split(counts, validation_days=21, min_positives=20)
    # Days 30..39 (10 days, 20 positives) join validation: it spans days 0..39, 40 days.
    assert split.cutoff == day(40) and split.window_days == 40
    assert split.counts == {("validation", 1): 20, ("validation", 0): 200, ("train", 1): 100, ("train", 0): 250}
    assert split.note == ("validation covers the latest 40 days, not 21: the latest 21 held 0 positives, fewer "
                          "than the 20 needed to judge a model (model.min_validation_positives)")


def test_validation_never_takes_more_than_half_of_the_positives_and_says_so():
    # 6 positives in all, on days 25..30: validation may take 3 of them (days 25..27), not the 20 it wants.
    counts = [(day(n), 0, 4) for n in range(25)] + [(day(n), 1, 4) for n in range(25, 31)]
    split = plan_split(counts, validation_days=21, min_positives=20)
    assert split.cutoff == day(28) and split.counts[("validation", 1)] == 3 and split.counts[("train", 1)] == 3
    assert split.note == ("validation holds 3 positives, fewer than the 20 needed to judge a model "
                          "(model.min_validation_positives): the examples hold 6 positives in all and training "
                          "keeps at least half of them")


def test_counts_in_any_order_and_gaps_between_as_of_dates_give_the_same_split():
    # Weekly as-of dates, listed newest first: positives only on the dates 35 and 42 days back.
    counts = [(day(0), 0, 9), (day(7), 0, 9), (day(14), 0, 9), (day(21), 0, 9), (day(28), 0, 9),
              (day(35), 4, 9), (day(42), 4, 9), (day(49), 4, 9)][::-1]
    split = plan_split(counts, validation_days=7, min_positives=4)
    # The configured window (day 0 only) holds none; days 7..28 move in without positives, then day 35's 4.
    assert split.cutoff == day(36) and split.window_days == 36
    assert split.counts[("validation", 1)] == 4 and split.counts[("validation", 0)] == 54


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="no examples"):
        plan_split([], 21, 20)
    with pytest.raises(ValueError, match="at least 1"):
        plan_split([(D, 1, 1)], 0, 20)


def test_the_gate_refuses_a_model_judged_on_too_few_positives(cfg):
    m = dataclasses.replace(cfg.model, min_pr_auc=0.5, min_precision=0.5, min_recall=0.5, min_validation_positives=20)
    good = {"pr_auc": 0.9, "precision": 0.9, "recall": 0.9, "positives": 19.0, "negatives": 300.0}
    verdict = decide(good, None, m)
    assert verdict.alias == "challenger"
    assert verdict.reason == "validation holds 19 positives, under min_validation_positives 20: too few to judge it"
    assert decide({**good, "positives": 20.0}, None, m).alias == "champion"


def test_the_threshold_for_a_target_precision_is_the_lowest_reaching_it():
    from ipr_guard.model.training import threshold_for_precision
    # Bins (lower edge, positives, negatives). Flagged from the top: 0.9 -> 3/3; 0.7 -> 4/6 = 0.67;
    # 0.5 -> 4/9 = 0.44; 0.3 -> 7/12 = 0.58 (precision rises again); 0.1 -> 7/22.
    counts = [(0.5, 0, 3), (0.9, 3, 0), (0.1, 0, 10), (0.7, 1, 2), (0.3, 3, 0)]
    assert threshold_for_precision(counts, 0.55) == 0.3  # the lowest reaching it, past the dip at 0.5
    assert threshold_for_precision(counts, 0.6) == 0.7
    assert threshold_for_precision(counts, 0.67) == 0.9
    assert threshold_for_precision(counts, 1.0) == 0.9
    assert threshold_for_precision([(0.5, 0, 3)], 0.1) is None  # no positive anywhere
    assert threshold_for_precision([], 0.5) is None
