/// A named set of changes to a scenario, declared in its `variants:` section (docs/compare.md):
///
///     variants:
///       - name: blocked in the EU
///         description: "The Commission opens a review for certain."
///         set:
///           regulatory_risk.jurisdictions[2].review_probability: 1
///
/// Each key of `set` is a field path that exists in the scenario; its value replaces the value there.
public struct ScenarioVariant: Sendable {
    /// One replacement: the value at `path` becomes `value`.
    public struct Override: Sendable {
        public let path: String
        public let value: ScenarioNode
        /// The line of the override in the scenario file.
        public let line: Int?
    }

    public let name: String
    public let description: String
    public let overrides: [Override]
    /// The line where the variant starts.
    public let line: Int?

    /// A short file-name-safe form of the name: "blocked in the EU" → "blocked-in-the-eu".
    public var slug: String { Self.slug(name) }

    /// Lowercases `text` and keeps runs of ASCII letters and digits, joined by '-'.
    public static func slug(_ text: String) -> String {
        var out = "", pendingDash = false
        for c in text.lowercased() {
            if c.isASCII && (c.isLetter || c.isNumber) {
                if pendingDash && !out.isEmpty { out.append("-") }
                out.append(c)
                pendingDash = false
            } else {
                pendingDash = true
            }
        }
        return out.isEmpty ? "variant" : out
    }
}

extension Scenario {
    /// Keys of a variant entry.
    static let variantKeys = ["name", "description", "set"]

    /// Top-level keys a variant may not change: those read when the file is loaded, and the variants.
    static let fixedByVariants = ["id", "title", "description", "horizon", "modules", "variants"]

    /// The variants the scenario declares, in file order, each checked: its shape, a unique name, and
    /// every `set` path existing in the scenario.
    ///
    /// - Throws: `DealcastError` (exit 65) listing every problem in the `variants:` section, each
    ///   located by line and field path, with a "did you mean" for a mistyped path.
    public func variants() throws(DealcastError) -> [ScenarioVariant] {
        guard let section = root["variants"] else { return [] }
        var issues: [ScenarioIssue] = []
        func issue(_ line: Int?, _ path: String, _ message: String) {
            issues.append(ScenarioIssue(file: displayPath, line: line ?? section.line, path: path, message: message))
        }
        guard case .sequence(let items) = section.kind else {
            throw DealcastError.invalid([ScenarioIssue(file: displayPath, line: section.line, path: "variants",
                message: "expected a list of variants, each with 'name:' and 'set:', got \(section.kindName)")])
        }
        var out: [ScenarioVariant] = [], names: Set<String> = []
        for (i, item) in items.enumerated() {
            let at = "variants[\(i)]"
            guard case .mapping(let pairs) = item.kind else {
                issue(item.line, at, "expected a mapping with 'name:' and 'set:', got \(item.kindName)")
                continue
            }
            for (key, value) in pairs where !Self.variantKeys.contains(key) {
                let hint = Suggest.closest(to: key, in: Self.variantKeys).map { "; did you mean '\($0)'?" } ?? ""
                issue(value.line, "\(at).\(key)", "unknown key '\(key)' in a variant\(hint) (a variant has \(Self.variantKeys.joined(separator: ", ")))")
            }
            let name = item["name"]?.scalar?.trimmingCharacters(in: .whitespaces) ?? ""
            if name.isEmpty {
                issue(item["name"]?.line ?? item.line, "\(at).name", "missing; expected the variant's name, e.g. 'blocked in the EU'")
            } else if !names.insert(name).inserted {
                issue(item["name"]?.line, "\(at).name", "the name '\(name)' is used by an earlier variant; names must be unique")
            }
            let description = item["description"]?.scalar ?? ""
            var overrides: [ScenarioVariant.Override] = []
            switch item["set"]?.kind {
            case .mapping(let sets)? where !sets.isEmpty:
                for (path, value) in sets {
                    if let problem = checkOverridePath(path) {
                        issue(value.line, "\(at).set", problem)
                    } else {
                        overrides.append(.init(path: path, value: value, line: value.line))
                    }
                }
            case let kind?:
                let got = { if case .mapping = kind { return "an empty mapping" }; return ScenarioNode(kind, line: nil).kindName }()
                issue(item["set"]?.line ?? item.line, "\(at).set", "expected a mapping of field paths to new values, e.g. 'partnership_outcome.time_to_milestone: 100 years', got \(got)")
            case nil:
                issue(item.line, "\(at).set", "missing; expected a mapping of field paths to new values, e.g. 'partnership_outcome.time_to_milestone: 100 years'")
            }
            out.append(ScenarioVariant(name: name, description: description, overrides: overrides, line: item.line))
        }
        if !issues.isEmpty { throw DealcastError.invalid(issues) }
        return out
    }

    /// The variant called `name`.
    /// - Throws: `DealcastError` (exit 64) when there is no such variant, naming the ones there are;
    ///   (exit 65) when the `variants:` section itself is wrong.
    public func variant(named name: String) throws(DealcastError) -> ScenarioVariant {
        let all = try variants()
        if let v = all.first(where: { $0.name == name }) { return v }
        guard !all.isEmpty else {
            throw DealcastError(.usage, "\(displayPath) declares no variants, so there is no variant '\(name)' (add a 'variants:' section; see docs/compare.md)")
        }
        let names = all.map(\.name)
        let hint = Suggest.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
        throw DealcastError(.usage, "\(displayPath) has no variant '\(name)'\(hint) (variants: \(names.map { "'\($0)'" }.joined(separator: ", ")))")
    }

