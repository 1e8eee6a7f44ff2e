/// One part of a large table file, read on its own thread. Parts share the file's bytes and the
/// header found in the first part; each has its own row range and starting line number.
public struct TablePart: Sendable {
    let path: String
    let bytes: [UInt8]
    let delimiter: UInt8
    let range: Range<Int>
    let line: Int
    let table: TableImporter

    /// Reads this part's records; returns its tally (to be merged with the others').
    public func read(_ body: (Record) throws -> Void) throws -> PlanTally {
        var csv = CSVReader(bytes: bytes, delimiter: delimiter, range: range, line: line)
        var table = self.table
        while let row = try csv.next() {
            try table.add(TableRow(cells: row.fields, line: row.line), body)
        }
        try table.finish(body)
        return table.tally
    }
}

extension PlanLoader {
    /// Splits a large CSV or TSV into `count` parts that can be read at once, or returns nil when
    /// the file is better read whole: small, in another format, with quoted fields (a split could
    /// fall inside one), or for a collection that compares records (duplicate refs). The plan
    /// returned carries the name and header; merge the parts' tallies into it.
    public func parts(path: String, format: PlanFormat?, count: Int, minimumBytes: Int = 4 << 20) throws -> (Plan, [TablePart])? {
        guard count > 1, schema.slot(of: "duplicate_ref") == nil else { return nil }
        let bytes = try Self.readBytes(path)
        let resolved = format ?? PlanFormat.detect(path: path, bytes: bytes)
        guard resolved == .csv || resolved == .tsv, bytes.count >= minimumBytes, !bytes.contains(UInt8(ascii: "\"")) else { return nil }
        try Self.checkUTF8(bytes, path)
        let delimiter = resolved == .csv ? UInt8(ascii: ",") : UInt8(ascii: "\t")
        // Read up to the header, so every part starts with the same columns.
        var csv = CSVReader(bytes: bytes, delimiter: delimiter)
        var table = TableImporter(file: path, reader: reader, profile: profile)
        while table.tally.headerRows == 0, let row = try csv.next() {
            try table.add(TableRow(cells: row.fields, line: row.line)) { _ in }
        }
        guard table.tally.headerRows > 0, table.tally.records == 0 else { return nil }
        let plan = try finished(table, path)
        // Cut the rest at line ends, moving each cut to a row that starts a record (a non-empty
        // first cell), so no record is split from its continuation rows.
        var cuts = [csv.index]
        let rest = bytes.count - csv.index
        for k in 1..<count {
            var i = csv.index + rest * k / count
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\n"), i + 1 < bytes.count, bytes[i + 1] != delimiter, bytes[i + 1] != UInt8(ascii: "\n") {
                    i += 1
                    break
                }
                i += 1
            }
            if i > cuts.last! && i < bytes.count { cuts.append(i) }
        }
        cuts.append(bytes.count)
        var parts: [TablePart] = []
        var line = csv.line
        var header = table
        header.resetCounts()
        for (n, (start, end)) in zip(cuts, cuts.dropFirst()).enumerated() {
            parts.append(TablePart(path: path, bytes: bytes, delimiter: delimiter, range: start..<end, line: line,
                                   table: n == 0 ? table : header))
            line += bytes[start..<end].reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        }
        return (plan, parts)
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
    }
}
