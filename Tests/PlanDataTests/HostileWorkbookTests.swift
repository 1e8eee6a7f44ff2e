import Foundation
import Testing
import ZIPFoundation
@testable import PlanData

/// Workbooks built to break the reader: each once crashed, hung, exhausted memory or was read
/// silently wrong; each must now be a plan error naming the part, sheet or cell.
@Suite struct HostileWorkbookTests {
    static let header = #"<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c><c r="B1" t="inlineStr"><is><t>Action</t></is></c>"#
        + #"<c r="C1" t="inlineStr"><is><t>Owner</t></is></c><c r="D1" t="inlineStr"><is><t>Due</t></is></c></row>"#
    static let styles = #"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="mmm-yy"/></numFmts>"#
        + #"<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>"#

    /// Row 2 of a one-sheet plan, with `extra` cells after Ref, Action and Owner.
    static func sheet(_ extra: String, rows: String = "") -> String {
        "<worksheet><sheetData>" + header + #"<row r="2"><c r="A2" t="inlineStr"><is><t>1.1</t></is></c>"#
            + #"<c r="B2" t="inlineStr"><is><t>Do it</t></is></c><c r="C2" t="inlineStr"><is><t>Ann</t></is></c>"#
            + extra + "</row>" + rows + "</sheetData></worksheet>"
    }

