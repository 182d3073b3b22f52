import Foundation

/// A distribution together with the dimension of its values.
public struct UncertainValue: Sendable, Equatable {
    public var distribution: Distribution
    public var dimension: Dimension

    public init(_ distribution: Distribution, _ dimension: Dimension) {
        self.distribution = distribution
        self.dimension = dimension
    }
}

/// Parses the compact distribution syntax of scenario files (docs/scenario-format.md):
///
///     15B USD                              fixed
///     35B USD/GW to 50B USD/GW             lognormal with that 90% interval (normal if a bound ≤ 0)
///     uniform(0.5, 0.9)                    normal(mean=8%, sd=1.5%)
///     lognormal(40B USD, 6B USD)           lognormal by mean and sd
///     triangular(60, 80, 120)              pert(min, mode, max)
///     beta(2, 5)   gamma(2, 3 months)      bernoulli(30%)
///     discrete(0 GW: 20%, 1 GW: 50%, 2 GW: 30%)
///     truncated(normal(8%, 3%), min=0%, max=20%)
///     empirical(1.2, 3.4, 2.2)             empirical("file.csv", "column", unit=1M USD)
public struct DistributionParser {
    /// Reads a numeric column of a CSV file named in an `empirical(...)` form.
    public typealias ColumnLoader = (_ file: String, _ column: String) throws -> [Double]

    public struct ParseError: Error, Sendable {
        public let message: String
    }

    private var tokens: [Token] = []
    private var pos = 0
    private let loadColumn: ColumnLoader?

    enum Token: Equatable {
        case quantity(Quantity), ident(String), string(String)
        case lparen, rparen, comma, equals, colon, to
        var text: String {
            switch self {
            case .quantity(let q): return "'\(q)'"
            case .ident(let s): return "'\(s)'"
            case .string(let s): return "\"\(s)\""
            case .lparen: return "'('"
            case .rparen: return "')'"
            case .comma: return "','"
            case .equals: return "'='"
            case .colon: return "':'"
            case .to: return "'to'"
            }
        }
    }

    /// Parses `text`. Throws a `ParseError` that says what was expected.
    public static func parse(_ text: String, loadColumn: ColumnLoader? = nil) throws(ParseError) -> UncertainValue {
        var p = DistributionParser(loadColumn: loadColumn)
        p.tokens = try tokenize(text)
        guard !p.tokens.isEmpty else { throw ParseError(message: "expected a value or a distribution, got nothing") }
        let v = try p.parseExpr()
        if p.pos < p.tokens.count {
            throw ParseError(message: "unexpected \(p.tokens[p.pos].text) after a complete value")
        }
        try validate(v)
        return v
    }

    private init(loadColumn: ColumnLoader?) { self.loadColumn = loadColumn }

    static func tokenize(_ text: String) throws(ParseError) -> [Token] {
        var sc = QuantityScanner(Array(text.unicodeScalars))
        var out: [Token] = []
        while true {
            sc.skipSpace()
            guard let c = sc.peek() else { break }
            switch c {
            case "(": out.append(.lparen); sc.i += 1
            case ")": out.append(.rparen); sc.i += 1
            case ",": out.append(.comma); sc.i += 1
            case "=": out.append(.equals); sc.i += 1
            case ":": out.append(.colon); sc.i += 1
            case "\"", "'":
                sc.i += 1
                let start = sc.i
                while let d = sc.peek(), d != c { sc.i += 1 }
                guard sc.peek() == c else { throw ParseError(message: "unterminated string in '\(text)'") }
                out.append(.string(String(String.UnicodeScalarView(sc.s[start..<sc.i]))))
                sc.i += 1
            default:
                if QuantityScanner.isDigit(c) || c == "$" || c == "-" || c == "+" || c == "." || c == "\u{2212}" {
                    guard let q = sc.scanQuantity() else {
                        throw ParseError(message: "could not read a number with its unit at '\(String(String.UnicodeScalarView(sc.s[sc.i...])))'")
                    }
                    out.append(.quantity(q))
                } else if QuantityScanner.isLetter(c) {
                    let start = sc.i
                    while let d = sc.peek(), QuantityScanner.isLetter(d) || QuantityScanner.isDigit(d) || d == "_" { sc.i += 1 }
                    let word = String(String.UnicodeScalarView(sc.s[start..<sc.i]))
                    out.append(word == "to" ? .to : .ident(word))
                } else {
                    throw ParseError(message: "unexpected character '\(c)' in '\(text)'")
                }
            }
        }
        return out
    }

    private func peek() -> Token? { pos < tokens.count ? tokens[pos] : nil }

