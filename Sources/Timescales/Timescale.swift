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

    /// Months between occurrences of a recurrence ("repeated 3 monthly" 3, "quarterly" 3,
    /// "then annual programme" 12, "termly" 4); nil when it names no period ("ongoing").
    public static func recurrenceMonths(_ text: String) -> Int? {
        let words = text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        let number = ["one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twelve": 12]
        if let t = words.firstIndex(of: "times"), t > 0, let n = Int(words[t - 1]) ?? number[words[t - 1]], n > 0,
           words[t...].contains(where: { $0 == "year" || $0 == "annually" }) {
            return max(1, 12 / n)        // "three times a year"
        }
        for (i, w) in words.enumerated() {
            switch w {
            case "monthly", "month", "months":
                guard i > 0 else { return 1 }
                return Int(words[i - 1]) ?? number[words[i - 1]] ?? (words[i - 1] == "bi" ? 2 : 1)
            case "quarterly", "quarter", "quarters": return 3
            case "termly", "term", "terms": return 4
            case "annual", "annually", "yearly", "year", "years", "annum": return words.contains("twice") ? 6 : 12
            case "biannual", "biannually": return 6
            case "weekly", "fortnightly", "week", "weeks": return 1
            default: continue
            }
        }
        return nil
    }
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
