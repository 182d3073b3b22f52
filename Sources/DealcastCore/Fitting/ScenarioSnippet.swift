import Foundation

/// The unit of a data column, as the user writes it ("1M USD", "$1B", "%", "months"): what one number
/// in the column is worth, and how to write a value back in the same unit.
public struct DataUnit: Sendable, Equatable {
    /// The unit as given.
    public let text: String
    /// What the number 1 in the column means, in the dimension's canonical unit (1e6 for "1M USD").
    public let factor: Double
    public let dimension: Dimension
    /// Written before and after a number when a value is written back ("$", "M"; "", " GW").
    let prefix: String, suffix: String
    /// What a written number 1 (prefix + "1" + suffix) is worth, canonically.
    let writtenFactor: Double

    /// Plain numbers: no unit.
    public static let plain = DataUnit(text: "", factor: 1, dimension: .ratio, prefix: "", suffix: "", writtenFactor: 1)

    private init(text: String, factor: Double, dimension: Dimension, prefix: String, suffix: String, writtenFactor: Double) {
        self.text = text
        self.factor = factor
        self.dimension = dimension
        self.prefix = prefix
        self.suffix = suffix
        self.writtenFactor = writtenFactor
    }

    /// Reads a unit such as "1M USD", "$1B", "1000 USD", "%", "GW" or "months".
    /// - Throws: `DealcastError` (exit 64) naming `option` when the text is not an amount with a unit.
    public init(_ text: String, option: String = "--unit") throws(DealcastError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { self = .plain; return }
        // The unit may be written with a number ("1M USD") or without ("M USD", "%", "months").
        let hasNumber = t.unicodeScalars.contains { QuantityScanner.isDigit($0) }
        // A unit word reads better after a space ("3.5 months"), a scale or a sign without one ("12M USD", "8%").
        let spaced = t.unicodeScalars.first.map { $0.properties.isAlphabetic && !QuantityScanner.isScale(String(t.prefix { $0.isLetter }), attached: true) } ?? false
        let candidates = hasNumber ? [t] : (spaced ? ["1 " + t, "1" + t] : ["1" + t, "1 " + t])
        guard let whole = candidates.lazy.compactMap({ c in QuantityParser.parse(c).map { (c, $0) } }).first, whole.1.value > 0 else {
            throw DealcastError(.usage, "\(option) '\(text)': expected a unit such as '1M USD', '$1B', '%', 'GW' or 'months'")
        }
        // Split the written unit around its number, so values can be written back the same way.
        let scalars = Array(whole.0.unicodeScalars)
        var i = 0
        var prefix = ""
        while i < scalars.count, scalars[i] == "$" || scalars[i].properties.isWhitespace { if scalars[i] == "$" { prefix = "$" }; i += 1 }
        while i < scalars.count, QuantityScanner.isDigit(scalars[i]) || scalars[i] == "." || scalars[i] == "_" { i += 1 }
        let suffix = String(String.UnicodeScalarView(scalars[i...]))
        guard let one = QuantityParser.parse(prefix + "1" + suffix), one.dimension == whole.1.dimension, one.value > 0 else {
            throw DealcastError(.usage, "\(option) '\(text)': expected a unit such as '1M USD', '$1B', '%', 'GW' or 'months'")
        }
        self.init(text: t, factor: whole.1.value, dimension: whole.1.dimension, prefix: prefix, suffix: suffix, writtenFactor: one.value)
    }

    /// `value` (canonical) written in this unit, with `digits` significant digits, so that the
    /// scenario parser reads it back: "12.3457M USD", "$4.5B", "12.5%", "3.25 months".
    public func written(_ value: Double, digits: Int) -> String {
        let x = value / writtenFactor
        let number = String(format: "%.\(Swift.max(1, Swift.min(17, digits)))g", abs(x))
        return (x < 0 ? "-" : "") + prefix + number + suffix
    }
}

/// Writes a distribution in the scenario files' compact syntax (docs/scenario-format.md, section 7).
public enum ScenarioSnippet {
    /// The `value:` text of `distribution` for data in `unit`, with parameters written precisely
    /// enough that parsing the text gives back the distribution: every location or scale parameter to
    /// within a millionth of `spread` (the data's standard deviation), and at least 6 significant digits.
    /// Nil for the forms that fitting never produces (bernoulli, discrete, truncated, empirical).
    ///
    /// - Parameter display: write every parameter with 4 significant digits instead, for tables.
    public static func value(_ distribution: Distribution, unit: DataUnit, spread: Double, display: Bool = false) -> String? {
        func amount(_ v: Double) -> String { unit.written(v, digits: display ? 4 : digits(v, spread)) }
        func number(_ v: Double) -> String { String(format: "%.\(display ? 4 : digits(v, abs(v)))g", v) }
        switch distribution {
        case .normal(let m, let s): return "normal(mean=\(amount(m)), sd=\(amount(s)))"
        case .lognormal:
            return "lognormal(mean=\(amount(distribution.mean)), sd=\(amount(distribution.variance.squareRoot())))"
        case .gamma(let k, let t): return "gamma(shape=\(number(k)), scale=\(amount(t)))"
        case .beta(let a, let b): return "beta(alpha=\(number(a)), beta=\(number(b)))"
        case .uniform(let a, let b): return "uniform(min=\(amount(a)), max=\(amount(b)))"
        case .triangular(let a, let c, let b): return "triangular(min=\(amount(a)), mode=\(amount(c)), max=\(amount(b)))"
        case .pert(let a, let c, let b): return "pert(min=\(amount(a)), mode=\(amount(c)), max=\(amount(b)))"
        case .fixed(let v): return amount(v)
        case .bernoulli, .discrete, .truncated, .empirical: return nil
        }
    }

    /// Significant digits needed to write `v` to within 1e-6 × `spread`.
    static func digits(_ v: Double, _ spread: Double) -> Int {
        guard v != 0, spread > 0, v.isFinite else { return 6 }
        let needed = Int((log10(abs(v) / (spread * 1e-6))).rounded(.up)) + 1
        return Swift.max(6, Swift.min(17, needed))
    }
}
