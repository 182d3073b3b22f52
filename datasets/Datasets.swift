import Foundation

/// The datasets that ship inside the `dealcast` binary's resource bundle.
public enum BundledDatasets {
    /// Id of the embedded default scenario.
    public static let defaultScenarioID = "amazon-openai-2026"

    /// Location of a bundled file, e.g. `url("amazon-openai-2026.yaml")`.
    public static func url(_ name: String) -> URL? {
        let ns = name as NSString
        return Bundle.module.url(forResource: ns.deletingPathExtension, withExtension: ns.pathExtension)
    }

    /// The embedded default scenario: the Amazon–OpenAI deal of February 2026.
    public static var defaultScenario: URL {
        guard let u = url(defaultScenarioID + ".yaml") else {
            preconditionFailure("the default scenario is missing from the resource bundle; rebuild dealcast")
        }
        return u
    }
}