    private mutating func expect(_ t: Token) throws(ParseError) {
        guard peek() == t else {
            throw ParseError(message: "expected \(t.text), got \(peek()?.text ?? "the end of the value")")
        }
        pos += 1
    }

    private mutating func parseExpr() throws(ParseError) -> UncertainValue {
        let lhs = try parseTerm()
        guard peek() == .to else { return lhs }
        pos += 1
        let rhs = try parseTerm()
        guard case .fixed(let a) = lhs.distribution, case .fixed(let b) = rhs.distribution else {
            throw ParseError(message: "'a to b' takes two plain amounts")
        }
        guard lhs.dimension == rhs.dimension else {
            throw ParseError(message: "the two ends of 'a to b' have different units (\(lhs.dimension.rawValue) and \(rhs.dimension.rawValue))")
        }
        guard a < b else { throw ParseError(message: "in 'a to b', a must be below b, got \(UnitFormat.format(a, lhs.dimension)) to \(UnitFormat.format(b, lhs.dimension))") }
        if a > 0 {
            return UncertainValue(.lognormal(p5: a, p95: b), lhs.dimension)
        }
        return UncertainValue(.normal(mean: (a + b) / 2, sd: (b - a) / (2 * Distribution.z95)), lhs.dimension)
    }

    private mutating func parseTerm() throws(ParseError) -> UncertainValue {
        switch peek() {
        case .quantity(let q)?:
            pos += 1
            return UncertainValue(.fixed(q.value), q.dimension)
        case .ident(let name)?:
            pos += 1
            try expect(.lparen)
            var args: [Arg] = []
            if peek() != .rparen {
                while true {
                    args.append(try parseArg())
                    if peek() == .comma { pos += 1; continue }
                    break
                }
            }
            try expect(.rparen)
            return try build(name, args)
        case let t?:
            throw ParseError(message: "expected an amount or a distribution such as normal(...), got \(t.text)")
        case nil:
            throw ParseError(message: "expected an amount or a distribution, got the end of the value")
        }
    }

    struct Arg {
        var name: String?
        var value: UncertainValue?
        var string: String?
        var weight: Quantity?
    }

    private mutating func parseArg() throws(ParseError) -> Arg {
        var arg = Arg()
        if case .ident(let n)? = peek(), pos + 1 < tokens.count, tokens[pos + 1] == .equals {
            arg.name = n
            pos += 2
        }
        if case .string(let s)? = peek() {
            pos += 1
            arg.string = s
            return arg
        }
        arg.value = try parseExpr()
        if peek() == .colon {
            pos += 1
            guard case .quantity(let w)? = peek() else {
                throw ParseError(message: "expected a weight after ':', got \(peek()?.text ?? "the end")")
            }
            pos += 1
            arg.weight = w
        }
        return arg
    }

    /// The catalogue: parameter names in positional order.
    static let catalogue: [String: [String]] = [
        "fixed": ["value"],
        "uniform": ["min", "max"],
        "normal": ["mean", "sd"],
        "lognormal": ["mean", "sd"],
        "triangular": ["min", "mode", "max"],
        "pert": ["min", "mode", "max"],
        "beta": ["alpha", "beta"],
        "gamma": ["shape", "scale"],
        "bernoulli": ["p"],
        "truncated": ["dist", "min", "max"],
    ]

