import Expressions
import Foundation

/// Record rows of a plain table (see `PlainTableScanner`), kept as their bytes and field
/// boundaries so that rules can run over them column by column. A row becomes a `Record` only
/// when something needs one (a rule the batch evaluator cannot run, or a finding to report).
public final class RowBatch: VectorInput {
    // A batch is filled, then read, by one thread at a time: run-time exclusivity checks on
    // its fields, made for every row, would be pure overhead.
    public let capacity: Int
    @exclusivity(unchecked) public private(set) var count = 0
    public var vectorColumns: [Int: VectorColumn] { reader.vectorColumns }
    var columnCount: Int { reader.columnCount }
    let reader: RowReader
    @exclusivity(unchecked) private var bytes: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var byteCapacity: Int
    @exclusivity(unchecked) private var used = 0
    private let rowStarts: UnsafeMutablePointer<Int32>
    /// Where each field ends, row-major (`fieldEnds[row * columnCount + column]`); the next field
    /// starts one delimiter later.
    private let fieldEnds: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var lines: [Int]
    private var dateLanes: [Lane?]
    private var textLanes: [TextLane?]
    /// Lanes are worked out once per batch: `filledAt[slot] == generation` when current.
    @exclusivity(unchecked) private var filledAt: [Int]
    @exclusivity(unchecked) public private(set) var generation = 0

    init(importer: TableImporter, delimiter: UInt8, capacity: Int = 1024) {
        reader = RowReader(importer: importer, delimiter: delimiter)
        self.capacity = capacity
        let columns = reader.vectorColumns
        let slots = reader.slotColumns.indices
        dateLanes = slots.map { columns[$0] == .date ? Lane(capacity: capacity) : nil }
        textLanes = slots.map { columns[$0] == .text ? TextLane(capacity: capacity) : nil }
        filledAt = Array(repeating: -1, count: slots.count)
        byteCapacity = capacity * 256
        bytes = .allocate(capacity: byteCapacity)
        rowStarts = .allocate(capacity: capacity)
        fieldEnds = .allocate(capacity: capacity * max(1, reader.columnCount))
        lines = []
        lines.reserveCapacity(capacity)
    }

    deinit {
        bytes.deallocate()
        rowStarts.deallocate()
        fieldEnds.deallocate()
    }

    var isFull: Bool { count == capacity }

