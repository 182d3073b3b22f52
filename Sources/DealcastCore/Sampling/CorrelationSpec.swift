import Foundation

/// Reading a scenario's `correlations:` list (docs/scenario-format.md, "Correlated inputs").
///
///     correlations:
///       - between: [capex_return.capex_per_gw, capex_return.power_price]
///         rank: 0.4
///         source: "…"            # or assumption:, confidence:, note:
///
/// Every problem is recorded as a located issue (exit 65), alongside the modules' own, so that one
/// pass reports everything.
extension CorrelationPlan {
    /// The keys an item may hold.
    static let itemKeys = ["between", "rank", "source", "assumption", "confidence", "note", "notes"]

    /// Binds the scenario's correlations to the inputs the modules bound.
    ///
    /// - Parameters:
    ///   - inputs: the sampled inputs, in binding order.
    ///   - fixedInputs: structural values the modules read (never correlated).
    ///   - repair: `--repair-correlations`: replace a matrix that is not positive semi-definite by the
    ///     nearest correlation matrix instead of reporting it.
    ///   - flagged: field paths that already have a problem (their placeholder values are not judged).
    ///   - issue: records a problem at a field path.
    /// - Returns: nil when the scenario has no correlations, or when a problem was recorded.
    static func bind(_ scenario: Scenario, inputs: [BoundInput], fixedInputs: [BoundInput], repair: Bool,
                     flagged: Set<String>, issue: (String, String) -> Void) -> CorrelationPlan? {
        guard let node = scenario.root["correlations"] else { return nil }
        let example = "e.g. '- {between: [capex_return.capex_per_gw, capex_return.power_price], rank: 0.4}'"
        switch node.kind {
        case .null: return nil
        case .sequence(let items) where items.isEmpty: return nil
        case .sequence: break
        default:
            issue("correlations", "expected a list of correlated pairs (\(example)), got \(node.kindName)")
            return nil
        }
        guard case .sequence(let items) = node.kind else { return nil }
        let index = Dictionary(inputs.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { a, _ in a })
        let uncertain = inputs.filter { !$0.value.distribution.isFixed }.map(\.path)
        var ok = true
        var written: [(a: Int, b: Int, rho: Double, item: Int)] = []
        var seen: [Set<Int>: Int] = [:]

        func path(_ text: String, at field: String) -> Int? {
            let p = text.trimmingCharacters(in: .whitespaces)
            guard let j = index[p] else {
                if let f = fixedInputs.first(where: { $0.path == p }) {
                    issue(field, "'\(p)' is a fixed value (\(f.written)) that shapes the model; only uncertain inputs can be correlated")
                } else {
                    let hint = Suggest.closest(to: p, in: uncertain).map { "; did you mean '\($0)'?" } ?? ""
                    issue(field, "'\(p)' is not an uncertain input that any module reads\(hint)")
                }
                return nil
            }
            if inputs[j].value.distribution.isFixed {
                if !flagged.contains(p) {
                    issue(field, "'\(p)' is fixed (\(inputs[j].written)); only an uncertain input (a distribution) can be correlated")
                }
                return nil
            }
            return j
        }

        for (n, item) in items.enumerated() {
            let at = "correlations[\(n)]"
            guard case .mapping(let pairs) = item.kind else {
                issue(at, "expected a mapping with 'between' and 'rank' (\(example)), got \(item.kindName)")
                ok = false
                continue
            }
            for (key, _) in pairs where !itemKeys.contains(key) {
                let hint = Suggest.closest(to: key, in: itemKeys).map { "; did you mean '\($0)'?" } ?? ""
                issue("\(at).\(key)", "unknown key '\(key)' in a correlation\(hint)")
                ok = false
            }
            var ends: [Int] = []
            switch item["between"]?.kind {
            case nil, .null?:
                issue("\(at).between", "missing; expected a list of two input paths, e.g. [capex_return.capex_per_gw, capex_return.power_price]")
            case .sequence(let names)? where names.count == 2 && names.allSatisfy({ $0.scalar != nil }):
                for (e, name) in names.enumerated() {
                    if let j = path(name.scalar!, at: "\(at).between[\(e)]") { ends.append(j) }
                }
                if ends.count == 2, ends[0] == ends[1] {
                    issue("\(at).between", "correlates '\(inputs[ends[0]].path)' with itself; name two different inputs")
                    ends = []
                }
            default:
                let between = item["between"]!
                let got: String
                if case .sequence(let names) = between.kind { got = "a list of \(names.count) item(s)" } else { got = between.kindName }
                issue("\(at).between", "expected a list of exactly two input paths, e.g. [capex_return.capex_per_gw, capex_return.power_price], got \(got)")
            }
            var rho: Double?
            let expected = "expected a rank correlation between -1 and 1 (e.g. 0.4, -0.25 or 40%)"
            if let r = item["rank"] {
                if let text = r.scalar, let q = QuantityParser.parse(text), q.dimension == .ratio, q.value.isFinite, abs(q.value) <= 1 {
                    rho = q.value
                } else {
                    issue("\(at).rank", "\(expected), got '\(r.scalar ?? r.kindName)'")
                }
            } else {
                issue("\(at).rank", "missing; \(expected)")
            }
            guard ends.count == 2, let rho else { ok = false; continue }
            let key: Set<Int> = [ends[0], ends[1]]
            if let first = seen[key] {
                issue(at, "the pair '\(inputs[ends[0]].path)' and '\(inputs[ends[1]].path)' is already correlated by correlations[\(first)]")
                ok = false
                continue
            }
            seen[key] = n
            written.append((min(ends[0], ends[1]), max(ends[0], ends[1]), rho, n))
        }
        guard ok, !written.isEmpty else { return nil }

        let columns = Set(written.flatMap { [$0.a, $0.b] }).sorted()
        let k = columns.count
        let position = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        var target = SquareMatrix.identity(k)
        var itemOf = [Int?](repeating: nil, count: k * k)
        for w in written {
            let i = position[w.a]!, j = position[w.b]!
            target[i, j] = w.rho
            target[j, i] = w.rho
            itemOf[i * k + j] = w.item
            itemOf[j * k + i] = w.item
        }
        let paths = columns.map { inputs[$0].path }
        let plan: CorrelationPlan
        do {
            plan = try CorrelationPlan(paths: paths, columns: columns, target: target, items: itemOf, repair: repair)
        } catch {
            issue("correlations", "the correlation matrix could not be analysed: \(error)")
            return nil
        }
        if !repair, plan.writtenIsInvalid {
            issue("correlations", inconsistency(plan, paths: paths, items: itemOf))
            return nil
        }
        return plan
    }

    /// The message for a matrix that is not positive semi-definite, naming the conflicting pairs.
    private static func inconsistency(_ plan: CorrelationPlan, paths: [String], items: [Int?]) -> String {
        let k = paths.count
        let conflicts: [(i: Int, j: Int, term: Double)]
        do { conflicts = try Definiteness(plan.target).conflictingEntries(of: plan.target) } catch { conflicts = [] }
        let shown = conflicts.prefix(8).sorted { items[$0.i * k + $0.j]! < items[$1.i * k + $1.j]! }.map { c in
            "correlations[\(items[c.i * k + c.j]!)] (\(paths[c.i]) ~ \(paths[c.j]): \(UnitFormat.fixed(plan.target[c.i, c.j], 2)))"
        }
        let more = conflicts.count > shown.count ? " and \(conflicts.count - shown.count) more" : ""
        return "these rank correlations cannot hold together: the matrix they form is not positive semi-definite "
            + "(smallest eigenvalue \(UnitFormat.fixed(plan.smallestEigenvalue, 4))); the pairs in conflict are "
            + shown.joined(separator: ", ") + more
            + "; make them consistent, or run with --repair-correlations to use the nearest valid correlation matrix"
    }
}
