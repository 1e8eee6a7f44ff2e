/// Plan text is written by people and other systems; each destination gets it in a form that
/// cannot act there. One escaping per destination, used by every writer for it:
/// - a terminal (text reports, `plan show`, `notify`, messages on stderr): `TerminalText`;
/// - a spreadsheet (CSV): `TerminalText` for the characters, then RFC 4180 quoting;
/// - Markdown that may be rendered as HTML: `MarkdownText`.
public enum TerminalText {
    /// `s` with every control character (C0 but tab and line feed, DEL, C1) and every character
    /// that reorders or hides text (bidirectional overrides, isolates and marks, line and
    /// paragraph separators) shown as a visible escape: ESC as `\x1B`, U+202E as `\u202E`. A
    /// terminal then cannot be told to move the cursor, clear the screen, open a hyperlink or
    /// show text in another order than it is stored. A CR LF pair is one line break.
    public static func visible(_ s: String) -> String {
        // Most text has none of these: one pass over the bytes decides.
        guard needsEscaping(s.utf8) else { return s }
        var out = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        for (i, c) in scalars.enumerated() {
            if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" { continue }
            guard isHidden(c) else { out.append(c); continue }
            let hex = String(c.value, radix: 16, uppercase: true)
            let escape = c.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }

    /// Whether a character is shown as an escape.
    public static func isHidden(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x0A: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// A quick test on UTF-8: bytes below 0x20 (but tab and LF), DEL, and the lead bytes of the
    /// encoded ranges above (C2 for C1, D8 for U+061C, E2 for U+2000–U+2FFF, checked exactly).
    public static func needsEscaping(_ utf8: String.UTF8View) -> Bool {
        var previous: UInt8 = 0, beforeThat: UInt8 = 0
        for b in utf8 {
            if b < 0x20 && b != 0x09 && b != 0x0A || b == 0x7F { return true }
            if previous == 0xC2 && b >= 0x80 && b <= 0x9F { return true }
            if previous == 0xD8 && b == 0x9C { return true }
            if beforeThat == 0xE2 && previous == 0x80 && (b == 0x8E || b == 0x8F || b >= 0xA8 && b <= 0xAE) { return true }
            if beforeThat == 0xE2 && previous == 0x81 && b >= 0xA6 && b <= 0xA9 { return true }
            beforeThat = previous
            previous = b
        }
        return false
    }
}

/// Text for Markdown that is pasted into board papers and rendered, often as HTML: markup is
/// escaped as entities (`<script>` shows as text, never runs), square brackets so that plan text
/// cannot make a link or load an image, emphasis and code marks (`*`, `_`, `` ` ``, `~`) so that
/// "At *risk*" reads as the plan wrote it, a backslash before punctuation so that it cannot undo
/// an escape, control characters are shown as escapes, a pipe cannot end a table cell and a line
/// break is `<br>`, so one value stays in its cell or heading.
public enum MarkdownText {
    public static func cell(_ s: String) -> String {
        let shown = TerminalText.visible(s)
        // Most cells have none of these: skip the replacements, which cost more than the rest of a row.
        guard shown.utf8.contains(where: { b in
            switch b {
            case 0x26, 0x3C, 0x3E, 0x5B, 0x5D, 0x7C, 0x0A, 0x2A, 0x5F, 0x60, 0x7E, 0x5C: return true
            default: return false
            }
        }) else { return shown }
        var out = ""
        let scalars = Array(shown.unicodeScalars)
        for (i, c) in scalars.enumerated() {
            switch c {
            // A backslash escapes only punctuation in Markdown: before anything else (the `\x1B` of a
            // control character shown as an escape) it is already literal.
            case "\\" where i + 1 < scalars.count && asciiPunctuation.contains(scalars[i + 1]): out += "\\\\"
            case "*", "_", "`", "~": out += "\\" + String(c)
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "[": out += "\\["
            case "]": out += "\\]"
            case "|": out += "\\|"
            case "\n": out += "<br>"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// What a backslash escapes in CommonMark.
    static let asciiPunctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
}
