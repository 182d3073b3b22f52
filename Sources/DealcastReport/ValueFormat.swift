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

    /// Three significant figures, without exponent for everyday magnitudes.
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
        return UnitFormat.fixed(v, digits)
    }

    private static func format3e(_ v: Double) -> String {
        var e = 0
        var m = abs(v)
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        return (v < 0 ? "-" : "") + UnitFormat.fixed(m, 2) + "e" + String(e)
    }
}
