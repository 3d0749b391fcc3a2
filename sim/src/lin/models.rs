//! The built-in models: a register, a register with compare-and-set, a key/value map.

mod kv;
mod register;
mod register_cas;

pub use kv::{Kv, KvInput, KvOutput, KvState};
pub use register::{Register, RegisterInput, RegisterOutput};
pub use register_cas::RegisterCas;
