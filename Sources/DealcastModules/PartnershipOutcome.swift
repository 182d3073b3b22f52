import DealcastCore
import Foundation

/// partnership_outcome: what the deal is worth to the investor, all parts together.
///
/// The upfront tranche buys a stake at the round's post-money valuation. The contingent tranche is
/// funded when an IPO or the funding milestone comes before its deadline, the deal is not blocked and
/// the investee has not fallen into distress first. The investee's equity value follows a lognormal
/// path with a distress state that cuts it by a haircut; later rounds dilute the stake every year.
/// The investor's value is the bridge: stake at the horizon (present value) − money paid (present
/// value) + capex_return's NPV + cloud_revenue_growth's platform profit − regulatory_risk's cost.
/// The equations are in docs/models/partnership_outcome.md; the code follows them line by line.
public struct PartnershipOutcome: AnalysisModule {
    public init() {}

    /// How the contingent tranche is priced: at the investee's value when it is funded, or at the price
    /// per share of the round (the post-money valuation).
    enum Pricing: String { case market, round }

    public let descriptor = ModuleDescriptor(
        id: "partnership_outcome",
        version: "1.0.0",
        summary: "What the deal is worth to the investor: the equity stake from both tranches, the money paid, and the bridge to investor value.",
        reads: ["regulatory_risk.blocked", "regulatory_risk.cost_usd", "capex_return.npv_usd", "cloud_revenue_growth.platform_profit_pv_usd"],
        metrics: [
            MetricSpec("tranche2_funded", unit: "1", kind: .event, summary: "The contingent tranche is funded before its deadline", headline: true),
            MetricSpec("trigger_by_deadline", unit: "1", kind: .event, summary: "An IPO or the funding milestone happens by the deadline, before any distress (blocked or not)"),
            MetricSpec("distress", unit: "1", kind: .event, summary: "The investee falls into distress within the horizon"),
            MetricSpec("tranche2_funding_years", unit: "years", summary: "Years from the announcement until the contingent tranche is funded",
                       undefinedMeaning: "the contingent tranche is not funded"),
            MetricSpec("stake_at_horizon", unit: "1", summary: "Investor's share of the investee at the end of the horizon, after dilution"),
            MetricSpec("paid_usd", unit: "USD", summary: "Money paid for the stake, undiscounted"),
            MetricSpec("paid_pv_usd", unit: "USD", summary: "Present value of the money paid for the stake"),
            MetricSpec("equity_value_usd", unit: "USD", summary: "Value of the stake at the end of the horizon, undiscounted"),
            MetricSpec("equity_value_pv_usd", unit: "USD", summary: "Present value of the stake's value at the end of the horizon"),
            MetricSpec("investor_value_usd", unit: "USD", summary: "Value of the deal to the investor: equity gain + capex NPV + platform profit − regulatory cost (present value)", headline: true,
                       bridge: [.plus("partnership_outcome.equity_value_pv_usd"), .minus("partnership_outcome.paid_pv_usd"), .plus("capex_return.npv_usd"),
                                .plus("cloud_revenue_growth.platform_profit_pv_usd"), .minus("regulatory_risk.cost_usd")]),
            MetricSpec("equity_moic", unit: "1", summary: "Stake value at the horizon ÷ money paid, both undiscounted",
                       undefinedMeaning: "nothing was paid for the stake"),
        ]
    )

