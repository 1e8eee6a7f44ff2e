import Foundation
import Testing
import ZIPFoundation
@testable import Expressions
@testable import PlanData

/// The real exports in Tests/Fixtures/plans (see its README), used exactly as they are.
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "missing fixture \(path) (the tests' data files live in Tests/Fixtures)" }
    }

    static let plans = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/plans")

    /// A plan export's path, checked to exist: a missing file stops the test with its path.
    static func path(_ name: String) throws -> String {
        let path = plans.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: "Tests/Fixtures/plans/\(name)") }
        return path
    }
}

func text(_ r: Record, _ field: String) -> String? {
    guard case .string(let s) = r.values[CollectionSchema.actions.slot(of: field)!] else { return nil }
    return s
}

func strings(_ r: Record, _ field: String) -> [String] {
    guard case .list(let items) = r.values[CollectionSchema.actions.slot(of: field)!] else { return [] }
    return items.compactMap(\.stringValue)
}

@Suite struct RealPlanTests {
    @Test func oldhamTSVAccountsForEveryRow() throws {
        let plan = try loader.load(path: Fixtures.path("oldham-priority-action-plan.tsv"))
        let t = plan.tally
        #expect(plan.name == "SEND & Inclusion Improvement Programme: Priority Action Plan")
        #expect(t.records == 52)
        #expect(t.headerRows == 15)
        #expect(t.blankRows == 34)
        #expect(t.titleRows == 15)
        #expect(t.columnLetterRows == 2)
        #expect(t.legendRows == 6)
        #expect(t.sectionRows == 5)        // line 6's prose about the priority areas is a note, not a section
        #expect(t.other.map(\.kind) == ["note"])
        #expect(t.skipped.isEmpty)
        #expect(t.totalRows == 130)
        #expect(plan.records.map { text($0, "ref")! }.filter { $0.hasPrefix("1.") }.count == 15)
        let r110 = try #require(plan.records.first { text($0, "ref") == "1.10" })
        #expect(text(r110, "ref_text") == "PAP: 1.10")
        #expect(text(r110, "section") == "PAP 1")
        let last = try #require(plan.records.last)
        #expect(text(last, "ref") == "2.37")
        #expect(text(last, "section") == "CAMHS")
    }

    @Test func oldhamTSVAndXLSXGiveTheSameRecords() throws {
        let tsv = try loader.load(path: Fixtures.path("oldham-priority-action-plan.tsv"))
        let xlsx = try loader.load(path: Fixtures.path("oldham-priority-action-plan.xlsx"))
        #expect(tsv.name == xlsx.name)
        #expect(tsv.records.count == xlsx.records.count)
        for (a, b) in zip(tsv.records, xlsx.records) {
            #expect(a.values.count == b.values.count)
            for (i, (x, y)) in zip(a.values, b.values).enumerated() where !celEquals(x, y) {
                Issue.record("\(text(a, "ref") ?? "?") \(CollectionSchema.actions.fields[i].name): \(x) ≠ \(y)")
            }
        }
        #expect(xlsx.records[0].source.sheet == "Priority Action Plan")
        #expect(xlsx.records[0].source.cell == "A5")
    }

    @Test func tamesideAccountsForEveryRow() throws {
        let plan = try loader.load(path: Fixtures.path("tameside-wsoa-2022.tsv"))
        let t = plan.tally
        #expect(t.records == 101)
        #expect(t.headerRows == 49)
        #expect(t.continuationRows == 23)
        // 27 two-field rows and 32 outcome rows, less the labels "Outcomes:" and "Impact Measures:"
        // beside priority 10 and its prose about the Preparing for Adulthood Plan (not sections).
        #expect(t.sectionRows == 56)
        #expect(t.other.map(\.kind) == ["label row", "label row", "note"])
        #expect(t.totalRows == 232)
        #expect(t.skipped.isEmpty)
        let first = plan.records[0]
        #expect(text(first, "ref") == "1.1.1")
        #expect(text(first, "section") == "1.1 Improved timeliness of EHC Plans")
        #expect(text(first, "section_lead") == "Charlotte Finch (Head of SEND), Wendy Young (Deputy Head of SEND)")
        // Continuation rows are merged into the record above.
        #expect(text(first, "action")?.hasSuffix("improve the experience of children parents and carers") == true)
        let crossRef = try #require(plan.records.first { text($0, "ref") == "3.1.1" })
        #expect(text(crossRef, "ref_text") == "3.1.1 [3.2-3.5]")
        let roles = try #require(plan.records.first { text($0, "ref") == "1.3.2" })
        #expect(strings(roles, "owners") == ["Andrew Foord", "Naomi Cartledge"])
    }

