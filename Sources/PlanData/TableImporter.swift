import Foundation
import Expressions

/// One row of a table as read from CSV, TSV or a worksheet.
public struct TableRow: Sendable {
    public var cells: [String]
    /// Line in a text file (1-based), or row in a sheet.
    public var line: Int
    /// Set for workbooks.
    public var sheet: String?

    public init(cells: [String], line: Int, sheet: String? = nil) {
        self.cells = cells
        self.line = line
        self.sheet = sheet
    }

    func location(file: String, column: Int = 0) -> SourceLocation {
        guard let sheet else { return SourceLocation(file: file, line: line) }
        return SourceLocation(file: file, line: line, sheet: sheet, cell: TableRow.columnName(column) + String(line))
    }

    static func columnName(_ index: Int) -> String {
        var n = index + 1, name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }
}

/// Every row of a table, accounted for.
public struct PlanTally: Sendable {
    public struct Row: Sendable {
        public var location: String
        public var text: String
        public var reason: String?
    }

    public var records = 0
    public var headerRows = 0
    public var sectionRows = 0
    public var continuationRows = 0
    public var blankRows = 0
    /// Page furniture: repeated titles, column-letter rows (A B C …), a legend after the table.
    public var titleRows = 0
    public var columnLetterRows = 0
    public var legendRows = 0
    public var skipped: [Row] = []
    /// Section rows with their full text (other cells included), so nothing in them is lost.
    public var sections: [Row] = []
    /// Headings that map to no field; their text is kept in each record's extras.
    public var unmappedColumns: [String] = []
    /// Refs used by more than one record.
    public var duplicateRefs: [String] = []

    public init() {}

    public var totalRows: Int {
        records + headerRows + sectionRows + continuationRows + blankRows + titleRows + columnLetterRows + legendRows + skipped.count
    }
}

/// Finds the plan table in rows as real exports give them: title rows, a header row matched by
/// known headings and synonyms, repeated page headers, column-letter rows, section rows that set
/// the section of the records after them, continuation rows split off by page breaks (merged into
/// the record above) and a legend after the table. Rows stream through with one record of
/// look-ahead, so large files are never held whole.
struct TableImporter: Sendable {
    let file: String
    let reader: FieldReader
    let profile: PlanProfile
    private var schema: CollectionSchema { reader.schema }

    private(set) var tally = PlanTally()
    private(set) var planName: String?
    private(set) var columns: [Int?] = []     // column index → schema slot
    private(set) var headings: [String] = []
    private var titles: Set<String> = []
    private var section: String?
    private var sectionLead: String?
    private var inLegend = false
    private var pending: (cells: [String], raw: [String], row: TableRow)?

    /// Normalised field names and synonyms → slot, built once.
    private let headingSlots: [String: Int]

    init(file: String, reader: FieldReader, profile: PlanProfile = PlanProfile()) {
        self.file = file
        self.reader = reader
        self.profile = profile
        var slots: [String: Int] = [:]
        for (slot, f) in reader.schema.fields.enumerated() where !f.isCompanion {
            for name in [f.name] + f.aliases where slots[Self.normalise(name)] == nil {
                slots[Self.normalise(name)] = slot
            }
        }
        headingSlots = slots
    }

    var refColumn: Int? { columns.firstIndex { $0 == schema.slot(of: schema.key) } }

