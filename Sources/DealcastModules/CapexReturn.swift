import DealcastCore
import Foundation

/// capex_return: the cloud provider's return on the capacity it builds for the deal.
///
/// Annual discounted cash flow of the dedicated capacity: build capex and IT refreshes, contracted
/// revenue along the capacity ramp (scaled by the share the tenant honours), spare capacity sold at an
/// eroding market price, power, other opex and tax, with the net book value as terminal value.
/// The equations are in docs/models/capex_return.md; the code follows them line by line.
public struct CapexReturn: AnalysisModule {
    public init() {}

    public let descriptor = ModuleDescriptor(
        id: "capex_return",
        version: "1.0.0",
        summary: "Return on the capacity the cloud provider builds for the deal: NPV, IRR and payback of its cash flows.",
        reads: ["regulatory_risk.blocked"],
        metrics: [
            MetricSpec("npv_usd", unit: "USD", summary: "Net present value of the capacity's free cash flows, including terminal book value", headline: true),
            MetricSpec("irr", unit: "fraction", summary: "Internal rate of return of the free cash flows",
                       undefinedMeaning: "the free cash flows never change sign, or have no rate in (−99%, 1000%) that zeroes the NPV"),
            MetricSpec("payback_years", unit: "years", summary: "Years from the start of the horizon until cumulative free cash flow turns positive",
                       undefinedMeaning: "cumulative free cash flow stays negative through the horizon"),
            MetricSpec("capex_usd", unit: "USD", summary: "Capital spent on the capacity over the horizon, builds and IT refreshes"),
            MetricSpec("contract_revenue_usd", unit: "USD", summary: "Revenue recognised from the tenant's commitment over the horizon"),
            MetricSpec("realisation", unit: "fraction", summary: "Share of the commitment the tenant honours, after any regulatory unwinding"),
        ],
        series: [
            SeriesSpec("free_cash_flow_usd", unit: "USD", frequency: .annual, summary: "Free cash flow of the capacity per year (terminal book value in the last year)"),
        ]
    )

