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
    /// The `history` map of a record no earlier run saw.
    public static let noHistory: Value = emptyHistory
}

/// The empty `history` map, for records no earlier run saw.
let noHistory: Value = emptyHistory

private let emptyHistory: Value = {
    var m = MapValue()
    m.insert(.string("previous_status"), .null)
    m.insert(.string("previous_due"), .null)
    m.insert(.string("status_runs"), .int(0))
    m.insert(.string("runs"), .int(0))
    return .map(m)
}()
