import Expressions
import Foundation
import GRDB
import PlanData
import Rules

/// A problem with the history database. The CLI exits 4 with its path when the database cannot
/// be used at all (refused before anything is read), and 5 when a run cannot be recorded in it
/// (after the reports are written).
public struct HistoryError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    /// A run could not be written (read-only, disk full), as opposed to a database that cannot be read.
    public var isWriteFailure = false
    public var description: String { "\(path): error: \(message)" }

    public init(path: String, message: String, isWriteFailure: Bool = false) {
        self.path = path
        self.message = message
        self.isWriteFailure = isWriteFailure
    }
}

/// One run as `stocktake history` lists it.
public struct RunSummary: Sendable {
    public var id: Int64
    public var asOf: String
    public var recordedAt: String
    public var planFile: String
    /// The plan's identity: the series this run belongs to (see `HistoryStore.record`).
    public var plan: String
    public var collection: String
    public var ruleSet: String
    public var records: Int
    public var counts: [Severity: Int]
    public var total: Int { counts.values.reduce(0, +) }
}

/// Runs, their findings and record snapshots in an embedded SQLite database (GRDB). Each run is
/// written in one transaction, so a crash or Ctrl-C leaves the earlier runs as they were; SQLite's
/// locking (with a busy timeout) lets two runs on the same database take turns.
///
/// Runs form one series per plan and collection: a run reads, and carries on from, only the
/// latest earlier run of its own plan, so several plans can share one database.
public struct HistoryStore: Sendable {
    public let path: String
    /// Nil when there is nothing to read: no database yet, and none may be created.
    let pool: (any DatabaseWriter)?
    /// Why this run cannot be recorded (read-only, no folder), said when it tries to.
    let unwritable: String?

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
        // Each run records its findings' and records' counts as they stand after it, so the next
        // run reads only the run before it (v2 read every earlier run back, which at national
        // scale took longer with every run kept). A run's rows are kept together, keyed by run
        // and position, so they need no index of their own.
        m.registerMigration("v3") { db in
            try db.rename(table: "finding", to: "finding_v2")
            try db.rename(table: "snapshot", to: "snapshot_v2")
            try createRunRows(db)
            try copyCarryingCountsForward(db)
            try db.drop(table: "finding_v2")
            try db.drop(table: "snapshot_v2")
        }
        // Runs are a series per plan, not per collection: v3 let a plan carry on from another
        // plan's run (inheriting its findings' runs, or starting its own again). Each run is keyed
        // by the plan file it recorded, and its counts are worked out again within its own series.
        m.registerMigration("v4") { db in
            try db.alter(table: "run") { t in t.add(column: "plan_id", .text).notNull().defaults(to: "") }
            try db.execute(sql: "UPDATE run SET plan_id = plan_file")
            try db.create(index: "run_by_series", on: "run", columns: ["collection", "plan_id", "as_of"])
            try recountWithinEachSeries(db)
        }
        return m
    }

    /// Opens (creating it and its folder if needed) and migrates the database; refuses one
    /// written by a newer stocktake, and reports a corrupt, empty or foreign file rather than
    /// replacing it. `upgrading` hears, before it starts, that a database with runs is being
    /// brought up to date (once per version, but it can take a while for national runs).
    ///
    /// `readOnly` (a dry run), a read-only file or a folder that cannot be created still opens:
    /// the run reads what it can, and `record` then fails with the reason, so the reports are
    /// written first.
    public static func open(path: String, readOnly: Bool = false, upgrading: ((_ runs: Int) -> Void)? = nil) throws -> HistoryStore {
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists {
            try refuseUnlessHistory(path, info)
        }
        var unwritable: String?
        let fileIsReadOnly = exists && (info.st_mode & 0o222 == 0 || access(path, W_OK) != 0)
        if fileIsReadOnly { unwritable = "the database is read-only" } else if readOnly { unwritable = "a dry run records nothing" }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        if unwritable == nil, !exists {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                unwritable = "cannot create the folder \(folder.path) for the history database"
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(30)
        guard unwritable == nil else {
            // Read what there is, without creating, migrating or locking for writes.
            guard exists else { return HistoryStore(path: path, pool: nil, unwritable: unwritable) }
            // A file we may write is opened as usual, so that closing it removes SQLite's -wal and
            // -shm files as always; only a read-only one is opened read-only (SQLite then leaves them).
            config.readonly = fileIsReadOnly
            let reader: (any DatabaseWriter)? = fileIsReadOnly ? try? DatabaseQueue(path: path, configuration: config)
                : try? DatabasePool(path: path, configuration: config)
            let current = try? reader?.read { db in try migrator.hasCompletedMigrations(db) && !migrator.hasBeenSuperseded(db) }
            return HistoryStore(path: path, pool: current == true ? reader : nil, unwritable: unwritable)
        }
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            let (superseded, upToDate, runs) = try pool.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db),
                 try db.tableExists("run") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM run") ?? 0 : 0)
            }
            if superseded {
                throw HistoryError(path: path, message: "was written by a newer stocktake; use that version, or --history with another file")
            }
            if !upToDate, runs > 0 { upgrading?(runs) }
            try migrator.migrate(pool)
            return HistoryStore(path: path, pool: pool, unwritable: nil)
        } catch let e as HistoryError {
            throw e
        } catch {
            throw HistoryError(path: path, message: "cannot be read as a stocktake history database (\(error)); "
                               + "move it aside to start a new history, or leave out --history")
        }
    }

    /// A file at the history path that is not a stocktake history is never taken over: an empty
    /// file (a failed copy, a truncated disk) would silently start the history again, and another
    /// program's SQLite database would get stocktake's tables.
    static func refuseUnlessHistory(_ path: String, _ info: stat) throws {
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw HistoryError(path: path, message: "is not a regular file, so it cannot be a stocktake history database")
        }
        guard info.st_size > 0 else {
            throw HistoryError(path: path, message: "is empty, not a stocktake history database; "
                               + "remove it to start a new history, or restore the database from a backup")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HistoryError(path: path, message: "cannot be read (\(String(cString: strerror(errno))))")
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        // A file that is not SQLite at all is reported when it is opened, with SQLite's reason.
        guard header == Data("SQLite format 3\0".utf8) else { return }
        var config = Configuration()
        config.readonly = true
        let tables = try? DatabaseQueue(path: path, configuration: config).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
        guard let tables, !tables.isEmpty, !(tables.contains("grdb_migrations") && tables.contains("run")) else { return }
        throw HistoryError(path: path, message: "is an SQLite database but not a stocktake history (its tables: "
                           + "\(tables.prefix(5).joined(separator: ", "))\(tables.count > 5 ? ", …" : "")); "
                           + "give --history a file of its own")
    }

    /// What the latest run of this plan and collection as of an earlier date recorded (see `HistoryFacts`).
    public func facts(collection: String, plan: String, before asOf: Day) throws -> HistoryFacts {
        guard let pool else { return HistoryFacts() }
        do {
            return try pool.read { db in try Self.facts(db, collection: collection, plan: plan, before: asOf) }
        } catch {
            throw HistoryError(path: path, message: "cannot read the history (\(error))")
        }
    }

    static func facts(_ db: Database, collection: String, plan: String?, before asOf: Day) throws -> HistoryFacts {
        var facts = HistoryFacts()
        // Before version 4 (`plan` nil), runs were a series per collection.
        let series = plan == nil ? "collection = ?" : "collection = ? AND plan_id = ?"
        let arguments: StatementArguments = plan.map { [collection, $0, asOf.description] } ?? [collection, asOf.description]
        guard let run = try Int64.fetchOne(db, sql: "SELECT id FROM run WHERE \(series) AND as_of < ? ORDER BY as_of DESC, id DESC LIMIT 1",
                                           arguments: arguments) else { return facts }
        try db.eachRow("SELECT fingerprint, first_seen, runs FROM finding WHERE run_id = ? ORDER BY n", run) { row in
            guard let fingerprint = row.bytes(0), let first = row.bytes(1).flatMap(Day.init(isoBytes:)), let runs = row.int(2) else {
                throw DatabaseError(message: "run \(run) has a finding without a fingerprint, first-seen date or run count")
            }
            facts.saw(fingerprint, first: first, runs: Int32(clamping: runs))
        }
        // Of a key listed twice, the last one stands.
        try db.eachRow("SELECT key, status, due, status_runs, runs FROM snapshot WHERE run_id = ? ORDER BY n", run) { row in
            guard let key = row.text(0), let statusRuns = row.int(3), let runs = row.int(4) else {
                throw DatabaseError(message: "run \(run) has a record without a key or run counts")
            }
            facts.saw(key: key, status: row.text(1), due: row.bytes(2).flatMap(Day.init(isoBytes:)), statusRuns: Int32(clamping: statusRuns), runs: Int32(clamping: runs))
        }
        return facts
    }

    /// Records a run in one transaction: its findings with their history (`HistoryFacts.carriedOn`)
    /// and its records with their run counts, carried on from `earlier`. `plan` is the plan's
    /// identity (its path, or a declared plan id): runs of one plan and collection form a series.
    /// A run with the same as-of date, plan and rules as an earlier one replaces it, so re-running
    /// a day does not count twice. With `keepRuns`, only the latest that many runs of the series
    /// keep their findings and records (the others keep their counts), so a history of national
    /// runs stays the size of a few.
    public func record(_ result: CheckResult, findings seen: [RunFinding], earlier: HistoryFacts, collection: String, plan: String,
                       planHash: String, rulesHash: String, snapshots: [RecordSnapshot], keepRuns: Int? = nil,
                       recordedAt: Date = Date()) throws {
        precondition(seen.count == result.findings.count, "one RunFinding per finding")
        guard unwritable == nil, let pool else {
            throw HistoryError(path: path, message: "cannot record this run: \(unwritable ?? "no database"); "
                               + "the reports were written, the earlier runs are unchanged", isWriteFailure: true)
        }
        let counts = snapshots.concurrentMap { earlier.counts(forKey: $0.key, status: $0.status) }
        do {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM run WHERE as_of = ? AND plan_hash = ? AND rules_hash = ? AND collection = ? AND plan_id = ?",
                               arguments: [result.asOf.description, planHash, rulesHash, collection, plan])
                let keepRows = try keepRuns.map { try Self.prune(db, collection, plan, keeping: $0, with: result.asOf) } ?? true
                try db.execute(sql: """
                    INSERT INTO run (as_of, recorded_at, plan_file, plan_id, plan_hash, ruleset, ruleset_version, rules_hash, collection,
                                     records, critical, error, warning, info)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [result.asOf.description, ISO8601DateFormatter().string(from: recordedAt), result.planFile, plan,
                                     planHash, result.ruleSet, result.ruleSetVersion, rulesHash, collection, result.records,
                                     result.count(.critical), result.count(.error), result.count(.warning), result.count(.info)])
                guard keepRows else { return }
                let rows = try RunRows(db, run: db.lastInsertedRowID)
                for (f, s) in zip(result.findings, seen) {
                    try rows.finding(s.fingerprint, rule: f.rule, ref: s.ref, severity: f.severity.rawValue, s.history)
                }
                for (s, c) in zip(snapshots, counts) {
                    try rows.record(s.key, status: s.status, due: s.due?.description, statusRuns: c.statusRuns, runs: c.runs)
                }
            }
        } catch {
            throw HistoryError(path: path, message: "cannot record this run (\(error)); the reports were written, "
                               + "the earlier runs are unchanged", isWriteFailure: true)
        }
    }

    /// Deletes the findings and records of the runs of a series that fall outside the latest
    /// `keep` once a run as of `asOf` is added: before it is added, so that its rows reuse the
    /// pages freed. False when that run itself falls outside (a run recorded as of an earlier date).
    static func prune(_ db: Database, _ collection: String, _ plan: String, keeping keep: Int, with asOf: Day) throws -> Bool {
        // The new run will have the highest id, and ranks first among runs as of its date.
        let new = Int64.max
        let beyond = try Int64.fetchAll(db, sql: """
            SELECT id FROM (SELECT id, as_of FROM run WHERE collection = ? AND plan_id = ? UNION ALL SELECT ?, ?)
            ORDER BY as_of DESC, id DESC LIMIT -1 OFFSET ?
            """, arguments: [collection, plan, new, asOf.description, keep])
        for id in beyond where id != new {
            try db.execute(sql: "DELETE FROM finding WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM snapshot WHERE run_id = ?", arguments: [id])
        }
        return !beyond.contains(new)
    }

    static func createRunRows(_ db: Database) throws {
        try db.create(table: "finding", options: .withoutRowID) { t in
            t.column("run_id", .integer).notNull().references("run", onDelete: .cascade)
            t.column("n", .integer).notNull()
            t.column("fingerprint", .text).notNull()
            t.column("rule", .text).notNull()
            t.column("ref", .text).notNull()
            t.column("severity", .text).notNull()
            t.column("first_seen", .text).notNull()
            t.column("runs", .integer).notNull()
            t.primaryKey(["run_id", "n"])
        }
        try db.create(table: "snapshot", options: .withoutRowID) { t in
            t.column("run_id", .integer).notNull().references("run", onDelete: .cascade)
            t.column("n", .integer).notNull()
            t.column("key", .text).notNull()
            t.column("status", .text)
            t.column("due", .text)
            t.column("status_runs", .integer).notNull()
            t.column("runs", .integer).notNull()
            t.primaryKey(["run_id", "n"])
        }
    }

    /// Brings the runs of a version 2 database over, oldest first, each with the counts it
    /// would have recorded.
    static func copyCarryingCountsForward(_ db: Database) throws {
        for run in try Row.fetchAll(db, sql: "SELECT id, collection, as_of FROM run ORDER BY as_of, id") {
            let id: Int64 = run[0]
            guard let day = Day(iso: run[2] as String) else { throw DatabaseError(message: "run \(id) has no as-of date") }
            let earlier = try facts(db, collection: run[1], plan: nil, before: day)
            let rows = try RunRows(db, run: id)
            try db.eachRow("SELECT fingerprint, rule, ref, severity FROM finding_v2 WHERE run_id = ? ORDER BY rowid", id) { row in
                let fingerprint = row.text(0) ?? ""
                try rows.finding(fingerprint, rule: row.text(1) ?? "", ref: row.text(2) ?? "", severity: row.text(3) ?? "",
                                 earlier.history(of: fingerprint, asOf: day))
            }
            try db.eachRow("SELECT key, status, due FROM snapshot_v2 WHERE run_id = ? ORDER BY rowid", id) { row in
                let key = row.text(0) ?? "", status = row.text(1)
                let counts = earlier.counts(forKey: key, status: status)
                try rows.record(key, status: status, due: row.text(2), statusRuns: counts.statusRuns, runs: counts.runs)
            }
        }
    }

    /// Works out every run's counts again within its own series (plan and collection), oldest
    /// first, as each would have recorded them had the series been its own from the start.
    static func recountWithinEachSeries(_ db: Database) throws {
        let findings = try RowWriter(db, "UPDATE finding SET first_seen = ?, runs = ? WHERE run_id = ? AND n = ?")
        let records = try RowWriter(db, "UPDATE snapshot SET status_runs = ?, runs = ? WHERE run_id = ? AND n = ?")
        for run in try Row.fetchAll(db, sql: "SELECT id, collection, plan_id, as_of FROM run ORDER BY as_of, id") {
            let id: Int64 = run[0]
            guard let day = Day(iso: run[3] as String) else { throw DatabaseError(message: "run \(id) has no as-of date") }
            let earlier = try facts(db, collection: run[1], plan: run[2] as String, before: day)
            // Read first, then update: the rows are not changed under a query still stepping through them.
            var seen: [(Int64, String)] = []
            try db.eachRow("SELECT n, fingerprint FROM finding WHERE run_id = ? ORDER BY n", id) { row in
                seen.append((row.int(0) ?? 0, row.text(1) ?? ""))
            }
            for (n, fingerprint) in seen {
                let history = earlier.history(of: fingerprint, asOf: day)
                findings.bind(1, history.firstSeen.description)
                findings.bind(2, Int64(history.runs))
                findings.bind(3, id)
                findings.bind(4, n)
                try findings.step()
            }
            var kept: [(Int64, String, String?)] = []
            try db.eachRow("SELECT n, key, status FROM snapshot WHERE run_id = ? ORDER BY n", id) { row in
                kept.append((row.int(0) ?? 0, row.text(1) ?? "", row.text(2)))
            }
            for (n, key, status) in kept {
                let counts = earlier.counts(forKey: key, status: status)
                records.bind(1, Int64(counts.statusRuns))
                records.bind(2, Int64(counts.runs))
                records.bind(3, id)
                records.bind(4, n)
                try records.step()
            }
        }
    }

    /// The latest `limit` runs of each series, oldest first; only those of one plan (and
    /// collection) when given.
    public func runs(limit: Int = 30, plan: String? = nil, collection: String? = nil) throws -> [RunSummary] {
        guard let pool else { return [] }
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let plan { conditions.append("plan_id = ?"); arguments += [plan] }
        if let collection { conditions.append("collection = ?"); arguments += [collection] }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [limit]
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY plan_id, collection ORDER BY as_of DESC, id DESC) AS latest
                                   FROM run \(filter))
                    WHERE latest <= ? ORDER BY as_of, id
                    """, arguments: arguments).map { row in
                    RunSummary(id: row["id"], asOf: row["as_of"], recordedAt: row["recorded_at"], planFile: row["plan_file"],
                               plan: row["plan_id"], collection: row["collection"],
                               ruleSet: "\(row["ruleset"] as String) v\(row["ruleset_version"] as String)", records: row["records"],
                               counts: [.critical: row["critical"], .error: row["error"], .warning: row["warning"], .info: row["info"]])
                }
            }
        } catch {
            throw HistoryError(path: path, message: "cannot read the history (\(error))")
        }
    }
}

