import CDealcastPlugin

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// custom_models: a Dealcast plugin in Swift, built by SwiftPM as the dynamic library product
// `CustomModelsPlugin` against the C header alone (it does not link any Dealcast module).
//
// What are OpenAI's custom models for Amazon's consumer products (Alexa and the like) worth to the
// investor? Engaged households adopt the new features along a ramp after a launch lag; each brings an
// incremental operating profit, of which a share is owed to OpenAI's models rather than to the models
// Amazon would have used anyway. A blocked deal ends the arrangement when the last review closes.
// The module is deterministic: it uses no random numbers of its own, so it ignores the block seed.
// Model and sources: docs/models/custom_models.md. ABI: docs/plugin-abi.md.

/// A C string with static lifetime: copied once, never freed (the host never unloads a plugin).
private func cString(_ s: String) -> UnsafePointer<CChar> { UnsafePointer(strdup(s)!) }

/// A contiguous C array with static lifetime.
private func cArray<T>(_ items: [T]) -> UnsafePointer<T> {
    let p = UnsafeMutablePointer<T>.allocate(capacity: items.count)
    p.initialize(from: items, count: items.count)
    return UnsafePointer(p)
}

/// Input columns, in the order of `inputs`, then the metrics read.
private enum Column: Int, CaseIterable {
    case households, profitPerHousehold, attribution, launchLag, ramp, term, discountRate
    case blocked, delayMonths, investorValue
}

/// Output columns, in the order of `metrics`.
private enum Output: Int, CaseIterable {
    case profitPV, investorValueWithModels, profit, runRateProfit, launched
}

private func input(_ path: String, _ unit: String, _ constraint: Int32, range: (Double, Double) = (0, 0),
                   summary: String, default value: String? = nil, because rationale: String? = nil) -> dealcast_input {
    dealcast_input(path: cString(path), unit: cString(unit), constraint: constraint, minimum: range.0, maximum: range.1,
                   summary: cString(summary), default_value: value.map(cString), default_rationale: rationale.map(cString))
}

private func metric(_ name: String, _ unit: String, kind: Int32 = DEALCAST_CONTINUOUS, headline: Bool = false, _ summary: String) -> dealcast_metric {
    dealcast_metric(name: cString(name), unit: cString(unit), kind: kind, headline: headline ? 1 : 0, summary: cString(summary), undefined_meaning: nil)
}

nonisolated(unsafe) private let inputs: [dealcast_input] = [
    input("custom_models.households", "1", DEALCAST_POSITIVE,
          summary: "Households using features built on the custom models once adoption is complete",
          default: "20M to 80M",
          because: "Amazon counted about 600 million Alexa-enabled devices at the Alexa+ launch in February 2025 "
          + "(industry knowledge; not in FACTS); households hold several devices and many never use new "
          + "features. 90% interval 20M-80M households (lognormal). Low confidence."),
    input("custom_models.profit_per_household", "USD", DEALCAST_NON_NEGATIVE,
          summary: "Yearly operating profit the features add per engaged household (retention, commerce, subscriptions)",
          default: "$5 to $30",
          because: "No public figure. Alexa+ is free with Prime; its value is retention and shopping through the "
          + "assistant. A 90% interval of $5-$30 a household a year (lognormal). Low confidence."),
    input("custom_models.attribution", "1", DEALCAST_PROBABILITY,
          summary: "Share of the uplift owed to OpenAI's models rather than to the models Amazon would use anyway",
          default: "pert(10%, 30%, 60%)",
          because: "Amazon already builds on Anthropic (an $8B investment, FACTS G) and its own models, so most of "
          + "the uplift would come without OpenAI; the deal's custom models for Amazon products including "
          + "Alexa (FACTS A, high) add the rest. Mode 30%, from 10% to 60%. Assumption."),
    input("custom_models.launch_lag", "years", DEALCAST_NON_NEGATIVE,
          summary: "Years from the announcement until features built on the custom models ship",
          default: "pert(0.5 years, 1 year, 2 years)",
          because: "Custom models must be trained and integrated; Alexa+ took about two years from the generative-AI "
          + "push to launch. Mode one year. Assumption."),
    input("custom_models.ramp", "years", DEALCAST_POSITIVE,
          summary: "Years from launch until adoption is complete (a straight ramp)",
          default: "uniform(2 years, 4 years)",
          because: "Consumer assistant features roll out by country and device generation over several years. Assumption."),
    input("deal.compute_commitment.term", "years", DEALCAST_POSITIVE, summary: "Term of the compute commitment, taken as the arrangement's life"),
    input("deal.discount_rate", "1", DEALCAST_RANGE, range: (-0.5, 1), summary: "Annual discount rate for the investor's cash flows"),
]

