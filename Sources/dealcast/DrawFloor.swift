import ArgumentParser
import DealcastCore
import Foundation

/// `dealcast draw-floor`: times drawing a run's input variates and nothing else, for `make bench`
/// (bench/README.md). Hidden from the help: it is a measuring tool, not an analysis.
struct DrawFloorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draw-floor",
        abstract: "Time drawing the run's input variates with the run's generator and threads, doing nothing else.",
        discussion: """
            Binds the scenario as 'run' does, then draws every uncertain input for every trial in blocks, \
            on the same threads and from the same seeded streams as the engine, with GSL's direct samplers. \
            Prints one JSON line: trials, threads, variates, seconds, checksum. The modules' own draws and \
            the sampling design are not counted (bench/README.md).
            """,
        shouldDisplay: false
    )

    @OptionGroup var scenario: ScenarioArgument

    @Option(help: "Number of Monte Carlo trials.")
    var trials: Int = 100_000

    @Option(help: "Seed of every random stream.")
    var seed: UInt64 = 42

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "GSL generator: \(GeneratorKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var rng: GeneratorKind = .taus2

    @Option(help: "Comma-separated module ids whose inputs are drawn (their dependencies are added). Default: the scenario's list, or all.")
    var modules: String?

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1, got \(trials)") }
        guard trials <= Run.maxTrials else { throw ValidationError("--trials is limited to \(Run.maxTrials), got \(trials)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        try exiting {
            let plan = try RunPlan(scenario: try scenario.load(), registry: try Dealcast.registry(), selection: modules.map(splitList))
            let config = RunConfiguration(trials: trials, seed: seed, threads: threads, generator: rng)
            let m = DrawFloor.run(plan: plan, config: config)
            print(#"{"trials": \#(trials), "threads": \#(threads), "rng": "\#(rng.rawValue)", "variates": \#(m.variates), "seconds": \#(m.seconds), "checksum": \#(m.checksum)}"#)
        }
    }
}