    /// This scenario with the variant's overrides applied, in order.
    ///
    /// A plain value (or a list) that replaces a field records the variant as its provenance
    /// (`assumption: set by variant '…'`), so the report never shows the old value's citation next to
    /// the new value. A replacement written as an annotated value (`{value: …, source: …}`) keeps its
    /// own annotation; a replacement mapping of fields, and a replacement list item, are inserted as
    /// written.
    ///
    /// The result keeps the file's path and SHA-256 (the variant is part of that file), its id and
    /// metadata; its title names the variant.
    /// - Throws: `DealcastError` (exit 65) if an override's path does not exist in the scenario.
    public func applying(_ variant: ScenarioVariant) throws(DealcastError) -> Scenario {
        var tree = root
        var issues: [ScenarioIssue] = []
        for o in variant.overrides {
            if let problem = checkOverridePath(o.path) {
                issues.append(ScenarioIssue(file: displayPath, line: o.line, path: o.path, message: problem))
                continue
            }
            let components = FieldPath.components(o.path)
            // A list item stays a plain item: lists are read item by item, and their provenance is the list's.
            var replacement = o.value
            if case .key? = components.last { replacement = Self.annotate(o.value, variant: variant.name, replacing: node(at: o.path)) }
            tree = Self.replacing(tree, components[...], with: replacement)
        }
        if !issues.isEmpty { throw DealcastError.invalid(issues) }
        return Scenario(id: id, title: "\(title) — variant: \(variant.name)", description: description, displayPath: displayPath,
                        baseDirectory: baseDirectory, sha256: sha256, horizon: horizon, modules: modules, root: tree)
    }

    /// Why `path` cannot be overridden, or nil if it can: it must be well formed, exist, and not lie
    /// under a key read when the file is loaded (`fixedByVariants`).
    func checkOverridePath(_ path: String) -> String? {
        let components = FieldPath.components(path)
        guard !path.isEmpty, Self.render(components) == path, !components.isEmpty, case .key(let top) = components[0] else {
            return "'\(path)' is not a field path; expected keys joined by '.', with [i] for a list item, e.g. 'deal.tranches[1].amount'"
        }
        if Self.fixedByVariants.contains(top) {
            return "'\(path)': a variant cannot change '\(top)', which is read when the file is loaded; compare two scenario files instead"
        }
        var cur = root, prefix = ""
        for c in components {
            switch c {
            case .key(let k):
                let here = prefix.isEmpty ? "the scenario" : "'\(prefix)'"
                guard case .mapping(let pairs) = cur.kind else {
                    return "no field '\(path)' in the scenario: \(here) is \(cur.kindName), not a mapping with a key '\(k)'"
                }
                guard let next = cur[k] else {
                    let hint = Suggest.closest(to: k, in: pairs.map(\.key)).map { "; did you mean '\(Self.join(prefix, $0))'?" } ?? ""
                    return "no field '\(path)' in the scenario: \(here) has no key '\(k)'\(hint)"
                }
                cur = next
                prefix = Self.join(prefix, k)
            case .index(let i):
                let list = cur.isAnnotatedValue ? cur["value"]! : cur
                guard case .sequence(let items) = list.kind else {
                    return "no field '\(path)' in the scenario: '\(prefix)' is \(list.kindName), not a list"
                }
                guard i >= 0, i < items.count else {
                    return "no field '\(path)' in the scenario: '\(prefix)' has \(items.count) item(s), indices 0 to \(items.count - 1)"
                }
                cur = items[i]
                prefix += "[\(i)]"
            }
        }
        return nil
    }

    private static func join(_ prefix: String, _ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    private static func render(_ components: [FieldPath.Component]) -> String {
        var s = ""
        for c in components {
            switch c {
            case .key(let k): s += s.isEmpty ? k : ".\(k)"
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }

    /// The replacement node, carrying the variant as its provenance when it is a plain value or a list.
    private static func annotate(_ value: ScenarioNode, variant: String, replacing old: ScenarioNode?) -> ScenarioNode {
        switch value.kind {
        case .mapping:
            return value
        case .scalar, .sequence, .null:
            var was = ""
            let oldValue = old.map { $0.isAnnotatedValue ? $0["value"]! : $0 }
            if let s = oldValue?.scalar { was = " (the base scenario has '\(s)')" }
            let note = ScenarioNode(.scalar("set by variant '\(variant)'\(was)"), line: value.line)
            return ScenarioNode(.mapping([("value", value), ("assumption", note)]), line: value.line)
        }
    }

    /// `tree` with the node at `path` replaced; `path` is known to exist (`checkOverridePath`).
    private static func replacing(_ tree: ScenarioNode, _ path: ArraySlice<FieldPath.Component>, with new: ScenarioNode) -> ScenarioNode {
        guard let first = path.first else { return new }
        var out = tree
        switch first {
        case .key(let k):
            guard case .mapping(var pairs) = tree.kind, let j = pairs.firstIndex(where: { $0.key == k }) else { return tree }
            pairs[j].value = replacing(pairs[j].value, path.dropFirst(), with: new)
            out.kind = .mapping(pairs)
        case .index(let i):
            if tree.isAnnotatedValue, case .mapping(var pairs) = tree.kind, let j = pairs.firstIndex(where: { $0.key == "value" }) {
                pairs[j].value = replacing(pairs[j].value, path, with: new)
                out.kind = .mapping(pairs)
            } else if case .sequence(var items) = tree.kind {
                items[i] = replacing(items[i], path.dropFirst(), with: new)
                out.kind = .sequence(items)
            }
        }
        return out
    }
}
