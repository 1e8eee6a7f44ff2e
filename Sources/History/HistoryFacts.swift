import Expressions
import PlanData
import Rules

/// What the latest earlier run recorded: per finding fingerprint, since when and for how many
/// runs in a row it had been reported; per record key, its status and due date and the runs
/// behind them (the `history` map rules read). Each run records these counts as they stand
/// after it, so a run needs only the one before it, however long the history.
public struct HistoryFacts: RecordHistory {
    // Day numbers are kept in 32 bits: a national history holds millions of these.
    struct Seen {
        var first: Int32
        var runs: Int32
    }

    /// A record's snapshot in that run: its status and due date (`noDue`: none), the runs in a
    /// row that ended with this status, and the runs in a row that had the record at all.
    struct RecordState {
        var status: String?
        var due: Int32
        var statusRuns: Int32
        var runs: Int32
    }
    private static let noDue = Int32.min

    /// Fingerprints (16 lower-case hex digits, as `Fingerprint` writes them) kept as numbers,
    /// which cost no allocation each; any other text as it is.
    private var byNumber: [UInt64: Seen] = [:]
    private var byText: [String: Seen] = [:]
    private var records: [String: RecordState] = [:]

    public init() {}

    /// A finding's history in this run: carried on when the latest earlier run reported it, else
    /// starting today (one that was not in that run starts again, whatever older runs said).
    public func history(of fingerprint: String, asOf: Day) -> FindingHistory {
        var fingerprint = fingerprint
        let seen = fingerprint.withUTF8 { Self.number($0) }.map { byNumber[$0] } ?? byText[fingerprint]
        return seen.map { FindingHistory(firstSeen: Day(number: Int($0.first)), runs: Int($0.runs) + 1) } ?? FindingHistory(firstSeen: asOf, runs: 1)
    }

    /// 16 lower-case hex digits as a number; nil for anything else.
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

    /// A finding of the earlier run: first seen on `first`, reported `runs` runs in a row up to it.
    mutating func saw(_ fingerprint: UnsafeBufferPointer<UInt8>, first: Day, runs: Int32) {
        let seen = Seen(first: Int32(clamping: first.number), runs: runs)
        if let number = Self.number(fingerprint) { byNumber[number] = seen } else { byText[String(decoding: fingerprint, as: UTF8.self)] = seen }
    }

    mutating func saw(_ fingerprint: String, first: Day, runs: Int32) {
        var fingerprint = fingerprint
        fingerprint.withUTF8 { saw($0, first: first, runs: runs) }
    }

    /// A record of the earlier run (of a key listed twice, the last one stands).
    mutating func saw(key: String, status: String?, due: Day?, statusRuns: Int32, runs: Int32) {
        records[key] = RecordState(status: status, due: due.map { Int32(clamping: $0.number) } ?? Self.noDue, statusRuns: statusRuns, runs: runs)
    }

    /// The counts to record for a record in this run: the runs in a row with this status, and
    /// with the record at all, this run included.
    func counts(forKey key: String, status: String?) -> (statusRuns: Int32, runs: Int32) {
        guard let r = records[key] else { return (1, 1) }
        return (r.status == status ? r.statusRuns + 1 : 1, r.runs + 1)
    }

    public func facts(forKey key: String) -> Value {
        guard let r = records[key] else { return RecordSnapshot.noHistory }
        return RecordSnapshot.history(previousStatus: r.status, previousDue: r.due == Self.noDue ? nil : Day(number: Int(r.due)),
                                      statusRuns: Int64(r.statusRuns), runs: Int64(r.runs))
    }
}

/// What a run records of a finding: its fingerprint and ref (a batch row's are read from its
/// cells, so they are worked out once) and its history in this run.
public struct RunFinding: Sendable {
    public var fingerprint: String
    public var ref: String
    public var history: FindingHistory
}

extension HistoryFacts {
    /// Each finding's identity and history in this run, worked out on every core.
    public func carriedOn(_ findings: [Finding], asOf: Day) -> [RunFinding] {
        findings.concurrentMap { f in
            let fingerprint = f.fingerprint
            return RunFinding(fingerprint: fingerprint, ref: f.ref, history: history(of: fingerprint, asOf: asOf))
        }
    }
}
