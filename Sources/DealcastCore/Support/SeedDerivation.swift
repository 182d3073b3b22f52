/// Derives independent generator seeds from the run seed.
///
/// Every stream the engine creates is keyed by (run seed, block index, stream name), hashed with
/// SplitMix64 (Steele, Lea & Flood 2014). Keying by name rather than by position means that adding an
/// input or a module never changes the draws of another, which also gives common random numbers
/// when two scenarios are compared.
public enum SeedDerivation {
    /// One SplitMix64 step: a bijective 64-bit mix with good avalanche.
    @inlinable
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stable 64-bit hash of a name (FNV-1a, then mixed). Stable across runs and platforms,
    /// unlike `Hasher`.
    public static func nameHash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return mix(h)
    }

    /// The seed of stream `name` in block `block` of a run seeded with `seed`.
    public static func seed(run seed: UInt64, block: Int, stream name: String) -> UInt64 {
        mix(mix(seed ^ nameHash(name)) &+ UInt64(block))
    }
}
