import Foundation
import XCTest

/// Runs the built `dealcast` binary, as swift-argument-parser's `AssertExecuteCommand` does.
public enum CLI {
    public struct Outcome {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The folder holding the built products (the test bundle sits beside `dealcast`).
    public static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    public static var binary: URL { productsDirectory.appendingPathComponent("dealcast") }

    /// Runs `dealcast args…` in `directory` and waits for it.
    @discardableResult
    public static func run(_ args: [String], in directory: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// A fresh temporary folder, removed at the end of the test.
    public static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dealcast-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}
