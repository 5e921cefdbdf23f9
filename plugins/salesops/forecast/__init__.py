"""Forecasts: the time-series method, the backtest, the night's forecast picture."""
