import DealcastCore
import DealcastModules
import DealcastTestSupport
import Foundation
import XCTest

/// Loading plugins: every way a plugin file can be unusable is refused with the right exit status and
/// a message naming the file, before any of its code runs where that matters.
final class PluginLoadingTests: XCTestCase {
    func loadError(_ path: String, loader: PluginLoader = PluginLoader(), file: StaticString = #filePath, line: UInt = #line) -> DealcastError? {
        do {
            try loader.load(path)
            XCTFail("\(path) loaded", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func fixture(_ name: String = "fixture", in dir: URL, _ source: String = PluginFixtures.pluginSource()) throws -> URL {
        try PluginFixtures.compile(source: source, named: name, in: dir)
    }

    func testAMissingPluginFileExits66NamingIt() throws {
        let dir = try CLI.temporaryDirectory(self)
        let r = try PluginFixtures.dealcast(["run", "--trials", "100", "--plugin", "nowhere/plugin.so"], in: dir)
        XCTAssertEqual(r.status, 66, r.stderr)
        XCTAssertTrue(r.stderr.contains("nowhere/plugin.so: no such file"), r.stderr)
        let env = try PluginFixtures.dealcast(["modules"], in: dir, environment: ["DEALCAST_PLUGIN_PATH": "gone.so"])
        XCTAssertEqual(env.status, 66, env.stderr)
        XCTAssertTrue(env.stderr.contains("gone.so") && env.stderr.contains("DEALCAST_PLUGIN_PATH"), env.stderr)
    }

    func testAFolderIsNotAPluginFile() throws {
        let dir = try CLI.temporaryDirectory(self)
        let e = try XCTUnwrap(loadError(dir.path))
        XCTAssertEqual(e.code.exitStatus, 66)
        XCTAssertTrue(e.message.contains("is a directory"), e.message)
    }

    func testAFileThatIsNotALibraryExits69WithTheLoadersReason() throws {
        let dir = try CLI.temporaryDirectory(self)
        let bogus = dir.appendingPathComponent("notes.so")
        try "just text\n".write(to: bogus, atomically: true, encoding: .utf8)
        let r = try PluginFixtures.dealcast(["run", "--plugin", bogus.path], in: dir)
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(bogus.path): cannot be loaded as a plugin library: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("notes.so:"), "dlerror() text expected: \(r.stderr)")
    }

    func testALibraryWithoutTheEntryFunctionIsNotADealcastPlugin() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir, PluginFixtures.pluginSource(exportedName: "some_other_function"))
        let e = try XCTUnwrap(loadError(lib.path))
        XCTAssertEqual(e.code.exitStatus, 69)
        XCTAssertTrue(e.message.contains("not a dealcast plugin: it does not export the function dealcast_plugin_entry"), e.message)
    }

