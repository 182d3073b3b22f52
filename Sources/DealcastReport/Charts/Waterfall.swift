import DealcastCore

/// A value bridge drawn as a horizontal waterfall: each step adds or subtracts its mean from the
/// running total, ending in the total's bar. Means add up exactly (the mean of a sum is the sum of the
/// means), so the bars close; whiskers show each step's own 5th–95th percentile range.
enum Waterfall {
    struct Step {
        /// What the step counts, e.g. "+ equity value PV", and where it comes from (a module id).
        let label: String, detail: String
        /// The step's signed contribution: its mean and its P5 and P95 (already signed).
        let mean: Double, p5: Double, p95: Double
    }

    static func svg(steps: [Step], total: Step, unit: String, title: String, subtitle: String) -> String {
        let rowHeight = 34.0
        let rows = steps.count + 1
        var f = ChartFrame(height: 150 + rowHeight * Double(rows), title: title, subtitles: [subtitle], legend: true,
                           margins: (250, 24, 58))
        struct Span { let from: Double, to: Double, step: Step, colour: String }
        var running = 0.0
        var spans: [Span] = []
        for s in steps {
            spans.append(Span(from: running, to: running + s.mean, step: s, colour: s.mean >= 0 ? Style.bluishGreen : Style.vermillion))
            running += s.mean
        }
        spans.append(Span(from: 0, to: total.mean, step: total, colour: Style.blue))
        var extent: [Double] = [0]
        // Whiskers: a step's spread around where its bar starts; the total's around zero.
        for (i, s) in spans.enumerated() {
            let base = i == steps.count ? 0 : s.from
            extent += [s.from, s.to, base + s.step.p5, base + s.step.p95]
        }
        let ticks = Ticks(extent.min() ?? 0, extent.max() ?? 1, count: 7)
        let x = LinearScale(domain: (ticks.lower, ticks.upper), pixels: (f.left, f.right))
        f.xAxis(x, ticks, unit: unit, title: Histogram.axisTitle(unit) + " (present values)")
        for (i, s) in spans.enumerated() {
            let yc = f.top + 8 + rowHeight * (Double(i) + 0.5)
            let isTotal = i == steps.count
            if isTotal { f.canvas.line(f.left - 240, yc - rowHeight / 2, f.right, yc - rowHeight / 2, stroke: Style.muted) }
            if s.step.detail.isEmpty {
                f.canvas.text(f.left - 10, yc + 4, s.step.label, size: Style.fontSize, anchor: .end, bold: isTotal)
            } else {
                f.canvas.text(f.left - 10, yc - 1, s.step.label, size: Style.fontSize, anchor: .end, bold: isTotal)
                f.canvas.text(f.left - 10, yc + 12, s.step.detail, size: 10.5, anchor: .end, fill: Style.muted)
            }
            let a = x(s.from), b = x(s.to)
            f.canvas.rect(x: min(a, b), y: yc - 11, width: max(abs(b - a), 1.5), height: 22, fill: s.colour)
            let base = isTotal ? 0 : s.from
            let w0 = x(base + s.step.p5), w1 = x(base + s.step.p95)
            f.canvas.line(w0, yc, w1, yc, stroke: Style.ink, width: 1.2)
            f.canvas.line(w0, yc - 5, w0, yc + 5, stroke: Style.ink, width: 1.2)
            f.canvas.line(w1, yc - 5, w1, yc + 5, stroke: Style.ink, width: 1.2)
            if i + 1 < spans.count && !isTotal {
                // A connector from this bar's end to the next bar's start.
                f.canvas.line(b, yc + 11, b, yc + rowHeight - 11, stroke: Style.muted, width: 1, dash: .dotted)
            }
            let text = (s.step.mean >= 0 && !isTotal ? "+" : "") + ValueFormat.format(s.step.mean, unit: unit)
            let labelX = max(a, b, w0, w1) + 6
            let fits = labelX + LabelRows.width(text, size: 11.5) <= f.right
            f.canvas.text(fits ? labelX : min(a, b, w0, w1) - 6, yc + 4, text, size: 11.5, anchor: fits ? .start : .end, bold: isTotal)
        }
        f.canvas.line(x(0), f.top, x(0), f.bottom, stroke: Style.ink, width: 1)
        f.legend([("adds value", Style.bluishGreen, .swatch(opacity: 1)), ("subtracts value", Style.vermillion, .swatch(opacity: 1)),
                  ("total", Style.blue, .swatch(opacity: 1)), ("P5–P95 of the step", Style.ink, .line(.solid))])
        return f.canvas.rendered(title: title)
    }
}
