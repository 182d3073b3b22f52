/// A calendar quarter such as 2026Q1.
public struct Quarter: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    /// 1...4
    public let q: Int

    public init(year: Int, q: Int) {
        self.year = year
        self.q = q
    }

    /// Parses "2026Q1", "2026-Q1" or "2026 Q1".
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: " ", with: "")
        let parts = t.split(separator: "Q", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, let y = Int(parts[0]), let q = Int(parts[1]), (1...4).contains(q) else { return nil }
        self.init(year: y, q: q)
    }

    /// Quarters since year 0, for arithmetic.
    public var ordinal: Int { year * 4 + q - 1 }

    public init(ordinal: Int) { self.init(year: ordinal / 4, q: ordinal % 4 + 1) }

    public func advanced(by n: Int) -> Quarter { Quarter(ordinal: ordinal + n) }

    /// The time at the middle of the quarter, in fractional years.
    public var midYear: Double { Double(year) + (Double(q) - 0.5) / 4 }

    public var description: String { "\(year)Q\(q)" }

    public static func < (a: Quarter, b: Quarter) -> Bool { a.ordinal < b.ordinal }
}

/// A calendar date such as 2028-12-31, without time zones.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    /// Parses an ISO date "YYYY-MM-DD" and checks that the day exists.
    public init?(_ text: String) {
        let p = text.trimmingCharacters(in: .whitespaces).split(separator: "-")
        guard p.count == 3, p[0].count == 4, let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]),
              (1...12).contains(m), d >= 1, d <= CalendarDate.daysIn(m, y) else { return nil }
        year = y; month = m; day = d
    }

    static func daysIn(_ m: Int, _ y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The date as a fractional year (2028-12-31 ≈ 2028.999), for durations between dates.
    public var yearFraction: Double {
        var doy = day - 1
        for m in 1..<month { doy += CalendarDate.daysIn(m, year) }
        let days = Double(CalendarDate.daysIn(2, year) == 29 ? 366 : 365)
        return Double(year) + (Double(doy) + 0.5) / days
    }

    public var quarter: Quarter { Quarter(year: year, q: (month - 1) / 3 + 1) }

    public var description: String {
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(pad(month))-\(pad(day))"
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

import Foundation
