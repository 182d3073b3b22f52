/// Counts of values in bins of relative width at most 2⁻¹⁴ (6.1 × 10⁻⁵), from which percentiles are
/// read to that relative accuracy without keeping the values: how a run summarises its series
/// (docs/engine.md, "What a run keeps").
///
/// A value's bin is the top 1 + 8 + 14 bits of its single-precision form, sign flipped so that bins
/// are in the order of the values: within each binade [2ᵉ, 2ᵉ⁺¹) there are 2¹⁴ bins of equal width,
/// so a bin is never wider than 2⁻¹⁴ of the values in it, at any magnitude and on both sides of zero.
/// Counts are integers, so adding histograms is exact and order-free: the histogram of a run is the
/// same whichever thread counted which block, and however the run was sharded.
///
/// Storage is paged: 8192 pages of 1024 bins, a page allocated when a value first falls in it. A
/// series period spanning a few binades touches a few dozen pages (4 KiB each).
final class ValueHistogram {
    /// Mantissa bits kept: bins of relative width 2⁻¹⁴.
    static let mantissaBits = 14
    private static let shift = 23 - UInt32(mantissaBits)
    private static let pageBits = 10
    private static let pageSize = 1 << pageBits
    private static let pageCount = 1 << (32 - Int(shift) - pageBits)

    /// Bins in all (valid bins are 0 ..< binCount).
    static let binCount = pageCount * pageSize

    private let pages: UnsafeMutableBufferPointer<UnsafeMutablePointer<UInt32>?>
    /// Values counted.
    private(set) var total: UInt64 = 0

    init() {
        pages = .allocate(capacity: Self.pageCount)
        pages.initialize(repeating: nil)
    }

    deinit {
        for p in pages { p?.deallocate() }
        pages.deallocate()
    }

    /// The bin of `x`; NaN is never counted (series values are finite), and a value beyond single
    /// precision's range falls in the bin of ±infinity.
    @inline(__always)
    static func bin(_ x: Double) -> Int {
        let bits = Float(x).bitPattern
        let key = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return Int(key >> shift)
    }

