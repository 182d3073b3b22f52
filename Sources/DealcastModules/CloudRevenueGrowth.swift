import DealcastCore
import Foundation

/// cloud_revenue_growth: the cloud provider's quarterly revenue with and without the deal.
///
/// The baseline is a stochastic forecast of the provider's segment revenue, calibrated once per run on
/// its quarterly history (a mean-reverting AR(1) on year-over-year log growth, fitted by GSL least
/// squares, with parameter uncertainty). The deal adds the tenant's commitment recognised along a ramp,
/// less the share the provider would have won anyway, and the uplift from exclusive distribution of the
/// tenant's platform. The equations are in docs/models/cloud_revenue_growth.md.
public struct CloudRevenueGrowth: AnalysisModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "cloud_revenue_growth",
        version: "1.0.0",
        summary: "Cloud segment revenue with and without the deal: a calibrated stochastic baseline plus the commitment and platform-distribution uplift.",
        reads: ["capex_return.realisation"],
        metrics: [
            MetricSpec("incremental_revenue_usd", unit: "USD", summary: "Revenue the deal adds over the horizon: commitment not won anyway, plus platform distribution", headline: true),
            MetricSpec("growth_uplift_pp", unit: "1", summary: "Year-over-year growth with the deal minus without (0.02 = 2 pp), in the first full calendar year after the commitment starts (year in the calibration table)"),
            MetricSpec("platform_profit_pv_usd", unit: "USD", summary: "Present value at the deal's discount rate of the operating profit on the platform-distribution uplift only"),
            MetricSpec("commitment_incremental_usd", unit: "USD", summary: "Commitment revenue recognised over the horizon that the provider would not have won anyway"),
            MetricSpec("platform_revenue_usd", unit: "USD", summary: "Platform-distribution uplift revenue over the horizon"),
            MetricSpec("baseline_revenue_usd", unit: "USD", summary: "Segment revenue over the horizon without the deal"),
            MetricSpec("baseline_growth", unit: "1", summary: "Year-over-year growth without the deal in the growth-uplift year"),
        ],
        series: [
            SeriesSpec("revenue_with_deal_usd", unit: "USD", frequency: .quarterly, summary: "Segment revenue per quarter with the deal"),
            SeriesSpec("revenue_without_deal_usd", unit: "USD", frequency: .quarterly, summary: "Segment revenue per quarter without the deal (the calibrated baseline)"),
            SeriesSpec("backtest_revenue_usd", unit: "USD", frequency: .quarterly, summary: "Baseline forecast from the history-cutoff quarter over the quarters with actuals (backtest runs only)"),
        ]
    )

    public func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        let id = descriptor.id
        let historyPath = "\(id).history"
        let file = b.text(historyPath)
        let history = b.table(historyPath).flatMap { RevenueHistory.read($0, file: file) { b.issue(historyPath, $0) } }
        let recalledPath = "\(id).recalled_quarters"
        let excludeRecalled = (b.has(recalledPath) ? b.choice(recalledPath, ["exclude", "include"]) : "exclude") == "exclude"
        let uncertaintyPath = "\(id).uncertainty"
        let mode = b.has(uncertaintyPath)
            ? GrowthUncertainty(rawValue: b.choice(uncertaintyPath, GrowthUncertainty.allCases.map(\.rawValue)))!
            : .parametersAndShocks
        let fitFrom: Quarter? = b.has("\(id).fit_from") ? b.quarter("\(id).fit_from") : nil

        let horizon = b.scenario.horizon
        let termYears = b.fixed("deal.compute_commitment.term", .duration, .positive)
        let term = max(1, Int((termYears * 4).rounded()))
        let commitStart = b.quarter("\(id).commitment_start")
        let ramp = max(1, Int((b.fixed("\(id).commitment_ramp", .duration, .positive) * 4).rounded()))
        let launch = b.quarter("\(id).platform_launch")
        let platformRamp = max(1, Int((b.fixed("\(id).platform_ramp", .duration, .positive) * 4).rounded()))
        if ramp > term {
            b.issue("\(id).commitment_ramp", "the ramp (\(ramp) quarters) is longer than the commitment's term (\(term) quarters)")
        }
        for (path, q) in [("\(id).commitment_start", commitStart), ("\(id).platform_launch", launch)] where !horizon.contains(q) {
            b.issue(path, "\(q) is outside the horizon \(horizon.lowerBound)–\(horizon.upperBound)")
        }
        // The growth-uplift year: the first calendar year that the commitment covers whole.
        let upliftYear = commitStart.q == 1 ? commitStart.year : commitStart.year + 1
        if Quarter(year: upliftYear, q: 4) > horizon.upperBound {
            b.issue("\(id).commitment_start", "the growth-uplift year \(upliftYear) (the first full calendar year after the commitment starts) ends after the horizon (\(horizon.upperBound))")
        }

        let handles = Evaluator.Handles(
            commitment: b.input("deal.compute_commitment.amount", .currency, .nonNegative, summary: "Compute the tenant commits to buy over the term"),
            discountRate: b.input("deal.discount_rate", .ratio, .range(-0.5, 1), summary: "Annual discount rate for the investor's cash flows"),
            counterfactualShare: b.input("\(id).counterfactual_share", .ratio, .probability, summary: "Share of the tenant's committed spend the provider would have won without the deal"),
            platformRunRate: b.input("\(id).platform_run_rate", .currency, .nonNegative, summary: "Yearly revenue from exclusive platform distribution once ramped (USD per year)"),
            margin: b.input("\(id).operating_margin", .ratio, .range(-1, 1), summary: "Operating margin on the platform-distribution revenue"))

        guard let history else { return Unbound() }
        if horizon.lowerBound <= history.last {
            b.issue(historyPath, "the history runs to \(history.last), but the horizon starts at \(horizon.lowerBound); the baseline is forecast from the quarter after the last actual, so the horizon must start after it")
            return Unbound()
        }
        let model: GrowthCalibration
        do { model = try GrowthCalibration(history, from: fitFrom, excludeRecalled: excludeRecalled) } catch {
            b.issue(historyPath, error.message)
            return Unbound()
        }
        if mode == .parametersAndShocks && model.cholesky == nil {
            b.issue(uncertaintyPath, "parameter uncertainty needs a positive-definite parameter covariance, but the history fits the growth model exactly; use 'shocks_only' or 'none'")
        }
        var backtest: Evaluator.Backtest?
        if let text = b.options["history-cutoff"] {
            guard let cutoff = Quarter(text) else {
                throw DealcastError(.usage, "history-cutoff: expected a quarter such as 2021Q4, got '\(text)'")
            }
            guard cutoff < history.last else {
                throw DealcastError(.usage, "history-cutoff \(cutoff): \(file) has no actual quarters after it (it ends at \(history.last))")
            }
            do {
                let m = try GrowthCalibration(history, from: fitFrom, through: cutoff, excludeRecalled: excludeRecalled)
                backtest = Evaluator.Backtest(model: m, history: history, excludeRecalled: excludeRecalled)
            } catch {
                throw DealcastError(.usage, "history-cutoff \(cutoff): calibrating on \(file) up to it \(error.message)")
            }
        }
        return Evaluator(
            mode: mode, model: model, backtest: backtest, handles: handles, history: history, historyFile: file,
            deal: Evaluator.DealShape(horizon: horizon, origin: history.last, term: term, ramp: ramp, commitStart: commitStart,
                                      launch: launch, platformRamp: platformRamp, upliftYear: upliftYear))
    }

    /// Stands in when binding failed; the run stops on the recorded issues before evaluating.
    struct Unbound: ModuleEvaluator {
        func evaluate(_ block: BlockContext) throws {
            throw DealcastError(.internalError, "cloud_revenue_growth evaluated although its binding failed")
        }
    }
}

