/// The modules a host knows, as a plain value built in `main` and passed down (no global registry).
///
/// Resolving a selection orders the modules so that each runs after every module whose metrics it
/// reads, adds the modules a selection depends on, and rejects duplicates, cycles and metrics that no
/// module publishes.
public struct ModuleRegistry: Sendable {
    public private(set) var modules: [any AnalysisModule]

    /// - Throws: `DealcastError` (`.pluginUnusable`) when two modules share an id.
    public init(_ modules: [any AnalysisModule]) throws(DealcastError) {
        self.modules = []
        for m in modules { try register(m) }
    }

    /// Adds a module. Two modules with the same id are refused, naming both.
    public mutating func register(_ module: any AnalysisModule) throws(DealcastError) {
        let id = module.descriptor.id
        guard !modules.contains(where: { $0.descriptor.id == id }) else {
            throw DealcastError(.pluginUnusable, "two modules have the id '\(id)'; module ids must be unique")
        }
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw DealcastError(.pluginUnusable, "module id '\(id)' must be lowercase letters, digits and '_'")
        }
        modules.append(module)
    }

    public func module(_ id: String) -> (any AnalysisModule)? { modules.first { $0.descriptor.id == id } }

    /// The modules to run for a selection (nil: all), dependencies first.
    ///
    /// A selected module's dependencies are added even if not selected.
    /// - Throws: `DealcastError` (`.usage`) for an unknown id, `.invalidData` for a metric no module
    ///   publishes or a dependency cycle, naming the modules and metrics involved.
    public func resolve(_ selection: [String]?) throws(DealcastError) -> [any AnalysisModule] {
        var publisher: [String: String] = [:]
        for m in modules {
            for spec in m.descriptor.metrics { publisher[m.descriptor.key(spec.name)] = m.descriptor.id }
        }
        let ids = modules.map(\.descriptor.id)
        var wanted = selection ?? ids
        for id in wanted where module(id) == nil {
            let hint = Suggest.closest(to: id, in: ids).map { "; did you mean '\($0)'?" } ?? ""
            throw DealcastError(.usage, "unknown module '\(id)'\(hint) (known: \(ids.joined(separator: ", ")))")
        }
        // Close the selection over dependencies.
        var i = 0
        while i < wanted.count {
            let m = module(wanted[i])!
            for key in m.descriptor.reads {
                guard let p = publisher[key] else {
                    throw DealcastError(.invalidData, "module '\(m.descriptor.id)' reads '\(key)', which no registered module publishes")
                }
                if !wanted.contains(p) { wanted.append(p) }
            }
            i += 1
        }
        // Depth-first topological order, stable in registration order.
        var order: [any AnalysisModule] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ id: String, _ stack: [String]) throws(DealcastError) {
            if state[id] == 2 { return }
            if state[id] == 1 {
                let cycle = (stack.drop { $0 != id } + [id]).joined(separator: " → ")
                throw DealcastError(.invalidData, "modules read each other's metrics in a cycle: \(cycle)")
            }
            state[id] = 1
            let m = module(id)!
            for key in m.descriptor.reads { try visit(publisher[key]!, stack + [id]) }
            state[id] = 2
            order.append(m)
        }
        for id in ids where wanted.contains(id) { try visit(id, []) }
        return order
    }
}
