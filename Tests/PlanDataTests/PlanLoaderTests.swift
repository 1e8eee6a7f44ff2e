import Foundation
import Testing
@testable import Expressions
@testable import PlanData

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ name: String, _ contents: [UInt8]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stocktake-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(contents).write(to: url)
    return url.path
}

func temporaryFile(_ name: String, _ text: String) throws -> String {
    try temporaryFile(name, Array(text.utf8))
}

let loader = PlanLoader(schema: .actions)

func value(_ record: Record, _ field: String) -> Value {
    record.values[CollectionSchema.actions.slot(of: field)!]
}

@Suite struct YAMLPlanTests {
    @Test func fieldsAreTypedByTheSchema() throws {
        let path = try temporaryFile("plan.yaml", """
        plan: Test plan
        actions:
          - ref: 1.10
            owners: [Amber Burton, "Steve Larking"]
            due: 2024-05-31
            status: "yes"
          - ref: 2.1
            owners: Amber Burton; Abi Ajayi
            due: when funding allows
        """)
        let plan = try loader.load(path: path)
        #expect(plan.name == "Test plan")
        #expect(plan.records.count == 2)
        let first = plan.records[0]
        guard case .string("1.10") = value(first, "ref") else { Issue.record("ref should stay the text 1.10"); return }
        guard case .date(let d) = value(first, "due") else { Issue.record("due should be a date"); return }
        #expect(d.description == "2024-05-31")
        guard case .list(let owners) = value(first, "owners") else { Issue.record("owners should be a list"); return }
        #expect(owners.count == 2)
        guard case .string("yes") = value(first, "status") else { Issue.record("quoted yes stays text"); return }
        #expect(first.source.line == 3)
        #expect(first.source.column == 5)
        let second = plan.records[1]
        #expect(value(second, "due").isNull)
        guard case .string("when funding allows") = value(second, "due_text") else { Issue.record("unreadable date keeps its text"); return }
        guard case .bool(false) = value(second, "due_parsed") else { Issue.record("due_parsed should be false"); return }
        guard case .list(let split) = value(second, "owners") else { Issue.record("owners should be split"); return }
        #expect(split.count == 2)
    }

    @Test func unknownFieldsAreErrorsWithASuggestion() throws {
        let path = try temporaryFile("plan.yaml", "actions:\n  - ref: 1\n    stauts: Red\n")
        #expect {
            try loader.load(path: path)
        } throws: { error in
            let e = error as! PlanError
            return e.line == 3 && e.column == 5 && e.message.contains("unknown field 'stauts' (did you mean 'status'?)")
        }
    }

    @Test func aTopLevelListIsAccepted() throws {
        let path = try temporaryFile("plan.yml", "- ref: A1\n- ref: A2\n")
        #expect(try loader.load(path: path).records.count == 2)
    }
}

@Suite struct JSONPlanTests {
    @Test func jsonPlansKeepPositions() throws {
        let path = try temporaryFile("plan.json", """
        {"plan": "J", "actions": [
          {"ref": "1.1", "due": "2024-01-31", "owners": ["A"]},
          {"ref": "1.2", "due": null}
        ]}
        """)
        let plan = try loader.load(path: path)
        #expect(plan.records.map(\.source.line) == [2, 3])
        guard case .date = value(plan.records[0], "due") else { Issue.record("due should be a date"); return }
    }
}

@Suite struct CSVPlanTests {
    @Test func rfc4180QuotingBOMAndCRLF() throws {
        let csv = "\u{FEFF}Ref,Action,Owner,Due date,RAG,Notes\r\n"
            + "1.1,\"Publish the \"\"local offer\"\", with parents\",Amber Burton; Abi Ajayi,2024-03-31,On track,\r\n"
            + "\r\n"
            + "1.2,\"Two\nlines\",Steve,TBC,,kept\r\n"
        let plan = try loader.load(path: try temporaryFile("plan.csv", csv))
        #expect(plan.records.count == 2)
        #expect(plan.tally.blankRows == 1)
        #expect(plan.tally.headerRows == 1)
        #expect(plan.tally.totalRows == 4)
        #expect(plan.tally.unmappedColumns == ["Notes"])
        guard case .string(let action) = value(plan.records[0], "action") else { Issue.record("action"); return }
        #expect(action == "Publish the \"local offer\", with parents")
        #expect(plan.records[1].source.line == 4)
        #expect(plan.records[1].extras.first?.text == "kept")
        guard case .string("TBC") = value(plan.records[1], "due_text") else { Issue.record("due_text"); return }
    }

