/// One problem found in a scenario or dataset, located as precisely as Dealcast knows.
///
/// Printed as `file:line: field.path: message`, e.g.
/// `datasets/x.yaml:14: deal.tranches[1].amount: expected a positive amount with a currency, got '-35B'`.
public struct ScenarioIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var path: String
    public var message: String
    /// True when the problem is a file the scenario names that cannot be read (exit 66, not 65).
    public var isMissingInput: Bool

    public init(file: String, line: Int?, path: String, message: String, isMissingInput: Bool = false) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
        self.isMissingInput = isMissingInput
    }

    public var description: String {
        let loc = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(loc): \(message)" : "\(loc): \(path): \(message)"
    }
}

/// The error every Dealcast entry point throws. Its `code` maps to a sysexits.h exit status.
///
/// Modelled on swift-nio's `FileSystemError`: a struct with an extensible code, a message and the
/// located scenario issues behind it, so new cases never break callers that switch on codes.
public struct DealcastError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case usage, invalidData, inputMissing, pluginUnusable, internalError, cannotWrite, interrupted }
        private let base: Base

        /// Bad command line (64, EX_USAGE).
        public static let usage = Code(base: .usage)
        /// Invalid scenario or dataset (65, EX_DATAERR).
        public static let invalidData = Code(base: .invalidData)
        /// Input file missing or unreadable (66, EX_NOINPUT).
        public static let inputMissing = Code(base: .inputMissing)
        /// A plugin cannot be used (69, EX_UNAVAILABLE).
        public static let pluginUnusable = Code(base: .pluginUnusable)
        /// A bug or a failure of the engine (70, EX_SOFTWARE).
        public static let internalError = Code(base: .internalError)
        /// Output cannot be written (73, EX_CANTCREAT).
        public static let cannotWrite = Code(base: .cannotWrite)
        /// Stopped by SIGINT (130).
        public static let interrupted = Code(base: .interrupted)

        /// The process exit status for this code.
        public var exitStatus: Int32 {
            switch base {
            case .usage: return 64
            case .invalidData: return 65
            case .inputMissing: return 66
            case .pluginUnusable: return 69
            case .internalError: return 70
            case .cannotWrite: return 73
            case .interrupted: return 130
            }
        }

        public var description: String {
            switch base {
            case .usage: return "usage"
            case .invalidData: return "invalid data"
            case .inputMissing: return "input missing"
            case .pluginUnusable: return "plugin unusable"
            case .internalError: return "internal error"
            case .cannotWrite: return "cannot write output"
            case .interrupted: return "interrupted"
            }
        }
    }

    public var code: Code
    public var message: String
    /// Every located problem, when the error is about a scenario (all of them, not just the first).
    public var issues: [ScenarioIssue]

    public init(_ code: Code, _ message: String, issues: [ScenarioIssue] = []) {
        self.code = code
        self.message = message
        self.issues = issues
    }

    /// An invalid-data error that lists every issue.
    /// Exit 66 when every problem is an unreadable file the scenario names; otherwise 65.
    public static func invalid(_ issues: [ScenarioIssue]) -> DealcastError {
        let n = issues.count
        return DealcastError(issues.allSatisfy(\.isMissingInput) ? .inputMissing : .invalidData, n == 1 ? issues[0].description : "\(n) problems found:\n" + issues.map { "  \($0)" }.joined(separator: "\n"), issues: issues)
    }

    public var description: String { message }
}
