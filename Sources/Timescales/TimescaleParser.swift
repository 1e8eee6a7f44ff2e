import Foundation
import Expressions

/// Reads the timescales real plans write: `Sep-23`, `Sept 2026`, `July'26`, `By March 2024`,
/// `Autumn term 2025`, `Q3 2024/25`, `May-24 Revised date: June 24`, `July-25 (timescale revised)`,
/// `Oct 25 – Dec 26`, `May 2022- repeated 3 monthly`, `Ongoing from Sept-26`, `TBC`. A month means its last day.
public struct TimescaleParser: Sendable {
    public var calendar: TermCalendar

    public init(calendar: TermCalendar = .uk) {
        self.calendar = calendar
    }

    public func parse(_ text: String) -> Timescale {
        let trimmed = text.trimmingSpace()
        var result = Timescale(text: text, kind: .unparsed)
        if trimmed.isEmpty {
            result.kind = .blank
            return result
        }
        if Self.isToBeConfirmed(trimmed.lowercased()) {
            result.kind = .toBeConfirmed
            return result
        }
        let tokens = Token.split(trimmed)
        let rest = { (i: Int) in Token.rest(of: trimmed, from: tokens, i) }
        var i = 0
        var inRevision = false
        var dates: [Day] = []          // stated before any revision marker
        var leftover: [String] = []
        scanning: while i < tokens.count {
            let t = tokens[i]
            if let length = revisionMarker(tokens, i) {
                inRevision = true
                i += length
                continue
            }
            if t.text == "(" {
                let close = tokens[i...].firstIndex { $0.text == ")" } ?? tokens.count
                let inner = tokens[(i + 1)..<close].map { $0.lower }
                if inner.contains("revised") && inner.contains("timescale"), !inRevision, let last = dates.popLast() {
                    result.revisions.append(last)        // "July-25 (timescale revised)": that date is a revision
                } else {
                    let end = close < tokens.count ? tokens[close].start + 1 : trimmed.count
                    leftover.append(String(Array(trimmed)[tokens[i].start..<end]))
                }
                i = close + 1
                continue
            }
            if let (day, length) = Self.date(tokens, i, calendar) {
                if inRevision { result.revisions.append(day) } else { dates.append(day) }
                i += length
                continue
            }
            if Self.recurrenceWords.contains(t.lower) {
                result.recurrence = rest(i).trimmingCharacters(in: .init(charactersIn: " .,;-–"))
                // "Ongoing from Sept-26": the recurrence comes first and the date it starts from after it.
                if dates.isEmpty && result.revisions.isEmpty {
                    if let start = (i + 1..<tokens.count).lazy.compactMap({ Self.date(tokens, $0, calendar) }).first {
                        dates.append(start.0)
                    }
                }
                break scanning
            }
            if t.lower == "reviewed" || t.lower == "review" || t.lower == "see" {
                leftover.append(rest(i))
                break scanning
            }
            // A dash followed by words (not a date) starts a note: "Sept 24 – contract register completed June 24".
            if (t.text == "-" || t.text == "–" || t.text == "—"), (!dates.isEmpty || !result.revisions.isEmpty),
               i + 1 < tokens.count, Self.date(tokens, i + 1, calendar) == nil, revisionMarker(tokens, i + 1) == nil,
               !Self.recurrenceWords.contains(tokens[i + 1].lower) {
                leftover.append(rest(i + 1))
                break scanning
            }
            if !Self.filler.contains(t.lower) && !t.isPunctuation {
                leftover.append(t.text)
            }
            i += 1
        }
        // A range ("June 2022 to June 2023", "Oct 25 – Dec 26") is due at its end: that is what
        // was first planned, so a range alone is never a slip.
        let planned = dates.max()
        result.original = planned
        result.effective = result.revisions.last ?? planned
        if result.effective != nil { result.kind = .dated }
        let unread = leftover.joined(separator: " ").trimmingSpace()
        result.remainder = unread.isEmpty ? nil : unread
        return result
    }

    // MARK: vocabulary

    static let recurrenceWords: Set<String> = [
        "repeated", "repeating", "recurring", "ongoing", "updated", "then", "monthly", "quarterly",
        "annually", "annual", "termly", "weekly", "fortnightly", "yearly",
    ]
    static let filler: Set<String> = ["by", "and", "to", "from", "until", "end", "of", "the", "in", "date", "due", "approx", "approximately", "before"]

