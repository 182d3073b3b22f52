import ArgumentParser
import DealcastCore
import DealcastDatasets
import DealcastReport
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two scenarios, or a scenario and its variant, trial by trial with common random numbers.",
        discussion: """
            dealcast compare A.yaml B.yaml compares two files; dealcast compare FILE.yaml --variant NAME compares FILE \
            with one of the variants its 'variants:' section declares (give --variant twice to compare two variants). \
            Without a file, the embedded default scenario is used. Both sides run with the same seed, so every input \
            they share draws the same numbers in the same trial, and the report shows the distribution of B − A for \
            every shared metric. Writes compare.md and compare.json. See docs/compare.md.
            """
    )

    @Argument(help: "Scenario A, then scenario B (YAML or JSON). With --variant, one file (or none: the embedded default).")
    var scenarios: [String] = []

    @Option(name: .customLong("variant"), help: ArgumentHelp("A variant declared in the scenario's 'variants:' section: B is the scenario with it applied. Give it twice to compare two variants (A = the first).", valueName: "name"))
    var variants: [String] = []

    @Option(help: "Number of Monte Carlo trials of each side.")
    var trials: Int = 100_000

    @Option(help: "Seed of every random stream of both sides.")
    var seed: UInt64 = 42

    @Option(help: "Seed for side B only (default: --seed). A different seed makes the runs independent, which only shows what common random numbers buy.")
    var seedB: UInt64?

    @Option(help: "Worker threads (default: all cores). Does not change any result.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "GSL generator: \(GeneratorKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var rng: GeneratorKind = .taus2

    @Option(help: "How inputs are drawn: \(SamplingMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var sampling: SamplingMethod = .lhs

    @Option(help: "Comma-separated module ids to run on both sides (their dependencies are added). Default: each scenario's list, or all.")
    var modules: String?

    @Option(help: "Output folder (default: reports/compare-<a>-vs-<b>/).")
    var out: String?

    @Option(help: "Calibrate the cloud revenue baseline on history up to this quarter only (e.g. 2021Q4), on both sides.")
    var historyCutoff: String?

    @Flag(help: "Do not print progress.")
    var quiet = false

    @OptionGroup var plugins: PluginOptions

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1, got \(trials)") }
        guard trials <= Run.maxTrials / 2 else { throw ValidationError("--trials is limited to \(Run.maxTrials / 2) for a comparison (two runs in memory), got \(trials)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let c = historyCutoff, Quarter(c) == nil { throw ValidationError("--history-cutoff expects a quarter such as 2021Q4, got '\(c)'") }
        switch (scenarios.count, variants.count) {
        case (2, 0), (0, 1), (0, 2), (1, 1), (1, 2): break
        case (2, _): throw ValidationError("--variant applies to one scenario file; to compare two files, leave --variant out")
        case (1, 0): throw ValidationError("give a second scenario file to compare with, or --variant NAME to compare '\(scenarios[0])' with one of its variants")
        case (0, 0): throw ValidationError("give two scenario files, or a scenario and --variant NAME")
        case (_, 3...): throw ValidationError("--variant can be given at most twice, got \(variants.count)")
        default: throw ValidationError("compare takes at most two scenario files, got \(scenarios.count)")
        }
    }

    func run() throws {
        try exiting {
            var options: [String: String] = [:]
            if let c = historyCutoff { options["history-cutoff"] = Quarter(c)!.description }
            let (a, b) = try sides()
            let registry = try Dealcast.registry(plugins: try plugins.load())
            let selection = modules.map(splitList)
            let planA = try RunPlan(scenario: a.scenario, registry: registry, selection: selection, options: options)
            let planB = try RunPlan(scenario: b.scenario, registry: registry, selection: selection, options: options)
            let config = RunConfiguration(trials: trials, seed: seed, threads: threads, generator: rng, sampling: sampling)
            var configB = config
            configB.seed = seedB ?? seed
            let progress = quiet ? nil : ProgressLine.makeIfTerminal()
            let resultsA = try Engine.run(planA, config) { done, total in progress?.update(done, 2 * total) }
            let resultsB = try Engine.run(planB, configB) { done, total in progress?.update(total + done, 2 * total) }
            progress?.finish()
            var labelA = a.label, labelB = b.label
            if labelA == labelB { labelA += "-a"; labelB += "-b" }
            let sideA = CompareSide(label: labelA, results: resultsA, variant: a.variant)
            let sideB = CompareSide(label: labelB, results: resultsB, variant: b.variant)
            let comparison = Comparison.of(resultsA, resultsB)
            let manifest = CompareManifest(dealcastVersion: Dealcast.version, gitCommit: BuildInfo.gitCommit, command: command(), options: options)
            let outPath = out ?? "reports/compare-\(labelA)-vs-\(labelB)"
            var writer = try OutputWriter(directory: URL(fileURLWithPath: outPath), displayPath: outPath)
            try writer.stage("compare.md", CompareReport.markdown(comparison, a: sideA, b: sideB, manifest: manifest))
            try writer.stage("compare.json", CompareReport.json(comparison, a: sideA, b: sideB, manifest: manifest).rendered())
            try writer.commit()
            summarise(comparison, labelA, labelB, outPath)
        }
    }

    /// The scenario (and variant) of each side.
    private func sides() throws(DealcastError) -> ((label: String, scenario: Scenario, variant: ScenarioVariant?),
                                                   (label: String, scenario: Scenario, variant: ScenarioVariant?)) {
        if scenarios.count == 2 {
            let a = try load(scenarios[0]), b = try load(scenarios[1])
            var labels = (a.id, b.id)
            if labels.0 == labels.1 {
                labels = (ScenarioVariant.slug(URL(fileURLWithPath: scenarios[0]).deletingPathExtension().lastPathComponent),
                          ScenarioVariant.slug(URL(fileURLWithPath: scenarios[1]).deletingPathExtension().lastPathComponent))
            }
            return ((labels.0, a, nil), (labels.1, b, nil))
        }
        let base: Scenario
        if let path = scenarios.first { base = try load(path) } else { base = try loadDefault() }
        let vb = try base.variant(named: variants[variants.count - 1])
        let b = (vb.slug, try base.applying(vb), Optional(vb))
        guard variants.count == 2 else { return ((base.id, base, nil), b) }
        let va = try base.variant(named: variants[0])
        return ((va.slug, try base.applying(va), va), b)
    }

    private func load(_ path: String) throws(DealcastError) -> Scenario {
        try ScenarioLoader.load(url: URL(fileURLWithPath: path), displayPath: path)
    }

    private func loadDefault() throws(DealcastError) -> Scenario {
        try ScenarioLoader.load(url: BundledDatasets.defaultScenario,
                                displayPath: "datasets/\(BundledDatasets.defaultScenarioID).yaml (embedded default)")
    }

    /// The command line that reproduces this comparison.
    private func command() -> String {
        var c = "dealcast compare"
        for s in scenarios { c += " " + quoted(s) }
        for v in variants { c += " --variant " + quoted(v) }
        c += " --trials \(trials) --seed \(seed)"
        if let s = seedB, s != seed { c += " --seed-b \(s)" }
        c += " --rng \(rng.rawValue) --sampling \(sampling.rawValue)"
        if let m = modules { c += " --modules " + quoted(m) }
        if let h = historyCutoff { c += " --history-cutoff \(h)" }
        for p in plugins.paths { c += " --plugin " + quoted(p) }
        return c
    }

    private func quoted(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "-_./,".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A few lines on stdout: where the report is, and the headline differences.
    private func summarise(_ c: Comparison, _ a: String, _ b: String, _ outPath: String) {
        if (seedB ?? seed) == seed, !c.differentlyDrawn.isEmpty {
            FileHandle.standardError.write(Data("warning: \(c.differentlyDrawn.count) of \(c.sharedUnchangedInputs) shared inputs drew different numbers on the two sides, so part of B − A is sampling noise (see compare.md and docs/compare.md)\n".utf8))
        }
        let changed = c.metrics.filter { !$0.identical }
        print("Comparison written to \(outPath)/compare.md (and compare.json): \(c.metrics.count) shared metrics, \(changed.count) differ between \(a) (A) and \(b) (B).")
        let shown = changed.filter(\.headline)
        guard !shown.isEmpty else { return }
        let rows = shown.map { m -> [String] in
            let f = { (v: Double) in ValueFormat.format(v, unit: m.unit) }
            let du = ["fraction", "probability", "share"].contains(m.unit) ? "pp" : m.unit
            let d = { (v: Double) in ValueFormat.format(v, unit: du) }
            return [m.key, f(m.a.mean), f(m.b.mean), d(m.difference.mean) + " ± " + CompareReport.unsigned(d(1.96 * m.stderrPaired)), UnitFormat.percent(m.probabilityBGreater)]
        }
        print(TextTable.render(["HEADLINE METRIC", "A MEAN", "B MEAN", "MEAN B − A", "P(B > A)"], rows))
    }
}
