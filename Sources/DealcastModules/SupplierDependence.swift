import DealcastCore
import Foundation

/// supplier_dependence: how concentrated the investee's compute supply is, and what the deal does to it.
///
/// The investee's compute contracts (cloud providers and chip deals) are delivered along linear ramps;
/// at an evaluation quarter the module groups the delivered gigawatts by chip vendor and measures
/// concentration (Herfindahl–Hirschman index, top share, effective number of vendors), the blended cost
/// of compute against an all-Nvidia baseline, and the gigawatts lost to the trial's disruption events:
/// one Bernoulli draw per vendor and one per foundry, a foundry event hitting every chip made there.
/// Every figure is computed with and without the contracts the deal adds, on the same draws.
/// The equations are in docs/models/supplier_dependence.md; the code follows them line by line.
public struct SupplierDependence: AnalysisModule {
    public init() {}

    static let empty = "no compute is delivered at the evaluation date"
    static let emptyWithout = "no compute other than the deal's is delivered at the evaluation date"

    public let descriptor = ModuleDescriptor(
        id: "supplier_dependence",
        version: "1.0.0",
        summary: "Concentration of the investee's compute supply by chip vendor, with and without the deal, and the compute a vendor or foundry disruption would take out.",
        metrics: [
            MetricSpec("hhi", unit: "1", summary: "Herfindahl–Hirschman index of delivered compute by chip vendor, 0–10 000, with the deal", undefinedMeaning: empty, headline: true),
            MetricSpec("hhi_without_deal", unit: "1", summary: "Herfindahl–Hirschman index by chip vendor without the deal's contracts", undefinedMeaning: emptyWithout),
            MetricSpec("hhi_change", unit: "1", summary: "Change in the index that the deal causes (negative: less concentrated)", undefinedMeaning: "\(empty), with or without the deal"),
            MetricSpec("top_vendor_share", unit: "1", summary: "Share of delivered compute from the largest chip vendor, with the deal", undefinedMeaning: empty),
            MetricSpec("top_vendor_share_without_deal", unit: "1", summary: "Share of delivered compute from the largest chip vendor, without the deal", undefinedMeaning: emptyWithout),
            MetricSpec("effective_vendors", unit: "1", summary: "Effective number of chip vendors (10 000 / HHI), with the deal", undefinedMeaning: empty),
            MetricSpec("effective_vendors_without_deal", unit: "1", summary: "Effective number of chip vendors, without the deal", undefinedMeaning: emptyWithout),
            MetricSpec("blended_cost_index", unit: "1", summary: "Cost per unit of delivered compute relative to an all-Nvidia portfolio (Nvidia = 1), with the deal", undefinedMeaning: empty),
            MetricSpec("blended_cost_index_without_deal", unit: "1", summary: "Cost per unit of delivered compute relative to all-Nvidia, without the deal", undefinedMeaning: emptyWithout),
            MetricSpec("delivered_gw", unit: "GW", summary: "Compute capacity delivered at the evaluation date, with the deal"),
            MetricSpec("delivered_gw_without_deal", unit: "GW", summary: "Compute capacity delivered at the evaluation date, without the deal's contracts"),
            MetricSpec("deal_share", unit: "1", summary: "Share of delivered compute that comes from the deal's contracts", undefinedMeaning: empty),
            MetricSpec("compute_at_risk_gw", unit: "GW", summary: "Delivered compute lost in the trial's vendor and foundry disruptions over one year, with the deal"),
            MetricSpec("compute_at_risk_gw_without_deal", unit: "GW", summary: "Delivered compute lost in the same disruptions, without the deal's contracts"),
            MetricSpec("at_risk_share", unit: "1", summary: "Share of delivered compute lost in the trial's disruptions, with the deal", undefinedMeaning: empty),
            MetricSpec("top_foundry_share", unit: "1", summary: "Share of delivered compute made by the largest foundry, with the deal", undefinedMeaning: empty),
            MetricSpec("provider_hhi", unit: "1", summary: "Herfindahl–Hirschman index of delivered compute by provider (who operates it), with the deal", undefinedMeaning: empty),
            MetricSpec("provider_hhi_without_deal", unit: "1", summary: "Herfindahl–Hirschman index by provider, without the deal", undefinedMeaning: emptyWithout),
            MetricSpec("any_disruption", unit: "1", kind: .event, summary: "A disruption hits at least one vendor or foundry that the portfolio uses, within the year"),
            MetricSpec("foundry_disruption", unit: "1", kind: .event, summary: "A common-mode disruption hits at least one foundry that the portfolio uses, within the year"),
        ],
        series: [
            SeriesSpec("delivered_gw_by_year", unit: "GW", frequency: .annual, summary: "Compute capacity delivered at the end of each year (or of the horizon), with the deal"),
        ]
    )

