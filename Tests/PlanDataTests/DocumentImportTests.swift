import Foundation
import Testing

@testable import Expressions
@testable import PlanData

private func fieldValue(_ r: Record, _ field: String) -> Value { r.values[CollectionSchema.actions.slot(of: field)!] }

/// Documents converted from PDF or Word: several tables, boxes, notes and page furniture.
@Suite struct DocumentImportTests {
    @Test func tameside2025ReadsOnlyTheActionTables() throws {
        let plan = try loader.load(path: try Fixtures.path("tameside-send-improvement-plan-2025.tsv"))
        let t = plan.tally
        #expect(t.records == 78)  // 48 PAP actions and 30 of workstream P1
        #expect(t.totalRows == 296)  // every line accounted for
        #expect(t.skipped.isEmpty)
        #expect(t.continuationRows == 0)  // no action row is split by a page break in this document
        let kinds = Dictionary(uniqueKeysWithValues: t.otherKinds.map { ($0.kind, $0.count) })
        #expect(kinds["separator row"] == 47)
        #expect(kinds["table row"] == 8)  // the plan on a page: one row per workstream, never an action
        #expect(kinds["header of another table"] == 8)
        #expect(kinds["label row"] == 8)  // "What does good look like …:" beside its text
        #expect(t.legendRows == 21)  // the five-status legend after four tables, and "Key"-less lines
        #expect(t.duplicateRefs.isEmpty)
        let refs = plan.records.compactMap { text($0, "ref") }
        #expect(refs.prefix(3) == ["1:1a", "1:1b", "1:2a"])
        #expect(!refs.contains { $0.lowercased().contains("workstream") || $0.contains("What") })
        let first = plan.records[0]
        #expect(text(first, "parent") == "PAP 1:1")
        #expect(text(first, "section") == "Priority Action 1")
        #expect(strings(first, "owners") == ["Head of SEND"])
        #expect(text(first, "baseline")?.hasPrefix("Parent/Carer questionnaire Nov 24") == true)
        // Rows under a merged ref cell are actions of their own, numbered under it.
        let second = try #require(plan.records.first { text($0, "ref") == "1.1 (2)" })
        #expect(text(second, "parent") == "1.1")
        #expect(strings(second, "owners") == ["CTH"])
        #expect(text(second, "section") == "P1 Enabling Inclusion in Education")
        // A row after a page header that starts a new action is not merged into the one above.
        #expect(refs.contains("1.3 (4)") && refs.contains("1.6 (3)"))
    }

