import DealcastCore
import Foundation

/// One side of a comparison: a run of a scenario, or of one of its variants.
public struct CompareSide {
    /// Short name used in headings and the default folder: the scenario id, or the variant's slug.
    public let label: String
    public let results: RunResults
    public let variant: ScenarioVariant?

    public init(label: String, results: RunResults, variant: ScenarioVariant?) {
        self.label = label
        self.results = results
        self.variant = variant
    }

    var scenario: Scenario { results.plan.scenario }
}

/// What identifies a comparison, for its reproducibility section.
public struct CompareManifest: Sendable {
    public let dealcastVersion: String
    public let gitCommit: String?
    /// The command that reproduces the comparison.
    public let command: String
    /// Run options that modules read (e.g. history-cutoff), by name.
    public let options: [(String, String)]

    public init(dealcastVersion: String, gitCommit: String?, command: String, options: [String: String]) {
        self.dealcastVersion = dealcastVersion
        self.gitCommit = gitCommit
        self.command = command
        self.options = options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// compare.md and compare.json: the distribution of B − A for every shared metric (docs/compare.md).
public enum CompareReport {
    public static let schemaVersion = 1

    // MARK: Markdown

    public static func markdown(_ c: Comparison, a: CompareSide, b: CompareSide, manifest: CompareManifest) -> String {
        let ca = a.results.config, cb = b.results.config
        var md = "# Comparison: \(a.label) vs \(b.label)\n\n"
        md += "- **A**: \(describe(a))\n- **B**: \(describe(b))\n\n"
        if ca.seed == cb.seed {
            md += "Both sides ran \(ca.trials) trials with seed \(ca.seed) (generator \(ca.generator.gslName), \(ca.sampling.rawValue) sampling). "
            md += "Every input the two scenarios share drew the same numbers in the same trial (common random numbers: "
            md += "\(c.identicallyDrawn) of \(c.sharedUnchangedInputs) shared, unchanged uncertain inputs drew identical values in every trial), "
            md += "so B − A in one trial is the effect of what differs below, not sampling noise.\n\n"
            if !c.differentlyDrawn.isEmpty {
                md += "**Warning**: \(c.differentlyDrawn.count) shared, unchanged inputs drew different numbers on the two sides ("
                md += c.differentlyDrawn.map { "`\($0)`" }.joined(separator: ", ")
                md += "). This happens under Sobol sampling when the set of uncertain inputs changes (their coordinates shift), "
                md += "or when a correlation involving them changes; see docs/compare.md. Their share of B − A is sampling noise.\n\n"
            }
        } else {
            md += "**Independent runs**: A used seed \(ca.seed) and B seed \(cb.seed), so the two sides drew different numbers and B − A "
            md += "mixes the effect of the change with sampling noise. Use the same seed for a real comparison.\n\n"
        }
        md += "## What differs\n\n"
        if c.inputChanges.isEmpty {
            md += "No input differs between the two sides.\n\n"
        } else {
            let rows = c.inputChanges.map { ch in
                ["`\(ch.path)`", ch.a.map(cell) ?? "(not read)", ch.b.map(cell) ?? "(not read)", ch.drawRankCorrelation.map { UnitFormat.fixed($0, 3) } ?? "—"]
            }
            md += table(["Input", "A", "B", "Rank correlation of the draws"], rows)
            md += "\nA rank correlation of 1 means the input's draws moved together: the same uniforms went through the new distribution.\n\n"
        }
        let modulesA = a.results.plan.modules.map(\.id), modulesB = b.results.plan.modules.map(\.id)
        if modulesA != modulesB {
            md += "Modules: A runs \(modulesA.joined(separator: ", ")); B runs \(modulesB.joined(separator: ", ")).\n\n"
        }
        md += "## Difference B − A, trial by trial\n\n"
        let changed = c.metrics.filter { !$0.identical }
        if changed.isEmpty {
            md += "Every shared metric is identical in every trial.\n\n"
        } else {
            md += table(["Metric", "A mean", "B mean", "Mean B − A", "P5", "P50", "P95", "P(B > A)", "P(B < A)"], changed.map { m in
                let f = format(m.unit), d = format(differenceUnit(m.unit))
                return ["`\(m.key)`", f(m.a.mean), f(m.b.mean), d(m.difference.mean) + " ± " + unsigned(d(1.96 * m.stderrPaired)),
                        d(m.difference.p5), d(m.difference.p50), d(m.difference.p95),
                        UnitFormat.percent(m.probabilityBGreater), UnitFormat.percent(m.probabilityBLess)]
            })
            md += "\nPercentiles are of the per-trial difference B_i − A_i, not differences of percentiles. ± is 1.96 standard errors of the mean difference."
            let partial = changed.filter { $0.paired < $0.a.n + $0.a.undefined }
            if !partial.isEmpty {
                md += " Metrics that can be undefined are compared over the trials where both sides have a value: "
                md += partial.map { "`\($0.key)` (\($0.paired) trials)" }.joined(separator: ", ") + "."
            }
            md += "\n\n"
        }
        let same = c.metrics.filter(\.identical)
        if !same.isEmpty {
            md += "Identical in every trial: " + same.map { "`\($0.key)`" }.joined(separator: ", ") + ".\n\n"
        }
        if !changed.isEmpty {
            md += "## Precision: what common random numbers buy\n\n"
            md += table(["Metric", "Correlation of A and B", "Std. error of mean B − A", "If run independently", "Variance ratio"], changed.map { m in
                let d = format(differenceUnit(m.unit))
                return ["`\(m.key)`", m.correlation.isNaN ? "—" : UnitFormat.fixed(m.correlation, 4), unsigned(d(m.stderrPaired)),
                        unsigned(d(m.stderrIndependent)), ratio(m.varianceRatio)]
            })
            md += "\nThe standard error of the mean difference from these paired trials is sd(B − A)/√n; two independent runs of n trials "
            md += "would give √((var A + var B)/n). The variance ratio is how many times more trials independent runs would need for the "
            md += "same precision. Under LHS sampling both are upper bounds.\n\n"
        }
        if !c.onlyInA.isEmpty || !c.onlyInB.isEmpty || !c.unitMismatches.isEmpty {
            md += "## Not compared\n\n"
            if !c.onlyInA.isEmpty { md += "- Only in A: " + c.onlyInA.map { "`\($0)`" }.joined(separator: ", ") + "\n" }
            if !c.onlyInB.isEmpty { md += "- Only in B: " + c.onlyInB.map { "`\($0)`" }.joined(separator: ", ") + "\n" }
            if !c.unitMismatches.isEmpty { md += "- Different units on the two sides: " + c.unitMismatches.map { "`\($0)`" }.joined(separator: ", ") + "\n" }
            md += "\n"
        }
        md += "## Reproducibility\n\n"
        var rows: [[String]] = [
            ["Scenario", cell(a.scenario.displayPath), cell(b.scenario.displayPath)],
            ["Variant", a.variant.map { cell($0.name) } ?? "—", b.variant.map { cell($0.name) } ?? "—"],
            ["Scenario SHA-256", "`\(a.scenario.sha256)`", "`\(b.scenario.sha256)`"],
            ["Modules", modulesA.joined(separator: ", "), modulesB.joined(separator: ", ")],
            ["Seed", "\(ca.seed)", "\(cb.seed)"],
        ]
        rows += [["Trials", "\(ca.trials)"], ["Generator", ca.generator.gslName], ["Sampling", ca.sampling.rawValue],
                 ["Block size", "\(ca.blockSize)"], ["Threads (no effect on results)", "\(ca.threads)"]].map { $0 + [$0[1]] }
        for (k, v) in manifest.options { rows.append(["--\(k)", cell(v), cell(v)]) }
        md += table(["", "A", "B"], rows)
        md += "\nReproduce with `\(manifest.command)` (dealcast \(manifest.dealcastVersion)"
        md += manifest.gitCommit.map { ", commit \($0)" } ?? ""
        md += "). Every number here is also in compare.json.\n"
        return md
    }

    private static func describe(_ side: CompareSide) -> String {
        var s = "\(cell(side.scenario.title)) (`\(side.scenario.displayPath)`"
        if let v = side.variant {
            s += ", variant '\(cell(v.name))': " + v.overrides.map { "`\($0.path)` = \(cell(text($0.value)))" }.joined(separator: ", ")
            if !v.description.isEmpty { s += ". " + cell(v.description.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return s + ")"
    }

    /// Differences of shares and probabilities read best in percentage points.
    private static func differenceUnit(_ unit: String) -> String {
        ["fraction", "probability", "share"].contains(unit) ? "pp" : unit
    }

    private static func format(_ unit: String) -> (Double) -> String { { ValueFormat.format($0, unit: unit) } }

    /// A standard error carries no sign: "+0.22 pp" reads "0.22 pp".
    public static func unsigned(_ s: String) -> String { s.hasPrefix("+") ? String(s.dropFirst()) : s }

    private static func ratio(_ r: Double) -> String {
        if r.isNaN { return "—" }
        if r.isInfinite { return "∞ (B − A is the same in every trial)" }
        return "×" + ValueFormat.significant(r)
    }

    /// A scenario node as short text: a value, [a, b], or {k: v}.
    static func text(_ node: ScenarioNode) -> String {
        switch node.kind {
        case .scalar(let s): return s
        case .null: return "null"
        case .sequence(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
        case .mapping(let pairs): return "{" + pairs.map { "\($0.key): \(text($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    private static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    private static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: " --- |", count: header.count) + "\n"
        for r in rows { out += "| " + r.joined(separator: " | ") + " |\n" }
        return out
    }

    // MARK: JSON

    public static func json(_ c: Comparison, a: CompareSide, b: CompareSide, manifest: CompareManifest) -> JSONValue {
        let ca = a.results.config, cb = b.results.config
        var top: [(String, JSONValue)] = [
            ("schema_version", .number(Double(schemaVersion))),
            ("dealcast_version", .string(manifest.dealcastVersion)),
        ]
        if let g = manifest.gitCommit { top.append(("git_commit", .string(g))) }
        var run: [(String, JSONValue)] = [
            ("trials", .number(Double(ca.trials))), ("seed_a", seed(ca.seed)), ("seed_b", seed(cb.seed)),
            ("sampling", .string(ca.sampling.rawValue)), ("rng", .string(ca.generator.gslName)),
            ("block_size", .number(Double(ca.blockSize))), ("threads", .number(Double(ca.threads))),
            ("wall_seconds", .number(((a.results.wallSeconds + b.results.wallSeconds) * 1000).rounded() / 1000)),
        ]
        if !manifest.options.isEmpty { run.append(("options", .object(manifest.options.map { ($0.0, .string($0.1)) }))) }
        top += [
            ("command", .string(manifest.command)),
            ("a", side(a)), ("b", side(b)), ("run", .object(run)),
            ("common_random_numbers", .object([
                ("same_seed", .bool(ca.seed == cb.seed)),
                ("shared_unchanged_inputs", .number(Double(c.sharedUnchangedInputs))),
                ("identically_drawn", .number(Double(c.identicallyDrawn))),
                ("not_identically_drawn", .array(c.differentlyDrawn.map(JSONValue.string))),
            ])),
            ("input_changes", .array(c.inputChanges.map { ch in
                .object([("path", .string(ch.path)), ("a", ch.a.map(JSONValue.string) ?? .null), ("b", ch.b.map(JSONValue.string) ?? .null),
                         ("draw_rank_correlation", ch.drawRankCorrelation.map(JSONValue.number) ?? .null)])
            })),
            ("metrics", .object(c.metrics.map { ($0.key, metric($0)) })),
            ("only_in_a", .array(c.onlyInA.map(JSONValue.string))),
            ("only_in_b", .array(c.onlyInB.map(JSONValue.string))),
            ("unit_mismatches", .array(c.unitMismatches.map(JSONValue.string))),
        ]
        return .object(top)
    }

    private static func seed(_ s: UInt64) -> JSONValue { s < (1 << 53) ? .number(Double(s)) : .string(String(s)) }

    private static func side(_ s: CompareSide) -> JSONValue {
        var variant = JSONValue.null
        if let v = s.variant {
            variant = .object([("name", .string(v.name)), ("description", .string(v.description)),
                               ("set", .object(v.overrides.map { ($0.path, .string(text($0.value))) }))])
        }
        return .object([
            ("label", .string(s.label)),
            ("scenario", .object([("id", .string(s.scenario.id)), ("title", .string(s.scenario.title)),
                                  ("path", .string(s.scenario.displayPath)), ("sha256", .string(s.scenario.sha256))])),
            ("variant", variant),
            ("modules", .array(s.results.plan.modules.map { .string($0.id) })),
        ])
    }

    private static func summary(_ s: Summary, _ keys: [String]) -> JSONValue {
        let all: [String: Double] = ["mean": s.mean, "sd": s.sd, "stderr": s.stderr, "min": s.min, "max": s.max,
                                     "p5": s.p5, "p25": s.p25, "p50": s.p50, "p75": s.p75, "p95": s.p95, "n": Double(s.n)]
        return .object(keys.map { ($0, .number(all[$0]!)) })
    }

    private static func metric(_ m: Comparison.Metric) -> JSONValue {
        let side = ["mean", "sd", "p5", "p50", "p95", "n"]
        return .object([
            ("unit", .string(m.unit)), ("kind", .string(m.kind.rawValue)), ("identical", .bool(m.identical)),
            ("n_paired", .number(Double(m.paired))),
            ("a", summary(m.a, side)), ("b", summary(m.b, side)),
            ("difference", summary(m.difference, ["mean", "sd", "min", "max", "p5", "p25", "p50", "p75", "p95"])),
            ("p_b_greater", .number(m.probabilityBGreater)), ("p_b_less", .number(m.probabilityBLess)),
            ("correlation", .number(m.correlation)),
            ("stderr_paired", .number(m.stderrPaired)), ("stderr_independent", .number(m.stderrIndependent)),
            ("variance_ratio", .number(m.varianceRatio)),
        ])
    }
}