extension CloudRevenueGrowth {
    struct Evaluator: ModuleEvaluator {
        struct Handles {
            let commitment, discountRate, counterfactualShare, platformRunRate, margin: InputHandle
        }

        /// A calibration on the history up to a cutoff, and the actuals it is checked against.
        struct Backtest {
            let model: GrowthCalibration
            let history: RevenueHistory
            /// Whether recalled actuals are left out of the coverage counts (as they are out of the fit).
            let excludeRecalled: Bool
            /// The quarters after the cutoff that have actuals.
            var quarters: [Quarter] { (1 ... (history.last.ordinal - model.origin.ordinal)).map { model.origin.advanced(by: $0) } }
        }

        /// The deal's revenue profile per horizon quarter, fixed for the run.
        struct DealShape {
            /// Quarters simulated after the last actual, and how many of them precede the horizon.
            let simulated: Int, offset: Int
            /// Share of the honoured commitment recognised in horizon quarter j: w_k / W, k = quarters since the start.
            let commitWeight: [Double]
            /// Share of the yearly platform run-rate earned in horizon quarter j: min(1, (k + 1) / R_p) / 4.
            let platformShape: [Double]
            /// The growth-uplift year, and the level index and horizon index (−1 if outside) of each
            /// quarter of the year before it and of it.
            let upliftYear: Int
            let yearQuarters: [(level: Int, horizon: Int)]

