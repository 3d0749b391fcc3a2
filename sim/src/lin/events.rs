//! The call and return events of one partition, as a doubly linked list in time order.
//!
//! The search walks this list; linearizing an operation *lifts* its call and its
//! return out of the list, and backtracking puts them back (in the reverse order,
//! as in Knuth's dancing links), so both are O(1) and allocate nothing. An
//! operation with an unknown outcome has a call and no return: nothing forces it
//! to happen, and leaving it out is the same as saying it never took effect.

/// The end of the list (and "no return event").
pub(crate) const NONE: u32 = u32::MAX;
/// The head sentinel.
pub(crate) const HEAD: u32 = 0;

#[derive(Clone, Copy, Debug)]
struct Node {
    prev: u32,
    next: u32,
    op: u32,
    /// For a call: its return node (or `NONE`); for a return: `NONE`.
    ret: u32,
    is_call: bool,
}

/// The event list.
#[derive(Debug)]
pub(crate) struct Events {
    nodes: Vec<Node>,
}

impl Events {
    /// Events for operations given as (invocation time, return time if definite),
    /// indexed by operation. At equal times calls come before returns: operations
    /// that touch at one instant count as concurrent, which never invents an order.
    pub(crate) fn new(times: &[(u64, Option<u64>)]) -> Events {
        let mut order: Vec<(u64, bool, u32)> = Vec::with_capacity(times.len() * 2);
        for (op, (invoke, ret)) in times.iter().enumerate() {
            let op = u32::try_from(op).expect("fewer than 2^32 operations");
            order.push((*invoke, false, op));
            if let Some(ret) = ret {
                order.push((*ret, true, op));
            }
        }
        // (time, is_return, op): calls sort before returns at the same time.
        order.sort_unstable();
        let head = Node { prev: NONE, next: NONE, op: NONE, ret: NONE, is_call: false };
        let mut nodes = vec![head; order.len() + 1];
        let mut call_node = vec![NONE; times.len()];
        for (i, &(_, is_return, op)) in order.iter().enumerate() {
            let n = i as u32 + 1;
            nodes[n as usize] = Node {
                prev: n - 1,
                next: if i + 1 < order.len() { n + 1 } else { NONE },
                op,
                ret: NONE,
                is_call: !is_return,
            };
            if is_return {
                nodes[call_node[op as usize] as usize].ret = n;
            } else {
                call_node[op as usize] = n;
            }
        }
        nodes[0].next = if order.is_empty() { NONE } else { 1 };
        Events { nodes }
    }

    /// The node after `n` (`NONE` at the end).
    #[inline]
    pub(crate) fn next(&self, n: u32) -> u32 {
        self.nodes[n as usize].next
    }

    /// The first event still in the list.
    #[inline]
    pub(crate) fn first(&self) -> u32 {
        self.next(HEAD)
    }

    /// Whether `n` is a call (else a return).
    #[inline]
    pub(crate) fn is_call(&self, n: u32) -> bool {
        self.nodes[n as usize].is_call
    }

    /// The operation of event `n`.
    #[inline]
    pub(crate) fn op(&self, n: u32) -> usize {
        self.nodes[n as usize].op as usize
    }

    /// Removes call `n` and its return from the list.
    #[inline]
    pub(crate) fn lift(&mut self, n: u32) {
        self.unlink(n);
        let ret = self.nodes[n as usize].ret;
        if ret != NONE {
            self.unlink(ret);
        }
    }

    /// Puts back call `n` and its return (undoes the latest `lift`).
    #[inline]
    pub(crate) fn unlift(&mut self, n: u32) {
        let ret = self.nodes[n as usize].ret;
        if ret != NONE {
            self.relink(ret);
        }
        self.relink(n);
    }

    #[inline]
    fn unlink(&mut self, n: u32) {
        let Node { prev, next, .. } = self.nodes[n as usize];
        self.nodes[prev as usize].next = next;
        if next != NONE {
            self.nodes[next as usize].prev = prev;
        }
    }

    #[inline]
    fn relink(&mut self, n: u32) {
        let Node { prev, next, .. } = self.nodes[n as usize];
        self.nodes[prev as usize].next = n;
        if next != NONE {
            self.nodes[next as usize].prev = n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(events: &Events) -> Vec<(usize, bool)> {
        let mut out = Vec::new();
        let mut n = events.first();
        while n != NONE {
            out.push((events.op(n), events.is_call(n)));
            n = events.next(n);
        }
        out
    }

    #[test]
    fn lift_and_unlift_restore_the_order() {
        // op 0: [0, 10]; op 1: [5, 10] (touches op 0's return); op 2: [3, unknown).
        let mut events = Events::new(&[(0, Some(10)), (5, Some(10)), (3, None)]);
        let all = vec![(0, true), (2, true), (1, true), (0, false), (1, false)];
        assert_eq!(walk(&events), all);
        let call_1 = 3;
        events.lift(call_1);
        assert_eq!(walk(&events), vec![(0, true), (2, true), (0, false)]);
        events.lift(1);
        assert_eq!(walk(&events), vec![(2, true)]);
        events.unlift(1);
        events.unlift(call_1);
        assert_eq!(walk(&events), all);
    }
}
