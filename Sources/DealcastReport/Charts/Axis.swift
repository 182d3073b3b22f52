import Foundation

/// Maps values of a domain linearly onto pixels.
struct LinearScale {
    let lower: Double, upper: Double
    let from: Double, to: Double

    init(domain: (Double, Double), pixels: (Double, Double)) {
        lower = domain.0
        upper = domain.1 > domain.0 ? domain.1 : domain.0 + 1
        from = pixels.0
        to = pixels.1
    }

    func callAsFunction(_ v: Double) -> Double {
        from + (v - lower) / (upper - lower) * (to - from)
    }

    /// `v` limited to the domain, then mapped.
    func clamped(_ v: Double) -> Double { self(min(max(v, lower), upper)) }
}

/// Round tick values ("nice numbers") covering a range.
struct Ticks {
    let values: [Double]
    let step: Double

    /// About `count` ticks, spaced 1, 2, 2.5 or 5 × 10ᵏ apart, from the tick at or below `lower` to
    /// the tick at or above `upper`.
    init(_ lower: Double, _ upper: Double, count: Int = 6) {
        var lo = lower, hi = upper
        if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let raw = (hi - lo) / Double(max(1, count - 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        var v: [Double] = []
        var k = first
        while k <= last + 0.5 {
            let t = k * step
            v.append(abs(t) < step * 1e-9 ? 0 : t)
            k += 1
        }
        values = v
        self.step = step
    }

    var lower: Double { values.first ?? 0 }
    var upper: Double { values.last ?? 1 }
}

/// The frame shared by the charts: title, subtitle, plot area, gridlines and axes with unit-aware
/// tick labels.
struct ChartFrame {
    var canvas: SVGCanvas
    /// The plot area.
    let left: Double, top: Double, right: Double, bottom: Double

    /// Lays out a chart of the standard width: the title, then one line per subtitle, then a row for
    /// the legend if `legend`, then the plot area down to `margins.bottom` above the chart's foot.
    init(height: Double, title: String, subtitles: [String], legend: Bool = false,
         margins: (left: Double, right: Double, bottom: Double) = (78, 24, 58)) {
        canvas = SVGCanvas(width: Style.width, height: height)
        canvas.text(16, 26, title, size: Style.titleSize, bold: true)
        var y = 26.0
        for line in subtitles {
            y += 18
            canvas.text(16, y, line, size: Style.smallSize, fill: Style.muted)
        }
        if legend { y += 22 }
        legendBaseline = y
        left = margins.left
        right = Style.width - margins.right
        top = y + 16
        bottom = height - margins.bottom
    }

    /// Where the legend row's text sits.
    private let legendBaseline: Double

    /// Horizontal gridlines and left tick labels for a vertical value axis.
    mutating func yAxis(_ scale: LinearScale, _ ticks: Ticks, unit: String, title: String) {
        for t in ticks.values {
            let y = scale(t)
            canvas.line(left, y, right, y, stroke: t == 0 ? Style.muted : Style.grid, width: 1)
            canvas.text(left - 8, y + 4, ValueFormat.tick(t, unit: unit, step: ticks.step), size: Style.smallSize, anchor: .end)
        }
        canvas.text(18, (top + bottom) / 2, title, size: Style.smallSize, anchor: .middle, fill: Style.muted, rotate: -90)
    }

    /// Vertical gridlines and bottom tick labels for a horizontal value axis.
    mutating func xAxis(_ scale: LinearScale, _ ticks: Ticks, unit: String, title: String) {
        for t in ticks.values {
            let x = scale(t)
            canvas.line(x, top, x, bottom, stroke: t == 0 ? Style.muted : Style.grid, width: 1)
            canvas.text(x, bottom + 17, ValueFormat.tick(t, unit: unit, step: ticks.step), size: Style.smallSize, anchor: .middle)
        }
        canvas.line(left, bottom, right, bottom, stroke: Style.ink)
        canvas.text((left + right) / 2, bottom + 40, title, size: Style.smallSize, anchor: .middle, fill: Style.muted)
    }

    /// A row of legend entries (colour swatch and label) under the subtitle, right-aligned.
    mutating func legend(_ entries: [(label: String, colour: String, kind: LegendKind)]) {
        var x = right
        let y = legendBaseline
        for e in entries.reversed() {
            let w = Double(e.label.count) * 6.6 + 26
            x -= w
            switch e.kind {
            case .swatch(let opacity): canvas.rect(x: x, y: y - 9, width: 14, height: 10, fill: e.colour, opacity: opacity)
            case .line(let dash): canvas.line(x, y - 4, x + 16, y - 4, stroke: e.colour, width: 2.5, dash: dash)
            }
            canvas.text(x + 20, y, e.label, size: Style.smallSize)
        }
    }

    enum LegendKind {
        case swatch(opacity: Double)
        case line(SVGCanvas.Dash)
    }
}

/// Places labels centred on given x positions in as few rows as possible without overlaps.
enum LabelRows {
    /// Approximate rendered width of `text` at `size` px in the charts' sans-serif font.
    static func width(_ text: String, size: Double = Style.smallSize) -> Double {
        Double(text.count) * size * 0.56
    }

    /// For each label (x centre, text), its row (0 = first) and its centre clamped to [minX, maxX].
    static func place(_ labels: [(x: Double, text: String)], minX: Double, maxX: Double) -> [(row: Int, x: Double)] {
        var rowsEnd: [Double] = []
        var out = [(row: Int, x: Double)](repeating: (0, 0), count: labels.count)
        for i in labels.indices.sorted(by: { labels[$0].x < labels[$1].x }) {
            let w = width(labels[i].text) + 8
            let x = min(max(labels[i].x, minX + w / 2), maxX - w / 2)
            let start = x - w / 2
            let row = rowsEnd.firstIndex { $0 <= start } ?? rowsEnd.count
            if row == rowsEnd.count { rowsEnd.append(0) }
            rowsEnd[row] = x + w / 2
            out[i] = (row, x)
        }
        return out
    }
}
