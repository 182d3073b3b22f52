import DealcastCore

/// A tornado of a metric's drivers: for each input, a bar from the metric's mean when the input is in
/// its lowest tenth to its mean when the input is in its highest tenth, across the overall mean, the
/// widest bar on top.
enum Tornado {
    static func svg(drivers: [Driver], mean: Double, unit: String, title: String, subtitle: String) -> String {
        let rowHeight = 30.0
        let height = 150 + rowHeight * Double(drivers.count)
        var f = ChartFrame(height: height, title: title, subtitles: [subtitle], legend: true, margins: (300, 24, 58))
        let values = drivers.flatMap { [$0.meanIfLow, $0.meanIfHigh] } + [mean]
        let ticks = Ticks(values.min() ?? 0, values.max() ?? 1, count: 6)
        let x = LinearScale(domain: (ticks.lower, ticks.upper), pixels: (f.left, f.right))
        f.xAxis(x, ticks, unit: unit, title: "Mean of the metric when the input is in its lowest or highest tenth")
        for (i, d) in drivers.enumerated() {
            let yc = f.top + 8 + rowHeight * (Double(i) + 0.5)
            f.canvas.text(f.left - 10, yc + 4, label(d.input), size: Style.smallSize, anchor: .end)
            // Two half-height bars, low tenth above high tenth, so that both stay visible when they lie
            // on the same side of the mean.
            bar(&f, x, from: mean, to: d.meanIfLow, y: yc - 6, colour: Style.blue, unit: unit)
            bar(&f, x, from: mean, to: d.meanIfHigh, y: yc + 6, colour: Style.orange, unit: unit)
        }
        f.canvas.line(x(mean), f.top, x(mean), f.bottom, stroke: Style.ink, width: 1.5)
        f.legend([("input in its lowest 10%", Style.blue, .swatch(opacity: 1)),
                  ("input in its highest 10%", Style.orange, .swatch(opacity: 1)),
                  ("overall mean " + ValueFormat.format(mean, unit: unit), Style.ink, .line(.solid))])
        return f.canvas.rendered(title: title)
    }

    /// A bar from `from` to `to` on row `y`, labelled with its end value outside the bar.
    private static func bar(_ f: inout ChartFrame, _ x: LinearScale, from: Double, to: Double, y: Double, colour: String, unit: String) {
        let a = x(from), b = x(to)
        f.canvas.rect(x: min(a, b), y: y - 5.5, width: max(abs(b - a), 1), height: 11, fill: colour)
        let text = ValueFormat.format(to, unit: unit)
        let w = LabelRows.width(text, size: 10)
        // Outside the bar's end when there is room, otherwise inside it in white.
        if to >= from {
            let outside = b + 4 + w <= f.right
            f.canvas.text(outside ? b + 4 : b - 4, y + 3.5, text, size: 10, anchor: outside ? .start : .end, fill: outside ? Style.ink : "#ffffff")
        } else {
            let outside = b - 4 - w >= f.left
            f.canvas.text(outside ? b - 4 : b + 4, y + 3.5, text, size: 10, anchor: outside ? .end : .start, fill: outside ? Style.ink : "#ffffff")
        }
    }

    /// An input path short enough for the label column: long paths keep their end, where the
    /// distinguishing part is (`…jurisdictions[0].review_probability`).
    static func label(_ path: String, limit: Int = 44) -> String {
        path.count <= limit ? path : "…" + path.suffix(limit - 1)
    }
}
