import Foundation
import Testing

/// Run history: facts rules can use across runs, and a database that survives crashes and
/// concurrent runs.
@Suite struct HistoryTests {
    func plan(_ dir: URL, _ name: String, _ rows: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try ("Ref,Action,Owner,Due date,RAG,Success criteria\n" + rows).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func threeRunsSeeStatusFlipsAndPersistence() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        let calm = try plan(dir, "jan.csv", "1.1,Review,Amber,2024-06-30,On track,Done\n1.2,Publish,Abi,2023-12-31,On track,Done\n")
        let flipped = try plan(dir, "mar.csv", "1.1,Review,Amber,2024-06-30,At risk,Done\n1.2,Publish,Abi,2023-12-31,On track,Done\n")
        // Each month's export has a name of its own: one plan id makes them one series.
        func run(_ plan: String, _ asOf: String) throws -> [[String: Any]] {
            let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", asOf, "--history", db, "--format", "json",
                                 "--fail-on", "never", "--plan-id", "monthly-plan"])
            #expect(r.code == 0, "\(r.stderr)")
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["findings"] as! [[String: Any]]
        }
        _ = try run(calm, "2024-01-01")
        _ = try run(calm, "2024-02-01")
        let third = try run(flipped, "2024-03-01")
        let jumped = try #require(third.first { $0["rule"] as? String == "rag-jumped" })
        #expect(jumped["ref"] as? String == "1.1")
        #expect(jumped["message"] as? String == "1.1 went from \"On track\" to \"At risk\" since the last run")
        let overdue = try #require(third.first { $0["rule"] as? String == "overdue-action" && $0["ref"] as? String == "1.2" })
        let history = overdue["history"] as! [String: Any]
        #expect(history["first_seen"] as? String == "2024-01-01")
        #expect(history["runs"] as? Int == 3)
        // Re-running a day replaces that day's run instead of counting it twice.
        _ = try run(flipped, "2024-03-01")
        let list = try CLI.run(["history", "--history", db])
        #expect(list.code == 0)
        #expect(list.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("2024-0") && $0.contains("jan.csv") || $0.contains("mar.csv") }.count >= 3)
        #expect(list.stdout.contains("findings per run"))
        #expect(list.stdout.split(separator: "\n").filter { $0.range(of: #"^2024-\d\d-\d\d  "#, options: .regularExpression) != nil }.count == 3)
    }

    @Test func oldhamAcrossThreeRunsWithAStatusChange() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        let source = try String(contentsOf: try Fixture.url("plans/oldham-priority-action-plan.tsv"), encoding: .utf8)
        // The same export with the RA column of action 1.11 filled in.
        func rated(_ rating: String, _ name: String) throws -> String {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                guard line.hasPrefix("1.11\t") else { return String(line) }
                return line.split(separator: "\t", omittingEmptySubsequences: false).dropLast().joined(separator: "\t") + "\t" + rating
            }
            let path = dir.appendingPathComponent(name).path
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let green = try rated("On track", "run1.tsv"), red = try rated("At risk", "run3.tsv")
        for (plan, asOf) in [(green, "2024-05-01"), (green, "2024-06-01"), (red, "2024-07-01")] {
            let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", asOf, "--history", db,
                                 "--format", "json", "--fail-on", "never", "--plan-id", "oldham"])
            #expect(r.code == 0)
            let findings = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["findings"] as! [[String: Any]]
            let jumped = findings.filter { $0["rule"] as? String == "rag-jumped" }.map { $0["ref"] as? String }
            #expect(jumped == (asOf == "2024-07-01" ? ["1.11"] : []))
            let overdue = try #require(findings.first { $0["rule"] as? String == "overdue-action" && $0["ref"] as? String == "1.1" })
            #expect((overdue["history"] as! [String: Any])["runs"] as? Int == ["2024-05-01": 1, "2024-06-01": 2, "2024-07-01": 3][asOf])
        }
    }

    /// `--history-keep N` keeps the findings and records of the latest N runs only; the run
    /// after still carries on from the one before it, and every run keeps its counts.
    @Test func historyKeepPrunesOlderRunsRowsButNotTheirCounts() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        let plan = try plan(dir, "plan.csv", "1.1,Review,Amber,2024-06-30,On track,Done\n1.2,Publish,Abi,2023-12-31,On track,Done\n")
        for (i, asOf) in ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"].enumerated() {
            let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", asOf, "--history", db, "--history-keep", "2",
                                 "--format", "json", "--fail-on", "never"])
            #expect(r.code == 0, "\(r.stderr)")
            let findings = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["findings"] as! [[String: Any]]
            let overdue = try #require(findings.first { $0["rule"] as? String == "overdue-action" && $0["ref"] as? String == "1.2" })
            #expect((overdue["history"] as! [String: Any])["runs"] as? Int == i + 1)
            #expect((overdue["history"] as! [String: Any])["first_seen"] as? String == "2024-01-01")
        }
        // A run as of an earlier date falls outside the latest two: it keeps only its counts.
        #expect(try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2023-12-01", "--history", db,
                             "--history-keep", "2", "--fail-on", "never"]).code == 0)
        // Rows per run, oldest first: the two latest keep theirs.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            for (run,) in c.execute('SELECT id FROM run ORDER BY as_of'):
                print(run, c.execute('SELECT count(*) FROM finding WHERE run_id = ?', (run,)).fetchone()[0] > 0,
                      c.execute('SELECT count(*) FROM snapshot WHERE run_id = ?', (run,)).fetchone()[0])
            """, db]
        let out = Pipe()
        sqlite.standardOutput = out
        try sqlite.run()
        sqlite.waitUntilExit()
        let rows = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rows == "5 False 0\n1 False 0\n2 False 0\n3 True 2\n4 True 2\n")
        let list = try CLI.run(["history", "--history", db])
        #expect(list.stdout.split(separator: "\n").filter { $0.range(of: #"^202\d-\d\d-\d\d +\d+ +\d+ +\d+"#, options: .regularExpression) != nil }.count == 5,
                "every run keeps its counts")

        for (bad, message) in [(["--history", db, "--history-keep", "0"], "--history-keep must be at least 1 (the run being recorded), not 0"),
                               (["--history-keep", "2", "--no-history"], "--history-keep and --no-history cannot be used together")] {
            let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml"] + bad)
            #expect(r.code == 2)
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
    }

    @Test func newerAndCorruptDatabasesAreRefusedWithThePath() throws {
        let dir = try CLI.temporaryDirectory()
        let corrupt = dir.appendingPathComponent("corrupt.sqlite").path
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: corrupt))
        let r = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--history", corrupt])
        #expect(r.code == 4)
        #expect(r.stderr.hasPrefix("\(corrupt): error: cannot be read as a stocktake history database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: corrupt)) == Data(repeating: 0x42, count: 4096), "never overwritten")

        let newer = dir.appendingPathComponent("newer.sqlite").path
        _ = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--history", newer])
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('v99')\"); c.commit()", newer]
        try sqlite.run()
        sqlite.waitUntilExit()
        let refused = try CLI.run(["history", "--history", newer])
        #expect(refused.code == 4)
        #expect(refused.stderr == "\(newer): error: was written by a newer stocktake; use that version, or --history with another file\n")
    }

    @Test func aKilledRunLeavesEarlierRunsIntactAndConcurrentRunsBothLand() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        // A large run to interrupt: generated casework with the statutory pack.
        let cases = dir.appendingPathComponent("cases.csv")
        try Casework.generate(count: 60000, to: cases)
        let args = ["check", cases.path, "--rules", "rules/send-statutory.yaml", "--history", db, "--format", "summary", "--fail-on", "never"]
        #expect(try CLI.run(args + ["--as-of", "2025-03-01"]).code == 0)
        for delay in [0.3, 0.6, 0.9] {
            let p = Process()
            p.executableURL = CLI.executable
            p.arguments = args + ["--as-of", "2025-03-31"]
            p.currentDirectoryURL = CLI.root
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let list = try CLI.run(["history", "--history", db])
            #expect(list.code == 0, "\(list.stderr)")
            #expect(list.stdout.contains("2025-03-01"), "the earlier run survives")
        }
        // Two runs at once on the same database both land.
        let a = Process(), b = Process()
        for (p, asOf) in [(a, "2025-04-30"), (b, "2025-05-31")] {
            p.executableURL = CLI.executable
            p.arguments = args + ["--as-of", asOf]
            p.currentDirectoryURL = CLI.root
            p.standardOutput = FileHandle.nullDevice
            try p.run()
        }
        a.waitUntilExit()
        b.waitUntilExit()
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0)
        let list = try CLI.run(["history", "--history", db])
        #expect(list.stdout.contains("2025-04-30") && list.stdout.contains("2025-05-31"))
    }
}