            init(horizon: ClosedRange<Quarter>, origin: Quarter, term: Int, ramp: Int, commitStart: Quarter,
                 launch: Quarter, platformRamp: Int, upliftYear: Int) {
                simulated = horizon.upperBound.ordinal - origin.ordinal
                offset = horizon.lowerBound.ordinal - origin.ordinal - 1
                let ramped = { (k: Int, r: Int) in Swift.min(1, Double(k + 1) / Double(r)) }
                let total = (0 ..< term).reduce(0.0) { $0 + ramped($1, ramp) }
                let quarters = (horizon.lowerBound.ordinal ... horizon.upperBound.ordinal)
                commitWeight = quarters.map { o in
                    let k = o - commitStart.ordinal
                    return k >= 0 && k < term ? ramped(k, ramp) / total : 0
                }
                platformShape = quarters.map { o in
                    let k = o - launch.ordinal
                    return k >= 0 ? ramped(k, platformRamp) / 4 : 0
                }
                self.upliftYear = upliftYear
                yearQuarters = (Quarter(year: upliftYear - 1, q: 1).ordinal ... Quarter(year: upliftYear, q: 4).ordinal).map { o in
                    (level: 4 + o - origin.ordinal - 1, horizon: quarters.contains(o) ? o - horizon.lowerBound.ordinal : -1)
                }
            }
        }

        static let id = "cloud_revenue_growth"
        let mode: GrowthUncertainty
        let model: GrowthCalibration
        let backtest: Backtest?
        let handles: Handles
        /// The segment's reported revenue, published as the revenue series' actuals.
        let history: RevenueHistory
        let historyFile: String
        let deal: DealShape

