import Foundation
import Expressions

/// Turns the text of a cell or scalar into a value of the field's declared type.
enum FieldTyping {
    enum Outcome {
        case value(Value)
        case invalid(String)
    }

    /// `text` is the exact source text; nil or blank means absent.
    static func typed(_ text: String?, as type: CELType) -> Outcome {
        guard let raw = text else { return .value(.null) }
        let t = trimmed(raw)
        if t.isEmpty { return .value(.null) }
        switch type {
        case .string, .dyn: return .value(.string(t))
        case .int:
            guard let v = Int64(t) else { return .invalid("'\(t)' is not a whole number") }
            return .value(.int(v))
        case .uint:
            guard let v = UInt64(t) else { return .invalid("'\(t)' is not a non-negative whole number") }
            return .value(.uint(v))
        case .double:
            guard let v = Double(t.replacingOccurrences(of: ",", with: "")), v.isFinite else { return .invalid("'\(t)' is not a number") }
            return .value(.double(v))
        case .bool:
            switch t.lowercased() {
            case "true", "yes", "y": return .value(.bool(true))
            case "false", "no", "n": return .value(.bool(false))
            default: return .invalid("'\(t)' is not true/false or yes/no")
            }
        case .date:
            // An unreadable date is null here; the text stays in `<field>_text` for rules to see.
            return .value(Day(iso: t).map(Value.date) ?? .null)
        case .list(let element):
            let parts = t.split(whereSeparator: { $0 == ";" || $0 == "\n" })
                .map { trimmed($0) }
                .filter { !$0.isEmpty }
            var items: [Value] = []
            for p in parts {
                switch typed(p, as: element) {
                case .value(let v): items.append(v)
                case .invalid(let m): return .invalid(m)
                }
            }
            return .value(.list(items))
        default:
            return .invalid("fields of type \(type) cannot be read from text")
        }
    }
}

/// Trims white space at both ends. Faster than Foundation's `trimmingCharacters(in:)`, which
/// dominated plan loading; text without surrounding space is returned without copying.
func trimmed(_ s: some StringProtocol) -> String {
    guard let first = s.firstIndex(where: { !$0.isWhitespace }) else { return "" }
    let last = s.lastIndex(where: { !$0.isWhitespace })!
    if first == s.startIndex && last == s.index(before: s.endIndex), let string = s as? String { return string }
    return String(s[first...last])
}
