internal import CDealcastPlugin

/// What a plugin says about its module, read from its C structs and checked member by member.
///
/// Every member the host relies on is checked here, once, when the plugin loads: a plugin that passes
/// cannot make the host read a NULL string, an array past its end or an unknown unit later.
struct PluginDescription: Sendable {
    struct Input: Sendable {
        let path: String
        let dimension: Dimension
        let constraint: ValueConstraint
        let summary: String
        /// The value used when the scenario has none, and why; nil when the scenario must give one.
        let fallback: (value: String, rationale: String)?
    }

    let id: String
    let version: String
    let summary: String
    let inputs: [Input]
    /// Full keys of other modules' metrics, in declared order.
    let reads: [String]
    let metrics: [MetricSpec]

    /// Upper bound on each of a plugin's lists, far above any real module, so that a garbage count is
    /// refused instead of read.
    static let maxItems = 4096

    /// - Throws: `DealcastError` (`.pluginUnusable`, exit 69) naming the file and the member at fault.
    init(reading p: dealcast_plugin, path: String) throws(DealcastError) {
        func unusable(_ what: String) -> DealcastError {
            DealcastError(.pluginUnusable, "\(path): not usable as a dealcast plugin: \(what)")
        }
        func text(_ s: UnsafePointer<CChar>?, _ member: String, empty: Bool = false) throws(DealcastError) -> String {
            guard let s else { throw unusable("\(member) is NULL") }
            guard let t = String(validatingCString: s) else { throw unusable("\(member) is not valid UTF-8") }
            guard empty || !t.isEmpty else { throw unusable("\(member) is empty") }
            return t
        }
        func list(_ count: UInt32, _ base: UnsafeRawPointer?, _ member: String) throws(DealcastError) -> Int {
            let n = Int(count)
            guard n <= Self.maxItems else { throw unusable("\(member)_count is \(n); at most \(Self.maxItems) are allowed") }
            guard n == 0 || base != nil else { throw unusable("\(member)_count is \(n) but \(member) is NULL") }
            return n
        }
        func isIdentifier(_ s: String) -> Bool {
            !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
        }

        let id = try text(p.id, "id")
        guard isIdentifier(id) else { throw unusable("its module id '\(id)' must be lowercase letters, digits and '_'") }
        guard !(Scenario.metadataKeys + ["deal"]).contains(id) else {
            throw unusable("its module id '\(id)' is reserved for the scenario's own '\(id)' key")
        }
        self.id = id
        version = try text(p.version, "version")
        summary = try text(p.description, "description")

        let inputCount = try list(p.input_count, UnsafeRawPointer(p.inputs), "input")
        if inputCount > 0 && Int(p.input_size) < PluginLibrary.Layout.input {
            throw unusable("input_size is \(p.input_size) bytes, but a dealcast_input of ABI version \(PluginLibrary.abiVersion) needs at least \(PluginLibrary.Layout.input)")
        }
        var inputs: [Input] = []
        for i in 0 ..< inputCount {
            let c: dealcast_input = PluginLibrary.copy(UnsafeRawPointer(p.inputs!) + i * Int(p.input_size), declaredSize: Int(p.input_size))
            let member = "inputs[\(i)]"
            let inputPath = try text(c.path, "\(member).path")
            guard !inputs.contains(where: { $0.path == inputPath }) else { throw unusable("\(member).path '\(inputPath)' is declared twice") }
            let unit = try text(c.unit, "\(member).unit")
            guard let dimension = Dimension(rawValue: unit) else {
                throw unusable("\(member) ('\(inputPath)') has unit '\(unit)'; expected one of \(Dimension.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let constraint: ValueConstraint
            switch c.constraint {
            case DEALCAST_ANY: constraint = .any
            case DEALCAST_POSITIVE: constraint = .positive
            case DEALCAST_NON_NEGATIVE: constraint = .nonNegative
            case DEALCAST_PROBABILITY: constraint = .probability
            case DEALCAST_RANGE:
                guard c.minimum.isFinite, c.maximum.isFinite, c.minimum < c.maximum else {
                    throw unusable("\(member) ('\(inputPath)') has the range [\(c.minimum), \(c.maximum)]; expected finite bounds with minimum < maximum")
                }
                constraint = .range(c.minimum, c.maximum)
            default:
                throw unusable("\(member) ('\(inputPath)') has constraint \(c.constraint); expected DEALCAST_ANY (0) to DEALCAST_RANGE (4)")
            }
            let summary = try text(c.summary, "\(member).summary")
            var fallback: (String, String)?
            if let d = c.default_value {
                let value = try text(d, "\(member).default_value")
                let rationale = try text(c.default_rationale, "\(member).default_rationale (required with a default_value)")
                try Self.checkDefault(value, dimension, constraint) { unusable("\(member) ('\(inputPath)') has the default '\(value)': \($0)") }
                fallback = (value, rationale)
            }
            inputs.append(Input(path: inputPath, dimension: dimension, constraint: constraint, summary: summary, fallback: fallback))
        }
        self.inputs = inputs

        let readCount = try list(p.read_count, UnsafeRawPointer(p.reads), "read")
        var reads: [String] = []
        for i in 0 ..< readCount {
            let key = try text(p.reads![i], "reads[\(i)]")
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, isIdentifier(String(parts[0])), isIdentifier(String(parts[1])) else {
                throw unusable("reads[\(i)] is '\(key)'; expected a metric key '<module>.<metric>'")
            }
            guard !reads.contains(key) else { throw unusable("reads[\(i)] '\(key)' is declared twice") }
            reads.append(key)
        }
        self.reads = reads

        let metricCount = try list(p.metric_count, UnsafeRawPointer(p.metrics), "metric")
        guard metricCount > 0 else { throw unusable("it declares no metrics (metric_count is 0)") }
        if Int(p.metric_size) < PluginLibrary.Layout.metric {
            throw unusable("metric_size is \(p.metric_size) bytes, but a dealcast_metric of ABI version \(PluginLibrary.abiVersion) needs at least \(PluginLibrary.Layout.metric)")
        }
        var metrics: [MetricSpec] = []
        for i in 0 ..< metricCount {
            let c: dealcast_metric = PluginLibrary.copy(UnsafeRawPointer(p.metrics!) + i * Int(p.metric_size), declaredSize: Int(p.metric_size))
            let member = "metrics[\(i)]"
            let name = try text(c.name, "\(member).name")
            guard isIdentifier(name) else { throw unusable("\(member).name '\(name)' must be lowercase letters, digits and '_'") }
            guard !metrics.contains(where: { $0.name == name }) else { throw unusable("\(member).name '\(name)' is declared twice") }
            let kind: MetricSpec.Kind
            switch c.kind {
            case DEALCAST_CONTINUOUS: kind = .continuous
            case DEALCAST_EVENT: kind = .event
            default: throw unusable("\(member) ('\(name)') has kind \(c.kind); expected DEALCAST_CONTINUOUS (0) or DEALCAST_EVENT (1)")
            }
            let unit = kind == .event ? "probability" : try text(c.unit, "\(member).unit")
            let summary = try text(c.summary, "\(member).summary")
            let undefined = c.undefined_meaning == nil ? nil : try text(c.undefined_meaning, "\(member).undefined_meaning")
            metrics.append(MetricSpec(name, unit: unit, kind: kind, summary: summary, undefinedMeaning: undefined, headline: c.headline != 0))
        }
        self.metrics = metrics
    }

    /// The module descriptor the host's registry and report use.
    var descriptor: ModuleDescriptor {
        ModuleDescriptor(id: id, version: version, summary: summary, reads: reads, metrics: metrics)
    }

    /// Checks a default value as the binder would check a scenario's, so that a plugin's own default
    /// can never be the cause of a scenario error.
    private static func checkDefault(_ text: String, _ dimension: Dimension, _ constraint: ValueConstraint,
                                     _ unusable: (String) -> DealcastError) throws(DealcastError) {
        let value: UncertainValue
        do { value = try DistributionParser.parse(text) } catch { throw unusable(error.message) }
        guard value.dimension == dimension else {
            throw unusable("it is in \(value.dimension.rawValue), but the input's unit is \(dimension.rawValue)")
        }
        let (lo, hi) = ScenarioBinder.support(value.distribution)
        guard constraint.admits(lo, hi) else { throw unusable("expected \(constraint.phrase(dimension))") }
    }
}
