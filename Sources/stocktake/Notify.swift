import ArgumentParser
import Foundation
import PlanData
import Reports
import Rules

struct Notify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Email each owner their findings, and each escalation recipient what reached them.",
        discussion: """
        One RFC 5322 message per recipient (plain text and HTML), addressed from the owner directory \
        (--owners). Delivery: --outbox DIR writes .eml files (the default, into ./outbox); --sendmail "CMD" \
        pipes each message to a sendmail-compatible command (sendmail -t, msmtp -t); --smtp HOST:PORT sends \
        with curl, using STARTTLS unless STOCKTAKE_SMTP_TLS=off and logging in with STOCKTAKE_SMTP_USER and \
        STOCKTAKE_SMTP_PASSWORD when set. --dry-run only lists who would receive what. Recipients without an \
        address are listed, not dropped. Exits 5 when any delivery failed (the others still go).
        """
    )

    @OptionGroup var inputs: CheckInputs

    @Option(help: ArgumentHelp("Write .eml files into this folder.", valueName: "dir"))
    var outbox: String?

    @Option(help: ArgumentHelp("Pipe each message to this command (run by /bin/sh).", valueName: "command"))
    var sendmail: String?

    @Option(help: ArgumentHelp("Send through this SMTP server (with curl).", valueName: "host:port"))
    var smtp: String?

    @Option(help: ArgumentHelp("The sender address.", valueName: "address"))
    var from = "stocktake@localhost"

    @Flag(name: .customLong("dry-run"), help: "List who would receive what; send nothing.")
    var dryRun = false

    func validate() throws {
        if inputs.input.owners == nil { throw ValidationError("notify needs --owners owners.yaml, for the recipients' addresses") }
        if [outbox != nil, sendmail != nil, smtp != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --outbox, --sendmail and --smtp")
        }
        if let problem = EmailAddress.problem(from) { throw ValidationError("--from must be one email address: \(problem)") }
    }

    func run() throws {
        let run = try inputs.evaluate(countOnly: false, recording: !dryRun)
        let now = Date()
        var sent = 0, failed = 0, unaddressed: [String] = []
        let folder = outbox ?? "outbox"
        if !dryRun && sendmail == nil && smtp == nil {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw Failure("cannot create the outbox \(folder): \(error.localizedDescription)", .internalError)
            }
        }
        var report = ""
        for (index, (name, findings)) in EmailReport.byRecipient(run.result).enumerated() {
            guard let address = run.owners.entry(named: name)?.email, !address.isEmpty else {
                unaddressed.append("\(name) (\(findings.count))")
                continue
            }
            let email: Email
            do {
                email = try EmailReport.message(to: name, address: address, findings: findings, result: run.result, from: from, date: now)
            } catch {
                failed += 1
                Output.error("error: no message to \(name): \(error)")
                continue
            }
            if dryRun {
                report += "would send to \(name) <\(address)>: \(email.subject)\n"
                continue
            }
            do {
                if let sendmail {
                    try pipe(email.message, to: ["/bin/sh", "-c", sendmail])
                } else if let smtp {
                    try send(email, via: smtp)
                } else {
                    let slug = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce("") { $0 + String($1) }
                    try Data(email.message.utf8).write(to: URL(fileURLWithPath: folder).appendingPathComponent(String(format: "%03d-%@.eml", index + 1, slug)),
                                                      options: .atomic)
                }
                sent += 1
                report += "sent to \(name) <\(address)>: \(email.findings) item\(email.findings == 1 ? "" : "s")\n"
            } catch {
                failed += 1
                Output.error("error: delivery to \(name) <\(address)> failed: \(error)")
            }
        }
        if !unaddressed.isEmpty { report += "no address in the owner directory for: \(unaddressed.joined(separator: ", "))\n" }
        report += dryRun ? "dry run: nothing sent\n" : "\(sent) sent, \(failed) failed, \(unaddressed.count) without an address\n"
        Output.terminalText(report)
        if !dryRun { try run.recordHistory() }
        if failed > 0 { throw ExitCode(Outcome.internalError.rawValue) }
    }

    private func pipe(_ message: String, to command: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        let input = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(message.utf8))
        try input.fileHandleForWriting.close()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw DeliveryError(message: "\(command.last ?? "") exited \(p.terminationStatus)\(stderr.isEmpty ? "" : ": " + stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    private func send(_ email: Email, via server: String) throws {
        let env = ProcessInfo.processInfo.environment
        var args = ["/usr/bin/env", "curl", "--silent", "--show-error", "--url", "smtp://\(server)", "--mail-from", from,
                    "--mail-rcpt", email.address, "--upload-file", "-"]
        if env["STOCKTAKE_SMTP_TLS"] != "off" { args.append("--ssl-reqd") }
        if let user = env["STOCKTAKE_SMTP_USER"] { args += ["--user", "\(user):\(env["STOCKTAKE_SMTP_PASSWORD"] ?? "")"] }
        try pipe(email.message, to: args)
    }

    struct DeliveryError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
