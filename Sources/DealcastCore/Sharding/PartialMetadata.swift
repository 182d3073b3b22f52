import Foundation

/// What a partial result says about itself: the run it belongs to, the blocks it holds and the layout
/// of its columns. Stored as JSON in the partial file (docs/scaling.md, "The partial file").
public struct PartialMetadata: Codable, Sendable, Equatable {
    /// The scenario file of the run; its bytes follow the metadata in the file.
    public struct ScenarioFile: Codable, Sendable, Equatable {
        public var id: String
        /// The path shown to users, as the shard run was given it.
        public var path: String
        /// SHA-256 of the scenario's bytes.
        public var sha256: String
        public var bytes: Int
    }

    /// A data file the scenario read while binding; its bytes follow the scenario's.
    public struct Dataset: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String
        public var bytes: Int
    }

    /// The settings that, with the scenario, fix every number of the run.
    public struct Settings: Codable, Sendable, Equatable {
        public var trials: Int
        /// Decimal, so that any 64-bit seed survives JSON readers that hold numbers as doubles.
        public var seed: String
        public var sampling: String
        public var rng: String
        /// How rank correlations are imposed (`CorrelationMethod`), and whether an invalid matrix was
        /// to be repaired (`--repair-correlations`).
        public var correlation: String
        public var repairCorrelations: Bool
        public var blockSize: Int
        /// `--modules` as given (nil: the scenario's list, or all).
        public var moduleSelection: [String]?
        /// Run options the modules read, such as `history-cutoff`.
        public var options: [String: String]
    }

    public struct Module: Codable, Sendable, Equatable {
        public var id: String
        public var version: String
    }

    /// A plugin library the shard loaded.
    public struct Plugin: Codable, Sendable, Equatable {
        public var id: String
        public var version: String
        /// The file as the shard run was given it.
        public var path: String
        public var sha256: String
        public var abiVersion: Int
    }

    /// Which part of the run this partial holds.
    public struct Shard: Codable, Sendable, Equatable {
        public var index: Int
        public var count: Int
        /// Blocks [firstBlock, endBlock) of the run.
        public var firstBlock: Int
        public var endBlock: Int
        /// Trials [firstTrial, firstTrial + trials) of the run.
        public var firstTrial: Int
        public var trials: Int
    }

    /// What follows the embedded files (docs/scaling.md, "The partial file"): the metric columns, in
    /// this order, each `shard.trials` values long, in double precision or, for `singlePrecision`
    /// metrics, single; then the series cells' block statistics and histograms.
    public struct Columns: Codable, Sendable, Equatable {
        public struct Series: Codable, Sendable, Equatable {
            public var key: String
            /// A series holds one cell per period, period by period.
            public var periods: Int
        }

        /// Metric keys, `<module>.<metric>`.
        public var metrics: [String]
        /// The metrics kept in single precision (the others are in double precision).
        public var singlePrecision: [String]
        public var series: [Series]
        // The inputs' draws and the series' trial values are not stored: the merge replays them from
        // the run's seed when needed.

        /// Number of series cells (periods summed over the series).
        public var cells: Int { series.reduce(0) { $0 + $1.periods } }

        /// Columns with block statistics: the single-precision metrics and the cells.
        var summarised: Int { singlePrecision.count + cells }

        /// Bytes of one trial's metric values.
        var bytesPerTrial: Int { 8 * metrics.count - 4 * singlePrecision.count }
    }

    public var dealcastVersion: String
    public var scenario: ScenarioFile
    public var datasets: [Dataset]
    public var settings: Settings
    public var modules: [Module]
    public var plugins: [Plugin]
    public var shard: Shard
    public var columns: Columns
    /// For each series cell, in order, the bins its histogram holds (each written as a bin and a count).
    public var histogramBins: [Int]
    /// `--threads` of the shard run.
    public var threads: Int
    /// Seconds the shard spent drawing and evaluating its trials.
    public var wallSeconds: Double

    /// The fields every partial of one run must share, each with a name for messages and its value as
    /// text. The shard's own position, threads and timing are not among them, nor the column layout,
    /// which these fields determine (it is checked against the scenario when the partials are merged).
    var runIdentity: [(field: String, value: String)] {
        func list(_ xs: [String]) -> String { xs.isEmpty ? "(none)" : xs.joined(separator: ", ") }
        return [
            ("dealcast version", dealcastVersion),
            ("scenario SHA-256", scenario.sha256),
            ("trials", String(settings.trials)),
            ("seed", settings.seed),
            ("sampling", settings.sampling),
            ("generator (--rng)", settings.rng),
            ("correlation method", settings.correlation),
            ("--repair-correlations", String(settings.repairCorrelations)),
            ("block size", String(settings.blockSize)),
            ("--modules", settings.moduleSelection.map { list($0) } ?? "(not given)"),
            ("options", list(settings.options.sorted { $0.key < $1.key }.map { "--\($0.key) \($0.value)" })),
            ("modules", list(modules.map { "\($0.id) \($0.version)" })),
            ("plugins", list(plugins.map { "\($0.id) \($0.version) (SHA-256 \($0.sha256))" })),
            ("datasets", list(datasets.map { "\($0.name) (SHA-256 \($0.sha256))" })),
        ]
    }

    /// The metadata as JSON, keys sorted, so equal metadata gives equal bytes.
    func encoded() throws(DealcastError) -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(self) } catch {
            throw DealcastError(.internalError, "cannot encode a partial result's metadata: \(error)")
        }
    }

    /// Reads metadata written by `encoded()`; nil when the bytes are not such JSON.
    static func decode(_ data: Data) -> PartialMetadata? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(PartialMetadata.self, from: data)
    }
}
