import DealcastCore

/// The report's "Convergence" section and its results.json object: how precisely the run pinned down
/// the mean, p5 and p95 of each headline metric (docs/engine.md, "Convergence").
public enum ConvergenceReport {
    /// One sentence on what `--precision` did, for the report and the command line.
    public static func sentence(_ o: PrecisionOutcome) -> String {
        let target = "±" + UnitFormat.percent(o.target.relativeHalfWidth, 2)
        let stages = o.stages.map { ValueFormat.grouped(Double($0), 0) }.joined(separator: " → ")
        let checked = o.achieved.count
        if o.met {
            return "--precision \(target): met after \(ValueFormat.grouped(Double(o.stages.last!), 0)) trials (stages \(stages)); the 95% interval of the mean of each of the \(checked) metrics checked is within \(target) of it"
        }
        let worst = o.unmet.compactMap { key in o.achieved.first { $0.key == key } }
            .map { "\($0.key) at ±\($0.relativeHalfWidth.isFinite ? UnitFormat.percent($0.relativeHalfWidth, 2) : "∞ (mean 0)")" }
        return "--precision \(target): NOT met; stopped at --max-trials \(ValueFormat.grouped(Double(o.target.maxTrials), 0)) (stages \(stages)); still short: " + worst.joined(separator: ", ")
    }

    /// A metric's value formatted for the table: events as percentages, the rest in their unit.
    static func format(_ v: Double, _ m: RunResults.Metric) -> String {
        m.spec.kind == .event ? UnitFormat.percent(v, 2) : ValueFormat.format(v, unit: m.spec.unit)
    }

    /// The metrics the section covers, in module order, with their convergence figures.
    static func rows(_ results: RunResults) -> [(metric: RunResults.Metric, convergence: Convergence)] {
        results.plan.convergenceMetrics.compactMap { key in
            guard let m = results.metric(key), let c = results.convergence(key) else { return nil }
            return (m, c)
        }
    }

    /// The report section: the precision outcome when asked for, then one table row per statistic.
    public static func markdown(_ results: RunResults) -> String {
        let rows = rows(results)
        guard !rows.isEmpty else { return "" }
        let c0 = rows[0].convergence
        var md = "## Convergence\n\n"
        if let o = results.precision { md += sentence(o).prefix(1).uppercased() + sentence(o).dropFirst() + ".\n\n" }
        let batches = c0.batchesAreBlocks
            ? "the run's \(c0.batches) blocks of \(results.config.blockSize) trials, each an independent replicate of the sampling design"
            : "\(c0.batches) batches of consecutive trials (the run has fewer than \(Convergence.minimumBatches) blocks, so the error is overstated under Latin hypercube sampling, never understated)"
        md += "How precisely \(ValueFormat.grouped(Double(results.config.trials), 0)) trials pin down each headline metric. Standard errors come from batch means over \(batches); the 95% confidence interval is the run's value ± Student's t on \(c0.batches - 1) degrees of freedom times the standard error. The error falls as 1/√trials, so \(ValueFormat.grouped(Double(c0.trialsToHalve), 0)) trials would halve it.\n\n"
        var table: [[String]] = []
        for (m, c) in rows {
            for s in Convergence.Statistic.allCases {
                let e = c[s]
                table.append(["`\(m.key)`", s.rawValue, format(e.value, m), format(e.standardError, m),
                              "\(format(e.lower, m)) to \(format(e.upper, m))",
                              e.relativeHalfWidth.isFinite ? "±" + UnitFormat.percent(e.relativeHalfWidth, 2) : "—"])
            }
        }
        md += MarkdownReport.table(["Metric", "Statistic", "Value", "Std. error", "95% interval", "Relative half-width"], table) + "\n"
        return md
    }

    /// results.json's `convergence` object (docs/results-schema.md); nil when no metric can be batched.
    static func json(_ results: RunResults) -> JSONValue? {
        let rows = rows(results)
        guard let c0 = rows.first?.convergence else { return nil }
        var o: [(String, JSONValue)] = [
            ("method", .string("batch_means")),
            ("batches", .number(Double(c0.batches))),
            ("batches_are_blocks", .bool(c0.batchesAreBlocks)),
            ("confidence", .number(0.95)),
            ("trials_to_halve_error", .number(Double(c0.trialsToHalve))),
            ("metrics", .object(rows.map { m, c in
                (m.key, .object(Convergence.Statistic.allCases.map { s in
                    let e = c[s]
                    return (s.rawValue, .object([
                        ("value", .number(e.value)), ("standard_error", .number(e.standardError)),
                        ("ci95", .array([.number(e.lower), .number(e.upper)])),
                        ("relative_half_width", e.relativeHalfWidth.isFinite ? .number(e.relativeHalfWidth) : .null),
                    ]))
                }))
            })),
        ]
        if let p = results.precision {
            o.append(("precision", .object([
                ("target_relative_half_width", .number(p.target.relativeHalfWidth)),
                ("statistic", .string(p.statistic.rawValue)),
                ("max_trials", .number(Double(p.target.maxTrials))),
                ("met", .bool(p.met)),
                ("stages", .array(p.stages.map { .number(Double($0)) })),
                ("unmet", .array(p.unmet.map { .string($0) })),
            ])))
        }
        return .object(o)
    }
}
