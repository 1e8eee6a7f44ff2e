import Foundation
import Testing

/// Inputs that once killed stocktake with a signal, hung it or were read silently wrong, run as a
/// user would: each must end with its documented exit code and one clear message.
@Suite struct HostileInputTests {
    static let grid = "is outside Excel's grid (columns A to XFD, rows 1 to 1048576)"
    static let range = "is not a date Excel can show (day 1 to 2958465, 1900-01-01 to 9999-12-31)"

    @Test(arguments: [
        ("long-ref.xlsx", "sheet 'Plan': cell AAAAAAAAAAAAAA2 \(grid)"),
        ("far-column.xlsx", "sheet 'Plan': cell ZZZZZZ2 \(grid)"),
        ("huge-row-number.xlsx", "sheet 'Plan': row 99999999999999999999 is outside Excel's rows 1 to 1048576"),
        ("date-nan.xlsx", "sheet 'Plan' cell D2: date serial NaN \(range)"),
        ("date-1e20.xlsx", "sheet 'Plan' cell D2: date serial 1e20 \(range)"),
        ("date-1e15.xlsx", "sheet 'Plan' cell D2: date serial 1e15 \(range)"),
        ("date-zero.xlsx", "sheet 'Plan' cell D2: date serial 0 is Excel's day zero ('0 January 1900'), which is no date; "
            + "clear the cell or enter the date"),
        ("invalid-utf8-name.xlsx", "xl/worksheets/sheet1.xml is not valid UTF-8 (at byte 24); the workbook is damaged"),
        ("invalid-utf8-entity.xlsx", "xl/worksheets/sheet1.xml is not valid UTF-8 (at byte 419); the workbook is damaged"),
        ("unterminated-deflate.xlsx", "xl/worksheets/sheet2.xml is damaged in the workbook (its CRC-32 checksum does not "
            + "match its content)"),
        ("damaged-entry.xlsx", "xl/worksheets/sheet1.xml is damaged in the workbook (its CRC-32 checksum does not match its content)"),
    ])
    func hostileWorkbooksExitFour(name: String, message: String) throws {
        let path = "Tests/Fixtures/hostile/\(name)"
        let result = try CLI.run(["check", path, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01"])
        #expect(result.code == 4)
        #expect(result.stderr == "\(path): error: \(message)\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func theSameWorkbookUndamagedIsRead() throws {
        let result = try CLI.run(["plan", "show", "Tests/Fixtures/hostile/plain.xlsx", "--format", "json"])
        #expect(result.code == 0)
        #expect(result.stdout.contains("\"effective\": \"2024-05-31\""), "\(result.stdout)")
    }

    /// Rule files: each a rules error (exit 3) at its line and column, never a crash.
    @Test func hostileRuleFilesExitThree() throws {
        let dir = try CLI.temporaryDirectory()
        func rule(_ when: String, _ extra: String = "") throws -> String {
            let url = dir.appendingPathComponent("r\(UUID().uuidString.prefix(8)).yaml")
            try "ruleset: t\nrules:\n  - id: r1\n    title: T\n    when: \(when)\n    message: m\n\(extra)".write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let cases: [(String, String)] = [
            (try rule(String(repeating: "1 + ", count: 9_999) + "1 > 0"), "5:809: error: expression nested too deeply (more than 200 levels of "
                + "operators, fields, calls or brackets); split it into smaller rules or conditions"),
            (try rule("\"[[0]]" + String(repeating: "[0]", count: 100_000) + " == 0\""), "5:608: error: expression nested too deeply "
                + "(more than 200 levels of operators, fields, calls or brackets); split it into smaller rules or conditions"),
            (try rule("\"action.matches('(a|aa)+$')\""), "5:27: error: regular expression '(a|aa)+$' can take exponential time: an "
                + "alternation whose branches can match the same text inside a repeated group (at character 1 of the pattern); "
                + "rewrite it so that each repetition can match in only one way, such as (a|aa)+ as a+"),
            (try rule("\"action.matches('([a-z')\""), "5:27: error: invalid regular expression '([a-z'"),
            (try rule("\"true\"", "    priority: 1.5\n"), "7:15: error: 'priority' must be an int expression, not double"),
        ]
        for (path, message) in cases {
            let result = try CLI.run(["rules", "validate", path])
            #expect(result.code == 3)
            #expect(result.stderr == "\(path):\(message)\n")
        }
        let nested = dir.appendingPathComponent("deep.yaml")
        try ("ruleset: t\nrules: " + String(repeating: "[", count: 60_000) + String(repeating: "]", count: 60_000) + "\n")
            .write(to: nested, atomically: true, encoding: .utf8)
        let result = try CLI.run(["rules", "validate", nested.path])
        #expect(result.code == 3)
        #expect(result.stderr == "\(nested.path):2:519: error: YAML nested more than 512 levels deep\n")
    }

    /// `extends: [/etc/passwd]` printed the file's lines as "unknown key" errors.
    @Test func extendsNeverEchoesAnotherFile() throws {
        let dir = try CLI.temporaryDirectory()
        let top = dir.appendingPathComponent("top.yaml")
        try "ruleset: t\nextends: [/etc/passwd]\nrules: []\n".write(to: top, atomically: true, encoding: .utf8)
        let result = try CLI.run(["rules", "validate", top.path])
        #expect(result.code == 3)
        #expect(result.stderr == "\(top.path):2:11: error: 'extends' takes a YAML rule file relative to this file (such as "
                    + "statuses/five-status.yaml) or a shipped pack by name (such as send-plan), not '/etc/passwd'\n")
        // A shipped pack by name.
        let local = dir.appendingPathComponent("local.yaml")
        try "ruleset: local\nextends: [send-plan]\nrules: []\n".write(to: local, atomically: true, encoding: .utf8)
        let named = try CLI.run(["rules", "validate", local.path])
        #expect(named.code == 0, "\(named.stderr)")
    }

    /// A plan nested 60,000 deep was a crash; a runaway rule was a dead process.
    @Test func deepPlansAndRunawayRules() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = dir.appendingPathComponent("deep.yaml")
        try ("plan: p\nactions: " + String(repeating: "[", count: 60_000) + String(repeating: "]", count: 60_000) + "\n")
            .write(to: plan, atomically: true, encoding: .utf8)
        let deep = try CLI.run(["check", plan.path, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01"])
        #expect(deep.code == 4)
        #expect(deep.stderr == "\(plan.path):2:521: error: YAML nested more than 512 levels deep\n")
        var maps = "1"
        for i in 0..<9 { maps = "[1,2,3,4,5,6,7,8,9,10].map(x\(i), \(maps))" }
        let rules = dir.appendingPathComponent("runaway.yaml")
        try "ruleset: t\nrules:\n  - id: runaway\n    title: T\n    when: \"size(\(maps)) > 0\"\n    message: m\n"
            .write(to: rules, atomically: true, encoding: .utf8)
        let run = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", rules.path, "--as-of", "2024-07-01",
                               "--format", "json"])
        #expect(run.code == 1)
        #expect(run.stdout.contains("could not evaluate rule 'runaway' for this record: evaluation budget exceeded: more than "
                                    + "2000000 steps of .all/.exists/.exists_one/.filter/.map for one record; simplify the expression"))
    }
}
