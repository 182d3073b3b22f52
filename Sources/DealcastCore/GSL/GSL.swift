internal import CGSL

/// The one door to GSL's error machinery.
///
/// GSL's default error handler calls `abort()`. Dealcast turns it off once, before the first GSL call,
/// and checks status codes instead, so that a GSL failure becomes a Swift error with a message.
enum GSL {
    /// Turns GSL's abort-on-error handler off. Idempotent and cheap; every wrapper that can fail calls it.
    static let errorHandlerDisabled: Bool = {
        gsl_set_error_handler_off()
        return true
    }()

    /// Converts a GSL status code into a Swift error.
    static func check(_ status: Int32, _ what: String) throws(GSLError) {
        if status != GSL_SUCCESS {
            throw GSLError(status: status, operation: what, reason: String(cString: gsl_strerror(status)))
        }
    }
}

/// A GSL routine reported a failure. Carries GSL's own explanation, never a bare status code.
public struct GSLError: Error, CustomStringConvertible, Sendable {
    let status: Int32
    /// What Dealcast was doing when GSL failed, e.g. "IRR root finding".
    public let operation: String
    /// GSL's explanation of the status code.
    public let reason: String

    public var description: String { "\(operation) failed in GSL: \(reason)" }
}
