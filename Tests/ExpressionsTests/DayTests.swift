import Testing
@testable import Expressions

/// `Day`'s fast paths (word-at-a-time parsing, Neri–Schneider's conversion, digits two at a
/// time) against the plain algorithms they replace.
@Suite struct DayTests {
    /// Every day the fast conversion is used for, within the centuries plans use, and every
    /// 97th day across the rest of its range, as Hinnant's civil_from_days gives them.
    @Test func fastCivilMatchesHinnantsAlgorithm() {
        let near = Day.daysFromCivil(1800, 1, 1)...Day.daysFromCivil(2300, 12, 31)
        for n in Array(near) + Array(stride(from: Day.fastRange.lowerBound, through: Day.fastRange.upperBound, by: 97)) {
            let (y, m, d) = Day.civilFromDays(n)
            let fast = Day.fastCivil(n)
            guard fast == (y, m, d) else {
                Issue.record("day \(n): \(fast), expected \((y, m, d))")
                return
            }
        }
        #expect(Day.fastCivil(Day.fastRange.lowerBound) == (1, 1, 1))
        #expect(Day.fastCivil(Day.fastRange.upperBound) == (9999, 12, 31))
        #expect(Day(number: Day.fastRange.upperBound + 1).description == "10000-01-01")
        #expect(Day(number: Day.fastRange.lowerBound - 1).description == "0000-12-31")
    }

    /// Text written for a day parses back to it, in and beyond the month table's years.
    @Test func isoTextRoundTrips() {
        for n in stride(from: Day.daysFromCivil(1, 1, 1), through: Day.daysFromCivil(9999, 12, 31), by: 13) {
            let day = Day(number: n)
            var text = day.description
            let parsed = text.withUTF8 { Day(isoBytes: $0) }
            guard parsed == day else {
                Issue.record("\(text) parsed as \(String(describing: parsed))")
                return
            }
        }
    }

    /// The word-at-a-time check accepts exactly what the byte-by-byte rule does: ten bytes,
    /// digits but for dashes at 4 and 7, and a real day. Every byte of a valid date is replaced,
    /// in turn, by each byte value.
    @Test func parsingRejectsWhatIsNotADate() {
        for text in ["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-1-01", "2024-01-011",
                     "2024/01/01", "20240101", "", "2024-01-0a", ":024-01-01", "/024-01-01", "2024-01-01 "] {
            var t = text
            #expect(t.withUTF8 { Day(isoBytes: $0) } == nil, "\(text)")
        }
        let valid = Array("2024-02-29".utf8)
        for i in valid.indices {
            for b in UInt8.min...UInt8.max {
                var bytes = valid
                bytes[i] = b
                let parsed = bytes.withUnsafeBufferPointer { Day(isoBytes: $0) }
                let digit = (48...57).contains(b), dash = i == 4 || i == 7
                // The reference: the byte rule, then a real day of the calendar.
                var expected: Day?
                if dash ? b == UInt8(ascii: "-") : digit {
                    let n = { (r: Range<Int>) in r.reduce(0) { $0 * 10 + Int(bytes[$1] - 48) } }
                    expected = Day(year: n(0..<4), month: n(5..<7), day: n(8..<10))
                }
                guard parsed == expected else {
                    Issue.record("byte \(i) = \(b): \(String(describing: parsed)), expected \(String(describing: expected))")
                    return
                }
            }
        }
    }
}
