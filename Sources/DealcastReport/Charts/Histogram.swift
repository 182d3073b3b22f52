import DealcastCore

/// A metric's distribution over the trials: the share of trials in each of 40 equal bins, with P5,
/// P50 (median), P95 and the mean marked.
enum Histogram {
    static let bins = 40

    /// - Parameters:
    ///   - sample: the metric's defined values, sorted.
    ///   - summary: the metric's statistics (its percentiles are the marks drawn).
    ///   - unit: the metric's unit, for the axis.
    static func svg(sample: SortedSample, summary s: Summary, unit: String, title: String, subtitle: String) -> String {
        var (f, range, xTicks, x) = sample.valueAxisFrame(s, unit: unit, title: title, subtitle: subtitle)

        // Counts per bin over [lower, upper]; the last bin includes its upper edge.
        let width = (range.upper - range.lower) / Double(bins)
        var shares: [Double] = []
        var below = sample.countBelow(range.lower)
        for b in 0 ..< bins {
            let edge = b == bins - 1 ? range.upper : range.lower + Double(b + 1) * width
            let upTo = b == bins - 1 ? sample.countAtOrBelow(edge) : sample.countBelow(edge)
            shares.append(Double(upTo - below) / Double(max(1, sample.count)))
            below = upTo
        }
        let tallest = shares.max() ?? 0
        // Head room for up to three rows of marker labels above the tallest bar.
        let yTicks = Ticks(0, max(tallest, 1e-9) * 1.05, count: 5)
        let labelSpace = 48.0
        let y = LinearScale(domain: (0, yTicks.upper), pixels: (f.bottom, f.top + labelSpace))
        f.yAxis(y, yTicks, unit: "fraction", title: "Share of trials per bin")
        f.xAxis(x, xTicks, unit: unit, title: axisTitle(unit))

        for (b, share) in shares.enumerated() where share > 0 {
            let x0 = x(range.lower + Double(b) * width), x1 = x(range.lower + Double(b + 1) * width)
            f.canvas.rect(x: x0 + 0.5, y: y(share), width: x1 - x0 - 1, height: f.bottom - y(share), fill: Style.skyBlue)
        }
        var marks: [(x: Double, text: String, colour: String, dash: SVGCanvas.Dash)] = [
            (s.p5, "P5 " + ValueFormat.format(s.p5, unit: unit), Style.vermillion, .dashed),
            (s.p50, "P50 " + ValueFormat.format(s.p50, unit: unit), Style.blue, .solid),
            (s.p95, "P95 " + ValueFormat.format(s.p95, unit: unit), Style.vermillion, .dashed),
        ]
        if s.mean >= range.lower && s.mean <= range.upper {
            marks.append((s.mean, "mean " + ValueFormat.format(s.mean, unit: unit), Style.black, .dotted))
        }
        let placed = LabelRows.place(marks.map { (x.clamped($0.x), $0.text) }, minX: f.left, maxX: f.right)
        for (i, m) in marks.enumerated() {
            let px = x.clamped(m.x)
            let labelY = f.top + 12 + Double(placed[i].row) * 15
            f.canvas.line(px, labelY + 3, px, f.bottom, stroke: m.colour, width: 2, dash: m.dash)
        }
        // Labels after every line, on a white box, so that no line crosses a label.
        for (i, m) in marks.enumerated() {
            let labelY = f.top + 12 + Double(placed[i].row) * 15
            let w = LabelRows.width(m.text) + 6
            f.canvas.rect(x: placed[i].x - w / 2, y: labelY - 11, width: w, height: 14, fill: "#ffffff", opacity: 0.9)
            f.canvas.text(placed[i].x, labelY, m.text, size: Style.smallSize, anchor: .middle, bold: m.dash == .solid, fill: m.colour == Style.vermillion ? Style.vermillionText : m.colour)
        }
        return f.canvas.rendered(title: title)
    }

    /// The value axis' title: the unit in words.
    static func axisTitle(_ unit: String) -> String {
        switch unit {
        case "USD": return "US dollars"
        case "fraction", "share": return "Share"
        case "probability": return "Probability"
        case "1", "": return "Value"
        default: return unit
        }
    }
}
