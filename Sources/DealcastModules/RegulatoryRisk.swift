import DealcastCore
import Foundation

/// regulatory_risk: competition reviews of the deal, what they decide and what they cost the investor.
///
/// Each jurisdiction may open a review, some time after the announcement, that lasts an uncertain time
/// and ends cleared, cleared with remedies, or blocked (or unwound). The outcome probabilities are
/// themselves uncertain: every trial draws them from a Dirichlet whose concentrations the scenario
/// gives. A block anywhere blocks the deal; otherwise the costliest remedy package and the time spent
/// under review cost money, valued at the start of the horizon's first year.
/// The equations are in docs/models/regulatory_risk.md; the code follows them line by line.
public struct RegulatoryRisk: AnalysisModule {
    public init() {}

    /// The outcomes of a review, in the order of the categorical draw (docs/models/regulatory_risk.md).
    static let outcomes = ["cleared", "remedies", "blocked"]

    public let descriptor = ModuleDescriptor(
        id: "regulatory_risk",
        version: "1.0.0",
        summary: "Competition reviews of the deal by jurisdiction: whether they open, how long they take, whether they clear, impose remedies or block, and what that costs the investor.",
        metrics: [
            MetricSpec("any_review", unit: "1", kind: .event, summary: "At least one jurisdiction opens a review"),
            MetricSpec("blocked", unit: "1", kind: .event, summary: "A review blocks or unwinds the deal", headline: true),
            MetricSpec("remedies", unit: "1", kind: .event, summary: "Not blocked, and at least one review imposes remedies"),
            MetricSpec("cleared", unit: "1", kind: .event, summary: "No review opens, or every review clears the deal unconditionally"),
            MetricSpec("reviews_opened", unit: "1", summary: "Number of jurisdictions that open a review"),
            MetricSpec("delay_months", unit: "months", summary: "Months from the announcement until the last review closes (0 if none opens)"),
            MetricSpec("months_under_review", unit: "months", summary: "Months from the first review's opening to the last review's close (0 if none opens)"),
            MetricSpec("remedy_cost_usd", unit: "USD", summary: "Present value of the costliest remedy package (0 unless remedies apply)"),
            MetricSpec("delay_cost_usd", unit: "USD", summary: "Present value of the cost of the months under review"),
            MetricSpec("cost_usd", unit: "USD", summary: "Present value of remedy and delay costs to the investor", headline: true),
            MetricSpec("block_probability", unit: "1", summary: "Probability of a block given this trial's drawn review and outcome probabilities"),
        ]
    )

