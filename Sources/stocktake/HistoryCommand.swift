import ArgumentParser
import Foundation
import Expressions
import History
import PlanData
import Rules

/// `--history PATH` (or `STOCKTAKE_HISTORY`): where runs are remembered. Without either, a
/// check reads and records no history and writes nothing but its reports.
struct HistoryOptions: ParsableArguments {
    /// The project setting: a nightly job (or a shell profile) names its database once.
    static let environmentVariable = "STOCKTAKE_HISTORY"
    /// Where stocktake 0.1 recorded every run; `stocktake history` still reads it when it is there.
    static let legacyPath = ".stocktake/history.sqlite"

    @Option(help: ArgumentHelp("Read and record run history in this database (default: $\(environmentVariable) when set; "
                               + "otherwise no history is kept).", valueName: "path"))
    var history: String?

    @Flag(name: .customLong("no-history"), help: "Keep no history even when $\(environmentVariable) is set.")
    var noHistory = false

    @Option(name: .customLong("history-keep"),
            help: ArgumentHelp("Keep the findings and records of only the latest <n> runs of this plan (default: all); "
                               + "older runs keep their counts for 'stocktake history'.", valueName: "n"))
    var keep: Int?

    @Option(name: .customLong("plan-id"),
            help: ArgumentHelp("The plan's identity in the history (default: a plan-id in the profile or plan, else its path).",
                               valueName: "id"))
    var planID: String?

    /// The database to use, if any.
    var path: String? {
        guard !noHistory else { return nil }
        if let history { return history }
        let setting = ProcessInfo.processInfo.environment[Self.environmentVariable] ?? ""
        return setting.isEmpty ? nil : setting
    }

    func validate() throws {
        if noHistory && history != nil { throw ValidationError("--history and --no-history cannot be used together") }
        if noHistory && keep != nil { throw ValidationError("--history-keep and --no-history cannot be used together") }
        if let keep, keep < 1 { throw ValidationError("--history-keep must be at least 1 (the run being recorded), not \(keep)") }
        if keep != nil && path == nil {
            throw ValidationError("--history-keep needs a history: --history PATH, or $\(Self.environmentVariable)")
        }
        if planID?.isEmpty == true { throw ValidationError("--plan-id needs a name") }
    }

    /// The database, when history is asked for. `recording: false` (a dry run) reads it without
    /// creating or changing anything.
    func open(recording: Bool = true) throws -> HistoryStore? {
        guard let path else { return nil }
        return try historyFailure {
            try HistoryStore.open(path: path, readOnly: !recording) { runs in
                FileHandle.standardError.write(Data("stocktake: bringing the history in \(path) (\(runs) runs) up to this version's format, once\n".utf8))
            }
        }
    }

    /// The series a run of `plan` belongs to: --plan-id, else a `plan-id` in the profile or the
    /// plan itself, else the plan's path as given (without `./`), so the same command line run
    /// from the same folder continues the same series.
    func planIdentity(plan: String, profile: PlanProfile, format: PlanFormat?) -> String {
        planID ?? profile.planID ?? PlanLoader.declaredPlanID(path: plan, format: format) ?? Self.normalised(path: plan)
    }

    static func normalised(path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.map(String.init)
        if parts.isEmpty { parts = ["."] }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
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

/// History errors end the run with the database's path: exit 4 for a database that cannot be
/// used, 5 for a run that could not be recorded.
func historyFailure<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as HistoryError {
        throw Failure(e.description, e.isWriteFailure ? .internalError : .invalidPlan)
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List recorded runs, one series per plan, with their findings by severity and a trend chart."
    )

    @Option(help: ArgumentHelp("The history database (default: $\(HistoryOptions.environmentVariable), "
                               + "else \(HistoryOptions.legacyPath) when it exists).", valueName: "path"))
    var history: String?

    @Option(help: ArgumentHelp("Show only this plan's runs (its plan id, or path as recorded).", valueName: "id"))
    var plan: String?

    @Option(help: ArgumentHelp("How many of the latest runs of each plan to show.", valueName: "n"))
    var limit = 30

    func run() throws {
        let setting = ProcessInfo.processInfo.environment[HistoryOptions.environmentVariable] ?? ""
        let path = history ?? (setting.isEmpty ? HistoryOptions.legacyPath : setting)
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure("\(path): error: no history yet; 'stocktake check --history \(path)' records each run there", .invalidPlan)
        }
        let runs = try historyFailure { try HistoryStore.open(path: path).runs(limit: limit, plan: plan) }
        if let plan, runs.isEmpty {
            let known = try historyFailure { try HistoryStore.open(path: path).runs(limit: 1) }.map(\.plan)
            throw Failure("\(path): error: no runs of plan '\(plan)'" + Suggest.hint(for: plan, among: Set(known)), .usage)
        }
        // One series per plan and collection, in the order of their first run.
        var order: [String] = []
        var series: [String: [RunSummary]] = [:]
        for r in runs {
            let key = r.plan + "\u{0}" + r.collection
            if series[key] == nil { order.append(key) }
            series[key, default: []].append(r)
        }
        var out = ""
        for key in order {
            let list = series[key]!
            if !out.isEmpty { out += "\n" }
            out += "plan \(list[0].plan) (\(list[0].collection)): \(list.count) run\(list.count == 1 ? "" : "s")" + "\n"
            out += "as of       findings  critical  error  warning  info  records  file (rules)\n"
            for r in list {
                out += r.asOf.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(format: "  %8d  %8d  %5d  %7d  %4d  %7d  ", r.total, r.counts[.critical] ?? 0, r.counts[.error] ?? 0,
                             r.counts[.warning] ?? 0, r.counts[.info] ?? 0, r.records)
                    + "\(r.planFile) (\(r.ruleSet))" + "\n"
            }
            guard list.count > 1 else { continue }
            let widest = max(1, list.map(\.total).max() ?? 1)
            out += "findings per run\n"
            for r in list {
                let width = Int((Double(r.total) / Double(widest) * 40).rounded(.up))
                out += r.asOf + " " + String(repeating: "█", count: width) + " \(r.total)\n"
            }
        }
        Output.terminalText(out)
    }
}
