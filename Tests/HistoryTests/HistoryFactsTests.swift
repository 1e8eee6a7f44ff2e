import Expressions
import Foundation
import Testing
@testable import History

/// The facts a run reads from earlier ones, worked out from the latest run back with a few
/// numbers per finding and record: checked against what they mean, run by run.
@Suite struct HistoryFactsTests {
    static let days = ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"].map { Day(iso: $0)! }

    /// Facts from runs given oldest first (each a list of fingerprints), fed latest first as the store does.
    func facts(_ runs: [[String]]) -> HistoryFacts {
        var facts = HistoryFacts()
        let last = Int32(runs.count - 1)
        for (position, run) in runs.enumerated().reversed() {
            for fingerprint in run { facts.saw(fingerprint, in: Int32(position), of: last, on: Self.days[position]) }
        }
        return facts
    }

    @Test func streaksCountRunsInARowUpToTheLatest() throws {
        let a = "00000000000000aa", b = "00000000000000bb", c = "00000000000000cc", d = "00000000000000dd", e = "00000000000000ee"
        let f = facts([[a, b, c], [a, c, e], [a, b, b, d, d, e, e]])
        #expect(f.finding(a)?.consecutiveRuns == 3)
        #expect(f.finding(a)?.firstSeen == Self.days[0])
        #expect(f.finding(b)?.consecutiveRuns == 1, "a gap ends the streak; twice in one run counts once")
        #expect(f.finding(b)?.firstSeen == Self.days[0])
        #expect(f.finding(c)?.consecutiveRuns == 0, "not in the latest run")
        #expect(f.finding(c)?.firstSeen == Self.days[0])
        #expect(f.finding(d)?.consecutiveRuns == 1)
        #expect(f.finding(d)?.firstSeen == Self.days[2])
        #expect(f.finding(e)?.consecutiveRuns == 2, "twice in the latest run, once in the one before")
        #expect(f.finding("00000000000000ff") == nil)
    }

    @Test func fingerprintsThatAreNotSixteenHexDigitsAreKeptToo() {
        let f = facts([["waiver:r:1.2"], ["waiver:r:1.2", "ABCDEF0123456789"]])
        #expect(f.finding("waiver:r:1.2")?.consecutiveRuns == 2)
        #expect(f.finding("ABCDEF0123456789")?.consecutiveRuns == 1)
        #expect(f.finding("abcdef0123456789") == nil, "fingerprints are compared as written")
    }

    @Test func aRecordsHistoryIsItsLatestSnapshotAndTheRunsInARowWithItsStatus() throws {
        var f = HistoryFacts()
        // Latest first, as read, in runs 4 to 0: On track (listed twice), On track, At risk, On track.
        let snapshots: [(Int32, String?, String?)] = [(4, "On track", "2025-06-30"), (4, "At risk", nil), (3, "On track", nil),
                                                      (2, "At risk", "2025-05-31"), (1, "On track", "bad")]
        for (run, status, due) in snapshots { f.saw(key: "1.1", status: status, due: due, in: run) }
        // Missing from run 3: a gap ends the run of runs.
        for run: Int32 in [4, 2] { f.saw(key: "1.2", status: nil, due: nil, in: run) }
        guard case .map(let m) = f.facts(forKey: "1.1"), case .map(let none) = f.facts(forKey: "1.2"),
              case .map(let unseen) = f.facts(forKey: "9.9") else { Issue.record("history is a map"); return }
        #expect(Self.text(m[.string("previous_status")]) == "On track")
        #expect(Self.day(m[.string("previous_due")]) == Day(iso: "2025-06-30"))
        #expect(Self.int(m[.string("status_runs")]) == 2, "runs 4 and 3; the At risk of run 2 ends them")
        #expect(Self.int(m[.string("runs")]) == 4, "each run once")
        #expect(Self.isNull(none[.string("previous_status")]) && Self.isNull(none[.string("previous_due")]))
        #expect(Self.int(none[.string("status_runs")]) == 1)
        #expect(Self.int(none[.string("runs")]) == 2)
        #expect(Self.int(unseen[.string("runs")]) == 0)
    }

    static func text(_ v: Value?) -> String? { if case .string(let s)? = v { s } else { nil } }
    static func int(_ v: Value?) -> Int64? { if case .int(let n)? = v { n } else { nil } }
    static func day(_ v: Value?) -> Day? { if case .date(let d)? = v { d } else { nil } }
    static func isNull(_ v: Value?) -> Bool { if case .null? = v { true } else { false } }
}
