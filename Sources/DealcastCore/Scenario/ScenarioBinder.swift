import Foundation

/// Where an input's value comes from, as the scenario states it.
public struct Provenance: Sendable, Equatable {
    public enum Kind: String, Sendable { case source, assumption, unstated }
    public var kind: Kind
    /// The citation (for `.source`) or the rationale (for `.assumption`).
    public var text: String
    public var confidence: String?

    public static let unstated = Provenance(kind: .unstated, text: "", confidence: nil)
}

/// An uncertain (or fixed) scenario input that the engine samples once per trial.
public struct BoundInput: Sendable {
    /// Field path, e.g. `capex_return.capex_per_gw`.
    public let path: String
    public let value: UncertainValue
    /// The text as written in the scenario, e.g. "35B USD/GW to 50B USD/GW".
    public let written: String
    public let provenance: Provenance
    /// What the input means, from the first module that bound it.
    public let summary: String
    /// Ids of the modules that read it.
    public internal(set) var readers: [String]
}

/// A handle on a sampled input column, valid for the run that bound it.
public struct InputHandle: Sendable, Hashable {
    public let index: Int
}

/// A range check on an input's values.
public enum ValueConstraint: Sendable {
    case any, positive, nonNegative, probability
    case range(Double, Double)

    func admits(_ lo: Double, _ hi: Double) -> Bool {
        switch self {
        case .any: return true
        case .positive: return lo > 0
        case .nonNegative: return lo >= 0
        case .probability: return lo >= 0 && hi <= 1
        case .range(let a, let b): return lo >= a && hi <= b
        }
    }

    func phrase(_ d: Dimension) -> String {
        switch self {
        case .any: return d.phrase
        case .positive: return "a positive value: " + d.phrase
        case .nonNegative: return "a value ≥ 0: " + d.phrase
        case .probability: return "a probability between 0 and 1 (e.g. '0.3' or '30%')"
        case .range(let a, let b): return "a value between \(UnitFormat.format(a, d)) and \(UnitFormat.format(b, d)): " + d.phrase
        }
    }
}

/// Reads a scenario's inputs on behalf of modules, checking each one and collecting every problem.
///
/// A module asks for an input by field path, dimension and constraint. The binder parses it, checks
/// it, registers it as a column to sample (once, however many modules read it: modules that read the
/// same path see the same draw in every trial) and returns a handle. A problem is recorded, not
/// thrown, and a harmless placeholder returned, so that one validation pass reports every problem.
public final class ScenarioBinder {
    public let scenario: Scenario
    /// The module currently binding; set by the engine.
    public internal(set) var moduleID: String = ""
    public private(set) var issues: [ScenarioIssue] = []
    public private(set) var inputs: [BoundInput] = []
    private var indexByPath: [String: Int] = [:]
    /// Every path a module asked about, present or not (for "did you mean" on unknown keys).
    private(set) var requested: Set<String> = []

    /// Run options that modules may read, given on the command line (e.g. `history-cutoff` → "2021Q4").
    public let options: [String: String]

    public init(scenario: Scenario, options: [String: String] = [:]) {
        self.scenario = scenario
        self.options = options
    }

    /// Records a problem at `path`.
    public func issue(_ path: String, _ message: String) {
        let i = scenario.issue(path, message)
        if !issues.contains(i) { issues.append(i) }
    }

    /// Records a file the scenario names at `path` that cannot be read (exit 66 if nothing else is wrong).
    public func missingFile(_ path: String, _ error: DealcastError) {
        var i = scenario.issue(path, error.message)
        i.isMissingInput = error.code == .inputMissing
        if !issues.contains(i) { issues.append(i) }
    }

    /// True if the scenario has a node at `path`.
    public func has(_ path: String) -> Bool {
        requested.insert(path)
        if case .null? = scenario.node(at: path)?.kind { return false }
        return scenario.node(at: path) != nil
    }

    /// The node at `path`, unwrapping an annotated value (`{value: ..., source: ...}`).
    private func valueNode(_ path: String) -> ScenarioNode? {
        requested.insert(path)
        guard let n = scenario.node(at: path) else { return nil }
        if n.isMapping, let v = n["value"] { return v }
        return n
    }

