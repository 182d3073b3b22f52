import ArgumentParser
import DealcastCore
import DealcastReport
import Foundation

extension GeneratorKind: ExpressibleByArgument {}
extension SamplingMethod: ExpressibleByArgument {}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and write report.md and results.json.",
        discussion: "Same scenario, seed, generator and sampling give the same numbers at any --threads."
    )

    @OptionGroup var scenario: ScenarioArgument

    @Option(help: "Number of Monte Carlo trials.")
    var trials: Int = 100_000

    @Option(help: "Seed of every random stream of the run.")
    var seed: UInt64 = 42

    @Option(help: "Worker threads (default: all cores). Does not change any result.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "GSL generator: \(GeneratorKind.allCases.map(\.rawValue).joined(separator: ", ")). See docs/engine.md.")
    var rng: GeneratorKind = .taus2

    @Option(help: "How inputs are drawn: \(SamplingMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var sampling: SamplingMethod = .lhs

    @Option(help: "Comma-separated module ids to run (their dependencies are added). Default: the scenario's list, or all.")
    var modules: String?

    @Option(help: "Output folder (default: reports/<scenario-id>/).")
    var out: String?

    @Option(help: "Calibrate the cloud revenue baseline on history up to this quarter only (e.g. 2021Q4) and report a backtest.")
    var historyCutoff: String?

    @Flag(help: "Do not print progress.")
    var quiet = false

    /// Most trials accepted: the store keeps every trial of every metric and series in memory.
    static let maxTrials = 50_000_000

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1, got \(trials)") }
        guard trials <= Self.maxTrials else { throw ValidationError("--trials is limited to \(Self.maxTrials), got \(trials)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let c = historyCutoff, Quarter(c) == nil { throw ValidationError("--history-cutoff expects a quarter such as 2021Q4, got '\(c)'") }
    }

    func run() throws {
        try exiting {
            let s = try scenario.load()
            var options: [String: String] = [:]
            if let c = historyCutoff { options["history-cutoff"] = Quarter(c)!.description }
            let plan = try RunPlan(scenario: s, registry: try Dealcast.registry(), selection: modules.map(splitList), options: options)
            let config = RunConfiguration(trials: trials, seed: seed, threads: threads, generator: rng, sampling: sampling)
            let progress = quiet ? nil : ProgressLine.makeIfTerminal()
            let results = try Engine.run(plan, config, progress: progress?.update)
            progress?.finish()
            let manifest = RunManifest(results: results, version: Dealcast.version, gitCommit: BuildInfo.gitCommit, options: options)
            let outPath = out ?? "reports/\(s.id)"
            var writer = try OutputWriter(directory: URL(fileURLWithPath: outPath), displayPath: outPath)
            try writer.stage("report.md", MarkdownReport.make(results, manifest: manifest))
            try writer.stage("results.json", ResultsJSON.make(results, manifest: manifest).rendered())
            try writer.commit()
            print("Report written to \(outPath)/report.md (and results.json): \(trials) trials in \(UnitFormat.fixed(results.wallSeconds, 2)) s")
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
    /// The commit of the checkout dealcast was built from, read from .git without running git.
    static let gitCommit: String? = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { dir.deleteLastPathComponent() }
        let git = dir.appendingPathComponent(".git")
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
