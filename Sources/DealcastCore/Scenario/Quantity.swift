/// What a number measures. Each dimension has one canonical unit in which Dealcast computes.
public enum Dimension: String, Sendable, CaseIterable, Codable {
    /// Money, canonical unit US dollars.
    case currency = "USD"
    /// Electrical power, canonical unit gigawatts.
    case power = "GW"
    /// Price of energy, canonical unit US dollars per megawatt-hour.
    case energyPrice = "USD/MWh"
    /// Money per unit of power (capex intensity), canonical unit US dollars per gigawatt.
    case currencyPerPower = "USD/GW"
    /// A span of time, canonical unit years.
    case duration = "years"
    /// A pure number: fractions, percentages, probabilities, multiples, ratios.
    case ratio = "1"

    /// The words a user reads in an error message.
    public var phrase: String {
        switch self {
        case .currency: return "an amount with a currency (e.g. '15B USD' or '$15B')"
        case .power: return "a power (e.g. '2 GW' or '750 MW')"
        case .energyPrice: return "an energy price (e.g. '$80/MWh')"
        case .currencyPerPower: return "a cost per unit of power (e.g. '$40B/GW')"
        case .duration: return "a duration (e.g. '6 years' or '18 months')"
        case .ratio: return "a plain number or a percentage (e.g. '0.4' or '8%')"
        }
    }
}

/// A number with its dimension, in the dimension's canonical unit.
public struct Quantity: Sendable, Equatable, CustomStringConvertible {
    public var value: Double
    public var dimension: Dimension

    public init(_ value: Double, _ dimension: Dimension) {
        self.value = value
        self.dimension = dimension
    }

    public var description: String { UnitFormat.format(value, dimension) }
}

/// Reads amounts written the way analysts write them: "15B USD", "$15B", "2 GW", "750 MW", "8%",
/// "$80/MWh", "8.06 c/kWh", "$40B/GW", "6 years", "18 months".
public enum QuantityParser {
    private static let scales: [String: Double] = [
        "k": 1e3, "K": 1e3, "thousand": 1e3,
        "M": 1e6, "m": 1e6, "mn": 1e6, "mm": 1e6, "million": 1e6,
        "B": 1e9, "b": 1e9, "bn": 1e9, "billion": 1e9,
        "T": 1e12, "tn": 1e12, "trillion": 1e12,
    ]

    private static let units: [String: (Dimension, Double)] = [
        "USD": (.currency, 1), "$": (.currency, 1),
        "GW": (.power, 1), "MW": (.power, 1e-3), "kW": (.power, 1e-6),
        "USD/MWh": (.energyPrice, 1), "$/MWh": (.energyPrice, 1), "/MWh": (.energyPrice, 1),
        "USD/kWh": (.energyPrice, 1000), "$/kWh": (.energyPrice, 1000), "/kWh": (.energyPrice, 1000),
        "c/kWh": (.energyPrice, 10), "cents/kWh": (.energyPrice, 10),
        "USD/GW": (.currencyPerPower, 1), "$/GW": (.currencyPerPower, 1), "/GW": (.currencyPerPower, 1),
        "USD/MW": (.currencyPerPower, 1000), "$/MW": (.currencyPerPower, 1000), "/MW": (.currencyPerPower, 1000),
        "years": (.duration, 1), "year": (.duration, 1), "yr": (.duration, 1), "yrs": (.duration, 1), "y": (.duration, 1),
        "months": (.duration, 1.0 / 12), "month": (.duration, 1.0 / 12), "mo": (.duration, 1.0 / 12),
        "quarters": (.duration, 0.25), "quarter": (.duration, 0.25),
        "weeks": (.duration, 7.0 / 365.25), "days": (.duration, 1.0 / 365.25),
        "%": (.ratio, 0.01), "pp": (.ratio, 0.01), "x": (.ratio, 1), "bp": (.ratio, 1e-4), "bps": (.ratio, 1e-4),
    ]

    /// Parses one quantity. Returns nil when `text` is not a quantity at all.
    public static func parse(_ text: String) -> Quantity? {
        var scanner = QuantityScanner(Array(text.unicodeScalars))
        guard let q = scanner.scanQuantity(), scanner.atEnd else { return nil }
        return q
    }

    /// Resolves a scale word and a unit word into a dimension and factor.
    static func resolve(dollar: Bool, scale: String?, unit: String?) -> (Dimension, Double)? {
        var factor = 1.0
        if let scale {
            guard let s = scales[scale] else { return nil }
            factor = s
        }
        var dimension: Dimension = .ratio
        if let unit {
            var key = unit
            if dollar, key.hasPrefix("/") { key = "$" + key }
            guard let (d, f) = units[key] else { return nil }
            if dollar && d != .currency && d != .energyPrice && d != .currencyPerPower { return nil }
            dimension = d
            factor *= f
        } else if dollar {
            dimension = .currency
        } else if scale != nil {
            // "15B" alone: a count, not money. Dealcast asks for the currency to be written.
            dimension = .ratio
        }
        return (dimension, factor)
    }
}

/// A small hand-written scanner over Unicode scalars, shared by the quantity and distribution parsers.
struct QuantityScanner {
    let s: [Unicode.Scalar]
    var i = 0

    init(_ s: [Unicode.Scalar]) { self.s = s }

    var atEnd: Bool {
        var j = i
        while j < s.count, s[j].properties.isWhitespace { j += 1 }
        return j == s.count
    }

    mutating func skipSpace() { while i < s.count, s[i].properties.isWhitespace { i += 1 } }

    func peek() -> Unicode.Scalar? { i < s.count ? s[i] : nil }

