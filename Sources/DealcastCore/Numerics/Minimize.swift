internal import CGSL

/// Derivative-free minimisation with GSL's Nelder–Mead simplex (`gsl_multimin_fminimizer_nmsimplex2`).
public enum Minimize {
    /// Where a minimisation ended.
    public struct Result: Sendable, Equatable {
        /// The best point found.
        public let point: [Double]
        /// The function's value there.
        public let value: Double
        /// Simplex iterations used, over all restarts.
        public let iterations: Int
        /// True if the simplex shrank below the tolerance, or the best value stopped improving (by a
        /// relative 1e-12 over 100 iterations per coordinate); false if the iteration budget ran out first.
        public let converged: Bool
    }

    /// Minimises `f` from `start`, with initial simplex steps `step` (one per coordinate).
    ///
    /// A non-finite value of `f` (a point outside the function's domain) is treated as a very large
    /// value, so the simplex backs away from it instead of failing. The simplex is restarted from its
    /// best point until a restart no longer improves the value by more than a relative 1e-10, because
    /// Nelder–Mead can stall on a simplex that has collapsed in one direction.
    ///
    /// A run also ends when its best value has not improved by a relative 1e-12 in 100 iterations per
    /// coordinate. Along a direction where the function is flat to within rounding, the simplex
    /// accepts moves that only reshuffle rounding errors and never shrinks; this stops it there.
    ///
    /// - Parameters:
    ///   - start: the starting point; `f(start)` must be finite.
    ///   - step: the initial simplex size along each coordinate (non-zero).
    ///   - tolerance: convergence threshold on the simplex size (GSL's `gsl_multimin_test_size`), in
    ///     the coordinates' own units, so parametrise the problem on comparable scales (e.g. logs).
    ///     Asking for much less than √(machine ε · |f| / curvature) makes the simplex wander in
    ///     rounding noise instead of shrinking: 1e-6 suits log-likelihoods of a few thousand points.
    ///   - maxIterations: iteration budget per restart.
    ///   - f: the function to minimise.
    /// - Returns: the best point found, or nil if `f(start)` is not finite or the dimensions disagree.
    /// - Complexity: O(maxIterations × cost of f) per restart, at most 4 restarts.
    public static func nelderMead(start: [Double], step: [Double], tolerance: Double = 1e-6, maxIterations: Int = 5000,
                                  _ f: ([Double]) -> Double) -> Result? {
        _ = GSL.errorHandlerDisabled
        guard !start.isEmpty, start.count == step.count, f(start).isFinite else { return nil }
        var best = start, bestValue = f(start), iterations = 0, converged = false
        for _ in 0 ..< 4 {
            guard let run = simplex(start: best, step: step, tolerance: tolerance, maxIterations: maxIterations, f) else { break }
            iterations += run.iterations
            converged = run.converged
            let improved = run.value < bestValue - 1e-10 * Swift.max(1, abs(bestValue))
            if run.value <= bestValue { best = run.point; bestValue = run.value }
            if !improved { break }
        }
        return Result(point: best, value: bestValue, iterations: iterations, converged: converged)
    }

    /// One simplex run. The closure is handed to GSL through the `params` pointer.
    private static func simplex(start: [Double], step: [Double], tolerance: Double, maxIterations: Int,
                                _ f: ([Double]) -> Double) -> Result? {
        let n = start.count
        return withoutActuallyEscaping(f) { f in
            final class Box {
                let f: ([Double]) -> Double
                var x: [Double]
                init(_ f: @escaping ([Double]) -> Double, _ n: Int) { self.f = f; x = [Double](repeating: 0, count: n) }
            }
            let box = Box(f, n)
            return withExtendedLifetime(box) { () -> Result? in
                var fn = gsl_multimin_function(
                    f: { v, params in
                        let box = Unmanaged<Box>.fromOpaque(params!).takeUnretainedValue()
                        for i in box.x.indices { box.x[i] = gsl_vector_get(v, i) }
                        let y = box.f(box.x)
                        return y.isFinite ? y : 1e300
                    },
                    n: n,
                    params: Unmanaged.passUnretained(box).toOpaque())
                guard let x = gsl_vector_alloc(n), let ss = gsl_vector_alloc(n) else { return nil }
                defer { gsl_vector_free(x); gsl_vector_free(ss) }
                for i in 0 ..< n { gsl_vector_set(x, i, start[i]); gsl_vector_set(ss, i, step[i]) }
                guard let s = gsl_multimin_fminimizer_alloc(cgsl_multimin_fminimizer_nmsimplex2(), n) else { return nil }
                defer { gsl_multimin_fminimizer_free(s) }
                guard gsl_multimin_fminimizer_set(s, &fn, x, ss) == GSL_SUCCESS else { return nil }
                var iterations = 0, converged = false
                var lastGain = 0, bestSoFar = gsl_multimin_fminimizer_minimum(s)
                while iterations < maxIterations {
                    iterations += 1
                    guard gsl_multimin_fminimizer_iterate(s) == GSL_SUCCESS else { break }
                    if gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), tolerance) == GSL_SUCCESS {
                        converged = true
                        break
                    }
                    let value = gsl_multimin_fminimizer_minimum(s)
                    if value < bestSoFar - 1e-12 * Swift.max(1, abs(bestSoFar)) {
                        bestSoFar = value
                        lastGain = iterations
                    } else if iterations - lastGain >= 100 * n {
                        converged = true
                        break
                    }
                }
                let best = gsl_multimin_fminimizer_x(s)
                let point = (0 ..< n).map { gsl_vector_get(best, $0) }
                return Result(point: point, value: gsl_multimin_fminimizer_minimum(s), iterations: iterations, converged: converged)
            }
        }
    }
}