    @Test func rowsOfOtherKindsAreNeverRecords() throws {
        let tsv = """
            Ref\tAction\tOwner\tDue
            ---\t---\t---\t---
            1.1\tPublish the local offer\tHead of SEND\tSep-24
            How we will know:\t90% of families find what they need
            \tfewer complaints about information
            ------\t------\t------\t------
            Note: dates are reviewed quarterly
            This paragraph explains at length what the partnership intends to do next and why it matters to families.
            1.2\tSee 1.1\t\t
            12
            1.3\tReview the graduated approach\tLead for Inclusion & Outreach\tDec-24
            """
        let plan = try loader.load(path: try temporaryFile("doc.tsv", tsv))
        #expect(plan.records.compactMap { text($0, "ref") } == ["1.1", "1.2", "1.3"])
        #expect(plan.tally.totalRows == 11)
        let kinds = plan.tally.other.map { "\($0.location.split(separator: ":").last!) \($0.kind!)" }
        #expect(
            kinds == [
                "2 separator row", "4 label row", "5 label row (continued)", "6 separator row", "7 note",
                "8 note", "10 page number",
            ])
        let reference = plan.records[1]
        #expect(text(reference, "kind") == "reference")
        #expect(strings(reference, "references") == ["1.1"])
        #expect(strings(plan.records[2], "owners") == ["Lead for Inclusion & Outreach"])
        // The measure's second line stays in the box: the record above keeps its own text.
        #expect(text(plan.records[0], "action") == "Publish the local offer")
    }

    @Test func explainRowSaysWhichTableAndRule() throws {
        let tsv = "Ref\tAction\tOwner\tDue\n1.1\tPublish\tAmber Burton\tSep-24\nHow we will know:\t90%\n"
        var explaining = loader
        explaining.explainRow = 3
        let plan = try explaining.load(path: try temporaryFile("explain.tsv", tsv))
        #expect(
            plan.tally.explanation == "line 3, in the action table headed at line 1: label row: the ref column holds "
                + "the label 'How we will know:', not a ref (a box of the document)")
        explaining.explainRow = 2
        let record = try explaining.load(path: try temporaryFile("explain.tsv", tsv))
        #expect(
            record.tally.explanation?.contains("record: the ref column holds '1.1', which looks like a ref") == true)
    }

    @Test(arguments: [
        ("See 2.4.1 and 2.4.2", ["2.4.1", "2.4.2"]),
        ("see also priority 3", ["priority 3"]),
        ("Refer to actions 3.2-3.5", ["actions 3.2-3.5"]),
        ("(see PAP 1.2)", ["PAP 1.2"]),
    ])
    func crossReferences(text: String, refs: [String]) {
        #expect(RowShape.crossReferences(text) == refs)
    }

    @Test(arguments: [
        "See the strategy for details",
        "Review the Transition Protocol (see priority 3) and publish it",
        "Seek views from 20 schools",
        "2 weeks",
    ])
    func actionsThatSayMoreAreNotReferences(text: String) {
        #expect(RowShape.crossReferences(text) == nil)
    }

    @Test func tamesideWSoAReferenceRow() throws {
        let plan = try loader.load(path: try Fixtures.path("tameside-wsoa-2022.tsv"))
        let r = try #require(plan.records.first { text($0, "ref") == "4.1.1" })
        #expect(text(r, "kind") == "reference")
        #expect(strings(r, "references") == ["2.4.1", "2.4.2"])
        let linked = try #require(plan.records.first { text($0, "ref") == "10.1.6" })
        #expect(text(linked, "kind") == "action")
        #expect(strings(linked, "references") == ["priority 3"])
        #expect(plan.records.filter { text($0, "kind") == "reference" }.count == 1)
    }
}

@Suite struct OwnerTitleTests {
    @Test(arguments: [
        ("Head of Service: Early Help and Family Support", ["Head of Service: Early Help and Family Support"]),
        ("Lead for Inclusion & Outreach", ["Lead for Inclusion & Outreach"]),
        (
            "Assistant Director - Early Help and Family Help Transformation",
            ["Assistant Director - Early Help and Family Help Transformation"]
        ),
        (
            "Programme Lead for SEND Head of Service: Inclusion",
            ["Programme Lead for SEND", "Head of Service: Inclusion"]
        ),
        (
            "ND Pathway Programme Manager & Head of Early Help & AD Education",
            ["ND Pathway Programme Manager", "Head of Early Help", "AD Education"]
        ),
        ("Deputy Head of SEND", ["Deputy Head of SEND"]),
        ("SEND Officer (A) and SEND Officer (B)", ["SEND Officer (A)", "SEND Officer (B)"]),
        ("CYP Commissioner (health)", ["CYP Commissioner (health)"]),
        ("Charlotte Finch (Head of SEND) and Wendy Young", ["Charlotte Finch", "Wendy Young"]),
        ("Bunmi Lawson (DMO), Karen Kromolicki (DCO)", ["Bunmi Lawson", "Karen Kromolicki"]),
        ("Adrian Rocks (Head of Education Commissioning), Elaine Healey", ["Adrian Rocks", "Elaine Healey"]),
        ("AD Education/ICB lead", ["AD Education", "ICB lead"]),
    ])
    func titles(cell: String, expected: [String]) {
        #expect(OwnerDirectory().split(cell) == expected)
    }

