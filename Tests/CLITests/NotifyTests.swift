import Foundation
import Testing

/// Per-owner email: built, delivered through msmtp to a real SMTP server on 127.0.0.1, and parsed
/// back with Python's email package.
@Suite struct NotifyTests {
    static let fixtures = CLI.root.appendingPathComponent("Tests/CLITests/Fixtures")

    /// The delivery test needs msmtp and Python's aiosmtpd, which `.ci/run` installs. Elsewhere it
    /// is skipped (and shown as skipped) when they are missing; under CI it always runs.
    static let mailToolsPresent: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "command -v msmtp >/dev/null && python3 -c 'import aiosmtpd' 2>/dev/null"]
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    func owners(_ dir: URL) throws -> String {
        let path = dir.appendingPathComponent("owners.yaml").path
        try """
        - {name: SEND Improvement Board, email: board@example.org}
        - {name: Head of SEND, email: head.of.send@example.org, escalates-to: SEND Improvement Board}
        - {name: Sheila Garara, email: sheila.garara@example.org, escalates-to: Head of SEND}
        - {name: Abi Ajayi, email: abi.ajayi@example.org, escalates-to: Head of SEND}
        - {name: Zoë Brontë, aliases: [Bruce Penhale], email: zoe@example.org, escalates-to: Head of SEND}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func python(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        return p
    }

    @Test(.enabled(if: NotifyTests.mailToolsPresent, "needs msmtp and aiosmtpd (bash .ci/run installs them)"))
    func deliversThroughMsmtpToARealSMTPServer() throws {
        let dir = try CLI.temporaryDirectory()
        let inbox = dir.appendingPathComponent("inbox"), portFile = dir.appendingPathComponent("port")
        let server = try python([Self.fixtures.appendingPathComponent("smtp_sink.py").path, inbox.path, portFile.path])
        try server.run()
        defer { server.terminate() }
        var port = ""
        for _ in 0..<100 where port.isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
            port = (try? String(contentsOf: portFile, encoding: .utf8)) ?? ""
        }
        #expect(!port.isEmpty, "the SMTP server did not start (is aiosmtpd installed?)")
        let r = try CLI.run(["notify", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01",
                             "--no-history", "--owners", try owners(dir),
                             "--sendmail", "msmtp --host=127.0.0.1 --port=\(port) --from=stocktake@example.org -t"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("4 sent, 0 failed, 5 without an address\n"), "\(r.stdout)")
        #expect(r.stdout.contains("no address in the owner directory for: Amber Burton (1), Heather Martin-Netherwood (2), Katie Charlton (3), Parent Carer Forum (3), Steve Larking (3)"))

        let reader = try python([Self.fixtures.appendingPathComponent("read_mail.py").path, inbox.path])
        let out = Pipe()
        reader.standardOutput = out
        try reader.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        let mails = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        // Four with an address: folded findings (1.2's rating, 2.4's missing RAG) add no recipient.
        #expect(mails.count == 4)
        let byAddress = Dictionary(uniqueKeysWithValues: mails.map { (($0["envelope"] as! [String])[0], $0) })
        let zoe = try #require(byAddress["zoe@example.org"])
        #expect(zoe["to"] as? String == "Zoë Brontë <zoe@example.org>")
        #expect(zoe["type"] as? String == "multipart/alternative")
        #expect((zoe["defects"] as! [String]).isEmpty)
        #expect((zoe["subject"] as! String).hasPrefix("[stocktake] 1 escalation (1 error) — Example local area SEND priority action plan — 2024-07-01"))
        #expect((zoe["plain"] as! String).contains("ERROR 2.4: 2.4 was due 2024-05-31 and is not recorded as complete (31 days overdue); also has no RAG status"))
        #expect((zoe["html"] as! String).contains("<td>2.4 was due 2024-05-31 and is not recorded as complete (31 days overdue); also has no RAG status</td>"))
        // The board gets only what escalated to it: the two critical overdue actions and the At risk one.
        let board = try #require(byAddress["board@example.org"])
        #expect((board["plain"] as! String).contains("escalated to SEND Improvement Board"))
        #expect(!(board["plain"] as! String).contains("2.4:"))
        #expect(mails.allSatisfy { ($0["message_id"] as! String).hasSuffix("@example.org>") || ($0["message_id"] as! String).hasSuffix("@localhost>") })
    }

    @Test func outboxDryRunFailuresAndHeaderInjection() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = dir.appendingPathComponent("plan.yaml").path
        try """
        actions:
          - {ref: "1.1", action: Review, owners: ["Abi Ajayi"], due: 2024-01-31, status: On track, success: "Done\\r\\nBcc: evil@example.org"}
        """.write(toFile: plan, atomically: true, encoding: .utf8)
        let base = ["notify", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--no-history", "--owners", try owners(dir)]
        let dry = try CLI.run(base + ["--dry-run"])
        #expect(dry.stdout.hasPrefix("would send to Abi Ajayi <abi.ajayi@example.org>: [stocktake] "))
        #expect(dry.stdout.hasSuffix("dry run: nothing sent\n"))
        let outbox = dir.appendingPathComponent("out").path
        let written = try CLI.run(base + ["--outbox", outbox])
        #expect(written.code == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: outbox)
        #expect(files.count >= 1)
        for file in files {
            let text = try String(contentsOfFile: outbox + "/" + file, encoding: .utf8)
            let headers = text.components(separatedBy: "\r\n\r\n")[0]
            // A header line of its own, not the letters anywhere: a Message-ID or boundary in hex may hold "bcc".
            #expect(!headers.lowercased().components(separatedBy: "\r\n").contains { $0.hasPrefix("bcc:") }, "no header injection")
            #expect(!headers.contains("evil@example.org"), "no header injection")
        }
        let failing = try CLI.run(base + ["--sendmail", "cat >/dev/null; exit 3"])
        #expect(failing.code == 5)
        #expect(failing.stderr.contains("error: delivery to Abi Ajayi <abi.ajayi@example.org> failed: exit 3") || failing.stderr.contains("exited 3"))
        #expect(try CLI.run(["notify", plan, "--rules", "rules/send-plan.yaml"]).code == 2, "needs --owners")
    }
}
