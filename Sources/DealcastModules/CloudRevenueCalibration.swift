import DealcastCore
import Foundation

/// A quarterly revenue history: consecutive quarters, net sales in USD, and which figures were
/// recalled rather than sourced.
struct RevenueHistory: Sendable {
    /// The first quarter of the history.
    let first: Quarter
    /// Net sales per quarter, in USD, from `first` on.
    let sales: [Double]
    /// True where the figure is marked recalled (no sourced figure found).
    let recalled: [Bool]

    /// The last quarter of the history.
    var last: Quarter { first.advanced(by: sales.count - 1) }

    /// The position of `q` in the history, or nil if it is outside it.
    func index(of q: Quarter) -> Int? {
        let i = q.ordinal - first.ordinal
        return i >= 0 && i < sales.count ? i : nil
    }

    /// Reads the columns `quarter`, `net_sales_usd_m` (USD millions) and, if present, `sales_basis`
    /// (a value starting with "recalled" marks a figure without a source).
    /// - Parameter problem: receives one message per problem found; nil is returned if there were any.
    static func read(_ table: CSVTable, file: String, problem: (String) -> Void) -> RevenueHistory? {
        let quarterColumn: Int, salesColumn: Int
        do {
            quarterColumn = try table.column("quarter", file: file)
            salesColumn = try table.column("net_sales_usd_m", file: file)
        } catch {
            problem(error.message)
            return nil
        }
        let basisColumn = table.header.firstIndex(of: "sales_basis")
        var first: Quarter?, sales: [Double] = [], recalled: [Bool] = [], ok = true
        for (r, row) in table.rows.enumerated() {
            let at = "\(file):\(table.lines[r])"
            let label = quarterColumn < row.count ? row[quarterColumn] : ""
            let cell = salesColumn < row.count ? row[salesColumn].trimmingCharacters(in: .whitespaces) : ""
            guard let q = Quarter(label) else { problem("\(at): expected a quarter such as 2015Q1, got '\(label)'"); ok = false; continue }
            guard let v = Double(cell), v.isFinite, v > 0 else { problem("\(at): net_sales_usd_m must be a positive number, got '\(cell)'"); ok = false; continue }
            if let f = first, q.ordinal != f.ordinal + sales.count {
                problem("\(at): quarters must be consecutive; expected \(f.advanced(by: sales.count)), got \(q)")
                ok = false
                continue
            }
            if first == nil { first = q }
            sales.append(v * 1e6)
            recalled.append(basisColumn.map { $0 < row.count && row[$0].trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("recalled") } ?? false)
        }
        guard ok else { return nil }
        guard let first else { problem("\(file): has no rows"); return nil }
        return RevenueHistory(first: first, sales: sales, recalled: recalled)
    }
}

/// How much of the growth model's uncertainty a run carries.
enum GrowthUncertainty: String, CaseIterable, Sendable {
    /// Parameters drawn from their posterior per trial, plus quarterly shocks (the default).
    case parametersAndShocks = "parameters_and_shocks"
    /// Point-estimate parameters, quarterly shocks with the estimated residual sd.
    case shocksOnly = "shocks_only"
    /// Point-estimate parameters and no shocks: a deterministic central path.
    case none
}

/// The baseline growth model, fitted once per run by GSL least squares.
///
/// Year-over-year log growth g_t = ln(S_t / S_{t−4}) follows a mean-reverting AR(1) on the quarterly
/// step: g_t = a + b g_{t−1} + σ ε_t, ε_t ~ N(0, 1). The levels follow S_t = S_{t−4} exp(g_t), which
/// carries the last four quarters' seasonal pattern forward. Equations: docs/models/cloud_revenue_growth.md.
struct GrowthCalibration: Sendable {
    struct Failure: Error { let message: String }

