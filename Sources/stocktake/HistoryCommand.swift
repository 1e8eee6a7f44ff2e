import ArgumentParser
import Foundation
import History
import Rules

/// `--history PATH` / `--no-history`: where runs are remembered.
struct HistoryOptions: ParsableArguments {
    static let defaultPath = ".stocktake/history.sqlite"

    @Option(help: ArgumentHelp("The history database (default: \(defaultPath)).", valueName: "path"))
    var history: String?

    @Flag(name: .customLong("no-history"), help: "Do not read or record run history (output then depends on the inputs alone).")
    var noHistory = false

    @Option(name: .customLong("history-keep"),
            help: ArgumentHelp("Keep the findings and records of only the latest <n> runs of this collection (default: all); "
                               + "older runs keep their counts for 'stocktake history'.", valueName: "n"))
    var keep: Int?

    func validate() throws {
        if noHistory && history != nil { throw ValidationError("--history and --no-history cannot be used together") }
        if noHistory && keep != nil { throw ValidationError("--history-keep and --no-history cannot be used together") }
        if let keep, keep < 1 { throw ValidationError("--history-keep must be at least 1 (the run being recorded), not \(keep)") }
    }

    func open() throws -> HistoryStore? {
        guard !noHistory else { return nil }
        let path = history ?? Self.defaultPath
        return try historyFailure {
            try HistoryStore.open(path: path) { runs in
                FileHandle.standardError.write(Data("stocktake: bringing the history in \(path) (\(runs) runs) up to this version's format, once\n".utf8))
            }
        }
    }

    /// The files' contents, hashed as fingerprints are: identifies a run's inputs.
    /// One hash over the files' bytes in turn (a file that cannot be read adds nothing), read a
    /// chunk at a time: casework files run to hundreds of megabytes.
    static func hash(files: [String]) throws -> String {
        var stream = Fingerprint.Stream()
        for file in files {
            guard let handle = FileHandle(forReadingAtPath: file) else { continue }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { stream.add($0) }
            }
        }
        return stream.value
    }
}

/// History errors end the run with exit 4 and the database's path.
func historyFailure<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as HistoryError {
        throw Failure(e.description, .invalidPlan)
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List recorded runs with their findings by severity, and a trend chart."
    )

    @Option(help: ArgumentHelp("The history database (default: \(HistoryOptions.defaultPath)).", valueName: "path"))
    var history: String?

    @Option(help: ArgumentHelp("How many of the latest runs to show.", valueName: "n"))
    var limit = 30

    func run() throws {
        let path = history ?? HistoryOptions.defaultPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure("\(path): error: no history yet; 'stocktake check' records each run there", .invalidPlan)
        }
        let runs = try historyFailure { try HistoryStore.open(path: path).runs(limit: limit) }
        var out = "as of       findings  critical  error  warning  info  records  plan\n"
        let widest = max(1, runs.map(\.total).max() ?? 1)
        for r in runs {
            out += r.asOf.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: "  %8d  %8d  %5d  %7d  %4d  %7d  ", r.total, r.counts[.critical] ?? 0, r.counts[.error] ?? 0,
                         r.counts[.warning] ?? 0, r.counts[.info] ?? 0, r.records)
                + "\(r.planFile) (\(r.ruleSet))\n"
        }
        if runs.count > 1 {
            out += "\nfindings per run\n"
            for r in runs {
                let width = Int((Double(r.total) / Double(widest) * 40).rounded(.up))
                out += r.asOf + " " + String(repeating: "█", count: width) + " \(r.total)\n"
            }
        }
        Output.standardOutput(out)
    }
}
