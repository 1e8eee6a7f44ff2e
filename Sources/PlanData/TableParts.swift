import Dispatch
import Foundation

/// One part of a large table file, read on its own thread in chunks. Parts share the header
/// found at the top of the file; each has its own byte range and first line number.
public struct TablePart: Sendable {
    let path: String
    let delimiter: UInt8
    let range: Range<Int>
    let line: Int
    let table: TableImporter

    /// The file turned out to need reading whole (quoted fields may span lines); read it with
    /// `PlanLoader.read` instead.
    public struct NeedsWholeRead: Error {}

    /// Reads this part: plain record rows in batches, any other record on its own. Returns the
    /// part's tally (to be merged with the others').
    public func read(batch onBatch: (RowBatch) throws -> Void, record onRecord: (Record) throws -> Void) throws -> PlanTally {
        let file = open(path, O_RDONLY)
        guard file >= 0 else { throw PlanError(file: path, "cannot be read (check its permissions)") }
        defer { close(file) }
        var scanner = PlainTableScanner(path: path, delimiter: delimiter, table: table)
        do {
            try scanner.scan(file, range, line: line, onBatch: onBatch, onRecord: onRecord)
        } catch is PlainTableScanner.NotPlain {
            throw NeedsWholeRead()
        } catch is ChunkedLines.ReadError {
            throw PlanError(file: path, "could not be read to the end (was it changed while being read?)")
        }
        return scanner.table.tally
    }
}

extension PlanLoader {
    /// Splits a large CSV or TSV into `count` parts that can be read at once, or returns nil when
    /// the file is better read whole: small, in another format, or for a collection that compares
    /// records (duplicate refs). Only the head of the file is read here. The plan returned carries
    /// the name and header; merge the parts' tallies into it.
    public func parts(path: String, format: PlanFormat?, count: Int, minimumBytes: Int = 4 << 20) throws -> (Plan, [TablePart])? {
        guard count >= 1, schema.slot(of: "duplicate_ref") == nil,
              let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size >= minimumBytes,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 1 << 20)) ?? Data())
        let resolved = format ?? PlanFormat.detect(path: path, bytes: head)
        guard let delimiter = resolved.reader.delimiter else { return nil }
        // Read up to the header, so every part starts with the same columns.
        var csv = CSVReader(bytes: head, delimiter: delimiter)
        var table = TableImporter(file: path, reader: reader, profile: profile)
        while table.tally.headerRows == 0, let row = try? csv.next() {
            try table.add(TableRow(cells: row.fields, line: row.line)) { _ in }
        }
        // The header must end inside the head (not be cut off by it) and come before any record.
        guard table.tally.headerRows > 0, table.tally.records == 0, csv.index < head.count,
              head[csv.index - 1] == UInt8(ascii: "\n") else { return nil }
        try Self.checkUTF8(Array(head[..<csv.index]), path)
        let plan = try finished(table, path)
        let file = handle.fileDescriptor
        // Parts start at a record: a table whose key column is not known is read whole.
        guard let keyColumn = table.refColumn else { return nil }
        let cuts = try Self.cuts(file, from: csv.index, to: size, count: count, delimiter: delimiter, keyColumn: keyColumn)
        let ranges = zip(cuts, cuts.dropFirst()).map { $0..<$1 }
        // First line numbers: count the lines of every part but the last, all at once.
        let counts = WorkerResults<Result<Int, any Error>>(count: max(0, ranges.count - 1))
        DispatchQueue.concurrentPerform(iterations: max(0, ranges.count - 1)) { i in
            counts.set(i, Result { try ChunkedLines.count(file, ranges[i]) })
        }
        let lineCounts = counts.all
        var parts: [TablePart] = []
        var line = csv.line
        var header = table
        header.resetCounts()
        for (n, range) in ranges.enumerated() {
            parts.append(TablePart(path: path, delimiter: delimiter, range: range, line: line, table: n == 0 ? table : header))
            if n < ranges.count - 1 {
                guard let lines = try? lineCounts[n].get() else { throw PlanError(file: path, "could not be read to the end") }
                line += lines
            }
        }
        return (plan, parts)
    }

    /// Cut points at line ends, each moved to a row whose key cell (column `keyColumn`) is filled
    /// and does not start with "[": such a row is never a continuation of the row above, so no
    /// record is split from its continuation rows.
    private static func cuts(_ file: Int32, from start: Int, to end: Int, count: Int, delimiter: UInt8,
                             keyColumn: Int) throws -> [Int] {
        var cuts = [start]
        let size = 1 << 16
        let window = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        defer { window.deallocate() }
        /// Whether the line starting at `i` of the window has a filled key cell within the window.
        func startsRecord(_ i: Int, _ got: Int) -> Bool {
            var column = 0, j = i
            while column < keyColumn, j < got, window[j] != UInt8(ascii: "\n") {
                if window[j] == delimiter { column += 1 }
                j += 1
            }
            guard column == keyColumn, j < got else { return false }
            let first = window[j]
            return first != delimiter && first != UInt8(ascii: "\n") && first != UInt8(ascii: "\r") && first != UInt8(ascii: "[")
        }
        for k in 1..<max(1, count) {
            var at = start + (end - start) * k / count
            var found: Int?
            while found == nil, at < end {
                let got = pread(file, window, min(size, end - at), off_t(at))
                guard got > 1 else { break }
                for i in 0..<(got - 1) where window[i] == UInt8(ascii: "\n") && startsRecord(i + 1, got) {
                    found = at + i + 1
                    break
                }
                // The next window starts at the last line end seen, so no line is judged cut short.
                let lastLineEnd = (0..<got).last { window[$0] == UInt8(ascii: "\n") } ?? (got - 1)
                at += max(1, lastLineEnd)
            }
            if let found, found > cuts.last!, found < end { cuts.append(found) }
        }
        cuts.append(end)
        return cuts
    }
}

extension PlanTally {
    /// Adds another part's counts and rows to these.
    public mutating func merge(_ other: PlanTally) {
        records += other.records
        headerRows += other.headerRows
        sectionRows += other.sectionRows
        continuationRows += other.continuationRows
        blankRows += other.blankRows
        titleRows += other.titleRows
        columnLetterRows += other.columnLetterRows
        legendRows += other.legendRows
        skipped += other.skipped
        sections += other.sections
        self.other += other.other
        tables += other.tables
        asAt += other.asAt
    }
}
