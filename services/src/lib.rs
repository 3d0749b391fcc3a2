//! microsim's sample services and scenarios.

pub mod pingpong;
