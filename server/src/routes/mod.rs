//! The HTTP routes, one file per area.

pub mod events;
pub mod forecasts;
pub mod health;
pub mod recommendations;
