// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Dealcast",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dealcast", targets: ["dealcast"]),
        .library(name: "DealcastCore", targets: ["DealcastCore"]),
        .library(name: "DealcastModules", targets: ["DealcastModules"]),
        .library(name: "DealcastReport", targets: ["DealcastReport"]),
        .plugin(name: "DealcastReportPlugin", targets: ["DealcastReportPlugin"]),
        /// The plugin ABI's C header, for plugins written in Swift in other packages (docs/plugin-abi.md).
        .library(name: "CDealcastPlugin", targets: ["CDealcastPlugin"]),
        /// The example plugin in Swift (docs/models/custom_models.md): `dealcast run --plugin <build dir>/libCustomModelsPlugin.so`.
        .library(name: "CustomModelsPlugin", type: .dynamic, targets: ["CustomModelsPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: - Public API

        .target(
            name: "DealcastCore",
            dependencies: ["CGSL", "CDealcastPlugin", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "DealcastModules",
            dependencies: ["DealcastCore"]
        ),
        .target(
            name: "DealcastReport",
            dependencies: ["DealcastCore"]
        ),
        .executableTarget(
            name: "dealcast",
            dependencies: [
                "DealcastCore", "DealcastModules", "DealcastReport", "DealcastDatasets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .plugin(
            name: "DealcastReportPlugin",
            capability: .command(
                intent: .custom(verb: "dealcast-report", description: "Build dealcast, run a scenario and print where the report is."),
                permissions: [.writeToPackageDirectory(reason: "dealcast writes the report under reports/<scenario-id>/")]
            ),
            dependencies: ["dealcast"]
        ),

        /// The C ABI of external analysis-module plugins: one plain C99 header (docs/plugin-abi.md).
        .target(
            name: "CDealcastPlugin"
        ),
        /// Example plugin in Swift, built as a dynamic library against the C header alone.
        .target(
            name: "CustomModelsPlugin",
            dependencies: ["CDealcastPlugin"],
            path: "Examples/CustomModels"
        ),

        // MARK: - Implementation details

        .systemLibrary(
            name: "CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"])]
        ),
        /// The sourced datasets, bundled so that `dealcast run` finds the default scenario from any directory.
        .target(
            name: "DealcastDatasets",
            path: "datasets",
            exclude: ["README.md"],
            resources: [.copy("amazon-openai-2026.yaml"), .copy("aws_segment_quarterly.csv"),
                        .copy("amazon-anthropic-2024.yaml"), .copy("aws_segment_quarterly_through_2023q4.csv")]
        ),

        // MARK: - Tests

        .target(
            name: "DealcastTestSupport",
            dependencies: ["DealcastCore"],
            path: "Tests/DealcastTestSupport"
        ),
        .testTarget(
            name: "DealcastCoreTests",
            dependencies: ["DealcastCore", "DealcastTestSupport"]
        ),
        .testTarget(
            name: "DealcastModulesTests",
            dependencies: ["DealcastCore", "DealcastModules", "DealcastDatasets", "DealcastTestSupport"]
        ),
        .testTarget(
            name: "DealcastPluginTests",
            dependencies: ["DealcastCore", "DealcastModules", "DealcastTestSupport"]
        ),
        .testTarget(
            name: "DealcastReportTests",
            dependencies: ["DealcastCore", "DealcastModules", "DealcastReport", "DealcastTestSupport"],
            exclude: ["Snapshots"]
        ),
        .testTarget(
            name: "DealcastCLITests",
            dependencies: ["DealcastTestSupport"],
            exclude: ["Corpus"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Fuzzing

// `make fuzz` sets DEALCAST_FUZZ and builds this libFuzzer target with `-sanitize=fuzzer`, which it
// needs to link; ordinary builds (`swift build`, `swift test`) do not declare it. See docs/security.md.
if Context.environment["DEALCAST_FUZZ"] != nil {
    package.targets += [
        .executableTarget(
            name: "DealcastFuzz",
            dependencies: ["CLibFuzzer", "DealcastCore", "DealcastModules"],
            exclude: ["CLibFuzzer", "scenario.dict"]
        ),
        .systemLibrary(name: "CLibFuzzer", path: "Sources/DealcastFuzz/CLibFuzzer"),
    ]
}
