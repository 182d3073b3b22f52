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
    /// `--correlation` and `--repair-correlations` as the run used them (empty when the scenario has no
    /// correlations or the run used the defaults).
    public var correlationFlags: [String] = []
    /// The plugin libraries loaded for the run (`--plugin`, `DEALCAST_PLUGIN_PATH`), in load order.
    public var plugins: [Plugin] = []

    /// A plugin library of the run: the module it provides and the exact file, so the run can be
    /// reproduced with the same code.
    public struct Plugin: Sendable {
        public var id: String
        public var version: String
        /// The file as given on the command line or in `DEALCAST_PLUGIN_PATH`.
        public var path: String
        /// SHA-256 of the file's bytes.
        public var sha256: String
        public var abiVersion: Int

        public init(id: String, version: String, path: String, sha256: String, abiVersion: Int) {
            self.id = id
            self.version = version
            self.path = path
            self.sha256 = sha256
            self.abiVersion = abiVersion
        }
    }

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
        if let c = results.plan.correlation {
            if results.config.correlation != .imanConover { correlationFlags += ["--correlation", results.config.correlation.rawValue] }
            if c.repairRequested { correlationFlags.append("--repair-correlations") }
        }
    }

    /// The command that reproduces the run.
    public var command: String {
        var c = "dealcast run \(scenarioPath.hasSuffix("(embedded default)") ? "" : scenarioPath + " ")--trials \(trials) --seed \(seed) --rng \(generator) --sampling \(sampling)"
        for f in correlationFlags { c += " " + f }
        for (k, v) in options { c += " --\(k) \(v)" }
        for p in plugins { c += " --plugin \(p.path)" }
        return c
    }
}
