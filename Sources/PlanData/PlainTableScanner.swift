import Foundation
import YAML

/// Reads one byte range of a CSV or TSV file without quoting, in chunks, so memory stays flat
/// for any file size. Rows the importer would take as a new record with nothing to clean (the
/// rows of a large casework table) go into a `RowBatch` without becoming Strings; every other
/// row — blank, header, section, continuation, or one with text to clean — goes to the
/// `TableImporter`, so the result is the same record for record as reading row by row.
struct PlainTableScanner {
    /// The range cannot be read in pieces: it has quoted fields (which may span lines) or a bare
    /// carriage return (a line end `CSVReader` knows but this reader does not).
    struct NotPlain: Error {}

    let path: String
    let delimiter: UInt8
    var table: TableImporter
    /// Nil when records of this schema may not come from batches (sections fill their fields).
    private let batch: RowBatch?
    private let rules: PlainRowRules?

    init(path: String, delimiter: UInt8, table: TableImporter) {
        self.path = path
        self.delimiter = delimiter
        self.table = table
        let schema = table.reader.schema
        // Batch rows are read into records only on demand, so every mapped cell must be one
        // that cannot fail to read (plain text or a date): a bad number must still stop the run.
        let unfailing = table.columns.allSatisfy { slot in
            slot.map { schema.fields[$0].reading == .plain && [.string, .date].contains(schema.fields[$0].type) } ?? true
        }
        if unfailing, schema.slot(of: "section") == nil, schema.slot(of: "section_lead") == nil,
           let rules = PlainRowRules(table, delimiter: delimiter) {
            self.rules = rules
            batch = RowBatch(importer: table, delimiter: delimiter)
        } else {
            rules = nil
            batch = nil
        }
    }

