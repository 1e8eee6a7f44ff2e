import Expressions

/// What a free-text timescale says: the original due date, every revision, the effective
/// (latest) due date and any recurrence, with the text it came from. Nothing is dropped
/// silently: text that gave no date keeps `parsed == false`, and words that were not understood
/// are kept in `remainder`.
public struct Timescale: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// No text at all.
        case blank
        /// "TBC", "To be determined" and the like: explicitly no date yet.
        case toBeConfirmed = "tbc"
        /// At least one date was read.
        case dated
        /// Text, but no date could be read from it.
        case unparsed
    }

    public var text: String
    public var kind: Kind
    public var original: Day?
    public var revisions: [Day] = []
    /// The latest due date: the last revision, else the end of the stated period.
    public var effective: Day?
    /// Repetition or continuation ("repeated 3 monthly", "ongoing"), as written.
    public var recurrence: String?
    /// Words that were not part of a date, a revision marker or a recurrence.
    public var remainder: String?

    public var parsed: Bool { kind != .unparsed }
}

/// The calendars that give terms and quarters their last days. UK defaults: the academic year's
/// terms end on 31 December (autumn), 31 March (spring) and 31 July (summer); the financial year
/// runs April to March.
public struct TermCalendar: Sendable {
    public var autumnEnd = (month: 12, day: 31)
    public var springEnd = (month: 3, day: 31)
    public var summerEnd = (month: 7, day: 31)
    public var financialYearStartMonth = 4

    public init() {}

    public static let uk = TermCalendar()
}
