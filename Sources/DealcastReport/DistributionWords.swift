import DealcastCore

/// An input's distribution in words, for the assumptions table: "PERT from 55% to 100%, most
/// likely 85%", "lognormal, 90% between $5.0M and $50.0M".
enum DistributionWords {
    /// - Parameter display: how values are shown (`display(for:)` picks it from how the input is written).
    static func describe(_ d: Distribution, _ dimension: Dimension, _ display: Display) -> String {
        let f = { (v: Double) in value(v, dimension, display) }
        switch d {
        case .fixed(let v): return "fixed at \(f(v))"
        case .uniform(let a, let b): return "uniform from \(f(a)) to \(f(b))"
        case .normal(let m, let s): return "normal, mean \(f(m)), standard deviation \(f(s))"
        case .lognormal: return "lognormal, median \(f(d.quantile(0.5))), 90% between \(f(d.quantile(0.05))) and \(f(d.quantile(0.95)))"
        case .triangular(let a, let c, let b): return "triangular from \(f(a)) to \(f(b)), most likely \(f(c))"
        case .pert(let a, let m, let b): return "PERT from \(f(a)) to \(f(b)), most likely \(f(m))"
        case .beta(let a, let b):
            return "beta(\(ValueFormat.parameter(a)), \(ValueFormat.parameter(b))) on 0–1, mean \(value(d.mean, dimension, .percent))"
        case .gamma(let k, let t): return "gamma, shape \(ValueFormat.parameter(k)), mean \(f(k * t))"
        case .bernoulli(let p): return "yes (1) with probability \(UnitFormat.percent(p)), else no (0)"
        case .discrete(let values, let probabilities):
            let shown = zip(values, probabilities).prefix(6).map { "\(f($0)) (\(UnitFormat.percent($1, 0)))" }
            return "one of " + shown.joined(separator: ", ") + (values.count > 6 ? ", …" : "")
        case .truncated(let base, let lower, let upper):
            var bounds: [String] = []
            if lower.isFinite { bounds.append("at least \(f(lower))") }
            if upper.isFinite { bounds.append("at most \(f(upper))") }
            return describe(base, dimension, display) + (bounds.isEmpty ? "" : ", kept " + bounds.joined(separator: " and "))
        case .empirical(let xs):
            return "the \(xs.count) observed values, equally likely, from \(f(xs.first ?? .nan)) to \(f(xs.last ?? .nan))"
        }
    }

    /// How an input's values read best.
    enum Display {
        /// In the dimension's canonical unit.
        case canonical
        /// Plain numbers as percentages (shares, rates, probabilities).
        case percent
        /// Durations in months.
        case months
    }

    /// One value of an input, as `display` says.
    static func value(_ v: Double, _ dimension: Dimension, _ display: Display) -> String {
        switch (display, dimension) {
        case (.percent, .ratio): return percentage(v)
        case (.months, .duration): return ValueFormat.parameter(v * 12) + " months"
        default: return ValueFormat.format(v, dimension: dimension)
        }
    }

    /// A percentage with as many decimals as three significant figures need (8.50%, 0.125%, 35.0%).
    static func percentage(_ v: Double) -> String {
        let a = abs(v * 100)
        let digits = a >= 100 ? 0 : (a >= 10 ? 1 : (a >= 1 ? 2 : 3))
        return UnitFormat.percent(v, digits)
    }

    /// The display that matches how the scenario writes the input: percentages for plain numbers
    /// written with % (and for betas, which live on 0–1 and model shares and probabilities), months
    /// for durations written in months.
    static func display(for input: BoundInput) -> Display {
        switch input.value.dimension {
        case .ratio:
            if input.written.contains("%") { return .percent }
            if case .beta = input.value.distribution { return .percent }
            return .canonical
        case .duration:
            return input.written.contains("month") ? .months : .canonical
        default:
            return .canonical
        }
    }
}