    /// Feeds one row; calls `emit` for each record completed.
    mutating func add(_ row: TableRow, _ emit: (Record) throws -> Void) throws {
        let raw = row.cells
        let cells = raw.map(CellText.clean)
        let filled = cells.indices.filter { !cells[$0].isEmpty }
        let loc = row.location(file: file).description
        if filled.isEmpty { tally.blankRows += 1; return }
        if filled.count >= 3, filled.enumerated().allSatisfy({ cells[$0.element] == TableRow.columnName($0.offset) }) {
            tally.columnLetterRows += 1
            return
        }
        let single = filled.count == 1 ? cells[filled[0]] : nil
        let first = cells[filled[0]]
        if columns.isEmpty {
            if let mapping = headerMapping(cells, line: row.line), profile.headerRow.map({ $0 == row.line }) ?? true {
                columns = mapping
                headings = cells
                tally.headerRows += 1
                tally.unmappedColumns = zip(cells, mapping).filter { $0.1 == nil && !$0.0.isEmpty }.map(\.0)
                return
            }
        } else if zip(cells, headings).contains(where: { !$0.0.isEmpty && $0.0 == $0.1 }), headerMapping(cells) != nil {
            // Only rows repeating at least one heading word for word can be a repeated page header.
            tally.headerRows += 1
            return
        }
        if let single, titles.contains(single) { tally.titleRows += 1; return }
        if let single, ["key", "legend", "key:", "legend:"].contains(single.lowercased()) {
            try flush(emit)
            inLegend = true
            tally.legendRows += 1
            return
        }
        if let single, inLegend || (single.hasPrefix("**") && single.range(of: #"^\*\*[^*]+:?\*\*"#, options: .regularExpression) != nil) {
            tally.legendRows += 1
            return
        }
        if Self.isSectionLabel(first) {
            try flush(emit)
            section = filled.map { cells[$0] }.joined(separator: ": ")
            sectionLead = nil
            noteSection(row, cells, filled)
            return
        }
        // A label is short: long text is never one, and is not normalised once per alias (that made
        // a row of one 100 MB cell take over a minute).
        if filled.count <= 2, first.utf8.count <= 100, let slot = schema.slot(of: schema.ownerField ?? ""),
           case let label = Self.normalise(first),
           schema.fields[slot].aliases.contains(where: { Self.normalise($0) == label }) || label == "lead" {
            // "Lead  Charlotte Finch (Head of SEND)" under a priority: the section's lead.
            sectionLead = filled.dropFirst().map { cells[$0] }.joined(separator: "; ")
            noteSection(row, cells, filled)
            return
        }
        if columns.isEmpty {
            // Before the header: a lone cell is the plan's title, anything else is noted and skipped.
            if let single {
                titles.insert(single)
                planName = planName ?? single
                tally.titleRows += 1
            } else {
                tally.skipped.append(.init(location: loc, text: filled.map { cells[$0] }.joined(separator: " | "), reason: "before the header row"))
            }
            return
        }
        let refText = refColumn.map { $0 < cells.count ? cells[$0] : "" } ?? ""
        let otherContent = filled.contains { $0 != refColumn && $0 < columns.count && columns[$0] != nil }
        if !refText.isEmpty, !refText.hasPrefix("["), Refs.looksLikeRef(refText), otherContent {
            try flush(emit)
            pending = (cells, raw, row)
            return
        }
        if refText.isEmpty || refText.hasPrefix("[") {
            guard var p = pending else {
                tally.skipped.append(.init(location: loc, text: filled.map { cells[$0] }.joined(separator: " | "),
                                           reason: "continuation row with no record above it"))
                return
            }
            // A page break split the record above: join each cell's text back on.
            for i in filled {
                while p.cells.count <= i { p.cells.append(""); p.raw.append("") }
                p.cells[i] = p.cells[i].isEmpty ? cells[i] : p.cells[i] + " " + cells[i]
                p.raw[i] = p.raw[i].isEmpty ? raw[i] : p.raw[i] + " " + raw[i]
            }
            pending = p
            tally.continuationRows += 1
            return
        }
        let core = ["action", schema.ownerField ?? "", "due"].compactMap { schema.slot(of: $0) }
        let hasCore = filled.contains { $0 < columns.count && columns[$0].map(core.contains) == true }
        if !hasCore {
            // "1.1 Improved timeliness of EHC Plans", "PAP 1", "Community Paediatrics": sets the section.
            // A sub-section keeps the lead of the priority it sits under.
            try flush(emit)
            section = refText.isEmpty ? first : refText
            noteSection(row, cells, filled)
            return
        }
        // A row with content but prose in the ref column: kept as a record, never dropped.
        try flush(emit)
        pending = (cells, raw, row)
    }

    /// Keeps the header and section state but zeroes the counts, for a part read after the first.
    mutating func resetCounts() {
        let unmapped = tally.unmappedColumns
        tally = PlanTally()
        tally.unmappedColumns = unmapped
    }

    mutating func finish(_ emit: (Record) throws -> Void) throws {
        try flush(emit)
    }

    private mutating func noteSection(_ row: TableRow, _ cells: [String], _ filled: [Int]) {
        tally.sectionRows += 1
        tally.sections.append(.init(location: row.location(file: file).description, text: filled.map { cells[$0] }.joined(separator: " | ")))
    }

    mutating func flush(_ emit: (Record) throws -> Void) throws {
        guard let p = pending else { return }
        pending = nil
        inLegend = false
        let record = try makeRecord(cells: p.cells, raw: p.raw, row: p.row)
        tally.records += 1
        try emit(record)
    }

    /// Counts `n` records emitted by a batch (see `PlainTableScanner`) as this importer's own.
    mutating func countBatchRecords(_ n: Int) {
        guard n > 0 else { return }
        tally.records += n
        inLegend = false
    }

    /// A record from a row's cleaned and raw cells, with the section it sits in.
    func makeRecord(cells: [String], raw: [String], row: TableRow) throws -> Record {
        var record = Record(values: reader.emptyValues, source: row.location(file: file))
        for (i, text) in cells.enumerated() where !text.isEmpty {
            if i < columns.count, let slot = columns[i] {
                do {
                    try reader.assign(text, to: slot, in: &record.values)
                } catch {
                    let where_ = row.location(file: file, column: i)
                    throw PlanError(file: file, line: row.line, column: row.sheet == nil ? i + 1 : nil,
                                    "\(where_.cell.map { "cell \($0), " } ?? "")\(headings[i]): \(error.message)")
                }
                if raw[i] != text { record.originals.append((schema.fields[slot].name, raw[i])) }
            } else {
                record.extras.append((i < headings.count && !headings[i].isEmpty ? headings[i] : "column \(TableRow.columnName(i))", text))
            }
        }
        if let s = schema.slot(of: "section"), record.values[s].isNull, let section { record.values[s] = .string(section) }
        if let s = schema.slot(of: "section_lead"), record.values[s].isNull, let sectionLead { record.values[s] = .string(sectionLead) }
        Derivations.apply(to: &record.values, schema)
        return record
    }

    // MARK: recognising rows

    /// The column → field mapping when this row is a header: at least three headings (or all, for
    /// narrow tables) name fields, and they are most of the row's filled cells.
    func headerMapping(_ cells: [String], line: Int? = nil) -> [Int?]? {
        var taken = Set<Int>()
        var mapping: [Int?] = []
        var filled = 0, mapped = 0
        for (index, cell) in cells.enumerated() {
            // A profile may name columns by letter, on its `header-row`; those count even when the heading is blank.
            let byLetter = line != nil && line == profile.headerRow
                ? profile.columns[TableRow.columnName(index)].flatMap(schema.slot(of:)) : nil
            guard !cell.isEmpty || byLetter != nil else { mapping.append(nil); continue }
            filled += 1
            if let slot = byLetter ?? slot(forHeading: cell), !taken.contains(slot) {
                taken.insert(slot)
                mapping.append(slot)
                mapped += 1
            } else {
                mapping.append(nil)
            }
        }
        if !profile.columns.isEmpty {
            // With an explicit layout, the header is the row where most named columns appear.
            guard mapped >= min(2, profile.columns.count) else { return nil }
            return mapping
        }
        guard mapped >= max(2, min(3, filled)), mapped * 10 >= filled * 6 else { return nil }
        return mapping
    }

    private func slot(forHeading heading: String) -> Int? {
        if let field = profile.columns[PlanProfile.key(heading)] { return schema.slot(of: field) }
        if let slot = headingSlots[Self.normalise(heading)] { return slot }
        guard heading.contains("(") else { return nil }
        // "Actions (what we will do)": try again without the bracketed hint.
        return headingSlots[Self.normalise(heading.replacingOccurrences(of: #"\([^)]*\)"#, with: " ", options: .regularExpression))]
    }

    static func normalise(_ heading: String) -> String {
        heading.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: " ")
    }

    /// "Priority 1", "Priority area 2: …", "PAP 1", "Workstream 3", "Theme 4".
    static func isSectionLabel(_ text: String) -> Bool {
        // Cheap test first: this runs on every row of files with a million rows.
        guard let first = text.utf8.first, [UInt8(ascii: "p"), UInt8(ascii: "w"), UInt8(ascii: "t"), UInt8(ascii: "s"), UInt8(ascii: "o")]
            .contains(first | 0x20) else { return false }
        return text.range(of: #"^(priority( area)?|workstream|theme|strand|pap|objective)\s+\d+[a-z]?(\s*[:\-–]\s+.*)?$"#,
                   options: [.regularExpression, .caseInsensitive]) != nil
    }
}