    /// Adds a row: its bytes and where each of its `columnCount` fields ends, counted from the row's start.
    func append(_ row: UnsafePointer<UInt8>, length: Int, ends: UnsafePointer<Int32>, line: Int) {
        if used + length > byteCapacity {
            byteCapacity = max(byteCapacity * 2, used + length)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: byteCapacity)
            grown.update(from: bytes, count: used)
            bytes.deallocate()
            bytes = grown
        }
        (bytes + used).update(from: row, count: length)
        rowStarts[count] = Int32(used)
        let out = fieldEnds + count * columnCount
        for c in 0..<columnCount { out[c] = Int32(used) + ends[c] }
        lines.append(line)
        used += length
        count += 1
    }

    /// Empties the batch for the next rows.
    func reset() {
        count = 0
        used = 0
        lines.removeAll(keepingCapacity: true)
        generation += 1
    }

    /// Takes the last row out again, as the importer's row (it may have continuation rows after it).
    func removeLast() -> TableRow {
        let row = TableRow(cells: cells(count - 1), line: lines[count - 1])
        count -= 1
        used = Int(rowStarts[count])
        lines.removeLast()
        generation += 1
        return row
    }

    public func line(at row: Int) -> Int { lines[row] }

    /// The row as a record, exactly as the row-by-row importer reads it.
    public func record(at row: Int) -> Record { reader.record(cells(row), line: lines[row]) }

    /// How to read these fields of a row straight from their cells; nil when one of them is not
    /// a field whose value is its cell's text or date.
    public func readPlan(_ slots: [Int]) -> ReadPlan? {
        var cells: [ReadPlan.Cell] = []
        for slot in slots {
            guard let kind = reader.vectorColumns[slot] else { return nil }
            let column = reader.slotColumns[slot]
            if column >= 0 { cells.append(.init(slot: slot, column: column, kind: kind)) }
        }
        return ReadPlan(cells: cells.sorted { $0.column < $1.column })
    }

    /// One field of a row: from its cell where that is the record's value, else from the record.
    public func value(_ row: Int, slot: Int) -> Value { value(row, reader.field(slot)) }

    /// How to read one field of these rows, worked out once for the many rows it is read from.
    public func field(_ slot: Int) -> RowField { reader.field(slot) }

    public func value(_ row: Int, _ field: RowField) -> Value {
        guard let kind = field.kind else { return record(at: row).values[field.slot] }
        guard field.column >= 0 else { return .null }
        let (start, end) = range(row: row, column: field.column)
        return FlaggedRow.value(UnsafeBufferPointer(start: bytes + start, count: end - start), kind)
    }

    /// The bytes of a text field's cell in row `row` (empty: null), without making a String;
    /// nil when the field is not text read from its cell.
    public func cellText(_ row: Int, _ field: RowField) -> UnsafeBufferPointer<UInt8>? {
        guard field.kind == .text else { return nil }
        guard field.column >= 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        let (start, end) = range(row: row, column: field.column)
        return UnsafeBufferPointer(start: bytes + start, count: end - start)
    }

    /// Where row `row`'s bytes start, and how many there are.
    func span(_ row: Int) -> (start: Int, count: Int) {
        let start = Int(rowStarts[row])
        return (start, Int(fieldEnds[row * columnCount + columnCount - 1]) - start)
    }

    /// Copies row `row` out (for `KeptRows`: the batch itself is reused for the next rows): its
    /// cell ends, from the row's start, and its bytes.
    func copy(_ row: Int, ends: UnsafeMutablePointer<UInt32>, bytes out: UnsafeMutablePointer<UInt8>) {
        let (start, count) = span(row)
        let rowEnds = fieldEnds + row * columnCount
        for c in 0..<columnCount { ends[c] = UInt32(Int(rowEnds[c]) - start) }
        out.update(from: bytes + start, count: count)
    }

    private func range(row: Int, column: Int) -> (start: Int, end: Int) {
        let ends = fieldEnds + row * columnCount
        let start = column == 0 ? Int(rowStarts[row]) : Int(ends[column - 1]) + 1
        return (start, Int(ends[column]))
    }

    private func cells(_ row: Int) -> [String] {
        (0..<columnCount).map { c in
            let (start, end) = range(row: row, column: c)
            return String(decoding: UnsafeBufferPointer(start: bytes + start, count: end - start), as: UTF8.self)
        }
    }

    // MARK: VectorInput

    public func dates(slot: Int) -> Lane {
        let lane = dateLanes[slot]!
        guard let column = columnToFill(slot) else { return lane }
        for r in 0..<count {
            guard column >= 0 else { lane.states[r] = Lane.null; continue }
            let (start, end) = range(row: r, column: column)
            if let day = Day(isoBytes: UnsafeBufferPointer(start: bytes + start, count: end - start)) {
                lane.states[r] = Lane.valid
                lane.values[r] = Int64(day.number)
            } else {
                lane.states[r] = Lane.null      // empty or not a date: null, as `FieldReader` reads it
            }
        }
        return lane
    }

    public func text(slot: Int) -> TextLane {
        let lane = textLanes[slot]!
        lane.base = UnsafePointer(bytes)
        guard let column = columnToFill(slot) else { return lane }
        for r in 0..<count {
            guard column >= 0 else { lane.states[r] = Lane.null; continue }
            let (start, end) = range(row: r, column: column)
            lane.starts[r] = Int32(start)
            lane.lengths[r] = Int32(end - start)
            lane.states[r] = end > start ? Lane.valid : Lane.null
        }
        return lane
    }

    /// The file column of a field (-1: none) when its lane is still to be filled for these rows;
    /// nil when it already is (lanes are filled once per batch, however many rules read them).
    private func columnToFill(_ slot: Int) -> Int? {
        guard filledAt[slot] != generation else { return nil }
        filledAt[slot] = generation
        return reader.slotColumns[slot]
    }
}

/// How a plain table's rows are read back: into records exactly as the importer reads them, or
/// one field at a time straight from the cell, for fields whose value is the cell's text or date.
final class RowReader: Sendable {
    let importer: TableImporter
    let delimiter: UInt8
    let columnCount: Int
    /// Slot → column of the file, or -1 for a field the file has no column for (always null).
    let slotColumns: [Int]
    let vectorColumns: [Int: VectorColumn]

