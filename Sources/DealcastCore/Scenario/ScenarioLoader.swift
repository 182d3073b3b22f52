import Foundation
import Yams

/// Reads scenario files (YAML, or JSON, which YAML reads too) into a `Scenario`.
///
/// Limits, documented in docs/scenario-format.md: a file larger than `maxBytes` is refused before it
/// is read, and a tree of more than `maxNodes` nodes (after YAML aliases are expanded) is refused, so
/// that an alias bomb cannot exhaust memory.
public enum ScenarioLoader {
    /// Largest scenario file accepted: 4 MiB.
    public static let maxBytes = 4 << 20
    /// Most nodes accepted after alias expansion.
    public static let maxNodes = 200_000

    /// Loads the scenario at `url`, shown to users as `displayPath`. Only a regular file is read (never a
    /// FIFO or a device), and never more than `maxBytes` of it.
    /// - Throws: `DealcastError` with code `.inputMissing` (exit 66) when the file cannot be read, and
    ///   `.invalidData` (exit 65) listing every problem found in its shape or metadata.
    public static func load(url: URL, displayPath: String? = nil) throws(DealcastError) -> Scenario {
        let shown = displayPath ?? url.path
        let data: Data
        do { data = try BoundedFile.read(url.path, limit: maxBytes) } catch {
            switch error {
            case .missing: throw DealcastError(.inputMissing, "\(shown): no such file")
            case .directory: throw DealcastError(.inputMissing, "\(shown): is a directory, expected a scenario file")
            case .notRegular(let kind): throw DealcastError(.inputMissing, "\(shown): is \(kind), expected a scenario file")
            case .tooLarge(let size?):
                throw DealcastError(.invalidData, "\(shown): the file is \(size) bytes; scenario files are limited to \(maxBytes) bytes (4 MiB)")
            case .tooLarge(nil): throw DealcastError(.invalidData, "\(shown): scenario files are limited to \(maxBytes) bytes (4 MiB)")
            case .unreadable(let reason): throw DealcastError(.inputMissing, "\(shown): cannot read the file (\(reason))")
            }
        }
        return try parse(data: data, displayPath: shown, baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses scenario text. Used by `load` and by tests.
    public static func parse(data: Data, displayPath: String, baseDirectory: URL) throws(DealcastError) -> Scenario {
        func fail(_ line: Int?, _ path: String, _ message: String) -> DealcastError {
            .invalid([ScenarioIssue(file: displayPath, line: line, path: path, message: message)])
        }
        guard !data.isEmpty, data.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
            throw fail(nil, "", "the file is empty; expected a scenario with at least 'id' and 'horizon'")
        }
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) else {
            throw fail(nil, "", "not a text file (expected UTF-8 YAML or JSON)")
        }
        let composed: Yams.Node?
        do {
            composed = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw fail(yamlLine(error), "", "not valid YAML or JSON: \(yamlProblem(error))")
        } catch {
            throw fail(nil, "", "not valid YAML or JSON: \(error)")
        }
        guard let composed else { throw fail(nil, "", "the file is empty; expected a scenario mapping") }
        var budget = maxNodes
        guard let root = convert(composed, budget: &budget) else {
            throw fail(nil, "", "the file expands to more than \(maxNodes) nodes (a YAML alias bomb?); refused")
        }
        guard case .mapping = root.kind else {
            throw fail(root.line, "", "expected a mapping of scenario fields at the top level, got \(root.kindName)")
        }
        return try readMetadata(root, data: data, displayPath: displayPath, baseDirectory: baseDirectory)
    }

    private static func readMetadata(_ root: ScenarioNode, data: Data, displayPath: String, baseDirectory: URL) throws(DealcastError) -> Scenario {
        var issues: [ScenarioIssue] = []
        func issue(_ n: ScenarioNode?, _ path: String, _ m: String) {
            issues.append(ScenarioIssue(file: displayPath, line: n?.line ?? root.line, path: path, message: m))
        }
        var id = "scenario"
        if let n = root["id"] {
            if let s = n.scalar, !s.isEmpty, s.count <= 64, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                id = s
            } else {
                issue(n, "id", "expected a short identifier of letters, digits, '-' and '_' (it names the output folder), got '\(n.scalar ?? n.kindName)'")
            }
        } else {
            issue(root, "id", "missing; expected a short identifier such as 'amazon-openai-2026'")
        }
        let title = root["title"]?.scalar ?? id
        let description = root["description"]?.scalar ?? ""
        var horizon = Quarter(year: 2026, q: 1)...Quarter(year: 2026, q: 1)
        if let h = root["horizon"] {
            let start = h["start"]?.scalar.flatMap(Quarter.init)
            let end = h["end"]?.scalar.flatMap(Quarter.init)
            if start == nil { issue(h["start"] ?? h, "horizon.start", "expected a quarter such as 2026Q2, got '\(h["start"]?.scalar ?? "nothing")'") }
            if end == nil { issue(h["end"] ?? h, "horizon.end", "expected a quarter such as 2033Q4, got '\(h["end"]?.scalar ?? "nothing")'") }
            if let s = start, let e = end {
                if e < s { issue(h["end"], "horizon.end", "the horizon ends (\(e)) before it starts (\(s))") }
                else if e.ordinal - s.ordinal > 40 * 4 { issue(h["end"], "horizon.end", "the horizon is limited to 40 years, got \(s) to \(e)") }
                else { horizon = s...e }
            }
        } else {
            issue(root, "horizon", "missing; expected 'horizon: {start: 2026Q2, end: 2033Q4}'")
        }
        var modules: [String]?
        if let m = root["modules"] {
            if case .sequence(let items) = m.kind, items.allSatisfy({ $0.scalar != nil }) {
                modules = items.compactMap(\.scalar)
            } else {
                issue(m, "modules", "expected a list of module ids, e.g. [capex_return, partnership_outcome]")
            }
        }
        if !issues.isEmpty { throw DealcastError.invalid(issues) }
        return Scenario(id: id, title: title, description: description, displayPath: displayPath, baseDirectory: baseDirectory,
                        sha256: SHA256.hex(data), horizon: horizon, modules: modules, root: root)
    }

    private static func convert(_ node: Yams.Node, budget: inout Int) -> ScenarioNode? {
        budget -= 1
        guard budget >= 0 else { return nil }
        let line = node.mark?.line
        switch node {
        case .scalar(let s):
            if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return ScenarioNode(.null, line: line) }
            return ScenarioNode(.scalar(s.string), line: line)
        case .mapping(let m):
            var pairs: [(key: String, value: ScenarioNode)] = []
            for (k, v) in m {
                guard let cv = convert(v, budget: &budget) else { return nil }
                pairs.append((k.string ?? "\(k)", cv))
            }
            return ScenarioNode(.mapping(pairs), line: line)
        case .sequence(let s):
            var items: [ScenarioNode] = []
            for v in s {
                guard let cv = convert(v, budget: &budget) else { return nil }
                items.append(cv)
            }
            return ScenarioNode(.sequence(items), line: line)
        case .alias:
            return ScenarioNode(.null, line: line)
        }
    }

    private static func yamlLine(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return nil
        }
    }

    private static func yamlProblem(_ e: YamlError) -> String {
        switch e {
        case .scanner(let c, let p, _, _), .parser(let c, let p, _, _), .composer(let c, let p, _, _):
            return c.map { "\($0.text) — \(p)" } ?? p
        case .duplicatedKeysInMapping(let d, _): return "duplicate keys: \(d.joined(separator: ", "))"
        case .reader(let p, _, _, _): return p
        default: return "\(e)"
        }
    }
}
