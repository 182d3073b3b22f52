import DealcastCore

/// A small SVG writer for the report's charts: plain SVG 1.1 text, no script, no external reference,
/// no element ids (so that several charts can be inlined in one HTML page), a white background (so
/// that the chart stays readable on a dark page) and a `viewBox`, so it scales to any width.
///
/// Coordinates are rounded to 0.1 px, which keeps the text small and byte-for-byte reproducible.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var body: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// The stroke pattern of a line.
    enum Dash: String {
        case solid = ""
        case dashed = "6 4"
        case dotted = "2 3"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, opacity: Double = 1) {
        var e = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" fill=\"\(fill)\""
        if opacity < 1 { e += " fill-opacity=\"\(n(opacity, 2))\"" }
        body.append(e + "/>")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: Dash = .solid) {
        body.append("<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\"\(dashAttribute(dash))/>")
    }

    /// An open line through `points`.
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, dash: Dash = .solid) {
        guard points.count > 1 else { return }
        body.append("<polyline points=\"\(pointList(points))\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"\(dashAttribute(dash))/>")
    }

    /// A filled area bounded by `points`.
    mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double = 1) {
        guard points.count > 2 else { return }
        body.append("<polygon points=\"\(pointList(points))\" fill=\"\(fill)\"\(opacity < 1 ? " fill-opacity=\"\(n(opacity, 2))\"" : "") stroke=\"none\"/>")
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String) {
        body.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\"/>")
    }

    enum Anchor: String { case start, middle, end }

    /// Text whose baseline starts at (x, y); `rotate` turns it about that point (−90 reads upwards).
    mutating func text(_ x: Double, _ y: Double, _ string: String, size: Double = Style.fontSize, anchor: Anchor = .start,
                       bold: Bool = false, fill: String = Style.ink, rotate: Double = 0) {
        var e = "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\""
        if anchor != .start { e += " text-anchor=\"\(anchor.rawValue)\"" }
        if bold { e += " font-weight=\"bold\"" }
        if fill != Style.ink { e += " fill=\"\(fill)\"" }
        if rotate != 0 { e += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        body.append(e + ">\(Self.escape(string))</text>")
    }

    /// The finished document. `title` is the accessible name that screen readers and browsers show.
    func rendered(title: String) -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\""
        s += " role=\"img\" font-family=\"\(Style.fontFamily)\" fill=\"\(Style.ink)\">\n"
        s += "<title>\(Self.escape(title))</title>\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>\n"
        for e in body { s += e + "\n" }
        return s + "</svg>\n"
    }

    /// Escapes text for XML content and attribute values.
    static func escape(_ s: String) -> String { Markup.escape(s) }

    private func dashAttribute(_ d: Dash) -> String { d == .solid ? "" : " stroke-dasharray=\"\(d.rawValue)\"" }

    private func pointList(_ points: [(Double, Double)]) -> String {
        points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
    }

    /// A coordinate with at most `digits` decimals and no trailing zeros.
    private func n(_ v: Double, _ digits: Int = 1) -> String {
        var s = UnitFormat.fixed(v, digits)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }
}

/// The charts' shared look: the Okabe–Ito palette (distinguishable with every common form of colour
/// blindness), one font stack available everywhere, and sizes legible when GitHub scales a 720 px
/// chart to its content column.
enum Style {
    static let fontFamily = "Helvetica, Arial, sans-serif"
    static let fontSize = 13.0
    static let titleSize = 16.0
    static let smallSize = 11.5
    /// Text and axes.
    static let ink = "#222222"
    static let muted = "#666666"
    static let grid = "#e3e3e3"

    // The colours used, from Okabe & Ito (2008), "Color Universal Design" (its yellow and reddish
    // purple are not needed).
    static let orange = "#E69F00"
    static let skyBlue = "#56B4E9"
    static let bluishGreen = "#009E73"
    static let blue = "#0072B2"
    static let vermillion = "#D55E00"
    static let black = "#000000"
    /// Vermillion darkened for text, which needs more contrast on white than a line does.
    static let vermillionText = "#a84300"

    /// The width every chart is drawn at; heights vary with content.
    static let width = 720.0
}
