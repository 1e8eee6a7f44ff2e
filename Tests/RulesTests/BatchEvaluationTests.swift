import Foundation
import Testing
@testable import Expressions
@testable import PlanData
@testable import Rules

/// Large tables are streamed in parallel parts and checked in batches; everything else is read
/// whole and checked record by record. Both must give the same findings, byte for byte.
@Suite struct BatchEvaluationTests {
    static let asOf = Day(year: 2025, month: 3, day: 31)!
    static let rules = repositoryRoot.appendingPathComponent("rules/send-statutory.yaml").path

    /// Casework from the repository's generator (scripts/gen-casework.py), with rows the batch
    /// reader must hand to the importer.
    static func casework(count: Int, in dir: URL, awkward: Bool = true) throws -> String {
        let generator = "scripts/gen-casework.py"
        try #require(FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(generator).path),
                     "missing \(generator)")
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["python3", generator, "--count", String(count), "--seed", "7", "--as-of", "2025-03-31"]
        gen.currentDirectoryURL = repositoryRoot
        let out = Pipe()
        gen.standardOutput = out
        try gen.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        gen.waitUntilExit()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try #require(gen.terminationStatus == 0 && lines.count > count, "python3 \(generator) did not run")
        if awkward {
            let header = lines[0]
            func cells(_ i: Int) -> [String] { lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            func edit(_ i: Int, _ column: Int, _ text: String) { var c = cells(i); c[column] = text; lines[i] = c.joined(separator: ",") }
            edit(101, 2, "Alex  Hughes")                 // doubled space: cleaned to one
            edit(202, 1, "North &amp; East")             // an entity: decoded
            edit(303, 2, "Zoë Evans")                    // non-ASCII text
            edit(404, 4, "2024-01-01 ")                  // a date with a trailing space
            edit(505, 4, "2024-02-30")                   // not a date: null, text kept
            edit(606, 2, "<b>Sam</b> Khan")              // HTML in a cell
            lines[707] += "\r"                           // one CRLF line end
            lines.insert(",Central,continued officer note,,,,,,,,,,,,,,,,,,,", at: 808)   // continuation of the row above
            lines.insert("", at: 909)                    // blank row
            lines.insert(header, at: 1010)               // repeated page header
            lines.insert("Priority 2: reviews", at: 1111)  // a section label
            lines.insert("C9999999,North,Tom Walsh,primary", at: 1212)   // a short row
            // A row larger than a block of kept rows, flagged whatever the generator drew for it:
            // its final plan is dated before its request.
            edit(1414, 2, String(repeating: "Officer ", count: 200_000) + "Khan")
            edit(1414, 11, "2000-01-01")
        }
        return try write(lines.joined(separator: "\n"), "cases.csv", in: dir)
    }

    static func check(_ path: String, streamFrom: Int, countOnly: Bool = false) throws -> (CheckResult, Plan) {
        let ruleSet = try RuleSetLoader.load(paths: [rules])
        let loader = PlanLoader(schema: ruleSet.collections["cases"]!)
        let (result, plan, _) = try Runner.check(path: path, format: nil, loader: loader, ruleSet: ruleSet, collection: "cases",
                                                 asOf: asOf, countOnly: countOnly, workers: 3, streamFrom: streamFrom)
        // Batch rows are placed on the ladder as they are found; the others here.
        return (result.escalated(ruleSet.ladder, directory: loader.reader.owners), plan)
    }

    static func describe(_ f: Finding) -> String {
        "\(f.rule)|\(f.severity)|\(f.ref)|\(f.source)|\(f.priority)|\(f.message)|\(f.owners)|\(f.fingerprint)|"
            + f.values.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            + "|\(f.escalation.map { "\($0.id) \($0.name) \($0.recipients)" } ?? "unplaced")"
            + "|\(f.due.map(\.description) ?? "-")|\(f.dueOriginal.map(\.description) ?? "-")|\(f.section ?? "-")|\(f.evaluationError)"
    }

    /// The same findings in the same order; a difference is reported at its first finding.
    static func expectSame(_ a: [Finding], _ b: [Finding], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        if let i = zip(a, b).enumerated().first(where: { describe($0.element.0) != describe($0.element.1) })?.offset {
            Issue.record("finding \(i) differs:\n  \(describe(a[i]))\n  \(describe(b[i]))", sourceLocation: sourceLocation)
        }
    }

