import Expressions
import Foundation
import GRDB
import PlanData
import Rules

/// A problem with the history database; the CLI exits 4 with its path.
public struct HistoryError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): error: \(message)" }
}

/// One run as `stocktake history` lists it.
public struct RunSummary: Sendable {
    public var id: Int64
    public var asOf: String
    public var recordedAt: String
    public var planFile: String
    public var ruleSet: String
    public var records: Int
    public var counts: [Severity: Int]
    public var total: Int { counts.values.reduce(0, +) }
}

/// Runs, their findings and record snapshots in an embedded SQLite database (GRDB). Each run is
/// written in one transaction, so a crash or Ctrl-C leaves the earlier runs as they were; SQLite's
/// locking (with a busy timeout) lets two runs on the same database take turns.
public struct HistoryStore: Sendable {
    public let path: String
    let pool: DatabasePool

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("as_of", .text).notNull()
                t.column("recorded_at", .text).notNull()
                t.column("plan_file", .text).notNull()
                t.column("plan_hash", .text).notNull()
                t.column("ruleset", .text).notNull()
                t.column("ruleset_version", .text).notNull()
                t.column("rules_hash", .text).notNull()
                t.column("collection", .text).notNull()
                t.column("records", .integer).notNull()
                for level in ["critical", "error", "warning", "info"] { t.column(level, .integer).notNull() }
            }
            try db.create(table: "finding") { t in
                t.column("run_id", .integer).notNull().references("run", onDelete: .cascade)
                t.column("fingerprint", .text).notNull()
                t.column("rule", .text).notNull()
                t.column("ref", .text).notNull()
                t.column("severity", .text).notNull()
            }
            try db.create(index: "finding_by_fingerprint", on: "finding", columns: ["fingerprint"])
            try db.create(table: "snapshot") { t in
                t.column("run_id", .integer).notNull().references("run", onDelete: .cascade)
                t.column("key", .text).notNull()
                t.column("status", .text)
                t.column("due", .text)
            }
            try db.create(index: "snapshot_by_run", on: "snapshot", columns: ["run_id", "key"])
        }
        return m
    }

    /// Opens (creating it and its folder if needed) and migrates the database; refuses one
    /// written by a newer stocktake, and reports a corrupt one rather than replacing it.
    public static func open(path: String) throws -> HistoryStore {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw HistoryError(path: path, message: "cannot create the folder for the history database")
        }
        var config = Configuration()
        config.busyMode = .timeout(30)
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw HistoryError(path: path, message: "was written by a newer stocktake; use that version, or --history with another file")
            }
            try migrator.migrate(pool)
            return HistoryStore(path: path, pool: pool)
        } catch let e as HistoryError {
            throw e
        } catch {
            throw HistoryError(path: path, message: "cannot be read as a stocktake history database (\(error)); "
                               + "move it aside to start a new history, or pass --no-history")
        }
    }

    /// What earlier runs (as of an earlier date) knew about this collection.
    public func facts(collection: String, before asOf: Day) throws -> HistoryFacts {
        do {
            return try pool.read { db in
                let runs = try Row.fetchAll(db, sql: """
                    SELECT id, as_of FROM run WHERE collection = ? AND as_of < ? ORDER BY as_of, id
                    """, arguments: [collection, asOf.description])
                var facts = HistoryFacts()
                guard !runs.isEmpty else { return facts }
                let ids: [Int64] = runs.map { $0["id"] }
                let dates = Dictionary(uniqueKeysWithValues: runs.map { ($0["id"] as Int64, Day(iso: $0["as_of"] as String)!) })
                let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
                // Findings: when first seen, and in how many of the latest runs without a gap.
                var seen: [String: (first: Day, positions: Set<Int>)] = [:]
                let findings = try Row.fetchCursor(db, sql: "SELECT run_id, fingerprint FROM finding WHERE run_id IN (\(ids.map(String.init).joined(separator: ",")))")
                while let row = try findings.next() {
                    let run: Int64 = row["run_id"], fp: String = row["fingerprint"]
                    let day = dates[run]!
                    var entry = seen[fp] ?? (day, [])
                    entry.first = min(entry.first, day)
                    entry.positions.insert(position[run]!)
                    seen[fp] = entry
                }
                let last = ids.count - 1
                for (fp, e) in seen {
                    var streak = 0
                    while e.positions.contains(last - streak) { streak += 1 }
                    facts.findings[fp] = FindingFacts(firstSeen: e.first, consecutiveRuns: streak)
                }
                // Records: the latest earlier snapshot, and how long its status has stood.
                var snapshots: [String: [(position: Int, status: String?, due: String?)]] = [:]
                let rows = try Row.fetchCursor(db, sql: "SELECT run_id, key, status, due FROM snapshot WHERE run_id IN (\(ids.map(String.init).joined(separator: ",")))")
                while let row = try rows.next() {
                    snapshots[row["key"], default: []].append((position[row["run_id"] as Int64]!, row["status"], row["due"]))
                }
                for (key, list) in snapshots {
                    let sorted = list.sorted { $0.position < $1.position }
                    let latest = sorted.last!
                    var same = 0
                    for s in sorted.reversed() where s.status == latest.status { same += 1 }
                    var m = MapValue()
                    m.insert(.string("previous_status"), latest.status.map(Value.string) ?? .null)
                    m.insert(.string("previous_due"), latest.due.flatMap(Day.init(iso:)).map(Value.date) ?? .null)
                    m.insert(.string("status_runs"), .int(Int64(same)))
                    m.insert(.string("runs"), .int(Int64(sorted.count)))
                    facts.records[key] = .map(m)
                }
                return facts
            }
        } catch {
            throw HistoryError(path: path, message: "cannot read the history (\(error))")
        }
    }

    /// Records a run in one transaction. A run with the same as-of date, plan and rules as an
    /// earlier one replaces it, so re-running a day does not count twice.
    public func record(_ result: CheckResult, collection: String, planHash: String, rulesHash: String,
                       snapshots: [RecordSnapshot], recordedAt: Date = Date()) throws {
        do {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM run WHERE as_of = ? AND plan_hash = ? AND rules_hash = ? AND collection = ?",
                               arguments: [result.asOf.description, planHash, rulesHash, collection])
                try db.execute(sql: """
                    INSERT INTO run (as_of, recorded_at, plan_file, plan_hash, ruleset, ruleset_version, rules_hash, collection,
                                     records, critical, error, warning, info)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [result.asOf.description, ISO8601DateFormatter().string(from: recordedAt), result.planFile,
                                     planHash, result.ruleSet, result.ruleSetVersion, rulesHash, collection, result.records,
                                     result.count(.critical), result.count(.error), result.count(.warning), result.count(.info)])
                let run = db.lastInsertedRowID
                let insertFinding = try db.makeStatement(sql: "INSERT INTO finding (run_id, fingerprint, rule, ref, severity) VALUES (?, ?, ?, ?, ?)")
                for f in result.findings where f.waiver == nil {
                    try insertFinding.execute(arguments: [run, f.fingerprint, f.rule, f.ref, f.severity.rawValue])
                }
                let insertSnapshot = try db.makeStatement(sql: "INSERT INTO snapshot (run_id, key, status, due) VALUES (?, ?, ?, ?)")
                for s in snapshots {
                    try insertSnapshot.execute(arguments: [run, s.key, s.status, s.due?.description])
                }
            }
        } catch {
            throw HistoryError(path: path, message: "cannot record this run (\(error)); the earlier runs are unchanged")
        }
    }

    public func runs(limit: Int = 30) throws -> [RunSummary] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM (SELECT * FROM run ORDER BY as_of DESC, id DESC LIMIT ?) ORDER BY as_of, id",
                                 arguments: [limit]).map { row in
                    RunSummary(id: row["id"], asOf: row["as_of"], recordedAt: row["recorded_at"], planFile: row["plan_file"],
                               ruleSet: "\(row["ruleset"] as String) v\(row["ruleset_version"] as String)", records: row["records"],
                               counts: [.critical: row["critical"], .error: row["error"], .warning: row["warning"], .info: row["info"]])
                }
            }
        } catch {
            throw HistoryError(path: path, message: "cannot read the history (\(error))")
        }
    }
}

/// What the history says about one finding.
public struct FindingFacts: Sendable {
    public var firstSeen: Day
    /// Earlier runs in a row, up to the latest, in which this finding was reported.
    public var consecutiveRuns: Int
}

/// Facts from earlier runs: per finding fingerprint, and per record key (the `history` map
/// that rules read: previous_status, previous_due, status_runs, runs).
public struct HistoryFacts: RecordHistory {
    public var findings: [String: FindingFacts] = [:]
    public var records: [String: Value] = [:]

    public init() {}

    public func facts(forKey key: String) -> Value { records[key] ?? RecordSnapshot.noHistory }
}