    /// Intercept a, persistence b, and residual sd σ̂ = √(RSS / ν).
    let a: Double, b: Double, sigma: Double
    /// Standard errors of a and b (OLS).
    let seA: Double, seB: Double
    /// Lower Cholesky factor (L00, L10, L11) of Cov(a, b); nil when the covariance is not positive
    /// definite (an exact fit), in which case parameters cannot be drawn.
    let cholesky: (Double, Double, Double)?
    /// Observations used and residual degrees of freedom ν = n − 2.
    let n: Int, dof: Int
    /// Dependent-variable quarters of the first and last regression rows.
    let firstRow: Quarter, lastRow: Quarter
    /// Quarters whose growth rows were dropped because a figure in them is recalled.
    let excluded: [Quarter]
    /// The quarter the forecast starts after, its four last levels (oldest first) and its growth.
    let origin: Quarter
    let originLevels: [Double]
    let originGrowth: Double

    /// Long-run mean of the year-over-year log growth, a / (1 − b).
    var longRunGrowth: Double { a / (1 - b) }

    /// Fits the model on the history between `from` and `through` (inclusive; nil = the ends).
    /// - Parameter excludeRecalled: drop every regression row whose growth rates use a recalled figure.
    /// - Throws: `Failure` with a message saying what is missing.
    init(_ h: RevenueHistory, from: Quarter? = nil, through: Quarter? = nil, excludeRecalled: Bool) throws(Failure) {
        let lo = from.map { h.index(of: $0) ?? ($0 < h.first ? 0 : h.sales.count) } ?? 0
        let hi = through.map { h.index(of: $0) ?? ($0 < h.first ? -1 : h.sales.count - 1) } ?? h.sales.count - 1
        guard hi - lo + 1 >= 4 + 1 else {
            throw Failure(message: "needs at least five quarters of history to start a forecast, got \(max(0, hi - lo + 1)) between \(h.first.advanced(by: lo)) and \(h.first.advanced(by: hi))")
        }
        // g[i] is the growth of quarter i (index into the history), defined for i ≥ lo + 4.
        func growth(_ i: Int) -> Double { log(h.sales[i] / h.sales[i - 4]) }
        func usable(_ i: Int) -> Bool { !excludeRecalled || !(h.recalled[i] || h.recalled[i - 4]) }
        var rows: [[Double]] = [], y: [Double] = [], used: [Int] = [], excluded: [Quarter] = []
        if lo + 5 <= hi {
            for i in (lo + 5) ... hi {
                if usable(i) && usable(i - 1) {
                    rows.append([1, growth(i - 1)])
                    y.append(growth(i))
                    used.append(i)
                } else {
                    excluded.append(h.first.advanced(by: i))
                }
            }
        }
        guard y.count >= 6 else {
            throw Failure(message: "needs at least 6 quarters of year-over-year growth pairs to fit the growth model, got \(y.count) between \(h.first.advanced(by: lo)) and \(h.first.advanced(by: hi))\(excluded.isEmpty ? "" : " after dropping \(excluded.count) that use recalled figures")")
        }
        let fit: LinearFit
        do { fit = try LinearFit.fit(rows: rows, y: y) } catch {
            throw Failure(message: "cannot fit the growth model (\(error)); the growth rates may be constant over the fit window")
        }
        // An exact fit (zero residuals) has no positive-definite covariance; it is usable without parameter draws.
        let l = try? fit.covarianceCholesky()
        a = fit.coefficients[0]
        b = fit.coefficients[1]
        sigma = fit.residualVariance.squareRoot()
        seA = fit.covariance[0].squareRoot()
        seB = fit.covariance[3].squareRoot()
        cholesky = l.map { ($0[0], $0[2], $0[3]) }
        n = fit.n
        dof = fit.n - fit.p
        firstRow = h.first.advanced(by: used[0])
        lastRow = h.first.advanced(by: used[used.count - 1])
        self.excluded = excluded
        origin = h.first.advanced(by: hi)
        originLevels = Array(h.sales[(hi - 3) ... hi])
        originGrowth = growth(hi)
        guard abs(b) < 1 else {
            throw Failure(message: "the fitted persistence b = \(UnitFormat.fixed(b, 3)) is not below 1 in absolute value, so growth would not revert to a mean; fit a different window (fit_from)")
        }
    }

