import ArgumentParser
import DealcastCore
import DealcastDatasets
import DealcastReport
import Foundation

extension GeneratorKind: ExpressibleByArgument {}
extension SamplingMethod: ExpressibleByArgument {}
extension CorrelationMethod: ExpressibleByArgument {}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and write report.md and results.json.",
        discussion: "Same scenario, seed, generator and sampling give the same numbers at any --threads."
    )

    @OptionGroup var scenario: ScenarioArgument

    @Option(help: "Number of Monte Carlo trials (with --precision: of the first stage).")
    var trials: Int = 100_000

    @Option(help: ArgumentHelp("Run until the 95% confidence interval of every headline metric's mean is within ±X of it (relative half-width, e.g. 0.01 for ±1%), or until --max-trials. See docs/engine.md, \"Convergence\".", valueName: "X"))
    var precision: Double?

    @Option(help: ArgumentHelp("With --precision: the most trials the run may reach (default \(Run.defaultMaxTrials)).", valueName: "N"))
    var maxTrials: Int?

    @Option(help: "Seed of every random stream of the run.")
    var seed: UInt64 = 42

    @Option(help: "Worker threads (default: all cores). Does not change any result.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "GSL generator: \(GeneratorKind.allCases.map(\.rawValue).joined(separator: ", ")). See docs/engine.md.")
    var rng: GeneratorKind = .taus2

    @Option(help: "How inputs are drawn: \(SamplingMethod.allCases.map(\.rawValue).joined(separator: ", ")). See docs/sampling.md.")
    var sampling: SamplingMethod = .lhs

    @Option(help: "How the scenario's rank correlations are imposed: iman-conover (rearranges the draws, keeping each input's values) or copula (Gaussian copula). See docs/sampling.md.")
    var correlation: CorrelationMethod = .imanConover

    @Flag(help: "When the scenario's rank correlations are not positive semi-definite, use the nearest valid matrix (and report how far it moved) instead of stopping.")
    var repairCorrelations = false

    @Option(help: "Comma-separated module ids to run (their dependencies are added). Default: the scenario's list, or all.")
    var modules: String?

    @Option(help: "Output folder (default: reports/<scenario-id>/).")
    var out: String?

    @Option(help: "Calibrate the cloud revenue baseline on history up to this quarter only (e.g. 2021Q4) and report a backtest.")
    var historyCutoff: String?

    @Flag(help: "Do not print progress.")
    var quiet = false

    @Option(help: ArgumentHelp("Run only shard I of N (I from 0 to N-1): a contiguous range of the run's blocks. Needs --partial; merge the partials with 'dealcast merge'. See docs/scaling.md.", valueName: "I/N"))
    var shard: String?

    @Option(help: ArgumentHelp("Where a shard run writes its partial result, instead of a report.", valueName: "file"))
    var partial: String?

    @OptionGroup var plugins: PluginOptions

    @Option(help: ArgumentHelp("Outputs to write, comma-separated: md (report.md and charts/*.svg), json (results.json), html (report.html, self-contained). Default: md,json.", valueName: "list"))
    var format: String = "md,json"

    @Option(help: ArgumentHelp("Also write every trial's uncertain inputs and metrics to this CSV file, streamed (docs/report.md).", valueName: "file.csv"))
    var samples: String?

    @Flag(help: "Also estimate the first-order and total Sobol indices of every headline metric, with bootstrap intervals; costs --sobol-samples × (uncertain inputs + 2) evaluations. See docs/sensitivity.md.")
    var sobolIndices = false

    @Option(help: ArgumentHelp("With --sobol-indices: rows of each Sobol input matrix, rounded up to whole blocks of 4096 (default \(SobolIndices.defaultSamples), at most \(SobolIndices.maxSamples)).", valueName: "N"))
    var sobolSamples: Int?

    /// Most trials accepted: the store keeps every trial of every metric and series in memory.
    static let maxTrials = 50_000_000
    /// `--max-trials` when --precision is given without it.
    static let defaultMaxTrials = 1_000_000

    /// The precision target asked for, if any.
    var precisionTarget: PrecisionTarget? {
        precision.map { PrecisionTarget(relativeHalfWidth: $0, maxTrials: maxTrials ?? max(trials, Self.defaultMaxTrials)) }
    }

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1, got \(trials)") }
        guard trials <= Self.maxTrials else { throw ValidationError("--trials is limited to \(Self.maxTrials), got \(trials)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let p = precision {
            guard p > 0 && p < 1 else { throw ValidationError("--precision expects a relative half-width between 0 and 1 (0.01 for ±1%), got \(p)") }
            guard shard == nil else { throw ValidationError("--precision does not apply to a shard run: the run decides how many trials to add from its statistics, which a shard does not have") }
        }
        if let m = maxTrials {
            guard precision != nil else { throw ValidationError("--max-trials applies only with --precision; use --trials for a fixed number of trials") }
            guard m >= trials else { throw ValidationError("--max-trials (\(m)) must be at least --trials (\(trials)), the first stage of a --precision run") }
            guard m <= Self.maxTrials else { throw ValidationError("--max-trials is limited to \(Self.maxTrials), got \(m)") }
        }
        if let c = historyCutoff, Quarter(c) == nil { throw ValidationError("--history-cutoff expects a quarter such as 2021Q4, got '\(c)'") }
        do { _ = try OutputFormat.parse(format) } catch { throw ValidationError(error.message) }
        if samples != nil && shard != nil { throw ValidationError("--samples does not apply to a shard run, which writes only its partial result") }
        do { try SobolIndices.checkOptions(requested: sobolIndices, samples: sobolSamples, shard: shard != nil) } catch { throw ValidationError(error.message) }
        switch (shard, partial) {
        case (nil, nil): break
        case (.some, nil): throw ValidationError("--shard needs --partial FILE: a shard run writes a partial result, which 'dealcast merge' turns into the report")
        case (nil, .some): throw ValidationError("--partial needs --shard I/N (--shard 0/1 runs every block as one shard)")
        case (.some(let text), .some):
            guard out == nil else { throw ValidationError("--out does not apply to a shard run, which writes only its partial result; give --out to 'dealcast merge'") }
            let blockSize = RunConfiguration.defaultBlockSize
            do { try ShardSpec(parsing: text).check(blocks: (trials + blockSize - 1) / blockSize, trials: trials, blockSize: blockSize) } catch {
                throw ValidationError(error.message)
            }
        }
    }

    func run() throws {
        let interrupt = InterruptHandler()
        interrupt.install()
        try exiting {
            let s = try scenario.load()
            var options: [String: String] = [:]
            if let c = historyCutoff { options["history-cutoff"] = Quarter(c)!.description }
            let loaded = try plugins.load()
            let plan = try RunPlan(scenario: s, registry: try Dealcast.registry(plugins: loaded), selection: modules.map(splitList), options: options,
                                   repairCorrelations: repairCorrelations)
            let config = RunConfiguration(trials: trials, seed: seed, threads: threads, generator: rng, sampling: sampling, correlation: correlation)
            for note in samplingNotes(plan) { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            let progress = quiet ? nil : ProgressLine.makeIfTerminal()
            if let shard, let partial {
                return try runShard(try ShardSpec(parsing: shard), to: partial, plan: plan, config: config, options: options, plugins: loaded,
                                    progress: progress, interrupt: interrupt)
            }
            try MemoryEstimate(plan: plan, trials: precisionTarget?.maxTrials ?? trials, threads: threads).check()
            let results: RunResults
            do throws(DealcastError) {
                if let target = precisionTarget {
                    results = try Engine.run(plan, config, precision: target, progress: progress?.update, cancellation: interrupt.flag)
                } else {
                    results = try Engine.run(plan, config, progress: progress?.update, cancellation: interrupt.flag)
                }
            } catch {
                throw error.code == .interrupted ? InterruptHandler.error : error
            }
            progress?.finish()
            if let outcome = results.precision { FileHandle.standardError.write(Data("note: \(ConvergenceReport.sentence(outcome))\n".utf8)) }
            if sobolIndices {
                do throws(DealcastError) { try results.computeSobolIndices(samples: sobolSamples ?? SobolIndices.defaultSamples, cancellation: interrupt.flag) } catch {
                    throw error.code == .interrupted ? InterruptHandler.error : error
                }
            }
            var manifest = RunManifest(results: results, version: Dealcast.version, gitCommit: BuildInfo.gitCommit, options: options)
            manifest.plugins = loaded.map {
                .init(id: $0.descriptor.id, version: $0.descriptor.version, path: $0.path, sha256: $0.sha256, abiVersion: $0.abiVersion)
            }
            let outPath = out ?? "reports/\(s.id)"
            let files = try writeOutputs(results, manifest: manifest, outPath: outPath, format: format, samples: samples, interrupt: interrupt)
            print("Wrote \(files): \(results.config.trials) trials in \(UnitFormat.fixed(results.wallSeconds, 2)) s")
        }
    }
}

extension Run {
    /// What the command line should know before the run: a Sobol fallback, a repaired correlation matrix.
    func samplingNotes(_ plan: RunPlan) -> [String] {
        var notes: [String] = []
        let design = SamplingDesign(inputs: plan.inputs, method: sampling)
        if !design.latinHypercubeFallback.isEmpty {
            notes.append("--sampling sobol draws the first \(design.sobolInputs.count) uncertain inputs from the Sobol sequence (GSL's limit is \(SamplingDesign.sobolDimensionLimit)); the other \(design.latinHypercubeFallback.count) use Latin hypercube sampling (listed in the report)")
        }
        if let c = plan.correlation, c.repaired {
            let why = c.writtenIsInvalid
                ? "the scenario's rank correlations are not positive semi-definite (smallest eigenvalue \(UnitFormat.fixed(c.smallestEigenvalue, 4))); --repair-correlations uses the nearest valid matrix"
                : "the scenario's rank correlations are valid but on the edge of validity; the nearest matrix that normal scores can carry is used"
            notes.append("\(why), \(UnitFormat.fixed(c.repairDistance, 4)) away (Frobenius distance; every pair is in the report)")
        }
        return notes
    }

    /// Runs one shard of the run and writes its partial result; no report (docs/scaling.md).
    func runShard(_ spec: ShardSpec, to path: String, plan: RunPlan, config: RunConfiguration, options: [String: String],
                  plugins loaded: [PluginModule], progress: ProgressLine?, interrupt: InterruptHandler) throws(DealcastError) {
        try spec.checkMemory(plan, config)
        let result: ShardResult
        do throws(DealcastError) { result = try Engine.runShard(plan, config, shard: spec, progress: progress?.update, cancellation: interrupt.flag) } catch {
            throw error.code == .interrupted ? InterruptHandler.error : error
        }
        progress?.finish()
        let origin = ShardResult.Origin(dealcastVersion: Dealcast.version, scenarioBytes: try scenario.bytes(),
                                        moduleSelection: modules.map(splitList), options: options, plugins: loaded)
        let url = URL(fileURLWithPath: path)
        interrupt.willWrite(to: [url.deletingLastPathComponent()])
        // Not under `interrupt.commit`: a SIGINT while the partial is written must remove it, not wait for it.
        if interrupt.flag.isCancelled { throw InterruptHandler.error }
        try result.write(to: url, displayPath: path, origin: origin)
        let b = result.blocks, t = result.trials
        print("Shard \(spec) (blocks \(b.lowerBound)–\(b.upperBound - 1) of \(config.blocks), trials \(t.lowerBound + 1)–\(t.upperBound) of \(config.trials)) written to \(path) in \(UnitFormat.fixed(result.wallSeconds, 2)) s; merge the shards with 'dealcast merge'")
    }
}

extension ScenarioArgument {
    /// The scenario file's bytes, read again to be stored in a shard's partial result.
    func bytes() throws(DealcastError) -> Data {
        let url = scenario.map { URL(fileURLWithPath: $0) } ?? BundledDatasets.defaultScenario
        do { return try Data(contentsOf: url) } catch {
            throw DealcastError(.inputMissing, "\(scenario ?? "the embedded default scenario"): cannot read the file again to store it in the partial result")
        }
    }
}

/// A one-line progress bar on stderr, shown only on a terminal and only once a run has taken a second.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let start = Date()
    private var shown = false
    private var last = -1

    static func makeIfTerminal() -> ProgressLine? { isatty(STDERR_FILENO) != 0 ? ProgressLine() : nil }

    func update(_ done: Int, _ total: Int) {
        lock.lock(); defer { lock.unlock() }
        guard Date().timeIntervalSince(start) > 1 else { return }
        let pct = done * 100 / max(1, total)
        guard pct != last else { return }
        last = pct
        shown = true
        let bar = String(repeating: "#", count: pct / 5) + String(repeating: " ", count: 20 - pct / 5)
        FileHandle.standardError.write(Data("\r[\(bar)] \(pct)% (\(done)/\(total) blocks)".utf8))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Facts about the build, read from the source checkout when there is one.
enum BuildInfo {
    /// The commit of the checkout dealcast was built from, read from .git without running git: the
    /// nearest folder above this source file that holds a `.git` folder (or a `.git` file pointing to
    /// one, as in a worktree).
    static let gitCommit: String? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        var found: URL?
        while dir.path != "/" && found == nil {
            let candidate = dir.appendingPathComponent(".git")
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder) {
                if isFolder.boolValue {
                    found = candidate
                } else if let text = try? String(contentsOf: candidate, encoding: .utf8), text.hasPrefix("gitdir: ") {
                    let target = text.dropFirst(8).trimmingCharacters(in: .whitespacesAndNewlines)
                    found = target.hasPrefix("/") ? URL(fileURLWithPath: target) : dir.appendingPathComponent(target)
                }
            }
            dir.deleteLastPathComponent()
        }
        guard let git = found else { return nil }
        guard let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref: ") else { return String(head.prefix(12)) }
        let ref = String(head.dropFirst(5))
        if let sha = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) { return String(sha.prefix(12)) }
        if let packed = try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8) {
            for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) { return String(line.prefix(12)) }
        }
        return nil
    }()
}
