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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: - Public API

        .target(
            name: "DealcastCore",
            dependencies: ["CGSL", .product(name: "Yams", package: "Yams")]
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
            resources: [.copy("amazon-openai-2026.yaml"), .copy("aws_segment_quarterly.csv")]
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
            name: "DealcastCLITests",
            dependencies: ["DealcastTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
