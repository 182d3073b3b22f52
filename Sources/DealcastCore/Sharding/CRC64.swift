/// CRC-64/XZ (the ECMA-182 polynomial, reflected, as used by xz), computed incrementally.
///
/// It guards partial result files against damage in storage and transfer. A checksum, not a
/// signature: anyone who can write a partial can also fix its CRC, and partials are no security
/// boundary. It was chosen over the project's SHA-256 because partials are large (every trial of every
/// column): measured on this project's machines, 1.5 GB/s against 0.17 GB/s in release builds.
/// Slicing-by-8 (Kounavis & Berry, 2005): eight table lookups per 8 bytes.
struct CRC64 {
    private static let polynomial: UInt64 = 0xC96C_5795_D787_0F42

    /// Eight 256-entry tables, flattened: table k at k·256.
    private static let table: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 8 * 256)
        for i in 0 ..< 256 {
            var c = UInt64(i)
            for _ in 0 ..< 8 { c = c & 1 == 1 ? (c >> 1) ^ polynomial : c >> 1 }
            t[i] = c
        }
        for k in 1 ..< 8 {
            for i in 0 ..< 256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    private var state: UInt64 = ~0

    /// The checksum of the bytes seen so far.
    var value: UInt64 { ~state }

    /// Adds `bytes` to the checksum.
    /// - Complexity: O(n).
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var c = state
        Self.table.withUnsafeBufferPointer { t in
            let n = bytes.count
            var i = 0
            while i + 8 <= n {
                let w = c ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                c = t[7 * 256 + Int(w & 0xFF)] ^ t[6 * 256 + Int((w >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((w >> 16) & 0xFF)] ^ t[4 * 256 + Int((w >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((w >> 32) & 0xFF)] ^ t[2 * 256 + Int((w >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((w >> 48) & 0xFF)] ^ t[Int(w >> 56)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt64(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        state = c
    }

    /// Adds `bytes` to the checksum.
    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }
}
