/// The scenario file as a tree, every node knowing the line it came from.
///
/// Built from Yams' composed nodes (YAML) or from JSON text (through the same YAML parser: JSON is
/// YAML's subset). Values stay as text until a module asks for them with a dimension, so that every
/// parse error can name its field path and line.
public struct ScenarioNode: Sendable {
    public enum Kind: Sendable {
        case scalar(String)
        case mapping([(key: String, value: ScenarioNode)])
        case sequence([ScenarioNode])
        case null
    }

    public var kind: Kind
    public var line: Int?

    public init(_ kind: Kind, line: Int?) {
        self.kind = kind
        self.line = line
    }

    /// The child at `key` of a mapping.
    public subscript(key: String) -> ScenarioNode? {
        guard case .mapping(let pairs) = kind else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    public var isMapping: Bool { if case .mapping = kind { return true }; return false }

    /// A mapping with a `value:` key: an input with its source, assumption and notes.
    public var isAnnotatedValue: Bool { self["value"] != nil }

    public var scalar: String? { if case .scalar(let s) = kind { return s }; return nil }

    public var kindName: String {
        switch kind {
        case .scalar: return "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .null: return "nothing"
        }
    }
}

/// A field path such as `deal.tranches[1].amount`, split into components.
public enum FieldPath {
    public enum Component: Equatable { case key(String), index(Int) }

    public static func components(_ path: String) -> [Component] {
        var out: [Component] = []
        for part in path.split(separator: ".") {
            var s = Substring(part)
            if let b = s.firstIndex(of: "[") {
                if b > s.startIndex { out.append(.key(String(s[..<b]))) }
                s = s[b...]
                while s.hasPrefix("["), let e = s.firstIndex(of: "]"), let i = Int(s[s.index(after: s.startIndex)..<e]) {
                    out.append(.index(i))
                    s = s[s.index(after: e)...]
                }
            } else {
                out.append(.key(String(s)))
            }
        }
        return out
    }

    /// The parent path and last key: `a.b[2].c` → (`a.b[2]`, `c`).
    public static func split(_ path: String) -> (parent: String, last: String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }
}
