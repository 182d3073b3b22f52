import ArgumentParser
import DealcastCore
import DealcastReport
import Foundation

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit the catalogue's distributions to a column of data by maximum likelihood, ranked by AIC and BIC.",
        discussion: """
            Fits normal, lognormal, gamma, exponential, beta, uniform, triangular and PERT, wherever the data fit \
            their support; gives each its Kolmogorov–Smirnov statistic; prints the ranking and the scenario line to \
            paste. Writes fit.md and fit.json. See docs/fit.md.
            """
    )

    @Argument(help: "A CSV file with a header row.")
    var file: String

    @Option(help: "The column to fit.")
    var column: String

    @Option(help: "What one number in the column means, e.g. '1M USD', '$1B', '%', 'GW', 'months' (default: plain numbers).")
    var unit: String?

    @Option(help: "Comma-separated families to try (default: all): \(FitFamily.allCases.map(\.rawValue).joined(separator: ", ")).")
    var families: String?

    @Option(help: "Output folder (default: reports/fit-<file>-<column>/).")
    var out: String?

    /// The families asked for, each checked.
    func selectedFamilies() throws -> [FitFamily] {
        guard let families else { return FitFamily.allCases }
        let names = FitFamily.allCases.map(\.rawValue)
        return try splitList(families).map { name in
            guard let f = FitFamily(rawValue: name) else {
                let hint = Suggest.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw ValidationError("--families: unknown family '\(name)'\(hint) (families: \(names.joined(separator: ", ")))")
            }
            return f
        }
    }

    func validate() throws {
        guard try !selectedFamilies().isEmpty else { throw ValidationError("--families: name at least one family") }
    }

    func run() throws {
        try exiting {
            let dataUnit = try DataUnit(unit ?? "")
            let table = try CSVTable.load(URL(fileURLWithPath: file), displayPath: file)
            let values = try table.numbers(column, file: file)
            let report = try DistributionFitter.fit(values, unit: dataUnit, source: "\(file), column '\(column)'", families: try selectedFamilies())
            guard let best = report.fits.first else {
                throw DealcastError(.invalidData, "\(file), column '\(column)': no family could be fitted: " + report.skipped.map { "\($0.family.rawValue) \($0.reason)" }.joined(separator: "; "))
            }
            let stem = ScenarioVariant.slug(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
            let outPath = out ?? "reports/fit-\(stem)-\(ScenarioVariant.slug(column))"
            var writer = try OutputWriter(directory: URL(fileURLWithPath: outPath), displayPath: outPath)
            try writer.stage("fit.md", markdown(report, best))
            try writer.stage("fit.json", json(report).rendered())
            try writer.commit()
            print(text(report, best))
            print("Written to \(outPath)/fit.md and fit.json.")
        }
    }

    // MARK: Rendering

    private var unitNote: String { unit.map { " (unit: \($0))" } ?? "" }

    private func amount(_ r: FitReport, _ v: Double) -> String { r.unit.written(v, digits: 4) }

    private func dataLine(_ r: FitReport) -> String {
        "\(file), column '\(column)'\(unitNote): n = \(r.n), mean \(amount(r, r.mean)), sd \(amount(r, r.sd)), range \(amount(r, r.min)) to \(amount(r, r.max))"
    }

    /// One row per family: rank, family, fitted distribution, ln L, AIC, ΔAIC, weight, BIC, ΔBIC, KS D, KS p.
    private func rows(_ r: FitReport) -> [[String]] {
        let bestAIC = r.fits.first?.aic ?? 0, bestBIC = r.bestByBIC?.bic ?? 0
        let g = { (v: Double) in String(format: "%.2f", v) }
        return r.fits.enumerated().map { i, f in
            ["\(i + 1)", f.family.rawValue + (f.converged ? "" : " (not converged)"),
             ScenarioSnippet.value(f.distribution, unit: r.unit, spread: r.sd, display: true) ?? "",
             g(f.logLikelihood), g(f.aic), g(f.aic - bestAIC), UnitFormat.percent(f.akaikeWeight), g(f.bic), g(f.bic - bestBIC),
             String(format: "%.4f", f.ks.d), String(format: "%.3g", f.ks.pValue)]
        }
    }

    private static let header = ["RANK", "FAMILY", "FITTED", "LN L", "AIC", "ΔAIC", "WEIGHT", "BIC", "ΔBIC", "KS D", "KS P"]

    private func verdict(_ r: FitReport, _ best: DistributionFit) -> String {
        var s = "Best by AIC: \(best.family.rawValue) (Akaike weight \(UnitFormat.percent(best.akaikeWeight)))"
        if let b = r.bestByBIC { s += b.family == best.family ? "; BIC agrees." : "; best by BIC: \(b.family.rawValue)." }
        return s
    }

    private func assumption(_ r: FitReport, _ best: DistributionFit) -> String {
        "Maximum-likelihood \(best.family.rawValue) fitted to \(file), column '\(column)' (n = \(r.n)); lowest AIC of \(r.fits.count) families (dealcast fit)."
    }

    private func skippedLine(_ r: FitReport) -> String? {
        r.skipped.isEmpty ? nil : "Not fitted: " + r.skipped.map { "\($0.family.rawValue) (\($0.reason))" }.joined(separator: "; ") + "."
    }

    private static let ksCaveat = "KS p-values treat the fitted parameters as known, so they are too high (Lilliefors): a small one rejects a family, a large one does not confirm it."

    private func text(_ r: FitReport, _ best: DistributionFit) -> String {
        var lines = [dataLine(r), "", TextTable.render(Self.header, rows(r)), "", verdict(r, best), "Paste into a scenario (docs/fit.md):", "",
                     "  value: \(best.snippet)", "  assumption: \"\(assumption(r, best))\"", ""]
        if let s = skippedLine(r) { lines.append(s) }
        lines.append(Self.ksCaveat)
        return lines.joined(separator: "\n")
    }

    private func markdown(_ r: FitReport, _ best: DistributionFit) -> String {
        var md = "# Distribution fit: \(file), column '\(column)'\n\n\(dataLine(r)).\n\n"
        md += "| " + Self.header.map { $0.prefix(1) + $0.dropFirst().lowercased() }.joined(separator: " | ") + " |\n"
        md += "|" + String(repeating: " --- |", count: Self.header.count) + "\n"
        for row in rows(r) { md += "| " + row.joined(separator: " | ") + " |\n" }
        md += "\n\(verdict(r, best))\n\n```yaml\nvalue: \(best.snippet)\nassumption: \"\(assumption(r, best))\"\n```\n\n"
        md += "Each family's parameters maximise the likelihood of the data (method per family in fit.json). "
        md += "AIC = 2k − 2 ln L and BIC = k ln n − 2 ln L, with k parameters and n observations: lower is better, and a difference "
        md += "above about 10 is decisive. \(Self.ksCaveat)\n"
        if let s = skippedLine(r) { md += "\n\(s)\n" }
        md += "\nReproduce with `dealcast fit \(file) --column \(column)\(unit.map { " --unit '\($0)'" } ?? "")\(families.map { " --families \($0)" } ?? "")` (dealcast \(Dealcast.version)).\n"
        return md
    }

    private func json(_ r: FitReport) -> JSONValue {
        let bestAIC = r.fits.first?.aic ?? 0, bestBIC = r.bestByBIC?.bic ?? 0
        let bicRank = r.fits.sorted { $0.bic < $1.bic }.map(\.family)
        var top: [(String, JSONValue)] = [("schema_version", .number(1)), ("dealcast_version", .string(Dealcast.version))]
        if let g = BuildInfo.gitCommit { top.append(("git_commit", .string(g))) }
        top += [
            ("data", .object([
                ("file", .string(file)), ("column", .string(column)), ("unit", .string(unit ?? "")),
                ("canonical_unit", .string(r.unit.dimension.rawValue)), ("n", .number(Double(r.n))),
                ("mean", .number(r.mean)), ("sd", .number(r.sd)), ("min", .number(r.min)), ("max", .number(r.max)),
            ])),
            ("fits", .array(r.fits.enumerated().map { i, f in
                .object([
                    ("family", .string(f.family.rawValue)), ("rank_aic", .number(Double(i + 1))),
                    ("rank_bic", .number(Double((bicRank.firstIndex(of: f.family) ?? 0) + 1))),
                    ("parameters", .object(f.parameters.map { ($0.name, .number($0.value)) })),
                    ("parameter_count", .number(Double(f.family.parameterCount))),
                    ("log_likelihood", .number(f.logLikelihood)), ("aic", .number(f.aic)), ("delta_aic", .number(f.aic - bestAIC)),
                    ("akaike_weight", .number(f.akaikeWeight)), ("bic", .number(f.bic)), ("delta_bic", .number(f.bic - bestBIC)),
                    ("ks_d", .number(f.ks.d)), ("ks_p_value", .number(f.ks.pValue)),
                    ("method", .string(f.method)), ("converged", .bool(f.converged)), ("snippet", .string(f.snippet)),
                ])
            })),
            ("skipped", .array(r.skipped.map { .object([("family", .string($0.family.rawValue)), ("reason", .string($0.reason))]) })),
        ]
        return .object(top)
    }
}