    @Test func streamedBatchesGiveTheFindingsOfARecordByRecordRead() throws {
        let dir = try temporaryDirectory()
        let path = try Self.casework(count: 3000, in: dir)
        let (whole, wholePlan) = try Self.check(path, streamFrom: .max)
        let (streamed, streamedPlan) = try Self.check(path, streamFrom: 0)
        #expect(whole.records == 3001)
        #expect(streamed.records == whole.records)
        Self.expectSame(streamed.findings, whole.findings)
        #expect(streamed.stats.map { "\($0.rule) \($0.examined) \($0.flagged) \($0.errors)" }
                == whole.stats.map { "\($0.rule) \($0.examined) \($0.flagged) \($0.errors)" })
        #expect(streamed.severityCounts == whole.severityCounts)
        func counts(_ t: PlanTally) -> [Int] { [t.records, t.headerRows, t.blankRows, t.sectionRows, t.continuationRows, t.totalRows] }
        #expect(counts(streamedPlan.tally) == counts(wholePlan.tally))
        #expect(wholePlan.tally.continuationRows == 1 && wholePlan.tally.headerRows == 2 && wholePlan.tally.sectionRows == 1)
        // A row kept for its findings that is larger than a block of kept rows.
        #expect(streamed.findings.contains { $0.owners.first?.utf8.count ?? 0 > 1_500_000 })
        // Counting only gives the same counts.
        let (counted, _) = try Self.check(path, streamFrom: 0, countOnly: true)
        #expect(counted.severityCounts == whole.severityCounts)
        #expect(counted.stats.map(\.flagged) == whole.stats.map(\.flagged))
    }

    /// With history on, batches also keep each record's snapshot (key, status, due) for it.
    @Test func batchesKeepTheSnapshotsOfARecordByRecordRead() throws {
        let dir = try temporaryDirectory()
        let path = try Self.casework(count: 3000, in: dir)
        let ruleSet = try RuleSetLoader.load(paths: [Self.rules])
        func run(_ streamFrom: Int) throws -> (CheckResult, [String]) {
            let loader = PlanLoader(schema: ruleSet.collections["cases"]!)
            let (result, _, snapshots) = try Runner.check(path: path, format: nil, loader: loader, ruleSet: ruleSet, collection: "cases",
                                                          asOf: Self.asOf, countOnly: false, keepSnapshots: true, workers: 3,
                                                          streamFrom: streamFrom)
            return (result.escalated(ruleSet.ladder, directory: loader.reader.owners),
                    snapshots.map { "\($0.key)|\($0.status ?? "-")|\($0.due.map(\.description) ?? "-")" })
        }
        let (whole, wholeSnapshots) = try run(.max)
        let (streamed, streamedSnapshots) = try run(0)
        #expect(wholeSnapshots.count == 3001)
        #expect(streamedSnapshots == wholeSnapshots)
        Self.expectSame(streamed.findings, whole.findings)
    }

    /// Parts are cut only before a row whose key cell is filled: with the key in another column
    /// than the first, a continuation row (first cell filled, key empty) is never cut from its record.
    @Test func partsNeverStartAtAContinuationRow() throws {
        let dir = try temporaryDirectory()
        let source = try String(contentsOfFile: try Self.casework(count: 2400, in: dir, awkward: false), encoding: .utf8)
        var rows: [String] = []
        for (n, line) in source.split(separator: "\n").enumerated() {
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells.swapAt(0, 1)                        // team, case_id, …
            rows.append(cells.joined(separator: ","))
            if n > 0, n % 2 == 0 { rows.append("continued" + String(repeating: ",", count: cells.count - 1)) }
        }
        let path = try write(rows.joined(separator: "\n") + "\n", "keyed.csv", in: dir)
        let (whole, wholePlan) = try Self.check(path, streamFrom: .max)
        let (streamed, streamedPlan) = try Self.check(path, streamFrom: 0)
        #expect(wholePlan.tally.continuationRows == 1200)
        #expect(streamedPlan.tally.continuationRows == 1200)
        #expect(streamedPlan.tally.skipped.isEmpty)
        Self.expectSame(streamed.findings, whole.findings)
    }

    /// Comma- or tab-separated: a tab is a control byte, so it must be told from one as a delimiter.
    @Test(arguments: [",", "\t"])
    func plainRowsGoInBatchesAndEveryStatutoryRuleRunsThere(delimiter: String) throws {
        let dir = try temporaryDirectory()
        var path = try Self.casework(count: 3000, in: dir)
        if delimiter != "," {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            path = try write(text.replacingOccurrences(of: ",", with: delimiter), "cases.tsv", in: dir)
        }
        let ruleSet = try RuleSetLoader.load(paths: [Self.rules])
        let loader = PlanLoader(schema: ruleSet.collections["cases"]!)
        let (_, parts) = try #require(try loader.parts(path: path, format: nil, count: 2, minimumBytes: 0))
        var engine = Engine(ruleSet: ruleSet, collection: "cases", asOf: Self.asOf, countOnly: true)
        var batched = 0, single = 0
        for part in parts {
            _ = try part.read(batch: { batched += $0.count; engine.check(batch: $0) }, record: { single += 1; engine.check($0) })
        }
        // Read one by one: the 6 awkward records (5 edited cells, the short row), and the row before
        // each of the 10 rows that are not plain (it might have continuation rows).
        #expect(single == 16)
        #expect(batched == 3001 - single)
        let programs = try #require(engine.batchPrograms)
        #expect(programs.conditions.allSatisfy { $0 != nil })
        #expect(programs.grades.joined().count == 21)
    }

    @Test func quotedFieldsAreReadWholeWithTheSameFindings() throws {
        let dir = try temporaryDirectory()
        var text = try String(contentsOfFile: try Self.casework(count: 400, in: dir, awkward: false), encoding: .utf8)
        text = text.replacingOccurrences(of: "Alex Hughes", with: "\"Hughes, Alex\"")
        let path = try write(text, "quoted.csv", in: dir)
        let ruleSet = try RuleSetLoader.load(paths: [Self.rules])
        let loader = PlanLoader(schema: ruleSet.collections["cases"]!)
        let (_, parts) = try #require(try loader.parts(path: path, format: nil, count: 2, minimumBytes: 0))
        #expect(throws: TablePart.NeedsWholeRead.self) {
            for part in parts { _ = try part.read(batch: { _ in }, record: { _ in }) }
        }
        let (whole, _) = try Self.check(path, streamFrom: .max)
        let (streamed, _) = try Self.check(path, streamFrom: 0)
        #expect(whole.findings.contains { $0.owners == ["Hughes, Alex"] })
        Self.expectSame(streamed.findings, whole.findings)
    }

    @Test func anInvalidByteIsReportedAtItsLineOnBothPaths() throws {
        let dir = try temporaryDirectory()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try Self.casework(count: 2000, in: dir, awkward: false))))
        // Line 1,801 (in the second part): replace the first letter of its team with 0xFF.
        var line = 1, i = 0
        while line < 1801 { if bytes[i] == 0x0A { line += 1 }; i += 1 }
        let comma = bytes[i...].firstIndex(of: UInt8(ascii: ","))!
        bytes[comma + 1] = 0xFF
        let path = dir.appendingPathComponent("bad.csv").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        for streamFrom in [0, Int.max] {
            do {
                _ = try Self.check(path, streamFrom: streamFrom)
                Issue.record("no error for the invalid byte")
            } catch let error as PlanError {
                #expect(error.description == "\(path):1801: error: invalid UTF-8 byte 0xFF; save the file as UTF-8")
            }
        }
    }
}