    /// The smallest and largest single-precision values whose bin is `bin`.
    static func edges(_ bin: Int) -> (lower: Double, upper: Double) {
        func value(_ key: UInt32) -> Double {
            Double(Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key))
        }
        let low = UInt32(bin) << shift
        return (value(low), value(low | ((1 << shift) - 1)))
    }

    /// Where `bin`'s count is, its page allocated (zeroed) when first needed.
    @inline(__always)
    private func counter(_ bin: Int) -> UnsafeMutablePointer<UInt32> {
        let p = bin >> Self.pageBits
        if pages[p] == nil {
            let page = UnsafeMutablePointer<UInt32>.allocate(capacity: Self.pageSize)
            page.initialize(repeating: 0, count: Self.pageSize)
            pages[p] = page
        }
        return pages[p]! + (bin & (Self.pageSize - 1))
    }

    /// Counts every value of `values`.
    func add(_ values: UnsafeBufferPointer<Double>) {
        for x in values { counter(Self.bin(x)).pointee &+= 1 }
        total += UInt64(values.count)
    }

    /// Counts the values whose bins (`bin(_:)`) are `bins`.
    func add(bins: UnsafeBufferPointer<UInt32>) {
        for b in bins { counter(Int(b)).pointee &+= 1 }
        total += UInt64(bins.count)
    }

    /// Takes back the counts of `values`, which were added before.
    func remove(_ values: UnsafeBufferPointer<Double>) {
        for x in values { counter(Self.bin(x)).pointee &-= 1 }
        total -= UInt64(values.count)
    }

    /// Adds `count` to `bin`'s count (reading a partial result).
    func add(bin: Int, count: UInt32) {
        counter(bin).pointee &+= count
        total += UInt64(count)
    }

    /// Adds every count of `other`.
    func add(_ other: ValueHistogram) {
        other.forEachBin { add(bin: $0, count: $1) }
    }

    /// Calls `body` with each bin holding values and its count, in the order of the values.
    func forEachBin(_ body: (_ bin: Int, _ count: UInt32) throws -> Void) rethrows {
        for (p, page) in pages.enumerated() {
            guard let page else { continue }
            for i in 0 ..< Self.pageSize where page[i] != 0 { try body(p << Self.pageBits | i, page[i]) }
        }
    }

    /// Bins holding values.
    var occupiedBins: Int {
        var n = 0
        forEachBin { _, _ in n += 1 }
        return n
    }

    /// The percentiles `ps` (each in [0, 1]) of the values counted, interpolated between order
    /// statistics as `Summary` interpolates them: with N values, percentile p is
    /// x₍ₖ₎ + (f − k)(x₍ₖ₊₁₎ − x₍ₖ₎), f = p(N − 1), k = ⌊f⌋ (0-based order statistics).
    ///
    /// Order statistic x₍ᵣ₎ lies in the bin where the counts reach past r, between the bin's edges
    /// narrowed to the exact `minimum` and `maximum`; it is estimated by placing the bin's c values
    /// evenly in it, the i-th of them (from 0) at a fraction (i + ½)/c of its width. The estimate is
    /// within one bin of the exact order statistic: 2⁻¹⁴ of its magnitude, plus single-precision
    /// rounding (2⁻²⁴). A constant column is returned exactly.
    /// - Returns: NaN for every percentile when nothing was counted.
    func percentiles(_ ps: [Double], minimum: Double, maximum: Double) -> [Double] {
        guard total > 0 else { return ps.map { _ in .nan } }
        let last = total - 1
        // The order statistics needed, in increasing rank.
        var ranks: [UInt64] = []
        for p in ps {
            let f = p * Double(last)
            let k = UInt64(f.rounded(.down))
            ranks.append(k)
            if k < last { ranks.append(k + 1) }
        }
        ranks = Array(Set(ranks)).sorted()
        var found: [UInt64: Double] = [:]
        var next = 0
        var before: UInt64 = 0
        forEachBin { bin, count in
            let c = UInt64(count)
            while next < ranks.count, ranks[next] < before + c {
                let (lower, upper) = Self.edges(bin)
                let low = lower.isNaN || lower < minimum ? minimum : lower
                let high = upper.isNaN || upper > maximum ? maximum : upper
                let position = (Double(ranks[next] - before) + 0.5) / Double(c)
                found[ranks[next]] = low == high ? low : low + position * (high - low)
                next += 1
            }
            before += c
        }
        return ps.map { p in
            let f = p * Double(last)
            let k = UInt64(f.rounded(.down))
            let x = found[k]!
            guard k < last, f > Double(k) else { return x }
            return x + (f - Double(k)) * (found[k + 1]! - x)
        }
    }
}

/// One worker's histograms, one per cell, fed in batches: a block's values are binned at once and their
/// bins queued per cell, and a cell's queue is counted when it holds `capacity` bins (and at the end).
///
/// Counting a block's 4096 values of one cell straight into its histogram missed the caches on almost
/// every value: a worker's histograms of the default scenario take tens of megabytes, more than the
/// caches, and each block revisits every one. Counted 32 768 at a time, a cell's histogram is loaded
/// into the cache once per batch instead of once per block. The counts, and so the numbers, are the
/// same either way.
final class HistogramBatches {
    let histograms: [ValueHistogram]
    /// Bins queued per cell: 32 768, or a whole block when blocks are larger.
    let capacity: Int
    private let queued: UnsafeMutableBufferPointer<UInt32>
    private var counts: [Int]

    init(cells: Int, blockSize: Int) {
        histograms = (0 ..< cells).map { _ in ValueHistogram() }
        capacity = max(32_768, blockSize)
        queued = .allocate(capacity: max(1, cells * capacity))
        counts = [Int](repeating: 0, count: cells)
    }

    deinit { queued.deallocate() }

    /// Queues `values` (at most `capacity`) for cell `c`, counting the queue first when they do not fit.
    func add(_ values: UnsafeBufferPointer<Double>, cell c: Int) {
        precondition(values.count <= capacity)
        if counts[c] + values.count > capacity { flush(cell: c) }
        let base = c * capacity + counts[c]
        for (i, x) in values.enumerated() { queued[base + i] = UInt32(truncatingIfNeeded: ValueHistogram.bin(x)) }
        counts[c] += values.count
    }

    /// Counts every queued bin.
    func flush() {
        for c in histograms.indices { flush(cell: c) }
    }

    private func flush(cell c: Int) {
        histograms[c].add(bins: UnsafeBufferPointer(rebasing: queued[c * capacity ..< c * capacity + counts[c]]))
        counts[c] = 0
    }
}
