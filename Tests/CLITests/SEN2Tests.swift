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
