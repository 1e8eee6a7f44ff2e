import Foundation
import Testing

/// Plan text escaped for where it goes: terminal text, `plan show`, `notify` and CSV show control
/// and bidirectional characters as visible escapes; Markdown escapes HTML; an email has one
/// recipient per owner, whatever the directory's names hold, and only addresses that are one
/// addr-spec.
@Suite struct HostileTextTests {
    static let rules = "rules/send-plan.yaml"

    /// A plan whose text carries what a terminal or renderer would act on: ESC sequences (clear
    /// screen, OSC 8 hyperlink), BEL, CR, NUL, a C1 control, a right-to-left override, HTML.
    static func hostilePlan(_ dir: URL) throws -> String {
        let path = dir.appendingPathComponent("plan.yaml").path
        try #"""
        plan: "Plan \e]8;;https://evil.example\e\\click\e]8;;\e\\ \u202Egnp.exe"
        actions:
          - ref: "1.1\e[2J"
            action: Review
            owners: ["Abi Ajayi", "Eve\a\u202E"]
            due: 2024-01-31
            status: On track
            success: "90% done\a\r\0 \u0085 <script>alert(1)</script> <svg onload=alert(1)> [x](javascript:alert(1)) | pipe"
        """#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The characters a terminal would act on, as found in `text` (tab and line feed are text).
    static func hidden(_ text: String, allowingCRLF: Bool = false) -> [String] {
        let checked = allowingCRLF ? text.replacingOccurrences(of: "\r\n", with: "\n") : text
        return checked.unicodeScalars.filter { c in
            (c.value < 0x20 && c != "\n" && c != "\t") || (0x7F...0x9F).contains(c.value) || (0x202A...0x202E).contains(c.value)
                || (0x2066...0x2069).contains(c.value)
        }.map { String(format: "U+%04X", $0.value) }
    }

    @Test func terminalTextPlanShowAndCSVShowControlCharactersAsEscapes() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = try Self.hostilePlan(dir)
        let base = ["check", plan, "--rules", Self.rules, "--as-of", "2024-07-01", "--fail-on", "never"]
        let text = try CLI.run(base + ["--color", "never"])
        #expect(text.code == 0, "\(text.stderr)")
        #expect(Self.hidden(text.stdout).isEmpty, "raw in the text report: \(Self.hidden(text.stdout))")
        #expect(text.stdout.hasPrefix(#"Plan \x1B]8;;https://evil.example\x1B\click\x1B]8;;\x1B\ \u202Egnp.exe ("# + plan + "): 1 record"))
        #expect(text.stdout.contains("  1.1\\x1B[2J  overdue-action\n      1.1\\x1B[2J was due 2024-01-31"))
        #expect(text.stdout.contains(#"("90% done\x07\x0D\x00 \x85 <script>alert(1)</script>"#))
        #expect(text.stdout.contains(#"owner: Abi Ajayi, Eve\x07\u202E · "#))

        // With colour on, the only escape sequences are the report's own.
        let coloured = try CLI.run(base + ["--color", "always"])
        let sequences = coloured.stdout.components(separatedBy: "\u{1B}").dropFirst().map { String($0.prefix(while: { $0 != "m" })) + "m" }
        #expect(!sequences.isEmpty && sequences.allSatisfy { $0.range(of: #"^\[[0-9;]+m$"#, options: .regularExpression) != nil },
                "\(Set(sequences))")

        let csv = try CLI.run(base + ["--format", "csv"])
        #expect(Self.hidden(csv.stdout, allowingCRLF: true).isEmpty, "raw in CSV: \(Self.hidden(csv.stdout, allowingCRLF: true))")
        #expect(csv.stdout.contains(",1.1\\x1B[2J,\"1.1\\x1B[2J was due 2024-01-31"))

        let show = try CLI.run(["plan", "show", plan])
        #expect(show.code == 0)
        #expect(Self.hidden(show.stdout).isEmpty, "raw in plan show: \(Self.hidden(show.stdout))")
        #expect(show.stdout.contains("  ref: 1.1\\x1B[2J\n"))
        // JSON keeps the text as it is (escaped the JSON way), for programs.
        let json = try CLI.run(["plan", "show", plan, "--format", "json"])
        #expect(json.stdout.contains(#""ref": "1.1\u001b[2J""#) || json.stdout.contains(#""ref":"1.1\u001b[2J""#))

        // Messages on stderr quote plan text too.
        let bad = dir.appendingPathComponent("bad.yaml").path
        try "actions:\n  - {ref: \"1\", \"own\\e[2Jers\": x}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let error = try CLI.run(["plan", "show", bad])
        #expect(error.code == 4)
        #expect(Self.hidden(error.stderr).isEmpty && error.stderr.contains("own\\x1B[2Jers"), "\(error.stderr)")
    }

    @Test func markdownEscapesHTMLAndLinks() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = try Self.hostilePlan(dir)
        let md = try CLI.run(["check", plan, "--rules", Self.rules, "--as-of", "2024-07-01", "--fail-on", "never", "--format", "markdown"])
        #expect(md.code == 0)
        #expect(Self.hidden(md.stdout).isEmpty)
        #expect(md.stdout.hasPrefix(#"# Escalations: Plan \x1B\]8;;https://evil.example\x1B\click\x1B\]8;;\x1B\ \u202Egnp.exe"# + "\n"))
        #expect(!md.stdout.contains("<script") && !md.stdout.contains("<svg") && !md.stdout.contains("[x]("), "\(md.stdout)")
        #expect(md.stdout.contains("&lt;script&gt;alert(1)&lt;/script&gt; &lt;svg onload=alert(1)&gt; \\[x\\](javascript:alert(1)) \\| pipe"))
        // Every finding's row still has its seven cell borders: no value ends a cell or the row.
        let rows = md.stdout.split(separator: "\n").filter { $0.contains(#" | 1.1\x1B\[2J | "#) }
        #expect(!rows.isEmpty)
        for row in rows { #expect(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 7, "\(row)") }
    }

    func python(_ args: [String]) throws -> (code: Int32, stdout: Data) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data)
    }

    /// Names that held header syntax each became a recipient of their own before: a CR LF and
    /// `Bcc:`, a comma, an `@` and angle brackets. Parsed back with Python's email package, each
    /// message has exactly one recipient, the owner's own address.
    @Test func everyMessageHasOneRecipientWhateverTheNames() throws {
        let dir = try CLI.temporaryDirectory()
        let owners = dir.appendingPathComponent("owners.yaml").path
        try #"""
        - {name: "Eve\r\nBcc: victim@evil.example", aliases: [Eve], email: eve@example.org}
        - {name: "Larking, Steve", email: steve@example.org}
        - {name: "O'Neil <boss@evil.example>", aliases: [ONeil], email: oneil@example.org}
        - {name: "Zoë \"Z\" Brontë, Head; of: SEND", aliases: [Zoe], email: zoe@example.org}
        - {name: "Back\\slash \"quoted\"", aliases: [Backslash], email: backslash@example.org}
        - {name: "Abi Ajayi", email: abi.ajayi@example.org}
        """#.write(toFile: owners, atomically: true, encoding: .utf8)
        let plan = dir.appendingPathComponent("plan.yaml").path
        try """
        actions:
          - {ref: "1.1", action: Review, owners: [Eve], due: 2024-06-20, status: On track, success: Done}
          - {ref: "1.2", action: Publish, owners: ["Larking, Steve"], due: 2024-06-20, status: On track, success: Done}
          - {ref: "1.3", action: Audit, owners: [ONeil], due: 2024-06-20, status: On track, success: Done}
          - {ref: "1.4", action: Train, owners: [Zoe], due: 2024-06-20, status: On track, success: Done}
          - {ref: "1.5", action: Plan, owners: [Backslash], due: 2024-06-20, status: On track, success: Done}
          - {ref: "1.6", action: Fund, owners: [Abi Ajayi], due: 2024-06-20, status: On track, success: Done}
        """.write(toFile: plan, atomically: true, encoding: .utf8)
        let outbox = dir.appendingPathComponent("outbox").path
        let r = try CLI.run(["notify", plan, "--rules", Self.rules, "--as-of", "2024-07-01", "--owners", owners, "--outbox", outbox,
                             "--only-rules", "overdue-action"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("6 sent, 0 failed, 0 without an address\n"), "\(r.stdout)")
        #expect(Self.hidden(r.stdout).isEmpty, "the names are shown as escapes: \(r.stdout)")
        #expect(r.stdout.contains("sent to Eve\\x0D\nBcc: victim@evil.example <eve@example.org>: 1 item\n")
                || r.stdout.contains("sent to Eve\nBcc: victim@evil.example <eve@example.org>: 1 item\n"))

        let parsed = try python([CLI.root.appendingPathComponent("Tests/CLITests/Fixtures/count_recipients.py").path, outbox])
        #expect(parsed.code == 0)
        let mails = try JSONSerialization.jsonObject(with: parsed.stdout) as! [[String: Any]]
        #expect(mails.count == 6)
        var expected = Set(["eve@example.org", "steve@example.org", "oneil@example.org", "zoe@example.org", "backslash@example.org",
                            "abi.ajayi@example.org"])
        for mail in mails {
            let mailboxes = mail["mailboxes"] as! [[String: String]], sendmail = mail["sendmail"] as! [String]
            #expect(mailboxes.count == 1, "\(mail["file"]!): \(mailboxes)")
            #expect(sendmail.count == 1 && sendmail == mailboxes.map { $0["address"]! }, "\(mail["file"]!): \(sendmail)")
            #expect((mail["headers"] as! [String]).filter { ["to", "cc", "bcc"].contains($0) } == ["to"])
            #expect((mail["defects"] as! [String]).isEmpty, "\(mail["file"]!): \(mail["defects"]!)")
            if let address = mailboxes.first?["address"] { expected.remove(address) }
        }
        #expect(expected.isEmpty, "every owner got their own message: \(expected) missing")
        let names = Dictionary(uniqueKeysWithValues: mails.map { mail in
            let box = (mail["mailboxes"] as! [[String: String]])[0]
            return (box["address"]!, box["name"]!)
        })
        #expect(names["eve@example.org"] == "EveBcc: victim@evil.example")
        #expect(names["steve@example.org"] == "Larking, Steve")
        #expect(names["oneil@example.org"] == "O'Neil <boss@evil.example>")
        #expect(names["zoe@example.org"] == "Zoë \"Z\" Brontë, Head; of: SEND")
        #expect(names["backslash@example.org"] == "Back\\slash \"quoted\"")
        #expect(names["abi.ajayi@example.org"] == "Abi Ajayi")
    }

    @Test(arguments: [
        ("a@x>, attacker@evil.example, <b@x", "it has more than one '@' (one address per owner)"),
        ("a@x, b@y", "it has more than one '@' (one address per owner)"),
        ("Steve <steve@example.org>", "a space is not allowed before the '@'"),
        ("steve@example.org>", "'>' is not allowed in the domain"),
        ("steve@example.org\\r\\nBcc: victim@evil.example", "it has more than one '@' (one address per owner)"),
        ("steve@exa\\r\\nmple.org", "a line break is not allowed in the domain"),
        ("\\\"a b\\\"@example.org", "'\"' is not allowed before the '@'"),
        ("steve.@example.org", "the part before the '@' cannot start or end with a dot, nor hold two in a row"),
        ("steve@-example.org", "a part of the domain cannot start or end with '-'"),
        ("steve", "it has no '@'"),
        ("zoë@example.org", "'ë' is not ASCII (addresses in other scripts are not supported)"),
    ])
    func aBadAddressIsADirectoryErrorWithItsLine(address: String, problem: String) throws {
        let dir = try CLI.temporaryDirectory()
        let owners = dir.appendingPathComponent("owners.yaml").path
        try "- {name: Abi Ajayi, email: abi.ajayi@example.org}\n- {name: Steve Larking, email: \"\(address)\"}\n"
            .write(toFile: owners, atomically: true, encoding: .utf8)
        for command in ["notify", "check"] {
            let r = try CLI.run([command, "examples/send-improvement-plan.yaml", "--rules", Self.rules, "--owners", owners, "--dry-run"]
                                    .filter { command == "notify" || $0 != "--dry-run" })
            #expect(r.code == 4)
            let shown = try #require(r.stderr.split(separator: " is not one email address: ").last)
            #expect(r.stderr.hasPrefix("\(owners):2:32: error: '"), "\(r.stderr)")
            #expect(shown == "\(problem)\n", "\(r.stderr)")
            #expect(Self.hidden(r.stderr).isEmpty)
        }
    }

    @Test func addressesThatAreOneAddrSpecAreKept() throws {
        let dir = try CLI.temporaryDirectory()
        let owners = dir.appendingPathComponent("owners.yaml").path
        try """
        - {name: A, email: "o'neil+send.team@example.org"}
        - {name: B, email: "x@[192.0.2.1]"}
        - {name: C, email: "head_of-send@sub.example.co.uk"}
        - {name: D, email: "board@localhost"}
        """.write(toFile: owners, atomically: true, encoding: .utf8)
        let r = try CLI.run(["plan", "show", "examples/send-improvement-plan.yaml", "--owners", owners])
        #expect(r.code == 0, "\(r.stderr)")
        let from = try CLI.run(["notify", "examples/send-improvement-plan.yaml", "--rules", Self.rules, "--owners", owners,
                                "--from", "Stocktake <s@example.org>", "--dry-run"])
        #expect(from.code == 2)
        #expect(from.stderr.contains("--from must be one email address: a space is not allowed before the '@'"), "\(from.stderr)")
    }

    @Test func directoryEntriesThatReadTheSameAreAnError() throws {
        let dir = try CLI.temporaryDirectory()
        for (entries, line, column, message) in [
            ("- {name: Steve Larking, email: s@example.org}\n- {name: Steve-Larking, email: t@example.org}\n", 2, 10,
             "'Steve-Larking' (entry 'Steve-Larking') reads as 'Steve Larking' (entry 'Steve Larking', line 1)"),
            ("- {name: Steve Larking}\n- {name: Sue Larking, aliases: [steve larking]}\n", 2, 33,
             "'steve larking' (entry 'Sue Larking') reads as 'Steve Larking' (entry 'Steve Larking', line 1)"),
            ("- {name: A, role: Head of SEND}\n- {name: B, role: Head-of-SEND}\n", 2, 19,
             "'Head-of-SEND' (entry 'B') reads as 'Head of SEND' (entry 'A', line 1)"),
        ] {
            let owners = dir.appendingPathComponent("owners.yaml").path
            try entries.write(toFile: owners, atomically: true, encoding: .utf8)
            let r = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", Self.rules, "--owners", owners])
            #expect(r.code == 4)
            #expect(r.stderr == "\(owners):\(line):\(column): error: \(message) once case and punctuation are ignored; "
                    + "merge the two entries or tell them apart\n")
        }
        // One entry may list its own name again, in another spelling.
        let owners = dir.appendingPathComponent("owners.yaml").path
        try "- {name: Steve Larking, aliases: [steve-larking, SL]}\n".write(toFile: owners, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["plan", "show", "examples/send-improvement-plan.yaml", "--owners", owners]).code == 0)
    }
}