    func testAnotherABIVersionIsRefusedNamingBothVersions() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir, PluginFixtures.pluginSource(abiVersion: "2"))
        let r = try PluginFixtures.dealcast(["run", "--plugin", lib.path], in: dir)
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(lib.path): built for dealcast plugin ABI version 2, but this dealcast supports ABI version 1"), r.stderr)
    }

    func testAStructSmallerThanTheABIsIsRefused() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir, PluginFixtures.pluginSource(structSize: "16"))
        let e = try XCTUnwrap(loadError(lib.path))
        XCTAssertEqual(e.code.exitStatus, 69)
        XCTAssertTrue(e.message.contains("its dealcast_plugin struct is 16 bytes, but ABI version 1 needs at least"), e.message)
    }

    /// A plugin built against a later header declares a larger struct; this host reads what it knows.
    func testALargerStructFromANewerHeaderLoads() throws {
        let dir = try CLI.temporaryDirectory(self)
        let source = PluginFixtures.pluginSource(
            structSize: "sizeof(struct newer)", entry: "(void)&plugin; return &newer.v1;",
            extra: "static const struct newer { dealcast_plugin v1; double later_member; } newer = { { PLUGIN_FIELDS }, 1.0 };")
        let lib = try fixture(in: dir, source)
        let module = try PluginLoader().load(lib.path)
        XCTAssertEqual(module.descriptor.metrics.map(\.name), ["value"])
    }

    func testAnEntryFunctionReturningNullIsRefused() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir, PluginFixtures.pluginSource(entry: "(void)&plugin; return NULL;"))
        let e = try XCTUnwrap(loadError(lib.path))
        XCTAssertEqual(e.code.exitStatus, 69)
        XCTAssertTrue(e.message.contains("dealcast_plugin_entry() returned NULL"), e.message)
    }

    func testAnUnknownInputUnitIsRefusedNamingTheInput() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir, PluginFixtures.pluginSource(inputUnit: "EUR"))
        let e = try XCTUnwrap(loadError(lib.path))
        XCTAssertEqual(e.code.exitStatus, 69)
        XCTAssertTrue(e.message.contains("inputs[0] ('deal.capacity') has unit 'EUR'; expected one of USD, GW"), e.message)
    }

    func testADefaultInTheWrongUnitIsRefusedAtLoad() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir, PluginFixtures.pluginSource(inputDefault: "\"15B USD\""))
        let e = try XCTUnwrap(loadError(lib.path))
        XCTAssertEqual(e.code.exitStatus, 69)
        XCTAssertTrue(e.message.contains("has the default '15B USD': it is in USD, but the input's unit is GW"), e.message)
    }

    func testTheSameModuleIdFromTwoFilesIsRefusedNamingBoth() throws {
        let dir = try CLI.temporaryDirectory(self)
        let a = try PluginFixtures.powerPriceShock(in: dir)
        let copyDir = dir.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: copyDir, withIntermediateDirectories: true)
        let b = copyDir.appendingPathComponent(a.lastPathComponent)
        try FileManager.default.copyItem(at: a, to: b)
        let r = try PluginFixtures.dealcast(["modules", "--plugin", a.path, "--plugin", b.path], in: dir)
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(b.path): provides module 'power_price_shock'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("which \(a.path) (version 1.0.0) already provides"), r.stderr)
    }

    func testTheSameFileNamedTwiceIsLoadedOnce() throws {
        let dir = try CLI.temporaryDirectory(self)
        let a = try PluginFixtures.powerPriceShock(in: dir)
        let loader = PluginLoader()
        let modules = try loader.load(paths: [a.path, dir.path + "/./" + a.lastPathComponent], environment: a.path)
        XCTAssertEqual(modules.count, 1)
        XCTAssertEqual(loader.loaded.count, 1)
        let r = try PluginFixtures.dealcast(["modules", "--plugin", a.path], in: dir, environment: ["DEALCAST_PLUGIN_PATH": a.path])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testAPluginCannotTakeABuiltinModulesId() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir, PluginFixtures.pluginSource(id: "capex_return"))
        let r = try PluginFixtures.dealcast(["modules", "--plugin", lib.path], in: dir)
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(lib.path): provides module 'capex_return', but a built-in module already has that id"), r.stderr)
    }

    func testAPluginFileOthersCanWriteIsRefusedUnlessAllowed() throws {
        let dir = try CLI.temporaryDirectory(self)
        let lib = try fixture(in: dir)
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: lib.path)
        let r = try PluginFixtures.dealcast(["modules", "--plugin", lib.path], in: dir)
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(lib.path): the plugin file is writable by its group and all other users (mode 0666)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--allow-insecure-plugins"), r.stderr)
        let allowed = try PluginFixtures.dealcast(["modules", "--plugin", lib.path, "--allow-insecure-plugins"], in: dir)
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stdout.contains("fixture"), allowed.stdout)
    }

    func testAPluginInAFolderOthersCanWriteIsRefused() throws {
        let dir = try CLI.temporaryDirectory(self)
        let open = dir.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
        let lib = try fixture(in: open)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: open.path)
        let e = try XCTUnwrap(loadError(lib.path))
        XCTAssertEqual(e.code.exitStatus, 69)
        XCTAssertTrue(e.message.contains("its folder \(open.path) is writable by its group and all other users"), e.message)
        // The sticky bit (as on /tmp) means only the file's owner can replace it: accepted.
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: open.path)
        XCTAssertNoThrow(try PluginLoader().load(lib.path))
    }

    func testTheEnvironmentVariableIsSplitOnColons() {
        XCTAssertEqual(PluginLoader.split("a.so::/x/b.so: "), ["a.so", "/x/b.so"])
        XCTAssertEqual(PluginLoader.split(nil), [])
    }

    func testAPluginsScenarioSectionIsValidatedLikeABuiltinOne() throws {
        let dir = try CLI.temporaryDirectory(self)
        let c = try PluginFixtures.powerPriceShock(in: dir)
        let scenario = try TestScenario.defaultScenario(sections: ["regulatory_risk", "capex_return"])
            + "power_price_shock:\n  step: 12 GW\n  rmap: 3 years\n"
        try scenario.write(to: dir.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: TestScenario.datasetsDirectory.appendingPathComponent("aws_segment_quarterly.csv"),
                                         to: dir.appendingPathComponent("aws_segment_quarterly.csv"))
        let r = try PluginFixtures.dealcast(["validate", "s.yaml", "--modules", "power_price_shock", "--plugin", c.path], in: dir)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("power_price_shock.step: expected a value between"), r.stderr)
        XCTAssertTrue(r.stderr.contains("unknown key 'rmap'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'ramp'"), r.stderr)
        let without = try PluginFixtures.dealcast(["validate", "s.yaml", "--modules", "capex_return"], in: dir)
        XCTAssertEqual(without.status, 65)
        XCTAssertTrue(without.stderr.contains("unknown top-level key 'power_price_shock'"), without.stderr)
    }
}