        func evaluate(_ block: BlockContext) throws {
            let n = block.count, stream = block.stream
            let com = block.input(handles.commitment), rate = block.input(handles.discountRate)
            let share = block.input(handles.counterfactualShare), run = block.input(handles.platformRunRate)
            let margin = block.input(handles.margin), rho = block.metric("capex_return.realisation")
            let incOut = block.output("incremental_revenue_usd"), upliftOut = block.output("growth_uplift_pp")
            let pvOut = block.output("platform_profit_pv_usd"), comOut = block.output("commitment_incremental_usd")
            let platOut = block.output("platform_revenue_usd"), baseOut = block.output("baseline_revenue_usd")
            let growthOut = block.output("baseline_growth")
            let quarters = deal.commitWeight.count
            let withOut = (0 ..< quarters).map { block.output("revenue_with_deal_usd", period: $0) }
            let withoutOut = (0 ..< quarters).map { block.output("revenue_without_deal_usd", period: $0) }
            let backtestOut = (0 ..< block.periods("backtest_revenue_usd")).map { block.output("backtest_revenue_usd", period: $0) }
            guard n > 0 else { return }
            // Per-block scratch and the per-run profiles as raw buffers: the quarter loops below run for
            // every quarter of every trial, and arrays would check bounds (and uniqueness, for the
            // levels written in place) on each access. Column j of a series is a pointer to its trials.
            let levels = UnsafeMutableBufferPointer<Double>.allocate(capacity: 4 + deal.simulated)
            let backtestLevels = UnsafeMutableBufferPointer<Double>.allocate(capacity: 4 + backtestOut.count)
            let shocks = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, deal.simulated, backtestOut.count))
            let withColumns = UnsafeMutableBufferPointer<UnsafeMutablePointer<Double>>.allocate(capacity: max(1, quarters))
            let withoutColumns = UnsafeMutableBufferPointer<UnsafeMutablePointer<Double>>.allocate(capacity: max(1, quarters))
            let profile = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, 2 * quarters))
            defer {
                levels.deallocate(); backtestLevels.deallocate(); shocks.deallocate()
                withColumns.deallocate(); withoutColumns.deallocate(); profile.deallocate()
            }
            levels.initialize(repeating: 0)
            backtestLevels.initialize(repeating: 0)
            shocks.initialize(repeating: 0)
            for j in 0 ..< quarters {
                withColumns[j] = withOut[j].baseAddress!
                withoutColumns[j] = withoutOut[j].baseAddress!
                profile[j] = deal.commitWeight[j]
                profile[quarters + j] = deal.platformShape[j]
            }
            let commitWeight = UnsafeBufferPointer(rebasing: profile[0 ..< quarters])
            let platformShape = UnsafeBufferPointer(rebasing: profile[quarters ..< 2 * quarters])
            let yearQuarters = deal.yearQuarters

            for i in 0 ..< n {
                model.simulate(model.draw(mode, stream), stream, into: levels, shocks: shocks)
                // Commitment revenue the provider would not have won anyway: (1 − s) C ρ.
                let committed = (1 - share[i]) * com[i] * rho[i]
                let quarterDiscount = pow(1 + rate[i], -0.25)
                let runRate = run[i]
                var discount = 1.0, commitTotal = 0.0, platformTotal = 0.0, platformPV = 0.0, baseTotal = 0.0
                for j in 0 ..< quarters {
                    let base = levels[4 + deal.offset + j]
                    let c = committed * commitWeight[j], p = runRate * platformShape[j]
                    discount *= quarterDiscount
                    withoutColumns[j][i] = base
                    withColumns[j][i] = base + c + p
                    baseTotal += base
                    commitTotal += c
                    platformTotal += p
                    platformPV += p * discount
                }
                var before = (with: 0.0, without: 0.0), after = (with: 0.0, without: 0.0)
                for (k, q) in yearQuarters.enumerated() {
                    let base = levels[q.level]
                    let delta = q.horizon >= 0 ? committed * commitWeight[q.horizon] + runRate * platformShape[q.horizon] : 0
                    if k < 4 { before.with += base + delta; before.without += base } else { after.with += base + delta; after.without += base }
                }
                let growthWithout = after.without / before.without - 1
                upliftOut[i] = (after.with / before.with - 1) - growthWithout
                growthOut[i] = growthWithout
                incOut[i] = commitTotal + platformTotal
                comOut[i] = commitTotal
                platOut[i] = platformTotal
                baseOut[i] = baseTotal
                pvOut[i] = margin[i] * platformPV
            }
            // The backtest draws come after the whole block's forecast, so that asking for a backtest
            // leaves the forecast's numbers unchanged.
            guard let backtest else { return }
            for i in 0 ..< n {
                backtest.model.simulate(backtest.model.draw(mode, stream), stream, into: backtestLevels, shocks: shocks)
                for p in 0 ..< backtestOut.count { backtestOut[p][i] = backtestLevels[4 + p] }
            }
        }

        /// Every revenue series continues the segment's reported quarters.
        func actuals(of series: String) -> SeriesActuals? {
            guard ["revenue_with_deal_usd", "revenue_without_deal_usd", "backtest_revenue_usd"].contains(series) else { return nil }
            return SeriesActuals(index: history.sales.indices.map { history.first.advanced(by: $0).description },
                                 values: history.sales, source: historyFile)
        }

        func periods(of series: String) -> [String]? {
            guard series == "backtest_revenue_usd" else { return nil }
            return backtest?.quarters.map(\.description) ?? []
        }

        func tables(_ results: RunResults) -> [ModuleTable] {
            let header = ["parameter", "estimate", "standard error"]
            var out = [ModuleTable(
                title: "Baseline growth model",
                caption: "g_t = a + b g_{t−1} + σ ε_t on year-over-year log growth of quarterly segment revenue, fitted by least squares on the full history. Parameter uncertainty: \(mode.rawValue). Growth uplift measured in \(deal.upliftYear).",
                header: header, rows: model.rows())]
            guard let backtest, let series = results.series("\(Self.id).backtest_revenue_usd") else { return out }
            out.append(ModuleTable(
                title: "Backtest calibration (history through \(backtest.model.origin))",
                caption: "The same model fitted only on the quarters up to the history cutoff.",
                header: header, rows: backtest.model.rows()))
            let s = series.summary
            var in50 = 0, in90 = 0, counted = 0, detail: [[String]] = []
            for (p, q) in backtest.quarters.enumerated() {
                let h = backtest.history.index(of: q)!
                let actual = backtest.history.sales[h]
                let inner = s.p25[p] <= actual && actual <= s.p75[p], outer = s.p5[p] <= actual && actual <= s.p95[p]
                let skipped = backtest.excludeRecalled && backtest.history.recalled[h]
                if !skipped {
                    counted += 1
                    if inner { in50 += 1 }
                    if outer { in90 += 1 }
                }
                detail.append([q.description, UnitFormat.money(actual) + (skipped ? " (recalled, not counted)" : ""),
                               UnitFormat.money(s.p5[p]), UnitFormat.money(s.p50[p]), UnitFormat.money(s.p95[p]),
                               inner ? "yes" : "no", outer ? "yes" : "no"])
            }
            let share = { (k: Int) in counted > 0 ? UnitFormat.percent(Double(k) / Double(counted), 0) : "n/a" }
            out.append(ModuleTable(
                title: "Backtest coverage",
                caption: "Actual quarters \(backtest.quarters.first!)–\(backtest.quarters.last!) inside the simulated baseline's bands, calibrated through \(backtest.model.origin). Forecast errors persist from quarter to quarter, so the quarters are not independent checks: a shortfall says the bands are too narrow, not by how much.",
                header: ["band", "nominal", "actual quarters inside", "observed rate"],
                rows: [["50% (p25–p75)", "50%", "\(in50) of \(counted)", share(in50)],
                       ["90% (p5–p95)", "90%", "\(in90) of \(counted)", share(in90)]]))
            out.append(ModuleTable(
                title: "Backtest by quarter",
                caption: "Actual segment revenue against the backtest baseline's percentiles.",
                header: ["quarter", "actual", "p5", "p50", "p95", "in 50% band", "in 90% band"], rows: detail))
            return out
        }
    }
}