    init(importer: TableImporter, delimiter: UInt8) {
        self.importer = importer
        self.delimiter = delimiter
        let schema = importer.reader.schema
        columnCount = importer.headings.count
        var slotColumns = [Int](repeating: -1, count: schema.fields.count)
        for (column, slot) in importer.columns.enumerated() {
            if let slot { slotColumns[slot] = column }
        }
        // Fields that sections or derivations may fill in are not what the cell says: leave them
        // to records. A plain date's `_text` companion is the same cell as text.
        let derived: Set<String> = ["section", "section_lead", "status_inferred", "baseline", "success_dates", "targets"]
        var columns: [Int: VectorColumn] = [:]
        for (slot, field) in schema.fields.enumerated() where field.reading == .plain && !derived.contains(field.name) {
            if field.isCompanion {
                guard field.name.hasSuffix("_text"), let owner = schema.slot(of: String(field.name.dropLast(5))),
                      schema.fields[owner].reading == .plain, schema.fields[owner].type == .date else { continue }
                slotColumns[slot] = slotColumns[owner]
                columns[slot] = .text
            } else if field.type == .date {
                columns[slot] = .date
            } else if field.type == .string {
                columns[slot] = .text
            }
        }
        self.slotColumns = slotColumns
        vectorColumns = columns
    }

    func field(_ slot: Int) -> RowField { RowField(slot: slot, column: slotColumns[slot], kind: vectorColumns[slot]) }

    func record(_ cells: [String], line: Int) -> Record {
        // Batches hold only rows whose mapped cells are plain text or dates (`PlainTableScanner`),
        // which cannot fail to read; the fallback is never taken.
        (try? importer.makeRecord(cells: cells, raw: cells, row: TableRow(cells: cells, line: line)))
            ?? Record(values: importer.reader.emptyValues, source: SourceLocation(file: importer.file, line: line))
    }
}

/// How one field of a plain table's rows is read: from its cell (none: always null) where that
/// is the record's value, else from the whole record.
public struct RowField: Sendable {
    public let slot: Int
    /// The file's column, or -1 when the file has none for the field (always null).
    public let column: Int
    /// How the cell alone gives the value; nil when the record must be read.
    public let kind: VectorColumn?
}

/// A field of a kept row as its cell says it (what `FlaggedRow.value` gives, before a String
/// or `Value` is made of it): text, or a date, whose cell is then `YYYY-MM-DD` exactly. Points
/// into the row's bytes.
public enum CellValue {
    case null
    case text(UnsafeBufferPointer<UInt8>)
    case date(UnsafeBufferPointer<UInt8>)

    public var value: Value {
        switch self {
        case .null: return .null
        case .text(let bytes): return .string(String(decoding: bytes, as: UTF8.self))
        case .date(let bytes): return Day(isoBytes: bytes).map(Value.date) ?? .null
        }
    }
}

/// Which cells hold some fields of a plain table's rows, in column order (see `RowBatch.readPlan`).
public struct ReadPlan: Sendable {
    public struct Cell: Sendable {
        var slot: Int
        var column: Int
        var kind: VectorColumn
    }
    public let cells: [Cell]
}

/// The rows of a table part that have findings, kept for their reports: each row's cell ends
/// and bytes, packed into large blocks (a national extract keeps about a million such rows, and
/// one allocation each cost more than copying them). Filled by one engine while it checks;
/// only read, from any thread, once its findings are shared.
public final class KeptRows: @unchecked Sendable {
    let reader: RowReader
    // Filled by one thread (see above): no run-time exclusivity checks for each row kept.
    @exclusivity(unchecked) private var blocks: [UnsafeMutableRawPointer] = []
    @exclusivity(unchecked) private var free = 0, left = 0
    private static let blockSize = 1 << 20

    public init(_ batch: RowBatch) { reader = batch.reader }

    deinit { for block in blocks { block.deallocate() } }

    /// Row `row` of `batch` (one read by this part's reader), kept.
    public func keep(_ batch: RowBatch, _ row: Int) -> FlaggedRow {
        assert(batch.reader === reader, "rows are read back with the reader of the batch they came from")
        let columns = reader.columnCount
        let count = batch.span(row).count
        let size = (columns * 4 + count + 3) & ~3      // keeps the next row's ends aligned
        if size > left {
            let block = UnsafeMutableRawPointer.allocate(byteCount: max(size, Self.blockSize), alignment: 4)
            blocks.append(block)
            (free, left) = (0, max(size, Self.blockSize))
        }
        let at = blocks[blocks.count - 1] + free
        (free, left) = (free + size, left - size)
        let ends = at.bindMemory(to: UInt32.self, capacity: columns)
        batch.copy(row, ends: ends, bytes: (at + columns * 4).assumingMemoryBound(to: UInt8.self))
        return FlaggedRow(ends: UnsafePointer(ends), line: batch.line(at: row), columns: columns, rows: self)
    }
}

