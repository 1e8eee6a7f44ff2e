import Foundation

/// Turns a spreadsheet cell as exported (with HTML fragments, entities and stray spacing) into
/// plain text: `<p>` and `<br>` become line breaks, list items become lines, other tags go,
/// entities are decoded, and spaces are normalised line by line.
public enum CellText {
    public static func clean(_ raw: String) -> String {
        guard needsCleaning(raw) else { return raw }
        var text = ""
        var i = raw.startIndex
        while i < raw.endIndex {
            let c = raw[i]
            if c == "<", let close = raw[i...].firstIndex(of: ">"), isTag(raw[raw.index(after: i)..<close]) {
                let name = raw[raw.index(after: i)..<close].lowercased()
                    .trimmingCharacters(in: .init(charactersIn: "/ ")).prefix { $0.isLetter || $0.isNumber }
                if ["p", "br", "li", "ul", "ol", "div", "tr", "h1", "h2", "h3", "h4"].contains(String(name)) { text += "\n" }
                i = raw.index(after: close)
                continue
            }
            if c == "&" {
                let rest = raw[raw.index(after: i)...]
                if let semi = rest.prefix(10).firstIndex(of: ";"), let decoded = entity(rest[..<semi]) {
                    text += decoded
                    i = raw.index(after: semi)
                    continue
                }
                // HTML also reads a few legacy references without the semicolon ("&amp", "&LT"),
                // as browsers and Python's html.unescape do; longest name first.
                if let name = legacyNames.first(where: { rest.hasPrefix($0) }), let decoded = entity(Substring(name.lowercased())) {
                    text += decoded
                    i = raw.index(i, offsetBy: name.count + 1)
                    continue
                }
            }
            text.append(c)
            i = raw.index(after: i)
        }
        return text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\u{A0}" }).joined(separator: " ") }
            .filter { !$0.isEmpty }
            .joined(separator: "\n")
    }

    /// One pass over the bytes: most cells (names, dates, codes) have nothing to clean, and
    /// this runs on every cell of files with millions of them.
    private static func needsCleaning(_ s: String) -> Bool {
        var previous: UInt8 = 0x20      // a leading space counts as doubled
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "<"), UInt8(ascii: "&"), 0x0A, 0x0D, 0x09, 0xC2: return true     // 0xC2: U+00A0 and other Latin-1 spaces
            case 0x20 where previous == 0x20: return true
            default: previous = b
            }
        }
        return previous == 0x20
    }

    /// `<p>`, `</b>`, `<a href="…">`, `<ul style="…">`: a tag, not a "<" in prose like "< 5%".
    private static func isTag(_ inside: Substring) -> Bool {
        let body = inside.hasPrefix("/") ? inside.dropFirst() : inside
        guard let first = body.first, first.isLetter else { return false }
        return body.prefix { $0.isLetter || $0.isNumber }.count <= 10
    }

    private static let legacyNames = ["frac12", "frac14", "frac34", "pound", "QUOT", "quot", "nbsp", "COPY", "copy", "AMP", "amp",
                                      "REG", "reg", "deg", "LT", "lt", "GT", "gt"]

    private static func entity(_ name: Substring) -> String? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos", "#39": return "'"
        case "nbsp": return " "
        case "pound": return "£"
        case "ndash": return "–"
        case "mdash": return "—"
        case "copy": return "©"
        case "reg": return "®"
        case "deg": return "°"
        case "frac12": return "½"
        case "frac14": return "¼"
        case "frac34": return "¾"
        default:
            if name.hasPrefix("#x"), let v = UInt32(name.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) { return String(s) }
            if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let s = Unicode.Scalar(v) { return String(s) }
            return nil
        }
    }
}