nonisolated(unsafe) private let reads: [UnsafePointer<CChar>?] = [
    cString("regulatory_risk.blocked"), cString("regulatory_risk.delay_months"), cString("partnership_outcome.investor_value_usd"),
]

nonisolated(unsafe) private let metrics: [dealcast_metric] = [
    metric("profit_pv_usd", "USD", headline: true, "Present value of the operating profit the custom models add to consumer products over the term"),
    metric("investor_value_with_models_usd", "USD", "partnership_outcome.investor_value_usd plus the custom models' present value"),
    metric("profit_usd", "USD", "Operating profit the custom models add over the term, undiscounted"),
    metric("run_rate_profit_usd", "USD", "Yearly operating profit at full adoption: households × profit per household × attribution"),
    metric("launched", "probability", kind: DEALCAST_EVENT, "The features ship before the arrangement ends (the term, or a block)"),
]

nonisolated(unsafe) private let plugin: UnsafePointer<dealcast_plugin> = {
    var p = dealcast_plugin()
    p.abi_version = UInt32(DEALCAST_PLUGIN_ABI_VERSION)
    p.struct_size = UInt32(MemoryLayout<dealcast_plugin>.size)
    p.id = cString("custom_models")
    p.version = cString("1.0.0")
    p.description = cString("What OpenAI's custom models for Amazon's consumer products add to the investor's value.")
    p.input_count = UInt32(inputs.count)
    p.input_size = UInt32(MemoryLayout<dealcast_input>.size)
    p.inputs = cArray(inputs)
    p.read_count = UInt32(reads.count)
    p.reads = cArray(reads)
    p.metric_count = UInt32(metrics.count)
    p.metric_size = UInt32(MemoryLayout<dealcast_metric>.size)
    p.metrics = cArray(metrics)
    p.evaluate = evaluate
    return cArray([p])
}()

/// The entry point the host looks up with `dlsym`.
@_cdecl("dealcast_plugin_entry")
public func customModelsPluginEntry() -> UnsafePointer<dealcast_plugin>? { plugin }

/// Months per year, for the monthly time steps of the present value.
private let stepsPerYear = 12

/// Writes `text` into the host's message buffer, truncated and NUL-terminated.
private func fail(_ text: String, _ message: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    guard let message, size > 0 else { return DEALCAST_ERROR }
    let bytes = Array(text.utf8.prefix(size - 1))
    for (i, b) in bytes.enumerated() { message[i] = CChar(bitPattern: b) }
    message[bytes.count] = 0
    return DEALCAST_ERROR
}

private func evaluate(_ block: UnsafePointer<dealcast_block>?, _ message: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    guard let b = block?.pointee, let inputs = b.inputs, let outputs = b.outputs else {
        return fail("no block, or no input or output matrix", message, size)
    }
    guard b.input_columns == Column.allCases.count, b.output_columns == Output.allCases.count else {
        return fail("expected \(Column.allCases.count) input and \(Output.allCases.count) output columns, got \(b.input_columns) and \(b.output_columns)", message, size)
    }
    let n = Int(b.count)
    func column(_ c: Column) -> UnsafePointer<Double> { inputs + c.rawValue * n }
    func output(_ o: Output) -> UnsafeMutablePointer<Double> { outputs + o.rawValue * n }
    let households = column(.households), perHousehold = column(.profitPerHousehold), share = column(.attribution)
    let lag = column(.launchLag), ramp = column(.ramp), term = column(.term), rate = column(.discountRate)
    let blocked = column(.blocked), delay = column(.delayMonths), investor = column(.investorValue)
    for i in 0 ..< n {
        let runRate = households[i] * perHousehold[i] * share[i]
        // The arrangement ends with the term, or when the last review closes on a blocked deal.
        let end = blocked[i] > 0.5 ? min(term[i], delay[i] / 12) : term[i]
        var pv = 0.0, total = 0.0
        let steps = Int((term[i] * Double(stepsPerYear)).rounded(.up))
        for m in 0 ..< steps {
            let t = (Double(m) + 0.5) / Double(stepsPerYear)  // middle of the month, in years from the announcement
            guard t < end else { break }
            let adoption = min(1, max(0, (t - lag[i]) / ramp[i]))
            let profit = runRate * adoption / Double(stepsPerYear)
            total += profit
            pv += profit * pow(1 + rate[i], -t)
        }
        output(.profitPV)[i] = pv
        output(.investorValueWithModels)[i] = investor[i] + pv
        output(.profit)[i] = total
        output(.runRateProfit)[i] = runRate
        output(.launched)[i] = lag[i] < end ? 1 : 0
    }
    return DEALCAST_OK
}
