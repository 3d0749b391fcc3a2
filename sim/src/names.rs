//! Names to indices (nodes, ports): a vector of shared names, searched in line
//! while it is short, with a map beside it once it is long.
//!
//! A run names a handful of nodes and ports, and makes its tables anew every
//! time: a map would cost an allocation, its inserts and its teardown in every
//! run, while comparing a few short strings costs less than one map lookup.
//! Past [`SCAN_LIMIT`] names (a run of 3,000 nodes), a map keeps lookups
//! logarithmic.

use std::collections::BTreeMap;
use std::rc::Rc;

/// The most names searched in line; past it, a map is kept.
pub(crate) const SCAN_LIMIT: usize = 16;

/// Names by index (their order of insertion), and the index of each name.
#[derive(Default)]
pub(crate) struct Names {
    list: Vec<Rc<str>>,
    /// Every name's index, once there are more than [`SCAN_LIMIT`] names (empty before).
    map: BTreeMap<Rc<str>, u32>,
}

impl Names {
    /// The index of `name`, if it was added.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        if self.list.len() <= SCAN_LIMIT {
            self.list.iter().position(|n| **n == *name).map(|ix| ix as u32)
        } else {
            self.map.get(name).copied()
        }
    }

    /// Adds `name` (not already added) at the next index, and returns the shared
    /// name and its index.
    pub(crate) fn push(&mut self, name: &str) -> (Rc<str>, u32) {
        debug_assert!(self.get(name).is_none(), "name {name:?} added twice");
        let ix = u32::try_from(self.list.len()).expect("fewer than 2^32 names");
        let shared: Rc<str> = Rc::from(name);
        self.list.push(shared.clone());
        if self.list.len() > SCAN_LIMIT {
            if self.map.is_empty() {
                self.map = self.list.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
            } else {
                self.map.insert(shared.clone(), ix);
            }
        }
        (shared, ix)
    }

    /// The name at `ix`.
    pub(crate) fn name(&self, ix: u32) -> Option<&Rc<str>> {
        self.list.get(ix as usize)
    }

    /// Every name, in index order (shared, no copy of the strings).
    pub(crate) fn to_vec(&self) -> Vec<Rc<str>> {
        self.list.clone()
    }

    /// How many names there are.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds `count` names `n0, n1, ...` and checks every lookup, including
    /// names never added, at every size on the way.
    fn check(count: usize) {
        let mut names = Names::default();
        for i in 0..count {
            let (shared, ix) = names.push(&format!("n{i}"));
            assert_eq!((&*shared, ix as usize), (format!("n{i}").as_str(), i));
            assert_eq!(names.len(), i + 1);
            for j in 0..=i {
                assert_eq!(names.get(&format!("n{j}")), Some(j as u32), "n{j} among {} names", i + 1);
            }
            assert_eq!(names.get(&format!("n{}", i + 1)), None);
            assert_eq!(names.get(""), None);
            assert_eq!(names.get("n"), None, "a prefix is not a name");
        }
        assert_eq!(names.to_vec().len(), count);
        assert_eq!(names.name(count as u32), None);
    }

    #[test]
    fn a_few_names_are_found_by_scanning() {
        check(3);
        check(SCAN_LIMIT);
    }

    #[test]
    fn many_names_are_found_through_the_map() {
        check(SCAN_LIMIT + 1);
        check(3 * SCAN_LIMIT + 5);
    }

    #[test]
    fn the_map_starts_only_past_the_limit() {
        let mut names = Names::default();
        for i in 0..SCAN_LIMIT {
            names.push(&format!("n{i}"));
        }
        assert!(names.map.is_empty(), "no map for {SCAN_LIMIT} names");
        names.push("last");
        assert_eq!(names.map.len(), SCAN_LIMIT + 1, "the map holds every name once it exists");
        assert_eq!(names.name(SCAN_LIMIT as u32).map(|n| &**n), Some("last"));
    }
}