    /// A vendor's or foundry's annual disruption probability and the share of its compute a disruption takes out.
    struct Risk {
        let probability: InputHandle
        let loss: InputHandle
    }

    /// One compute contract, resolved to indices and input handles.
    struct Contract {
        let name: String
        let provider: Int
        let vendor: Int
        let foundry: Int
        let fromDeal: Bool
        /// Capacity in GW, or (if `inUSD`) contract value in USD converted at `usd_per_gw`.
        let size: InputHandle
        let inUSD: Bool
        let delivered: InputHandle
        let start: Quarter
        let full: Quarter
    }

    public func bind(_ b: ScenarioBinder) throws -> any ModuleEvaluator {
        let p = "supplier_dependence"
        let horizon = b.scenario.horizon
        let asOf = b.quarter("\(p).as_of")
        if !horizon.contains(asOf) {
            b.issue("\(p).as_of", "must lie within the horizon \(horizon.lowerBound)–\(horizon.upperBound), got \(asOf)")
        }
        let foundryNames = Self.names(b, "\(p).foundries")
        let foundries = foundryNames.indices.map { i in
            Risk(probability: b.input("\(p).foundries[\(i)].disruption_probability", .ratio, .probability, summary: "Annual probability of a disruption at foundry \(foundryNames[i])"),
                 loss: b.input("\(p).foundries[\(i)].disruption_loss", .ratio, .probability, summary: "Share of the compute made at \(foundryNames[i]) that its disruption takes out"))
        }
        let vendorNames = Self.names(b, "\(p).vendors")
        var vendorFoundry: [Int] = [], relativeCost: [InputHandle] = [], vendorRisk: [Risk] = []
        for (v, name) in vendorNames.enumerated() {
            let path = "\(p).vendors[\(v)]"
            vendorFoundry.append(foundryNames.isEmpty ? 0 : foundryNames.firstIndex(of: b.choice("\(path).foundry", foundryNames))!)
            relativeCost.append(b.input("\(path).relative_cost", .ratio, .positive, summary: "Cost per unit of compute from \(name), relative to Nvidia"))
            vendorRisk.append(Risk(probability: b.input("\(path).disruption_probability", .ratio, .probability, summary: "Annual probability of a disruption at \(name)"),
                                   loss: b.input("\(path).disruption_loss", .ratio, .probability, summary: "Share of \(name)'s compute that its disruption takes out")))
        }
        var contracts: [Contract] = [], providers: [String] = []
        var usdPerGW: InputHandle?
        let usdPath = "\(p).usd_per_gw"
        _ = b.has(usdPath)
        for c in 0 ..< b.count("\(p).contracts") {
            let path = "\(p).contracts[\(c)]"
            let name = b.text("\(path).name")
            let provider = b.text("\(path).provider")
            let fromDeal = b.has("\(path).from_deal") && b.choice("\(path).from_deal", ["false", "true"]) == "true"
            guard !vendorNames.isEmpty, !foundryNames.isEmpty else { continue }
            let vendor = vendorNames.firstIndex(of: b.choice("\(path).chip_vendor", vendorNames))!
            let foundry = b.has("\(path).foundry") ? foundryNames.firstIndex(of: b.choice("\(path).foundry", foundryNames))! : vendorFoundry[vendor]
            // The size: `gw`, or `amount` converted at usd_per_gw, or (for the deal's contract) deal.capacity.
            var size: InputHandle?, inUSD = false
            switch (b.has("\(path).gw"), b.has("\(path).amount")) {
            case (true, true):
                b.issue(path, "give the contract's size once: either 'gw' (a capacity) or 'amount' (a value converted at \(usdPath)), not both")
            case (true, false):
                size = b.input("\(path).gw", .power, .nonNegative, summary: "Capacity contracted under \(name)")
            case (false, true):
                size = b.input("\(path).amount", .currency, .nonNegative, summary: "Value of \(name), converted to GW at usd_per_gw")
                inUSD = true
                usdPerGW = usdPerGW ?? b.input(usdPath, .currencyPerPower, .positive, summary: "Contract value per GW of compute, to convert contracts stated in USD")
            case (false, false) where fromDeal:
                size = b.input("deal.capacity", .power, .positive, summary: "Capacity the tenant commits to consume")
            case (false, false):
                b.issue(path, "missing the contract's size: 'gw' (e.g. '4.5 GW') or 'amount' (e.g. '$22.4B', converted at \(usdPath))")
            }
            let delivered = b.has("\(path).delivered_fraction") || !fromDeal
                ? b.input("\(path).delivered_fraction", .ratio, .probability, summary: "Share of \(name)'s capacity actually delivered")
                : b.input("deal.commitment_realisation", .ratio, .probability, summary: "Share of the commitment the tenant honours")
            let start = Self.period(b, "\(path).start", end: false)
            let full = b.has("\(path).full") ? Self.period(b, "\(path).full", end: true) : start
            guard let size, let start, let full else { continue }
            if full < start { b.issue("\(path).full", "the contract reaches full capacity (\(full)) before it starts (\(start))") }
            if !providers.contains(provider) { providers.append(provider) }
            contracts.append(Contract(name: name, provider: providers.firstIndex(of: provider)!, vendor: vendor, foundry: foundry,
                                      fromDeal: fromDeal, size: size, inUSD: inUSD, delivered: delivered, start: start, full: full))
        }
        let yearEnds = b.scenario.years.map { Swift.min(Quarter(year: $0, q: 4), horizon.upperBound) }
        return Evaluator(
            contracts: contracts, providerCount: providers.count, usdPerGW: usdPerGW,
            relativeCost: relativeCost, vendorRisk: vendorRisk, foundryRisk: foundries,
            vendorUsed: vendorNames.indices.map { v in contracts.contains { $0.vendor == v } },
            foundryUsed: foundryNames.indices.map { f in contracts.contains { $0.foundry == f } },
            onlineAsOf: contracts.map { Self.online(at: asOf, start: $0.start, full: $0.full) },
            onlineByYear: yearEnds.map { q in contracts.map { Self.online(at: q, start: $0.start, full: $0.full) } },
            table: Self.table(contracts, asOf: asOf, vendors: vendorNames, foundries: foundryNames, providers: providers))
    }

