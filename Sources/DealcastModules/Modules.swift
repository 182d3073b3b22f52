import DealcastCore

/// The in-tree analysis modules, in the order `dealcast modules` lists them.
public enum BuiltinModules {
    public static var all: [any AnalysisModule] {
        [RegulatoryRisk(), CapexReturn(), CloudRevenueGrowth(), SupplierDependence(), PartnershipOutcome()]
    }
}
