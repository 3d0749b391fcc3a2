//! Applying faults: what each [`Fault`] of a plan does to a running simulation.
//!
//! Every applied fault is recorded as a `fault` event carrying the step's text
//! (the node it concerns, or none); its effects (a crash, drops, a restart)
//! follow as their own events.

use crate::clock::ClockChange;
use crate::error::SimError;
use crate::plan::{Fault, LinkRef};
use crate::runtime::{Inner, State};
use microsim_traces::{NodeIx, NO_NODE};

impl State {
    fn node_ix(&self, name: &str) -> Result<NodeIx, SimError> {
        self.nodes.lookup(name).ok_or_else(|| SimError::UnknownNode(name.to_string()))
    }

    fn link_ix(&self, link: &LinkRef) -> Result<(NodeIx, NodeIx), SimError> {
        Ok((self.node_ix(&link.from)?, self.node_ix(&link.to)?))
    }

    /// Releases the messages held on `links` (unclogged): each is scheduled anew,
    /// in send order, with a fresh latency from now.
    pub(crate) fn release_held(&mut self, links: &[(NodeIx, NodeIx)]) {
        for link in links {
            for env in self.net.held.remove(link).unwrap_or_default() {
                self.schedule_held(env);
            }
        }
    }
}

impl Inner {
    /// Applies one fault now.
    pub(crate) fn apply(&self, fault: &Fault) -> Result<(), SimError> {
        let subject = match fault.nodes().as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        {
            let mut st = self.state.borrow_mut();
            let node = match subject {
                Some(name) => st.node_ix(name)?,
                None => NO_NODE,
            };
            st.record_fault(node, format_args!("{fault}"));
        }
        match fault {
            Fault::Crash { node } => self.crash(node, false),
            Fault::CrashWipe { node } => self.crash(node, true),
            Fault::Restart { node } => self.restart(node),
            Fault::Pause { node } => self.pause(node),
            Fault::Resume { node } => self.resume(node),
            Fault::ClockOffset { node, offset } => self.change_clock(node, ClockChange::Offset { offset_ns: offset.0 }),
            Fault::ClockDrift { node, ppm } => self.change_clock(node, ClockChange::Drift { ppm: *ppm }),
            Fault::ClockJump { node, by } => self.change_clock(node, ClockChange::Jump { by_ns: by.0 }),
            Fault::ClockResync { node } => self.change_clock(node, ClockChange::Resync),
            Fault::HealAll => self.heal_all(),
            _ => self.apply_to_network_or_disk(fault),
        }
    }

    fn apply_to_network_or_disk(&self, fault: &Fault) -> Result<(), SimError> {
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        match fault {
            Fault::Partition { groups } => {
                let groups = groups
                    .iter()
                    .map(|g| g.iter().map(|n| st.node_ix(n)).collect())
                    .collect::<Result<Vec<Vec<_>>, _>>()?;
                st.net.faults.partition(&groups);
            }
            Fault::Cut { link } => {
                let (a, b) = st.link_ix(link)?;
                st.net.faults.cut(a, b);
            }
            Fault::Clog { link } => {
                let (a, b) = st.link_ix(link)?;
                st.net.faults.clog(a, b);
            }
            Fault::Unclog { link } => {
                let (a, b) = st.link_ix(link)?;
                if st.net.faults.unclog(a, b) {
                    st.release_held(&[(a, b)]);
                }
            }
            Fault::Loss { rate, link } => {
                let link = link.as_ref().map(|l| st.link_ix(l)).transpose()?;
                st.net.faults.set_loss(*rate, link);
            }
            Fault::Duplicate { rate, link } => {
                let link = link.as_ref().map(|l| st.link_ix(l)).transpose()?;
                st.net.faults.set_duplicate(*rate, link);
            }
            Fault::Latency { latency, link } => match link {
                None => st.net.set_default_latency(latency.to_latency()),
                Some(l) => {
                    let (a, b) = st.link_ix(l)?;
                    st.net.set_link(a, b, crate::LinkConfig::new(latency.to_latency()));
                }
            },
            Fault::HealNetwork => {
                let clogged = st.net.faults.heal_links();
                st.release_held(&clogged);
            }
            Fault::Disk { node, faults } => {
                let ix = st.node_ix(node)?;
                st.nodes.list[ix as usize].disk.set_faults(*faults);
            }
            other => unreachable!("{} is applied by Inner::apply", other.kind()),
        }
        self.set_net_faulty(st.net.refresh_faulty());
        Ok(())
    }

    /// Heals everything: crashed nodes restart, paused ones resume, the network
    /// heals (held messages go), loss and duplication stop, clocks resync, disks
    /// behave again.
    pub(crate) fn heal_all(&self) -> Result<(), SimError> {
        let (crashed, paused) = {
            let mut st = self.state.borrow_mut();
            let st = &mut *st;
            let clogged = st.net.faults.heal_all();
            st.release_held(&clogged);
            self.set_net_faulty(st.net.refresh_faulty());
            let now = st.now;
            let mut crashed = Vec::new();
            let mut paused = Vec::new();
            for n in st.nodes.list.iter_mut() {
                match n.status {
                    crate::node::Status::Crashed => crashed.push(n.name.to_string()),
                    crate::node::Status::Paused => paused.push(n.name.to_string()),
                    _ => {}
                }
                if !n.clock.is_true() {
                    n.clock.resync(now);
                }
                n.disk.set_faults(crate::disk::DiskFaults::default());
            }
            (crashed, paused)
        };
        for name in crashed {
            self.restart(&name)?;
        }
        for name in paused {
            self.resume(&name)?;
        }
        Ok(())
    }
}