    public func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        let tranches = b.count("deal.tranches", minimum: 2)
        if tranches > 2 {
            b.issue("deal.tranches", "partnership_outcome models one upfront tranche and one contingent tranche, got \(tranches)")
        }
        let horizon = b.scenario.horizon
        let t0 = Double(horizon.lowerBound.year)
        let end = Double(horizon.upperBound.year) + Double(horizon.upperBound.q) / 4 - t0
        let announced = b.date("deal.announced").yearFraction - t0
        let first = b.date("deal.tranches[0].date").yearFraction - t0
        let deadline = b.date("deal.tranches[1].deadline").yearFraction - t0
        if first >= end { b.issue("deal.tranches[0].date", "the upfront tranche must be paid before the horizon ends (\(horizon.upperBound))") }
        if deadline < first { b.issue("deal.tranches[1].deadline", "the contingent tranche's deadline falls before the upfront tranche is paid") }
        if first < announced { b.issue("deal.tranches[0].date", "the upfront tranche is paid before the deal is announced (deal.announced)") }
        let pricing = Pricing(rawValue: b.choice("partnership_outcome.tranche2_pricing", ["market", "round"])) ?? .market
        return Evaluator(
            announced: announced, first: first, deadline: deadline, end: end, pricing: pricing,
            upfront: b.input("deal.tranches[0].amount", .currency, .nonNegative, summary: "Upfront tranche of the investment"),
            contingent: b.input("deal.tranches[1].amount", .currency, .nonNegative, summary: "Contingent tranche, funded on an IPO or the funding milestone"),
            postMoney: b.input("deal.post_money_valuation", .currency, .positive, summary: "Investee's post-money valuation in the round"),
            discountRate: b.input("deal.discount_rate", .ratio, .range(-0.5, 1), summary: "Annual discount rate for the investor's cash flows"),
            timeToIPO: b.input("partnership_outcome.time_to_ipo", .duration, .nonNegative, summary: "Time from the announcement until the investee's IPO (or confidential IPO filing)"),
            timeToMilestone: b.input("partnership_outcome.time_to_milestone", .duration, .nonNegative, summary: "Time from the announcement until the funding milestone"),
            growth: b.input("partnership_outcome.value_growth", .ratio, .range(-0.9, 5), summary: "Expected annual growth of the investee's total equity value"),
            volatility: b.input("partnership_outcome.value_volatility", .ratio, .range(0, 3), summary: "Annual volatility of the investee's equity value (log scale)"),
            dilution: b.input("partnership_outcome.dilution_rate", .ratio, .range(0, 0.9), summary: "Yearly share of the investee issued to new investors"),
            distressProbability: b.input("partnership_outcome.distress_probability", .ratio, .probability, summary: "Probability that the investee falls into distress within the horizon"),
            haircut: b.input("partnership_outcome.distress_haircut", .ratio, .probability, summary: "Share of the investee's value lost in distress")
        )
    }

    struct Evaluator: ModuleEvaluator {
        /// Times in years from the valuation date (1 January of the horizon's first year): the
        /// announcement, the upfront payment, the contingent tranche's deadline and the horizon's end.
        let announced, first, deadline, end: Double
        let pricing: Pricing
        let upfront, contingent, postMoney, discountRate, timeToIPO, timeToMilestone: InputHandle
        let growth, volatility, dilution, distressProbability, haircut: InputHandle

        func evaluate(_ block: BlockContext) throws {
            let n = block.count, stream = block.stream
            let a1 = block.input(upfront), a2 = block.input(contingent), v0 = block.input(postMoney)
            let r = block.input(discountRate), ipo = block.input(timeToIPO), ms = block.input(timeToMilestone)
            let g = block.input(growth), sigma = block.input(volatility), delta = block.input(dilution)
            let pd = block.input(distressProbability), h = block.input(haircut)
            let blocked = block.metric("regulatory_risk.blocked"), regCost = block.metric("regulatory_risk.cost_usd")
            let capexNPV = block.metric("capex_return.npv_usd"), platformPV = block.metric("cloud_revenue_growth.platform_profit_pv_usd")
            let fundedOut = block.output("tranche2_funded"), triggerOut = block.output("trigger_by_deadline")
            let distressOut = block.output("distress"), fundingOut = block.output("tranche2_funding_years")
            let stakeOut = block.output("stake_at_horizon"), paidOut = block.output("paid_usd"), paidPVOut = block.output("paid_pv_usd")
            let equityOut = block.output("equity_value_usd"), equityPVOut = block.output("equity_value_pv_usd")
            let valueOut = block.output("investor_value_usd"), moicOut = block.output("equity_moic")
            let t1 = first, tH = end

            for i in 0 ..< n {
                // Four draws per trial, always: distress or not, when, and the two shocks of the value path.
                let uDistress = stream.uniform(), uWhen = stream.uniform()
                let z1 = stream.standardNormal(), z2 = stream.standardNormal()
                let distress = uDistress < pd[i]
                let distressTime = t1 + uWhen * (tH - t1)

                // The contingent tranche: first trigger, never before the upfront payment.
                let fundingTime = Swift.max(announced + Swift.min(ipo[i], ms[i]), t1)
                let beforeDistress = !distress || distressTime >= fundingTime
                let trigger = fundingTime <= deadline && fundingTime <= tH && beforeDistress
                let funded = trigger && blocked[i] < 0.5

                // Equity value path: log V(t) = log V0 + μ (t − t1) + σ W(t − t1), sampled at the funding
                // time (or the horizon's end, if later) and at the horizon's end.
                let mid = Swift.min(fundingTime, tH)
                let mu = log1p(g[i]) - sigma[i] * sigma[i] / 2
                let w1 = (mid - t1).squareRoot() * z1
                let wH = w1 + (tH - mid).squareRoot() * z2
                let valueAtFunding = v0[i] * exp(mu * (mid - t1) + sigma[i] * w1)
                let valueAtEnd = v0[i] * exp(mu * (tH - t1) + sigma[i] * wH) * (distress ? 1 - h[i] : 1)

                let keep = 1 - delta[i]
                var stake = a1[i] / v0[i] * pow(keep, tH - t1)
                if funded {
                    switch pricing {
                    case .market: stake += a2[i] / valueAtFunding * pow(keep, tH - fundingTime)
                    case .round: stake += a2[i] / v0[i] * pow(keep, tH - t1)
                    }
                }
                let logDiscount = log1p(r[i])
                let paid = a1[i] + (funded ? a2[i] : 0)
                let paidPV = a1[i] * exp(-logDiscount * t1) + (funded ? a2[i] * exp(-logDiscount * fundingTime) : 0)
                let equity = stake * valueAtEnd
                let equityPV = equity * exp(-logDiscount * tH)

                fundedOut[i] = funded ? 1 : 0
                triggerOut[i] = trigger ? 1 : 0
                distressOut[i] = distress ? 1 : 0
                fundingOut[i] = funded ? fundingTime - announced : .nan
                stakeOut[i] = stake
                paidOut[i] = paid
                paidPVOut[i] = paidPV
                equityOut[i] = equity
                equityPVOut[i] = equityPV
                valueOut[i] = equityPV - paidPV + capexNPV[i] + platformPV[i] - regCost[i]
                moicOut[i] = paid > 0 ? equity / paid : .nan
            }
        }
    }
}
