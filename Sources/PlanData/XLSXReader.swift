import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Expressions
import YAML
import ZIPFoundation

/// Reads worksheets from an .xlsx workbook (ZIPFoundation for the package, XMLParser for the
/// parts): shared and inline strings, numbers, booleans, dates shown as their number format shows
/// them (the 1900 system with its leap-year quirk, and the 1904 system), vertical merges.
/// A workbook is untrusted input: every part's CRC-32 is checked, XML must be UTF-8 without a DTD,
/// cell references stay within Excel's grid, and sizes are bounded (see `Limits`), so a hostile or
/// damaged file fails with an error naming the part, sheet or cell instead of trapping or hanging.
struct XLSXReader {
    /// Bounds that keep a hostile or broken workbook from exhausting memory or time.
    struct Limits {
        var maxPartSize = 256 * 1024 * 1024
        /// Uncompressed ÷ compressed size above which a large part is taken for a zip bomb.
        var maxExpansion: UInt64 = 200
        var maxSharedStrings = 2_000_000
        /// Cells of one sheet, counting the empty cells before the last one of each row (rows are
        /// laid out by column), so a far-off cell cannot make every row enormous.
        var maxCells = 10_000_000
        /// Excel's own limit for the text of one cell.
        var maxCellCharacters = 32_767
        var maxMerges = 100_000
    }

    /// Excel's grid: columns A…XFD, rows 1…1,048,576.
    static let maxColumns = 16_384
    static let maxRows = 1_048_576
    /// 9999-12-31, the last day Excel shows, in the 1900 date system.
    static let maxDateSerial = 2_958_465.0

    let path: String
    let limits: Limits
    private let archive: Archive
    /// The workbook's bytes (mapped, not read) and where each entry lies in them.
    private let bytes: Data
    private let layout: ZipLayout

    struct Sheet { var name: String; var part: String }

