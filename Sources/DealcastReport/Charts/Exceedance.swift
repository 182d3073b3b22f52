import DealcastCore

/// A metric's exceedance curve, 1 − CDF: for each value on the x axis, the share of trials above it.
/// P5, P50 and P95 are marked on the curve (where it crosses 95%, 50% and 5% for a continuous
/// metric), and so is zero when the metric takes both signs, since P(value > 0) is the chance of not
/// losing money.
enum Exceedance {
    static let points = 240

    static func svg(sample: SortedSample, summary s: Summary, unit: String, title: String, subtitle: String) -> String {
        var (f, range, xTicks, x) = sample.valueAxisFrame(s, unit: unit, title: title, subtitle: subtitle)
        let yTicks = Ticks(0, 1, count: 6)
        let y = LinearScale(domain: (0, 1), pixels: (f.bottom, f.top + 8))
        f.yAxis(y, yTicks, unit: "probability", title: "Chance of exceeding the value")
        f.xAxis(x, xTicks, unit: unit, title: Histogram.axisTitle(unit))

        // The curve is a step function; evaluating it on a fine grid and at both sides of the sample's
        // ends draws its shape faithfully.
        var curve: [(Double, Double)] = [(x(xTicks.lower), y(sample.exceedance(xTicks.lower)))]
        for k in 0 ... points {
            let v = range.lower + (range.upper - range.lower) * Double(k) / Double(points)
            curve.append((x(v), y(sample.exceedance(v))))
        }
        curve.append((x(xTicks.upper), y(sample.exceedance(xTicks.upper))))
        f.canvas.polyline(curve, stroke: Style.blue, width: 2.5)

        // The marks sit on the curve and state the share of trials strictly above them: 95%, 50% and
        // 5% at P5, P50 and P95, unless many trials share one value (a cost that is often exactly 0).
        var marks = [s.p5, s.p50, s.p95].map { v in (v: v, p: sample.exceedance(v), text: share(sample.exceedance(v)) + " above " + ValueFormat.format(v, unit: unit)) }
        if range.lower < 0 && range.upper > 0 {
            let p = sample.exceedance(0)
            marks.append((0, p, share(p) + " above " + ValueFormat.tick(0, unit: unit, step: 1)))
        }
        // Each label takes the first free place among: above right of its point, below left (where
        // a falling curve leaves room), above left, below right. The percentile marks are placed
        // first, the zero mark last.
        var placed: [(x0: Double, x1: Double, y: Double)] = []
        for m in marks {
            let px = x.clamped(m.v), py = y(m.p)
            f.canvas.circle(px, py, radius: 4.5, fill: m.v == 0 ? Style.vermillion : Style.black)
            let w = LabelRows.width(m.text)
            let candidates: [(left: Bool, y: Double)] = [(false, py - 7), (true, py + 17), (true, py - 7), (false, py + 17)]
            let fits = { (c: (left: Bool, y: Double)) -> Bool in
                let x0 = c.left ? px - 9 - w : px + 9
                return x0 >= f.left && x0 + w <= f.right && c.y - 11 >= f.top && c.y <= f.bottom - 3
                    && !placed.contains { abs($0.y - c.y) < 14 && $0.x0 < x0 + w && x0 < $0.x1 }
            }
            let c = candidates.first(where: fits) ?? candidates[0]
            let x0 = c.left ? px - 9 - w : px + 9
            placed.append((x0, x0 + w, c.y))
            f.canvas.text(c.left ? px - 9 : px + 9, c.y, m.text, size: Style.smallSize, anchor: c.left ? .end : .start,
                          bold: m.v == 0, fill: m.v == 0 ? Style.vermillionText : Style.ink)
        }
        return f.canvas.rendered(title: title)
    }

    /// A share for a label: whole percent from 10%, one decimal below.
    static func share(_ p: Double) -> String {
        UnitFormat.percent(p, p >= 0.1 || p == 0 ? 0 : 1)
    }
}
