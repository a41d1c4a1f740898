//! The newest records of a sample, merged across shards as each shard's read ends.

/// One record kept for the sample, with what orders it: arrival time, then shard and position.
#[derive(Debug)]
pub(super) struct Kept {
    pub(super) arrival_ms: i64,
    pub(super) shard: usize,
    pub(super) position: u64,
    pub(super) data: Vec<u8>,
}

/// The newest `size` records seen, by arrival time, then shard and position (what orders
/// records across shards); older ones are dropped as newer ones come.
pub(super) struct Newest {
    pub(super) size: usize,
    /// A min-heap: the oldest kept record on top, the first to go.
    pub(super) heap: std::collections::BinaryHeap<std::cmp::Reverse<ByAge>>,
}

/// A kept record, ordered by age.
pub(super) struct ByAge(Kept);

impl ByAge {
    pub(super) fn key(&self) -> (i64, usize, u64) {
        (self.0.arrival_ms, self.0.shard, self.0.position)
    }
}

impl PartialEq for ByAge {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for ByAge {}
impl PartialOrd for ByAge {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByAge {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Newest {
    pub(super) fn new(size: usize) -> Self {
        Newest { size, heap: std::collections::BinaryHeap::with_capacity(size + 1) }
    }

    pub(super) fn extend(&mut self, records: impl IntoIterator<Item = Kept>) {
        for record in records {
            self.heap.push(std::cmp::Reverse(ByAge(record)));
            if self.heap.len() > self.size {
                self.heap.pop();
            }
        }
    }

    pub(super) fn into_vec(self) -> Vec<Kept> {
        self.heap.into_iter().map(|std::cmp::Reverse(ByAge(k))| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_records_of_all_shards_are_kept_as_they_come_and_no_more() {
        let kept = |arrival_ms, shard, position| Kept { arrival_ms, shard, position, data: Vec::new() };
        let mut newest = Newest::new(3);
        newest.extend([kept(5, 0, 0), kept(1, 0, 1), kept(9, 0, 2)]);
        newest.extend([kept(7, 1, 0), kept(9, 1, 1), kept(2, 1, 2)]);
        assert_eq!(newest.heap.len(), 3, "never more than the sample's size");
        let mut keys: Vec<(i64, usize, u64)> =
            newest.into_vec().iter().map(|k| (k.arrival_ms, k.shard, k.position)).collect();
        keys.sort();
        // Same arrival time: the shard and position decide, as when the sample is ordered.
        assert_eq!(keys, [(7, 1, 0), (9, 0, 2), (9, 1, 1)]);
    }
}