    @Test func tsvIsDetectedFromTheExtension() throws {
        let plan = try loader.load(path: try temporaryFile("plan.tsv", "Ref\tOwner\tDue\n1.1\tAndrew Foord (Headteacher, Cromwell School) and Amber Burton\tSep-23\n"))
        guard case .list(let owners) = value(plan.records[0], "owners") else { Issue.record("owners"); return }
        #expect(owners.map(\.stringValue) == ["Andrew Foord", "Amber Burton"])
        guard case .date(let due) = value(plan.records[0], "due") else { Issue.record("due"); return }
        #expect(due.description == "2023-09-30")
    }
}

@Suite struct BadPlanInputTests {
    @Test(arguments: [
        ("empty.yaml", [UInt8](), "is empty"),
        ("blank.csv", Array("  \n\n".utf8), "is empty"),
        ("garbage.yaml", [0x00, 0xFF, 0xFE, 0x41], "invalid UTF-8"),
        ("truncated.yaml", Array("actions:\n  - ref: \"1.1\n".utf8), "end of stream"),
        ("scalar.yaml", Array("just text\n".utf8), "not a scalar"),
        ("quote.csv", Array("ref,owner\n1,\"open\n".utf8), "never closed"),
        ("noheader.csv", Array("a,b\n1,2\n".utf8), "no action table: no row has headings that name fields"),
        ("latin1.csv", Array("Ref,Owner,Due\n1.1,".utf8) + [0xE9] + Array("lise,Sep-23\n".utf8), ":2: error: invalid UTF-8 byte 0xE9"),
        ("badjson.json", Array("{\"actions\": [}".utf8), "expected"),
        ("nolist.yaml", Array("plan: x\n".utf8), "no 'actions:' list"),
    ])
    func badInputs(name: String, bytes: [UInt8], fragment: String) throws {
        let path = try temporaryFile(name, bytes)
        do {
            _ = try loader.load(path: path)
            Issue.record("expected an error")
        } catch let e as PlanError {
            #expect(e.description.hasPrefix(path), "\(e)")
            #expect(e.description.contains(fragment), "\(e)")
        }
    }

    @Test func missingFileAndDirectory() {
        #expect(throws: PlanError.self) { try loader.load(path: "/nonexistent/plan.yaml") }
        #expect(throws: PlanError.self) { try loader.load(path: FileManager.default.temporaryDirectory.path) }
    }
}

/// Counting a part's lines eight bytes at a time gives the count byte by byte does, for every
/// byte value at every position of every length up to 40 (and newlines next to each other).
@Suite struct LineCountTests {
    @Test func newlinesAreCountedAsByteByByte() {
        for length in 0...40 {
            for position in 0..<max(1, length) {
                for byte: UInt8 in [0x0A, 0x0B, 0x09, 0x00, 0x8A, 0xFF, 0x0A ^ 0x80] {
                    var bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) | 0x20 }
                    if position < length { bytes[position] = byte }
                    if length > 3 { bytes[length / 2] = 0x0A; bytes[length / 2 - 1] = 0x0A }
                    let expected = bytes.filter { $0 == 0x0A }.count
                    let counted = bytes.withUnsafeBufferPointer { ChunkedLines.newlines($0) }
                    guard counted == expected else {
                        Issue.record("\(bytes): \(counted) newlines, expected \(expected)")
                        return
                    }
                }
            }
        }
    }
}