    private func provenance(_ path: String) -> Provenance {
        guard let n = scenario.node(at: path), n.isMapping else { return .unstated }
        let confidence = n["confidence"]?.scalar?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let s = n["source"]?.scalar { return Provenance(kind: .source, text: s.trimmingCharacters(in: .whitespacesAndNewlines), confidence: confidence) }
        if let a = n["assumption"]?.scalar { return Provenance(kind: .assumption, text: a.trimmingCharacters(in: .whitespacesAndNewlines), confidence: confidence) }
        return .unstated
    }

    /// Binds an input that the engine samples every trial (fixed values are allowed and cost nothing
    /// extra). Modules that bind the same path share its draws.
    public func input(_ path: String, _ dimension: Dimension, _ constraint: ValueConstraint = .any, summary: String) -> InputHandle {
        if let i = indexByPath[path] {
            if !inputs[i].readers.contains(moduleID) { inputs[i].readers.append(moduleID) }
            if inputs[i].value.dimension != dimension {
                issue(path, "read by \(inputs[i].readers.joined(separator: ", ")) as \(inputs[i].value.dimension.rawValue) but by \(moduleID) as \(dimension.rawValue)")
            }
            return InputHandle(index: i)
        }
        let value = parseValue(path, dimension, constraint) ?? UncertainValue(.fixed(placeholder(constraint)), dimension)
        let node = valueNode(path)
        var written = node?.scalar ?? ""
        if case .sequence(let items)? = node?.kind { written = "[" + items.compactMap(\.scalar).joined(separator: ", ") + "]" }
        let handle = InputHandle(index: inputs.count)
        inputs.append(BoundInput(path: path, value: value, written: written, provenance: provenance(path), summary: summary, readers: [moduleID]))
        indexByPath[path] = handle.index
        return handle
    }

    /// Binds an input like `input(_:_:_:summary:)`, but when the scenario has no value at `path`,
    /// uses `fallback` (written in the scenario syntax) and records `rationale` as the assumption behind
    /// it. Plugins use it so that a scenario may leave their section out.
    public func input(_ path: String, _ dimension: Dimension, _ constraint: ValueConstraint = .any, summary: String, fallback: String, rationale: String) -> InputHandle {
        if indexByPath[path] != nil || has(path) { return input(path, dimension, constraint, summary: summary) }
        let value = check(path, fallback, dimension, constraint) ?? UncertainValue(.fixed(placeholder(constraint)), dimension)
        let handle = InputHandle(index: inputs.count)
        inputs.append(BoundInput(path: path, value: value, written: fallback, provenance: Provenance(kind: .assumption, text: rationale, confidence: nil), summary: summary, readers: [moduleID]))
        indexByPath[path] = handle.index
        return handle
    }

    /// Reads a value that must be fixed (a structural number such as a count or a capacity that shapes
    /// the model), rejecting a distribution with a clear message.
    public func fixed(_ path: String, _ dimension: Dimension, _ constraint: ValueConstraint = .any) -> Double {
        let v = fixedValue(path, dimension, constraint)
        recordFixed(path, UncertainValue(.fixed(v), dimension), written: valueNode(path)?.scalar ?? "")
        return v
    }

    /// Fixed values the modules read (structural numbers), for the report's assumptions table.
    public private(set) var fixedInputs: [BoundInput] = []

    private func recordFixed(_ path: String, _ value: UncertainValue, written: String) {
        guard !fixedInputs.contains(where: { $0.path == path }) else { return }
        fixedInputs.append(BoundInput(path: path, value: value, written: written, provenance: provenance(path), summary: "", readers: [moduleID]))
    }

    private func fixedValue(_ path: String, _ dimension: Dimension, _ constraint: ValueConstraint) -> Double {
        guard let v = parseValue(path, dimension, constraint) else { return placeholder(constraint) }
        guard case .fixed(let x) = v.distribution else {
            issue(path, "expected a fixed value (\(constraint.phrase(dimension))), not a distribution: this number shapes the model rather than varying by trial")
            return placeholder(constraint)
        }
        return x
    }

    /// Reads text, such as a name.
    public func text(_ path: String) -> String {
        guard let n = valueNode(path) else { issue(path, "missing; expected text"); return "" }
        guard let s = n.scalar, !s.isEmpty else { issue(path, "expected text, got \(n.kindName)"); return "" }
        return s
    }

