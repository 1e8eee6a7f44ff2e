import Foundation
import Testing

/// The SEN2 return end to end: the hand-made return in Tests/Fixtures/sen2 checked against
/// rules/sen2.yaml, as a casework manager would run it, and returns that cannot be read.
@Suite struct SEN2CheckTests {
    static let rules = "rules/sen2.yaml"

    @Test func theReturnIsCheckedAgainstTheStatutoryLimits() throws {
        let xml = try Fixture.path("sen2/sen2-2025-small.xml")
        let r = try CLI.run(["check", xml, "--rules", Self.rules, "--as-of", "2025-01-16"])
        try CLI.expectGolden(r, "sen2-check.txt", exitCode: 1)
    }

    @Test func planShowAccountsForEveryElement() throws {
        let xml = try Fixture.path("sen2/sen2-2025-small.xml")
        let r = try CLI.run(["plan", "show", xml, "--rules", Self.rules])
        try CLI.expectGolden(r, "sen2-plan-show.txt", exitCode: 0)
    }

    /// The DfE's measures on the hand-made return (collection year 2025: calendar year 2024),
    /// worked out by hand from the fixture:
    /// - plans issued in 2024: Ash 133 days, Birch 161, Cedar 168 with Week20 1, Ivy 131. Excluding
    ///   exceptions (Cedar out of both sides): Ash and Ivy of 3, 66.7%; including them: 2 of 4, 50.0%.
    /// - decisions whether to assess notified in 2024 (Y or N): Ash 35 days, Birch 49, Cedar 35,
    ///   Damson 35, Hazel's second request 35, Ivy 33: 5 of 6, 83.3% (Gorse's code X is no decision;
    ///   Hazel's first request was decided in 2023).
    /// - review meetings in 2024: Juniper's (decision 18 days later): 1 of 1, 100.0% (Fir's was in 2023).
    @Test func theMeasuresAreThoseWorkedOutByHand() throws {
        let xml = try Fixture.path("sen2/sen2-2025-small.xml")
        let r = try CLI.run(["check", xml, "--rules", Self.rules, "--as-of", "2025-01-16", "--format", "measures",
                             "--fail-on", "never"])
        for figure in ["EHC plans issued within 20 weeks, excluding exceptions: 66.7% (2 of 3)",
                       "EHC plans issued within 20 weeks, including exceptions: 50.0% (2 of 4)",
                       "Requests for an assessment decided within 6 weeks: 83.3% (5 of 6)",
                       "Annual review decisions within 4 weeks of the meeting: 100.0% (1 of 1)"] {
            #expect(r.stdout.contains(figure + "\n"), "\(figure) not in:\n\(r.stdout)")
        }
        #expect(!r.stdout.contains("could not be judged"))
        try CLI.expectGolden(r, "sen2-measures.txt", exitCode: 0)
    }

