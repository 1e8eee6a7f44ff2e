import Foundation
import Expressions
import Timescales

/// Fields worked out from other fields of the same record, when the schema has them:
/// an inferred status from status words in the progress log, a baseline from a `Baseline:` label,
/// and the numeric targets in the success criteria.
enum Derivations {
    static func apply(to values: inout [Value], _ schema: CollectionSchema) {
        func text(_ name: String) -> String? {
            guard let s = schema.slot(of: name), case .string(let t) = values[s] else { return nil }
            return t
        }
        if let slot = schema.slot(of: "status_inferred") {
            let sources = ["progress", "outcome"].compactMap(text)
            values[slot] = sources.lazy.compactMap(inferredStatus).first.map(Value.string) ?? .null
        }
        if let slot = schema.slot(of: "baseline"), values[slot].isNull {
            let sources = ["success", "evidence", "target"].compactMap(text)
            values[slot] = sources.lazy.compactMap(labelledBaseline).first.map(Value.string) ?? .null
        }
        if let slot = schema.slot(of: "success_dates"), values[slot].isNull {
            values[slot] = .list((text("success").map { DateScanner.dates(in: $0) } ?? []).map(Value.date))
        }
        if let slot = schema.slot(of: "kind"), values[slot].isNull {
            // A row whose action only points at other refs ("See 2.4.1 and 2.4.2") is a reference.
            let pointsAt = text("action").flatMap(RowShape.crossReferences)
            values[slot] = .string(pointsAt == nil ? "action" : "reference")
            if let r = schema.slot(of: "references"), let pointsAt {
                var list: [Value] = []
                if case .list(let existing) = values[r] { list = existing }
                values[r] = .list(list + pointsAt.map(Value.string))
            }
        }
        if let slot = schema.slot(of: "targets"), values[slot].isNull {
            values[slot] = .list((text("success").map(targets) ?? []).map(Value.string))
        }
    }

    /// Phrases that say an action is finished, and look-alikes that do not.
    static let completion = try! NSRegularExpression(pattern:
        #"(confirmed complete|(?:this )?action is (?:now )?complete(?:d)?|agreed (?:as|to be) complete|recommendation to close|agreed to close|action (?:has been )?closed|(?:marked|signed off) as complete|action complete\b|(?<=^|: |- |– )complete\b(?!d))"#,
        options: [.caseInsensitive])
    static let notYet = try! NSRegularExpression(pattern:
        #"(will be complete|to remain open|can be closed when|not (?:yet )?complete|once complete|until complete)"#,
        options: [.caseInsensitive])

    /// The last completion phrase in the text, unless its sentence says it is not yet so.
    static func inferredStatus(_ text: String) -> String? { StatusInference.inferred(in: text, extra: nil) }
}

/// Completion read from a progress log: the built-in phrases ("Confirmed complete", "Agreed to
/// close", …) and those a rule set adds (its words whose state means complete), each unless its
/// sentence says it is not yet so ("will be complete once …").
public enum StatusInference {
    /// The phrases the built-in pattern finds, as the vocabulary knows them (a rule set's
    /// vocabulary starts from these, so that `is_complete(status_inferred)` holds for each).
    public static let builtInPhrases: [(state: String, words: [String])] = [
        ("complete", ["Confirmed complete", "Action is complete", "Action is completed", "Action is now complete",
                      "Action is now completed", "This action is complete", "This action is completed",
                      "This action is now complete", "This action is now completed", "Agreed as complete",
                      "Agreed to be complete", "Agreed to close", "Action closed", "Action has been closed",
                      "Marked as complete", "Signed off as complete", "Action complete", "Complete"]),
        ("closure-recommended", ["Recommendation to close"]),
    ]

    /// A pattern finding any of `phrases` as whole words, ignoring case (nil for none).
    public static func pattern(for phrases: [String]) -> NSRegularExpression? {
        let words = phrases.filter { $0.split(separator: " ").count >= 2 }
        guard !words.isEmpty else { return nil }
        let alternatives = words.map { phrase in
            phrase.split(whereSeparator: \.isWhitespace).map { NSRegularExpression.escapedPattern(for: String($0)) }
                .joined(separator: "\\s+")
        }
        return try? NSRegularExpression(pattern: "(?<![\\w])(" + alternatives.joined(separator: "|") + ")(?![\\w])",
                                        options: [.caseInsensitive])
    }

    /// The last completion phrase in `text` (built-in, or one `extra` finds), unless its sentence
    /// says it is not yet so. Phrases `extra` finds are given as written in the text.
    public static func inferred(in text: String, extra: NSRegularExpression?) -> String? {
        let range = NSRange(text.startIndex..., in: text)
        var found: (at: Int, phrase: String)?
        let matches = Derivations.completion.matches(in: text, range: range).map { ($0, true) }
            + (extra?.matches(in: text, range: range) ?? []).map { ($0, false) }
        for (m, builtIn) in matches.sorted(by: { $0.0.range.location < $1.0.range.location }) {
            let r = Range(m.range, in: text)!
            let sentenceStart = text[..<r.lowerBound].lastIndex(where: { $0 == "." || $0 == "\n" }).map { text.index(after: $0) } ?? text.startIndex
            let sentence = String(text[sentenceStart..<r.upperBound])
            if Derivations.notYet.firstMatch(in: sentence, range: NSRange(sentence.startIndex..., in: sentence)) == nil,
               m.range.location >= found?.at ?? 0 {
                let phrase = builtIn ? String(text[r]).prefix(1).uppercased() + String(text[r]).dropFirst().lowercased()
                    : String(text[r]).split(whereSeparator: \.isWhitespace).joined(separator: " ")
                found = (m.range.location, phrase)
            }
        }
        return found?.phrase
    }
}

extension Derivations {

    /// `Baseline: 38% (2023)` → "38% (2023)"; `Baseline - not available` → "Not available".
    static func labelledBaseline(_ text: String) -> String? {
        guard let r = text.range(of: "baseline", options: .caseInsensitive) else { return nil }
        var rest = text[r.upperBound...].drop(while: { $0 == " " })
        guard let first = rest.first, first == ":" || first == "-" || first == "–" else { return nil }
        rest = rest.dropFirst().drop(while: { $0 == " " })
        let value = rest.prefix { $0 != "\n" && $0 != ";" }
        let v = trimmed(value.hasSuffix(".") ? value.dropLast() : value)
        return v.isEmpty ? nil : v
    }

    private static let targetPattern = try! NSRegularExpression(pattern:
        #"[^.;\n]*?(?:[<>≥≤+\-]?\s?\d+(?:\.\d+)?\s?%|target[^.;\n]*\d)[^.;\n]*"#, options: [.caseInsensitive])

    /// The phrases of the success criteria that state a numeric target ("95% of decisions …").
    static func targets(_ text: String) -> [String] {
        targetPattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { trimmed(text[$0]) }
        }.filter { !$0.isEmpty }
    }
}