    /// Reads an optional piece of text.
    public func optionalText(_ path: String) -> String? {
        guard has(path) else { return nil }
        return text(path)
    }

    /// Reads a calendar date written YYYY-MM-DD.
    public func date(_ path: String) -> CalendarDate {
        guard let n = valueNode(path) else { issue(path, "missing; expected a date such as 2028-12-31"); return CalendarDate("2026-01-01")! }
        guard let s = n.scalar, let d = CalendarDate(s) else {
            issue(path, "expected a date such as 2028-12-31, got '\(n.scalar ?? n.kindName)'")
            return CalendarDate("2026-01-01")!
        }
        return d
    }

    /// Reads a quarter written 2026Q1.
    public func quarter(_ path: String) -> Quarter {
        guard let n = valueNode(path) else { issue(path, "missing; expected a quarter such as 2026Q1"); return scenario.horizon.lowerBound }
        guard let s = n.scalar, let q = Quarter(s) else {
            issue(path, "expected a quarter such as 2026Q1, got '\(n.scalar ?? n.kindName)'")
            return scenario.horizon.lowerBound
        }
        return q
    }

    /// Reads one of a fixed set of words.
    public func choice(_ path: String, _ options: [String]) -> String {
        let t = text(path)
        guard !t.isEmpty else { return options[0] }
        guard options.contains(t) else {
            let hint = Suggest.closest(to: t, in: options).map { "; did you mean '\($0)'?" } ?? ""
            issue(path, "expected one of \(options.joined(separator: ", ")), got '\(t)'\(hint)")
            return options[0]
        }
        return t
    }

    /// The number of items in the list at `path` (0, with an issue, if it is not a list).
    public func count(_ path: String, minimum: Int = 1) -> Int {
        guard let n = valueNode(path) else { issue(path, "missing; expected a list with at least \(minimum) item(s)"); return 0 }
        guard case .sequence(let items) = n.kind else { issue(path, "expected a list, got \(n.kindName)"); return 0 }
        if items.count < minimum { issue(path, "expected at least \(minimum) item(s), got \(items.count)") }
        return items.count
    }

    /// Reads a list of fixed numbers, such as a ramp or a schedule.
    public func fixedList(_ path: String, _ dimension: Dimension, _ constraint: ValueConstraint = .any) -> [Double] {
        let n = count(path)
        let values = (0..<n).map { fixedValue("\(path)[\($0)]", dimension, constraint) }
        var written = ""
        if case .sequence(let items)? = valueNode(path)?.kind { written = items.compactMap(\.scalar).joined(separator: ", ") }
        recordFixed(path, UncertainValue(.fixed(values.first ?? 0), dimension), written: "[" + written + "]")
        return values
    }

    /// Reads a numeric column of a CSV dataset named relative to the scenario.
    public func table(_ path: String) -> CSVTable? {
        let file = text(path)
        guard !file.isEmpty else { return nil }
        do { return try scenario.loadTable(file) } catch {
            missingFile(path, error)
            return nil
        }
    }

    private func placeholder(_ c: ValueConstraint) -> Double {
        switch c {
        case .positive: return 1
        case .range(let a, _): return a
        default: return 0
        }
    }

    private func parseValue(_ path: String, _ dimension: Dimension, _ constraint: ValueConstraint) -> UncertainValue? {
        let expected = constraint.phrase(dimension)
        guard let n = valueNode(path) else {
            issue(path, "missing; expected \(expected)")
            return nil
        }
        if case .sequence(let items) = n.kind {
            // A YAML list of amounts is an empirical distribution.
            let text = "empirical(" + items.compactMap(\.scalar).joined(separator: ", ") + ")"
            guard items.allSatisfy({ $0.scalar != nil }) else { issue(path, "expected \(expected), got a list of non-values"); return nil }
            return check(path, text, dimension, constraint)
        }
        guard let text = n.scalar else {
            issue(path, "expected \(expected), got \(n.kindName)")
            return nil
        }
        return check(path, text, dimension, constraint)
    }

