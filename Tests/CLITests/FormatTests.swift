import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Every output format on the example plan and the Oldham fixture, against checked-in goldens,
/// plus the checks their consumers make: SARIF against its schema, JUnit parsed back.
@Suite struct FormatTests {
    static var oldham: String { get throws { try Fixture.plan("oldham-priority-action-plan.tsv") } }

    @Test(arguments: ["summary", "markdown", "html", "csv", "sarif", "junit", "github"])
    func exampleGoldens(format: String) throws {
        let r = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml",
                             "--as-of", "2024-07-01", "--format", format])
        try CLI.expectGolden(r, "example-check.\(format == "markdown" ? "md" : format)", exitCode: 1)
    }

    @Test(arguments: ["json", "summary", "markdown", "html", "csv", "sarif", "github", "junit"])
    func oldhamGoldens(format: String) throws {
        let r = try CLI.run(["check", Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01",
                             "--format", format])
        try CLI.expectGolden(r, "oldham-check.\(format == "markdown" ? "md" : format)", exitCode: 1)
    }

    /// The help and the validation of --format both list the formats of the registry.
    @Test func helpAndValidationListEveryFormat() throws {
        let names = ["text", "json", "summary", "measures", "markdown", "html", "pdf", "csv", "sarif", "junit", "github"]
        let help = try CLI.run(["check", "--help"])
        let listed = help.stdout.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        #expect(listed.contains("(repeatable): \(names.joined(separator: ", "))."), "\(help.stdout)")
        #expect(listed.contains("Formats: text (default), json, summary (one line of per-rule counts), measures (the rule "
                                + "set's published measures, as counts and percentages), markdown, html (a"))
        let bad = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--format", "xml"])
        #expect(bad.code == 2)
        #expect(bad.stderr.contains("unknown format 'xml'; choose from \(names.joined(separator: ", "))"), "\(bad.stderr)")
    }

    @Test func theBoardPackIsSelfContainedAndAccessible() throws {
        let r = try CLI.run(["check", Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format", "html"])
        let html = r.stdout
        for external in ["<script", "src=", "<link", "@import", "url(", "http://", "https://"] {
            #expect(!html.contains(external), "external reference \(external)")
        }
        #expect(html.contains("<html lang=\"en-GB\">"))
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"))
        #expect(html.components(separatedBy: "<caption>").count - 1 == html.components(separatedBy: "<table").count - 1)
        #expect(!html.contains("<th>"), "every header cell has a scope")
        #expect(html.contains("<th scope=\"col\">Ref</th>") && html.contains("<th scope=\"row\">1.1</th>"))
        #expect(html.contains("<span class=\"badge sev-critical\">critical</span>"), "severity is written, not only coloured")
        #expect(html.contains("<h1>SEND &amp; Inclusion Improvement Programme: Priority Action Plan</h1>"), "the title is the plan's")
        #expect(!html.contains("../shared"), "no machine path")
        #expect(html.contains("<li><strong>18 of 52 actions are past their due date</strong> and not complete, 14 of them by more than 90 days"))
        #expect(html.contains("<caption>Escalated to the SEND Improvement Board: the 10 most urgent of 15 actions</caption>"))
        #expect(html.contains("<svg role=\"img\" aria-label=\"Open actions by days past due. 1–30 days: 1; 31–90 days: 3; "))
        #expect(!html.contains("Findings by section") && !html.contains("slippage"), "charts that say nothing are left out")
        #expect(html.contains("@page{size:A4") && html.contains("counter(page)"))
        #expect(html.contains(".part+.part{break-before:page}"))
        // Findings about the plan as a whole have a list of their own, never a row of an action.
        #expect(html.contains("<caption>Findings about the plan as a whole, not one action</caption>"))
        #expect(html.contains("<tr><th scope=\"row\">The plan</th><td><ul class=\"findings\"><li data-finding="))
        #expect(!html.contains("<th scope=\"row\">(plan)</th>"))
        #expect(html.contains("<tr><th scope=\"row\">Steve Larking</th><td><ul class=\"findings\">"
                              + "<li data-finding=\"bb3dda4033c0ea2f\"><span class=\"badge sev-warning\">warning</span> "
                              + "Steve Larking holds"), "an owner's load is about the owner, not one action")
    }

    /// The first page gives the date the plan says its ratings are as at, beside the check date.
    @Test func theBoardPackGivesThePlansAsAtDate() throws {
        let r = try CLI.run(["check", try Fixture.path("made/phrase-rated-as-at.csv"), "--rules", "rules/send-plan.yaml",
                             "--as-of", "2024-07-01", "--format", "html", "--fail-on", "never"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("<h1>Local Area SEND Improvement Plan 2023-25</h1>"))
        #expect(r.stdout.contains("<p class=\"meta\">Checked as of <time datetime=\"2024-07-01\">1 July 2024</time> · "
                                  + "the plan’s ratings are as at <time datetime=\"2024-03-01\">1 March 2024</time> "
                                  + "(122 days before) · "), "\(r.stdout.prefix(3000))")
        // A rating given before the due date passed may be out of date; one given after it may not.
        #expect(r.stdout.contains("<li>2 rated Not yet started; no risk anticipated are past their due date, but all "
                                  + "were rated before the date passed: the rating may be out of date.</li>"))
        #expect(r.stdout.contains("<li>2 rated On track are past their due date, 1 of them rated before the date "
                                  + "passed: the rating may be out of date.</li>"))
        // A placeholder owner carries no load: the action has no named owner.
        #expect(r.stdout.contains("<li><strong>1 open action has no named owner</strong> (given only as "
                                  + "“To be allocated”).</li>"))
        #expect(r.stdout.contains("<tr><th scope=\"row\"><span class=\"none\">No named owner</span></th>"))
        #expect(!r.stdout.contains("<th scope=\"row\">To be allocated</th>"))
        #expect(r.stdout.contains("<caption>Actions by the rating their owners give, read with the phrases legend</caption>"))
        #expect(r.stdout.contains("<td>complete, impact still to evidence</td>"))
    }

    /// A plan with neither ratings nor dated progress (the Tameside written statement of action):
    /// an action past its date may be done, so the pack says the plan does not say, as the rules
    /// do, and never counts it overdue; recurring and ongoing timescales are not past due at all.
    @Test func theBoardPackSaysWhatThePlanDoesNotRecord() throws {
        let r = try CLI.run(["check", try Fixture.plan("tameside-wsoa-2022.tsv"), "--rules", "rules/send-plan.yaml",
                             "--as-of", "2024-07-01", "--format", "html"])
        #expect(r.code == 0, "\(r.stderr)")
        let html = r.stdout
        #expect(html.contains("<li>No action is recorded as past its due date and not complete.</li>"))
        #expect(html.contains("<li><strong>88 of 101 actions are past their due date with no rating and no dated "
                              + "progress</strong>: the plan does not say whether they are done.</li>"))
        #expect(html.contains("<li>No action is escalated to the SEND Improvement Board, but 2 findings about the plan "
                              + "as a whole are (listed below).</li>"))
        #expect(html.contains("<caption>Escalated to the SEND Improvement Board: about the plan as a whole</caption>"))
        #expect(html.contains("<th scope=\"col\" class=\"num\">Past due, no rating or dated progress</th>"))
        #expect(!html.contains("Days overdue"), "no board table without an action at the board")
        #expect(!html.contains("Oldest overdue"), "no column blank for every owner")
    }

    /// Plan text reaches the pack only escaped, in the page and in the running header's CSS string.
    @Test func theBoardPackEscapesPlanText() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = dir.appendingPathComponent("p.yaml").path
        try #"""
        plan: 'Plan </style><script>alert(1)</script> "quoted" \ end'
        actions:
          - {ref: "1.1", action: "<img src=x onerror=alert(1)>", owners: ["<b>Bold</b>"], due: 2024-01-01, status: "<i>At risk</i>",
             section: "S & <T>"}
        """#.write(toFile: plan, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format", "html",
                             "--fail-on", "never"])
        #expect(r.code == 0, "\(r.stderr)")
        for raw in ["<script>", "<img", "<b>Bold", "<i>At risk", "<T>"] { #expect(!r.stdout.contains(raw), "raw \(raw)") }
        #expect(r.stdout.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(r.stdout.contains(#"@top-left{content:"Plan \3c /style\3e \3c script\3e alert(1)\3c /script\3e  \22 quoted\22  \5c  end""#))
    }

    /// Markdown shows plan text as the plan wrote it: emphasis, code and strike marks are escaped,
    /// and a backslash before punctuation too, so that it cannot undo the escape after it. (Checked
    /// by hand with a CommonMark renderer: each cell renders to exactly the plan's text.)
    @Test func markdownShowsPlanTextAsWritten() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = dir.appendingPathComponent("p.yaml").path
        try #"""
        plan: 'P *x* _y_'
        actions:
          - {ref: "1.1", action: "a", owners: ['Ann\*B', 'C`code`'], due: 2024-01-01, status: 'At *risk* \[l](j:x) ~~s~~'}
        """#.write(toFile: plan, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format",
                             "markdown", "--fail-on", "never"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix(#"# Escalations: P \*x\* \_y\_"#), "\(r.stdout)")
        #expect(r.stdout.contains(#""At \*risk\* \\\[l\](j:x) \~\~s\~\~""#), "\(r.stdout)")
        #expect(r.stdout.contains(#"| Ann\\\*B, C\`code\` |"#), "\(r.stdout)")
    }

    @Test func jsonReportsAreValidAgainstTheirSchema() throws {
        let dir = try CLI.temporaryDirectory()
        let plain = dir.appendingPathComponent("plain.json").path, rich = dir.appendingPathComponent("rich.json").path
        let waivers = dir.appendingPathComponent("w.yaml").path
        try "waivers:\n  - {rule: rag-missing, ref: \"2.*\", reason: r, approved-by: b, expires: 2025-01-01}\n"
            .write(toFile: waivers, atomically: true, encoding: .utf8)
        _ = try CLI.run(["check", Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-01-01", "--format", "json:\(plain)"])
        _ = try CLI.run(["check", try Fixture.plan("oldham-priority-action-plan.xlsx"),
                         "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01",
                         "--waivers", waivers, "--baseline", plain, "--history", dir.appendingPathComponent("h.sqlite").path,
                         "--format", "json:\(rich)"])
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            for path in sys.argv[2:]:
                jsonschema.Draft7Validator(schema).validate(json.load(open(path)))
            print("valid")
            """, CLI.root.appendingPathComponent("docs/json-output.schema.json").path, plain, rich]
        let pipe = Pipe()
        check.standardOutput = pipe
        try check.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(text == "valid\n")
    }

    @Test func sarifIsValidAgainstTheSchema() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("oldham.sarif").path
        let r = try CLI.run(["check", Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format", "sarif:\(out)"])
        #expect(r.code == 1)
        let schema = try Fixture.url("schemas/sarif-schema-2.1.0.json").path
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
            jsonschema.Draft4Validator(schema).validate(doc)
            print(len(doc["runs"][0]["results"]), "results valid")
            """, schema, out]
        let pipe = Pipe()
        check.standardOutput = pipe
        try check.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
        #expect(text == "51 results valid\n")
    }

    @Test func junitParsesBack() throws {
        let r = try CLI.run(["check", Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format", "junit"])
        final class Counter: NSObject, XMLParserDelegate {
            var testcases = 0, failures = 0
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "testcase" { testcases += 1 }
                if name == "failure" { failures += 1 }
            }
        }
        let parser = XMLParser(data: Data(r.stdout.utf8))
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.testcases == 24)       // 23 rules and the plan
        #expect(counter.failures == 51)
    }

    @Test func githubAnnotationsCannotBeInjected() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = dir.appendingPathComponent("p.yaml").path
        try "actions:\n  - {ref: \"1,1\", action: x, due: 2024-01-01, status: On track, success: \"%0A::error::boom\"}\n".write(toFile: plan, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format", "github",
                             "--only-rules", "overdue-action"])
        #expect(r.stdout == "::error file=\(plan),line=2,col=5,title=overdue-action (1%2C1)::1,1 was due 2024-01-01 and is not recorded as complete (182 days overdue)\n")
    }

    @Test func filtersAndGrouping() throws {
        let base = try ["check", Self.oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01"]
        let top = try CLI.run(base + ["--top", "3", "--format", "json"])
        let doc = try JSONSerialization.jsonObject(with: Data(top.stdout.utf8)) as! [String: Any]
        #expect((doc["findings"] as! [Any]).count == 51, "the JSON report keeps every finding (diff reads it)")
        #expect((doc["summary"] as! [String: Any])["findings"] as? Int == 51)
        let critical = try CLI.run(base + ["--min-severity", "critical", "--format", "csv"])
        #expect(critical.stdout.split(separator: "\r\n").count == 15)
        let only = try CLI.run(base + ["--only-rules", "duplicate-ref", "unparsed-timescale"])
        #expect(only.code == 0)
        let byOwner = try CLI.run(base + ["--group-by", "owner", "--skip-rules", "rag-missing"])
        #expect(byOwner.stdout.contains("\nSteve Larking ("))
        let bad = try CLI.run(base + ["--only-rules", "overdue"])
        #expect(bad.code == 2)
        #expect(bad.stderr == "error: no rule 'overdue' in the rule set\n" || bad.stderr.hasPrefix("error: no rule 'overdue' in the rule set (did you mean"))
    }

    @Test func csvCellsCannotBecomeFormulas() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = dir.appendingPathComponent("p.yaml").path
        try "actions:\n  - {ref: \"=HYPERLINK(1)\", action: \"x, y\", due: 2024-01-01, status: On track, success: s}\n".write(toFile: plan, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--format", "csv",
                             "--only-rules", "overdue-action"])
        let row = r.stdout.split(separator: "\r\n")[1]
        #expect(row.hasPrefix("critical,overdue-action,'=HYPERLINK(1),'=HYPERLINK(1) was due 2024-01-01"))
    }

    /// A report path that is a device, a pipe, a directory or a symbolic link is written as the
    /// user meant: never replaced by a regular file, never removed.
    @Test func reportPathsAreWrittenInPlace() throws {
        let base = ["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01"]
        // /proc/self/fd/1 rather than /dev/stdout or /dev/null: were this to regress, the run
        // would replace those with regular files; in /proc it cannot.
        let device = try CLI.run(base + ["--format", "summary:/proc/self/fd/1"])
        #expect(device.code == 1)
        #expect(device.stdout.hasPrefix("{"), "the summary went to the pipe that is the run's standard output")

        let dir = try CLI.temporaryDirectory()
        let kept = dir.appendingPathComponent("kept.txt")
        try "mine".write(to: kept, atomically: true, encoding: .utf8)
        let folder = try CLI.run(base + ["--format", "json:\(dir.path)"])
        #expect(folder.code == 2)
        #expect(folder.stderr == "error: --format json:\(dir.path): \(dir.path) is a directory; give a file name\n")
        #expect(try String(contentsOf: kept, encoding: .utf8) == "mine", "the folder and its files are untouched")

        let target = dir.appendingPathComponent("report.json"), link = dir.appendingPathComponent("latest.json")
        try "old".write(to: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        _ = try CLI.run(base + ["--format", "json:\(link.path)"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path, "the link is kept")
        #expect(try String(contentsOf: target, encoding: .utf8).hasPrefix("{"), "the file it points to has the report")
    }
}
