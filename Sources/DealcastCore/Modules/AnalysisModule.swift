/// What a module publishes: one number per trial.
public struct MetricSpec: Sendable, Equatable {
    public enum Kind: String, Sendable { case continuous, event }

    /// Name within the module; the full key is `<module>.<name>`.
    public let name: String
    /// Unit of the values, e.g. "USD", "1", "years", "GW". Events use "probability".
    public let unit: String
    public let kind: Kind
    /// One line that an analyst reads in the report.
    public let summary: String
    /// If not nil, a trial may leave this metric undefined (NaN), and this says why
    /// (e.g. "cash flows never change sign"). Undefined trials are counted and reported, and
    /// statistics are over the defined ones. If nil, a non-finite value stops the run.
    public let undefinedMeaning: String?
    /// A headline metric: the number the module exists to answer. The report leads with headline
    /// metrics and shows what drives them. The run keeps headline metrics' trials in double precision
    /// and the others' in single (their mean, standard deviation and range stay exact; docs/engine.md,
    /// "What a run keeps"), unless no module marks a headline metric, when every metric is exact.
    public let headline: Bool
    /// If not empty, the metric is, in every trial, the signed sum of these metrics (a value bridge),
    /// which the report draws as a waterfall. Each term is a metric the module publishes or reads.
    public let bridge: [BridgeTerm]

    public init(_ name: String, unit: String, kind: Kind = .continuous, summary: String, undefinedMeaning: String? = nil, headline: Bool = false,
                bridge: [BridgeTerm] = []) {
        self.name = name
        self.unit = kind == .event ? "probability" : unit
        self.kind = kind
        self.summary = summary
        self.undefinedMeaning = undefinedMeaning
        self.headline = headline
        self.bridge = bridge
    }
}

/// One step of a value bridge: another metric, added or subtracted.
public struct BridgeTerm: Sendable, Equatable {
    /// Full key (`<module>.<metric>`) of the metric.
    public let metric: String
    /// +1 when the metric is added, −1 when it is subtracted.
    public let sign: Double

    public static func plus(_ metric: String) -> BridgeTerm { BridgeTerm(metric: metric, sign: 1) }
    public static func minus(_ metric: String) -> BridgeTerm { BridgeTerm(metric: metric, sign: -1) }
}

/// What a module publishes per period: one number per trial and period.
public struct SeriesSpec: Sendable, Equatable {
    public enum Frequency: String, Sendable { case annual, quarterly }

    public let name: String
    public let unit: String
    public let frequency: Frequency
    public let summary: String

    public init(_ name: String, unit: String, frequency: Frequency, summary: String) {
        self.name = name
        self.unit = unit
        self.frequency = frequency
        self.summary = summary
    }
}

/// A module's static description: who it is, what it reads from other modules, what it publishes.
/// The scenario inputs it reads are declared when it binds them (`AnalysisModule.bind`).
public struct ModuleDescriptor: Sendable {
    public let id: String
    public let version: String
    public let summary: String
    /// Full keys (`<module>.<metric>`) of other modules' metrics that this module reads.
    public let reads: [String]
    public let metrics: [MetricSpec]
    public let series: [SeriesSpec]

    public init(id: String, version: String, summary: String, reads: [String] = [], metrics: [MetricSpec], series: [SeriesSpec] = []) {
        self.id = id
        self.version = version
        self.summary = summary
        self.reads = reads
        self.metrics = metrics
        self.series = series
    }

    public func key(_ metric: String) -> String { "\(id).\(metric)" }
}

/// An analysis module: a piece of the deal's economics that turns sampled inputs into metrics.
///
/// ## Implementation requirements
///
/// - **Declare, then bind.** `descriptor` lists the metrics and series the module publishes and the
///   other modules' metrics it reads. `bind(_:)` reads the module's scenario inputs through the
///   `ScenarioBinder`, which checks each one's dimension and range and records every problem;
///   it returns an evaluator that holds everything computed once per run (calibrations, tables).
/// - **Evaluate whole blocks.** `ModuleEvaluator.evaluate(_:)` fills every declared metric and series
///   for every trial of the block, from columns of inputs and of earlier modules' metrics. It must not
///   allocate per trial.
/// - **Determinism.** The only randomness a module may use is `block.stream`, a GSL generator that the
///   engine seeds from (run seed, block index, module id). Given the same block, `evaluate` must write
///   the same numbers, on any thread. No clocks, no global state, no `Double.random`.
/// - **Units.** Inputs arrive in canonical units (USD, GW, USD/MWh, USD/GW, years, plain ratios);
///   metrics are published in the unit their spec names.
/// - **No I/O.** A module never prints, never reads or writes files, never touches the network. Data
///   files named in the scenario are read in `bind` through the binder, which locates errors.
/// - **Finite output.** A non-finite value stops the run with the module, metric and trial named,
///   unless the metric declares `undefinedMeaning`.
///
/// `ModuleConformance.check` (in DealcastTestSupport) runs these rules against any module; the test
/// suite applies it to every registered module.
public protocol AnalysisModule: Sendable {
    var descriptor: ModuleDescriptor { get }

    /// Reads and checks the module's scenario inputs, and prepares what evaluation needs.
    func bind(_ binder: ScenarioBinder) throws -> any ModuleEvaluator
}

/// The prepared, per-run form of a module. Shared by all worker threads, so it must be immutable.
public protocol ModuleEvaluator: Sendable {
    /// Fills the module's metrics and series for every trial of `block`.
    func evaluate(_ block: BlockContext) throws

    /// The period labels of a series, when they are not the horizon's years or quarters
    /// (e.g. a backtest over past quarters). Nil means the horizon's. An empty list means the
    /// series is not produced in this run.
    func periods(of series: String) -> [String]?

    /// Tables computed after the run from its results (e.g. a backtest's coverage), shown in the
    /// module's section of the report and in results.json. Must be deterministic.
    func tables(_ results: RunResults) -> [ModuleTable]

    /// Observed values of a series (e.g. reported revenue before the horizon), which the report
    /// draws beside the forecast. Nil when the module has none. Must be deterministic.
    func actuals(of series: String) -> SeriesActuals?
}

extension ModuleEvaluator {
    public func periods(of series: String) -> [String]? { nil }
    public func tables(_ results: RunResults) -> [ModuleTable] { [] }
    public func actuals(of series: String) -> SeriesActuals? { nil }
}

/// A small table a module adds to its report section, with a caption saying what it shows.
public struct ModuleTable: Sendable, Equatable {
    public let title: String
    public let caption: String
    public let header: [String]
    public let rows: [[String]]

    public init(title: String, caption: String, header: [String], rows: [[String]]) {
        self.title = title
        self.caption = caption
        self.header = header
        self.rows = rows
    }
}