    static func isToBeConfirmed(_ s: String) -> Bool {
        let words = s.filter { $0.isLetter || $0 == " " }.split(separator: " ").joined(separator: " ")
        return ["tbc", "tba", "tbd", "to be confirmed", "to be determined", "to be agreed", "not known", "n/a", "na"].contains(words)
            || s == "n/a" || s == "-" || s == "?"
    }

    /// "Revised date:", "Revised Date:", "Revised:", "New timescale:", "New date:", "Revision:".
    private func revisionMarker(_ tokens: [Token], _ i: Int) -> Int? {
        let w = tokens[i].lower
        var n = 0
        if w == "revised" || w == "revision" || w == "extended" {
            n = 1
            if i + 1 < tokens.count, ["date", "timescale", "deadline", "to"].contains(tokens[i + 1].lower) { n = 2 }
        } else if w == "new", i + 1 < tokens.count, ["timescale", "date", "deadline"].contains(tokens[i + 1].lower) {
            n = 2
        } else {
            return nil
        }
        if i + n < tokens.count, tokens[i + n].text == ":" { n += 1 }
        return n
    }

    static let months: [String: Int] = [
        "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
        "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
        "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
    ]

    /// A date starting at token `i`, with the number of tokens it spans.
    static func date(_ tokens: [Token], _ i: Int, _ calendar: TermCalendar) -> (Day, Int)? {
        func year(_ k: Int) -> Int? {
            guard k < tokens.count, let v = Int(tokens[k].text), tokens[k].isNumber else { return nil }
            switch tokens[k].text.count {
            case 2: return 2000 + v
            case 4 where (1990...2099).contains(v): return v
            default: return nil
            }
        }
        /// Index after optional separators between a month and its year: `Sep-23`, `July'26`, `Nov.23`, `March, 2024`.
        func afterSeparator(_ k: Int) -> Int {
            var k = k
            while k < tokens.count, ["-", "'", "’", ".", ","].contains(tokens[k].text), k - i < 3 { k += 1 }
            return k
        }
        let t = tokens[i]
        // dd/mm/yyyy, dd/mm/yy, dd.mm.yy, yyyy-mm-dd
        if t.isNumber, let d = numericDate(t.text) { return (d, 1) }
        // 31 March 2024, 1st May 2024
        if t.isNumber, let dom = Int(t.text.prefix { $0.isNumber }), (1...31).contains(dom), i + 1 < tokens.count,
           let m = months[tokens[i + 1].lower] {
            let k = afterSeparator(i + 2)
            if let y = year(k), let d = Day(year: y, month: m, day: dom) { return (d, k - i + 1) }
        }
        // Sep-23, September 2022
        if let m = months[t.lower] {
            let k = afterSeparator(i + 1)
            if let y = year(k) { return (Day(year: y, month: m, day: Day.daysIn(month: m, year: y))!, k - i + 1) }
            return nil
        }
        // Autumn term 2025, summer 2023
        if ["autumn", "spring", "summer", "winter", "fall"].contains(t.lower) {
            var k = i + 1
            if k < tokens.count, tokens[k].lower == "term" { k += 1 }
            let isTerm = k == i + 2
            guard let y = year(k) else { return nil }
            let end: (Int, Int)
            switch (t.lower, isTerm) {
            case ("autumn", true), ("fall", true): end = calendar.autumnEnd
            case ("spring", true): end = calendar.springEnd
            case ("summer", true): end = calendar.summerEnd
            case ("spring", false): end = (5, 31)
            case ("summer", false): end = (8, 31)
            case ("autumn", false), ("fall", false): end = (11, 30)
            default: end = (2, Day.daysIn(month: 2, year: y + 1))     // winter runs into the next year
            }
            let endYear = t.lower == "winter" ? y + 1 : y
            return Day(year: endYear, month: end.0, day: end.1).map { ($0, k - i + 1) }
        }
        // Q3 2024/25 (financial year), Q3 2024 (calendar year)
        if t.lower == "q", i + 2 < tokens.count, tokens[i + 1].isNumber, let q = Int(tokens[i + 1].text), (1...4).contains(q),
           tokens[i + 2].isNumber {
            let parts = tokens[i + 2].text.split(separator: "/")
            guard let start = Int(parts[0]), parts[0].count == 4 else { return nil }
            if parts.count == 2 {
                let firstMonth = calendar.financialYearStartMonth + (q - 1) * 3
                let month = (firstMonth + 2 - 1) % 12 + 1
                let y = start + (firstMonth + 2 > 12 ? 1 : 0)
                return (Day(year: y, month: month, day: Day.daysIn(month: month, year: y))!, 3)
            }
            let month = q * 3
            return (Day(year: start, month: month, day: Day.daysIn(month: month, year: start))!, 3)
        }
        // 2024/25 on its own: the financial year's end
        if t.isNumber, t.text.count == 7, t.text.dropFirst(4).first == "/", let start = Int(t.text.prefix(4)) {
            let endMonth = (calendar.financialYearStartMonth + 10) % 12 + 1
            let y = endMonth < calendar.financialYearStartMonth ? start + 1 : start
            return Day(year: y, month: endMonth, day: Day.daysIn(month: endMonth, year: y)).map { ($0, 1) }
        }
        // A year on its own: its last day.
        if t.isNumber, t.text.count == 4, let y = Int(t.text), (2000...2099).contains(y) {
            return (Day(year: y, month: 12, day: 31)!, 1)
        }
        return nil
    }

