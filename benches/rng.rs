//! A small deterministic generator (xorshift64*) shared by the benchmarks, so every run
//! works on the same generated data.

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An amount in cents between `lo` and `hi` units.
    #[allow(dead_code)]
    pub fn cents(&mut self, lo: u64, hi: u64) -> u64 {
        lo * 100 + self.below((hi - lo) * 100)
    }
}