    /// The `name`s of the items of the list at `path`, each required and unique.
    static func names(_ b: ScenarioBinder, _ path: String) -> [String] {
        var out: [String] = []
        for i in 0 ..< b.count(path) {
            let name = b.text("\(path)[\(i)].name")
            if !name.isEmpty, out.contains(name) { b.issue("\(path)[\(i)].name", "'\(name)' is listed twice; names must be unique") }
            out.append(name)
        }
        return out
    }

    /// Reads a quarter ("2026Q3") or a year ("2027": its first quarter for a start, its last for `end`).
    static func period(_ b: ScenarioBinder, _ path: String, end: Bool) -> Quarter? {
        let text = b.text(path)
        if text.isEmpty { return nil }
        if let q = Quarter(text) { return q }
        if text.count == 4, let y = Int(text) { return Quarter(year: y, q: end ? 4 : 1) }
        b.issue(path, "expected a quarter such as 2026Q3 or a year such as 2027, got '\(text)'")
        return nil
    }

    /// Share of a contract's capacity online at the end of quarter `q`: 0 before `start`, then a linear
    /// ramp by quarter reaching 1 in `full`.
    static func online(at q: Quarter, start: Quarter, full: Quarter) -> Double {
        if q < start { return 0 }
        if q >= full { return 1 }
        return Double(q.ordinal - start.ordinal + 1) / Double(full.ordinal - start.ordinal + 1)
    }

    static func table(_ contracts: [Contract], asOf: Quarter, vendors: [String], foundries: [String], providers: [String]) -> ModuleTable {
        ModuleTable(
            title: "Compute contracts",
            caption: "The investee's compute contracts and the share of each online at the evaluation date \(asOf) (linear ramp from start to full). Capacities and delivered shares are sampled inputs, listed with the assumptions.",
            header: ["contract", "provider", "chip vendor", "foundry", "start", "full", "online at \(asOf)", "from the deal"],
            rows: contracts.map { c in
                [c.name, providers[c.provider], vendors[c.vendor], foundries[c.foundry], "\(c.start)", "\(c.full)",
                 UnitFormat.percent(online(at: asOf, start: c.start, full: c.full)), c.fromDeal ? "yes" : "no"]
            })
    }