    static func workbook(sheet: Data, stored: Bool = false, extra: [String: Data] = [:]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stocktake-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("plan.xlsx")
        let archive = try Archive(url: url, accessMode: .create)
        var parts: [String: Data] = [
            "xl/workbook.xml": Data(#"<workbook xmlns:r="r"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>"#.utf8),
            "xl/_rels/workbook.xml.rels": Data(#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#.utf8),
            "xl/styles.xml": Data(styles.utf8),
            "xl/worksheets/sheet1.xml": sheet,
        ]
        parts.merge(extra) { $1 }
        for (name, data) in parts.sorted(by: { $0.key < $1.key }) {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count),
                                 compressionMethod: stored ? .none : .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return url.path
    }

    static func workbook(_ sheetXML: String, extra: [String: Data] = [:]) throws -> String {
        try workbook(sheet: Data(sheetXML.utf8), extra: extra)
    }

    func expectError(_ path: String, _ message: String, limits: XLSXReader.Limits = .init(),
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            let reader = try XLSXReader(path: path, limits: limits)
            for sheet in try reader.sheets() { _ = try reader.rows(of: sheet) }
            Issue.record("expected: \(message)", sourceLocation: sourceLocation)
        } catch let e as PlanError {
            #expect(e.description == "\(path): error: \(message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func cellReferencesStayInsideExcelsGrid() throws {
        // 14 letters overflowed Int; ZZZZZZ2 padded the row to 321 million cells (about 9 GB).
        expectError(try Self.workbook(Self.sheet(#"<c r="AAAAAAAAAAAAAA2" t="inlineStr"><is><t>x</t></is></c>"#)),
                    "sheet 'Plan': cell AAAAAAAAAAAAAA2 is outside Excel's grid (columns A to XFD, rows 1 to 1048576)")
        expectError(try Self.workbook(Self.sheet(#"<c r="ZZZZZZ2" t="inlineStr"><is><t>x</t></is></c>"#)),
                    "sheet 'Plan': cell ZZZZZZ2 is outside Excel's grid (columns A to XFD, rows 1 to 1048576)")
        expectError(try Self.workbook(Self.sheet(#"<c r="XFE2"><v>1</v></c>"#)),
                    "sheet 'Plan': cell XFE2 is outside Excel's grid (columns A to XFD, rows 1 to 1048576)")
        expectError(try Self.workbook(Self.sheet("", rows: #"<row r="99999999999999999999"><c><v>1</v></c></row>"#)),
                    "sheet 'Plan': row 99999999999999999999 is outside Excel's rows 1 to 1048576")
        expectError(try Self.workbook(Self.sheet("", rows: #"<row r="1048577"><c><v>1</v></c></row>"#)),
                    "sheet 'Plan': row 1048577 is outside Excel's rows 1 to 1048576")
        expectError(try Self.workbook(Self.sheet(String(repeating: "<c><v>1</v></c>", count: 16_384))),
                    "sheet 'Plan': row 2 has a cell past column XFD, the last column Excel has")
        let badMerge = Self.sheet("").replacingOccurrences(of: "</worksheet>",
                                                            with: #"<mergeCells><mergeCell ref="A1:ZZZZ9"/></mergeCells></worksheet>"#)
        expectError(try Self.workbook(badMerge),
                    "sheet 'Plan': merged range A1:ZZZZ9 is outside Excel's grid")
        // The last cell of the grid is fine.
        let reader = try XLSXReader(path: try Self.workbook(Self.sheet(#"<c r="XFD2" t="inlineStr"><is><t>far</t></is></c>"#)))
        let rows = try reader.rows(of: try reader.sheets()[0])
        #expect(rows[1].cells.count == 16_384 && rows[1].cells.last == "far")
        #expect(CellReference("$B$7") == CellReference("B7"))
        #expect(CellReference("xfd1048576")?.column == 16_383)
        for bad in ["", "A", "7", "A0", "AAAA1", "A1B", "A12345678", "Ä1"] { #expect(CellReference(bad) == nil, "\(bad)") }
    }

    @Test func farOffCellsAreBoundedByTheCellLimit() throws {
        let rows = (3..<700).map { #"<row r="\#($0)"><c r="XFD\#($0)"><v>1</v></c></row>"# }.joined()
        expectError(try Self.workbook(Self.sheet("", rows: rows)),
                    "sheet 'Plan' cell XFD613: the sheet has more than 10000000 cells (counting the empty cells before "
                        + "the last one of each row); refusing it")
        let merged = "<worksheet><sheetData>" + Self.header + #"<row r="2"><c r="J2"><v>1</v></c></row><row r="3"/><row r="4"/>"#
            + #"</sheetData><mergeCells><mergeCell ref="J2:J4"/></mergeCells></worksheet>"#
        expectError(try Self.workbook(merged),
                    "sheet 'Plan' merge at row 2: the sheet has more than 20 cells once merged cells are filled in; refusing it",
                    limits: XLSXReader.Limits(maxCells: 20))
    }

    @Test func dateSerialsOutsideExcelsCalendarAreCellErrors() throws {
        // NaN, INF and 1e20 trapped; 1e15 read as a day in 2088; 0 with mmm-yy read as "Dec-99".
        for (value, style) in [("NaN", 1), ("INF", 1), ("-INF", 1), ("1e20", 1), ("1e15", 1), ("2958466", 1), ("-1", 1)] {
            expectError(try Self.workbook(Self.sheet(#"<c r="D2" s="\#(style)"><v>\#(value)</v></c>"#)),
                        "sheet 'Plan' cell D2: date serial \(value) is not a date Excel can show (day 1 to 2958465, "
                            + "1900-01-01 to 9999-12-31)")
        }
        expectError(try Self.workbook(Self.sheet(#"<c r="D2" s="2"><v>0</v></c>"#)),
                    "sheet 'Plan' cell D2: date serial 0 is Excel's day zero ('0 January 1900'), which is no date; clear the "
                        + "cell or enter the date")
        let reader = try XLSXReader(path: try Self.workbook(Self.sheet(#"<c r="D2" s="1"><v>2958465</v></c>"#)))
        #expect(try reader.rows(of: try reader.sheets()[0])[1].cells[3] == "9999-12-31")
    }

    @Test func damagedPartsAreRefusedByTheirChecksum() throws {
        // A due date edited inside a stored entry was believed.
        let path = try Self.workbook(sheet: Data(Self.sheet(#"<c r="D2" t="inlineStr"><is><t>2024-05-31</t></is></c>"#).utf8),
                                     stored: true)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let at = try #require(bytes.range(of: Data("2024-05-31".utf8)))
        bytes.replaceSubrange(at.lowerBound..<at.lowerBound + 4, with: Data("2029".utf8))
        try bytes.write(to: URL(fileURLWithPath: path))
        expectError(path, "xl/worksheets/sheet1.xml is damaged in the workbook (its CRC-32 checksum does not match its content)")
    }

    @Test func xmlMustBeUTF8WithoutADocumentType() throws {
        // Invalid UTF-8 in an element name or an entity trapped inside FoundationXML.
        var name = Data(Self.sheet("").utf8)
        name.insert(contentsOf: [UInt8(ascii: "<"), UInt8(ascii: "x"), 0xFF, 0xFE, UInt8(ascii: "/"), UInt8(ascii: ">")],
                    at: name.range(of: Data("<row".utf8))!.lowerBound)
        expectError(try Self.workbook(sheet: name),
                    "xl/worksheets/sheet1.xml is not valid UTF-8 (at byte \(name.firstIndex(of: 0xFF)!)); the workbook is damaged")
        var entity = Data(Self.sheet(#"<c r="D2" t="inlineStr"><is><t>&a"#).utf8)
        entity.append(contentsOf: [0xFF] + Array(";</t></is></c></row></sheetData></worksheet>".utf8))
        expectError(try Self.workbook(sheet: entity),
                    "xl/worksheets/sheet1.xml is not valid UTF-8 (at byte \(entity.firstIndex(of: 0xFF)!)); the workbook is damaged")
        let laughs = #"<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>"# + Self.sheet("")
        expectError(try Self.workbook(laughs),
                    "xl/worksheets/sheet1.xml declares a document type or entities, which Excel never writes; refusing it")
        let strings = Data([UInt8]("<sst><si><t>".utf8) + [0xC0, 0x80] + [UInt8]("</t></si></sst>".utf8))
        expectError(try Self.workbook(Self.sheet(#"<c r="D2" t="s"><v>0</v></c>"#), extra: ["xl/sharedStrings.xml": strings]),
                    "xl/sharedStrings.xml is not valid UTF-8 (at byte 12); the workbook is damaged")
    }

    @Test func oversizedCellsAreRefused() throws {
        let long = String(repeating: "word ", count: 7_000)
        expectError(try Self.workbook(Self.sheet(#"<c r="E2" t="inlineStr"><is><t>\#(long)</t></is></c>"#)),
                    "sheet 'Plan': cell E2 holds more than 32767 characters, Excel's limit for a cell")
        let strings = Data(("<sst><si><t>a</t></si><si><t>" + long + "</t></si></sst>").utf8)
        expectError(try Self.workbook(Self.sheet(#"<c r="D2" t="s"><v>0</v></c>"#), extra: ["xl/sharedStrings.xml": strings]),
                    "shared string 1 holds more than 32767 characters, Excel's limit for a cell; refusing it")
    }
}