    private func build(_ name: String, _ args: [Arg]) throws(ParseError) -> UncertainValue {
        if name == "discrete" { return try buildDiscrete(args) }
        if name == "empirical" { return try buildEmpirical(args) }
        guard let params = Self.catalogue[name] else {
            let known = (Array(Self.catalogue.keys) + ["discrete", "empirical"]).sorted()
            let hint = Suggest.closest(to: name, in: known).map { "; did you mean '\($0)'?" } ?? ""
            throw ParseError(message: "unknown distribution '\(name)'\(hint) (known: \(known.joined(separator: ", ")))")
        }
        var named: [String: UncertainValue] = [:]
        var lognormalByPercentile = false
        for (k, a) in args.enumerated() {
            let key: String
            if let n = a.name {
                if name == "lognormal", n == "p5" || n == "p95" { lognormalByPercentile = true; key = n }
                else if name == "lognormal", n == "mu" || n == "sigma" { key = n }
                else {
                    guard params.contains(n) else {
                        throw ParseError(message: "\(name)() has no parameter '\(n)'; its parameters are \(params.joined(separator: ", "))")
                    }
                    key = n
                }
            } else {
                guard k < params.count else {
                    throw ParseError(message: "\(name)() takes \(params.count) parameters (\(params.joined(separator: ", "))), got \(args.count)")
                }
                key = params[k]
            }
            guard let v = a.value, a.weight == nil else {
                throw ParseError(message: "\(name)() parameter '\(key)' must be a number, got a \(a.string != nil ? "string" : "weighted value")")
            }
            if key != "dist", !v.distribution.isFixed {
                throw ParseError(message: "\(name)() parameter '\(key)' must be a plain amount, not a distribution")
            }
            named[key] = v
        }
        func num(_ k: String) throws(ParseError) -> (Double, Dimension) {
            guard let v = named[k], case .fixed(let x) = v.distribution else {
                throw ParseError(message: "\(name)() needs its parameter '\(k)'")
            }
            guard x.isFinite else { throw ParseError(message: "\(name)() parameter '\(k)' must be finite") }
            return (x, v.dimension)
        }
        func same(_ ds: [Dimension]) throws(ParseError) -> Dimension {
            guard let first = ds.first, ds.allSatisfy({ $0 == first }) else {
                throw ParseError(message: "\(name)() parameters have different units: \(ds.map(\.rawValue).joined(separator: ", "))")
            }
            return first
        }
        switch name {
        case "fixed":
            let (v, d) = try num("value")
            return UncertainValue(.fixed(v), d)
        case "uniform":
            let (a, da) = try num("min"), (b, db) = try num("max")
            return UncertainValue(.uniform(min: a, max: b), try same([da, db]))
        case "normal":
            let (m, dm) = try num("mean"), (s, ds) = try num("sd")
            return UncertainValue(.normal(mean: m, sd: s), try same([dm, ds]))
        case "lognormal":
            if lognormalByPercentile {
                let (a, da) = try num("p5"), (b, db) = try num("p95")
                guard a > 0, b > a else { throw ParseError(message: "lognormal(p5=, p95=) needs 0 < p5 < p95") }
                return UncertainValue(.lognormal(p5: a, p95: b), try same([da, db]))
            }
            if named["mu"] != nil {
                let (mu, _) = try num("mu"), (s, _) = try num("sigma")
                return UncertainValue(.lognormal(mu: mu, sigma: s), .ratio)
            }
            let (m, dm) = try num("mean"), (s, ds) = try num("sd")
            guard m > 0 else { throw ParseError(message: "lognormal() needs a positive mean, got \(UnitFormat.format(m, dm))") }
            guard s > 0 else { throw ParseError(message: "lognormal() needs a positive sd, got \(UnitFormat.format(s, ds))") }
            return UncertainValue(.lognormal(mean: m, sd: s), try same([dm, ds]))
        case "triangular", "pert":
            let (a, da) = try num("min"), (c, dc) = try num("mode"), (b, db) = try num("max")
            let d = try same([da, dc, db])
            return UncertainValue(name == "pert" ? .pert(min: a, mode: c, max: b) : .triangular(min: a, mode: c, max: b), d)
        case "beta":
            let (a, _) = try num("alpha"), (b, _) = try num("beta")
            return UncertainValue(.beta(alpha: a, beta: b), .ratio)
        case "gamma":
            let (k, _) = try num("shape"), (t, dt) = try num("scale")
            return UncertainValue(.gamma(shape: k, scale: t), dt)
        case "bernoulli":
            let (p, _) = try num("p")
            return UncertainValue(.bernoulli(p: p), .ratio)
        case "truncated":
            guard let base = named["dist"] else { throw ParseError(message: "truncated() needs a distribution first") }
            let lo = named["min"] == nil ? nil : try num("min")
            let hi = named["max"] == nil ? nil : try num("max")
            guard lo != nil || hi != nil else { throw ParseError(message: "truncated() needs min=, max= or both") }
            for b in [lo, hi] {
                if let b, b.1 != base.dimension {
                    throw ParseError(message: "truncated() bound \(UnitFormat.format(b.0, b.1)) is in \(b.1.rawValue), the distribution in \(base.dimension.rawValue)")
                }
            }
            return UncertainValue(.truncated(base: base.distribution, lower: lo?.0 ?? -.infinity, upper: hi?.0 ?? .infinity), base.dimension)
        default:
            throw ParseError(message: "unknown distribution '\(name)'")
        }
    }

