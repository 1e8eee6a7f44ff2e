/// Reads JSON into the same `Node` tree as YAML, so one schema layer types both.
///
/// Hand-written because Foundation's JSONSerialization drops positions, and every record and
/// error must point at its line and column. Strings become double-quoted scalars; numbers,
/// `true`, `false` and `null` become plain scalars, exactly as they would in YAML.
public enum JSONReader {
    public static func parse(_ bytes: [UInt8]) throws -> Node {
        if let bad = YAMLParser.firstInvalidUTF8(bytes) {
            throw YAMLError("invalid UTF-8 byte 0x\(String(bytes[bad], radix: 16, uppercase: true)); files must be UTF-8",
                            at: YAMLParser.mark(ofOffset: bad, in: bytes))
        }
        var reader = Reader(bytes: bytes)
        reader.skipBOM()
        reader.skipSpace()
        let node = try reader.value(depth: 0)
        reader.skipSpace()
        if reader.index < bytes.count {
            throw YAMLError("unexpected text after the JSON value", at: reader.mark)
        }
        return node
    }
}

private struct Reader {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var mark: Mark { Mark(line: line, column: columnAt(index)) }

    /// Columns count characters, not bytes.
    private func columnAt(_ offset: Int) -> Int {
        var column = 1
        for i in lineStart..<min(offset, bytes.count) where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return column
    }

    mutating func skipBOM() {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"): index += 1; line += 1; lineStart = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws -> Node {
        guard depth < 512 else { throw YAMLError("JSON nested more than 512 levels deep", at: mark) }
        guard index < bytes.count else {
            throw YAMLError(bytes.isEmpty ? "empty JSON document" : "JSON ends where a value was expected", at: mark)
        }
        let start = mark
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var pairs: [Node.Pair] = []
            var seen: [String: Mark] = [:]
            skipSpace()
            if peek(UInt8(ascii: "}")) { return Node(.mapping(pairs), mark: start) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw YAMLError("expected a quoted key", at: mark) }
                let key = try value(depth: depth + 1)
                if let text = key.scalar {
                    if let first = seen[text] {
                        throw YAMLError("duplicate key '\(text)' (first defined at \(first))", at: key.mark)
                    }
                    seen[text] = key.mark
                }
                skipSpace()
                try expect(UInt8(ascii: ":"), "':' after the key")
                skipSpace()
                pairs.append(Node.Pair(key: key, value: try value(depth: depth + 1)))
                skipSpace()
                if peek(UInt8(ascii: "}")) { return Node(.mapping(pairs), mark: start) }
                try expect(UInt8(ascii: ","), "',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var items: [Node] = []
            skipSpace()
            if peek(UInt8(ascii: "]")) { return Node(.sequence(items), mark: start) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                if peek(UInt8(ascii: "]")) { return Node(.sequence(items), mark: start) }
                try expect(UInt8(ascii: ","), "',' or ']'")
            }
        case UInt8(ascii: "\""):
            return Node(.scalar(try string(), .doubleQuoted), mark: start)
        default:
            let begin = index
            while index < bytes.count, isBareByte(bytes[index]) { index += 1 }
            let word = String(decoding: bytes[begin..<index], as: UTF8.self)
            guard word == "true" || word == "false" || word == "null" || isNumber(word) else {
                index = begin
                throw YAMLError(word.isEmpty ? "unexpected character in JSON" : "'\(word)' is not a JSON value", at: start)
            }
            return Node(.scalar(word, .plain), mark: start)
        }
    }

    private mutating func peek(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard peek(byte) else {
            throw YAMLError(index < bytes.count ? "expected \(what)" : "JSON ends early; expected \(what)", at: mark)
        }
    }

    private func isBareByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: "E")
    }

    private func isNumber(_ word: String) -> Bool {
        var s = Substring(word)
        if s.hasPrefix("-") { s = s.dropFirst() }
        guard let first = s.first, first.isASCII, first.isNumber else { return false }
        if first == "0", s.count > 1, let second = s.dropFirst().first, second.isNumber { return false }
        return Double(word) != nil
    }

    private mutating func string() throws -> String {
        let start = mark
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { break }
                let e = bytes[index + 1]
                index += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar), bytes.count >= index + 6,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
                default:
                    throw YAMLError("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a JSON string", at: mark)
                }
            case 0..<0x20:
                throw YAMLError(b == 10 ? "JSON string not closed before the end of the line" : "control character in a JSON string", at: mark)
            default:
                out.append(b)
                index += 1
            }
        }
        throw YAMLError("JSON string never closed", at: start)
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw YAMLError("\\u needs four hex digits", at: mark)
        }
        index += 4
        return v
    }
}
