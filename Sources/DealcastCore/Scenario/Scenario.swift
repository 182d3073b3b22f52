import Foundation

/// A loaded scenario: the deal, the inputs and the run horizon, with every field's line known.
///
/// Loading checks only the file's shape and its metadata; what each value means is checked when
/// the modules bind their inputs (`ScenarioBinder`), so that all problems are reported together.
public struct Scenario: Sendable {
    /// Short identifier, used for the default output folder `reports/<id>/`.
    public let id: String
    public let title: String
    public let description: String
    /// The path shown to users in messages and reports.
    public let displayPath: String
    /// The folder that relative dataset paths in the scenario are resolved against.
    public let baseDirectory: URL
    /// SHA-256 of the file's bytes.
    public let sha256: String
    /// First and last quarter simulated.
    public let horizon: ClosedRange<Quarter>
    /// Modules the scenario asks for, in the file's order; nil means every registered module.
    public let modules: [String]?
    /// The whole tree.
    public let root: ScenarioNode
    /// The data files read through `loadColumn` and `loadTable`, kept so that a shard's partial result
    /// can carry them (docs/scaling.md).
    public let datasets = ScenarioDatasets()

    /// Calendar years the horizon touches, in order.
    public var years: [Int] { Array(horizon.lowerBound.year...horizon.upperBound.year) }

    /// Quarters of the horizon, in order.
    public var quarters: [Quarter] { (horizon.lowerBound.ordinal...horizon.upperBound.ordinal).map(Quarter.init(ordinal:)) }

    /// The node at a field path such as `deal.tranches[1].amount`.
    public func node(at path: String) -> ScenarioNode? {
        var n: ScenarioNode? = root
        for c in FieldPath.components(path) {
            guard let cur = n else { return nil }
            switch c {
            case .key(let k):
                // An annotated value's metadata is not part of the path.
                n = cur[k]
            case .index(let i):
                // An annotated list (`{value: [...], source: ...}`) is indexed through its value.
                let list = cur.isAnnotatedValue ? cur["value"]! : cur
                guard case .sequence(let items) = list.kind, i >= 0, i < items.count else { return nil }
                n = items[i]
            }
        }
        return n
    }

    /// The line of the node at `path`, or of its nearest ancestor that exists.
    public func line(of path: String) -> Int? {
        var p = path
        while true {
            if let n = node(at: p), let l = n.line { return l }
            if p.isEmpty { return nil }
            p = FieldPath.split(p).parent
            if p.hasSuffix("]"), let b = p.lastIndex(of: "[") { p = String(p[..<b]) }
        }
    }

    /// An issue located at `path` in this scenario.
    public func issue(_ path: String, _ message: String) -> ScenarioIssue {
        ScenarioIssue(file: displayPath, line: line(of: path), path: path, message: message)
    }

    /// Reads a numeric column of a CSV file named relative to the scenario's folder.
    public func loadColumn(_ file: String, _ column: String) throws(DealcastError) -> [Double] {
        let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : baseDirectory.appendingPathComponent(file)
        let table = try datasets.table(file, url: url)
        return try table.numbers(column, file: file)
    }

    /// Reads a whole CSV table named relative to the scenario's folder.
    public func loadTable(_ file: String) throws(DealcastError) -> CSVTable {
        let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : baseDirectory.appendingPathComponent(file)
        return try datasets.table(file, url: url)
    }

    init(id: String, title: String, description: String, displayPath: String, baseDirectory: URL, sha256: String,
         horizon: ClosedRange<Quarter>, modules: [String]?, root: ScenarioNode) {
        self.id = id
        self.title = title
        self.description = description
        self.displayPath = displayPath
        self.baseDirectory = baseDirectory
        self.sha256 = sha256
        self.horizon = horizon
        self.modules = modules
        self.root = root
    }

    /// Top-level keys that are not value namespaces.
    public static let metadataKeys = ["id", "title", "description", "horizon", "modules", "sources", "variants", "correlations"]
}
