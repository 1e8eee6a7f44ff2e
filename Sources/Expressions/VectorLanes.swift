/// Column-at-a-time evaluation: a condition runs over a whole batch of records at once, one
/// tight loop per operator, instead of one closure call per operator per record. Large casework
/// tables (a million cases × 20 rules) spend most of their time here.
///
/// Each row of a lane has a state: `valid`, `null`, or `deferred` — "not decided here". A
/// deferred row is evaluated again by the ordinary per-record evaluator, which gives the exact
/// value or error, so batch evaluation never has to reproduce error messages or rare cases.

/// One int, date (day number) or bool (0/1) per row, with its state.
public final class Lane {
    public static let valid: UInt8 = 0
    public static let null: UInt8 = 1
    public static let deferred: UInt8 = 2

    public let capacity: Int
    public let values: UnsafeMutablePointer<Int64>
    public let states: UnsafeMutablePointer<UInt8>

    public init(capacity: Int) {
        self.capacity = capacity
        values = filled(0, capacity)
        states = filled(Lane.null, capacity)
    }

    deinit {
        values.deallocate()
        states.deallocate()
    }

    /// Every row the same: for constants, worked out once per run.
    func fill(value: Int64, state: UInt8) {
        values.update(repeating: value, count: capacity)
        states.update(repeating: state, count: capacity)
    }
}

/// `count` copies of `value` in memory of their own (the lane's owner deallocates it).
private func filled<T>(_ value: T, _ count: Int) -> UnsafeMutablePointer<T> {
    let memory = UnsafeMutablePointer<T>.allocate(capacity: count)
    memory.initialize(repeating: value, count: count)
    return memory
}

/// One text per row, as a byte range of the batch's buffer, with its state.
public final class TextLane {
    public let capacity: Int
    /// The batch's bytes; valid while the batch is being evaluated.
    public var base: UnsafePointer<UInt8>?
    public let starts: UnsafeMutablePointer<Int32>
    public let lengths: UnsafeMutablePointer<Int32>
    public let states: UnsafeMutablePointer<UInt8>

    public init(capacity: Int) {
        self.capacity = capacity
        starts = filled(0, capacity)
        lengths = filled(0, capacity)
        states = filled(Lane.null, capacity)
    }

    deinit {
        starts.deallocate()
        lengths.deallocate()
        states.deallocate()
    }
}

/// How a batch can hand over a field: as day numbers or as text.
public enum VectorColumn: Sendable, Equatable {
    case date
    case text
}

/// A batch of records laid out by column, as a table reader provides it.
public protocol VectorInput: AnyObject {
    /// Rows in this batch (at most the capacity the programs were compiled for).
    var count: Int { get }
    /// Changes whenever the rows change, so a lane worked out for these rows can be reused.
    var generation: Int { get }
    /// The fields this input can give as columns, by slot; other fields cannot be batch-evaluated.
    var vectorColumns: [Int: VectorColumn] { get }
    /// Day numbers of a date field; `null` where the cell is empty or not a date.
    func dates(slot: Int) -> Lane
    /// A text field; `null` where the cell is empty.
    func text(slot: Int) -> TextLane
}