/// Writes a run's findings and records, numbered in order.
private final class RunRows {
    let run: Int64
    let findings: RowWriter, records: RowWriter
    var findingCount: Int64 = 0, recordCount: Int64 = 0

    init(_ db: Database, run: Int64) throws {
        self.run = run
        findings = try RowWriter(db, "INSERT INTO finding (run_id, n, fingerprint, rule, ref, severity, first_seen, runs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        records = try RowWriter(db, "INSERT INTO snapshot (run_id, n, key, status, due, status_runs, runs) VALUES (?, ?, ?, ?, ?, ?, ?)")
    }

    func finding(_ fingerprint: String, rule: String, ref: String, severity: String, _ history: FindingHistory) throws {
        findings.bind(1, run)
        findings.bind(2, findingCount)
        findings.bind(3, fingerprint)
        findings.bind(4, rule)
        findings.bind(5, ref)
        findings.bind(6, severity)
        findings.bind(7, history.firstSeen.description)
        findings.bind(8, Int64(history.runs))
        try findings.step()
        findingCount += 1
    }

    func record(_ key: String, status: String?, due: String?, statusRuns: Int32, runs: Int32) throws {
        records.bind(1, run)
        records.bind(2, recordCount)
        records.bind(3, key)
        records.bind(4, status)
        records.bind(5, due)
        records.bind(6, Int64(statusRuns))
        records.bind(7, Int64(runs))
        try records.step()
        recordCount += 1
    }
}
