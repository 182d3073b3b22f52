import DealcastCore
import Foundation

/// The numbers that answer "what is this deal worth, to whom, and how sure are we", each with its 90%
/// interval and one line of plain-language meaning.
///
/// No module id is written here: the rows are the modules' headline metrics (`MetricSpec.headline`),
/// bottom line first. Modules are taken in reverse run order, because a module runs after the modules
/// whose metrics it reads, so the last one (the deal's value, which bridges all the others) answers the
/// question most directly. Within a module, continuous metrics come before events. The first money
/// metric that takes both signs also gets a row for its chance of a loss. At most `limit` rows.
public struct ExecutiveSummary: Sendable {
    public struct Row: Sendable {
        public enum Statistic: String, Sendable {
            /// `estimate` is the median; `low` and `high` are P5 and P95.
            case median
            /// `estimate` is the probability of an event; `low` and `high` are its 90% confidence
            /// interval from the simulation (Wilson score).
            case probability
            /// `estimate` is the share of trials in which the metric is below zero, with its 90%
            /// confidence interval.
            case probabilityBelowZero = "probability_below_zero"
        }

        public let label: String
        public let metric: String
        public let unit: String
        public let statistic: Statistic
        public let estimate: Double
        public let low: Double
        public let high: Double
        /// The mean, for a distribution.
        public let mean: Double?
        public let meaning: String
    }

    public let rows: [Row]
    /// Headline metrics left out to stay within the limit.
    public let omitted: [String]
    /// The one-sentence bottom line, when a row is a distribution.
    public let lead: String?
    /// The precision and provenance sentence.
    public let confidence: String

    /// z for a two-sided 90% interval.
    static let z90 = 1.6448536269514722

    public init(_ results: RunResults, limit: Int = 8) {
        var rows: [Row] = []
        var candidates: [RunResults.Metric] = []
        for module in results.plan.modules.reversed() {
            let own = results.metrics.filter { $0.module == module.id && $0.spec.headline && $0.summary.n > 0 }
            candidates += own.filter { $0.spec.kind == .continuous } + own.filter { $0.spec.kind == .event }
        }
        var lossShown = false
        var omitted: [String] = []
        for m in candidates {
            guard rows.count < limit else { omitted.append(m.key); continue }
            if m.spec.kind == .event {
                rows.append(Self.event(m, trials: m.summary.n))
                continue
            }
            let s = m.summary
            let withLoss = !lossShown && m.spec.unit == "USD" && s.p5 < 0 && s.p95 > 0 && rows.count + 1 < limit
            rows.append(Self.distribution(m, results, lossRowFollows: withLoss))
            if withLoss, let values = results.values(m.key) {
                lossShown = true
                rows.append(Self.loss(m, values))
            }
        }
        self.rows = rows
        self.omitted = omitted
        if let first = rows.first(where: { $0.statistic == .median }) {
            let f = { (v: Double) in ValueFormat.format(v, unit: first.unit) }
            var lead = "Across \(ValueFormat.grouped(Double(results.config.trials), 0)) simulated futures, the \(Labels.lowercasedFirst(first.label).replacingOccurrences(of: "the ", with: "", options: .anchored)) has a median of \(f(first.estimate)) and a 90% interval of \(f(first.low)) to \(f(first.high))"
            if let loss = rows.first(where: { $0.statistic == .probabilityBelowZero && $0.metric == first.metric }) {
                lead += "; it is below zero in \(UnitFormat.percent(loss.estimate, 0)) of them"
            }
            self.lead = lead + "."
        } else {
            lead = nil
        }
        let uncertain = results.plan.inputs.filter { !$0.value.distribution.isFixed }
        let sourced = uncertain.filter { $0.provenance.kind == .source }.count
        let assumed = uncertain.filter { $0.provenance.kind == .assumption }.count
        let unstated = uncertain.count - sourced - assumed
        var confidence = "The intervals carry the uncertainty of \(uncertain.count) uncertain inputs (Assumptions below): \(sourced) cite a source, \(assumed) are stated assumptions"
        confidence += unstated > 0 ? ", and \(unstated) give neither." : "."
        confidence += " They are ranges of outcomes, not of estimation error: with \(ValueFormat.grouped(Double(results.config.trials), 0)) trials the simulation's own error is far smaller (each metric's standard error is in its module's table)."
        self.confidence = confidence
    }

    // MARK: Rows

