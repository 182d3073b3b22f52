import DealcastCore

/// report.md: what an analyst reads. Every number in it is also in results.json.
public enum MarkdownReport {
    /// - Parameter content: the summary, drivers and charts; computed here, without charts, when nil.
    public static func make(_ results: RunResults, manifest: RunManifest, content: ReportContent? = nil) -> String {
        let content = content ?? ReportContent(results, charts: false)
        let scenario = results.plan.scenario
        var md = "# \(scenario.title)\n\n"
        if !scenario.description.isEmpty { md += scenario.description.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" }
        md += "Dealcast \(manifest.dealcastVersion) · \(ValueFormat.grouped(Double(manifest.trials), 0)) trials · seed \(manifest.seed) · \(manifest.sampling) sampling · "
        md += "horizon \(scenario.horizon.lowerBound)–\(scenario.horizon.upperBound)\n\n"
        md += content.summary.markdown(charts: content.charts)
        md += dealTerms(scenario)
        for (index, module) in results.plan.modules.enumerated() {
            md += moduleSection(results, module, index, content)
        }
        md += ConvergenceReport.markdown(results)
        md += assumptions(results.plan)
        md += samplingSection(results)
        md += footer(manifest, precision: precisionKept(results))
        return md
    }

    // MARK: Deal terms

    /// The scenario's `deal:` section as a table of terms, rendered generically from the file.
    static func dealTerms(_ scenario: Scenario) -> String {
        guard let deal = scenario.root["deal"] else { return "" }
        var rows: [[String]] = []
        flatten(deal, path: "", into: &rows)
        guard !rows.isEmpty else { return "" }
        return "## Deal terms\n\n" + table(["Term", "Value", "Source or assumption"], rows) + "\n"
    }

    private static func flatten(_ node: ScenarioNode, path: String, into rows: inout [[String]]) {
        switch node.kind {
        case .scalar(let s):
            rows.append([path, cell(s), ""])
        case .mapping(let pairs):
            if node.isAnnotatedValue, let v = node["value"] {
                let value: String
                if case .sequence(let items) = v.kind { value = items.compactMap(\.scalar).joined(separator: ", ") } else { value = v.scalar ?? "" }
                let prov = node["source"]?.scalar.map { "source: \($0)" } ?? node["assumption"]?.scalar.map { "assumption: \($0)" } ?? ""
                let conf = node["confidence"]?.scalar.map { " (confidence: \($0))" } ?? ""
                rows.append([path, cell(value), cell(prov + conf)])
                return
            }
            for (k, v) in pairs { flatten(v, path: path.isEmpty ? k : "\(path).\(k)", into: &rows) }
        case .sequence(let items):
            for (i, v) in items.enumerated() { flatten(v, path: "\(path)[\(i)]", into: &rows) }
        case .null:
            break
        }
    }

    // MARK: Modules

    static func moduleSection(_ results: RunResults, _ module: ModuleDescriptor, _ index: Int, _ content: ReportContent) -> String {
        var md = "## \(module.id)\n\n\(module.summary) (model: docs/models/\(module.id).md, version \(module.version))\n\n"
        let metrics = results.metrics.filter { $0.module == module.id }
        var rows: [[String]] = []
        var notes: [String] = []
        for m in metrics {
            let s = m.summary
            let f = { (v: Double) in ValueFormat.format(v, unit: m.spec.unit) }
            if m.spec.kind == .event {
                let ci = 1.96 * s.stderr
                rows.append(["`\(m.key)`", m.spec.summary, "P = \(UnitFormat.percent(s.mean)) ± \(UnitFormat.percent(ci))", "", "", "", "", "", ""])
            } else {
                rows.append(["`\(m.key)`", m.spec.summary, f(s.mean), f(s.sd), f(s.stderr), f(s.p5), f(s.p50), f(s.p95), f(s.min) + " … " + f(s.max)])
            }
            if let meaning = m.spec.undefinedMeaning, s.undefined > 0 {
                let total = s.n + s.undefined
                notes.append("- `\(m.key)` is undefined in \(s.undefined) of \(total) trials (\(UnitFormat.percent(Double(s.undefined) / Double(total)))): \(meaning). Its statistics are over the other \(s.n).")
            }
        }
        if !rows.isEmpty {
            md += table(["Metric", "Meaning", "Mean", "SD", "Std. error", "P5", "P50", "P95", "Range"], rows) + "\n"
        }
        if !notes.isEmpty { md += notes.joined(separator: "\n") + "\n\n" }
        for m in metrics { md += content.charts.markdown(at: .metric(m.key)) }
        for s in results.series where s.module == module.id && !s.index.isEmpty {
            md += "### `\(s.key)`\n\n\(s.spec.summary).\n\n"
            md += content.charts.markdown(at: .series(s.key))
            let q = s.summary
            let f = { (v: Double) in ValueFormat.format(v, unit: s.spec.unit) }
            let rows = s.index.indices.map { i in [s.index[i], f(q.p5[i]), f(q.p25[i]), f(q.p50[i]), f(q.p75[i]), f(q.p95[i]), f(q.mean[i])] }
            md += table(["Period", "P5", "P25", "P50", "P75", "P95", "Mean"], rows) + "\n"
        }
        for headline in metrics where headline.spec.headline {
            md += sensitivitySection(results, headline, content)
        }
        for t in results.tables[index].tables {
            md += "### \(t.title)\n\n\(t.caption)\n\n" + table(t.header, t.rows) + "\n"
        }
        return md
    }

    // MARK: Sensitivity

    /// The tornado chart of the metric's drivers, then a table of the top ten inputs by Spearman rank
    /// correlation: ρ, contribution to variance, and the metric's mean when the input is in its
    /// lowest and highest tenth (the bars of the tornado); then the one-at-a-time swings and any Sobol
    /// indices (`SensitivityReport`), which every headline metric gets, events included.
    static func sensitivitySection(_ results: RunResults, _ metric: RunResults.Metric, _ content: ReportContent) -> String {
        guard ReportContent.hasDrivers(metric), let s = results.sensitivity(metric.key), !s.entries.isEmpty else {
            return SensitivityReport.markdown(results, metric, heading: true)
        }
        var md = "### What drives `\(metric.key)`\n\n"
        md += content.charts.markdown(at: .drivers(metric.key))
        md += "Spearman rank correlation of each uncertain input with the metric, its share of the variance explained (squared correlations, normalised), and the metric's mean over the trials where the input was drawn in its lowest and in its highest tenth (the tornado's bars; overall mean \(ValueFormat.format(metric.summary.mean, unit: metric.spec.unit))). Top ten inputs."
        if results.sensitivityTrials < results.config.trials {
            md += " Computed on the run's first \(ValueFormat.grouped(Double(results.sensitivityTrials), 0)) trials (\(results.sensitivityTrials / results.config.blockSize) blocks), where a correlation's standard error is about \(UnitFormat.fixed(1 / Double(results.sensitivityTrials - 1).squareRoot(), 3))."
        }
        md += "\n\n"
        let drivers = content.drivers[metric.key] ?? []
        let f = { (v: Double) in ValueFormat.format(v, unit: metric.spec.unit) }
        let rows = s.entries.prefix(10).map { e -> [String] in
            let width = Int((abs(e.spearman) * 20).rounded())
            let bar = (e.spearman < 0 ? "−" : "+") + String(repeating: "█", count: width)
            let d = drivers.first { $0.input == e.input }
            return ["`\(e.input)`", UnitFormat.fixed(e.spearman, 3), UnitFormat.percent(abs(e.contribution)),
                    d.map { f($0.meanIfLow) } ?? "", d.map { f($0.meanIfHigh) } ?? "", bar]
        }
        md += table(["Input", "Spearman ρ", "Contribution to variance", "Mean if input in lowest 10%", "Mean if input in highest 10%", "Rank correlation"], Array(rows)) + "\n"
        return md + SensitivityReport.markdown(results, metric, heading: false)
    }

    // MARK: Assumptions

    static func assumptions(_ plan: RunPlan) -> String {
        var md = "## Assumptions\n\nEvery input the modules read, its distribution in words and its source, as the scenario states them. P5, P50 and P95 are the input distribution's own percentiles (from its inverse CDF, not from the draws); a fixed value shows once, under P50.\n\n"
        let sampled = Set(plan.inputs.map(\.path))
        let rows = (plan.inputs + plan.fixedInputs.filter { !sampled.contains($0.path) }).map { i -> [String] in
            let d = i.value.distribution
            let display = DistributionWords.display(for: i)
            let f = { (v: Double) in DistributionWords.value(v, i.value.dimension, display) }
            let prov: String
            switch i.provenance.kind {
            case .source: prov = "source: " + i.provenance.text + (i.provenance.confidence.map { " (confidence: \($0))" } ?? "")
            case .assumption: prov = "assumption: " + i.provenance.text
            case .unstated: prov = "**unsourced**"
            }
            let spread = d.isFixed ? ["", i.written.hasPrefix("[") ? "" : f(d.mean), ""] : [f(d.quantile(0.05)), f(d.quantile(0.5)), f(d.quantile(0.95))]
            let words = i.written.hasPrefix("[") && d.isFixed ? "fixed list " + i.written : DistributionWords.describe(d, i.value.dimension, display)
            return ["`\(i.path)`", cell(i.summary), cell(words)] + spread + [cell(prov)]
        }
        md += table(["Input", "Meaning", "Distribution", "P5", "P50", "P95", "Source or assumption"], rows) + "\n"
        return md
    }

    // MARK: Sampling and correlations

    /// Under `sobol`, which inputs took Sobol coordinates and the block estimate of the error; with
    /// correlations, each pair written, imposed and achieved, and any repair (docs/sampling.md).
    static func samplingSection(_ results: RunResults) -> String {
        let design = results.samplingDesign
        let correlation = results.plan.correlation
        guard design.method == .sobol || correlation != nil else { return "" }
        var md = "## Sampling and correlations\n\n"
        if design.method == .sobol {
            md += "Inputs were drawn by randomised quasi-Monte Carlo: GSL's Sobol sequence (`gsl_qrng_sobol`), with an independent random digital shift in each block of \(results.config.blockSize) trials. "
            if design.latinHypercubeFallback.isEmpty {
                md += "All \(design.sobolInputs.count) uncertain inputs took Sobol coordinates, in the order the modules read them.\n\n"
            } else {
                md += "GSL's Sobol sequence has \(SamplingDesign.sobolDimensionLimit) dimensions: the first \(design.sobolInputs.count) uncertain inputs, in the order the modules read them, took its coordinates; the other \(design.latinHypercubeFallback.count) were drawn by Latin hypercube sampling: "
                md += design.latinHypercubeFallback.map { "`\($0)`" }.joined(separator: ", ") + ".\n\n"
            }
            md += "Each block is an independent randomised replicate, so the spread of the block results estimates each figure's error: the Convergence section gives it for every headline metric.\n\n"
        }
        if let c = correlation {
            let method = results.config.correlation == .copula
                ? "a Gaussian copula, within each block of \(results.config.blockSize) trials; each input's values follow its distribution"
                : "the Iman–Conover method, within each block of \(results.config.blockSize) trials; each input keeps exactly the values it was drawn, rearranged"
            md += "Rank correlations between inputs were imposed with \(method). Pairs the scenario does not write are held at 0. Achieved is Spearman's ρ over all \(results.config.trials) trials.\n\n"
            if c.writtenIsInvalid {
                md += "The written correlations are not positive semi-definite (smallest eigenvalue \(UnitFormat.fixed(c.smallestEigenvalue, 4))), so no joint distribution has them. With --repair-correlations the run used the nearest valid matrix instead, \(UnitFormat.fixed(c.repairDistance, 4)) away in Frobenius distance.\n\n"
            } else if c.repaired {
                md += "The written correlations are valid but on the edge of validity; normal scores cannot carry them exactly, so the nearest matrix they can carry was imposed, \(UnitFormat.fixed(c.repairDistance, 4)) away in Frobenius distance.\n\n"
            }
            let rows = results.achievedRankCorrelations().map { pair, achieved in
                ["`\(pair.first)` ~ `\(pair.second)`", pair.written.map { UnitFormat.fixed($0, 3) } ?? "—", UnitFormat.fixed(pair.used, 3), UnitFormat.fixed(achieved, 3)]
            }
            md += table(["Inputs", "Written", "Imposed", "Achieved"], rows) + "\n"
        }
        return md
    }

    // MARK: Footer

    /// What the run kept of its trials, and so how exact each statistic is (docs/engine.md, "What a
    /// run keeps"), for the Reproducibility table.
    static func precisionKept(_ results: RunResults) -> String {
        let exact = results.plan.exactMetrics.count, all = results.metrics.count
        let metrics = exact == all
            ? "every metric's trials in double precision"
            : "headline metrics' trials in double precision, the other \(all - exact) metrics' in single precision (7 significant digits; mean, sd and range exact)"
        let series = results.series.isEmpty ? "" : "; series: exact means, percentiles from a histogram of each period, within 0.0061% of the exact ones"
        return metrics + series + " (docs/engine.md, \"What a run keeps\")"
    }

    static func footer(_ m: RunManifest, precision: String? = nil) -> String {
        var rows: [[String]] = [
            ["Dealcast version", m.dealcastVersion + (m.gitCommit.map { " (commit \($0))" } ?? "")],
            ["Scenario", "`\(m.scenarioPath)`"],
            ["Scenario SHA-256", "`\(m.scenarioSHA256)`"],
            ["Seed", String(m.seed)],
            ["Generator", "GSL `\(m.generator)`"],
            ["Sampling", m.sampling],
            ["Trials", String(m.trials) + " in blocks of \(m.blockSize)"],
            ["Threads", String(m.threads) + " (results do not depend on it)"],
            ["Shards", m.shards == 1 ? "1" : "\(m.shards), run separately and merged with `dealcast merge` (results do not depend on it)"],
            ["Wall time", UnitFormat.fixed(m.wallSeconds, 2) + " s" + (m.shards > 1 ? ", summed over the shards" : "")],
        ]
        if let precision { rows.append(["Kept", precision]) }
        rows += [
            ["Modules", m.modules.map { "\($0.0) \($0.1)" }.joined(separator: ", ")],
            ["Plugins", m.plugins.isEmpty ? "none" : m.plugins.map { "\($0.id) \($0.version) (`\($0.path)`, SHA-256 `\($0.sha256.prefix(12))…`)" }.joined(separator: ", ")],
        ]
        for (k, v) in m.options { rows.append(["Option --\(k)", v]) }
        return "## Reproducibility\n\n" + table(["", ""], rows) + "\nReproduce with: `\(m.command)`\n"
    }

    // MARK: Markdown helpers

    /// A GitHub-flavoured markdown table.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var md = "| " + header.joined(separator: " | ") + " |\n"
        md += "|" + header.map { _ in " --- |" }.joined() + "\n"
        for r in rows { md += "| " + r.joined(separator: " | ") + " |\n" }
        return md
    }

    /// Escapes text for a table cell.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
    }
}