    /// Draws one trial's (a, b, σ).
    ///
    /// With parameter uncertainty this is the posterior of the regression under a flat prior:
    /// σ² = RSS / χ²_ν, then (a, b) = (â, b̂) + (σ / σ̂) L z with z ~ N(0, I₂), redrawn while |b| ≥ 1
    /// (the model is stationary by assumption). After 1000 rejections, the point estimate is used.
    func draw(_ mode: GrowthUncertainty, _ stream: RandomStream) -> (a: Double, b: Double, sigma: Double) {
        switch mode {
        case .none: return (a, b, 0)
        case .shocksOnly: return (a, b, sigma)
        case .parametersAndShocks:
            guard let cholesky else { return (a, b, sigma) }
            let nu = Double(dof)
            for _ in 0 ..< 1000 {
                let k = (nu / stream.gamma(shape: nu / 2, scale: 2)).squareRoot()
                let z1 = stream.standardNormal(), z2 = stream.standardNormal()
                let bb = b + k * (cholesky.1 * z1 + cholesky.2 * z2)
                if abs(bb) < 1 { return (a + k * cholesky.0 * z1, bb, sigma * k) }
            }
            return (a, b, sigma)
        }
    }

    /// Simulates `levels[4...]` from the four origin levels in `levels[0 ..< 4]`:
    /// g_k = a + b g_{k−1} + σ ε_k, S_k = S_{k−4} exp(g_k). No shock is drawn when σ = 0.
    /// - Parameter shocks: scratch of at least `levels.count − 4` values for the quarters' ε.
    ///
    /// The quarters' shocks are drawn first, in one `fillStandardNormal` call, then the recursion runs
    /// over them: the same draws in the same order as one `standardNormal()` per quarter inside the
    /// recursion (nothing else draws in between), without a call across modules per draw. Raw buffers,
    /// because this loop runs for every quarter of every trial and an array would check bounds there.
    func simulate(_ p: (a: Double, b: Double, sigma: Double), _ stream: RandomStream,
                  into levels: UnsafeMutableBufferPointer<Double>, shocks: UnsafeMutableBufferPointer<Double>) {
        for k in 0 ..< 4 { levels[k] = originLevels[k] }
        var g = originGrowth
        let steps = levels.count - 4
        precondition(shocks.count >= steps)
        if p.sigma > 0 {
            stream.fillStandardNormal(UnsafeMutableBufferPointer(rebasing: shocks[0 ..< steps]))
            for k in 0 ..< steps {
                g = p.a + p.b * g + p.sigma * shocks[k]
                levels[k + 4] = levels[k] * exp(g)
            }
        } else {
            for k in 0 ..< steps {
                g = p.a + p.b * g + 0.0
                levels[k + 4] = levels[k] * exp(g)
            }
        }
    }

    /// The fitted parameters as report rows.
    func rows() -> [[String]] {
        let f = { (v: Double) in UnitFormat.fixed(v, 4) }
        return [
            ["a (intercept)", f(a), f(seA)],
            ["b (persistence per quarter)", f(b), f(seB)],
            ["σ (residual sd of yoy log growth)", f(sigma), "—"],
            ["long-run yoy log growth a / (1 − b)", f(longRunGrowth), "—"],
            ["fit window (growth quarters)", "\(firstRow)–\(lastRow)", "—"],
            ["observations / residual dof", "\(n) / \(dof)", "—"],
            ["rows dropped (recalled figures)", excluded.isEmpty ? "none" : excluded.map(\.description).joined(separator: ", "), "—"],
            ["forecast origin and its yoy log growth", "\(origin): \(f(originGrowth))", "—"],
        ]
    }
}