    /// `18/06/2024`, `21/03/24`, `8.12.23`, `2024-05-31` (UK day-first order).
    static func numericDate(_ s: String) -> Day? {
        if let d = Day(iso: s) { return d }
        let parts = s.split(whereSeparator: { $0 == "/" || $0 == "." })
        guard parts.count == 3, let d = Int(parts[0]), let m = Int(parts[1]), var y = Int(parts[2]),
              parts[0].count <= 2, parts[1].count <= 2, parts[2].count == 2 || parts[2].count == 4 else { return nil }
        if parts[2].count == 2 { y += 2000 }
        return Day(year: y, month: m, day: d)
    }
}

/// A word, a number (digits with `/`, `.` or `-` inside, as in dates) or one punctuation mark.
struct Token: Sendable {
    var text: String
    var lower: String
    var isNumber: Bool
    var isPunctuation: Bool
    /// Character offset of the token in the text it came from.
    var start: Int

    static func split(_ s: String) -> [Token] {
        var out: [Token] = []
        var current = ""
        var kind = 0      // 0 none, 1 letters, 2 digits
        var start = 0
        func flush() {
            if !current.isEmpty {
                out.append(Token(text: current, lower: current.lowercased(), isNumber: kind == 2, isPunctuation: false, start: start))
            }
            current = ""
            kind = 0
        }
        let chars = Array(s)
        for (n, c) in chars.enumerated() {
            if c.isLetter {
                if kind == 2 { flush() }
                if kind == 0 { start = n }
                kind = 1
                current.append(c)
            } else if c.isNumber {
                if kind == 1 { flush() }
                if kind == 0 { start = n }
                kind = 2
                current.append(c)
            } else if kind == 2, c == "/" || c == "." || c == "-", n + 1 < chars.count, chars[n + 1].isNumber,
                      current.count <= 7, current.filter({ !$0.isNumber }).count < 2 {
                current.append(c)     // inside a numeric date such as 18/06/2024 or 2024/25
            } else {
                flush()
                if !c.isWhitespace {
                    out.append(Token(text: String(c), lower: String(c), isNumber: false, isPunctuation: true, start: n))
                }
            }
        }
        flush()
        return out
    }

    /// The original text from token `i` to the end.
    static func rest(of text: String, from tokens: [Token], _ i: Int) -> String {
        String(Array(text)[tokens[i].start...]).trimmingSpace()
    }

}

extension String {
    func trimmingSpace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}

/// Finds the dates mentioned in prose ("Target 50% reduction by Sep 2024", "by end of Dec 2023").
/// A bare year is not taken for a date here: in prose it is more often a count or a label.
public enum DateScanner {
    public static func dates(in text: String, calendar: TermCalendar = .uk) -> [Day] {
        let tokens = Token.split(text)
        var out: [Day] = []
        var i = 0
        while i < tokens.count {
            if let (day, length) = TimescaleParser.date(tokens, i, calendar),
               !(length == 1 && tokens[i].isNumber && !tokens[i].text.contains(where: { !$0.isNumber })) {
                out.append(day)
                i += length
            } else {
                i += 1
            }
        }
        return out
    }
}
