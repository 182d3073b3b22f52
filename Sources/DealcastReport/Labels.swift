import Foundation

/// Short, plain names for metrics and inputs, taken from the words their modules give them.
enum Labels {
    /// A metric's name for a heading or a chart title: its summary up to the first colon, at most
    /// `limit` characters (cut at a word, with an ellipsis).
    static func metric(_ summary: String, limit: Int = 72) -> String {
        let head = summary.split(separator: ":", maxSplits: 1).first.map(String.init) ?? summary
        return shortened(head.trimmingCharacters(in: .whitespaces), limit: limit)
    }

    /// `text` cut at a word boundary to at most `limit` characters.
    static func shortened(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        var cut = String(text.prefix(limit - 1))
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > limit / 2 { cut = String(cut[..<space]) }
        return cut.trimmingCharacters(in: CharacterSet(charactersIn: " ,;(")) + "…"
    }

    /// `text` with its first letter lowercased, unless it starts with an acronym (HHI, IRR).
    static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first, text.count > 1 else { return text }
        let second = text[text.index(after: text.startIndex)]
        return second.isUppercase ? text : first.lowercased() + text.dropFirst()
    }

    /// A step of a value bridge, as a name and the module it comes from:
    /// ("+ equity value PV", "partnership_outcome").
    static func bridgeStep(_ key: String, sign: Double) -> (name: String, module: String) {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        var name = parts.last ?? key
        if name.hasSuffix("_usd") { name.removeLast(4) }
        let words = name.split(separator: "_").map { w -> String in
            switch w {
            case "pv", "npv", "irr", "hhi", "gw": return w.uppercased()
            default: return String(w)
            }
        }
        return ((sign < 0 ? "− " : "+ ") + words.joined(separator: " "), parts.count == 2 ? parts[0] : "")
    }
}
