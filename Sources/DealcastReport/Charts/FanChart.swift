import DealcastCore

/// A series over time: the 90% band (P5–P95), the 50% band (P25–P75) and the median of every period,
/// with the observed history drawn in when the module publishes it, and optionally another series'
/// median (such as the same quantity without the deal) for comparison.
enum FanChart {
    struct Comparison {
        let label: String
        let p50: [Double]
    }

    /// - Parameters:
    ///   - index: the series' period labels, in time order.
    ///   - actuals: observed values, drawn as a black line; periods before the forecast are shown up to
    ///     as many as the forecast has (at least eight).
    static func svg(index: [String], summary q: SeriesSummary, unit: String, actuals: SeriesActuals?, comparison: Comparison?,
                    title: String, subtitle: String) -> String {
        let first = index.first ?? ""
        let keep = max(8, index.count)
        let past = actuals.map { a in a.index.indices.filter { a.index[$0] < first }.suffix(keep) } ?? []
        let labels = past.map { actuals!.index[$0] } + index
        let position = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let observed: [(Int, Double)] = actuals.map { a in
            a.index.indices.compactMap { i in position[a.index[i]].map { ($0, a.values[i]) } }
        } ?? []

        var lows = q.p5, highs = q.p95
        lows += observed.map(\.1)
        highs += observed.map(\.1)
        if let c = comparison { lows += c.p50; highs += c.p50 }
        let lo = lows.min() ?? 0, hi = highs.max() ?? 1
        let yTicks = Ticks(lo >= 0 && lo < 0.5 * hi ? 0 : lo, hi, count: 6)

        var f = ChartFrame(height: 420, title: title, subtitles: [subtitle], legend: true)
        let offset = past.count
        let x = LinearScale(domain: (-0.5, Double(labels.count) - 0.5), pixels: (f.left, f.right))
        let y = LinearScale(domain: (yTicks.lower, yTicks.upper), pixels: (f.bottom, f.top + 10))
        f.yAxis(y, yTicks, unit: unit, title: Histogram.axisTitle(unit))
        f.canvas.line(f.left, f.bottom, f.right, f.bottom, stroke: Style.ink)
        for (i, text) in periodTicks(labels) {
            f.canvas.line(x(Double(i)), f.bottom, x(Double(i)), f.bottom + 5, stroke: Style.ink)
            f.canvas.text(x(Double(i)), f.bottom + 18, text, size: Style.smallSize, anchor: .middle)
        }
        f.canvas.text((f.left + f.right) / 2, f.bottom + 42, index.first.map(isQuarter) == true ? "Quarter" : "Year",
                      size: Style.smallSize, anchor: .middle, fill: Style.muted)

        let xs = index.indices.map { x(Double(offset + $0)) }
        func band(_ low: [Double], _ high: [Double]) -> [(Double, Double)] {
            zip(xs, high).map { ($0, y($1)) } + zip(xs, low).reversed().map { ($0, y($1)) }
        }
        f.canvas.polygon(band(q.p5, q.p95), fill: Style.skyBlue, opacity: 0.35)
        f.canvas.polygon(band(q.p25, q.p75), fill: Style.blue, opacity: 0.35)
        f.canvas.polyline(zip(xs, q.p50).map { ($0, y($1)) }, stroke: Style.blue, width: 2.5)
        if let c = comparison {
            f.canvas.polyline(zip(xs, c.p50).map { ($0, y($1)) }, stroke: Style.vermillion, width: 2, dash: .dashed)
        }
        if !observed.isEmpty {
            f.canvas.polyline(observed.map { (x(Double($0.0)), y($0.1)) }, stroke: Style.black, width: 2)
            for (i, v) in observed { f.canvas.circle(x(Double(i)), y(v), radius: 2.2, fill: Style.black) }
        }
        if offset > 0 {
            let xSplit = x(Double(offset) - 0.5)
            f.canvas.line(xSplit, f.top + 4, xSplit, f.bottom, stroke: Style.muted, width: 1, dash: .dotted)
            f.canvas.text(xSplit - 6, f.top + 16, "actual", size: Style.smallSize, anchor: .end, fill: Style.muted)
            f.canvas.text(xSplit + 6, f.top + 16, "forecast", size: Style.smallSize, fill: Style.muted)
        }

        var legend: [(label: String, colour: String, kind: ChartFrame.LegendKind)] = []
        if !observed.isEmpty { legend.append(("Actual", Style.black, .line(.solid))) }
        legend.append(("Median", Style.blue, .line(.solid)))
        if let c = comparison { legend.append((c.label, Style.vermillion, .line(.dashed))) }
        legend.append(("P25–P75", Style.blue, .swatch(opacity: 0.5)))
        legend.append(("P5–P95", Style.skyBlue, .swatch(opacity: 0.45)))
        f.legend(legend)
        return f.canvas.rendered(title: title)
    }

    static func isQuarter(_ label: String) -> Bool {
        label.count == 6 && label.dropFirst(4).first == "Q" && Int(label.prefix(4)) != nil
    }

    /// Which periods get a tick label: for quarters the first quarter of each year (every second year
    /// when there are more than twelve), labelled with the year; for years, every year up to sixteen.
    static func periodTicks(_ labels: [String]) -> [(Int, String)] {
        if labels.allSatisfy(isQuarter) {
            let starts = labels.indices.filter { labels[$0].hasSuffix("Q1") }
            let stride = starts.count > 12 ? 2 : 1
            return starts.enumerated().filter { $0.offset % stride == 0 }.map { ($0.element, String(labels[$0.element].prefix(4))) }
        }
        let stride = labels.count > 16 ? 2 : 1
        return labels.indices.filter { $0 % stride == 0 }.map { ($0, labels[$0]) }
    }
}
