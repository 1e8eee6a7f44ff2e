import Expressions
import Foundation
import GRDB
import Testing
import Rules
@testable import History

/// The facts a run reads from the run before it, and the counts it records for the next:
/// checked against what they mean, run by run.
@Suite struct HistoryFactsTests {
    static let days = ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"].map { Day(iso: $0)! }

    /// Runs given oldest first (each a list of fingerprints), each recording what it carried on
    /// from the one before, as `HistoryStore.record` does; the facts the run after the last reads.
    func facts(_ runs: [[String]]) -> HistoryFacts {
        var earlier = HistoryFacts()
        for (position, run) in runs.enumerated() {
            var next = HistoryFacts()
            for fingerprint in run {
                let h = earlier.history(of: fingerprint, asOf: Self.days[position])
                next.saw(fingerprint, first: h.firstSeen, runs: Int32(h.runs))
            }
            earlier = next
        }
        return earlier
    }

    @Test func findingsCarryOnTheirRunsInARowAndStartAgainAfterAGap() throws {
        let a = "00000000000000aa", b = "00000000000000bb", c = "00000000000000cc", d = "00000000000000dd", e = "00000000000000ee"
        let f = facts([[a, b, c], [a, c, e], [a, b, b, d, d, e, e]])
        let today = Self.days[3]
        #expect(f.history(of: a, asOf: today) == FindingHistory(firstSeen: Self.days[0], runs: 4))
        #expect(f.history(of: b, asOf: today) == FindingHistory(firstSeen: Self.days[2], runs: 2),
                "a gap starts it again; twice in one run counts once")
        #expect(f.history(of: c, asOf: today) == FindingHistory(firstSeen: today, runs: 1), "not in the latest run")
        #expect(f.history(of: d, asOf: today) == FindingHistory(firstSeen: Self.days[2], runs: 2))
        #expect(f.history(of: e, asOf: today) == FindingHistory(firstSeen: Self.days[1], runs: 3))
        #expect(f.history(of: "00000000000000ff", asOf: today) == FindingHistory(firstSeen: today, runs: 1))
    }

    @Test func fingerprintsThatAreNotSixteenHexDigitsAreKeptToo() {
        let f = facts([["waiver:r:1.2"], ["waiver:r:1.2", "ABCDEF0123456789"]])
        #expect(f.history(of: "waiver:r:1.2", asOf: Self.days[2]).runs == 3)
        #expect(f.history(of: "ABCDEF0123456789", asOf: Self.days[2]).runs == 2)
        #expect(f.history(of: "abcdef0123456789", asOf: Self.days[2]).runs == 1, "fingerprints are compared as written")
    }

    @Test func aRecordCarriesOnItsStatusRunsAndRuns() throws {
        // On track, On track, At risk, At risk, then On track: recorded run by run.
        var earlier = HistoryFacts()
        var recorded: [(statusRuns: Int32, runs: Int32)] = []
        for (status, due) in [("On track", "2025-05-31"), ("On track", nil), ("At risk", nil), ("At risk", "2025-06-30"), ("On track", nil)] {
            let counts = earlier.counts(forKey: "1.1", status: status)
            recorded.append(counts)
            earlier = HistoryFacts()
            earlier.saw(key: "1.1", status: status, due: due.flatMap { Day(iso: $0) }, statusRuns: counts.statusRuns, runs: counts.runs)
        }
        #expect(recorded.map(\.statusRuns) == [1, 2, 1, 2, 1])
        #expect(recorded.map(\.runs) == [1, 2, 3, 4, 5])
        #expect(earlier.counts(forKey: "1.1", status: "On track") == (2, 6))
        #expect(earlier.counts(forKey: "1.1", status: nil) == (1, 6), "a blank status is a change too")
        #expect(earlier.counts(forKey: "9.9", status: "On track") == (1, 1))

        var f = HistoryFacts()
        f.saw(key: "1.1", status: "At risk", due: Day(iso: "2025-06-30"), statusRuns: 2, runs: 4)
        f.saw(key: "1.1", status: "On track", due: Day(iso: "2025-07-31"), statusRuns: 3, runs: 5)   // listed twice: the last stands
        f.saw(key: "1.2", status: nil, due: nil, statusRuns: 1, runs: 2)
        guard case .map(let m) = f.facts(forKey: "1.1"), case .map(let none) = f.facts(forKey: "1.2"),
              case .map(let unseen) = f.facts(forKey: "9.9") else { Issue.record("history is a map"); return }
        #expect(Self.text(m[.string("previous_status")]) == "On track")
        #expect(Self.day(m[.string("previous_due")]) == Day(iso: "2025-07-31"))
        #expect(Self.int(m[.string("status_runs")]) == 3)
        #expect(Self.int(m[.string("runs")]) == 5)
        #expect(Self.isNull(none[.string("previous_status")]) && Self.isNull(none[.string("previous_due")]))
        #expect(Self.int(none[.string("runs")]) == 2)
        #expect(Self.int(unseen[.string("runs")]) == 0)
        #expect(Self.isNull(unseen[.string("previous_status")]))
    }

    /// A version 2 database (every run's rows, no counts) is brought over run by run, each given
    /// the counts it would have recorded, and keeps its runs' order and collections apart.
    @Test func aVersionTwoDatabaseIsGivenTheCountsEachRunWouldHaveRecorded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("v2-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pool = try DatabasePool(path: path)
        try HistoryStore.migrator.migrate(pool, upTo: "v2")
        // Plan runs as of the four days (the third recorded first), and a casework run between them.
        let a = "00000000000000aa", b = "00000000000000bb"
        let runs: [(id: Int, day: Int, collection: String, findings: [String], records: [(String, String?, String?)])] = [
            (1, 0, "actions", [a, b], [("1.1", "On track", "2025-05-31"), ("1.2", nil, nil)]),
            (2, 2, "actions", [a, b], [("1.1", "On track", "2025-06-30"), ("1.2", "At risk", nil)]),
            (3, 1, "actions", [a], [("1.1", "On track", "2025-05-31")]),
            (4, 1, "cases", [a], [("1.1", "Draft", nil)]),
            (5, 3, "actions", [a, b], [("1.1", "On track", "2025-07-31"), ("1.2", "At risk", nil)]),
        ]
        try pool.write { db in
            for run in runs {
                try db.execute(sql: """
                    INSERT INTO run (id, as_of, recorded_at, plan_file, plan_hash, ruleset, ruleset_version, rules_hash, collection,
                                     records, critical, error, warning, info)
                    VALUES (?, ?, '', 'plan.csv', ?, 'r', '1', 'h', ?, 0, 0, 0, 0, 0)
                    """, arguments: [run.id, Self.days[run.day].description, "\(run.id)", run.collection])
                for f in run.findings {
                    try db.execute(sql: "INSERT INTO finding (run_id, fingerprint, rule, ref, severity) VALUES (?, ?, 'rule', 'ref', 'error')",
                                   arguments: [run.id, f])
                }
                for (key, status, due) in run.records {
                    try db.execute(sql: "INSERT INTO snapshot (run_id, key, status, due) VALUES (?, ?, ?, ?)", arguments: [run.id, key, status, due])
                }
            }
        }
        try pool.close()
        var heard: [Int] = []
        let store = try HistoryStore.open(path: path) { heard.append($0) }
        #expect(heard == [5], "told before a database with runs is brought up to date")
        _ = try HistoryStore.open(path: path) { heard.append($0) }
        #expect(heard == [5], "and only once")
        let after = Day(iso: "2025-05-31")!
        let plan = try store.facts(collection: "actions", plan: "plan.csv", before: after)
        #expect(plan.history(of: a, asOf: after) == FindingHistory(firstSeen: Self.days[0], runs: 5))
        #expect(plan.history(of: b, asOf: after) == FindingHistory(firstSeen: Self.days[2], runs: 3), "missing from the second run")
        #expect(plan.counts(forKey: "1.1", status: "On track") == (5, 5))
        #expect(plan.counts(forKey: "1.2", status: "At risk") == (3, 3), "missing from the second run")
        let cases = try store.facts(collection: "cases", plan: "plan.csv", before: after)
        #expect(cases.history(of: a, asOf: after).runs == 2, "collections keep their own history")
        // As of an earlier date, the latest run before it.
        let earlier = try store.facts(collection: "actions", plan: "plan.csv", before: Self.days[2])
        #expect(earlier.history(of: a, asOf: Self.days[2]).runs == 3)
        #expect(try store.runs().map(\.id) == [1, 3, 4, 2, 5], "every run is kept, in date order")
    }

    static func text(_ v: Value?) -> String? { if case .string(let s)? = v { s } else { nil } }
    static func int(_ v: Value?) -> Int64? { if case .int(let n)? = v { n } else { nil } }
    static func day(_ v: Value?) -> Day? { if case .date(let d)? = v { d } else { nil } }
    static func isNull(_ v: Value?) -> Bool { if case .null? = v { true } else { false } }
}