    /// Reads `range`, whose first row is `line`; full batches go to `onBatch`, other records to `onRecord`.
    mutating func scan(_ file: Int32, _ range: Range<Int>, line firstLine: Int,
                       onBatch: (RowBatch) throws -> Void, onRecord: (Record) throws -> Void) throws {
        var line = firstLine
        let ends = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, table.headings.count))
        defer { ends.deallocate() }
        func emit(_ batch: RowBatch) throws {
            guard batch.count > 0 else { return }
            table.countBatchRecords(batch.count)
            try onBatch(batch)
            batch.reset()
        }
        try ChunkedLines.forEach(file, range) { bytes, length in
            if let batch, let rules, rules.isPlainRecord(bytes, length, ends) {
                if batch.count == 0 { try table.flush(onRecord) }
                if batch.isFull { try emit(batch) }
                batch.append(bytes, length: length, ends: ends, line: line)
            } else {
                if let batch, batch.count > 0 {
                    // The batch's last row may have continuation rows: the importer takes it from here.
                    let last = batch.removeLast()
                    try emit(batch)
                    try table.add(last, onRecord)
                }
                try table.add(TableRow(cells: try cells(bytes, length, line: line), line: line), onRecord)
            }
            line += 1
        }
        if let batch { try emit(batch) }
        try table.finish(onRecord)
    }

    /// A row's cells, split as `CSVReader` splits a row without quotes.
    private func cells(_ bytes: UnsafePointer<UInt8>, _ length: Int, line: Int) throws -> [String] {
        let row = UnsafeBufferPointer(start: bytes, count: length)
        if row.contains(UInt8(ascii: "\"")) || row.contains(UInt8(ascii: "\r")) { throw NotPlain() }
        if row.contains(where: { $0 >= 0x80 }), let bad = YAMLParser.firstInvalidUTF8(Array(row)) {
            throw PlanError(file: path, line: line, "invalid UTF-8 byte 0x\(String(row[bad], radix: 16, uppercase: true)); save the file as UTF-8")
        }
        return row.split(separator: delimiter, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The byte-level test for a plain record row: what `TableImporter.add` would read as the start of
/// a new record, with every cell already clean. It must never say yes where the importer would
/// do something else; saying no only costs time.
struct PlainRowRules {
    let delimiter: UInt8
    let columnCount: Int
    let refColumn: Int
    let headings: [[UInt8]]
    /// Headings with non-ASCII text compare as Strings (canonical equivalence), not bytes.
    let unicodeHeadings: [String?]
    /// What every row looks up per column, side by side.
    private let columns: [Column]
    private struct Column {
        var headingCount: Int
        /// Mapped to a field other than the ref.
        var content: Bool
        var unicode: Bool
    }

    init?(_ table: TableImporter, delimiter: UInt8) {
        guard let ref = table.refColumn, !table.headings.isEmpty else { return nil }
        self.delimiter = delimiter
        columnCount = table.headings.count
        refColumn = ref
        let content = table.columns.enumerated().map { $0.offset != ref && $0.element != nil }
        headings = table.headings.map { Array($0.utf8) }
        unicodeHeadings = table.headings.map { $0.utf8.allSatisfy { $0 < 0x80 } ? nil : $0 }
        columns = zip(zip(headings, content), unicodeHeadings).map { Column(headingCount: $0.0.count, content: $0.1, unicode: $1 != nil) }
    }

    /// The row's delimiters, written to `ends` (how many), or nil when a byte needs the importer's
    /// cleaning or care (a control byte, non-ASCII, `"`, `<`, `&`) or a field has a leading,
    /// trailing or doubled space (which cleaning would change). Eight bytes at a time, with exact
    /// per-byte zero tests; only delimiters and spaces are visited one by one.
    private func fieldEnds(_ p: UnsafePointer<UInt8>, _ n: Int, _ ends: UnsafeMutablePointer<Int32>) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101, lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, highs = ~lows
        /// The high bit of each byte of `v` that is zero, and of no other.
        func zeros(_ v: UInt64) -> UInt64 { ~(((v & lows) &+ lows) | v) & highs }
        /// A high bit set when some byte of `v` is `byte` (exact as a yes/no answer, not as a position).
        func any(_ v: UInt64, _ byte: UInt8) -> UInt64 { let x = v ^ (ones &* UInt64(byte)); return (x &- ones) & ~x }
        let delimiters = ones &* UInt64(delimiter), spaces = ones &* 0x20, letters = ones &* 0x61
        var field = 0, i = 0
        while i < n {
            var w = letters       // the last bytes padded with a letter, which is neither mark nor special
            if n - i >= 8 {
                w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            } else {
                withUnsafeMutableBytes(of: &w) { $0.copyMemory(from: UnsafeRawBufferPointer(start: p + i, count: n - i)) }
            }
            w = UInt64(littleEndian: w)
            let delims = zeros(w ^ delimiters)
            // Delimiters read as letters for the test of special bytes (a tab is a control byte).
            let isDelimiter = (delims >> 7) &* 0xFF
            let v = (w & ~isDelimiter) | (letters & isDelimiter)
            let special = ((v &- ones &* 0x20) & ~v) | any(v, 0x22) | any(v, 0x3C) | any(v, 0x26) | any(v, 0x7F)
            if (special | v) & highs != 0 { return nil }
            var marks = delims | zeros(w ^ spaces)
            while marks != 0 {
                let j = i + marks.trailingZeroBitCount / 8
                marks &= marks &- 1
                if p[j] == delimiter {
                    if field + 1 >= columnCount { return nil }
                    ends[field] = Int32(j)
                    field += 1
                } else if j == 0 || j == n - 1 || p[j - 1] == 0x20 || p[j - 1] == delimiter || p[j + 1] == delimiter {
                    return nil
                }
            }
            i += 8
        }
        return field
    }

    func isPlainRecord(_ p: UnsafePointer<UInt8>, _ n: Int, _ ends: UnsafeMutablePointer<Int32>) -> Bool {
        guard let field = fieldEnds(p, n, ends), field + 1 == columnCount else { return false }
        ends[field] = Int32(n)
        func cell(_ c: Int) -> UnsafeBufferPointer<UInt8> {
            let start = c == 0 ? 0 : Int(ends[c - 1]) + 1
            return UnsafeBufferPointer(start: p + start, count: Int(ends[c]) - start)
        }
        // The ref: a short code with a digit and no space, bracket or colon (`Refs.looksLikeRef`'s fast case).
        let ref = cell(refColumn)
        guard !ref.isEmpty, ref.count <= 16, ref.contains(where: { $0 >= 0x30 && $0 <= 0x39 }),
              !ref.contains(where: { $0 == 0x20 || $0 == 0x5B || $0 == 0x3A }) else { return false }
        var filled = 0, first: UnsafeBufferPointer<UInt8>?, otherContent = false
        let repeatsAHeading: Bool = columns.withUnsafeBufferPointer { columns in
            for c in 0..<columnCount {
                let text = cell(c)
                guard !text.isEmpty else { continue }
                filled += 1
                if first == nil { first = text }
                if columns[c].content { otherContent = true }
                // A row repeating a heading in its column may be a repeated page header.
                if columns[c].unicode {
                    if String(decoding: text, as: UTF8.self) == unicodeHeadings[c] { return true }
                } else if text.count == columns[c].headingCount, text.elementsEqual(headings[c]) {
                    return true
                }
            }
            return false
        }
        // Rows of one or two cells may be titles, legends or a section's lead.
        guard !repeatsAHeading, filled >= 3, otherContent, let first else { return false }
        // A column-letter row starts with "A"; a section label with one of these letters.
        if first.count == 1, first[0] == UInt8(ascii: "A") { return false }
        switch first[0] | 0x20 {
        case UInt8(ascii: "p"), UInt8(ascii: "w"), UInt8(ascii: "t"), UInt8(ascii: "s"), UInt8(ascii: "o"):
            return !TableImporter.isSectionLabel(String(decoding: first, as: UTF8.self))
        default:
            return true
        }
    }
}

/// Lines of a byte range of a file, read in chunks with `pread`: LF or CRLF line ends (the CR
/// is dropped), the last line with or without one.
enum ChunkedLines {
    static func forEach(_ file: Int32, _ range: Range<Int>, chunk: Int = 1 << 20,
                        _ body: (UnsafePointer<UInt8>, Int) throws -> Void) throws {
        var capacity = chunk
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0, offset = range.lowerBound
        func line(_ start: Int, _ end: Int) throws {
            var length = end - start
            if length > 0, buffer[start + length - 1] == UInt8(ascii: "\r") { length -= 1 }
            try body(buffer + start, length)
        }
        while true {
            if offset < range.upperBound {
                if filled == capacity {
                    // A line longer than the buffer: make room for it.
                    capacity *= 2
                    let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                    grown.update(from: buffer, count: filled)
                    buffer.deallocate()
                    buffer = grown
                }
                let got = pread(file, buffer + filled, min(capacity - filled, range.upperBound - offset), off_t(offset))
                guard got > 0 else { throw ReadError(errno: got < 0 ? errno : 0) }
                filled += got
                offset += got
            }
            var start = 0
            while start < filled, let nl = memchr(buffer + start, 0x0A, filled - start) {
                let end = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                try line(start, end)
                start = end + 1
            }
            if offset >= range.upperBound {
                if start < filled { try line(start, filled) }
                return
            }
            memmove(buffer, buffer + start, filled - start)
            filled -= start
        }
    }

    /// Newlines in a byte range, for the first line number of each part.
    static func count(_ file: Int32, _ range: Range<Int>, chunk: Int = 1 << 20) throws -> Int {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var offset = range.lowerBound, lines = 0
        while offset < range.upperBound {
            let got = pread(file, buffer, min(chunk, range.upperBound - offset), off_t(offset))
            guard got > 0 else { throw ReadError(errno: got < 0 ? errno : 0) }
            lines += newlines(UnsafeBufferPointer(start: buffer, count: got))
            offset += got
        }
        return lines
    }

    /// Newlines in `bytes`, eight at a time: a byte's high bit is set in `t` exactly when the
    /// byte is a newline (no carries cross bytes, unlike the usual has-zero-byte test), and the
    /// set bits are counted. The first part of a national extract is counted before any part is
    /// read: byte by byte this took longer than the rest of the start.
    static func newlines(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = UnsafeRawPointer(bytes.baseAddress) else { return 0 }
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, newline: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        var n = 0, i = 0
        while i + 8 <= bytes.count {
            let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ newline
            n &+= (~(((x & low) &+ low) | x | low)).nonzeroBitCount
            i += 8
        }
        while i < bytes.count { n &+= bytes[i] == 0x0A ? 1 : 0; i += 1 }
        return n
    }

    /// The file could not be read, or ended sooner than it did when it was opened.
    struct ReadError: Error { var errno: Int32 }
}