/// A batch row kept for the findings it has, in `KeptRows`: only its bytes and where its cells
/// end, read again when a report asks. Valid while its `KeptRows` is (findings hold that).
public struct FlaggedRow: @unchecked Sendable {
    /// Where each cell ends, from the start of the row's bytes, which follow.
    private let ends: UnsafePointer<UInt32>
    /// The line, and the number of cells: kept here, so that reading a cell touches no object
    /// (writers read the cells of millions of rows on every core at once).
    private let lineNumber: Int32, columns: Int32
    private unowned(unsafe) let rows: KeptRows

    init(ends: UnsafePointer<UInt32>, line: Int, columns: Int, rows: KeptRows) {
        self.ends = ends
        lineNumber = Int32(clamping: line)
        self.columns = Int32(columns)
        self.rows = rows
    }

    public var line: Int { Int(lineNumber) }
    private var reader: RowReader { rows.reader }
    private var bytes: UnsafePointer<UInt8> { UnsafeRawPointer(ends + Int(columns)).assumingMemoryBound(to: UInt8.self) }

    public var file: String { reader.importer.file }

    /// The text of cell `column`, as bytes.
    public func cell(_ column: Int) -> UnsafeBufferPointer<UInt8> {
        let start = column == 0 ? 0 : Int(ends[column - 1]) + 1
        return UnsafeBufferPointer(start: bytes + start, count: Int(ends[column]) - start)
    }

    public func record() -> Record {
        reader.record((0..<Int(columns)).map { String(decoding: cell($0), as: UTF8.self) }, line: line)
    }

    /// The value of one field, read from its cell alone where that gives the record's value.
    public func value(_ field: RowField) -> Value {
        guard let kind = field.kind else { return record().values[field.slot] }
        return field.column >= 0 ? Self.value(cell(field.column), kind) : .null
    }

    /// The bytes of a text field's cell (empty: null), without making a String; nil when the
    /// field is not text read from its cell.
    public func text(_ field: RowField) -> UnsafeBufferPointer<UInt8>? {
        guard field.kind == .text else { return nil }
        return field.column >= 0 ? cell(field.column) : UnsafeBufferPointer(start: nil, count: 0)
    }

    /// A field as its cell says it, without making a String or `Value`; nil when the field is
    /// not one read from its cell alone.
    public func cellValue(_ field: RowField) -> CellValue? {
        guard let kind = field.kind else { return nil }
        guard field.column >= 0 else { return .null }
        let text = cell(field.column)
        switch kind {
        case .text: return text.isEmpty ? .null : .text(text)
        case .date: return Day(isoBytes: text) == nil ? .null : .date(text)
        }
    }

    /// The record's values of the fields of a plan's cells (`slots` fields in all; the others
    /// null), into an array reused from row to row, without allocating once it has the record's
    /// size. `previous` are the cells the array was last read with: only their slots are reset
    /// (nil: the array may hold anything). The cells are laid out by the caller, which reads rows
    /// on every core at once: nothing here counts a reference to what they share.
    public func read(cells: UnsafeBufferPointer<ReadPlan.Cell>, slots count: Int, into values: inout [Value],
                     after previous: UnsafeBufferPointer<ReadPlan.Cell>?) {
        if values.count != count {
            // Not `repeating:`, which for an enum this size cost more than reading the cells.
            values = [Value](unsafeUninitializedCapacity: count) { slots, initialized in
                for i in 0..<count { (slots.baseAddress! + i).initialize(to: .null) }
                initialized = count
            }
        } else if let previous {
            for cell in previous { values[cell.slot] = .null }
        } else {
            for i in 0..<count { values[i] = .null }
        }
        values.withUnsafeMutableBufferPointer { values in
            for cell in cells { values[cell.slot] = Self.value(self.cell(cell.column), cell.kind) }
        }
    }

    /// A cell's value as a field of `kind` reads it: empty is null, and so is text that is not a date.
    static func value(_ cell: UnsafeBufferPointer<UInt8>, _ kind: VectorColumn) -> Value {
        guard !cell.isEmpty else { return .null }
        switch kind {
        case .date: return Day(isoBytes: cell).map(Value.date) ?? .null
        case .text: return .string(String(decoding: cell, as: UTF8.self))
        }
    }
}