@Suite struct BatchEligibilityTests {
    /// A number column is read when the row is read, on every path: a bad value stops the run
    /// with its position, even in a large streamed table whose rules never read the column.
    @Test func anInvalidNumberStopsAStreamedReadAtItsCell() throws {
        let dir = try temporaryDirectory()
        let rules = try write("""
            ruleset: numbers
            version: 1
            collections:
              items:
                key: id
                fields: {id: string, count: int, note: string}
            rules:
              - id: noted
                title: Noted
                applies-to: items
                when: 'note == "check"'
                severity: warning
                message: "{id} is noted"
                examples:
                  - {record: {id: "A1", note: "check"}, as-of: 2025-01-01, expect: {level: warning}}
                  - {record: {id: "A1", note: "fine"}, as-of: 2025-01-01, expect: none}
            """, "numbers.yaml", in: dir)
        var rows = ["id,count,note"] + (1...3000).map { "A\($0),\($0 % 9),fine" }
        rows[2500] = "A2500,lots,fine"
        let path = try write(rows.joined(separator: "\n") + "\n", "items.csv", in: dir)
        let ruleSet = try RuleSetLoader.load(paths: [rules])
        for streamFrom in [0, Int.max] {
            let loader = PlanLoader(schema: ruleSet.collections["items"]!)
            #expect(throws: PlanError.self) {
                _ = try Runner.check(path: path, format: nil, loader: loader, ruleSet: ruleSet, collection: "items",
                                     asOf: BatchEvaluationTests.asOf, countOnly: true, workers: 2, streamFrom: streamFrom)
            }
            do {
                _ = try Runner.check(path: path, format: nil, loader: loader, ruleSet: ruleSet, collection: "items",
                                     asOf: BatchEvaluationTests.asOf, countOnly: true, workers: 2, streamFrom: streamFrom)
            } catch let error as PlanError {
                #expect(error.description == "\(path):2501:2: error: count: 'lots' is not a whole number")
            }
        }
    }
}

/// Findings are ordered on both cores: halves sorted at once, then merged from both ends. The
/// order must be the stable order of one sort, with ties (equal keys) in their input order,
/// whatever the split point lands on.
@Suite struct ParallelOrderTests {
    @Test(arguments: [65_537, 100_000, 200_001])
    func halvesMergedFromBothEndsGiveTheStableOrder(count: Int) {
        for spread in [1, 3, 1_000, 1 << 30] {
            // A generator of its own: the same keys every run, many equal when the spread is small.
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(count &+ spread)
            let keys = (0..<count).map { _ -> Int in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int(state >> 33) % spread
            }
            let sorted = CheckResult.parallelSorted(count) { keys[$0] < keys[$1] }
            let stable = (0..<count).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
            let differs = zip(sorted, stable).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            if let i = differs ?? (sorted.count == count ? nil : sorted.count) {
                Issue.record("\(count) keys spread over \(spread): position \(i) differs")
            }
        }
    }
}
