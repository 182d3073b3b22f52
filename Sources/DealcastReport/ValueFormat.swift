import DealcastCore

/// Formats a metric value for people according to its unit string.
///
/// Units: "USD" → $12.3B; "fraction" and "probability" → 35.0%; "pp" → +2.1 pp (value given as a
/// ratio, 0.021); "GW" → 2.00 GW; "years", "months" → 4.2 years; "USD/MWh"; anything else → the number
/// with three significant figures and the unit.
public enum ValueFormat {
    public static func format(_ v: Double, unit: String) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : (v > 0 ? "∞" : "−∞") }
        switch unit {
        case "USD": return UnitFormat.money(v)
        case "fraction", "probability", "share": return UnitFormat.percent(v)
        case "pp": return (v >= 0 ? "+" : "") + UnitFormat.fixed(v * 100, 2) + " pp"
        case "GW": return UnitFormat.format(v, .power)
        case "USD/MWh": return UnitFormat.format(v, .energyPrice)
        case "USD/GW": return UnitFormat.format(v, .currencyPerPower)
        case "years", "months": return UnitFormat.fixed(v, 2) + " " + unit
        case "1", "": return significant(v)
        default: return significant(v) + " " + unit
        }
    }

    /// Formats a scenario input value of a dimension.
    public static func format(_ v: Double, dimension: Dimension) -> String {
        dimension == .ratio ? significant(v) : UnitFormat.format(v, dimension)
    }

    /// Three significant figures, without exponent for everyday magnitudes, thousands grouped
    /// (2,976) and a true minus sign (−586), as money is written.
    public static func significant(_ v: Double) -> String {
        guard v != 0 else { return "0" }
        let a = abs(v)
        if a >= 1e6 || a < 1e-3 {
            return "\(v)".count <= 8 ? "\(v)" : String(format3e(v))
        }
        var digits = 2
        var m = a
        while m >= 10 && digits > 0 { m /= 10; digits -= 1 }
        if a < 1 { digits = 3; var x = a; while x < 0.1 { x *= 10; digits += 1 } }
        let body = grouped(a, digits)
        return body == UnitFormat.fixed(0, digits) || v > 0 ? body : "−" + body
    }

    /// A parameter such as a shape: whole numbers plainly (2), others with three significant figures.
    public static func parameter(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : significant(v)
    }

    private static func format3e(_ v: Double) -> String {
        var e = 0
        var m = abs(v)
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        return (v < 0 ? "-" : "") + UnitFormat.fixed(m, 2) + "e" + String(e)
    }
}

extension ValueFormat {
    /// A chart's tick label: as short as the tick spacing `step` allows ($20B, $2.5B, 35%, 2.0 GW,
    /// 3,000), so that neighbouring ticks never print the same text.
    public static func tick(_ v: Double, unit: String, step: Double) -> String {
        // The fewest decimals that show the step exactly (2.5 → 1, 0.25 → 2, 20 → 0).
        let decimals = { (scaledStep: Double) -> Int in
            var d = 0
            var s = abs(scaledStep)
            while d < 4 && abs(s - s.rounded()) > 1e-6 * max(1, s) { d += 1; s *= 10 }
            return d
        }
        let minus = v < 0 ? "−" : ""
        switch unit {
        case "USD":
            if v == 0 { return "$0" }
            let (scale, suffix) = moneyScale(max(abs(v), step))
            return minus + "$" + UnitFormat.fixed(abs(v) / scale, decimals(step / scale)) + suffix
        case "fraction", "probability", "share":
            return minus + UnitFormat.fixed(abs(v) * 100, decimals(step * 100)) + "%"
        case "pp":
            return (v < 0 ? "−" : (v > 0 ? "+" : "")) + UnitFormat.fixed(abs(v) * 100, decimals(step * 100)) + " pp"
        case "GW":
            return minus + UnitFormat.fixed(abs(v), max(1, decimals(step))) + " GW"
        case "years": return minus + UnitFormat.fixed(abs(v), decimals(step)) + " y"
        case "months": return minus + UnitFormat.fixed(abs(v), decimals(step)) + " mo"
        case "1", "":
            return minus + grouped(abs(v), decimals(step))
        default:
            return minus + grouped(abs(v), decimals(step)) + " " + unit
        }
    }

    /// The divisor and suffix for money around `magnitude`: 1e12 "T", 1e9 "B", 1e6 "M", 1e3 "K".
    static func moneyScale(_ magnitude: Double) -> (Double, String) {
        switch magnitude {
        case 1e12...: return (1e12, "T")
        case 1e9...: return (1e9, "B")
        case 1e6...: return (1e6, "M")
        case 1e3...: return (1e3, "K")
        default: return (1, "")
        }
    }

    /// A non-negative number with `digits` decimals and thousands separated by commas (12,500).
    static func grouped(_ v: Double, _ digits: Int) -> String {
        let s = UnitFormat.fixed(v, digits)
        let parts = s.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0])
        guard whole.count > 3 else { return s }
        var out = ""
        while whole.count > 3 {
            out = "," + whole.suffix(3) + out
            whole.removeLast(3)
        }
        out = whole + out
        return parts.count > 1 ? out + "." + parts[1] : out
    }
}
