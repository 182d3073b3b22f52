import DealcastCore

/// A chart of the report: an SVG file written beside report.md (under `charts/`), linked from the
/// section it belongs to, and inlined in report.html.
public struct Chart: Sendable {
    /// Where the report shows the chart.
    public enum Placement: Sendable, Equatable {
        /// The executive summary.
        case summary
        /// Under a metric's module table (by metric key).
        case metric(String)
        /// Above a series' table (by series key).
        case series(String)
        /// In the "What drives" section of a metric (by metric key).
        case drivers(String)
    }

    /// Path relative to the report folder, e.g. `charts/histogram-capex_return.npv_usd.svg`.
    public let path: String
    /// The alternative text of the image: what the chart shows, with its key numbers.
    public let alt: String
    public let placement: Placement
    /// The SVG document.
    public let svg: String

    /// The markdown that shows the chart.
    public var markdown: String { "![\(alt.replacingOccurrences(of: "]", with: ")").replacingOccurrences(of: "[", with: "("))](\(path))\n\n" }

    /// The file name for a chart of `kind` about `key`, safe in any file system and URL.
    static func path(_ kind: String, _ key: String) -> String {
        let safe = String(key.unicodeScalars.map { c -> Character in
            (c.properties.isAlphabetic && c.isASCII) || ("0" ... "9").contains(c) || c == "." || c == "_" || c == "-" ? Character(c) : "-"
        })
        return "charts/\(kind)-\(safe).svg"
    }
}

extension [Chart] {
    /// The markdown of every chart placed at `placement`, in order.
    func markdown(at placement: Chart.Placement) -> String {
        filter { $0.placement == placement }.map(\.markdown).joined()
    }
}

/// Draws every chart a run calls for.
enum ChartSet {
    /// - Histograms and exceedance curves of each headline continuous metric that varies;
    /// - a fan chart of each series, with its module's actuals, and the median of its
    ///   `…without_deal…` twin when there is one;
    /// - a tornado of each metric in `drivers`;
    /// - a waterfall of each metric that declares a value bridge whose terms all ran.
    static func make(_ results: RunResults, drivers: [String: [Driver]]) -> [Chart] {
        var charts: [Chart] = []
        let trials = "\(ValueFormat.grouped(Double(results.config.trials), 0)) trials, seed \(results.config.seed)"
        for m in results.metrics where !m.spec.bridge.isEmpty {
            if let chart = waterfall(results, m, trials) { charts.append(chart) }
        }
        for m in results.metrics where m.spec.headline && m.spec.kind == .continuous && m.summary.sd > 0 {
            guard let values = results.values(m.key) else { continue }
            let sample = SortedSample(values)
            let name = Labels.metric(m.spec.summary)
            let s = m.summary
            let numbers = "P5 \(ValueFormat.format(s.p5, unit: m.spec.unit)), P50 \(ValueFormat.format(s.p50, unit: m.spec.unit)), P95 \(ValueFormat.format(s.p95, unit: m.spec.unit))"
            charts.append(Chart(path: Chart.path("histogram", m.key), alt: "Histogram of \(m.key): \(numbers)", placement: .metric(m.key),
                                svg: Histogram.svg(sample: sample, summary: s, unit: m.spec.unit, title: name, subtitle: "\(m.key) · distribution over \(trials)")))
            charts.append(Chart(path: Chart.path("exceedance", m.key), alt: "Exceedance curve of \(m.key): the chance of exceeding each value",
                                placement: .metric(m.key),
                                svg: Exceedance.svg(sample: sample, summary: s, unit: m.spec.unit, title: name + ": chance of exceeding",
                                                    subtitle: "\(m.key) · 1 − CDF over \(trials)")))
        }
        for s in results.series where !s.index.isEmpty {
            let twinKey = s.key.replacingOccurrences(of: "with_deal", with: "without_deal")
            let twin = twinKey != s.key ? results.series(twinKey).flatMap { $0.index == s.index ? $0 : nil } : nil
            let actuals = results.plan.actuals(of: s.key)
            var subtitle = "\(s.key) · \(trials)"
            if let a = actuals { subtitle += " · actuals: \(a.source)" }
            charts.append(Chart(path: Chart.path("fan", s.key), alt: "Fan chart of \(s.key): median, 50% and 90% bands per period\(actuals == nil ? "" : ", with actuals")",
                                placement: .series(s.key),
                                svg: FanChart.svg(index: s.index, summary: s.summary, unit: s.spec.unit, actuals: actuals,
                                                  comparison: twin.map { FanChart.Comparison(label: "Median without the deal", p50: $0.summary.p50) },
                                                  title: Labels.metric(s.spec.summary), subtitle: subtitle)))
        }
        for m in results.metrics {
            guard let d = drivers[m.key], !d.isEmpty else { continue }
            charts.append(Chart(path: Chart.path("tornado", m.key), alt: "Tornado of what drives \(m.key): its mean when each input is in its lowest and highest tenth",
                                placement: .drivers(m.key),
                                svg: Tornado.svg(drivers: d, mean: m.summary.mean, unit: m.spec.unit, title: Labels.metric(m.spec.summary, limit: 52) + ": what drives it",
                                                 subtitle: "\(m.key) · \(trials) · inputs ranked by the swing of the mean")))
        }
        return charts
    }

    /// The waterfall of a metric's value bridge, or nil if one of its terms did not run.
    static func waterfall(_ results: RunResults, _ m: RunResults.Metric, _ trials: String) -> Chart? {
        var steps: [Waterfall.Step] = []
        for term in m.spec.bridge {
            guard let t = results.metric(term.metric) else { return nil }
            let s = t.summary
            let (name, module) = Labels.bridgeStep(term.metric, sign: term.sign)
            let ends = [term.sign * s.p5, term.sign * s.p95]
            steps.append(Waterfall.Step(label: name, detail: module, mean: term.sign * s.mean, p5: ends.min()!, p95: ends.max()!))
        }
        let s = m.summary
        let total = Waterfall.Step(label: "= " + Labels.bridgeStep(m.key, sign: 1).name.dropFirst(2), detail: m.module, mean: s.mean, p5: s.p5, p95: s.p95)
        let unit = m.spec.unit
        return Chart(path: Chart.path("waterfall", m.key),
                     alt: "Value bridge of \(m.key), means: " + zip(steps, m.spec.bridge).map { "\($0.label) \(ValueFormat.format($0.mean * $1.sign, unit: unit))" }.joined(separator: " ")
                        + " = \(ValueFormat.format(s.mean, unit: unit))",
                     placement: .summary,
                     svg: Waterfall.svg(steps: steps, total: total, unit: unit, title: "Value bridge: " + Labels.metric(m.spec.summary, limit: 56),
                                        subtitle: "\(m.key) · mean of each step over \(trials); whiskers: the step's P5–P95"))
    }
}
