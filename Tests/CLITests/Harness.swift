import Foundation
import Testing

/// Runs the built `stocktake` executable as a user would, from the repository root.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let executable: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stocktake")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return root.appendingPathComponent(".build/debug/stocktake")
    }()

    struct Result {
        var stdout: String
        var stderr: String
        var code: Int32
    }

    /// Runs in the repository root, or in `directory` (as a user would run it from elsewhere).
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        // Checks are history-free unless a test asks, so outputs depend on the inputs alone.
        var arguments = arguments
        if arguments.first == "check", !arguments.contains("--history"), !arguments.contains("--no-history") {
            arguments.append("--no-history")
        }
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? root
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Input is written on its own thread while the output is read here, so neither side can
        // fill a pipe and wait for the other.
        let writer = input.fileHandleForWriting
        let fed = DispatchGroup()
        DispatchQueue.global().async(group: fed) {
            if let stdin { writer.write(Data(stdin.utf8)) }
            try? writer.close()
        }
        // Read both pipes before waiting, so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        fed.wait()
        process.waitUntilExit()
        return Result(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
                      code: process.terminationStatus)
    }

    /// Compares a run's output with a checked-in golden file (under Tests/CLITests/Golden);
    /// STOCKTAKE_UPDATE_GOLDEN=1 rewrites the file instead, but only from a run that exited as
    /// expected and wrote nothing to stderr: a run that failed (a missing fixture, a crash) must
    /// never become the expected output.
    static func expectGolden(_ run: Result, _ name: String, exitCode: Int32,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectFile(run, "Tests/CLITests/Golden/\(name)", exitCode: exitCode, sourceLocation: sourceLocation)
    }

    static var updatingGoldens: Bool { ProcessInfo.processInfo.environment["STOCKTAKE_UPDATE_GOLDEN"] == "1" }

    /// `expectGolden` for a checked-in file anywhere in the repository (a path from its root, or
    /// an absolute path).
    static func expectFile(_ run: Result, _ path: String, exitCode: Int32, updating: Bool = updatingGoldens,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
        let sound = run.code == exitCode && run.stderr.isEmpty
        #expect(run.code == exitCode, "exit code \(run.code), expected \(exitCode): \(run.stderr)",
                sourceLocation: sourceLocation)
        #expect(run.stderr.isEmpty, "unexpected output on stderr: \(run.stderr)", sourceLocation: sourceLocation)
        if updating {
            if sound {
                try Data(run.stdout.utf8).write(to: url)
            } else {
                Issue.record("\(path) not rewritten: the run did not exit as expected", sourceLocation: sourceLocation)
            }
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(run.stdout == expected,
                "output differs from \(path); rerun with STOCKTAKE_UPDATE_GOLDEN=1 after reviewing",
                sourceLocation: sourceLocation)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stocktake-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// The data files the tests read, in Tests/Fixtures (see its README): real plan exports, the CEL
/// conformance cases, schemas. A missing one stops its test with the path, not with a symptom.
enum Fixture {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "missing fixture \(path) (the tests' data files live in Tests/Fixtures)" }
    }

    /// A fixture's path from the repository root (the directory `CLI.run` runs in), checked to exist.
    static func path(_ relative: String) throws -> String {
        let path = "Tests/Fixtures/\(relative)"
        guard FileManager.default.fileExists(atPath: CLI.root.appendingPathComponent(path).path) else {
            throw Missing(path: path)
        }
        return path
    }

    /// A real plan export in Tests/Fixtures/plans.
    static func plan(_ name: String) throws -> String { try path("plans/\(name)") }

    static func url(_ relative: String) throws -> URL { CLI.root.appendingPathComponent(try path(relative)) }
}

/// The peer tools and their reference live beside the checkout, in ../shared/bench, not in the
/// repository: the tests that compare with them run only where that folder is.
enum Peers {
    static let bench = CLI.root.deletingLastPathComponent().appendingPathComponent("shared/bench")
    static let present = FileManager.default.fileExists(atPath: bench.appendingPathComponent("peers.py").path)
    static let absent = Comment(rawValue: "needs the peer tools in ../shared/bench beside the checkout "
        + "(not in the repository)")
}

/// Synthetic casework from the repository's own generator, scripts/gen-casework.py.
enum Casework {
    static let generator = "scripts/gen-casework.py"

    /// Writes `count` generated cases (seed 7, as of 2025-03-31) to `file`.
    static func generate(count: Int, to file: URL, seed: Int = 7, asOf: String = "2025-03-31") throws {
        guard FileManager.default.fileExists(atPath: CLI.root.appendingPathComponent(generator).path) else {
            throw Fixture.Missing(path: generator)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", generator, "--count", String(count), "--seed", String(seed), "--as-of", asOf]
        p.currentDirectoryURL = CLI.root
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        p.standardOutput = handle
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "python3 \(generator) exited \(p.terminationStatus)")
    }
}