    static func isLetter(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic }
    static let keywords: Set<String> = ["to", "in"]

    /// "m" means million only when written against the number ("650m"), never as a separate word.
    static func isScale(_ w: String, attached: Bool) -> Bool {
        QuantityParser.resolve(dollar: false, scale: w, unit: nil) != nil && (w != "m" || attached)
    }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    /// Scans `[sign] [$] number [scale] [unit]`, or returns nil and leaves the position unchanged.
    mutating func scanQuantity() -> Quantity? {
        let start = i
        skipSpace()
        var negative = false
        var dollar = false
        if peek() == "-" || peek() == "+" || peek() == "\u{2212}" { negative = peek() != "+"; i += 1 }
        if peek() == "$" { dollar = true; i += 1 }
        if dollar, !negative, peek() == "-" || peek() == "\u{2212}" { negative = true; i += 1 }
        let numStart = i
        // Digits, a decimal point and '_' as a digit separator ("1_000"). Commas are not accepted as
        // thousands separators: inside a distribution they separate parameters ("uniform(1,2)").
        while let c = peek(), Self.isDigit(c) || c == "." || c == "_" { i += 1 }
        if let c = peek(), c == "e" || c == "E", i + 1 < s.count, Self.isDigit(s[i + 1]) || ((s[i + 1] == "-" || s[i + 1] == "+") && i + 2 < s.count && Self.isDigit(s[i + 2])) {
            i += 2
            while let c = peek(), Self.isDigit(c) { i += 1 }
        }
        let numText = String(String.UnicodeScalarView(s[numStart..<i])).replacingOccurrences(of: "_", with: "")
        guard !numText.isEmpty, var value = Double(numText) else { i = start; return nil }
        // Optional scale word ("15B", "15 bn") and unit word ("USD", "GW", "%", "/MWh", "B/GW").
        var scale: String?
        var unit: String?
        let afterNumber = i
        skipSpace()
        if let w1 = scanWord(), !Self.keywords.contains(w1) {
            if Self.isScale(w1, attached: i - w1.unicodeScalars.count == afterNumber) {
                scale = w1
                let afterScale = i
                skipSpace()
                if let w2 = scanWord(), !Self.keywords.contains(w2) { unit = w2 } else { i = afterScale }
            } else if let slash = w1.firstIndex(of: "/"), slash != w1.startIndex,
                      Self.isScale(String(w1[..<slash]), attached: true) {
                scale = String(w1[..<slash])
                unit = String(w1[slash...])
            } else {
                unit = w1
            }
        } else {
            i = afterNumber
        }
        guard let (dim, factor) = QuantityParser.resolve(dollar: dollar, scale: scale, unit: unit) else { i = start; return nil }
        value *= factor
        if negative { value = -value }
        return Quantity(value, dim)
    }

    /// Scans a unit-like word: letters, `%`, `/`, `$`.
    mutating func scanWord() -> String? {
        let start = i
        while let c = peek(), Self.isLetter(c) || c == "%" || c == "/" || (c == "$" && i > start) { i += 1 }
        // "$/MWh" after a number
        if i == start, peek() == "$", i + 1 < s.count, s[i + 1] == "/" {
            i += 1
            while let c = peek(), Self.isLetter(c) || c == "/" { i += 1 }
        }
        return i > start ? String(String.UnicodeScalarView(s[start..<i])) : nil
    }
}

/// Formats canonical values for people: $12.3B, 35%, 2.0 GW, $80/MWh, 6.0 years.
public enum UnitFormat {
    public static func format(_ v: Double, _ d: Dimension) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : (v > 0 ? "∞" : "−∞") }
        switch d {
        case .currency: return money(v)
        case .power: return abs(v) < 1 && v != 0 ? "\(fixed(v * 1000, 0)) MW" : "\(fixed(v, 2)) GW"
        case .energyPrice: return "$\(fixed(v, 1))/MWh"
        case .currencyPerPower: return "\(money(v))/GW"
        case .duration: return "\(fixed(v, 2)) years"
        case .ratio: return fixed(v, 4)
        }
    }

    /// "$12.3B", "−$450M", "$1.20T".
    public static func money(_ v: Double) -> String {
        let sign = v < 0 ? "−" : ""
        let a = abs(v)
        let body: String
        switch a {
        case 1e12...: body = "$\(fixed(a / 1e12, 2))T"
        case 1e9...: body = "$\(fixed(a / 1e9, a >= 1e11 ? 0 : (a >= 1e10 ? 1 : 2)))B"
        case 1e6...: body = "$\(fixed(a / 1e6, a >= 1e8 ? 0 : 1))M"
        case 1e3...: body = "$\(fixed(a / 1e3, 1))K"
        default: body = "$\(fixed(a, 2))"
        }
        return sign + body
    }

    public static func percent(_ v: Double, _ digits: Int = 1) -> String {
        guard v.isFinite else { return "n/a" }
        return "\(fixed(v * 100, digits))%"
    }

    /// Fixed-point formatting without Foundation's locale machinery.
    public static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : "∞" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (abs(v) * scale).rounded()
        let negative = v < 0 && r != 0
        let intPart = (r / scale).rounded(.down)
        var frac = r - intPart * scale
        var s = ""
        if intPart >= 1e15 { s = "\(intPart)" } else { s = String(Int64(intPart)) }
        if digits > 0 {
            var fs = ""
            for _ in 0..<digits {
                scale /= 10
                let d = (frac / scale).rounded(.down)
                fs += String(Int(d))
                frac -= d * scale
            }
            s += "." + fs
        }
        return (negative ? "-" : "") + s
    }
}
