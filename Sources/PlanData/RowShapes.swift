import Foundation

/// What a row of a document export looks like on its own, before the table it sits in is
/// considered: the shapes of rows that belong to no action (dash runs, page numbers, labels beside
/// a value, notes, headings) and of action text that only points at other actions.
enum RowShape {
    /// `---`, `------`, `:---:`: a Markdown table's separator row, cell by cell.
    static func isSeparator(_ filled: [String]) -> Bool {
        !filled.isEmpty
            && filled.allSatisfy { cell in
                let core = cell.trimmingCharacters(in: CharacterSet(charactersIn: ": "))
                return core.count >= 3 && core.allSatisfy { $0 == "-" || $0 == "–" || $0 == "—" || $0 == "=" }
            }
    }

    /// A lone page number as a PDF conversion leaves it (`11`, or doubled: `414141`).
    static func isPageNumber(_ text: String) -> Bool {
        text.count <= 8 && text.allSatisfy(\.isNumber)
    }

    /// A label such as "How we will know:" or "What does good look like for …:": short text
    /// ending with a colon, or a few words with no digit (never a ref, which has a number).
    static func isLabel(_ text: String) -> Bool {
        guard !text.isEmpty, !text.contains("\n") else { return false }
        if text.hasSuffix(":") { return text.count <= 160 }
        let words = text.split(separator: " ")
        return words.count <= 8 && text.count <= 60 && !text.contains(where: \.isNumber) && !text.hasSuffix(".")
    }

    /// Prose rather than a heading: long, several lines, or ending a sentence.
    static func isProse(_ text: String) -> Bool {
        text.count > 100 || text.contains("\n") || text.split(separator: " ").count > 14
            || (text.hasSuffix(".") && text.split(separator: " ").count > 3)
    }

    /// "Note: …", "NB …", "Please note …".
    static func isNote(_ text: String) -> Bool {
        text.range(of: #"^(note|notes|nb|n\.b\.|please note)\b"#, options: [.regularExpression, .caseInsensitive])
            != nil
    }

    /// A legend line: a status word or two, a colon and its meaning ("On track: The action has
    /// started, …", "**Complete:** …").
    static func isLegendLine(_ text: String) -> Bool {
        text.range(of: #"^\**[A-Za-z][A-Za-z /-]{1,30}:\**\s+\S.{10,}$"#, options: .regularExpression) != nil
            && (text.firstIndex(of: ":").map { text[..<$0].split(separator: " ").count <= 4 } ?? false)
    }

    /// A heading between tables: one short cell that is not prose, a number or a label.
    static func isHeading(_ text: String) -> Bool {
        !isProse(text) && !isPageNumber(text) && !text.hasSuffix(":") && text.contains(where: \.isLetter)
    }

    /// A numbered heading such as an outcome's title ("1.3 Improved culture of co-productivity …"):
    /// a number, then a sentence on one line.
    static func isNumberedHeading(_ text: String) -> Bool {
        text.count <= 400 && !text.contains("\n")
            && text.range(of: #"^\d+(\.\d+)*\.?\s+\p{Lu}"#, options: .regularExpression) != nil
    }

    // MARK: cross-references

    private static let pointer = try! NSRegularExpression(
        pattern:
            #"^\(?\s*(?:see(?:\s+also)?|refer\s+to|please\s+refer\s+to|cross[- ]?refer(?:ence)?(?:d)?\s*(?:to|with)?"#
                + #"|as\s+per|covered\s+(?:by|in|under)|link(?:ed)?\s+to|duplicate\s+of|same\s+as)\b[\s:]*"#,
        options: [.caseInsensitive])
    /// One referenced thing: a numbered ref (`2.4.1`, `PAP 1.2`, `3.1a`) or a numbered part of the
    /// plan (`priority 3`, `action 7.3.1`, `outcome 1.2`), optionally in a range (`3.2-3.5`).
    private static let target = try! NSRegularExpression(
        pattern:
            #"^(?:(?:strategic\s+)?(?:priority|priorities|action|actions|outcome|outcomes|section|workstream"#
                + #"|objective|ref|pap)\s*:?\s*)?[A-Z]{0,4}\s?\d+(?:[.:]\d+)*[a-z]?"#
                + #"(?:\s*[-–]\s*\d+(?:[.:]\d+)*[a-z]?)?"#,
        options: [.caseInsensitive])

    /// The refs an action only points at ("See 2.4.1 and 2.4.2", "see also priority 3"), or nil
    /// when the text says something of its own. Every word after the pointer must be a ref, a
    /// numbered part of the plan or a joining word.
    static func crossReferences(_ text: String) -> [String]? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.count <= 120, let m = pointer.firstMatch(in: t, range: NSRange(t.startIndex..., in: t)),
            let end = Range(m.range, in: t)?.upperBound
        else { return nil }
        var rest = Substring(t[end...])
        var refs: [String] = []
        let joiners = ["and", "&", ",", ";", "/", "or", "also", "plus", "the", "in", "of", "under", "above", "below"]
        while true {
            rest = rest.drop {
                $0 == " " || $0 == "," || $0 == ";" || $0 == "(" || $0 == ")" || $0 == "." || $0 == "[" || $0 == "]"
            }
            if rest.isEmpty { break }
            let s = String(rest)
            let word = rest.prefix { $0 != " " && $0 != "," && $0 != ";" && $0 != ")" }
            if joiners.contains(word.lowercased()) || word == "-" || word == "–" {
                rest = rest.dropFirst(word.count)
                continue
            }
            if let r = target.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)), r.range.length > 0,
                let range = Range(r.range, in: s), s[range].contains(where: \.isNumber)
            {
                refs.append(s[range].split(whereSeparator: \.isWhitespace).joined(separator: " "))
                rest = rest.dropFirst(s.distance(from: s.startIndex, to: range.upperBound))
                continue
            }
            return nil
        }
        return refs.isEmpty ? nil : refs
    }

    /// Refs a ref cell carries in square brackets (`3.1.1 [3.2-3.5]`, `10.1.6 [see also priority 3]`).
    static func bracketedReferences(_ refText: String) -> [String] {
        var out: [String] = []
        var s = Substring(refText)
        while let open = s.firstIndex(of: "["), let close = s[open...].firstIndex(of: "]") {
            let inside = String(s[s.index(after: open)..<close])
            if let refs = crossReferences(
                "see "
                    + inside.replacingOccurrences(
                        of: #"^\s*(see(\s+also)?)\s*"#, with: "", options: [.regularExpression, .caseInsensitive]))
            {
                out += refs
            }
            s = s[s.index(after: close)...]
        }
        return out
    }

    /// A ref written at the start of the action text (`1:1a - Develop …`, `3.1b Co-design …`,
    /// `2.3) Review …`): the row's own ref under a merged ref cell. Needs a digit, a separator
    /// after it, and a letter or a second number part so that "2 weeks" is not a ref.
    static func leadingRef(_ action: String) -> String? {
        guard
            let m = action.range(
                of:
                    #"^[A-Z]{0,4}\s?\d+(?:[.:]\d+)+[a-z]?(?=\s*[-–:)]\s|\s+[A-Z])"#
                        + #"|^[A-Z]{0,4}\s?\d+[a-z](?=\s*[-–:)]\s|\s+[A-Z])"#,
                options: .regularExpression)
        else { return nil }
        return String(action[m])
    }
}
