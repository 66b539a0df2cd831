//! A seeded source of bytes for [`arbitrary::Unstructured`]: a fixed
//! `--seed` gives the same sessions in the same order (with one job).

/// SplitMix64: tiny, fast, and good enough to drive a fuzzer; no need for
/// a crate when the point is reproducibility rather than cryptography.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `n` random bytes, the raw material `Unstructured` consumes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn deterministic() {
        let (mut a, mut b) = (super::Rng::new(7), super::Rng::new(7));
        assert_eq!(a.bytes(33), b.bytes(33));
        assert_ne!(super::Rng::new(8).next_u64(), super::Rng::new(7).next_u64());
    }
}
