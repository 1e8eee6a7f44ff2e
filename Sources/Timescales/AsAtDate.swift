import Foundation
import Expressions

/// The date a plan's ratings and progress were written down, as plans state it in a title row,
/// a heading, a column heading or a sheet name: "RAG ratings accurate as at 1 March 2024",
/// "Position at: Jan-24", "Updated 31/03/2024". A rating is only as fresh as that date, so an
/// action rated "On track" whose due date passed after it is a stale rating, not a contradiction.
public enum AsAtDate {
    /// The words that introduce the date. "as of" and "as at" alone are enough; "updated" needs
    /// a date straight after it, which `date(in:)` checks for every phrase.
    private static let phrase = try! NSRegularExpression(
        pattern: #"\b(?:as\s+(?:at|of)|position\s+at|correct\s+at|accurate\s+at|(?:last\s+)?updated(?:\s+on)?)\b"#,
        options: [.caseInsensitive])

    /// Text longer than this is prose, not a dated title or heading.
    static let longest = 200

    /// The date `text` says it is as at, when a phrase is followed (within a few words) by a date.
    public static func date(in text: String, calendar: TermCalendar = .uk) -> Day? {
        guard text.utf8.count <= longest else { return nil }
        let whole = NSRange(text.startIndex..., in: text)
        for match in phrase.matches(in: text, range: whole) {
            guard let end = Range(match.range, in: text)?.upperBound else { continue }
            // The date must start right after the phrase: "as at: 1 March 2024", "as at end of March".
            let rest = text[end...].drop { $0 == ":" || $0 == "-" || $0 == "–" || $0.isWhitespace }
            let lead = rest.prefix(40)
            guard let first = lead.first, first.isNumber || first.isLetter else { continue }
            let words = lead.split(whereSeparator: \.isWhitespace)
            let opening = words.prefix(4).joined(separator: " ")
            if let day = DateScanner.dates(in: opening, calendar: calendar).first { return day }
        }
        return nil
    }
}
