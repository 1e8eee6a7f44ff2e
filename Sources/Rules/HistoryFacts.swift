import Expressions
import PlanData

/// Facts from earlier runs about a record, for rules that read the `history` global:
/// `history.previous_status`, `history.previous_due`, `history.status_runs`, `history.runs`.
public protocol RecordHistory: Sendable {
    func facts(forKey key: String) -> Value
}

/// A record as a run leaves it, so the next run can see what changed.
public struct RecordSnapshot: Sendable {
    public var key: String
    public var status: String?
    public var due: Day?
}

/// How long a finding has been reported, shown with it.
public struct FindingHistory: Sendable, Equatable {
    public var firstSeen: Day
    /// Runs in a row, this one included.
    public var runs: Int

    public init(firstSeen: Day, runs: Int) {
        self.firstSeen = firstSeen
        self.runs = runs
    }
}

extension RecordSnapshot {
    /// The facts of the `history` map, in its order.
    public static let historyFacts = ["previous_status", "previous_due", "status_runs", "runs"]

    /// The `history` map rules read: a record's status and due date in the latest earlier run,
    /// the runs in a row with that status, and the runs in a row with the record.
    public static func history(previousStatus: String?, previousDue: Day?, statusRuns: Int64, runs: Int64) -> Value {
        var m = MapValue()
        m.insert(.string("previous_status"), previousStatus.map(Value.string) ?? .null)
        m.insert(.string("previous_due"), previousDue.map(Value.date) ?? .null)
        m.insert(.string("status_runs"), .int(statusRuns))
        m.insert(.string("runs"), .int(runs))
        return .map(m)
    }

    /// The `history` map of a record no earlier run saw.
    public static let noHistory = history(previousStatus: nil, previousDue: nil, statusRuns: 0, runs: 0)
}

/// The empty `history` map, for records no earlier run saw.
let noHistory: Value = RecordSnapshot.noHistory
