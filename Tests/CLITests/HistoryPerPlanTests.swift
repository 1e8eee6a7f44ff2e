import Foundation
import Testing

/// History per plan, and only when asked: several plans share one database, each its own series;
/// a plain check or a dry run writes nothing.
@Suite struct HistoryPerPlanTests {
    static let rules = "rules/send-plan.yaml"
    static let example = "examples/send-improvement-plan.yaml"

    static func findings(_ r: CLI.Result) throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["findings"] as! [[String: Any]]
    }

    static func runs(_ f: [String: Any]) -> Int { (f["history"] as! [String: Any])["runs"] as! Int }

    static func python(_ script: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Plan A twice, plan B (the same actions under another name: every fingerprint shared) once,
    /// then A again. Before, B carried on A's runs and A's third run started again from B's.
    @Test func plansSharingADatabaseKeepTheirOwnSeries() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        let b = dir.appendingPathComponent("another-plan.yaml").path
        var other = try String(contentsOfFile: CLI.root.appendingPathComponent(Self.example).path, encoding: .utf8)
        other = other.replacingOccurrences(of: "plan: Example local area SEND priority action plan", with: "plan: Another plan")
        try other.write(toFile: b, atomically: true, encoding: .utf8)
        func check(_ plan: String, _ asOf: String) throws -> [[String: Any]] {
            let r = try CLI.run(["check", plan, "--rules", Self.rules, "--as-of", asOf, "--history", db, "--format", "json",
                                 "--fail-on", "never"])
            #expect(r.code == 0, "\(r.stderr)")
            return try Self.findings(r)
        }
        _ = try check(Self.example, "2024-05-01")
        let second = try check(Self.example, "2024-06-01")
        let fromB = try check(b, "2024-06-15")
        #expect(fromB.allSatisfy { Self.runs($0) == 1 }, "B inherits nothing from A")
        let third = try check(Self.example, "2024-07-01")
        let carried = third.filter { f in second.contains { $0["fingerprint"] as? String == f["fingerprint"] as? String } }
        // Nine in the second run; at-risk-escalation on 2.1 is folded into its overdue-action in the third.
        #expect(carried.count == 8, "the eight findings of A's second run not folded into another are still reported")
        #expect(carried.allSatisfy { Self.runs($0) >= 2 }, "none starts again because B ran in between")
        let overdue = try #require(third.first { $0["rule"] as? String == "overdue-action" && $0["ref"] as? String == "1.10" })
        #expect((overdue["history"] as! [String: Any])["first_seen"] as? String == "2024-05-01")
        #expect(Self.runs(overdue) == 3)

        let list = try CLI.run(["history", "--history", db])
        #expect(list.code == 0, "\(list.stderr)")
        let headings = list.stdout.split(separator: "\n").filter { $0.hasPrefix("plan ") }
        #expect(headings == ["plan \(Self.example) (actions): 3 runs", "plan \(b) (actions): 1 run"])
        let one = try CLI.run(["history", "--history", db, "--plan", b])
        #expect(one.stdout.split(separator: "\n").filter { $0.hasPrefix("plan ") } == ["plan \(b) (actions): 1 run"])
        let unknown = try CLI.run(["history", "--history", db, "--plan", "examples/send-improvment-plan.yaml"])
        #expect(unknown.code == 2)
        #expect(unknown.stderr == "\(db): error: no runs of plan 'examples/send-improvment-plan.yaml' "
                + "(did you mean '\(Self.example)'?)\n")

        // The board pack's trend is A's own series.
        let html = try CLI.run(["check", Self.example, "--rules", Self.rules, "--as-of", "2024-08-01", "--history", db,
                                "--format", "html", "--fail-on", "never"])
        #expect(html.code == 0)
        for day in ["2024-05-01", "2024-06-01", "2024-07-01", "2024-08-01"] { #expect(html.stdout.contains(day), "\(day) in the trend") }
        #expect(!html.stdout.contains("2024-06-15"), "B's run is not in A's trend")
    }

    /// Monthly exports with a new file name each month: a plan id (option, profile, or the plan
    /// itself) makes them one series.
    @Test func aPlanIdMakesRenamedExportsOneSeries() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        let source = try String(contentsOfFile: CLI.root.appendingPathComponent(Self.example).path, encoding: .utf8)
        let profile = dir.appendingPathComponent("profile.yaml").path
        try "plan-id: local-area-plan\n".write(toFile: profile, atomically: true, encoding: .utf8)
        var last: [[String: Any]] = []
        for (month, way) in [("2024-05", "plan"), ("2024-06", "profile"), ("2024-07", "option")] {
            let path = dir.appendingPathComponent("plan-\(month).yaml").path
            try (way == "plan" ? "plan-id: local-area-plan\n" + source : source).write(toFile: path, atomically: true, encoding: .utf8)
            let extra = way == "profile" ? ["--profile", profile] : way == "option" ? ["--plan-id", "local-area-plan"] : []
            let r = try CLI.run(["check", path, "--rules", Self.rules, "--as-of", "\(month)-01", "--history", db, "--format", "json",
                                 "--fail-on", "never"] + extra)
            #expect(r.code == 0, "\(r.stderr)")
            last = try Self.findings(r)
        }
        let overdue = try #require(last.first { $0["rule"] as? String == "overdue-action" && $0["ref"] as? String == "1.10" })
        #expect(Self.runs(overdue) == 3)
        let list = try CLI.run(["history", "--history", db])
        #expect(list.stdout.hasPrefix("plan local-area-plan (actions): 3 runs\n"), "\(list.stdout)")
        let bad = try CLI.run(["check", Self.example, "--rules", Self.rules, "--history", db, "--plan-id", ""])
        #expect(bad.code == 2)
        #expect(bad.stderr.contains("--plan-id needs a name"))
    }

    /// A database made by stocktake before runs were kept per plan (version 3): the README's two
    /// commands and two more runs of the example, Oldham's run between them.
    @Test func aVersionThreeDatabaseIsSplitIntoOneSeriesPerPlan() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("h.sqlite").path
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("Tests/CLITests/Fixtures/history-v3-example-and-oldham.sqlite"),
                                         to: URL(fileURLWithPath: db))
        let count = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            for run, n, new in c.execute('SELECT run_id, count(*), sum(runs = 1) FROM finding GROUP BY run_id ORDER BY run_id'):
                print(run, n, new)
            """
        #expect(try Self.python(count, [db]) == "1 11 11\n2 12 1\n3 98 96\n4 14 11\n",
                "as recorded: Oldham inherited two findings, the example's third run started eleven again")
        let r = try CLI.run(["check", Self.example, "--rules", Self.rules, "--as-of", "2024-08-01", "--history", db, "--format", "json",
                             "--fail-on", "never"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr == "stocktake: bringing the history in \(db) (4 runs) up to this version's format, once\n")
        #expect(try Self.python(count, [db]) == "1 11 11\n2 12 1\n3 98 98\n4 14 2\n5 11 1\n",
                "each run counted within its own plan")
        let overdue = try #require(try Self.findings(r).first { $0["rule"] as? String == "overdue-action" && $0["ref"] as? String == "1.10" })
        #expect(Self.runs(overdue) == 4)
        let list = try CLI.run(["history", "--history", db])
        #expect(list.stdout.split(separator: "\n").filter { $0.hasPrefix("plan ") }
                == ["plan \(Self.example) (actions): 4 runs", "plan Tests/Fixtures/plans/oldham-priority-action-plan.tsv (actions): 1 run"])
    }

    /// A plain check writes nothing into the working directory; history is kept when asked for,
    /// by --history or STOCKTAKE_HISTORY; a dry run of notify records nothing.
    @Test func nothingIsRecordedUnlessAskedFor() throws {
        let dir = try CLI.temporaryDirectory()
        let rules = CLI.root.appendingPathComponent(Self.rules).path, plan = CLI.root.appendingPathComponent(Self.example).path
        let check = "\"$STOCKTAKE\" check \(plan) --rules \(rules) --as-of 2024-07-01 --format summary"
        let plain = try OutputSafetyTests.shell(check, in: dir)
        #expect(plain.code == 1)
        let again = try OutputSafetyTests.shell(check, in: dir)
        #expect(again.stdout == plain.stdout && again.stderr == plain.stderr, "byte-identical")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "nothing written into the working directory")

        let asked = try OutputSafetyTests.shell("STOCKTAKE_HISTORY=runs.sqlite \(check) && exit 9; "
                                                + "STOCKTAKE_HISTORY=runs.sqlite \(check) --no-history; "
                                                + "\"$STOCKTAKE\" history --history runs.sqlite", in: dir)
        #expect(asked.stdout.contains("plan \(plan) (actions): 1 run\n"), "\(asked.stdout) \(asked.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["runs.sqlite"])

        let owners = dir.appendingPathComponent("owners.yaml").path
        try "- {name: Abi Ajayi, email: abi.ajayi@example.org}\n".write(toFile: owners, atomically: true, encoding: .utf8)
        // What the database holds (its file may differ once SQLite has folded in its write-ahead log).
        let dump = "import sqlite3, sys; print('\\n'.join(sqlite3.connect(sys.argv[1]).iterdump()))"
        let runs = dir.appendingPathComponent("runs.sqlite").path
        let before = try Self.python(dump, [runs])
        #expect(before.contains("INSERT INTO \"run\""))
        for db in ["runs.sqlite", "new.sqlite"] {
            let dry = try OutputSafetyTests.shell("\"$STOCKTAKE\" notify \(plan) --rules \(rules) --as-of 2024-08-01 --owners \(owners) "
                                                  + "--history \(db) --dry-run", in: dir)
            #expect(dry.code == 0, "\(dry.stderr)")
            #expect(dry.stdout.hasSuffix("dry run: nothing sent\n"))
        }
        #expect(try Self.python(dump, [runs]) == before, "a dry run records nothing")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["owners.yaml", "runs.sqlite"],
                "no new database, and SQLite's side files removed")

        let keep = try OutputSafetyTests.shell("\"$STOCKTAKE\" check \(plan) --rules \(rules) --history-keep 2", in: dir)
        #expect(keep.code == 2)
        #expect(keep.stderr.contains("--history-keep needs a history: --history PATH, or $STOCKTAKE_HISTORY"), "\(keep.stderr)")
    }
}
