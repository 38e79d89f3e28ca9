//! Probabilistic forecasting: models, AUTO ensemble, backtests and Amazon Forecast's
//! accuracy metrics, on in-memory series.