    private func buildDiscrete(_ args: [Arg]) throws(ParseError) -> UncertainValue {
        guard !args.isEmpty else { throw ParseError(message: "discrete() needs at least one 'value: weight' pair") }
        var values: [Double] = [], weights: [Double] = [], dims: [Dimension] = []
        for a in args {
            guard let v = a.value, case .fixed(let x) = v.distribution, let w = a.weight else {
                throw ParseError(message: "discrete() takes 'value: weight' pairs, e.g. discrete(0 GW: 20%, 2 GW: 80%)")
            }
            values.append(x); weights.append(w.value); dims.append(v.dimension)
        }
        guard dims.allSatisfy({ $0 == dims[0] }) else { throw ParseError(message: "discrete() values have different units") }
        let total = weights.reduce(0, +)
        guard weights.allSatisfy({ $0 >= 0 && $0.isFinite }), total > 0 else {
            throw ParseError(message: "discrete() weights must be non-negative and not all zero")
        }
        guard abs(total - 1) < 1e-6 || weights.allSatisfy({ $0 >= 1 }) || abs(total - 100) < 1e-6 else {
            throw ParseError(message: "discrete() weights must sum to 1 (or 100%), got \(UnitFormat.fixed(total, 4))")
        }
        return UncertainValue(.discrete(values: values, probabilities: weights.map { $0 / total }), dims[0])
    }

    private func buildEmpirical(_ args: [Arg]) throws(ParseError) -> UncertainValue {
        if let file = args.first?.string {
            guard args.count >= 2, let column = args[1].string else {
                throw ParseError(message: "empirical(\"file.csv\", \"column\") needs a column name after the file")
            }
            var unit = Quantity(1, .ratio)
            for a in args.dropFirst(2) {
                guard a.name == "unit", let v = a.value, case .fixed(let x) = v.distribution else {
                    throw ParseError(message: "empirical() from a file takes only unit= after the column, e.g. unit=1M USD")
                }
                unit = Quantity(x, v.dimension)
            }
            guard let loadColumn else { throw ParseError(message: "empirical() from a file is not available here") }
            let xs: [Double]
            do { xs = try loadColumn(file, column) } catch {
                throw ParseError(message: "empirical(): \(error)")
            }
            guard !xs.isEmpty else { throw ParseError(message: "empirical(): column '\(column)' of \(file) has no numbers") }
            return UncertainValue(.empirical(sorted: xs.map { $0 * unit.value }.sorted()), unit.dimension)
        }
        var xs: [Double] = [], dims: [Dimension] = []
        for a in args {
            guard let v = a.value, case .fixed(let x) = v.distribution, a.name == nil, a.weight == nil else {
                throw ParseError(message: "empirical() takes a list of plain amounts, or a CSV file and a column")
            }
            xs.append(x); dims.append(v.dimension)
        }
        guard !xs.isEmpty else { throw ParseError(message: "empirical() needs at least one value") }
        guard dims.allSatisfy({ $0 == dims[0] }) else { throw ParseError(message: "empirical() values have different units") }
        return UncertainValue(.empirical(sorted: xs.sorted()), dims[0])
    }

    /// Rejects parameters that no distribution can have.
    static func validate(_ v: UncertainValue) throws(ParseError) {
        let f = { (x: Double) in UnitFormat.format(x, v.dimension) }
        switch v.distribution {
        case .fixed(let x):
            guard x.isFinite else { throw ParseError(message: "expected a finite number") }
        case .uniform(let a, let b):
            guard a < b else { throw ParseError(message: "uniform(min, max) needs min < max, got \(f(a)) and \(f(b))") }
        case .normal(_, let s):
            guard s > 0 else { throw ParseError(message: "normal() needs a positive sd, got \(f(s))") }
        case .lognormal(_, let s):
            guard s > 0, s.isFinite else { throw ParseError(message: "lognormal() needs a positive spread") }
        case .triangular(let a, let c, let b), .pert(let a, let c, let b):
            guard a < b, a <= c, c <= b else {
                throw ParseError(message: "needs min ≤ mode ≤ max with min < max, got \(f(a)), \(f(c)), \(f(b))")
            }
        case .beta(let a, let b):
            guard a > 0, b > 0 else { throw ParseError(message: "beta(alpha, beta) needs alpha > 0 and beta > 0, got \(a) and \(b)") }
        case .gamma(let k, let t):
            guard k > 0, t > 0 else { throw ParseError(message: "gamma(shape, scale) needs shape > 0 and scale > 0") }
        case .bernoulli(let p):
            guard p >= 0, p <= 1 else { throw ParseError(message: "bernoulli(p) needs a probability between 0 and 1, got \(UnitFormat.fixed(p, 4))") }
        case .discrete, .empirical:
            break
        case .truncated(let base, let lo, let hi):
            try validate(UncertainValue(base, v.dimension))
            guard lo < hi else { throw ParseError(message: "truncated() needs min < max") }
            let fl = lo.isFinite ? base.cdf(lo) : 0, fh = hi.isFinite ? base.cdf(hi) : 1
            guard fh - fl > 1e-9 else {
                throw ParseError(message: "truncated() keeps no probability: the distribution has almost no mass between \(f(lo)) and \(f(hi))")
            }
        }
    }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let best = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
        guard let (c, d) = best, d <= max(2, word.count / 3) else { return nil }
        return c
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}
