import Foundation
import Testing

/// Nothing lost on write: an output never replaces an input or another output, a replaced file
/// keeps its mode and owner, an interrupted run leaves no temporary file, a stream is appended
/// to, and a history that cannot be written costs no report.
@Suite struct OutputSafetyTests {
    static let rules = "rules/send-plan.yaml"
    static let example = "examples/send-improvement-plan.yaml"

    /// A shell script run from the repository root with `$STOCKTAKE` set to the built executable.
    static func shell(_ script: String, in directory: URL = CLI.root) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["STOCKTAKE"] = CLI.executable.path
        env.removeValue(forKey: "STOCKTAKE_HISTORY")
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLI.Result(stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
                          code: p.terminationStatus)
    }

    static func copy(_ file: String, to dir: URL, as name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: CLI.root.appendingPathComponent(file).path, toPath: path)
        return path
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func anOutputThatIsAnInputIsRefusedBeforeAnythingIsRead() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = try Self.copy(Self.example, to: dir, as: "plan.yaml")
        // The pack with the vocabularies it extends, so the copy reads as the original does.
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("rules"), to: dir.appendingPathComponent("rules"))
        let rules = dir.appendingPathComponent(Self.rules).path
        let owners = dir.appendingPathComponent("owners.yaml").path
        try "- {name: Abi Ajayi, email: abi@example.org}\n".write(toFile: owners, atomically: true, encoding: .utf8)
        let waivers = dir.appendingPathComponent("waivers.yaml").path
        try """
        waivers:
          - {rule: rag-missing, ref: "2.4", reason: agreed at the board, approved-by: LIP Board, expires: 2024-12-31}
        """.write(toFile: waivers, atomically: true, encoding: .utf8)
        let profile = dir.appendingPathComponent("profile.yaml").path
        try "plan-id: example\n".write(toFile: profile, atomically: true, encoding: .utf8)
        let baseline = dir.appendingPathComponent("baseline.json").path
        let saved = try CLI.run(["check", plan, "--rules", rules, "--as-of", "2024-06-01", "--format", "json:\(baseline)", "--fail-on", "never"])
        #expect(saved.code == 0, "\(saved.stderr)")
        let history = dir.appendingPathComponent("history.sqlite").path
        _ = try CLI.run(["check", plan, "--rules", rules, "--as-of", "2024-06-01", "--history", history, "--format", "summary"])
        let inputs = [("the plan", plan), ("the rules", rules), ("the owner directory", owners), ("the plan profile", profile),
                      ("the waivers", waivers), ("the baseline", baseline), ("the history database", history)]
        let before = inputs.map { Self.bytes($0.1) }
        let hard = dir.appendingPathComponent("hard-link.yaml").path, soft = dir.appendingPathComponent("link.yaml").path
        try FileManager.default.linkItem(atPath: plan, toPath: hard)
        try FileManager.default.createSymbolicLink(atPath: soft, withDestinationPath: "plan.yaml")
        let all = ["check", plan, "--rules", rules, "--as-of", "2024-07-01", "--owners", owners, "--profile", profile,
                   "--waivers", waivers, "--baseline", baseline, "--history", history]
        // Each input by its own path, the plan also by a hard link, a symbolic link and a detour.
        var cases = inputs.map { ($0.0, $0.1, $0.1) }
        cases += [("the plan", plan, hard), ("the plan", plan, soft), ("the plan", plan, dir.appendingPathComponent("x/../plan.yaml").path)]
        for (role, input, output) in cases {
            for format in ["json", "text"] {
                let r = try CLI.run(all + ["--format", "summary", "--format", "\(format):\(output)"])
                #expect(r.code == 2, "\(format):\(output): \(r.stderr)")
                #expect(r.stderr == "error: --format \(format):\(output) would overwrite \(role) \(input) (the same file); "
                        + "nothing was written: choose another output path\n")
                #expect(r.stdout.isEmpty, "refused before anything is read or written")
            }
        }
        #expect(inputs.map { Self.bytes($0.1) } == before, "every input is as it was")

        // Two outputs to one file: the last would have won.
        let report = dir.appendingPathComponent("report.txt").path
        let twice = try CLI.run(["check", plan, "--rules", rules, "--format", "json:\(report)", "--format", "text:\(dir.path)/./report.txt"])
        #expect(twice.code == 2)
        #expect(twice.stderr == "error: --format json:\(report) and --format text:\(dir.path)/./report.txt are the same file, so one "
                + "would replace the other; nothing was written: give each output its own path\n")
        #expect(!FileManager.default.fileExists(atPath: report))

        // A file the rules extend is an input too, known once the rules are read.
        let base = dir.appendingPathComponent("rules/base.yaml").path
        try FileManager.default.copyItem(atPath: rules, toPath: base)
        let local = dir.appendingPathComponent("rules/local.yaml").path
        try "ruleset: local\nversion: 1\nextends: [base.yaml]\nrules: []\n".write(toFile: local, atomically: true, encoding: .utf8)
        let baseBefore = Self.bytes(base)
        let extended = try CLI.run(["check", plan, "--rules", local, "--format", "json:\(base)"])
        #expect(extended.code == 2, "\(extended.stderr)")
        #expect(extended.stderr == "error: --format json:\(base) would overwrite the rules \(base) (the same file); "
                + "nothing was written: choose another output path\n")
        #expect(Self.bytes(base) == baseBefore)

        let folder = try CLI.run(["check", plan, "--rules", rules, "--format", "json:\(dir.path)"])
        #expect(folder.code == 2)
        #expect(folder.stderr == "error: --format json:\(dir.path): \(dir.path) is a directory; give a file name\n")
    }

    @Test func aReplacedFileKeepsItsModeAndOwnerAndAReadOnlyOneIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let report = dir.appendingPathComponent("report.txt").path
        try "old report\n".write(toFile: report, atomically: true, encoding: .utf8)
        chmod(report, 0o600)
        let root = geteuid() == 0
        if root { chown(report, 1234, 5678) }
        let args = ["check", Self.example, "--rules", Self.rules, "--as-of", "2024-07-01", "--fail-on", "never"]
        let r = try CLI.run(args + ["--format", "text:\(report)"])
        #expect(r.code == 0, "\(r.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: report)
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the mode is kept")
        if root {
            #expect((attributes[.ownerAccountID] as? Int) == 1234 && (attributes[.groupOwnerAccountID] as? Int) == 5678, "owner and group kept")
        }
        #expect(try String(contentsOfFile: report, encoding: .utf8).hasPrefix("Example local area SEND priority action plan"))

        // Through a symbolic link: the file it points to is replaced, the link kept.
        let link = dir.appendingPathComponent("latest.txt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "report.txt")
        #expect(try CLI.run(args + ["--format", "summary:\(link)"]).code == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "report.txt")
        #expect(try String(contentsOfFile: report, encoding: .utf8).hasPrefix("{\"overdue-action\":4"))

        // A read-only report is not replaced, even by root (whom permissions do not stop).
        let locked = dir.appendingPathComponent("locked.json").path
        try "kept\n".write(toFile: locked, atomically: true, encoding: .utf8)
        chmod(locked, 0o444)
        let refused = try CLI.run(args + ["--format", "text", "--format", "json:\(locked)"])
        #expect(refused.code == 5)
        #expect(refused.stderr == "error: --format json:\(locked): \(locked) is read-only (mode 0444); it is not replaced: "
                + "make it writable or write elsewhere\n")
        #expect(refused.stdout.isEmpty, "refused before the run")
        #expect(try String(contentsOfFile: locked, encoding: .utf8) == "kept\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["latest.txt", "locked.json", "report.txt"],
                "no temporary file left")
    }

    /// A plan large enough that its reports take a while to write: `count` overdue actions.
    static func largePlan(in dir: URL, count: Int = 10_000) throws -> String {
        let path = dir.appendingPathComponent("large.csv").path
        var text = "Ref,Action,Owner,Due date,RAG,Success criteria\n"
        for i in 1...count { text += "\(i / 100 + 1).\(i % 100),Review placement \(i),Abi Ajayi,2023-12-31,On track,Done\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedRunLeavesNoTemporaryFile(signal number: Int32) throws {
        let dir = try CLI.temporaryDirectory()
        let plan = try Self.largePlan(in: dir)
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let report = out.appendingPathComponent("report.json").path
        try "the report before\n".write(toFile: report, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["check", plan, "--rules", Self.rules, "--as-of", "2024-07-01", "--fail-on", "never",
                       "--format", "json:\(report)", "--format", "text:\(out.path)/report.txt", "--format", "csv:\(out.path)/report.csv"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until a report is being written, then interrupt.
        var writing = false
        for _ in 0..<120_000 where !writing && p.isRunning {
            writing = ((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).contains { $0.hasSuffix(".tmp") }
            if !writing { usleep(1_000) }
        }
        #expect(writing, "the run finished before it could be interrupted")
        kill(p.processIdentifier, number)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "ended by the signal, not \(p.terminationStatus)")
        #expect(p.terminationStatus == number)
        let left = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!left.contains { $0.hasSuffix(".tmp") }, "temporary files left: \(left)")
        #expect(try String(contentsOfFile: report, encoding: .utf8) == "the report before\n" || left.contains("report.txt"),
                "the report is the old one or, once renamed, the new one")
    }

    @Test func aStreamIsAppendedToNeverReplaced() throws {
        let dir = try CLI.temporaryDirectory()
        let common = "\"$STOCKTAKE\" check \(Self.example) --rules \(Self.rules) --as-of 2024-07-01 --fail-on never"
        for output in ["/dev/stdout", "/dev/fd/1", "\(dir.path)/log"] {
            let r = try Self.shell("{ echo BEFORE; \(common) --format summary:\(output); echo AFTER; } > \(dir.path)/log")
            #expect(r.code == 0, "\(r.stderr)")
            let log = try String(contentsOfFile: dir.appendingPathComponent("log").path, encoding: .utf8)
            #expect(log.hasPrefix("BEFORE\n{\"overdue-action\":4,"), "\(output): \(log.prefix(40))")
            #expect(log.hasSuffix("}\nAFTER\n"), "\(output)")
        }
        // Standard error, redirected to a file with >>, keeps what it held.
        try "EARLIER\n".write(toFile: dir.appendingPathComponent("err").path, atomically: true, encoding: .utf8)
        let r = try Self.shell("\(common) --format summary:/dev/stderr 2>> \(dir.path)/err")
        #expect(r.code == 0)
        #expect(try String(contentsOfFile: dir.appendingPathComponent("err").path, encoding: .utf8).hasPrefix("EARLIER\n{\"overdue-action\""))
    }

    @Test func aHistoryThatCannotBeWrittenExitsFiveAfterTheReports() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        let args = ["check", Self.example, "--rules", Self.rules, "--fail-on", "never", "--history", db]
        #expect(try CLI.run(args + ["--as-of", "2024-06-01", "--format", "summary"]).code == 0)
        let before = Self.bytes(db)

        // Read-only: the earlier run is still read (findings say since when), the reports are written.
        chmod(db, 0o444)
        let report = dir.appendingPathComponent("report.json").path
        let r = try CLI.run(args + ["--as-of", "2024-07-01", "--format", "text", "--format", "json:\(report)"])
        #expect(r.code == 5)
        #expect(r.stderr == "\(db): error: cannot record this run: the database is read-only; the reports were written, "
                + "the earlier runs are unchanged\n")
        #expect(r.stdout.contains("reported since 2024-06-01 (2 runs)"), "the history is still read")
        #expect(FileManager.default.fileExists(atPath: report))
        #expect(Self.bytes(db) == before)

        // A full disk (a file size limit): the transaction fails, the reports are out, the runs kept.
        chmod(db, 0o644)
        let plan = try Self.largePlan(in: dir)
        let limit = (try FileManager.default.attributesOfItem(atPath: db)[.size] as! Int) / 512
        let full = try Self.shell("ulimit -f \(limit); trap '' XFSZ; exec \"$STOCKTAKE\" check \(plan) --rules \(Self.rules) "
                                  + "--as-of 2024-07-01 --history \(db) --fail-on never --format summary")
        #expect(full.code == 5, "\(full.stderr)")
        #expect(full.stderr.hasPrefix("\(db): error: cannot record this run ("), "\(full.stderr)")
        #expect(full.stderr.hasSuffix("); the reports were written, the earlier runs are unchanged\n"))
        #expect(full.stdout.hasPrefix("{\"overdue-action\":10000,"))
        let list = try CLI.run(["history", "--history", db])
        #expect(list.code == 0, "\(list.stderr)")
        #expect(list.stdout.contains("2024-06-01") && !list.stdout.contains("large.csv"))
    }

    @Test func anEmptyForeignOrSpecialFileAtTheHistoryPathIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let args = ["check", Self.example, "--rules", Self.rules, "--format", "summary", "--history"]
        let empty = dir.appendingPathComponent("empty.sqlite").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let foreign = dir.appendingPathComponent("accounts.db").path
        let sqlite = try Self.shell("python3 -c \"import sqlite3; c = sqlite3.connect('\(foreign)'); "
                                    + "c.execute('CREATE TABLE ledger (id)'); c.execute('CREATE TABLE payee (id)'); c.commit()\"")
        #expect(sqlite.code == 0, "\(sqlite.stderr)")
        let foreignBefore = Self.bytes(foreign)
        for (path, message) in [
            (empty, "is empty, not a stocktake history database; remove it to start a new history, or restore the database from a backup"),
            (foreign, "is an SQLite database but not a stocktake history (its tables: ledger, payee); give --history a file of its own"),
            ("/dev/null", "is not a regular file, so it cannot be a stocktake history database"),
            (dir.path, "is not a regular file, so it cannot be a stocktake history database"),
        ] {
            let r = try CLI.run(args + [path])
            #expect(r.code == 4)
            #expect(r.stderr == "\(path): error: \(message)\n")
            #expect(r.stdout.isEmpty)
        }
        #expect(Self.bytes(empty) == Data(), "never silently restarted")
        #expect(Self.bytes(foreign) == foreignBefore, "never given stocktake's tables")
    }
}