    @Test func organisationLabelsTagTheOwners() {
        // Cells are cleaned of HTML before owners are read, as the importer does.
        let clean = OwnerDirectory().splitTagged(
            CellText.clean("<b>LA:</b> Head of SEND <b>ICB:</b> Designated Clinical Officer"))
        #expect(clean.map(\.name) == ["Head of SEND", "Designated Clinical Officer"])
        #expect(clean.map(\.organisation) == ["LA", "ICB"])
        let colon = OwnerDirectory().splitTagged("Head of SEND: Inclusion")
        #expect(colon.map(\.name) == ["Head of SEND: Inclusion"] && colon[0].organisation == nil)
    }

    @Test func runTogetherOwnersSplitAtOwnersTheSamePlanNames() {
        let known: Set = ["JCH", "HCO", "Karen Kromilicki", "Head of SEND"]
        #expect(OwnerTitles.splitAtKnown("JCH TSOSS EPS service", known) == ["JCH", "TSOSS EPS service"])
        #expect(OwnerTitles.splitAtKnown("HCO Post 16 Heads group", known) == ["HCO", "Post 16 Heads group"])
        #expect(OwnerTitles.splitAtKnown("Karen Kromilicki DCO", known) == ["Karen Kromilicki DCO"])
        #expect(OwnerTitles.splitAtKnown("Deputy Head of SEND", known) == ["Deputy Head of SEND"])
    }

    @Test func spellingsOfOnePersonAreReportedNotMerged() throws {
        let plan = try loader.load(path: try Fixtures.path("oldham-priority-action-plan.tsv"))
        #expect(plan.tally.similarOwners == [["Steve Larking", "Steven Larking"]])
        let owners = Set(plan.records.flatMap { strings($0, "owners") })
        #expect(owners.contains("Steve Larking") && owners.contains("Steven Larking"))
        let wsoa = try loader.load(path: try Fixtures.path("tameside-wsoa-2022.tsv"))
        #expect(
            wsoa.tally.similarOwners == [
                ["Karen Kromilicki", "Karen Kromolicki"], ["Kristian Sulek", "Kristiane Sulek"],
            ])
        #expect(OwnerTitles.similarNames(["Head of SEND", "Head of SEN", "Amber Burton"]).isEmpty)
    }

    @Test func organisationsReachTheRecord() throws {
        let tsv = "Ref\tAction\tOwner\tDue\n1.1\tPublish\tLA: Head of SEND ICB: Designated Clinical Officer\tSep-24\n"
        let plan = try loader.load(path: try temporaryFile("orgs.tsv", tsv))
        #expect(strings(plan.records[0], "owners") == ["Head of SEND", "Designated Clinical Officer"])
        guard case .map(let m) = fieldValue(plan.records[0], "owner_organisations") else {
            Issue.record("no map")
            return
        }
        #expect(m[.string("Head of SEND")]?.stringValue == "LA")
        #expect(m[.string("Designated Clinical Officer")]?.stringValue == "ICB")
    }
}

/// A file with no action table, or a header whose headings map only partly.
@Suite struct HeaderDiagnosisTests {
    private func error(_ name: String, _ text: String) throws -> String {
        let path = try temporaryFile(name, text)
        do {
            _ = try loader.load(path: path)
        } catch let e as PlanError {
            return e.description.replacingOccurrences(of: path, with: name)
        }
        Issue.record("\(name) was read without an error")
        return ""
    }

