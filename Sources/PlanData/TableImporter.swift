import Foundation
import Expressions
import Timescales

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
        public var kind: String?

        public init(location: String, text: String, reason: String? = nil, kind: String? = nil) {
            self.location = location
            self.text = text
            self.reason = reason
            self.kind = kind
        }
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
    /// For unmapped headings close to a field's name or synonym: "did you mean 'owner', read as owners?".
    public var headingHints: [String: String] = [:]
    /// Refs used by more than one record.
    public var duplicateRefs: [String] = []
    /// Rows that belong to no record, each with its kind ("separator row", "label row", "note",
    /// "table row" of another table, …), location and the rule that read it so.
    public var other: [Row] = []
    /// Every table found: its header's location and headings; `reason` says whether it was read.
    public var tables: [Row] = []
    /// Owner names in the plan that may be spellings of one person ("Steve Larking", "Steven Larking").
    public var similarOwners: [[String]] = []
    /// `plan show --explain-row N`: how that row was read.
    public var explanation: String?
    /// Where the plan says what date its ratings are as at ("accurate as at 1 March 2024"), and
    /// the date read there; records after such a row take it as `rated_on`.
    public var asAt: [(row: Row, day: Day)] = []
    /// For XML returns: every element read, by name, with how many of each (in order of first
    /// appearance), so that a reader can account for the whole file as the row counts do for tables.
    public var elements: [(name: String, count: Int)] = []
    /// For XML returns: what the header says of the return (collection, year, reference date, source).
    public var returnHeader: String?
    /// For XML returns: problems with items (unknown elements, codes, dates), each with its
    /// location and path; those inside a request are also on its record, for rules to report.
    public var itemProblems: [Row] = []

    /// The kinds of `other` rows with how many of each, in order of first appearance.
    public var otherKinds: [(kind: String, count: Int)] {
        var order: [String] = [], counts: [String: Int] = [:]
        for r in other {
            let k = r.kind ?? "other"
            if counts[k] == nil { order.append(k) }
            counts[k, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    public init() {}

    /// The counts by category, as the JSON of `plan show` and `check` name them; they add up to `rows`.
    public var counts: [(name: String, count: Int)] {
        [("rows", totalRows), ("records", records), ("header_rows", headerRows), ("section_rows", sectionRows),
         ("continuation_rows", continuationRows), ("blank_rows", blankRows), ("title_rows", titleRows),
         ("column_letter_rows", columnLetterRows), ("legend_rows", legendRows), ("other_rows", other.count)]
    }

    public var totalRows: Int {
        records + headerRows + sectionRows + continuationRows + blankRows + titleRows + columnLetterRows + legendRows
            + skipped.count + other.count
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
    var schema: CollectionSchema { reader.schema }

    private(set) var tally = PlanTally()
    private(set) var planName: String?
    private(set) var columns: [Int?] = []     // column index → schema slot
    private(set) var headings: [String] = []
    private var titles: Set<String> = []
    private var section: String?
    private var sectionLead: String?
    private var inLegend = false
    private var pending: (cells: [String], raw: [String], row: TableRow)?
    /// The ref a pending record takes from its action text or from the merged ref cell above it.
    private var pendingRef: OwnRef?
    typealias OwnRef = (ref: String?, parent: String?, why: String)
    /// The ref cell of the last record row and how many rows share it (merged cells).
    private var group: (text: String, count: Int)?
    /// A header, separator or page number came since the last record: a ref-less row now is the
    /// tail of a record split by the page break.
    private var afterPageBreak = false
    /// The last rows formed a label box or a note, which a ref-less row continues.
    private enum Block { case label, note }
    private var block: Block?
    /// Set while inside a table that is not an action table: its header, shortened.
    private var otherTable: String?
    private var tableLine = 0
    /// The date the ratings of the rows that follow are as at (see `AsAtDate`).
    var asAt: Day?
    /// `plan show --explain-row N`: the line whose reading is written to the tally.
    var explainLine: Int?
    private var explaining = false
    private var explainedRow = ""
    /// Until an action table is found: the row whose headings name the most fields, and the most
    /// cells any row has, for the error when there is none (`noActionTable`).
    private(set) var nearestHeader: (line: Int, location: String, cells: [String], mapping: [Int?])?
    private(set) var widestRow = 0
    private(set) var rowsBeforeTable = 0, singleCellRows = 0

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
        explaining = explainLine == row.line
        if explaining { explainedRow = row.sheet.map { "row \(row.line) of sheet '\($0)'" } ?? "line \(row.line)" }
        let texts = filled.map { cells[$0] }
        if filled.isEmpty {
            tally.blankRows += 1
            explain("blank: no text in any cell")
            return
        }
        if filled.count <= 2 { noteAsAt(texts.joined(separator: " "), loc) }
        if columns.isEmpty { noteNearestHeader(cells, filled, row) }
        if filled.count >= 3, filled.enumerated().allSatisfy({ cells[$0.element] == TableRow.columnName($0.offset) }) {
            tally.columnLetterRows += 1
            explain("column letters: the cells read A, B, C … in order")
            return
        }
        if RowShape.isSeparator(texts) {
            other(loc, "separator row", texts, "every cell is a run of dashes (a Markdown table's separator)")
            afterPageBreak = true
            return
        }
        let single = filled.count == 1 ? cells[filled[0]] : nil
        let first = cells[filled[0]]
        if let header = headerCandidate(cells, line: row.line) {
            try startTable(header, cells: cells, row: row, emit)
            return
        }
        if let single, RowShape.isPageNumber(single) {
            other(loc, "page number", texts, "a lone number between rows (page furniture)")
            afterPageBreak = true
            return
        }
        if let single, titles.contains(single) {
            tally.titleRows += 1
            explain("title: repeats the plan's title")
            return
        }
        if let single, ["key", "legend", "key:", "legend:"].contains(single.lowercased()) {
            try flush(emit)
            inLegend = true
            tally.legendRows += 1
            explain("legend: the word '\(single)' opens the status legend")
            return
        }
        let boldLabel = #"^\*\*[^*]+:?\*\*"#
        if let single,
           inLegend || (single.hasPrefix("**") && single.range(of: boldLabel, options: .regularExpression) != nil)
            || filled[0] == 0 && RowShape.isLegendLine(single) && !RowShape.isNote(single) {
            tally.legendRows += 1
            explain("legend: a status word, a colon and its meaning")
            return
        }
        if Self.isSectionLabel(first) {
            try flush(emit)
            section = filled.map { cells[$0] }.joined(separator: ": ")
            sectionLead = nil
            noteSection(row, cells, filled, "a section label ('Priority 1', 'PAP 2', 'Workstream 3') in the first cell")
            return
        }
        // A label is short: long text is never one, and is not normalised once per alias (that made
        // a row of one 100 MB cell take over a minute).
        if filled.count <= 2, first.utf8.count <= 100, let slot = schema.slot(of: schema.ownerField ?? ""),
           case let label = Self.normalise(first),
           schema.fields[slot].aliases.contains(where: { Self.normalise($0) == label }) || label == "lead" {
            // "Lead  Charlotte Finch (Head of SEND)" under a priority: the section's lead.
            sectionLead = filled.dropFirst().map { cells[$0] }.joined(separator: "; ")
            noteSection(row, cells, filled, "'\(first)' beside names: the lead of the section")
            return
        }
        if let single, RowShape.isNote(single) {
            other(loc, "note", texts, "a cell starting 'Note'")
            block = .note
            return
        }
        if columns.isEmpty || otherTable != nil {
            try addOutsideActionTable(row, cells, filled, single, loc, emit)
            return
        }
        let refText = refColumn.map { $0 < cells.count ? cells[$0] : "" } ?? ""
        let contentColumns = filled.filter { $0 != refColumn && $0 < columns.count && columns[$0] != nil }
        let otherContent = !contentColumns.isEmpty
        if !refText.isEmpty, !refText.hasPrefix("["), Refs.looksLikeRef(refText), otherContent {
            try flush(emit)
            group = (refText, 1)
            pending = (cells, raw, row)
            explain("record: the ref column holds '\(refText)', which looks like a ref, and other mapped columns"
                    + " have text (action table headed at line \(tableLine))")
            lastWasRecord()
            return
        }
        if refText.isEmpty || refText.hasPrefix("[") {
            if let single, filled[0] == 0, RowShape.isProse(single), contentColumns.isEmpty {
                other(loc, "note", texts, "one long cell of prose in the first column, beside no other column")
                block = .note
                return
            }
            if block != nil, refText.isEmpty {
                // The value of a label row (an impact-measure box) carried on to the next line.
                let kind = block == .label ? "label row (continued)" : "note (continued)"
                let above = block == .label ? "label row" : "note"
                other(loc, kind, texts, "no ref, directly under a \(above): part of it")
                return
            }
            if let p = pending, refText.isEmpty, let subRef = subRecordRef(cells, filled, pending: p) {
                try flush(emit)
                pending = (cells, raw, row)
                pendingRef = subRef
                explain("record: no ref of its own, but \(subRef.why), so it is an action of its own under "
                        + "'\(subRef.parent ?? "")' (a merged ref cell), not the rest of the row above")
                lastWasRecord()
                return
            }
            guard var p = pending else {
                tally.skipped.append(.init(location: loc, text: texts.joined(separator: " | "),
                                           reason: "continuation row with no record above it"))
                explain("skipped: no ref and no record above it to continue")
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
            explain("continuation: no ref of its own, so the rest of the record at line \(p.row.line), split by a"
                    + " page break (merged into it cell by cell)")
            afterPageBreak = false
            return
        }
        let core = ["action", schema.ownerField ?? "", "due"].compactMap { schema.slot(of: $0) }
        let hasCore = filled.contains { $0 < columns.count && columns[$0].map(core.contains) == true }
        if !hasCore, filled.count <= 2, !refText.hasSuffix(":"),
           RowShape.isHeading(refText) || filled.count == 1 && RowShape.isNumberedHeading(refText) {
            // "1.1 Improved timeliness of EHC Plans", "PAP 1", "Community Paediatrics": sets the section.
            // A sub-section keeps the lead of the priority it sits under.
            try flush(emit)
            section = refText
            noteSection(row, cells, filled, "a short heading in the ref column with no action, owner or due date")
            return
        }
        // Text in the ref column that is not a ref: a label beside a value (an impact-measure box),
        // or prose. Never a record.
        try flush(emit)
        if RowShape.isLabel(refText) || !RowShape.isProse(refText) && filled.count >= 2 {
            other(loc, "label row", texts,
                  "the ref column holds the label '\(refText)', not a ref (a box of the document)")
            block = .label
        } else {
            other(loc, "note", texts, "the ref column holds prose, not a ref")
            block = .note
        }
    }

    /// Keeps the row whose short cells name the most fields, while no action table has been found.
    private mutating func noteNearestHeader(_ cells: [String], _ filled: [Int], _ row: TableRow) {
        widestRow = max(widestRow, filled.count)
        rowsBeforeTable += 1
        if filled.count == 1 { singleCellRows += 1 }
        var taken = Set<Int>()
        var mapping = [Int?](repeating: nil, count: cells.count)
        for i in filled where cells[i].count <= 60 {
            if let slot = slot(forHeading: cells[i]), taken.insert(slot).inserted { mapping[i] = slot }
        }
        // More headings naming fields first; of equals, the row with more cells (a header, not a title).
        let best = nearestHeader.map { ($0.mapping.compactMap { $0 }.count, $0.cells.filter { !$0.isEmpty }.count) }
        guard !taken.isEmpty, best.map({ (taken.count, filled.count) > $0 }) ?? true else { return }
        nearestHeader = (row.line, row.location(file: file).description, cells, mapping)
    }

    /// Rows before the first action table, and rows of tables that are not action tables.
    private mutating func addOutsideActionTable(_ row: TableRow, _ cells: [String], _ filled: [Int], _ single: String?,
                                                _ loc: String, _ emit: (Record) throws -> Void) throws {
        let texts = filled.map { cells[$0] }
        if let otherTable {
            if let single, filled[0] == 0, RowShape.isHeading(single) {
                // A heading after a table ends it: "P1 Enabling Inclusion in Education".
                self.otherTable = nil
                heading(row, single, loc)
                return
            }
            other(loc, "table row", texts,
                  "a row of the table headed '\(otherTable)' at line \(tableLine), which is not an action table")
            return
        }
        if let single {
            if planName == nil, !RowShape.isProse(single) {
                titles.insert(single)
                planName = single
                tally.titleRows += 1
                explain("title: the first short line before any table names the plan")
            } else if titles.contains(single) {
                tally.titleRows += 1
                explain("title: repeats the plan's title")
            } else if AsAtDate.date(in: single) != nil {
                // "RAG ratings accurate as at 1 March 2024": a dated line of the title, not a section.
                tally.titleRows += 1
                explain("title: says the date the plan's ratings are as at")
            } else if RowShape.isProse(single) {
                other(loc, "prose", texts, "a paragraph of the document, outside any table")
            } else {
                heading(row, single, loc)
            }
            return
        }
        if filled.count == 2, filled[0] == 0, RowShape.isLabel(cells[0]) {
            other(loc, "label row", texts, "a label beside its text (a box of the document), outside any table")
            block = .label
            return
        }
        tally.skipped.append(.init(location: loc, text: texts.joined(separator: " | "),
                                   reason: "before the header row"))
        explain("skipped: before the first header row, and neither a title, a heading nor a label")
    }

    /// A heading outside a table sets the section of the records after it.
    private mutating func heading(_ row: TableRow, _ text: String, _ loc: String) {
        section = text
        sectionLead = nil
        tally.sectionRows += 1
        tally.sections.append(.init(location: loc, text: text))
        explain("section: a short heading on its own line, outside a table; it names the section of the records"
                + " after it")
        block = nil
    }

    /// A header row: of an action table (its columns map to a ref or action and to at least two of
    /// action, owner and due date), or of another table, whose rows are then tallied, not read.
    private mutating func startTable(_ header: (mapping: [Int?], isAction: Bool), cells: [String], row: TableRow,
                                     _ emit: (Record) throws -> Void) throws {
        let loc = row.location(file: file).description
        let joined = cells.filter { !$0.isEmpty }.joined(separator: " | ")
        block = nil
        afterPageBreak = true
        if header.isAction {
            if !columns.isEmpty, otherTable == nil, header.mapping == columns {
                tally.headerRows += 1
                explain("header: repeats the header of the action table at line \(tableLine) (a page header)")
                return
            }
            try flush(emit)
            for cell in cells where !cell.isEmpty { noteAsAt(cell, loc) }
            let first = columns.isEmpty
            columns = header.mapping
            headings = cells
            otherTable = nil
            tableLine = row.line
            tally.headerRows += 1
            let unmapped = zip(cells, header.mapping).filter { $0.1 == nil && !$0.0.isEmpty }.map(\.0)
            for u in unmapped where !tally.unmappedColumns.contains(u) {
                tally.unmappedColumns.append(u)
                if let hint = hint(forHeading: u, in: cells, header.mapping) { tally.headingHints[u] = hint }
            }
            tally.tables.append(.init(location: loc, text: joined, reason: "action table"))
            explain("header: its headings map to fields (" + mappedNames(cells, header.mapping) + "); "
                    + (first ? "the first action table" : "a new action table with other columns"))
            return
        }
        try flush(emit)
        otherTable = joined.count > 60 ? String(joined.prefix(57)) + "…" : joined
        tableLine = row.line
        tally.tables.append(.init(location: loc, text: joined, reason: "not an action table: no "
                                  + missingCore(header.mapping).joined(separator: ", ") + " column"))
        other(loc, "header of another table", cells.filter { !$0.isEmpty },
              "its headings name a table whose columns give no "
                + missingCore(header.mapping).joined(separator: " or "))
    }

    func mappedNames(_ cells: [String], _ mapping: [Int?]) -> String {
        zip(cells, mapping).compactMap { c, m in m.map { "'\(c)' → \(schema.fields[$0].name)" } }
            .joined(separator: ", ")
    }

    /// Of action, owners and due, the fields a header's columns do not give.
    func missingCore(_ mapping: [Int?]) -> [String] {
        ["action", schema.ownerField ?? "owners", "due"].filter { name in
            guard let slot = schema.slot(of: name) else { return false }
            return !mapping.contains(slot)
        }
    }

    /// Whether a row without a ref is an action of its own under a merged ref cell: its action
    /// begins with a ref, or it has its own due date or owner where the record above has one too
    /// and no page break lies between them (a page break's tail continues the record above).
    private mutating func subRecordRef(_ cells: [String], _ filled: [Int],
                                       pending p: (cells: [String], raw: [String], row: TableRow)) -> OwnRef? {
        func column(_ field: String?) -> Int? { field.flatMap(schema.slot(of:)).flatMap { columns.firstIndex(of: $0) } }
        func cell(_ field: String?) -> String { column(field).map { $0 < cells.count ? cells[$0] : "" } ?? "" }
        func above(_ field: String?) -> String { column(field).map { $0 < p.cells.count ? p.cells[$0] : "" } ?? "" }
        let parent = group?.text
        if let own = RowShape.leadingRef(cell("action")) {
            return (own, parent, "its action text starts with its own ref '\(own)'")
        }
        guard let group else { return nil }
        let due = !cell("due").isEmpty && !above("due").isEmpty
        let owner = !cell(schema.ownerField).isEmpty && !above(schema.ownerField).isEmpty
        let action = !cell("action").isEmpty && !above("action").isEmpty
        // After a page break, the tail of a split row starts mid-sentence ("improve the experience …").
        let startsAnew = cell("action").first.map { $0.isUppercase || $0.isNumber } ?? false
        guard due || owner && action && (!afterPageBreak || startsAnew) else { return nil }
        self.group = (group.text, group.count + 1)
        return ("\(Refs.normalise(group.text)) (\(group.count + 1))", parent,
                due ? "it has a due date of its own beside the one above"
                    : "it has an owner and an action of its own, with no page break above")
    }

    private mutating func lastWasRecord() {
        afterPageBreak = false
        block = nil
        inLegend = false
    }

    /// Notes a row that is not a record, with its kind and why it was read so.
    private mutating func other(_ loc: String, _ kind: String, _ texts: [String], _ why: String) {
        tally.other.append(.init(location: loc, text: texts.joined(separator: " | "), reason: why, kind: kind))
        explain("\(kind): \(why)")
    }

    private mutating func explain(_ why: String) {
        guard explaining else { return }
        let table = columns.isEmpty ? "before any action table"
            : otherTable.map { "in the table headed '\($0)' (line \(tableLine))" }
                ?? "in the action table headed at line \(tableLine)"
        tally.explanation = "\(explainedRow), \(table): \(why)"
        explaining = false
    }

    /// Keeps the header and section state but zeroes the counts, for a part read after the first.
    mutating func resetCounts() {
        let unmapped = tally.unmappedColumns, hints = tally.headingHints
        tally = PlanTally()
        tally.unmappedColumns = unmapped
        tally.headingHints = hints
    }

    mutating func finish(_ emit: (Record) throws -> Void) throws {
        try flush(emit)
    }

    private mutating func noteSection(_ row: TableRow, _ cells: [String], _ filled: [Int], _ why: String) {
        explain("section: \(why)")
        block = nil
        tally.sectionRows += 1
        tally.sections.append(.init(location: row.location(file: file).description, text: filled.map { cells[$0] }.joined(separator: " | ")))
    }

    mutating func flush(_ emit: (Record) throws -> Void) throws {
        guard let p = pending else { return }
        pending = nil
        inLegend = false
        let own = pendingRef
        pendingRef = nil
        let record = try makeRecord(cells: p.cells, raw: p.raw, row: p.row, ownRef: own)
        tally.records += 1
        try emit(record)
    }

    /// A record's own ref under a merged ref cell (`parent`), its kind (an action, or a reference
    /// that only points at other refs) and the refs it points at.
    private func linkRefs(_ record: inout Record, cells: [String], ownRef: OwnRef?) {
        func column(_ field: String) -> Int? { schema.slot(of: field).flatMap { slot in columns.firstIndex(of: slot) } }
        let refCell = column(schema.key).map { $0 < cells.count ? cells[$0] : "" } ?? ""
        let action = column("action").map { $0 < cells.count ? cells[$0] : "" } ?? ""
        var own = ownRef
        if own == nil, let leading = RowShape.leadingRef(action), Self.refines(leading, refCell) {
            own = (leading, refCell, "")
        }
        if let own, let ref = own.ref, let keySlot = schema.slot(of: schema.key) {
            try? reader.assign(ref, to: keySlot, in: &record.values)
            if let parent = own.parent, !parent.isEmpty, let p = schema.slot(of: "parent") {
                record.values[p] = .string(parent)
            }
        }
        // Links in the ref cell; the action's own pointers are added with the kind (`Derivations`).
        if let r = schema.slot(of: "references") {
            record.values[r] = .list(RowShape.bracketedReferences(refCell).map(Value.string))
        }
    }

    /// Whether a ref at the start of the action text narrows the ref cell ("1:1a" under "PAP 1:1").
    static func refines(_ leading: String, _ refCell: String) -> Bool {
        func digits(_ s: String) -> String {
            String(Refs.normalise(s).drop { !$0.isNumber }).replacingOccurrences(of: ":", with: ".")
        }
        let cell = digits(refCell)
        guard !cell.isEmpty else { return true }
        let own = digits(leading)
        return own.hasPrefix(cell) && own != cell
    }

    /// A title, heading or column heading that says what date the ratings are as at: the records
    /// after it take that date (a later such row replaces it, as a new table's heading does).
    mutating func noteAsAt(_ text: String, _ loc: String) {
        guard let day = AsAtDate.date(in: text) else { return }
        asAt = day
        tally.asAt.append((PlanTally.Row(location: loc, text: text, reason: "ratings as at \(day)"), day))
    }

    /// Counts `n` records emitted by a batch (see `PlainTableScanner`) as this importer's own.
    mutating func countBatchRecords(_ n: Int) {
        guard n > 0 else { return }
        tally.records += n
        inLegend = false
        group = nil
        afterPageBreak = false
        block = nil
    }

    /// A record from a row's cleaned and raw cells, with the section it sits in.
    func makeRecord(cells: [String], raw: [String], row: TableRow,
                    ownRef: OwnRef? = nil) throws -> Record {
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
        linkRefs(&record, cells: cells, ownRef: ownRef)
        if let s = schema.slot(of: "section_lead"), record.values[s].isNull, let sectionLead { record.values[s] = .string(sectionLead) }
        if let s = schema.slot(of: "rated_on"), record.values[s].isNull, let asAt { record.values[s] = .date(asAt) }
        Derivations.apply(to: &record.values, schema)
        return record
    }

    // MARK: recognising rows

    /// The column → field mapping when this row is a header: at least three headings (or all, for
    /// narrow tables) name fields, and they are most of the row's filled cells — or, in a wide
    /// table with many columns of its own, three of them name the ref, the action and an owner or
    /// due date (its other columns are then kept as extras and named in the tally).
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
        guard mapped >= max(2, min(3, filled)) else { return nil }
        guard mapped * 10 >= filled * 6 || mapped >= 3 && namesKeyAndAction(taken) else { return nil }
        return mapping
    }

    /// Whether these slots hold the ref, the action and an owner or a due date.
    private func namesKeyAndAction(_ slots: Set<Int>) -> Bool {
        let needed = [schema.key, "action"].map { schema.slot(of: $0) }
        let either = [schema.ownerField ?? "", "due"].compactMap { schema.slot(of: $0) }
        return needed.allSatisfy { $0.map(slots.contains) ?? false } && either.contains(where: slots.contains)
    }

    func slot(forHeading heading: String) -> Int? {
        if let field = profile.columns[PlanProfile.key(heading)] { return schema.slot(of: field) }
        if let slot = headingSlots[Self.normalise(heading)] { return slot }
        // "Actions (what we will do)": try again without the bracketed hint.
        let bare = heading.contains("(")
            ? Self.normalise(heading.replacingOccurrences(of: #"\([^)]*\)"#, with: " ", options: .regularExpression))
            : Self.normalise(heading)
        if let slot = headingSlots[bare] { return slot }
        // "Timescale for completion", "Evidence of how impact is measured": a short heading that
        // starts with a field's name or synonym, the longest that fits.
        let words = bare.split(separator: " ")
        guard words.count > 1, words.count <= 8 else { return nil }
        for k in stride(from: min(words.count - 1, 5), through: 1, by: -1) {
            if let slot = headingSlots[words[..<k].joined(separator: " ")] { return slot }
        }
        return nil
    }

    /// A header row: the mapping of its columns, and whether it heads an action table (its columns
    /// give a ref or an action, and at least two of action, owner and due date). A row of short
    /// headings of which at least two name fields heads another table (`Ref | Workstream | Leads |
    /// Desired outcome`), whose rows are tallied, never read as records.
    func headerCandidate(_ cells: [String], line: Int) -> (mapping: [Int?], isAction: Bool)? {
        if columns.isEmpty, let h = profile.headerRow, h != line { return nil }
        let short = cells.filter { !$0.isEmpty && $0.count <= 60 && !$0.contains(where: \.isNumber) }.count
        // Cheap test first: most rows of a table have digits or long text in most cells.
        guard short >= 2 || (line == profile.headerRow) else { return nil }
        if let mapping = headerMapping(cells, line: line) {
            return (mapping, isActionMapping(mapping))
        }
        let filled = cells.filter { !$0.isEmpty }
        guard profile.columns.isEmpty, filled.count >= 3, short == filled.count,
              filled.allSatisfy({ $0.count <= 40 && !$0.contains("\n") }) else { return nil }
        var taken = Set<Int>()
        let mapping: [Int?] = cells.map { cell in
            guard !cell.isEmpty, let slot = slot(forHeading: cell), !taken.contains(slot) else { return nil }
            taken.insert(slot)
            return slot
        }
        guard taken.count >= 2 else { return nil }
        return (mapping, false)
    }

    private func isActionMapping(_ mapping: [Int?]) -> Bool {
        let slots = Set(mapping.compactMap { $0 })
        let core = ["action", schema.ownerField ?? "", "due"].compactMap { schema.slot(of: $0) }
        let keyed = schema.slot(of: schema.key).map(slots.contains) ?? false
        let hasAction = schema.slot(of: "action").map(slots.contains) ?? false
        // A collection of other records (casework) has no action field: its key alone decides.
        guard schema.slot(of: "action") != nil else { return keyed }
        let given = core.filter(slots.contains).count
        return keyed && given >= 1 || hasAction && given >= 2
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
