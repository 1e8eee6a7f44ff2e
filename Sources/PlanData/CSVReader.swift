/// RFC 4180 reader over bytes: quoted fields with embedded delimiters, quotes and newlines,
/// CRLF or LF, a leading BOM. Works on the raw bytes, so a large file never becomes one String.
struct CSVReader {
    let bytes: [UInt8]
    let delimiter: UInt8
    private(set) var index = 0
    private let end: Int
    private(set) var line = 1

    init(bytes: [UInt8], delimiter: UInt8) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.end = bytes.count
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    /// A reader of `range` only, whose first row is on `line`: one part of a file read in parallel.
    init(bytes: [UInt8], delimiter: UInt8, range: Range<Int>, line: Int) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.index = range.lowerBound
        self.end = range.upperBound
        self.line = line
    }

    struct Row {
        var fields: [String]
        var line: Int
        var isBlank: Bool { fields.allSatisfy { $0.allSatisfy(\.isWhitespace) } }
    }

    struct Unterminated: Error { var line: Int }

    /// The next row, or nil at the end of the input.
    mutating func next() throws -> Row? {
        guard index < end else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var fieldStart = true
        while index < end {
            let b = bytes[index]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if index + 1 < end, bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        index += 2
                        continue
                    }
                    quoted = false
                    index += 1
                    continue
                }
                if b == UInt8(ascii: "\n") { line += 1 }
                field.append(b)
                index += 1
                continue
            }
            if b == UInt8(ascii: "\"") && fieldStart {
                quoted = true
                fieldStart = false
                index += 1
                continue
            }
            if b == delimiter {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                fieldStart = true
                index += 1
                continue
            }
            if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                index += 1
                if b == UInt8(ascii: "\r"), index < end, bytes[index] == UInt8(ascii: "\n") { index += 1 }
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return Row(fields: fields, line: startLine)
            }
            fieldStart = false
            field.append(b)
            index += 1
        }
        if quoted { throw Unterminated(line: startLine) }
        fields.append(String(decoding: field, as: UTF8.self))
        return Row(fields: fields, line: startLine)
    }
}
