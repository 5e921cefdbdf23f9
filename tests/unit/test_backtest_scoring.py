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
    assert not score.meets_targets()  # 91% is over the band, whatever its p-value
