// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "stocktake",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "stocktake", targets: ["stocktake"]),
        .library(name: "StocktakeKit", targets: ["YAML", "Expressions", "Timescales", "PlanData", "Rules", "Reports", "History"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // libyaml, the system C library (Debian: libyaml-dev).
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "YAML", dependencies: ["CYAML"]),
        .target(name: "Expressions"),
        .target(name: "Timescales", dependencies: ["Expressions"]),
        .target(name: "PlanData", dependencies: ["YAML", "Expressions", "Timescales", "ZIPFoundation"]),
        .target(name: "Rules", dependencies: ["YAML", "Expressions", "Timescales", "PlanData"]),
        .target(name: "Reports", dependencies: ["Rules", "PlanData", "Expressions"]),
        .target(name: "History", dependencies: ["Rules", "PlanData", "Expressions", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .executableTarget(
            name: "stocktake",
            dependencies: [
                "YAML", "Expressions", "Timescales", "PlanData", "Rules", "Reports", "History",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Run by hand (see Benchmarks/README.md), never as timed tests.
        .executableTarget(
            name: "stocktake-bench",
            dependencies: ["CYAML", "YAML", "Expressions", "PlanData", "Rules"],
            path: "Benchmarks/Sources/stocktake-bench"
        ),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions"]),
        .testTarget(name: "TimescalesTests", dependencies: ["Timescales"]),
        .testTarget(name: "PlanDataTests", dependencies: ["PlanData", "ZIPFoundation"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Rules"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", "Rules", "Expressions", .product(name: "GRDB", package: "GRDB.swift")]),
        // Golden outputs and the mail-server scripts are read from the checkout by path.
        .testTarget(name: "CLITests", dependencies: ["stocktake"], exclude: ["Golden", "Fixtures"]),
    ]
)