    public func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        let list = "regulatory_risk.jurisdictions"
        var jurisdictions: [Jurisdiction] = []
        var names: Set<String> = []
        for i in 0 ..< b.count(list) {
            let p = "\(list)[\(i)]"
            Self.rejectUnknownKeys(b, p, ["name", "review_probability", "time_to_open", "duration", "outcome_concentration", "remedy_cost"])
            Self.rejectUnknownKeys(b, "\(p).outcome_concentration", Self.outcomes)
            let name = b.text("\(p).name")
            if !name.isEmpty, !names.insert(name).inserted { b.issue("\(p).name", "jurisdiction '\(name)' is listed twice") }
            let alpha = Self.outcomes.map { b.fixed("\(p).outcome_concentration.\($0)", .ratio, .nonNegative) }
            if alpha.allSatisfy({ $0 == 0 }) {
                b.issue("\(p).outcome_concentration", "at least one of cleared, remedies and blocked must have a positive concentration")
            }
            let slots = alpha.indices.filter { alpha[$0] > 0 }
            jurisdictions.append(Jurisdiction(
                alpha: slots.map { alpha[$0] },
                slots: slots,
                opens: b.input("\(p).review_probability", .ratio, .probability, summary: "Probability that \(name) opens a review of the deal"),
                timeToOpen: b.input("\(p).time_to_open", .duration, .nonNegative, summary: "Time from the announcement until \(name) opens its review"),
                duration: b.input("\(p).duration", .duration, .nonNegative, summary: "How long \(name)'s review lasts once open"),
                remedyCost: b.input("\(p).remedy_cost", .currency, .nonNegative, summary: "Cost to the investor of the remedies \(name) would impose")
            ))
        }
        let announced = b.date("deal.announced")
        return Evaluator(
            jurisdictions: jurisdictions,
            announcedOffset: announced.yearFraction - Double(b.scenario.horizon.lowerBound.year),
            delayCostPerMonth: b.input("regulatory_risk.delay_cost_per_month", .currency, .nonNegative, summary: "Cost to the investor of each month the deal spends under review"),
            discountRate: b.input("deal.discount_rate", .ratio, .range(-0.5, 1), summary: "Annual discount rate for the investor's cash flows")
        )
    }

    /// Reports keys of the mapping at `path` that are not in `known`, with a "did you mean". The binder's
    /// own unknown-key check does not look inside the items of a list it has counted, so the module checks
    /// its jurisdictions itself (with the binder's wording, so a duplicate would be merged).
    static func rejectUnknownKeys(_ b: ScenarioBinder, _ path: String, _ known: [String]) {
        guard let node = b.scenario.node(at: path), !node.isAnnotatedValue, case .mapping(let pairs) = node.kind else { return }
        for (key, _) in pairs where !known.contains(key) {
            let hint = Suggest.closest(to: key, in: known).map { "; did you mean '\($0)'?" } ?? ""
            b.issue("\(path).\(key)", "unknown key '\(key)': no module reads it\(hint)")
        }
    }

    /// One jurisdiction's bound inputs. `alpha` holds the positive concentrations only; `slots[k]` is the
    /// outcome (index into `outcomes`) of `alpha[k]`. An outcome with concentration 0 is impossible.
    struct Jurisdiction: Sendable {
        let alpha: [Double]
        let slots: [Int]
        let opens, timeToOpen, duration, remedyCost: InputHandle
    }

    struct Evaluator: ModuleEvaluator {
        let jurisdictions: [Jurisdiction]
        /// Years from the valuation date (1 January of the horizon's first year) to the announcement.
        let announcedOffset: Double
        let delayCostPerMonth, discountRate: InputHandle

        func evaluate(_ block: BlockContext) throws {
            let n = block.count, stream = block.stream, a = announcedOffset
            let r = block.input(discountRate), c = block.input(delayCostPerMonth)
            let q = jurisdictions.map { block.input($0.opens) }
            let open = jurisdictions.map { block.input($0.timeToOpen) }
            let length = jurisdictions.map { block.input($0.duration) }
            let remedy = jurisdictions.map { block.input($0.remedyCost) }
            let anyOut = block.output("any_review"), blockedOut = block.output("blocked")
            let remediesOut = block.output("remedies"), clearedOut = block.output("cleared")
            let openedOut = block.output("reviews_opened"), delayOut = block.output("delay_months")
            let underOut = block.output("months_under_review"), remedyOut = block.output("remedy_cost_usd")
            let delayCostOut = block.output("delay_cost_usd"), costOut = block.output("cost_usd")
            let pBlockOut = block.output("block_probability")
            // Dirichlet parameters and draws, all jurisdictions' in one flat buffer each (jurisdiction
            // j's at `first[j]`), allocated once per block; and where in its draw each jurisdiction's
            // remedies and blocked probabilities are (nil: concentration 0, probability 0). Found once
            // here instead of by a scan of the slots per jurisdiction per trial.
            let m = jurisdictions.count
            let sizes = jurisdictions.map { $0.alpha.count }
            let first = sizes.indices.map { sizes[..<$0].reduce(0, +) }
            let total = sizes.reduce(0, +)
            let alpha = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, total))
            let theta = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, total))
            defer { alpha.deallocate(); theta.deallocate() }
            alpha.initialize(repeating: 0)
            theta.initialize(repeating: 0)
            for j in 0 ..< m { for k in 0 ..< sizes[j] { alpha[first[j] + k] = jurisdictions[j].alpha[k] } }
            let remedySlot = jurisdictions.map { $0.slots.firstIndex(of: 1) }
            let blockedSlot = jurisdictions.map { $0.slots.firstIndex(of: 2) }

            for i in 0 ..< n {
                let logGrowth = log1p(r[i])
                var opened = 0, blocked = false, remedied = false
                var firstOpen = Double.infinity, lastClose = 0.0, remedyPV = 0.0, noBlock = 1.0
                for j in 0 ..< m {
                    // Always three draws per jurisdiction, whatever happens, so that every trial uses the
                    // same number of draws and one jurisdiction's inputs never shift another's draws.
                    let uOpen = stream.uniform()
                    let at = first[j], size = sizes[j]
                    stream.dirichlet(UnsafeBufferPointer(rebasing: alpha[at ..< at + size]),
                                     into: UnsafeMutableBufferPointer(rebasing: theta[at ..< at + size]))
                    let uOutcome = stream.uniform()
                    let pRemedies = remedySlot[j].map { theta[at + $0] } ?? 0.0
                    let pBlocked = blockedSlot[j].map { theta[at + $0] } ?? 0.0
                    noBlock *= 1 - q[j][i] * pBlocked
                    guard uOpen < q[j][i] else { continue }
                    opened += 1
                    let close = open[j][i] + length[j][i]
                    firstOpen = Swift.min(firstOpen, open[j][i])
                    lastClose = Swift.max(lastClose, close)
                    if uOutcome < pBlocked {
                        blocked = true
                    } else if uOutcome < pBlocked + pRemedies {
                        remedied = true
                        remedyPV = Swift.max(remedyPV, remedy[j][i] * exp(-logGrowth * (a + close)))
                    }
                }
                // Delay cost: 12c a year, paid continuously from the first opening to the last close.
                var underReview = 0.0, delayPV = 0.0
                if opened > 0 {
                    underReview = lastClose - firstOpen
                    let atStart = exp(-logGrowth * (a + firstOpen))
                    let annuity = logGrowth == 0 ? underReview : -expm1(-logGrowth * underReview) / logGrowth
                    delayPV = 12 * c[i] * atStart * annuity
                }
                let remedies = remedied && !blocked
                let remedyCost = remedies ? remedyPV : 0
                anyOut[i] = opened > 0 ? 1 : 0
                blockedOut[i] = blocked ? 1 : 0
                remediesOut[i] = remedies ? 1 : 0
                clearedOut[i] = !blocked && !remedies ? 1 : 0
                openedOut[i] = Double(opened)
                delayOut[i] = 12 * lastClose
                underOut[i] = 12 * underReview
                remedyOut[i] = remedyCost
                delayCostOut[i] = delayPV
                costOut[i] = remedyCost + delayPV
                pBlockOut[i] = 1 - noBlock
            }
        }
    }
}