    /// Herfindahl–Hirschman index (0–10 000) and largest share of the amounts `x` summing to `total`;
    /// NaN for an empty portfolio.
    static func concentration(_ x: UnsafeBufferPointer<Double>, total: Double) -> (hhi: Double, top: Double) {
        guard total > 0 else { return (.nan, .nan) }
        var sumSquares = 0.0, top = 0.0
        for v in x {
            let s = v / total
            sumSquares += s * s
            top = Swift.max(top, s)
        }
        return (10_000 * sumSquares, top)
    }

    struct Evaluator: ModuleEvaluator {
        let contracts: [Contract]
        let providerCount: Int
        let usdPerGW: InputHandle?
        let relativeCost: [InputHandle]
        let vendorRisk: [Risk]
        let foundryRisk: [Risk]
        /// Vendors and foundries with at least one contract, for the disruption events.
        let vendorUsed: [Bool]
        let foundryUsed: [Bool]
        /// Online share of each contract at the evaluation date, and at each year's end ([year][contract]).
        let onlineAsOf: [Double]
        let onlineByYear: [[Double]]
        let table: ModuleTable

        func tables(_ results: RunResults) -> [ModuleTable] { [table] }

        func evaluate(_ block: BlockContext) throws {
            let n = block.count, nv = relativeCost.count, nf = foundryRisk.count
            let size = contracts.map { block.input($0.size) }, share = contracts.map { block.input($0.delivered) }
            let perGW = usdPerGW.map { block.input($0) }
            let cost = relativeCost.map { block.input($0) }
            let vp = vendorRisk.map { block.input($0.probability) }, vl = vendorRisk.map { block.input($0.loss) }
            let fp = foundryRisk.map { block.input($0.probability) }, fl = foundryRisk.map { block.input($0.loss) }
            let hhiOut = block.output("hhi"), hhiWithoutOut = block.output("hhi_without_deal"), changeOut = block.output("hhi_change")
            let topOut = block.output("top_vendor_share"), topWithoutOut = block.output("top_vendor_share_without_deal")
            let effOut = block.output("effective_vendors"), effWithoutOut = block.output("effective_vendors_without_deal")
            let costOut = block.output("blended_cost_index"), costWithoutOut = block.output("blended_cost_index_without_deal")
            let gwOut = block.output("delivered_gw"), gwWithoutOut = block.output("delivered_gw_without_deal"), dealOut = block.output("deal_share")
            let riskOut = block.output("compute_at_risk_gw"), riskWithoutOut = block.output("compute_at_risk_gw_without_deal")
            let riskShareOut = block.output("at_risk_share"), foundryOut = block.output("top_foundry_share")
            let providerOut = block.output("provider_hhi"), providerWithoutOut = block.output("provider_hhi_without_deal")
            let anyOut = block.output("any_disruption"), foundryEventOut = block.output("foundry_disruption")
            let byYear = onlineByYear.indices.map { block.output("delivered_gw_by_year", period: $0) }

            // The contracts' fields the trial loop reads, as flat arrays: iterating `contracts` itself
            // copied each `Contract` (its name and quarters included) out of the array for every
            // contract of every trial.
            let nc = contracts.count
            let kVendor = contracts.map(\.vendor), kFoundry = contracts.map(\.foundry), kProvider = contracts.map(\.provider)
            let kFromDeal = contracts.map(\.fromDeal), kInUSD = contracts.map(\.inUSD)
            let stream = block.stream
            // The per-trial scratch as slices of one raw buffer allocated per block: the trial loop writes
            // and reads them for every contract, vendor and foundry, and `var` arrays there paid a bounds
            // and a uniqueness check on each access.
            let np = providerCount
            let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, nc + 4 * nv + 2 * np + 2 * nf))
            defer { scratch.deallocate() }
            scratch.initialize(repeating: 0)
            var next = 0
            func slice(_ count: Int) -> UnsafeMutableBufferPointer<Double> {
                defer { next += count }
                return UnsafeMutableBufferPointer(rebasing: scratch[next ..< next + count])
            }
            let contracted = slice(nc), vendorHit = slice(nv), foundryHit = slice(nf)
            let byVendor = slice(nv), byVendorWithout = slice(nv), byProvider = slice(np), byProviderWithout = slice(np)
            let byFoundry = slice(nf)
            for i in 0 ..< n {
                // Delivered capacity of each contract at full ramp: C_c = S_c · δ_c (S_c = A_c / k for USD contracts).
                for c in 0 ..< nc {
                    contracted[c] = (kInUSD[c] ? size[c][i] / perGW![i] : size[c][i]) * share[c][i]
                }
                // Disruption events: a fixed nv + nf draws per trial.
                var anyEvent = 0.0, foundryEvent = 0.0
                for v in 0 ..< nv {
                    vendorHit[v] = stream.bernoulli(vp[v][i])
                    if vendorUsed[v] { anyEvent = Swift.max(anyEvent, vendorHit[v]) }
                }
                for f in 0 ..< nf {
                    foundryHit[f] = stream.bernoulli(fp[f][i])
                    if foundryUsed[f] { foundryEvent = Swift.max(foundryEvent, foundryHit[f]) }
                }
                for v in 0 ..< nv { byVendor[v] = 0; byVendorWithout[v] = 0 }
                for j in 0 ..< providerCount { byProvider[j] = 0; byProviderWithout[j] = 0 }
                for f in 0 ..< nf { byFoundry[f] = 0 }
                var total = 0.0, totalWithout = 0.0, lost = 0.0, lostWithout = 0.0
                for c in 0 ..< nc {
                    let vendor = kVendor[c], foundry = kFoundry[c], provider = kProvider[c]
                    let d = contracted[c] * onlineAsOf[c]
                    let loss = 1 - (1 - vendorHit[vendor] * vl[vendor][i]) * (1 - foundryHit[foundry] * fl[foundry][i])
                    byVendor[vendor] += d
                    byProvider[provider] += d
                    byFoundry[foundry] += d
                    total += d
                    lost += d * loss
                    if !kFromDeal[c] {
                        byVendorWithout[vendor] += d
                        byProviderWithout[provider] += d
                        totalWithout += d
                        lostWithout += d * loss
                    }
                }
                let with = Self.concentrationAndCost(UnsafeBufferPointer(byVendor), total: total, cost: cost, i)
                let without = Self.concentrationAndCost(UnsafeBufferPointer(byVendorWithout), total: totalWithout, cost: cost, i)
                hhiOut[i] = with.hhi
                hhiWithoutOut[i] = without.hhi
                changeOut[i] = with.hhi - without.hhi
                topOut[i] = with.top
                topWithoutOut[i] = without.top
                effOut[i] = 10_000 / with.hhi
                effWithoutOut[i] = 10_000 / without.hhi
                costOut[i] = with.cost
                costWithoutOut[i] = without.cost
                gwOut[i] = total
                gwWithoutOut[i] = totalWithout
                dealOut[i] = total > 0 ? (total - totalWithout) / total : .nan
                riskOut[i] = lost
                riskWithoutOut[i] = lostWithout
                riskShareOut[i] = total > 0 ? lost / total : .nan
                foundryOut[i] = SupplierDependence.concentration(UnsafeBufferPointer(byFoundry), total: total).top
                providerOut[i] = SupplierDependence.concentration(UnsafeBufferPointer(byProvider), total: total).hhi
                providerWithoutOut[i] = SupplierDependence.concentration(UnsafeBufferPointer(byProviderWithout), total: totalWithout).hhi
                anyOut[i] = Swift.max(anyEvent, foundryEvent)
                foundryEventOut[i] = foundryEvent
                for t in onlineByYear.indices {
                    var gw = 0.0
                    onlineByYear[t].withUnsafeBufferPointer { online in
                        for c in 0 ..< nc { gw += contracted[c] * online[c] }
                    }
                    byYear[t][i] = gw
                }
            }
        }

        /// HHI and top share by vendor, and the blended cost index Σ s_v · k_v.
        static func concentrationAndCost(_ x: UnsafeBufferPointer<Double>, total: Double, cost: [UnsafeBufferPointer<Double>], _ i: Int) -> (hhi: Double, top: Double, cost: Double) {
            let (hhi, top) = SupplierDependence.concentration(x, total: total)
            guard total > 0 else { return (hhi, top, .nan) }
            var blended = 0.0
            for v in x.indices { blended += x[v] / total * cost[v][i] }
            return (hhi, top, blended)
        }
    }
}