    /// - Parameter lossRowFollows: the next row gives the chance of a loss, so this one need not.
    static func distribution(_ m: RunResults.Metric, _ results: RunResults, lossRowFollows: Bool) -> Row {
        let s = m.summary, unit = m.spec.unit
        let f = { (v: Double) in ValueFormat.format(v, unit: unit) }
        var clauses: [String] = []
        let twinKey = m.key + "_without_deal"
        if let twin = results.metric(twinKey), let with = results.values(m.key), let without = results.values(twinKey) {
            let change = zip(with, without).map { $0 - $1 }
            let d = change.withUnsafeBufferPointer { Summary.of($0) }
            clauses.append("Without the deal: \(f(twin.summary.p50)); the deal moves it by \(signed(d.p50, unit)) (90%: \(signed(d.p5, unit)) to \(signed(d.p95, unit)))")
        } else if s.p5 < 0 && s.p95 > 0 && !lossRowFollows, let values = results.values(m.key) {
            let below = values.filter { $0 < 0 }.count
            clauses.append("Below zero in \(UnitFormat.percent(Double(below) / Double(max(1, s.n)), 0)) of trials")
        } else if s.p5 > 0 && unit == "USD" {
            clauses.append("At least \(f(s.p5)) in 19 trials out of 20")
        }
        let width = s.p95 - s.p5
        if width > 0 && abs(s.mean - s.p50) > 0.15 * width {
            clauses.append("the mean, \(f(s.mean)), sits far \(s.mean > s.p50 ? "above" : "below") the median: a long tail of \(s.mean > s.p50 ? "high" : "low") values")
        }
        if let top = results.sensitivity(m.key)?.entries.first, abs(top.spearman) >= 0.2 {
            let input = results.plan.inputs.first { $0.path == top.input }
            let name = input.map { $0.summary.isEmpty ? "`\($0.path)`" : Labels.lowercasedFirst($0.summary) } ?? "`\(top.input)`"
            clauses.append("it moves most with \(name) (ρ = \(UnitFormat.fixed(top.spearman, 2).replacingOccurrences(of: "-", with: "−")))")
        }
        return Row(label: Labels.metric(m.spec.summary, limit: 110), metric: m.key, unit: unit, statistic: .median, estimate: s.p50,
                   low: s.p5, high: s.p95, mean: s.mean, meaning: sentence(clauses))
    }

    static func event(_ m: RunResults.Metric, trials n: Int) -> Row {
        let p = m.summary.mean
        let (low, high) = wilson(p, n)
        let inHundred = Int((p * 100).rounded())
        let meaning = p < 0.005 ? "Happens in fewer than 1 in 200 simulated futures." : "Happens in about \(inHundred) of 100 simulated futures."
        return Row(label: Labels.metric(m.spec.summary, limit: 110), metric: m.key, unit: "probability", statistic: .probability, estimate: p,
                   low: low, high: high, mean: nil, meaning: meaning)
    }

    static func loss(_ m: RunResults.Metric, _ values: [Double]) -> Row {
        let defined = values.filter { !$0.isNaN }
        let p = Double(defined.filter { $0 < 0 }.count) / Double(max(1, defined.count))
        let (low, high) = wilson(p, defined.count)
        return Row(label: "Chance of a loss: \(Labels.lowercasedFirst(Labels.metric(m.spec.summary))) below zero", metric: m.key,
                   unit: "probability", statistic: .probabilityBelowZero, estimate: p, low: low, high: high, mean: nil,
                   meaning: "The share of simulated futures in which the number above ends negative; it breaks even or better in the other \(UnitFormat.percent(1 - p, 0)).")
    }

    /// The Wilson score interval of a proportion at 90%.
    static func wilson(_ p: Double, _ n: Int) -> (Double, Double) {
        guard n > 0 else { return (.nan, .nan) }
        let z = z90, nn = Double(n)
        let denominator = 1 + z * z / nn
        let centre = (p + z * z / (2 * nn)) / denominator
        let half = z / denominator * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()
        return (max(0, centre - half), min(1, centre + half))
    }

    static func signed(_ v: Double, _ unit: String) -> String {
        (v > 0 ? "+" : "") + ValueFormat.format(v, unit: unit)
    }

    /// Clauses joined into one sentence with a capital and a full stop.
    static func sentence(_ clauses: [String]) -> String {
        guard !clauses.isEmpty else { return "" }
        let s = clauses.joined(separator: "; ")
        return s.prefix(1).uppercased() + s.dropFirst() + "."
    }
}

extension ExecutiveSummary {
    /// The report's "Executive summary" section, with the charts placed there.
    func markdown(charts: [Chart]) -> String {
        guard !rows.isEmpty else { return "" }
        var md = "## Executive summary\n\n"
        if let lead { md += "**\(lead)**\n\n" }
        let table = rows.map { r -> [String] in
            let estimate: String, interval: String
            switch r.statistic {
            case .median:
                estimate = ValueFormat.format(r.estimate, unit: r.unit) + " (median)"
                interval = ValueFormat.format(r.low, unit: r.unit) + " to " + ValueFormat.format(r.high, unit: r.unit)
            case .probability, .probabilityBelowZero:
                estimate = UnitFormat.percent(r.estimate)
                interval = UnitFormat.percent(r.low) + " to " + UnitFormat.percent(r.high)
            }
            return ["**\(MarkdownReport.cell(r.label))** (`\(r.metric)`)", estimate, interval, MarkdownReport.cell(r.meaning)]
        }
        md += MarkdownReport.table(["Number", "Estimate", "90% interval", "What it means"], table) + "\n"
        md += "For a distribution the 90% interval runs from its 5th to its 95th percentile: 9 simulated futures in 10 fall inside it. "
        md += "For a probability it is the simulation's 90% confidence interval (Wilson score). \(confidence)"
        if !omitted.isEmpty { md += " Other headline numbers: " + omitted.map { "`\($0)`" }.joined(separator: ", ") + " (in their module's section)." }
        md += "\n\n"
        md += charts.markdown(at: .summary)
        return md
    }

    /// The summary in results.json: one object per row, in order.
    var json: JSONValue {
        .array(rows.map { r in
            var o: [(String, JSONValue)] = [
                ("label", .string(r.label)), ("metric", .string(r.metric)), ("unit", .string(r.unit)),
                ("statistic", .string(r.statistic.rawValue)), ("estimate", .number(r.estimate)),
                ("low", .number(r.low)), ("high", .number(r.high)),
            ]
            if let mean = r.mean { o.append(("mean", .number(mean))) }
            o.append(("meaning", .string(r.meaning)))
            return .object(o)
        })
    }
}