    @Test func timescalesProgressAndStatusFromOldham() throws {
        let plan = try loader.load(path: Fixtures.path("oldham-priority-action-plan.tsv"))
        func record(_ ref: String) throws -> Record { try #require(plan.records.first { text($0, "ref") == ref }) }
        let slot = { (name: String) in CollectionSchema.actions.slot(of: name)! }
        let r18 = try record("1.8")
        #expect(r18.values[slot("due_original")].stringValue == "2024-05-31")
        #expect(r18.values[slot("due")].stringValue == "2024-06-30")
        let r14 = try record("1.4")
        #expect(text(r14, "status_inferred") == "Confirmed complete")
        #expect(text(r14, "status") == nil)
        guard case .list(let entries) = r14.values[slot("progress_entries")] else { Issue.record("entries"); return }
        #expect(!entries.isEmpty)
        #expect(strings(try record("1.15"), "owners") == ["PCF", "Katie Charlton"])
        #expect(strings(try record("2.5"), "owners") == ["Heather Martin-Netherwood"])
    }
}

@Suite struct OwnerTests {
    let directory = OwnerDirectory(entries: [
        OwnerEntry(name: "Steve Larking", aliases: ["Steven Larking", "SL"], email: "s@example.org", role: nil, escalatesTo: nil),
        OwnerEntry(name: "Health & Social Care Partnership", aliases: [], email: nil, role: nil, escalatesTo: nil),
    ])

    @Test(arguments: [
        ("Amber Burton & Angela Welsh & Abi Ajayi", ["Amber Burton", "Angela Welsh", "Abi Ajayi"]),
        ("Steve Larking / Sheila Garara / Bruce Penhale", ["Steve Larking", "Sheila Garara", "Bruce Penhale"]),
        ("PCF/Katie Charlton", ["PCF", "Katie Charlton"]),
        ("Heather Martin-Netherwood", ["Heather Martin-Netherwood"]),
        ("Andrew Foord (Headteacher, Cromwell Specialist School)", ["Andrew Foord"]),
        ("Charlotte Finch (Head of SEND) [Elaine Healey]", ["Charlotte Finch", "Elaine Healey"]),
        ("Karen Kromilicki DCO); Louise Rule (Head of Starting Well) and Elaine Healey", ["Karen Kromilicki DCO", "Louise Rule", "Elaine Healey"]),
        ("EPS; Head of SEN Assessment Team", ["EPS", "Head of SEN Assessment Team"]),
        ("Health & Social Care Partnership and Amber Burton", ["Health & Social Care Partnership", "Amber Burton"]),
        ("A, B\nC", ["A", "B", "C"]),
    ])
    func splits(cell: String, expected: [String]) {
        #expect(directory.split(cell) == expected)
    }

    @Test func resolvesAliasesAndListsUnknownOwners() throws {
        let reader = FieldReader(schema: .actions, owners: directory)
        var values = [Value](repeating: .null, count: CollectionSchema.actions.fields.count)
        try reader.assign("Steven Larking & Pat Smith", to: CollectionSchema.actions.slot(of: "owners")!, in: &values)
        #expect(values[CollectionSchema.actions.slot(of: "owners")!].stringValue == nil)
        guard case .list(let owners) = values[CollectionSchema.actions.slot(of: "owners")!],
              case .list(let unknown) = values[CollectionSchema.actions.slot(of: "unknown_owners")!] else { Issue.record("lists"); return }
        #expect(owners.compactMap(\.stringValue) == ["Steve Larking", "Pat Smith"])
        #expect(unknown.compactMap(\.stringValue) == ["Pat Smith"])
    }

    @Test func directoryFileErrors() throws {
        let bad = try temporaryFile("owners.yaml", "- name: A\n  emial: a@example.org\n")
        #expect { try OwnerDirectory.load(path: bad) } throws: { ($0 as? PlanError)?.description.contains(":2:3: error: unknown key 'emial'") == true }
        let dangling = try temporaryFile("owners.yaml", "- name: A\n  escalates-to: Board\n")
        #expect { try OwnerDirectory.load(path: dangling) } throws: { ($0 as? PlanError)?.message.contains("escalates to 'Board'") == true }
        let ok = try OwnerDirectory.load(path: try temporaryFile("owners.yaml", "- {name: Board}\n- {name: A, aliases: [Al], escalates-to: Board}\n"))
        #expect(ok.canonical("al") == "A")
    }
}

@Suite struct CellAndRefTests {
    @Test(arguments: [
        ("<p><b>Priority area 1</b> : Leaders</p> <p><b>Priority area 2</b> : Partners</p>", "Priority area 1 : Leaders\nPriority area 2 : Partners"),
        ("<b>Speech &amp; Language Therapy: backlog recovery</b>", "Speech & Language Therapy: backlog recovery"),
        ("Amber Burton & Steve   Larking ", "Amber Burton & Steve Larking"),
        ("<ul style=\"list-style-type: none\"> Strategy A <li>Strategy B</li></ul>", "Strategy A\nStrategy B"),
        ("fewer than < 5% wait", "fewer than < 5% wait"),
        ("see <a href=\"https://example.org\">the report</a>", "see the report"),
        ("S&LT and SEND&IIP", "S< and SEND&IIP"),
    ])
    func cleansCells(raw: String, clean: String) {
        #expect(CellText.clean(raw) == clean)
    }