    /// A request with no ReceivedDate whose plan was issued in the year cannot be judged: it is
    /// counted apart and said, never silently in or out of the measure.
    @Test func aCaseThatCannotBeJudgedIsCountedApart() throws {
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent("return.xml").path
        try Data("""
            <Message><Header><CollectionDetails><Collection>SEN2</Collection><Year>2025</Year></CollectionDetails>
            </Header><Persons><Person><UPN>A1</UPN><Requests><RequestOutcome>H</RequestOutcome><Assessment>
            <AssessmentOutcome>Y</AssessmentOutcome><AssessmentOutcomeDate>2024-05-01</AssessmentOutcomeDate>
            </Assessment></Requests></Person></Persons></Message>
            """.utf8).write(to: URL(fileURLWithPath: path))
        let r = try CLI.run(["check", path, "--rules", Self.rules, "--as-of", "2025-01-16", "--format", "measures"])
        #expect(r.stdout.contains("EHC plans issued within 20 weeks, excluding exceptions: – (0 of 0)\n"
                                  + "  New EHC plans"), "\(r.stdout)")
        #expect(r.stdout.contains("  1 record could not be judged (an expression failed on them): "
                                  + "counted in neither number"))
    }

    @Test func aMeasureWithoutItsCohortIsARuleError() throws {
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent("measures.yaml").path
        try Data("""
            ruleset: m
            measures:
              - id: late
                title: Late
                met: "due != null"
                cohrt: "true"
            """.utf8).write(to: URL(fileURLWithPath: path))
        let r = try CLI.run(["rules", "validate", path])
        #expect(r.code == 3)
        #expect(r.stderr.contains(":6:5: error: unknown key 'cohrt' (did you mean 'cohort'?)"), "\(r.stderr)")
        #expect(r.stderr.contains(":3:5: error: measure 'late' is missing 'cohort'"), "\(r.stderr)")
    }

    /// Runs scripts/gen-sen2.py with `arguments`, writing to `file`.
    static func generate(_ arguments: [String], to file: URL) throws {
        let generator = "scripts/gen-sen2.py"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", generator] + arguments
        p.currentDirectoryURL = CLI.root
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        p.standardOutput = handle
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "python3 \(generator) exited \(p.terminationStatus)")
    }

    /// The generator's return and the same requests as a flat CSV export give the same statutory
    /// findings: the XML reader and the table reader agree on every case (only the XML can carry
    /// item problems, and only the XML's header gives the year the measures need).
    @Test func aGeneratedReturnAndItsCSVExportAgree() throws {
        let dir = try CLI.temporaryDirectory()
        let xml = dir.appendingPathComponent("sen2.xml"), csv = dir.appendingPathComponent("sen2.csv")
        try Self.generate(["--count", "400", "--seed", "3"], to: xml)
        try Self.generate(["--count", "400", "--seed", "3", "--format", "csv"], to: csv)
        func counts(_ file: URL) throws -> [String: Int] {
            let r = try CLI.run(["check", file.path, "--rules", Self.rules, "--as-of", "2025-01-16",
                                 "--format", "summary", "--fail-on", "never"])
            #expect(r.code == 0, "\(r.stderr)")
            return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Int] ?? [:]
        }
        let fromXML = try counts(xml), fromCSV = try counts(csv)
        #expect(fromXML == fromCSV)
        #expect(fromXML.values.reduce(0, +) > 100, "the generated return exercises the rules: \(fromXML)")
        for rule in ["request-decision-late", "plan-issued-late", "plan-overdue", "review-decision-late",
                     "annual-review-overdue", "phase-transfer-late"] {
            #expect(fromXML[rule, default: 0] > 0, "\(rule) never fires on the generated return")
        }
    }

    /// Malformed items are findings with their place, one per child that has one, and the tally
    /// still accounts for every element.
    @Test func malformedItemsOfAGeneratedReturnAreEachFound() throws {
        let dir = try CLI.temporaryDirectory()
        let xml = dir.appendingPathComponent("sen2.xml")
        try Self.generate(["--count", "300", "--seed", "5", "--malformed", "10"], to: xml)
        let text = try String(contentsOf: xml, encoding: .utf8)
        let dates = text.components(separatedBy: "<ReceivedDate>").dropFirst().filter { $0.dropFirst(2).hasPrefix("/") }
        let codes = text.components(separatedBy: "<RequestOutcome>").dropFirst()
            .filter { $0.hasPrefix("X") || $0.hasPrefix("Q") }
        let elements = text.components(separatedBy: "<CaseOfficer>").count - 1
        #expect(dates.count > 0 && codes.count > 0 && elements > 0)
        let r = try CLI.run(["plan", "show", xml.path, "--rules", Self.rules, "--format", "json"])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let tally = doc?["tally"] as? [String: Any]
        let problems = tally?["item_problems"] as? [[String: Any]] ?? []
        #expect(problems.count == dates.count + codes.count + elements)
        let counted = (tally?["elements"] as? [String: Int] ?? [:]).values.reduce(0, +)
        #expect(counted == text.components(separatedBy: "<").count - 1 - text.components(separatedBy: "</").count + 1
                - 1)   // every start tag but the XML declaration
    }

    @Test(arguments: [
        ("other-collection.xml",
         "<Message><Header><CollectionDetails><Collection>SC</Collection></CollectionDetails></Header></Message>",
         ":1:37: error: this is a return of the 'SC' collection, not SEN2"),
        ("truncated.xml",
         "<Message><Header><CollectionDetails><Collection>SEN2</Collection></CollectionDetails></Header>"
         + "<Persons><Person>",
         ":1:112: error: the file ends inside <Person> opened at 1:104 (is it truncated?)"),
        ("wrong-root.xml", "<?xml version=\"1.0\"?>\n<Census/>",
         ":2:1: error: the root element is <Census>, not <Message>"),
    ] as [(String, String, String)])
    func unreadableReturnsExit4WithOneLine(name: String, xml: String, fragment: String) throws {
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent(name).path
        try Data(xml.utf8).write(to: URL(fileURLWithPath: path))
        let r = try CLI.run(["check", path, "--rules", Self.rules, "--as-of", "2025-01-16"])
        #expect(r.code == 4)
        #expect(r.stdout == "")
        #expect(r.stderr.hasPrefix(path + fragment), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }
}
