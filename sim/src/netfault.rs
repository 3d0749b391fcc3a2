//! Network faults as state: partitions, cut and clogged links, loss and
//! duplication, and the verdict they give each message.
//!
//! The network consults this only while some fault is active ([`NetFaults::any`]),
//! so the fault-free path pays one branch. A cut drops; a clog holds messages and
//! releases them, in order, when the link is unclogged or the network heals.
//! Loss and duplication rates apply to every link or to one link.

use microsim_traces::NodeIx;
use std::collections::{BTreeMap, BTreeSet};

/// What happens to one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// On its way, once.
    Deliver,
    /// On its way, twice (independent latencies).
    Duplicate,
    /// Held until the link is unclogged.
    Hold,
    /// Dropped because the nodes are in different partition groups.
    Partitioned,
    /// Dropped because the link is cut.
    Cut,
    /// Dropped at random (loss rate).
    Lost,
}

/// The network's active faults.
#[derive(Debug, Default)]
pub(crate) struct NetFaults {
    /// Partition group of each node (by index); nodes without one reach everyone.
    groups: BTreeMap<NodeIx, u32>,
    cut: BTreeSet<(NodeIx, NodeIx)>,
    clogged: BTreeSet<(NodeIx, NodeIx)>,
    loss: f64,
    loss_links: BTreeMap<(NodeIx, NodeIx), f64>,
    duplicate: f64,
    duplicate_links: BTreeMap<(NodeIx, NodeIx), f64>,
}

impl NetFaults {
    /// Whether any fault is active (if not, every message is delivered once).
    #[inline]
    pub(crate) fn any(&self) -> bool {
        !self.groups.is_empty()
            || !self.cut.is_empty()
            || !self.clogged.is_empty()
            || self.loss > 0.0
            || self.duplicate > 0.0
            || !self.loss_links.is_empty()
            || !self.duplicate_links.is_empty()
    }

    /// Splits the network: each group reaches only itself (and ungrouped nodes).
    pub(crate) fn partition(&mut self, groups: &[Vec<NodeIx>]) {
        self.groups.clear();
        for (g, members) in groups.iter().enumerate() {
            for &n in members {
                self.groups.insert(n, g as u32);
            }
        }
    }

    pub(crate) fn cut(&mut self, from: NodeIx, to: NodeIx) {
        self.cut.insert((from, to));
    }

    pub(crate) fn clog(&mut self, from: NodeIx, to: NodeIx) {
        self.clogged.insert((from, to));
    }

    /// Unclogs a link; true if it was clogged (its held messages go now).
    pub(crate) fn unclog(&mut self, from: NodeIx, to: NodeIx) -> bool {
        self.clogged.remove(&(from, to))
    }

    pub(crate) fn set_loss(&mut self, rate: f64, link: Option<(NodeIx, NodeIx)>) {
        match link {
            None => self.loss = rate,
            Some(l) if rate > 0.0 => drop(self.loss_links.insert(l, rate)),
            Some(l) => drop(self.loss_links.remove(&l)),
        }
    }

    pub(crate) fn set_duplicate(&mut self, rate: f64, link: Option<(NodeIx, NodeIx)>) {
        match link {
            None => self.duplicate = rate,
            Some(l) if rate > 0.0 => drop(self.duplicate_links.insert(l, rate)),
            Some(l) => drop(self.duplicate_links.remove(&l)),
        }
    }

    /// Ends partitions, cuts and clogs; returns the links that were clogged.
    pub(crate) fn heal_links(&mut self) -> Vec<(NodeIx, NodeIx)> {
        self.groups.clear();
        self.cut.clear();
        std::mem::take(&mut self.clogged).into_iter().collect()
    }

    /// Ends loss and duplication too; returns the links that were clogged.
    pub(crate) fn heal_all(&mut self) -> Vec<(NodeIx, NodeIx)> {
        self.loss = 0.0;
        self.duplicate = 0.0;
        self.loss_links.clear();
        self.duplicate_links.clear();
        self.heal_links()
    }

    /// Whether `from` can reach `to` through partitions and cuts (checked again
    /// at delivery, for messages already on the wire when a fault began).
    pub(crate) fn reachable(&self, from: NodeIx, to: NodeIx) -> Option<Verdict> {
        if let (Some(a), Some(b)) = (self.groups.get(&from), self.groups.get(&to)) {
            if a != b {
                return Some(Verdict::Partitioned);
            }
        }
        self.cut.contains(&(from, to)).then_some(Verdict::Cut)
    }

