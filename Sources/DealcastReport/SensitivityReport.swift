import DealcastCore

/// The report's one-at-a-time swing and Sobol index tables of a headline metric, and their
/// results.json twins (docs/sensitivity.md, docs/results-schema.md).
enum SensitivityReport {
    /// Rows shown in report.md; results.json has every input.
    static let top = 10

    /// The swing table of `metric` and, when the run computed them, its Sobol indices, as subsections
    /// of "What drives"; with `heading`, under a "What drives" heading of their own (for a headline
    /// metric that has no rank-correlation section, such as an event). Empty when there is nothing to show.
    static func markdown(_ results: RunResults, _ metric: RunResults.Metric, heading: Bool) -> String {
        var md = swingMarkdown(results, metric) + sobolMarkdown(results, metric)
        if heading && !md.isEmpty { md = "### What drives `\(metric.key)`\n\n" + md }
        return md
    }

    // MARK: One-at-a-time swing

    static func swingMarkdown(_ results: RunResults, _ metric: RunResults.Metric) -> String {
        var md = "#### One-at-a-time swing\n\n"
        let swings: OneAtATime
        switch results.oneAtATime {
        case .failure(let error):
            return md + "The one-at-a-time swing could not be computed: \(error.message)\n\n"
        case .success(let s):
            swings = s
        }
        guard let m = swings.metric(metric.key), !m.entries.isEmpty else { return "" }
        let f = { (v: Double) in v.isNaN ? "—" : ValueFormat.format(v, unit: metric.spec.unit) }
        let what = metric.spec.kind == .event ? "probability" : "mean"
        md += "Each uncertain input set to its 10th and then to its 90th percentile (its inverse CDF), every other uncertain input at its median and fixed inputs as written. "
        md += "Each configuration gives the metric's \(what) over the same \(swings.trials) trials of the modules' own random draws (common random numbers), so only the input differs. "
        md += "With every input at its median the \(what) is \(f(m.base)). Correlations between inputs are ignored by construction: one input moves while the others stay at their medians. "
        let moving = m.entries.filter { !($0.swing == 0) }
        md += swingCount(shown: min(top, moving.count), moving: moving.count, all: m.entries.count) + "\n\n"
        guard !moving.isEmpty else { return md }
        let inputs = Dictionary(results.plan.inputs.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = moving.prefix(top).map { e -> [String] in
            let input = inputs[e.input]
            let x = { (v: Double) in input.map { DistributionWords.value(v, $0.value.dimension, DistributionWords.display(for: $0)) } ?? ValueFormat.significant(v) }
            return ["`\(e.input)`", x(e.inputLow), x(e.inputHigh), f(e.low), f(e.high), f(e.swing)]
        }
        md += MarkdownReport.table(["Input", "Input at P10", "Input at P90", "Metric at P10", "Metric at P90", "Swing"], Array(rows)) + "\n"
        return md
    }

    /// Which rows the table shows: inputs whose swing is exactly zero (the metric does not read them)
    /// are left out.
    static func swingCount(shown: Int, moving: Int, all: Int) -> String {
        let still = all - moving
        let none = still == 0 ? nil : still == 1 ? "One input leaves the metric exactly unchanged and is not shown." : "\(still) inputs leave the metric exactly unchanged and are not shown."
        if moving == 0 { return "No input changes the metric." }
        return [shown < moving ? "The \(shown) largest swings of \(moving); results.json has every input." : nil, none].compactMap { $0 }.joined(separator: " ")
    }

    // MARK: Sobol indices

    static func sobolMarkdown(_ results: RunResults, _ metric: RunResults.Metric) -> String {
        guard let sobol = results.sobolIndices, let m = sobol.metric(metric.key), !m.entries.isEmpty else { return "" }
        var md = "#### Sobol indices\n\n"
        md += "First-order index S: the share of the metric's variance due to the input alone; total index ST: due to the input alone and in interaction with the others (Saltelli et al. 2010, Jansen 1999). "
        md += "Estimated from \(sobol.samples) rows of two independent input matrices (\(sobol.evaluations) evaluations), with 95% intervals from \(sobol.resamples) bootstrap resamples of the rows. "
        if m.dropped > 0 { md += "\(m.dropped) of the \(sobol.samples) rows are left out because the metric was undefined in one of their evaluations. " }
        if sobol.correlationsIgnored { md += "The inputs were drawn independently, without the scenario's correlations: Sobol indices are defined for independent inputs. " }
        md += "The modules' own random draws are the same in every matrix, so their share of the variance is in no index"
        let sum = m.entries.reduce(0.0) { $0 + ($1.firstOrder.value.isNaN ? 0 : $1.firstOrder.value) }
        md += m.variance > 0 ? " (the first-order indices sum to \(UnitFormat.fixed(sum, 3)))." : "; the metric did not vary, so the indices are undefined."
        // An input the metric does not read has both indices exactly 0: such rows are left out.
        let active = m.entries.filter { !($0.firstOrder.value == 0 && $0.total.value == 0) }
        let still = m.entries.count - active.count
        if active.count > top { md += " The \(top) inputs with the largest total index of \(active.count); results.json has every input." }
        if still > 0 { md += " \(still) of the \(m.entries.count) inputs have both indices exactly 0 (the metric does not depend on them) and are not shown." }
        md += "\n\n"
        guard !active.isEmpty else { return md }
        let x = { (v: Double) in v.isNaN ? "—" : UnitFormat.fixed(v, 3) }
        let ci = { (e: SobolIndices.Estimate) in e.low.isNaN ? "—" : "\(x(e.low)) to \(x(e.high))" }
        let rows = active.prefix(top).map { e in
            ["`\(e.input)`", x(e.firstOrder.value), ci(e.firstOrder), x(e.total.value), ci(e.total)]
        }
        md += MarkdownReport.table(["Input", "First-order S", "95% interval", "Total ST", "95% interval"], Array(rows)) + "\n"
        return md
    }

    // MARK: results.json

    /// The `one_at_a_time` key, and `sobol_indices` when the run computed them.
    static func json(_ results: RunResults) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        switch results.oneAtATime {
        case .failure(let error):
            out.append(("one_at_a_time", .object([("error", .string(error.message))])))
        case .success(let s):
            out.append(("one_at_a_time", .object([
                ("trials", .number(Double(s.trials))),
                ("low_quantile", .number(OneAtATime.lowQuantile)),
                ("high_quantile", .number(OneAtATime.highQuantile)),
                ("metrics", .object(s.metrics.map { m in
                    (m.key, .object([
                        ("base", .number(m.base)),
                        ("entries", .array(m.entries.map { e in
                            .object([("input", .string(e.input)), ("input_low", .number(e.inputLow)), ("input_high", .number(e.inputHigh)),
                                     ("low", .number(e.low)), ("high", .number(e.high)), ("swing", .number(e.swing))])
                        })),
                    ]))
                })),
            ])))
        }
        if let sobol = results.sobolIndices {
            let estimate = { (name: String, e: SobolIndices.Estimate) -> [(String, JSONValue)] in
                [(name, .number(e.value)), (name + "_se", .number(e.standardError)), (name + "_low", .number(e.low)), (name + "_high", .number(e.high))]
            }
            out.append(("sobol_indices", .object([
                ("samples", .number(Double(sobol.samples))),
                ("evaluations", .number(Double(sobol.evaluations))),
                ("resamples", .number(Double(sobol.resamples))),
                ("confidence", .number(SobolIndices.confidence)),
                ("sampling", .string(sobol.sampling.rawValue)),
                ("correlations_ignored", .bool(sobol.correlationsIgnored)),
                ("metrics", .object(sobol.metrics.map { m in
                    (m.key, .object([
                        ("variance", .number(m.variance)),
                        ("rows", .number(Double(m.rows))),
                        ("dropped_rows", .number(Double(m.dropped))),
                        ("entries", .array(m.entries.map { e in
                            .object([("input", .string(e.input))] + estimate("first_order", e.firstOrder) + estimate("total", e.total))
                        })),
                    ]))
                })),
            ])))
        }
        return out
    }
}
