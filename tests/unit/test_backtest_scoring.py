"""The backtest's calibration arithmetic, worked out by hand."""
import pytest

from salesops.forecast import backtest


def test_chance_that_a_calibrated_interval_lands_in_the_band():
    # 10 periods at a true coverage of 80%: 7, 8 or 9 covered is inside 70%-90%
    # C(10,7) .8^7 .2^3 + C(10,8) .8^8 .2^2 + C(10,9) .8^9 .2 = 0.20133 + 0.30199 + 0.26844 = 0.77175
    assert backtest.chance_in_band(10) == pytest.approx(0.77175, abs=1e-5)


def test_two_sided_binomial_p_value():
    # 5 of 5 at 0.8: P(5) = 0.32768; the outcomes no likelier are 0-3 and 5 (P(4) = 0.4096 is likelier):
    # 0.00032 + 0.0064 + 0.0512 + 0.2048 + 0.32768 = 0.5904
    assert backtest.binomial_two_sided_p(5, 5, 0.8) == pytest.approx(0.5904)
    # 4 of 5 is the likeliest outcome: every outcome is at most as likely
    assert backtest.binomial_two_sided_p(4, 5, 0.8) == pytest.approx(1.0)
    # 0 of 5: only itself, 0.2^5
    assert backtest.binomial_two_sided_p(0, 5, 0.8) == pytest.approx(0.00032)


def test_a_score_counts_its_covered_periods():
    score = backtest.Score(7, "crm_probability", "month", "period_start", 34, 0.094, -0.049, 31 / 34)
    assert score.covered == 31
    assert not score.in_band()  # 91%
    assert score.misses() == []  # P(31 or more of 34, or as unlikely below) = 0.13: not evidence of a bad interval
    assert score.misses(alpha=0.2) != []


def test_targets_are_per_method_and_seed_and_no_row_may_be_inconsistent_with_80_percent():
    def score(method, period_type, horizon, periods, covered, mape=0.05):
        return backtest.Score(7, method, period_type, horizon, periods, mape, 0.0, covered / periods)

    # crm_probability: 9 + 31 of 10 + 34 = 40 of 44 = 91%: over the band for the method
    # time_series: 8 + 27 of 10 + 34 = 35 of 44 = 80%: met
    # historical_stage_rate: 8 + 34 of 10 + 34 = 42 of 44 = 95%, and 34 of 34 is inconsistent with 80% (each of
    #   the 6 rows is tested at 0.05 / 6 = 0.0083):
    #   P(34) = 0.8^34 = 0.000507, the outcomes no likelier are 0-18 (P(18) = 0.00026 < P(34) < P(19) =
    #   0.00088), 0.00035 together: p = 0.00086; both miss, and its quarter MAPE of 12% misses too
    scores = [score("crm_probability", "quarter", "period_start", 10, 9),
              score("crm_probability", "month", "period_start", 34, 31),
              score("time_series", "quarter", "period_start", 10, 8),
              score("time_series", "month", "period_start", 34, 27),
              score("historical_stage_rate", "quarter", "period_start", 10, 8, mape=0.12),
              score("historical_stage_rate", "month", "period_start", 34, 34)]
    assert backtest.method_coverage(scores) == {(7, "crm_probability"): (40, 44), (7, "time_series"): (35, 44),
                                                (7, "historical_stage_rate"): (42, 44)}
    assert scores[5].calibration_p == pytest.approx(0.000857, abs=1e-6)
    missed = backtest.misses(scores)
    assert len(missed) == 4, missed
    assert not any("time_series" in miss for miss in missed)
    assert sum("crm_probability" in miss for miss in missed) == 1 and "91%" in missed[-2]
    assert any("MAPE" in miss and "12.0%" in miss for miss in missed)
