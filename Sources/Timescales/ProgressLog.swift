import Expressions

/// One dated entry of a progress cell: `Nov23: SL: Workshop held` → (2023-11-30, "SL", "Workshop held").
public struct ProgressEntry: Sendable, Equatable {
    public var date: Day
    public var author: String?
    public var text: String
}

/// Splits a running progress log into dated entries. An entry starts with a date at the start of
/// the cell, a line or a sentence, followed by `:`, `-` or `–` (optionally with the author's
/// initials): `Sep 23: …`, `Nov23-AA: …`, `21/03/24: AB: …`, `Jan24 AW - …`, `18/06/2024 - ED - …`,
/// and the author-first form `ED and H M-N - 19/03/2024 - …`. Dates inside sentences
/// ("workshop to be held on 13/12/23") do not start entries. A month means its last day.
public enum ProgressLog {
    public static func entries(in text: String, calendar: TermCalendar = .uk) -> (entries: [ProgressEntry], unattributed: String?) {
        let tokens = Token.split(text)
        let chars = Array(text)
        struct Start { var token: Int; var textStart: Int; var date: Day; var author: String? }
        var starts: [Start] = []
        var i = 0
        while i < tokens.count {
            // Mid-sentence, only a date followed by initials and a dash or colon starts an entry
            // ("… early in the new year Jan24 AW - CYP MH …").
            guard isBoundary(tokens, i, chars) else {
                if let (day, length) = TimescaleParser.date(tokens, i, calendar), let (a, end) = initials(tokens, i + length) {
                    starts.append(Start(token: i, textStart: offset(tokens, end, chars), date: day, author: a))
                    i = end
                } else if let (day, length) = TimescaleParser.date(tokens, i, calendar), let after = separator(tokens, i + length),
                          let (a, end) = initials(tokens, after) {
                    // "… signed off in LIP EB May 24: AB: meeting with …": a date, a colon and initials.
                    starts.append(Start(token: i, textStart: offset(tokens, end, chars), date: day, author: a))
                    i = end
                } else {
                    i += 1
                }
                continue
            }
            // Author first: "ED and H M-N - 19/03/2024 - …"
            if let (author, dateIndex) = authorFirst(tokens, i), let (day, length) = TimescaleParser.date(tokens, dateIndex, calendar),
               let after = separator(tokens, dateIndex + length) {
                starts.append(Start(token: i, textStart: offset(tokens, after, chars), date: day, author: author))
                i = after
                continue
            }
            if let (day, length) = TimescaleParser.date(tokens, i, calendar) {
                var k = i + length
                while k < tokens.count, tokens[k].text == "." { k += 1 }        // "Nov.23. GF:"
                if let after = separator(tokens, k) {
                    // Optional author initials, then ':' or ' - '.
                    var author: String?
                    var textIndex = after
                    if let (a, end) = initials(tokens, after) {
                        author = a
                        textIndex = end
                    }
                    starts.append(Start(token: i, textStart: offset(tokens, textIndex, chars), date: day, author: author))
                    i = textIndex
                    continue
                }
                if let (a, end) = initials(tokens, k) {      // "Jan24 AW - …", "January 2024 HMN: …"
                    starts.append(Start(token: i, textStart: offset(tokens, end, chars), date: day, author: a))
                    i = end
                    continue
                }
            }
            i += 1
        }
        var entries: [ProgressEntry] = []
        for (n, s) in starts.enumerated() {
            let end = n + 1 < starts.count ? tokens[starts[n + 1].token].start : chars.count
            let body = s.textStart < end ? String(chars[s.textStart..<end]) : ""
            entries.append(ProgressEntry(date: s.date, author: s.author, text: body.trimmingSpace()))
        }
        let before = starts.first.map { String(chars[..<tokens[$0.token].start]) } ?? text
        let lead = before.trimmingSpace()
        return (entries, lead.isEmpty ? nil : lead)
    }

    /// Start of text, start of a line, or after a sentence's end.
    private static func isBoundary(_ tokens: [Token], _ i: Int, _ chars: [Character]) -> Bool {
        guard i > 0 else { return true }
        var p = tokens[i].start - 1
        var sawNewline = false
        while p >= 0, chars[p].isWhitespace {
            if chars[p] == "\n" { sawNewline = true }
            p -= 1
        }
        return p < 0 || sawNewline || [".", "!", "?", ";"].contains(chars[p])
    }

    /// `:` or `-`/`–` right after the date; returns the index after it.
    private static func separator(_ tokens: [Token], _ k: Int) -> Int? {
        guard k < tokens.count else { return nil }
        if [":", "-", "–", "—"].contains(tokens[k].text) {
            var j = k + 1
            while j < tokens.count, [":", "-", "–"].contains(tokens[j].text) { j += 1 }
            return j
        }
        return nil
    }

    /// Author initials such as `SL`, `HMN`, `ED & H M-N` followed by `:` or a dash.
    private static func initials(_ tokens: [Token], _ k: Int) -> (String, Int)? {
        var j = k
        var words: [String] = []
        while j < tokens.count, words.count < 6 {
            let t = tokens[j]
            // A hyphen joins initials only when written without spaces ("H M-N"); " - " is a separator.
            let joinsInitials = t.text == "-" && !words.isEmpty && j + 1 < tokens.count && isInitials(tokens[j + 1].text)
                && tokens[j - 1].start + tokens[j - 1].text.count == t.start && tokens[j + 1].start == t.start + 1
            if t.text == "&" || t.lower == "and" || joinsInitials {
                words.append(t.text)
                j += 1
                continue
            }
            guard isInitials(t.text) else { break }
            words.append(t.text)
            j += 1
        }
        guard !words.isEmpty, isInitials(words.last!), let after = separator(tokens, j) else { return nil }
        var author = ""
        for w in words { author += (author.isEmpty || w == "-" || author.hasSuffix("-") ? "" : " ") + w }
        return (author, after)
    }

    private static func isInitials(_ s: String) -> Bool {
        (1...4).contains(s.count) && s.allSatisfy { $0.isUppercase }
    }

    /// "ED and H M-N - 19/03/2024 - …": initials, a dash, then the date.
    private static func authorFirst(_ tokens: [Token], _ i: Int) -> (String, Int)? {
        guard TimescaleParser.date(tokens, i, .uk) == nil, let (author, after) = initials(tokens, i),
              after > 0, ["-", "–"].contains(tokens[after - 1].text) else { return nil }
        return (author, after)
    }

    private static func offset(_ tokens: [Token], _ k: Int, _ chars: [Character]) -> Int {
        k < tokens.count ? tokens[k].start : chars.count
    }
}
