//! microsim's sample services and scenarios.

pub mod config;
pub mod discovery;
pub mod pingpong;
pub mod raft;
pub mod saga;

use microsim::scenario::Scenario;

/// Every sample scenario, by name, with the settings the command line uses.
pub fn scenarios() -> Vec<Box<dyn Scenario>> {
    vec![
        Box::new(pingpong::PingPongScenario { rounds: 20 }),
        Box::new(discovery::DiscoveryScenario),
        Box::new(config::ConfigScenario::new(30)),
        Box::new(saga::SagaScenario),
    ]
}

/// The sample scenario named `name`.
pub fn scenario(name: &str) -> Option<Box<dyn Scenario>> {
    scenarios().into_iter().find(|s| s.name() == name)
}
