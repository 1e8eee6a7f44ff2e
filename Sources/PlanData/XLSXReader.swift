import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Expressions
import ZIPFoundation

/// Reads worksheets from an .xlsx workbook (ZIPFoundation for the package, XMLParser for the
/// parts): shared and inline strings, numbers, booleans, dates shown as their number format shows
/// them (the 1900 system with its leap-year quirk, and the 1904 system), vertical merges.
/// Guards against zip bombs and oversized string tables, so a hostile file fails cleanly.
struct XLSXReader {
    /// Bounds that keep a hostile or broken workbook from exhausting memory.
    struct Limits {
        var maxPartSize = 256 * 1024 * 1024
        /// Uncompressed ÷ compressed size above which a large part is taken for a zip bomb.
        var maxExpansion: UInt64 = 200
        var maxSharedStrings = 2_000_000
    }

    let path: String
    let limits: Limits
    private let archive: Archive

    struct Sheet { var name: String; var part: String }

    init(path: String, limits: Limits = Limits()) throws {
        self.path = path
        self.limits = limits
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw PlanError(file: path, "is not a readable .xlsx workbook (not a valid zip archive)")
        }
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
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                data.append(chunk)
                if data.count > limits.maxPartSize { throw PlanError(file: path, "\(key) is larger than \(limits.maxPartSize) bytes") }
            }
        } catch let e as PlanError {
            throw e
        } catch {
            throw PlanError(file: path, "\(key) is corrupt in the workbook (\(error))")
        }
        return data
    }

    func sheets() throws -> [Sheet] {
        guard let workbook = try part("xl/workbook.xml") else { throw PlanError(file: path, "has no xl/workbook.xml; not an Excel workbook") }
        let rels = try part("xl/_rels/workbook.xml.rels")
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
        let date1904 = try part("xl/workbook.xml").map { String(decoding: $0, as: UTF8.self).contains("date1904=\"1\"") || String(decoding: $0, as: UTF8.self).contains("date1904=\"true\"") } ?? false
        guard let data = try part(sheet.part) else { throw PlanError(file: path, "sheet '\(sheet.name)' is missing from the workbook (\(sheet.part))") }
        let parsed = try SheetParser.parse(data, path: path)
        var rows: [TableRow] = []
        for row in parsed.rows {
            var cells: [String] = []
            for cell in row.cells {
                let text: String
                switch cell.type {
                case "s":
                    guard let i = Int(cell.value), i >= 0, i < strings.count else {
                        throw PlanError(file: path, "sheet '\(sheet.name)' cell \(cell.ref): shared string \(cell.value) does not exist")
                    }
                    text = strings[i]
                case "inlineStr", "str": text = cell.value
                case "b": text = cell.value == "1" ? "TRUE" : "FALSE"
                case "e": text = cell.value
                default:
                    if let format = styles[cell.style], let serial = Double(cell.value) {
                        text = Self.formatDate(serial, format, date1904: date1904)
                    } else {
                        text = Self.formatNumber(cell.value)
                    }
                }
                while cells.count < cell.column { cells.append("") }
                if cells.count == cell.column { cells.append(text) } else { cells[cell.column] = text }
            }
            rows.append(TableRow(cells: cells, line: row.number, sheet: sheet.name))
        }
        // A value merged down several rows applies to each of them.
        for merge in parsed.merges where merge.lastRow > merge.firstRow {
            guard let top = rows.firstIndex(where: { $0.line == merge.firstRow }), merge.firstColumn < rows[top].cells.count else { continue }
            let value = rows[top].cells[merge.firstColumn]
            for i in rows.indices where rows[i].line > merge.firstRow && rows[i].line <= merge.lastRow {
                while rows[i].cells.count <= merge.firstColumn { rows[i].cells.append("") }
                if rows[i].cells[merge.firstColumn].isEmpty { rows[i].cells[merge.firstColumn] = value }
            }
        }
        return rows
    }

    private func sharedStrings() throws -> [String] {
        guard let data = try part("xl/sharedStrings.xml") else { return [] }
        let strings = try SharedStringsParser.parse(data, path: path, limit: limits.maxSharedStrings)
        return strings
    }

    /// Style index → date format code, for styles whose number format shows a date.
    private func dateStyles() throws -> [Int: String] {
        guard let data = try part("xl/styles.xml") else { return [:] }
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

    /// Excel's day serial as a calendar day. The 1900 system counts a 29 February 1900 that
    /// never was (serial 60), so later serials are one day ahead; that day is read as 28 February.
    static func day(fromSerial serial: Double, date1904: Bool) -> Day {
        let whole = Int(serial.rounded(.down))
        if date1904 { return Day(year: 1904, month: 1, day: 1)!.adding(days: whole) }
        if whole >= 61 { return Day(year: 1899, month: 12, day: 30)!.adding(days: whole) }
        if whole == 60 { return Day(year: 1900, month: 2, day: 28)! }
        return Day(year: 1899, month: 12, day: 31)!.adding(days: whole)
    }

    /// Formats as the cell's number format shows it (yyyy, yy, mmmm, mmm, mm, m, dd, d); times dropped.
    static func formatDate(_ serial: Double, _ code: String, date1904: Bool) -> String {
        let (y, m, d) = day(fromSerial: serial, date1904: date1904).civil
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
        let limit: Int

        init(limit: Int) { self.limit = limit }

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
            if inText { current += string }
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

    static func parse(_ data: Data, path: String, limit: Int) throws -> [String] {
        let parser = XMLParser(data: data)
        let delegate = Delegate(limit: limit)
        parser.delegate = delegate
        let ok = parser.parse()
        if delegate.tooMany {
            throw PlanError(file: path, "shared-string table has more than \(limit) entries; refusing it")
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

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            switch name {
            case "row":
                let number = attributes["r"].flatMap(Int.init) ?? nextRow
                rows.append(Row(number: number, cells: []))
                nextRow = number + 1
                nextColumn = 0
            case "c":
                let ref = attributes["r"] ?? ""
                let column = SheetParser.column(of: ref) ?? nextColumn
                nextColumn = column + 1
                cell = Cell(ref: ref.isEmpty ? TableRow.columnName(column) + String(rows.last?.number ?? 0) : ref, column: column,
                            type: attributes["t"] ?? "n", style: attributes["s"].flatMap(Int.init) ?? 0, value: "")
                text = ""
            case "v", "t":
                collecting = cell != nil
            case "mergeCell":
                if let ref = attributes["ref"], let m = SheetParser.merge(ref) { merges.append(m) }
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if collecting { text += string }
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

    static func parse(_ data: Data, path: String) throws -> (rows: [Row], merges: [Merge]) {
        let parser = XMLParser(data: data)
        let delegate = Delegate()
        parser.delegate = delegate
        guard parser.parse() else { throw PlanError(file: path, "worksheet XML is malformed: \(parser.parserError.map { "\($0)" } ?? "parse error")") }
        return (delegate.rows, delegate.merges)
    }

    /// "AB12" → 27 (0-based column).
    static func column(of ref: String) -> Int? {
        let letters = ref.prefix { $0.isLetter }
        guard !letters.isEmpty else { return nil }
        return letters.uppercased().unicodeScalars.reduce(0) { $0 * 26 + Int($1.value) - 64 } - 1
    }

    static func merge(_ ref: String) -> Merge? {
        let parts = ref.split(separator: ":")
        guard parts.count == 2, let c1 = column(of: String(parts[0])), let c2 = column(of: String(parts[1])),
              let r1 = Int(parts[0].drop { $0.isLetter }), let r2 = Int(parts[1].drop { $0.isLetter }) else { return nil }
        return Merge(firstRow: r1, firstColumn: c1, lastRow: r2, lastColumn: c2)
    }
}
