import Foundation
import Testing
@testable import Expressions
@testable import PlanData

/// The SEN2 XML reader on the hand-made return in Tests/Fixtures/sen2 and on broken files.
@Suite struct SEN2ReaderTests {
    /// The fields of rules/sen2.yaml's collection that these tests read.
    static let schema = CollectionSchema(name: "sen2", key: "request_id", fields: [
        FieldSpec("person_id", .string), FieldSpec("request_id", .string), FieldSpec("sen2_problems", .list(.string)),
        FieldSpec("Year", .int), FieldSpec("ReferenceDate", .date),
        FieldSpec("ReceivedDate", .date), FieldSpec("RequestOutcome", .string), FieldSpec("RequestOutcomeDate", .date),
        FieldSpec("AssessmentOutcome", .string), FieldSpec("AssessmentOutcomeDate", .date), FieldSpec("Week20", .bool),
        FieldSpec("StartDate", .date), FieldSpec("LastReview", .date), FieldSpec("SENtype", .list(.string)),
        FieldSpec("PlanDetail", .list(.map(.string, .string))),
    ])
    static let loader = PlanLoader(schema: schema)

    static var fixture: String {
        get throws {
            let name = "sen2/sen2-2025-small.xml"
            let path = Fixtures.plans.deletingLastPathComponent().appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw Fixtures.Missing(path: "Tests/Fixtures/\(name)")
            }
            return path
        }
    }

    func field(_ r: Record, _ name: String) -> Value { r.values[Self.schema.slot(of: name)!] }
    func text(_ r: Record, _ name: String) -> String? { field(r, name).stringValue }
    func day(_ r: Record, _ name: String) -> String? {
        if case .date(let d) = field(r, name) { return d.description }
        return nil
    }

    @Test func oneRecordPerRequestWithItsAssessmentPlanAndActivePlan() throws {
        let plan = try Self.loader.load(path: try Self.fixture)
        #expect(plan.records.count == 11)
        #expect(plan.tally.records == 11)
        #expect(plan.name == "SEN2 2025 return, reference date 2025-01-16, LA 999, "
                + "from HANDMADE 1.0 (serial 1, 2025-01-20T09:30:00)")
        let first = plan.records[0]
        #expect(first.source.line == 28 && first.source.column == 7)
        #expect(text(first, "request_id") == "A999000000001/2024-01-08")
        #expect(day(first, "ReceivedDate") == "2024-01-08")
        #expect(day(first, "AssessmentOutcomeDate") == "2024-05-20")
        guard case .bool(false) = field(first, "Week20") else { Issue.record("Week20 0 is false"); return }
        guard case .int(2025) = field(first, "Year") else {
            Issue.record("the header's year is on every record"); return
        }
        // Needs in rank order (the file lists SLCN, rank 2, first), placements as item maps.
        guard case .list(let needs) = field(first, "SENtype") else { Issue.record("SENtype is a list"); return }
        #expect(needs.compactMap(\.stringValue) == ["ASD", "SLCN"])
        guard case .list(let settings) = field(first, "PlanDetail"), case .map(let setting) = settings.first else {
            Issue.record("PlanDetail is a list of maps"); return
        }
        #expect(setting[.string("URN")]?.stringValue == "100001")
        // Items the collection does not declare are kept as extras, never lost (the header's are the tally's).
        #expect(first.extras.prefix(4).map(\.name) == ["Surname", "Forename", "PersonBirthDate", "Sex"])
        #expect(first.extras.first { $0.name == "SENneed" }?.text
                == "SENtype=SLCN SENtypeRank=2; SENtype=ASD SENtypeRank=1")
        #expect(!first.extras.contains { $0.name == "SoftwareCode" })
        #expect(plan.tally.unmappedColumns.contains("CeaseReason"))
        // A child without a UPN or ULN is named by position; two requests of one child are two records.
        #expect(plan.records.compactMap { text($0, "request_id") }.filter { $0.hasPrefix("A999000000008/") }.count == 2)
        #expect(text(plan.records[4], "person_id") == "person 5")
    }

    @Test func everyElementIsCountedAndEveryProblemPlaced() throws {
        let plan = try Self.loader.load(path: try Self.fixture)
        let counts = Dictionary(uniqueKeysWithValues: plan.tally.elements.map { ($0.name, $0.count) })
        #expect(counts["Person"] == 10)
        #expect(counts["Requests"] == 11)
        #expect(counts["Assessment"] == 8)
        #expect(counts["NamedPlan"] == 6)
        #expect(counts["CaseOfficer"] == 1)
        // Every start tag of the file is in the tally.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try Self.fixture)))
        let tags = zip(bytes, bytes.dropFirst()).filter { $0.0 == UInt8(ascii: "<") && (65...90).contains($0.1) }.count
        #expect(plan.tally.elements.reduce(0) { $0 + $1.count } == tags)
        #expect(plan.tally.itemProblems.map(\.text) == [
            "<CaseOfficer> is not an element of <Person> in the SEN2 specification; it is not read",
            "<ReceivedDate> '03/06/2024' is not a date written CCYY-MM-DD",
            "<RequestOutcome> 'X' is not a code of the specification (Y, N, A, W, H)",
        ])
        #expect(plan.tally.itemProblems.map { $0.location.split(separator: ":").suffix(2).joined(separator: ":") }
                == ["166:7", "168:9", "170:9"])
        let gorse = plan.records[6]
        guard case .list(let problems) = field(gorse, "sen2_problems") else {
            Issue.record("problems are a list"); return
        }
        #expect(problems.compactMap(\.stringValue) == [
            "166:7 Message/Persons/Person/CaseOfficer: <CaseOfficer> is not an element of <Person> "
                + "in the SEN2 specification; it is not read",
            "168:9 Message/Persons/Person/Requests/ReceivedDate: <ReceivedDate> '03/06/2024' "
                + "is not a date written CCYY-MM-DD",
            "170:9 Message/Persons/Person/Requests/RequestOutcome: <RequestOutcome> 'X' "
                + "is not a code of the specification (Y, N, A, W, H)",
        ])
        // The bad date is absent, its text kept; the unknown code is kept as written.
        #expect(field(gorse, "ReceivedDate").isNull)
        #expect(text(gorse, "RequestOutcome") == "X")
        for (i, r) in plan.records.enumerated() where i != 6 {
            guard case .list(let none) = field(r, "sen2_problems") else { continue }
            #expect(none.isEmpty, "record \(i) has problems: \(none)")
        }
    }

    static func read(_ xml: String) throws -> Plan {
        try loader.load(path: try temporaryFile("return.xml", xml))
    }

    static let header = """
        <Header><CollectionDetails><Collection>SEN2</Collection><Year>2025</Year>\
        <ReferenceDate>2025-01-16</ReferenceDate></CollectionDetails></Header>
        """

    @Test func namespacesAndCaseOfElementNamesDoNotMatter() throws {
        let plan = try Self.read("""
            <?xml version="1.0"?>
            <s:Message xmlns:s="urn:example:sen2">\(Self.header)<s:Persons><s:Person><s:UPN>A1</s:UPN>
            <s:Requests><s:receiveddate>2024-01-08</s:receiveddate><s:RequestOutcome>Y</s:RequestOutcome>
            <s:RequestOutcomeDate>2024-02-01</s:RequestOutcomeDate><s:Assessment/></s:Requests></s:Person>
            </s:Persons></s:Message>
            """)
        #expect(plan.records.count == 1)
        #expect(day(plan.records[0], "ReceivedDate") == "2024-01-08")
        #expect(text(plan.records[0], "request_id") == "A1/2024-01-08")
    }

    @Test func entitiesAndCDATAAreDecoded() throws {
        let plan = try Self.read("""
            <Message>\(Self.header)<Persons><Person><UPN>A&amp;1&#x42;</UPN><Requests>\
            <RequestOutcome><![CDATA[Y]]></RequestOutcome></Requests></Person></Persons></Message>
            """)
        #expect(text(plan.records[0], "person_id") == "A&1B")
        #expect(text(plan.records[0], "RequestOutcome") == "Y")
    }

    @Test func aPersonWithoutRequestsIsARecordWithAProblem() throws {
        let plan = try Self.read("<Message>\(Self.header)<Persons><Person><UPN>A1</UPN></Person></Persons></Message>")
        #expect(plan.records.count == 1)
        guard case .list(let problems) = field(plan.records[0], "sen2_problems") else { Issue.record("a list"); return }
        #expect(problems.first?.stringValue?.contains("the person has no <Requests>") == true)
    }

    @Test func aSecondAssessmentInOneRequestIsAProblem() throws {
        let plan = try Self.read("""
            <Message>\(Self.header)<Persons><Person><Requests><ReceivedDate>2024-01-08</ReceivedDate>
            <Assessment><AssessmentOutcome>N</AssessmentOutcome></Assessment>
            <Assessment><AssessmentOutcome>Y</AssessmentOutcome></Assessment></Requests></Person></Persons></Message>
            """)
        #expect(text(plan.records[0], "AssessmentOutcome") == "N")
        #expect(plan.tally.itemProblems.map(\.text)
                == ["a second <Assessment> in one <Requests>; only the first is checked"])
        #expect(plan.tally.itemProblems.first?.location.hasSuffix(":3:1") == true)
    }

    @Test(arguments: [
        ("<Census><Header/></Census>",
         ":1:1: error: the root element is <Census>, not <Message>: this is not an SEN2 return"),
        ("<Message><Header><CollectionDetails><Collection>SC</Collection></CollectionDetails></Header></Message>",
         ":1:37: error: this is a return of the 'SC' collection, not SEN2"),
        ("<Message><Persons/></Message>",
         ":1:10: error: <Persons> comes before a <Header> naming the SEN2 collection: is this an SEN2 return?"),
        ("<Message>\n  <Header>\n    <CollectionDetails><Collection>SEN2</Collection>",
         ":3:53: error: the file ends inside <CollectionDetails> opened at 3:5 (is it truncated?)"),
        ("<Message><Header></Persons></Message>", ":1:18: error: </Persons> does not close <Header> opened at 1:10"),
        ("<!DOCTYPE Message [<!ENTITY a \"aaaa\">]><Message/>", ":1:1: error: a document type declaration"),
        ("Year,Collection\n2025,SEN2\n", ":1:1: error: text before the root element: is this an XML file?"),
        ("<Message><Header><CollectionDetails><Collection>SEN2</Collection></CollectionDetails></Header>"
         + "&bogus;</Message>",
         ":1:95: error: the reference &bogus; is not one XML defines"),
    ] as [(String, String)])
    func filesThatAreNotReadableSEN2AreErrorsWithTheirPlace(xml: String, expected: String) throws {
        let path = try temporaryFile("return.xml", xml)
        #expect {
            _ = try Self.loader.load(path: path)
        } throws: { error in
            let message = "\(error)"
            let place = expected.prefix { $0 != " " }, text = expected.drop { $0 != " " }
            return message.hasPrefix(path + place) && message.contains(text)
        }
    }

    @Test func anXMLReturnIsRecognisedWithoutItsExtension() throws {
        let xml = Array("<?xml version=\"1.0\"?>\n<Message>\(Self.header)</Message>".utf8)
        #expect(PlanFormat.detect(path: "return.dat", bytes: xml) == .sen2)
        #expect(PlanFormat.detect(path: "cases.csv", bytes: Array("<a>,b\n".utf8)) == .csv)
        #expect(!SEN2PlanReader.looksLike(Array("case_id,team\n1,A\n".utf8)))
    }
}
