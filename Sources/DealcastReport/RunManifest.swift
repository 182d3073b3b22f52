import DealcastCore

/// What identifies a run, printed in every report and in results.json so anyone can reproduce it.
public struct RunManifest: Sendable {
    public var dealcastVersion: String
    /// The git commit dealcast was built from, when known.
    public var gitCommit: String?
    public var scenarioPath: String
    public var scenarioSHA256: String
    public var trials: Int
    public var seed: UInt64
    public var generator: String
    public var sampling: String
    public var threads: Int
    public var shards: Int
    public var blockSize: Int
    public var wallSeconds: Double
    /// Module id → version, in run order.
    public var modules: [(String, String)]
    /// Run options such as the history cutoff.
    public var options: [(String, String)]

    public init(results: RunResults, version: String, gitCommit: String?, options: [String: String]) {
        dealcastVersion = version
        self.gitCommit = gitCommit
        scenarioPath = results.plan.scenario.displayPath
        scenarioSHA256 = results.plan.scenario.sha256
        trials = results.config.trials
        seed = results.config.seed
        generator = results.config.generator.gslName
        sampling = results.config.sampling.rawValue
        threads = results.config.threads
        shards = 1
        blockSize = results.config.blockSize
        wallSeconds = results.wallSeconds
        modules = results.plan.modules.map { ($0.id, $0.version) }
        self.options = options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The command that reproduces the run.
    public var command: String {
        var c = "dealcast run \(scenarioPath.hasSuffix("(embedded default)") ? "" : scenarioPath + " ")--trials \(trials) --seed \(seed) --rng \(generator) --sampling \(sampling)"
        for (k, v) in options { c += " --\(k) \(v)" }
        return c
    }
}
