internal import CGSL

/// Bracketing root finding with GSL's Brent solver.
public enum RootFinding {
    /// A root of `f` in [lower, upper], where f(lower) and f(upper) differ in sign.
    ///
    /// - Returns: nil if the bracket does not change sign or the solver fails to converge
    ///   within `maxIterations`.
    public static func brent(lower: Double, upper: Double, tolerance: Double = 1e-10, maxIterations: Int = 200,
                             _ f: (Double) -> Double) -> Double? {
        _ = GSL.errorHandlerDisabled
        let fl = f(lower), fu = f(upper)
        guard fl.isFinite, fu.isFinite else { return nil }
        if fl == 0 { return lower }
        if fu == 0 { return upper }
        guard (fl < 0) != (fu < 0) else { return nil }
        return withoutActuallyEscaping(f) { f in
            var box = f
            return withUnsafeMutablePointer(to: &box) { ptr -> Double? in
                var fn = gsl_function(
                    function: { x, params in
                        params!.assumingMemoryBound(to: ((Double) -> Double).self).pointee(x)
                    },
                    params: UnsafeMutableRawPointer(ptr))
                guard let solver = gsl_root_fsolver_alloc(cgsl_root_fsolver_brent()) else { return nil }
                defer { gsl_root_fsolver_free(solver) }
                guard gsl_root_fsolver_set(solver, &fn, lower, upper) == GSL_SUCCESS else { return nil }
                for _ in 0 ..< maxIterations {
                    guard gsl_root_fsolver_iterate(solver) == GSL_SUCCESS else { return nil }
                    let lo = gsl_root_fsolver_x_lower(solver), hi = gsl_root_fsolver_x_upper(solver)
                    if gsl_root_test_interval(lo, hi, tolerance, 0) == GSL_SUCCESS { return gsl_root_fsolver_root(solver) }
                }
                return nil
            }
        }
    }
}

/// Discounted cash flow arithmetic on annual flows, flow t at the end of year t + 1.
public enum CashFlow {
    /// Σ cᵗ / (1 + r)^(t+1).
    public static func npv(_ flows: UnsafeBufferPointer<Double>, rate: Double) -> Double {
        var v = 0.0, d = 1.0
        let k = 1 / (1 + rate)
        for c in flows { d *= k; v += c * d }
        return v
    }

    /// The internal rate of return: the rate in (−99%, 1000%) at which the NPV is zero.
    ///
    /// Root-found with GSL's Brent solver. Returns nil when the flows never change sign or the NPV has
    /// no root in the bracket (the metric is then undefined for that trial, and counted).
    public static func irr(_ flows: UnsafeBufferPointer<Double>) -> Double? {
        IRRSolver().irr(flows)
    }

    /// The IRR's bracket, tolerance and iteration cap (`irr`).
    static let irrBracket = (lower: -0.99, upper: 10.0), irrTolerance = 1e-9, irrMaxIterations = 200

    /// Years until cumulative flows first cross from negative to non-negative, interpolated within the
    /// year (t + (−cumulative before) / flow); 0 if they are never negative; nil if they stay negative.
    public static func payback(_ flows: UnsafeBufferPointer<Double>) -> Double? {
        guard !flows.isEmpty else { return nil }
        var cum = 0.0
        var wasNegative = false
        for (t, c) in flows.enumerated() {
            let before = cum
            cum += c
            if cum < 0 { wasNegative = true; continue }
            if before < 0 { return Double(t) + (-before / c) }
        }
        return wasNegative ? nil : 0
    }
}

/// `CashFlow.irr` for many cash-flow vectors in a row: one GSL Brent solver, allocated once and reset
/// for each vector, instead of one solver and two closure boxes per call.
///
/// A module computing an IRR per trial spends about a third of its time there; what it paid on top of
/// the solver's own iterations was the solver's allocation and the Swift closure behind each NPV
/// evaluation (a context retained and released on every call from C). Here GSL calls a plain C
/// function that reads the flows from `params`. The numbers are those of `RootFinding.brent` with
/// `CashFlow.npv`: the same ends, the same checks in the same order, the same tolerance and iteration
/// cap, and `gsl_root_fsolver_set` resets every field of the Brent state, so a reused solver iterates
/// exactly as a fresh one.
///
/// Not thread-safe: one per block of work (it is cheap to make).
public final class IRRSolver {
    private let solver: UnsafeMutablePointer<gsl_root_fsolver>?

    public init() {
        _ = GSL.errorHandlerDisabled
        solver = gsl_root_fsolver_alloc(cgsl_root_fsolver_brent())
    }

    deinit { if let solver { gsl_root_fsolver_free(solver) } }

    /// `CashFlow.irr(flows)`, bit for bit.
    public func irr(_ flows: UnsafeBufferPointer<Double>) -> Double? {
        var pos = false, neg = false
        for c in flows { if c > 0 { pos = true } else if c < 0 { neg = true } }
        guard pos, neg else { return nil }
        let lower = CashFlow.irrBracket.lower, upper = CashFlow.irrBracket.upper
        // As `RootFinding.brent`: both ends evaluated and checked before GSL sees the bracket.
        let fl = CashFlow.npv(flows, rate: lower), fu = CashFlow.npv(flows, rate: upper)
        guard fl.isFinite, fu.isFinite else { return nil }
        if fl == 0 { return lower }
        if fu == 0 { return upper }
        guard (fl < 0) != (fu < 0) else { return nil }
        guard let solver else { return nil }
        var params = flows
        return withUnsafeMutablePointer(to: &params) { p -> Double? in
            var fn = gsl_function(
                function: { x, params in
                    CashFlow.npv(params!.assumingMemoryBound(to: UnsafeBufferPointer<Double>.self).pointee, rate: x)
                },
                params: UnsafeMutableRawPointer(p))
            guard gsl_root_fsolver_set(solver, &fn, lower, upper) == GSL_SUCCESS else { return nil }
            for _ in 0 ..< CashFlow.irrMaxIterations {
                guard gsl_root_fsolver_iterate(solver) == GSL_SUCCESS else { return nil }
                let lo = gsl_root_fsolver_x_lower(solver), hi = gsl_root_fsolver_x_upper(solver)
                if gsl_root_test_interval(lo, hi, CashFlow.irrTolerance, 0) == GSL_SUCCESS { return gsl_root_fsolver_root(solver) }
            }
            return nil
        }
    }
}