    @Test func misspeltHeadingsAreNamedWithWhatTheyMayMean() throws {
        let message = try error("typo.tsv", "Action plan\nRef\tActon\tOwenr\tTimscale\n1.1\tDo it\tAB\tSep-24\n")
        #expect(
            message == "typo.tsv:2: error: no action table: the row nearest to a header is line 2 ('Ref | Acton | "
                + "Owenr | Timscale'), whose headings give 'Ref' → ref; it has no action, owners or due column; "
                + "'Acton' (did you mean 'action'?), 'Owenr' (did you mean 'owner', read as owners?), 'Timscale' (did you "
                + "mean 'timescale', read as due?) name no field. An action table needs a column for the ref or the "
                + "action and two of action, owners, due: rename the headings, or map them to fields in a profile "
                + "(--profile)")
    }

    @Test func onlyAnotherTableIsNamedAsTheNearest() throws {
        // The "plan on a page" of a strategy: refs and leads, but no action and no due date.
        let header = "Ref\tWorkstream\tLead group\tLeads\tSystem change\tDesired outcome\tKey risk/s\n"
        let row = "P1\tInclusion\tSENDIG\tHead of SEND\tMore\tBetter\tCapacity\n"
        let message = try error("overview.tsv", header + row)
        #expect(message.hasPrefix("overview.tsv:1: error: no action table: the row nearest to a header is line 1"))
        #expect(message.contains("whose headings give 'Ref' → ref, 'Workstream' → section, 'Lead group' → owners"))
        #expect(message.contains("it has no action or due column; 'Leads' (owners is read from the column 'Lead "
                                 + "group'), 'System change', 'Desired outcome', 'Key risk/s' name no field."))
    }

    @Test func textWithoutColumnsSaysSo() throws {
        // As a PDF's text comes out: a header broken over lines, one cell a line.
        let pdf = "SEND Improvement Plan\n\nRef Target\nActivity to achieve the\ntarget\nOwner\nTimescale\n"
            + "1:1a Develop a\n"
        let message = try error("plan.txt.tsv", pdf)
        #expect(message.hasPrefix("plan.txt.tsv:3: error: no action table: the row nearest to a header is line 3"
                                  + " ('Ref Target'), whose headings give 'Ref Target' → ref"))
        #expect(message.hasSuffix("That row is a single cell, as is every row of this file (blank rows aside): the "
                                  + "file has hardly any columns (text taken from a PDF keeps no table); export the "
                                  + "tables as CSV or TSV"))
        let none = try error("none.tsv", "Introduction\nWe will work with families.\n")
        #expect(none.hasSuffix("Every row of this file is a single cell, so it has no columns (text taken from a PDF"
                               + " keeps no table); export the tables as CSV or TSV"))
    }

    @Test func aWideHeaderWithTheCoreColumnsIsReadAndItsOtherHeadingsNamed() throws {
        // Three of six headings name fields: below the usual share, but ref, action and due make it an action table.
        let tsv = "Ref\tAction\tOwenr\tTimescale\tBoard sign-off\tNotes\n1.1\tPublish\tAB\tSep-24\t\t\n"
        let plan = try loader.load(path: try temporaryFile("wide.tsv", tsv))
        #expect(plan.records.count == 1)
        #expect(plan.tally.unmappedColumns == ["Owenr", "Board sign-off", "Notes"])
        #expect(plan.tally.headingHints == ["Owenr": "did you mean 'owner', read as owners?"])
        // A second column for a field already read is named with the column that has it.
        let twiceTSV = "Ref\tAction\tLead\tLeads\tDue\n1.1\tDo\tA\tB\tSep-24\n"
        let twice = try loader.load(path: try temporaryFile("twice.tsv", twiceTSV))
        #expect(twice.tally.headingHints == ["Leads": "owners is read from the column 'Lead'"])
    }

    @Test func aDocumentWithTablesAmongItsTextIsReadAsATable() throws {
        // No extension that says what it is, and a title line first: the tab-separated lines decide.
        let doc = "Written Statement of Action\n\nRef\tAction\tOwner\tDue\n"
            + "1.1\tPublish\tAB\tSep-24\n1.2\tReview\tCD\tDec-24\n"
        let plan = try loader.load(path: try temporaryFile("wsoa.txt", doc))
        #expect(plan.records.count == 2)
        #expect(plan.name == "Written Statement of Action")
        let prose = try error("notes.txt", "Our plan\nWe will do this: and that: and more: always.\n")
        #expect(prose.hasSuffix("(read as YAML, as neither the file's name nor its first bytes say what it is; for a"
                                + " table give --input-format tsv or csv)"))
    }

    @Test func explainRowOfAWorkbookNamesTheSheetRow() throws {
        var explaining = loader
        explaining.explainRow = 3
        let plan = try explaining.load(path: try Fixtures.path("oldham-priority-action-plan.xlsx"))
        #expect(plan.tally.explanation?.hasPrefix("row 3 of sheet 'Priority Action Plan', in the action table") == true)
    }
}