    public func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        let years = b.scenario.years.count
        let schedule = b.fixedList("capex_return.build_schedule", .ratio, .probability)
        if !schedule.isEmpty, abs(schedule.reduce(0, +) - 1) > 1e-6 {
            b.issue("capex_return.build_schedule", "the shares of capacity coming online each year must sum to 100%, got \(UnitFormat.percent(schedule.reduce(0, +)))")
        }
        if schedule.count > years {
            b.issue("capex_return.build_schedule", "has \(schedule.count) years but the horizon has \(years)")
        }
        let term = b.fixed("deal.compute_commitment.term", .duration, .positive)
        return Evaluator(
            years: years,
            schedule: schedule + Array(repeating: 0, count: max(0, years - schedule.count)),
            termYears: term,
            capacity: b.input("deal.capacity", .power, .positive, summary: "Capacity the tenant commits to consume"),
            commitment: b.input("deal.compute_commitment.amount", .currency, .nonNegative, summary: "Compute the tenant commits to buy over the term"),
            realisation: b.input("deal.commitment_realisation", .ratio, .probability, summary: "Share of the commitment the tenant honours"),
            retainedIfBlocked: b.input("deal.commitment_retained_if_blocked", .ratio, .probability, summary: "Share of the honoured commitment that survives if regulators block or unwind the deal"),
            discountRate: b.input("deal.discount_rate", .ratio, .range(-0.5, 1), summary: "Annual discount rate for the investor's cash flows"),
            capexPerGW: b.input("capex_return.capex_per_gw", .currencyPerPower, .positive, summary: "All-in capex per GW of AI capacity"),
            itShare: b.input("capex_return.it_share", .ratio, .probability, summary: "Share of capex that is IT equipment (servers, accelerators, network)"),
            itLife: b.input("capex_return.it_life", .duration, .positive, summary: "Useful life of IT equipment, after which it is replaced"),
            facilityLife: b.input("capex_return.facility_life", .duration, .positive, summary: "Useful life of the facility (shell, power, cooling)"),
            hardwareCostDecline: b.input("capex_return.hardware_cost_decline", .ratio, .range(0, 0.9), summary: "Yearly fall in the cost of replacing IT equipment"),
            priceErosion: b.input("capex_return.price_erosion", .ratio, .range(0, 0.9), summary: "Yearly fall in the market price of compute"),
            spareUtilisation: b.input("capex_return.spare_utilisation", .ratio, .probability, summary: "Utilisation of capacity not used by the contract, sold at market prices"),
            pue: b.input("capex_return.pue", .ratio, .range(1, 3), summary: "Power usage effectiveness of the facility"),
            loadFactor: b.input("capex_return.load_factor", .ratio, .probability, summary: "Average IT load as a share of capacity"),
            powerPrice: b.input("capex_return.power_price", .energyPrice, .nonNegative, summary: "Price of electricity"),
            otherOpexShare: b.input("capex_return.other_opex_share", .ratio, .probability, summary: "Operating costs other than power, as a share of revenue"),
            taxRate: b.input("capex_return.tax_rate", .ratio, .probability, summary: "Cash tax rate on operating profit (losses shield other profits)")
        )
    }

    struct Evaluator: ModuleEvaluator {
        let years: Int
        let schedule: [Double]
        let termYears: Double
        let capacity, commitment, realisation, retainedIfBlocked, discountRate: InputHandle
        let capexPerGW, itShare, itLife, facilityLife, hardwareCostDecline: InputHandle
        let priceErosion, spareUtilisation, pue, loadFactor, powerPrice, otherOpexShare, taxRate: InputHandle

        static let hoursPerYear = 8766.0

        func evaluate(_ block: BlockContext) throws {
            let n = block.count
            let cap = block.input(capacity), com = block.input(commitment), rho = block.input(realisation)
            let keep = block.input(retainedIfBlocked), r = block.input(discountRate), blocked = block.metric("regulatory_risk.blocked")
            let cpg = block.input(capexPerGW), its = block.input(itShare), itl = block.input(itLife), fl = block.input(facilityLife)
            let hcd = block.input(hardwareCostDecline), pe = block.input(priceErosion), su = block.input(spareUtilisation)
            let pu = block.input(pue), lf = block.input(loadFactor), pp = block.input(powerPrice)
            let ox = block.input(otherOpexShare), tx = block.input(taxRate)
            let npvOut = block.output("npv_usd"), irrOut = block.output("irr"), pbOut = block.output("payback_years")
            let capexOut = block.output("capex_usd"), revOut = block.output("contract_revenue_usd"), realOut = block.output("realisation")
            let fcfOut = (0 ..< years).map { block.output("free_cash_flow_usd", period: $0) }

            // Online share of capacity at year t (cumulative schedule), and GW-years online within the term.
            var online = [Double](repeating: 0, count: years)
            var acc = 0.0
            for t in 0 ..< years { acc += schedule[t]; online[t] = acc }
            let termWeights = (0 ..< years).map { t in online[t] * Swift.max(0, Swift.min(1, termYears - Double(t))) }
            let termGWYears = termWeights.reduce(0, +)
            // Share of the capacity online in year t that the contract covers (before the realised share):
            // the same for every trial, so computed once per block.
            let contractedShare = (0 ..< years).map { t in online[t] > 0 ? termWeights[t] / online[t] : 0 }

            // Per-trial scratch, allocated once per block; raw buffers so that the year loops below
            // carry no uniqueness or bounds checks.
            let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: 4 * years)
            scratch.initialize(repeating: 0)
            defer { scratch.deallocate() }
            let fcf = UnsafeMutableBufferPointer(rebasing: scratch[0 ..< years])
            let capex = UnsafeMutableBufferPointer(rebasing: scratch[years ..< 2 * years])
            let depIT = UnsafeMutableBufferPointer(rebasing: scratch[2 * years ..< 3 * years])
            let facilityDepOf = UnsafeMutableBufferPointer(rebasing: scratch[3 * years ..< 4 * years])
            let solver = IRRSolver()
            for i in 0 ..< n {
                let realised = rho[i] * (blocked[i] > 0.5 ? keep[i] : 1)
                let buildCost = cap[i] * cpg[i]
                let life = Swift.max(1, Int(itl[i].rounded()))
                // Capex: initial builds, then IT refreshes every `life` years at a declining cost. The
                // refresh factor (1 − decline)^life is the same at every refresh of the trial: computed
                // at the first one, and only if there is one (nan until then).
                for t in 0 ..< years { capex[t] = 0; depIT[t] = 0 }
                var refreshFactor = Double.nan
                var netBookIT = 0.0
                var capexTotal = 0.0
                for c in 0 ..< years where schedule[c] > 0 {
                    let cohort = buildCost * schedule[c]
                    var t = c, cost = cohort * its[i]
                    capex[c] += cohort
                    capexTotal += cohort
                    while t < years {
                        let d = cost / Double(life)
                        for k in t ..< Swift.min(years, t + life) { depIT[k] += d }
                        if t + life > years { netBookIT += d * Double(t + life - years) }
                        t += life
                        if t < years {
                            if refreshFactor.isNaN { refreshFactor = pow(1 - hcd[i], Double(life)) }
                            cost *= refreshFactor
                            capex[t] += cost
                            capexTotal += cost
                        }
                    }
                }
                let facilityCost = buildCost * (1 - its[i])
                // Facility depreciation of cohort c, once per trial instead of once per later year.
                for c in 0 ..< years where schedule[c] > 0 { facilityDepOf[c] = facilityCost * schedule[c] / fl[i] }
                // Contract revenue follows the capacity online within the term; the honoured share is
                // `realised`, and capacity the contract leaves idle is sold at the eroding market price.
                let pricePerGWYear = termGWYears > 0 ? com[i] / (termGWYears * cap[i]) : 0
                var contractTotal = 0.0
                var cumFacilityDep = 0.0
                // Year t's facility depreciation is the sum over the cohorts online by t, added in cohort
                // order from zero: the running sum below performs exactly those additions.
                var facilityDep = 0.0
                for t in 0 ..< years {
                    let gw = cap[i] * online[t]
                    let contract = termGWYears > 0 ? com[i] * realised * termWeights[t] / termGWYears : 0
                    let contractedGW = gw * contractedShare[t] * realised
                    let spareGW = Swift.max(0, gw - contractedGW)
                    let market = spareGW * pricePerGWYear * pow(1 - pe[i], Double(t)) * su[i]
                    let revenue = contract + market
                    let power = gw * 1000 * pu[i] * Self.hoursPerYear * lf[i] * pp[i]
                    if schedule[t] > 0 { facilityDep += facilityDepOf[t] }
                    cumFacilityDep += facilityDep
                    let ebit = revenue - power - ox[i] * revenue - depIT[t] - facilityDep
                    fcf[t] = revenue - power - ox[i] * revenue - tx[i] * ebit - capex[t]
                    contractTotal += contract
                }
                // Terminal value: the net book value left at the end of the horizon.
                fcf[years - 1] += netBookIT + Swift.max(0, facilityCost - cumFacilityDep)
                for t in 0 ..< years { fcfOut[t][i] = fcf[t] }
                let f = UnsafeBufferPointer(fcf)
                npvOut[i] = CashFlow.npv(f, rate: r[i])
                irrOut[i] = solver.irr(f) ?? .nan
                pbOut[i] = CashFlow.payback(f) ?? .nan
                capexOut[i] = capexTotal
                revOut[i] = contractTotal
                realOut[i] = realised
            }
        }
    }
}
