import DealcastCore

/// report.md: what an analyst reads. Every number in it is also in results.json.
public enum MarkdownReport {
    public static func make(_ results: RunResults, manifest: RunManifest) -> String {
        let scenario = results.plan.scenario
        var md = "# \(scenario.title)\n\n"
        if !scenario.description.isEmpty { md += scenario.description.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" }
        md += "Dealcast \(manifest.dealcastVersion) · \(manifest.trials) trials · seed \(manifest.seed) · \(manifest.sampling) sampling · "
        md += "horizon \(scenario.horizon.lowerBound)–\(scenario.horizon.upperBound)\n\n"
        md += dealTerms(scenario)
        for (index, module) in results.plan.modules.enumerated() {
            md += moduleSection(results, module, index)
        }
        md += assumptions(results.plan)
        md += footer(manifest)
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

    static func moduleSection(_ results: RunResults, _ module: ModuleDescriptor, _ index: Int) -> String {
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
        for s in results.series where s.module == module.id && !s.index.isEmpty {
            md += "### `\(s.key)`\n\n\(s.spec.summary).\n\n"
            let q = s.summary
            let f = { (v: Double) in ValueFormat.format(v, unit: s.spec.unit) }
            let rows = s.index.indices.map { i in [s.index[i], f(q.p5[i]), f(q.p25[i]), f(q.p50[i]), f(q.p75[i]), f(q.p95[i]), f(q.mean[i])] }
            md += table(["Period", "P5", "P25", "P50", "P75", "P95", "Mean"], rows) + "\n"
        }
        for headline in metrics where headline.spec.headline && headline.spec.kind == .continuous && headline.summary.sd > 0 {
            md += sensitivitySection(results, headline)
        }
        for t in results.tables[index].tables {
            md += "### \(t.title)\n\n\(t.caption)\n\n" + table(t.header, t.rows) + "\n"
        }
        return md
    }

    // MARK: Sensitivity

    /// A tornado of Spearman rank correlations with contribution to variance, top ten inputs.
    static func sensitivitySection(_ results: RunResults, _ metric: RunResults.Metric) -> String {
        guard let s = results.sensitivity(metric.key), !s.entries.isEmpty else { return "" }
        var md = "### What drives `\(metric.key)`\n\nSpearman rank correlation of each uncertain input with the metric, and its share of the variance explained (squared correlations, normalised). Top ten inputs.\n\n"
        let rows = s.entries.prefix(10).map { e -> [String] in
            let width = Int((abs(e.spearman) * 20).rounded())
            let bar = (e.spearman < 0 ? "−" : "+") + String(repeating: "█", count: width)
            return ["`\(e.input)`", UnitFormat.fixed(e.spearman, 3), UnitFormat.percent(abs(e.contribution)), bar]
        }
        md += table(["Input", "Spearman ρ", "Contribution to variance", "Tornado"], Array(rows)) + "\n"
        return md
    }

    // MARK: Assumptions

    static func assumptions(_ plan: RunPlan) -> String {
        var md = "## Assumptions\n\nEvery input the modules read, as the scenario states it. P5, P50 and P95 are the input distribution's own percentiles.\n\n"
        let sampled = Set(plan.inputs.map(\.path))
        let rows = (plan.inputs + plan.fixedInputs.filter { !sampled.contains($0.path) }).map { i -> [String] in
            let d = i.value.distribution
            let f = { (v: Double) in ValueFormat.format(v, dimension: i.value.dimension) }
            let prov: String
            switch i.provenance.kind {
            case .source: prov = "source: " + i.provenance.text + (i.provenance.confidence.map { " (confidence: \($0))" } ?? "")
            case .assumption: prov = "assumption: " + i.provenance.text
            case .unstated: prov = "**unsourced**"
            }
            let spread = d.isFixed ? ["", i.written.hasPrefix("[") ? "" : f(d.mean), ""] : [f(d.quantile(0.05)), f(d.quantile(0.5)), f(d.quantile(0.95))]
            return ["`\(i.path)`", i.summary, cell(i.written)] + spread + [cell(prov)]
        }
        md += table(["Input", "Meaning", "As written", "P5", "P50", "P95", "Source or assumption"], rows) + "\n"
        return md
    }

    // MARK: Footer

    static func footer(_ m: RunManifest) -> String {
        var rows: [[String]] = [
            ["Dealcast version", m.dealcastVersion + (m.gitCommit.map { " (commit \($0))" } ?? "")],
            ["Scenario", "`\(m.scenarioPath)`"],
            ["Scenario SHA-256", "`\(m.scenarioSHA256)`"],
            ["Seed", String(m.seed)],
            ["Generator", "GSL `\(m.generator)`"],
            ["Sampling", m.sampling],
            ["Trials", String(m.trials) + " in blocks of \(m.blockSize)"],
            ["Threads", String(m.threads) + " (results do not depend on it)"],
            ["Shards", String(m.shards)],
            ["Wall time", UnitFormat.fixed(m.wallSeconds, 2) + " s"],
            ["Modules", m.modules.map { "\($0.0) \($0.1)" }.joined(separator: ", ")],
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
