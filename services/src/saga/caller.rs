//! Calls from the orchestrator to its downstreams: found through the
//! [`Directory`], with a timeout per call, retries with exponential backoff
//! and jitter, and a circuit breaker per downstream. A forward step gives up
//! after its attempts (or at once, when the breaker is open: failing fast is
//! the breaker's point); a compensation or the commit never gives up.

use super::breaker::{Admit, Breaker, State};
use super::directory::Directory;
use super::oracle::{bump, Oracle};
use super::proto::{Refusal, Request, Response, PORT};
use super::settings::Settings;
use microsim::{rpc, time};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

/// Why a forward step did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepError {
    /// The participant refused it.
    Refused(Refusal),
    /// No answer within the attempts, or the breaker is open.
    GaveUp,
}

/// The orchestrator's side of its downstreams.
#[derive(Debug)]
pub struct Caller {
    directory: Directory,
    breakers: RefCell<BTreeMap<&'static str, Breaker>>,
    oracle: Rc<Oracle>,
}

fn jittered(backoff: Duration) -> Duration {
    let nanos = u64::try_from(backoff.as_nanos()).unwrap_or(u64::MAX);
    backoff + Duration::from_nanos(microsim::rand::random_range(0..=nanos / 2))
}

impl Caller {
    /// A caller with closed breakers.
    pub fn new(oracle: Rc<Oracle>) -> Caller {
        Caller { directory: Directory::default(), breakers: RefCell::default(), oracle }
    }

    /// Calls `service` with `req(attempt)` (attempts count from 1): at most
    /// `attempts` times (`None`: until it answers), as `settings` say.
    pub async fn call(
        &self,
        service: &'static str,
        req: impl Fn(u32) -> Request,
        settings: &Settings,
        attempts: Option<u32>,
    ) -> Result<(), StepError> {
        let mut attempt = 0;
        loop {
            if attempts.is_some_and(|limit| attempt >= limit) {
                return Err(StepError::GaveUp);
            }
            if let Admit::Wait { retry_at } = self.admit(service, settings) {
                if attempts.is_some() {
                    return Err(StepError::GaveUp);
                }
                time::sleep_until(retry_at).await;
                time::sleep(jittered(settings.backoff_base) - settings.backoff_base).await;
                continue;
            }
            attempt += 1;
            if attempt > 1 {
                bump(&self.oracle.seen.retries);
            }
            match self.once(service, req(attempt), settings.call_timeout).await {
                Some(Response::Done) => {
                    self.record(service, true);
                    return Ok(());
                }
                Some(Response::Refused(r)) => {
                    self.record(service, true);
                    return Err(StepError::Refused(r));
                }
                Some(Response::Unavailable) | None => self.record(service, false),
            }
            time::sleep(jittered(settings.backoff(attempt))).await;
        }
    }

    /// One call: `None` if it got no answer (or the registry did not say
    /// where the service is: to the saga, the same outage).
    async fn once(&self, service: &'static str, req: Request, timeout: Duration) -> Option<Response> {
        let addr = self.directory.find(service, timeout).await?;
        bump(&self.oracle.seen.calls);
        rpc::call::<Request, Response>((addr.as_str(), PORT), req, timeout).await.ok()
    }

    fn admit(&self, service: &'static str, settings: &Settings) -> Admit {
        if !settings.breaker {
            return Admit::Go;
        }
        let mut breakers = self.breakers.borrow_mut();
        let breaker = breakers
            .entry(service)
            .or_insert_with(|| Breaker::new(settings.breaker_failures, settings.breaker_open_for));
        breaker.configure(settings.breaker_failures, settings.breaker_open_for);
        let before = breaker.state();
        let admit = breaker.admit(time::now());
        self.log_change(service, before, breaker.state());
        admit
    }

    /// Records a call's result in the breaker.
    fn record(&self, service: &'static str, ok: bool) {
        let mut breakers = self.breakers.borrow_mut();
        let Some(breaker) = breakers.get_mut(service) else { return };
        let before = breaker.state();
        breaker.record(ok, time::now());
        self.log_change(service, before, breaker.state());
    }

    fn log_change(&self, service: &'static str, before: State, after: State) {
        if std::mem::discriminant(&before) == std::mem::discriminant(&after) {
            return;
        }
        if matches!(after, State::Open { .. }) {
            bump(&self.oracle.seen.breaker_opens);
        }
        self.oracle.breaker_log.borrow_mut().push((time::global_now(), service, after.to_string()));
    }
}