    @Test(arguments: [
        ("PAP: 1.1", "1.1"), ("PAP5B:1", "PAP5B:1"), ("1:1a", "1:1a"), ("HP 4", "HP 4"),
        ("3.1.1 [3.2-3.5]", "3.1.1"), ("10.1.6 [see also priority 3]", "10.1.6"), ("  1.10 ", "1.10"),
    ])
    func normalisesRefs(raw: String, ref: String) {
        #expect(Refs.normalise(raw) == ref)
    }

    @Test func duplicateRefsAreFlaggedNotMerged() throws {
        let plan = try loader.load(path: try temporaryFile("p.csv", "Ref,Action,Owner\n1.1,A,X\n1.2,B,Y\nPAP: 1.1,C,Z\n"))
        #expect(plan.records.count == 3)
        #expect(plan.tally.duplicateRefs == ["1.1"])
        let flags = plan.records.map { $0.values[CollectionSchema.actions.slot(of: "duplicate_ref")!] }
        #expect(flags.map { v -> Bool? in if case .bool(let b) = v { return b } else { return nil } } == [true, false, true])
    }
}

@Suite struct BadWorkbookTests {
    func workbook(_ parts: [String: Data]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stocktake-xlsx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("plan.xlsx")
        let archive = try Archive(url: url, accessMode: .create)
        for (name, data) in parts.sorted(by: { $0.key < $1.key }) {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return url.path
    }

    let workbookXML = Data(#"<workbook xmlns:r="r"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>"#.utf8)
    let rels = Data(#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#.utf8)

    func expectError(_ path: String, _ fragment: String, limits: XLSXReader.Limits = .init()) {
        do {
            let reader = try XLSXReader(path: path, limits: limits)
            for sheet in try reader.sheets() { _ = try reader.rows(of: sheet) }
            _ = try loader.load(path: path)
            Issue.record("expected an error containing \(fragment)")
        } catch let e as PlanError {
            #expect(e.description.hasPrefix(path))
            #expect(e.description.contains(fragment), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func truncatedAndGarbageFiles() throws {
        let real = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.path("oldham-priority-action-plan.xlsx")))
        expectError(try temporaryFile("cut.xlsx", [UInt8](real.prefix(real.count / 2))), "not a valid zip archive")
        expectError(try temporaryFile("junk.xlsx", [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 7, count: 200)), "not a valid zip archive")
    }

    @Test func missingPartsAndHeaders() throws {
        expectError(try workbook(["xl/workbook.xml": workbookXML, "xl/_rels/workbook.xml.rels": rels]), "sheet 'Plan' is missing")
        let noHeader = Data(#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>hello</t></is></c></row></sheetData></worksheet>"#.utf8)
        expectError(try workbook(["xl/workbook.xml": workbookXML, "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": noHeader]),
                    "no sheet has a header row")
        expectError(try workbook(["docProps/app.xml": Data("<x/>".utf8)]), "no xl/workbook.xml")
    }

    @Test func zipBombsAndHugeStringTablesAreRefused() throws {
        let bomb = Data(count: 20_000_000)
        expectError(try workbook(["xl/workbook.xml": workbookXML, "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": bomb]),
                    "possible zip bomb")
        let strings = Data(("<sst>" + String(repeating: "<si><t>a</t></si>", count: 50) + "</sst>").utf8)
        let path = try workbook(["xl/workbook.xml": workbookXML, "xl/_rels/workbook.xml.rels": rels, "xl/sharedStrings.xml": strings,
                                 "xl/worksheets/sheet1.xml": Data("<worksheet><sheetData/></worksheet>".utf8)])
        expectError(path, "more than 10 entries", limits: .init(maxSharedStrings: 10))
    }

    @Test func datesFollowTheirNumberFormat() {
        func format(_ serial: Double, _ code: String, date1904: Bool = false) -> String? {
            XLSXReader.day(fromSerial: serial, date1904: date1904).map { XLSXReader.formatDate($0, code) }
        }
        #expect(format(45170, "mmm-yy") == "Sep-23")
        #expect(format(45443, "yyyy-mm-dd") == "2024-05-31")
        #expect(format(43981, "yyyy-mm-dd", date1904: true) == "2024-05-31")
        #expect(XLSXReader.day(fromSerial: 60, date1904: false)?.description == "1900-02-28")
        #expect(XLSXReader.day(fromSerial: 59, date1904: false)?.description == "1900-02-28")
        #expect(XLSXReader.day(fromSerial: 61, date1904: false)?.description == "1900-03-01")
        #expect(XLSXReader.day(fromSerial: 1, date1904: false)?.description == "1900-01-01")
        // The last day Excel shows, and what lies outside: no trap, no plausible wrong date.
        #expect(format(2_958_465, "yyyy-mm-dd") == "9999-12-31")
        #expect(format(2_957_003, "yyyy-mm-dd", date1904: true) == "9999-12-31")
        for serial in [Double.nan, .infinity, -.infinity, 1e20, 1e15, 2_958_466, -1, 0] {
            #expect(XLSXReader.day(fromSerial: serial, date1904: false) == nil, "\(serial)")
        }
        #expect(XLSXReader.day(fromSerial: 0, date1904: true)?.description == "1904-01-01")
        #expect(XLSXReader.isDateFormat("dd/mm/yyyy") && !XLSXReader.isDateFormat("0.00%"))
    }
}

@Suite struct InferredStatusTests {
    @Test(arguments: [
        ("Nov23-AA: Confirmed complete", "Confirmed complete"),
        ("This action is now complete.", "This action is now complete"),
        ("Nov 24: Recommendation to close (agreed by LIP EB May 25)", "Recommendation to close"),
        ("July LIP EB agreed to close the PAP action.", "Agreed to close"),
        ("Nov 24 - Agreed as complete during LIP EB.", "Agreed as complete"),
        ("Oct 24: Marked as complete as waiting list has halved", "Marked as complete"),
        ("Sep 24: Complete and all key stakeholders have given final feedback.", "Complete"),
        ("Jun 24: PG: better join up. Action complete although will develop more.", "Action complete"),
    ])
    func completionPhrases(text: String, phrase: String) {
        #expect(Derivations.inferredStatus(text) == phrase)
    }

    @Test(arguments: [
        "Action will be completed by May 2024.",
        "Agreed action to remain open until the review.",
        "Action can be closed when reported and agreed at LIP Exec.",
        "Work has been completed and Dr Howard invited to PfA workstream.",
        "recommendation to complete action once agreed at board",
    ])
    func lookAlikesAreNotCompletion(text: String) {
        #expect(Derivations.inferredStatus(text) == nil)
    }
}

@Suite struct PlanProfileTests {
    let csv = "Quarterly improvement tracker\nNo.,What we will do,Who,When,Status\n1,Publish local offer,Amber Burton,Sep-23,On track\n"

    @Test func headingsTheHeuristicsMissAreMappedByTheProfile() throws {
        let path = try temporaryFile("odd.csv", csv)
        let plain = try loader.load(path: path)
        #expect(plain.tally.unmappedColumns == ["Who", "When"])
        var profiled = loader
        profiled.profile = PlanProfile(columns: ["Who": "owners", "When": "due"])
        let plan = try profiled.load(path: path)
        #expect(plan.tally.unmappedColumns.isEmpty)
        #expect(strings(plan.records[0], "owners") == ["Amber Burton"])
        #expect(plan.records[0].values[CollectionSchema.actions.slot(of: "due")!].stringValue == "2023-09-30")
    }

    @Test func columnLettersOnAGivenHeaderRow() throws {
        let path = try temporaryFile("letters.csv", "x,y,z\nA1,Do it,Amber\n")
        var profiled = loader
        profiled.profile = PlanProfile(columns: ["A": "ref", "B": "action", "C": "owners"], headerRow: 1)
        let plan = try profiled.load(path: path)
        #expect(plan.records.count == 1)
        #expect(text(plan.records[0], "action") == "Do it")
    }

    @Test func profileFilesAreChecked() throws {
        let bad = try temporaryFile("p.yaml", "columns:\n  Who: ownr\n")
        #expect { try PlanProfile.load(path: bad, schema: .actions) } throws: {
            ($0 as? PlanError)?.description.contains(":2:8: error: 'ownr' is not a field of 'actions' (did you mean 'owners'?)") == true
        }
        let unknown = try temporaryFile("p.yaml", "colums: {}\n")
        #expect { try PlanProfile.load(path: unknown, schema: .actions) } throws: { ($0 as? PlanError)?.message.contains("unknown key 'colums'") == true }
    }
}
