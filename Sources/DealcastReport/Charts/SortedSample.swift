import DealcastCore

/// A metric's defined trial values, sorted once and shared by the charts that read its distribution.
struct SortedSample {
    let values: [Double]

    /// Sorts `trials`, leaving out undefined (NaN) values.
    /// - Complexity: O(n) (`RadixSort`).
    init(_ trials: [Double]) {
        var v = trials.filter { !$0.isNaN }
        RadixSort.sort(&v)
        values = v
    }

    var count: Int { values.count }

    /// Number of values ≤ x.
    func countAtOrBelow(_ x: Double) -> Int {
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Number of values < x.
    func countBelow(_ x: Double) -> Int {
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Share of values > x.
    func exceedance(_ x: Double) -> Double {
        count == 0 ? 0 : Double(count - countAtOrBelow(x)) / Double(count)
    }

    /// The range a chart shows: the whole sample unless a tail reaches further than 60% of the
    /// P5–P95 width beyond P5 or P95, in which case the axis stops there and the chart says how many
    /// trials lie beyond. Keeps a long tail (a $3T best case) from squeezing the body into one bar.
    /// The frame and value axis of a chart over this sample's display range (shared by the histogram
    /// and the exceedance curve): the frame notes any cut tail, the axis has seven ticks.
    func valueAxisFrame(_ s: Summary, unit: String, title: String, subtitle: String)
        -> (frame: ChartFrame, range: (lower: Double, upper: Double), ticks: Ticks, x: LinearScale) {
        let range = displayRange(s)
        let note = cutNote(range, unit: unit)
        let f = ChartFrame(height: 400, title: title, subtitles: [subtitle] + (note.map { [$0] } ?? []))
        let ticks = Ticks(range.lower, range.upper, count: 7)
        return (f, range, ticks, LinearScale(domain: (ticks.lower, ticks.upper), pixels: (f.left, f.right)))
    }

    func displayRange(_ s: Summary) -> (lower: Double, upper: Double) {
        guard let first = values.first, let last = values.last else { return (0, 1) }
        let width = s.p95 - s.p5
        guard width > 0 else { return (first, last) }
        return (max(first, s.p5 - 0.6 * width), min(last, s.p95 + 0.6 * width))
    }

    /// "2.1% of trials lie above $159B, beyond the axis." (nil when nothing is cut off).
    func cutNote(_ range: (lower: Double, upper: Double), unit: String) -> String? {
        guard count > 0 else { return nil }
        let below = countBelow(range.lower), above = count - countAtOrBelow(range.upper)
        var parts: [String] = []
        if below > 0 { parts.append("\(share(below)) of trials below \(ValueFormat.format(range.lower, unit: unit))") }
        if above > 0 { parts.append("\(share(above)) above \(ValueFormat.format(range.upper, unit: unit))") }
        return parts.isEmpty ? nil : parts.joined(separator: " and ") + " lie beyond the axis"
    }

    private func share(_ k: Int) -> String {
        let p = Double(k) / Double(count)
        return p < 0.001 ? "<0.1%" : UnitFormat.percent(p)
    }
}