    private func check(_ path: String, _ text: String, _ dimension: Dimension, _ constraint: ValueConstraint) -> UncertainValue? {
        let expected = constraint.phrase(dimension)
        let v: UncertainValue
        do {
            v = try DistributionParser.parse(text) { file, column in try self.scenario.loadColumn(file, column) }
        } catch {
            issue(path, "expected \(expected), got '\(text)': \(error.message)")
            return nil
        }
        if v.dimension != dimension {
            let got = v.dimension == .ratio ? "a plain number" : v.dimension.rawValue
            issue(path, "expected \(expected), got '\(text)' (\(got))")
            return nil
        }
        let (lo, hi) = Self.support(v.distribution)
        if !constraint.admits(lo, hi) {
            let range = v.distribution.isFixed ? "" : " (its values range from \(UnitFormat.format(lo, dimension)) to \(UnitFormat.format(hi, dimension)); truncate it, e.g. truncated(..., min=0))"
            issue(path, "expected \(expected), got '\(text)'\(range)")
            return nil
        }
        if !(lo.isFinite && hi.isFinite) || Swift.max(abs(lo), abs(hi)) > Self.largestMagnitude(dimension) {
            let range = v.distribution.isFixed ? "" : " (its values range from \(UnitFormat.format(lo, dimension)) to \(UnitFormat.format(hi, dimension)))"
            let bound = dimension == .duration ? "1000 years" : dimension == .ratio ? "10^15" : "10^15 \(dimension.rawValue)"
            issue(path, "expected \(expected), got '\(text)'\(range): values beyond ±\(bound) are refused as implausible")
            return nil
        }
        return v
    }

    /// The largest magnitude a value may reach, in its canonical unit: 1000 years for a duration, 10^15
    /// for anything else (a quadrillion dollars, gigawatts, …). Larger values, and their distributions'
    /// ranges, are refused, so that no module overflows turning them into counts of years or quarters.
    public static func largestMagnitude(_ dimension: Dimension) -> Double {
        dimension == .duration ? 1000 : 1e15
    }

    /// The practical support of a distribution: exact where bounded, else its 1e-9 and 1 − 1e-9 quantiles.
    static func support(_ d: Distribution) -> (Double, Double) {
        switch d {
        case .fixed(let v): return (v, v)
        case .uniform(let a, let b), .triangular(let a, _, let b), .pert(let a, _, let b): return (a, b)
        case .beta: return (0, 1)
        case .bernoulli: return (0, 1)
        case .discrete(let v, let p):
            let kept = zip(v, p).filter { $0.1 > 0 }.map(\.0)
            return (kept.min() ?? 0, kept.max() ?? 0)
        case .empirical(let xs): return (xs.first ?? 0, xs.last ?? 0)
        case .gamma, .lognormal: return (0 + Double.leastNonzeroMagnitude, d.quantile(1 - 1e-9))
        case .normal: return (d.quantile(1e-9), d.quantile(1 - 1e-9))
        case .truncated(let base, let lo, let hi):
            let (a, b) = support(base)
            return (Swift.max(a, lo), Swift.min(b, hi))
        }
    }

    /// Reports keys under the given sections that no module read, with a "did you mean".
    func checkUnknownKeys(sections: [String]) {
        for section in sections {
            guard let node = scenario.root[section] else { continue }
            walk(node, path: section)
        }
    }

    private func walk(_ node: ScenarioNode, path: String) {
        let asked = requested.contains(path)
        switch node.kind {
        case .mapping(let pairs):
            if node.isAnnotatedValue {
                if !asked { reportUnknown(path) }
                return
            }
            for (k, v) in pairs { walk(v, path: "\(path).\(k)") }
        case .sequence(let items):
            for (i, v) in items.enumerated() { walk(v, path: "\(path)[\(i)]") }
        case .scalar, .null:
            if !asked { reportUnknown(path) }
        }
    }

    private func reportUnknown(_ path: String) {
        let (parent, last) = FieldPath.split(path)
        // Keys of annotated values (source, assumption, ...) are metadata, not inputs.
        if ["source", "assumption", "confidence", "note", "notes"].contains(last) { return }
        let siblings = requested.filter { FieldPath.split($0).parent == parent }.map { FieldPath.split($0).last }
        let hint = Suggest.closest(to: last, in: siblings).map { "; did you mean '\($0)'?" } ?? ""
        issue(path, "unknown key '\(last)': no module reads it\(hint)")
    }
}