    init(path: String, limits: Limits = Limits()) throws {
        self.path = path
        self.limits = limits
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
            bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw PlanError(file: path, "is not a readable .xlsx workbook (not a valid zip archive)")
        }
        guard let layout = ZipLayout(bytes) else {
            throw PlanError(file: path, "is not a readable .xlsx workbook (its zip directory is damaged)")
        }
        self.layout = layout
    }

    /// Inflates a deflated entry from exactly its own bytes (see `ZipLayout`).
    private func inflate(_ entry: Entry, _ key: String, _ consumer: (Data) throws -> Void) throws -> CRC32 {
        guard let place = layout.places[entry.path] else { throw PlanError(file: path, "\(key) is missing from the zip directory") }
        let start = bytes.startIndex + place.dataOffset
        return try Data.decompress(size: Int64(place.compressedSize), bufferSize: defaultReadChunkSize, skipCRC32: false,
                                   provider: { position, size in
            guard position < place.compressedSize else {
                throw PlanError(file: path, "\(key) is damaged in the workbook (its compressed data ends early)")
            }
            let from = start + Int(position)
            return bytes.subdata(in: from..<min(start + place.compressedSize, from + size))
        }, consumer: consumer)
    }

    /// The bytes of one part, refusing parts that expand suspiciously or are too large.
    func part(_ name: String) throws -> Data? {
        let key = name.hasPrefix("/") ? String(name.dropFirst()) : name
        guard let entry = archive[key] else { return nil }
        if entry.uncompressedSize > UInt64(limits.maxPartSize)
            || (entry.uncompressedSize / max(1, entry.compressedSize) > limits.maxExpansion && entry.uncompressedSize > 10_000_000) {
            throw PlanError(file: path, "\(key) expands to \(entry.uncompressedSize) bytes; refusing a possible zip bomb")
        }
        var data = Data()
        let checksum: CRC32
        do {
            let collect = { (chunk: Data) throws in
                data.append(chunk)
                if data.count > limits.maxPartSize { throw PlanError(file: path, "\(key) is larger than \(limits.maxPartSize) bytes") }
            }
            checksum = entry.isCompressed ? try inflate(entry, key, collect) : try archive.extract(entry, skipCRC32: false, consumer: collect)
        } catch let e as PlanError {
            throw e
        } catch {
            throw PlanError(file: path, "\(key) is corrupt in the workbook (\(error))")
        }
        // ZIPFoundation works the checksum out but leaves comparing it to the caller.
        guard checksum == entry.checksum else {
            throw PlanError(file: path,
                            "\(key) is damaged in the workbook (its CRC-32 checksum does not match its content)")
        }
        return data
    }

    /// A part that XMLParser may read: valid UTF-8 (FoundationXML traps on some invalid bytes in
    /// names and entities) and no document type declaration (Excel writes none; a DTD is the door
    /// to entity expansion).
    func xmlPart(_ name: String) throws -> Data? {
        guard let data = try part(name) else { return nil }
        let key = name.hasPrefix("/") ? String(name.dropFirst()) : name
        if let bad = UTF8Check.firstInvalidByte(data) {
            throw PlanError(file: path, "\(key) is not valid UTF-8 (at byte \(bad)); the workbook is damaged")
        }
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil || data.range(of: Data("<!ENTITY".utf8)) != nil {
            throw PlanError(file: path,
                            "\(key) declares a document type or entities, which Excel never writes; refusing it")
        }
        return data
    }

    func sheets() throws -> [Sheet] {
        guard let workbook = try xmlPart("xl/workbook.xml") else {
            throw PlanError(file: path, "has no xl/workbook.xml; not an Excel workbook")
        }
        let rels = try xmlPart("xl/_rels/workbook.xml.rels")
        var targets: [String: String] = [:]
        if let rels {
            for e in try XMLElements.parse(rels, path: path, keep: ["Relationship"]) {
                if let id = e["Id"], let target = e["Target"] {
                    targets[id] = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
                }
            }
        }
        return try XMLElements.parse(workbook, path: path, keep: ["sheet"]).compactMap { e in
            guard let name = e["name"], let id = e["r:id"] ?? e["id"], let target = targets[id] else { return nil }
            return Sheet(name: name, part: target)
        }
    }

    /// Every row of a sheet, with cells placed by column and dates formatted as displayed.
    func rows(of sheet: Sheet) throws -> [TableRow] {
        let strings = try sharedStrings()
        let styles = try dateStyles()
        let date1904 = try xmlPart("xl/workbook.xml").map {
            let text = String(decoding: $0, as: UTF8.self)
            return text.contains("date1904=\"1\"") || text.contains("date1904=\"true\"")
        } ?? false
        guard let data = try xmlPart(sheet.part) else {
            throw PlanError(file: path, "sheet '\(sheet.name)' is missing from the workbook (\(sheet.part))")
        }
        let parsed = try SheetParser.parse(data, path: path, sheet: sheet.name, limits: limits)
        var rows: [TableRow] = []
        var laidOut = 0
        for row in parsed.rows {
            var cells: [String] = []
            for cell in row.cells {
                func cellError(_ message: String) -> PlanError {
                    PlanError(file: path, "sheet '\(sheet.name)' cell \(cell.ref): \(message)")
                }
                let text: String
                switch cell.type {
                case "s":
                    guard let i = Int(cell.value), i >= 0, i < strings.count else {
                        throw cellError("shared string \(cell.value) does not exist")
                    }
                    text = strings[i]
                case "inlineStr", "str": text = cell.value
                case "b": text = cell.value == "1" ? "TRUE" : "FALSE"
                case "e": text = cell.value
                default:
                    if let format = styles[cell.style], let serial = Double(cell.value) {
                        guard let day = Self.day(fromSerial: serial, date1904: date1904) else {
                            if !date1904, serial >= 0, serial < 1 {
                                throw cellError("date serial \(cell.value) is Excel's day zero ('0 January 1900'), "
                                                + "which is no date; clear the cell or enter the date")
                            }
                            throw cellError("date serial \(cell.value) is not a date Excel can show (day 1 to "
                                            + "\(Int(Self.maxDateSerial)), 1900-01-01 to 9999-12-31)")
                        }
                        text = Self.formatDate(day, format)
                    } else {
                        text = Self.formatNumber(cell.value)
                    }
                }
                if text.utf16.count > limits.maxCellCharacters {
                    throw cellError("holds more than \(limits.maxCellCharacters) characters, Excel's limit for a cell")
                }
                // Counted before laying out: padding a row to a far-off column is what costs memory.
                laidOut += max(0, cell.column + 1 - cells.count)
                if laidOut > limits.maxCells {
                    throw cellError("the sheet has more than \(limits.maxCells) cells (counting the empty cells before "
                                    + "the last one of each row); refusing it")
                }
                while cells.count < cell.column { cells.append("") }
                if cells.count == cell.column { cells.append(text) } else { cells[cell.column] = text }
            }
            rows.append(TableRow(cells: cells, line: row.number, sheet: sheet.name))
        }
        // A value merged down several rows applies to each of them. Rows are looked up by number
        // (sorted once), so the work is the merged cells themselves, not merges × rows.
        let byNumber = rows.indices.sorted { (rows[$0].line, $0) < (rows[$1].line, $1) }
        func firstRow(after line: Int) -> Int {
            var low = 0, high = byNumber.count
            while low < high {
                let mid = (low + high) / 2
                if rows[byNumber[mid]].line <= line { low = mid + 1 } else { high = mid }
            }
            return low
        }
        for merge in parsed.merges where merge.lastRow > merge.firstRow {
            guard let top = rows.firstIndex(where: { $0.line == merge.firstRow }), merge.firstColumn < rows[top].cells.count else { continue }
            let value = rows[top].cells[merge.firstColumn]
            var k = firstRow(after: merge.firstRow)
            while k < byNumber.count, rows[byNumber[k]].line <= merge.lastRow {
                let i = byNumber[k]
                laidOut += max(0, merge.firstColumn + 1 - rows[i].cells.count)
                if laidOut > limits.maxCells {
                    throw PlanError(file: path, "sheet '\(sheet.name)' merge at row \(merge.firstRow): the sheet has "
                                    + "more than \(limits.maxCells) cells once merged cells are filled in; refusing it")
                }
                while rows[i].cells.count <= merge.firstColumn { rows[i].cells.append("") }
                if rows[i].cells[merge.firstColumn].isEmpty { rows[i].cells[merge.firstColumn] = value }
                k += 1
            }
        }
        return rows
    }

    private func sharedStrings() throws -> [String] {
        guard let data = try xmlPart("xl/sharedStrings.xml") else { return [] }
        return try SharedStringsParser.parse(data, path: path, limit: limits.maxSharedStrings,
                                             maxCharacters: limits.maxCellCharacters)
    }

    /// Style index → date format code, for styles whose number format shows a date.
    private func dateStyles() throws -> [Int: String] {
        guard let data = try xmlPart("xl/styles.xml") else { return [:] }
        var custom: [Int: String] = [:]
        for e in try XMLElements.parse(data, path: path, keep: ["numFmt"]) {
            if let id = e["numFmtId"].flatMap(Int.init), let code = e["formatCode"] { custom[id] = code }
        }
        let xfs = try XMLElements.parse(data, path: path, keep: ["xf"], within: "cellXfs")
        var out: [Int: String] = [:]
        for (index, xf) in xfs.enumerated() {
            guard let id = xf["numFmtId"].flatMap(Int.init) else { continue }
            if let code = Self.builtInDateFormats[id] ?? custom[id].flatMap({ Self.isDateFormat($0) ? $0 : nil }) {
                out[index] = code
            }
        }
        return out
    }

    static let builtInDateFormats: [Int: String] = [
        14: "yyyy-mm-dd", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 22: "yyyy-mm-dd hh:mm",
        27: "yyyy-mm-dd", 30: "yyyy-mm-dd", 36: "yyyy-mm-dd", 50: "yyyy-mm-dd", 57: "yyyy-mm-dd",
    ]

    static func isDateFormat(_ code: String) -> Bool {
        // Strip quoted literals and bracketed colours/locales, then look for date tokens.
        let stripped = code.replacingOccurrences(of: #""[^"]*"|\[[^\]]*\]|\\."#, with: "", options: .regularExpression).lowercased()
        return stripped.contains("y") || stripped.contains("d") || (stripped.contains("m") && !stripped.contains("0"))
    }

    /// Excel's day serial as a calendar day, or nil for a serial that is no day Excel shows: not
    /// finite, negative, past 9999-12-31, or the 1900 system's day 0 ("0 January 1900", what an
    /// empty date cell holds, which would otherwise read as 31 December 1899, "Dec-99"). The 1900
    /// system counts a 29 February 1900 that never was (serial 60), so later serials are one day
    /// ahead; that day is read as 28 February.
    static func day(fromSerial serial: Double, date1904: Bool) -> Day? {
        guard serial.isFinite, serial >= (date1904 ? 0 : 1), serial < maxDateSerial + 1 else { return nil }
        let whole = Int(serial.rounded(.down))
        let day: Day
        if date1904 {
            day = Day(year: 1904, month: 1, day: 1)!.adding(days: whole)
        } else if whole >= 61 {
            day = Day(year: 1899, month: 12, day: 30)!.adding(days: whole)
        } else if whole == 60 {
            day = Day(year: 1900, month: 2, day: 28)!
        } else {
            day = Day(year: 1899, month: 12, day: 31)!.adding(days: whole)
        }
        return day.civil.year <= 9999 ? day : nil
    }

    /// Formats as the cell's number format shows it (yyyy, yy, mmmm, mmm, mm, m, dd, d); times dropped.
    static func formatDate(_ day: Day, _ code: String) -> String {
        let (y, m, d) = day.civil
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let datePart = code.split(separator: " ").first.map(String.init) ?? code
        var out = ""
        var chars = Substring(datePart.replacingOccurrences(of: #"\[[^\]]*\]"#, with: "", options: .regularExpression))
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        while let c = chars.first {
            let run = chars.prefix { $0.lowercased() == c.lowercased() }
            chars = chars.dropFirst(run.count)
            switch (c.lowercased(), run.count) {
            case ("y", 1...2): out += two(y % 100)
            case ("y", _): out += String(y)
            case ("m", 1): out += String(m)
            case ("m", 2): out += two(m)
            case ("m", 3): out += String(months[m - 1].prefix(3))
            case ("m", _): out += months[m - 1]
            case ("d", 1): out += String(d)
            case ("d", 2): out += two(d)
            case ("d", _): out += two(d)
            case ("\"", _), ("\\", _): break
            default: out += run
            }
        }
        return out
    }

    /// Numbers as Excel's General format shows them: 3, 2.5, 0.125.
    static func formatNumber(_ text: String) -> String {
        guard let v = Double(text) else { return text }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// Collects the attributes of the named elements of an XML part.
enum XMLElements {
    final class Delegate: NSObject, XMLParserDelegate {
        let keep: Set<String>
        let within: String?
        var inside = false
        var found: [[String: String]] = []

        init(keep: Set<String>, within: String?) {
            self.keep = keep
            self.within = within
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let local = name.split(separator: ":").last.map(String.init) ?? name
            if local == within { inside = true }
            if keep.contains(local) && (within == nil || inside) { found.append(attributes) }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if (name.split(separator: ":").last.map(String.init) ?? name) == within { inside = false }
        }
    }

    static func parse(_ data: Data, path: String, keep: Set<String>, within: String? = nil) throws -> [[String: String]] {
        let parser = XMLParser(data: data)
        let delegate = Delegate(keep: keep, within: within)
        parser.delegate = delegate
        guard parser.parse() else {
            throw PlanError(file: path, "workbook XML is malformed: \(parser.parserError.map { "\($0)" } ?? "parse error")")
        }
        return delegate.found
    }
}

/// `<si>` entries of the shared-string table, rich-text runs joined.
enum SharedStringsParser {
    final class Delegate: NSObject, XMLParserDelegate {
        var strings: [String] = []
        var current = ""
        var inText = false
        var inPhonetic = false
        var tooMany = false
        var tooLong = false
        let limit: Int
        let maxCharacters: Int

        init(limit: Int, maxCharacters: Int) {
            self.limit = limit
            self.maxCharacters = maxCharacters
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            switch name {
            case "si": current = ""
            case "t": inText = !inPhonetic
            case "rPh": inPhonetic = true
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard inText else { return }
            current += string
            if current.utf16.count > maxCharacters {
                tooLong = true
                parser.abortParsing()
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "si":
                strings.append(current)
                if strings.count > limit {
                    tooMany = true
                    parser.abortParsing()
                }
            case "t": inText = false
            case "rPh": inPhonetic = false
            default: break
            }
        }
    }

    static func parse(_ data: Data, path: String, limit: Int, maxCharacters: Int = 32_767) throws -> [String] {
        let parser = XMLParser(data: data)
        let delegate = Delegate(limit: limit, maxCharacters: maxCharacters)
        parser.delegate = delegate
        let ok = parser.parse()
        if delegate.tooMany {
            throw PlanError(file: path, "shared-string table has more than \(limit) entries; refusing it")
        }
        if delegate.tooLong {
            throw PlanError(file: path, "shared string \(delegate.strings.count) holds more than \(maxCharacters) "
                            + "characters, Excel's limit for a cell; refusing it")
        }
        guard ok else { throw PlanError(file: path, "xl/sharedStrings.xml is malformed") }
        return delegate.strings
    }
}

/// The cells and merges of one worksheet.
enum SheetParser {
    struct Cell { var ref: String; var column: Int; var type: String; var style: Int; var value: String }
    struct Row { var number: Int; var cells: [Cell] }
    struct Merge { var firstRow: Int; var firstColumn: Int; var lastRow: Int; var lastColumn: Int }

    final class Delegate: NSObject, XMLParserDelegate {
        var rows: [Row] = []
        var merges: [Merge] = []
        var cell: Cell?
        var text = ""
        var collecting = false
        var nextRow = 1
        var nextColumn = 0
        let limits: XLSXReader.Limits
        /// Why parsing was stopped: the first cell or row outside the bounds.
        var problem: String?

        init(limits: XLSXReader.Limits) { self.limits = limits }

        func stop(_ parser: XMLParser, _ message: String) {
            if problem == nil { problem = message }
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            switch name {
            case "row":
                var number = nextRow
                if let r = attributes["r"] {
                    guard let n = Int(r), (1...XLSXReader.maxRows).contains(n) else {
                        return stop(parser, "row \(r.prefix(40)) is outside Excel's rows 1 to \(XLSXReader.maxRows)")
                    }
                    number = n
                }
                guard number <= XLSXReader.maxRows else {
                    return stop(parser, "row \(number) is outside Excel's rows 1 to \(XLSXReader.maxRows)")
                }
                rows.append(Row(number: number, cells: []))
                nextRow = number + 1
                nextColumn = 0
            case "c":
                let row = rows.last?.number ?? nextRow
                var column = nextColumn
                var ref = ""
                if let r = attributes["r"], !r.isEmpty {
                    guard let place = CellReference(r) else {
                        return stop(parser, "cell \(r.prefix(40)) is outside Excel's grid (columns A to XFD, rows 1 to "
                                    + "\(XLSXReader.maxRows))")
                    }
                    column = place.column
                    ref = r
                }
                guard column < XLSXReader.maxColumns else {
                    return stop(parser, "row \(row) has a cell past column XFD, the last column Excel has")
                }
                nextColumn = column + 1
                cell = Cell(ref: ref.isEmpty ? TableRow.columnName(column) + String(row) : ref, column: column,
                            type: attributes["t"] ?? "n", style: attributes["s"].flatMap(Int.init) ?? 0, value: "")
                text = ""
            case "v", "t":
                collecting = cell != nil
            case "mergeCell":
                guard let ref = attributes["ref"] else { break }
                guard let m = SheetParser.merge(ref) else {
                    return stop(parser, "merged range \(ref.prefix(40)) is outside Excel's grid")
                }
                guard merges.count < limits.maxMerges else {
                    return stop(parser, "more than \(limits.maxMerges) merged ranges; refusing the sheet")
                }
                merges.append(m)
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard collecting else { return }
            text += string
            if text.utf16.count > limits.maxCellCharacters, let c = cell {
                stop(parser, "cell \(c.ref) holds more than \(limits.maxCellCharacters) characters, "
                     + "Excel's limit for a cell")
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "v", "t": collecting = false
            case "c":
                if var c = cell, !rows.isEmpty {
                    c.value = text
                    rows[rows.count - 1].cells.append(c)
                }
                cell = nil
            default: break
            }
        }
    }

    static func parse(_ data: Data, path: String, sheet: String, limits: XLSXReader.Limits = .init()) throws
        -> (rows: [Row], merges: [Merge]) {
        let parser = XMLParser(data: data)
        let delegate = Delegate(limits: limits)
        parser.delegate = delegate
        let ok = parser.parse()
        if let problem = delegate.problem { throw PlanError(file: path, "sheet '\(sheet)': \(problem)") }
        guard ok else {
            throw PlanError(file: path, "worksheet XML of sheet '\(sheet)' is malformed: "
                            + "\(parser.parserError.map { "\($0)" } ?? "parse error")")
        }
        return (delegate.rows, delegate.merges)
    }

    /// "AB12" → 27 (0-based column), nil when the reference is not one inside Excel's grid.
    static func column(of ref: String) -> Int? { CellReference(ref)?.column }

    static func merge(_ ref: String) -> Merge? {
        let parts = ref.split(separator: ":")
        guard parts.count == 2, let a = CellReference(String(parts[0])), let b = CellReference(String(parts[1])) else {
            return nil
        }
        return Merge(firstRow: a.row, firstColumn: a.column, lastRow: b.row, lastColumn: b.column)
    }
}

/// An A1-style cell reference inside Excel's grid: one to three letters up to XFD, then a row
/// from 1 to 1,048,576. Parsed digit by digit with the bounds checked as it goes, so no
/// reference, however long, can overflow.
struct CellReference: Equatable {
    /// 0-based.
    var column: Int
    /// 1-based, as Excel numbers rows.
    var row: Int

    init?(_ text: String) {
        var column = 0, row = 0, letters = 0, digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard digits == 0, letters < 3 else { return nil }
                letters += 1
                column = column * 26 + Int((byte | 0x20) - UInt8(ascii: "a")) + 1
            case UInt8(ascii: "$") where digits == 0:
                continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard letters > 0, digits < 7 else { return nil }
                digits += 1
                row = row * 10 + Int(byte - UInt8(ascii: "0"))
            default:
                return nil
            }
        }
        guard letters > 0, digits > 0, column <= XLSXReader.maxColumns, (1...XLSXReader.maxRows).contains(row) else {
            return nil
        }
        self.column = column - 1
        self.row = row
    }
}

/// Checks bytes are UTF-8 before a parser that trusts them sees them.
enum UTF8Check {
    /// Offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code points
    /// past U+10FFFF included), or nil.
    static func firstInvalidByte(_ data: Data) -> Int? {
        // Most parts are ASCII; the standard library's validation is fast on those.
        if String(validating: data, as: UTF8.self) != nil { return nil }
        return YAMLParser.firstInvalidUTF8([UInt8](data)) ?? 0
    }
}
