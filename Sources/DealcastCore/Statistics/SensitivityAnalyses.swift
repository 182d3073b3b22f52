import Foundation

/// The one-at-a-time swings and Sobol indices of a run, kept with its results (docs/sensitivity.md).
///
/// The swings are computed on first use, so `run` and `merge` (which rebuilds the results of the same
/// plan and configuration) report the same numbers; the Sobol indices are computed only on request
/// (`RunResults.computeSobolIndices`).
public final class SensitivityAnalyses: @unchecked Sendable {
    private let lock = NSLock()
    private var swings: Result<OneAtATime, DealcastError>?
    private var sobol: SobolIndices?

    init() {}

    func swings(_ compute: () -> Result<OneAtATime, DealcastError>) -> Result<OneAtATime, DealcastError> {
        lock.lock(); defer { lock.unlock() }
        if let swings { return swings }
        let made = compute()
        swings = made
        return made
    }

    var sobolIndices: SobolIndices? {
        get { lock.lock(); defer { lock.unlock() }; return sobol }
        set { lock.lock(); defer { lock.unlock() }; sobol = newValue }
    }
}

extension RunResults {
    /// The one-at-a-time swings of every headline metric, computed on first use and kept
    /// (`OneAtATime.compute` on the run's plan and configuration), or why they could not be computed.
    /// - Complexity: on first use, (2k + 1) evaluations of one block (k uncertain inputs).
    public var oneAtATime: Result<OneAtATime, DealcastError> {
        analyses.swings { Result { () throws(DealcastError) in try OneAtATime.compute(plan, config) } }
    }

    /// The Sobol indices, when `computeSobolIndices` was called (`dealcast run --sobol-indices`).
    public var sobolIndices: SobolIndices? { analyses.sobolIndices }

    /// Computes the Sobol indices of every headline metric (`SobolIndices.compute`) and keeps them for
    /// the report and results.json.
    /// - Parameter samples: rows N of each of the matrices A and B, rounded up to whole blocks.
    /// - Throws: `DealcastError` when a module fails, `.interrupted` when `cancellation` is raised.
    /// - Complexity: N(k + 2) evaluations, then a bootstrap of O(500 · N · k) per headline metric.
    @discardableResult
    public func computeSobolIndices(samples: Int = SobolIndices.defaultSamples, cancellation: CancellationFlag? = nil) throws(DealcastError) -> SobolIndices {
        let s = try SobolIndices.compute(plan, config, samples: samples, cancellation: cancellation)
        analyses.sobolIndices = s
        return s
    }
}