    /// The fate of a message sent now from `from` to `to`. `chance(rate)` draws
    /// one yes/no (from the network's stream or a choice sequence), only for the
    /// rates that are set, so the draws are the same whether or not other
    /// faults are active.
    pub(crate) fn verdict(&self, chance: &mut dyn FnMut(f64) -> bool, from: NodeIx, to: NodeIx) -> Verdict {
        if let Some(blocked) = self.reachable(from, to) {
            return blocked;
        }
        if self.clogged.contains(&(from, to)) {
            return Verdict::Hold;
        }
        let loss = self.loss_links.get(&(from, to)).copied().unwrap_or(self.loss);
        if loss > 0.0 && chance(loss) {
            return Verdict::Lost;
        }
        let duplicate = self.duplicate_links.get(&(from, to)).copied().unwrap_or(self.duplicate);
        if duplicate > 0.0 && chance(duplicate) {
            return Verdict::Duplicate;
        }
        Verdict::Deliver
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, SimRng, Stream};
    use rand::Rng;

    fn rng() -> SimRng {
        stream(3, Stream::Network)
    }

    /// The verdict with chances drawn from `rng`, as the network draws them.
    trait Draw {
        fn drawn(&self, rng: &mut SimRng, from: NodeIx, to: NodeIx) -> Verdict;
    }

    impl Draw for NetFaults {
        fn drawn(&self, rng: &mut SimRng, from: NodeIx, to: NodeIx) -> Verdict {
            NetFaults::verdict(self, &mut |rate| rng.random_bool(rate.min(1.0)), from, to)
        }
    }

    #[test]
    fn no_fault_delivers_and_draws_nothing() {
        let f = NetFaults::default();
        assert!(!f.any());
        let (mut a, b) = (rng(), rng());
        assert_eq!(f.drawn(&mut a, 0, 1), Verdict::Deliver);
        assert_eq!(a, b, "no random draw without a rate");
    }

    #[test]
    fn a_partition_separates_groups_but_not_ungrouped_nodes() {
        let mut f = NetFaults::default();
        f.partition(&[vec![0], vec![1, 2]]);
        let r = &mut rng();
        assert_eq!(f.drawn(r, 0, 1), Verdict::Partitioned);
        assert_eq!(f.drawn(r, 2, 0), Verdict::Partitioned);
        assert_eq!(f.drawn(r, 1, 2), Verdict::Deliver);
        assert_eq!(f.drawn(r, 3, 0), Verdict::Deliver, "node 3 is in no group");
        assert!(f.heal_links().is_empty());
        assert_eq!(f.drawn(r, 0, 1), Verdict::Deliver);
    }

    #[test]
    fn a_cut_is_one_way_and_a_clog_holds_until_unclogged() {
        let mut f = NetFaults::default();
        f.cut(0, 1);
        f.clog(1, 2);
        let r = &mut rng();
        assert_eq!(f.drawn(r, 0, 1), Verdict::Cut);
        assert_eq!(f.drawn(r, 1, 0), Verdict::Deliver);
        assert_eq!(f.drawn(r, 1, 2), Verdict::Hold);
        assert!(f.unclog(1, 2) && !f.unclog(1, 2));
        assert_eq!(f.drawn(r, 1, 2), Verdict::Deliver);
        f.clog(2, 0);
        assert_eq!(f.heal_all(), vec![(2, 0)]);
        assert!(!f.any());
    }

    #[test]
    fn loss_and_duplication_happen_at_their_rates_per_link_or_everywhere() {
        let mut f = NetFaults::default();
        f.set_loss(0.3, None);
        f.set_duplicate(0.5, Some((0, 1)));
        let r = &mut rng();
        let count =
            |f: &NetFaults, r: &mut SimRng, from, to, v| (0..10_000).filter(|_| f.drawn(r, from, to) == v).count();
        let lost = count(&f, r, 1, 0, Verdict::Lost);
        assert!((2_700..3_300).contains(&lost), "{lost}");
        let dup = count(&f, r, 0, 1, Verdict::Duplicate);
        assert!((3_200..3_800).contains(&dup), "half of the 70% not lost: {dup}");
        assert_eq!(count(&f, r, 1, 0, Verdict::Duplicate), 0, "duplication is on one link");
        f.set_duplicate(0.0, Some((0, 1)));
        f.set_loss(0.0, None);
        assert!(!f.any());
    }
}
