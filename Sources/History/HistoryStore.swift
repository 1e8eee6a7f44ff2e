import Expressions
import Foundation
import GRDB
import GRDBSQLite
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
        // Nothing looks findings up by fingerprint, and keeping that index cost most of the time
        // of recording a national run (over a million random inserts); by run, they are appended.
        m.registerMigration("v2") { db in
            try db.drop(index: "finding_by_fingerprint")
            try db.create(index: "finding_by_run", on: "finding", columns: ["run_id"])
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

    /// What earlier runs (as of an earlier date) knew about this collection. Runs are read from
    /// the latest back, so each finding and record needs only a few numbers of state, whatever
    /// the number of runs (a national history holds millions of rows per run).
    public func facts(collection: String, before asOf: Day) throws -> HistoryFacts {
        do {
            return try pool.read { db in
                let runs = try Row.fetchAll(db, sql: """
                    SELECT id, as_of FROM run WHERE collection = ? AND as_of < ? ORDER BY as_of, id
                    """, arguments: [collection, asOf.description])
                var facts = HistoryFacts()
                let last = Int32(runs.count - 1)
                for (position, run) in runs.enumerated().reversed() {
                    let id: Int64 = run[0], day = Day(iso: run[1] as String)!
                    try Self.each(db, "SELECT fingerprint FROM finding WHERE run_id = ?", id) { row in
                        facts.saw(Self.text(row, 0) ?? UnsafeBufferPointer(start: nil, count: 0), in: Int32(position), of: last, on: day)
                    }
                    // Latest first within a run too: of a key listed twice, the last one stands.
                    try Self.each(db, "SELECT key, status, due FROM snapshot WHERE run_id = ? ORDER BY rowid DESC", id) { row in
                        func string(_ column: Int32) -> String? { Self.text(row, column).map { String(decoding: $0, as: UTF8.self) } }
                        facts.saw(key: string(0) ?? "", status: string(1), due: string(2), in: Int32(position))
                    }
                }
                return facts
            }
        } catch {
            throw HistoryError(path: path, message: "cannot read the history (\(error))")
        }
    }

    /// Each row of a query of one run's rows, through the SQLite C API: runs at national scale
    /// have millions, and GRDB's cursors made a `Row` or a `String` of each.
    private static func each(_ db: Database, _ sql: String, _ run: Int64, _ body: (SQLiteStatement) -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        sqlite3_bind_int64(raw, 1, run)
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            body(raw)
        }
    }

    /// A text column of the current row, as its bytes (valid until the next step); nil for NULL.
    private static func text(_ row: SQLiteStatement, _ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard sqlite3_column_type(row, column) != SQLITE_NULL, let bytes = sqlite3_column_text(row, column) else { return nil }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(row, column)))
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
                let insertFinding = try Insert(db, "INSERT INTO finding (run_id, fingerprint, rule, ref, severity) VALUES (?, ?, ?, ?, ?)")
                // A batch row's fingerprint and ref are read from its cells: on every core, before the inserts.
                let identities = result.findings.concurrentMap { $0.waiver == nil ? ($0.fingerprint, $0.ref) : nil }
                for (f, identity) in zip(result.findings, identities) {
                    guard let (fingerprint, ref) = identity else { continue }
                    try insertFinding.row(run, fingerprint, f.rule, ref, f.severity.rawValue)
                }
                let insertSnapshot = try Insert(db, "INSERT INTO snapshot (run_id, key, status, due) VALUES (?, ?, ?, ?)")
                for s in snapshots {
                    try insertSnapshot.row(run, s.key, s.status, s.due?.description)
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

/// An insert run once per row through the SQLite C API. GRDB's `execute(arguments:)` boxes every
/// value into its own arguments, which for the two million rows of a national run cost more
/// than SQLite's own work.
private struct Insert {
    let db: Database
    let statement: Statement

    init(_ db: Database, _ sql: String) throws {
        self.db = db
        statement = try db.makeStatement(sql: sql)
    }

    /// A run id, then text columns (nil: NULL).
    func row(_ run: Int64, _ texts: String?...) throws {
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        sqlite3_bind_int64(raw, 1, run)
        for (i, text) in texts.enumerated() {
            let column = Int32(i + 2)
            // SQLITE_TRANSIENT (a C macro Swift does not import): SQLite copies the text.
            if let text { _ = text.withCString { sqlite3_bind_text(raw, column, $0, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self)) } }
            else { sqlite3_bind_null(raw, column) }
        }
        let code = sqlite3_step(raw)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
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
/// that rules read: previous_status, previous_due, status_runs, runs). Filled from the latest
/// run back (see `HistoryStore.facts`).
public struct HistoryFacts: RecordHistory {
    /// Per fingerprint: the earliest run it was seen in, and the run-by-run streak from the latest.
    private struct Seen {
        var first: Day
        /// The earliest run (position) seen so far; the runs in a row, from the latest, that had
        /// it; and whether every run from the latest down to `position` did.
        var position: Int32
        var streak: Int32
        var unbroken: Bool
    }

    /// Per record key: its latest snapshot, the runs in a row (from that one back) with its
    /// status, and the runs that had it at all.
    private struct RecordState {
        var status: String?
        var due: String?
        var sameStatus: Int32
        var runs: Int32
        /// The earliest run (position) seen so far, and whether every run from the latest
        /// snapshot down to it had the record with that status.
        var position: Int32
        var unbroken: Bool
    }

    /// Fingerprints (16 lower-case hex digits) kept as numbers, which cost no allocation each;
    /// any other text as it is.
    private var byNumber: [UInt64: Seen] = [:]
    private var byText: [String: Seen] = [:]
    private var records: [String: RecordState] = [:]

    public init() {}

    /// What the history says about the finding with this fingerprint.
    public func finding(_ fingerprint: String) -> FindingFacts? {
        var fingerprint = fingerprint
        let seen = fingerprint.withUTF8 { Self.number($0) }.map { byNumber[$0] } ?? byText[fingerprint]
        return seen.map { FindingFacts(firstSeen: $0.first, consecutiveRuns: Int($0.streak)) }
    }

    /// 16 lower-case hex digits (as `Fingerprint` writes them) as a number; nil for anything else.
    static func number(_ hex: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard hex.count == 16 else { return nil }
        var n: UInt64 = 0
        for byte in hex {
            let digit: UInt8
            switch byte {
            case 48...57: digit = byte - 48
            case 97...102: digit = byte - 87
            default: return nil
            }
            n = n << 4 | UInt64(digit)
        }
        return n
    }

    mutating func saw(_ fingerprint: String, in position: Int32, of last: Int32, on day: Day) {
        var fingerprint = fingerprint
        fingerprint.withUTF8 { saw($0, in: position, of: last, on: day) }
    }

    /// A fingerprint reported in run `position` (of runs 0...`last`, as of `day`), runs visited latest first.
    mutating func saw(_ fingerprint: UnsafeBufferPointer<UInt8>, in position: Int32, of last: Int32, on day: Day) {
        func update(_ seen: inout Seen?) {
            guard var s = seen else {
                seen = Seen(first: day, position: position, streak: position == last ? 1 : 0, unbroken: position == last)
                return
            }
            guard s.position != position else { return }      // reported twice in one run
            if s.unbroken, s.position == position + 1 { s.streak += 1 } else { s.unbroken = false }
            s.position = position
            s.first = min(s.first, day)
            seen = s
        }
        if let number = Self.number(fingerprint) { update(&byNumber[number]) } else { update(&byText[String(decoding: fingerprint, as: UTF8.self)]) }
    }

    /// A record's snapshot in run `position`, runs visited latest first: the first one seen is
    /// its latest. Of a key listed twice in one run, the first seen stands.
    mutating func saw(key: String, status: String?, due: String?, in position: Int32) {
        guard var r = records[key] else {
            records[key] = RecordState(status: status, due: due, sameStatus: 1, runs: 1, position: position, unbroken: true)
            return
        }
        guard r.position != position else { return }
        r.runs += 1
        if r.unbroken, r.position == position + 1, status == r.status { r.sameStatus += 1 } else { r.unbroken = false }
        r.position = position
        records[key] = r
    }

    public func facts(forKey key: String) -> Value {
        guard let r = records[key] else { return RecordSnapshot.noHistory }
        var m = MapValue()
        m.insert(.string("previous_status"), r.status.map(Value.string) ?? .null)
        m.insert(.string("previous_due"), r.due.flatMap(Day.init(iso:)).map(Value.date) ?? .null)
        m.insert(.string("status_runs"), .int(Int64(r.sameStatus)))
        m.insert(.string("runs"), .int(Int64(r.runs)))
        return .map(m)
    }
}
