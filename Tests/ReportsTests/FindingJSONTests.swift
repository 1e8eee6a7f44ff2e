import Foundation
import Testing
@testable import Expressions
@testable import PlanData
@testable import Reports
@testable import Rules

/// `FindingJSON` writes findings without building a `JSON` tree; this tree, laid out by
/// `JSON.write`, is the layout it must match byte for byte (docs/json-output.md).
@Suite struct FindingJSONTests {
    static func tree(_ f: Finding) -> JSON {
        var source: [(String, JSON)] = [("file", .string(f.source.file)), ("line", .int(f.source.line))]
        if let c = f.source.column { source.append(("column", .int(c))) }
        return .object([
            ("rule", .string(f.rule)), ("title", .string(f.title)), ("severity", .string(f.severity.rawValue)),
            ("statutory", .bool(f.statutory)), ("ref", .string(f.ref)), ("priority", .int(f.priority)),
            ("message", .string(f.message)), ("owners", .array(f.owners.map(JSON.string))),
            ("escalate_to", .array(f.escalateTo.map(JSON.string))),
            ("escalation", f.escalation.map { e in
                .object([("level", .string(e.id)), ("name", .string(e.name)), ("recipients", .array(e.recipients.map(JSON.string)))])
            } ?? .null),
            ("source", .object(source)),
            ("values", .object(f.values.map { ($0.name, JSON($0.value)) })),
            ("evaluation_error", .bool(f.evaluationError)),
            ("waived", f.waiver.map { w in
                .object([("reason", .string(w.reason)), ("approved_by", .string(w.approvedBy)), ("expires", .string(w.expires.description)),
                         ("source", .object([("file", .string(w.file)), ("line", .int(w.line))]))])
            } ?? .null),
            ("history", f.history.map { h in .object([("first_seen", .string(h.firstSeen.description)), ("runs", .int(h.runs))]) } ?? .null),
            ("fingerprint", .string(f.fingerprint)),
        ])
    }

    static func bytes(_ f: Finding) -> (fast: String, tree: String) {
        var fast = ByteBuffer(capacity: 0), tree = ByteBuffer(capacity: 0)
        var writer = FindingJSON()
        writer.write(f, into: &fast)
        Self.tree(f).write(into: &tree, indent: nil)
        return (String(decoding: fast.bytes, as: UTF8.self), String(decoding: tree.bytes, as: UTF8.self))
    }

    @Test func everyPartIsLaidOutAsTheTreeLaysItOut() {
        let day = Day(year: 2024, month: 5, day: 31)!
        var nested = MapValue()
        nested.insert(.string("k"), .list([.int(1), .string("two")]))
        let full = Finding(rule: "r-1", title: "A \"quoted\"\ntitle", severity: .critical, statutory: true, ref: "1.10",
                           message: "tab\there, back\\slash, é", owners: ["Sam Walsh", "Jo Khan"], escalateTo: ["owner", "board"],
                           source: SourceLocation(file: "plan.csv", line: 12, column: 3),
                           values: [("due", .date(day)), ("none", .null), ("n", .int(-4)), ("x", .double(2.5)), ("list", .list([])),
                                    ("map", .map(nested)), ("ok", .bool(true))],
                           priority: 450_123, fingerprint: "0123456789abcdef", evaluationError: true,
                           waiver: Waiver(rule: "r-1", ref: "1.*", fingerprint: nil, reason: "agreed", approvedBy: "Board",
                                          expires: day, file: "waivers.yaml", line: 4),
                           history: FindingHistory(firstSeen: day, runs: 3),
                           escalation: EscalationLevel(id: "board", name: "SEND Board", recipients: ["Chair"]))
        let empty = Finding(rule: "r-2", title: "t", severity: .info, statutory: false, ref: "line 3", message: "", owners: [],
                            escalateTo: [], source: SourceLocation(file: "p.yaml", line: 3), values: [], priority: 0,
                            fingerprint: "f", evaluationError: false,
                            escalation: EscalationLevel(id: "owner", name: "Owner", recipients: []))
        let bare = Finding(rule: "r-3", title: "t", severity: .warning, statutory: false, ref: "2", message: "m", owners: ["A"],
                           escalateTo: ["owner"], source: SourceLocation(file: "p.yaml", line: 9), values: [("s", .string("v"))],
                           priority: 7, fingerprint: "g", evaluationError: false)
        for f in [full, empty, bare] {
            let (fast, tree) = Self.bytes(f)
            #expect(fast == tree)
        }
    }

    /// `ByteBuffer` finds what to escape eight bytes at a time: each special byte, at every
    /// offset of strings of every length up to 40, must come out as the byte-by-byte rules say.
    @Test func quotingEscapesAtEveryOffset() {
        func reference(_ bytes: [UInt8]) -> String {
            var out = "\""
            for b in bytes {
                switch b {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0..<0x20: out += "\\u00" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
                default: out += String(decoding: [b], as: UTF8.self)
                }
            }
            return out + "\""
        }
        for special: UInt8 in [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x22, 0x5C] {
            for length in 1...40 {
                for offset in 0..<length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[offset] = special
                    var out = ByteBuffer(capacity: 0)
                    bytes.withUnsafeBufferPointer { out.appendQuoted($0) }
                    #expect(String(decoding: out.bytes, as: UTF8.self) == reference(bytes), "\(special) at \(offset) of \(length)")
                }
            }
        }
        // Bytes just outside the special ranges, and UTF-8, pass through untouched.
        for text in ["abcdefgh !#[]^~", "é—ü 20 weeks", String(repeating: "\u{7F}\u{20}\u{21}\u{5B}\u{5D}", count: 5)] {
            var out = ByteBuffer(capacity: 0)
            out.appendQuoted(text)
            #expect(String(decoding: out.bytes, as: UTF8.self) == "\"" + text + "\"")
        }
    }

    /// Dates are written digit by digit: as their description, quoted, in every century (and
    /// past year 9999, through the description itself).
    @Test func datesAreQuotedAsTheirDescription() {
        let start = Day(year: 1, month: 1, day: 1)!.number, end = Day(year: 10_050, month: 12, day: 31)!.number
        for number in stride(from: start, through: end, by: 61) + [start, end, Day(year: 2024, month: 2, day: 29)!.number] {
            let day = Day(number: number)
            var out = ByteBuffer(capacity: 0)
            out.appendQuoted(day)
            #expect(String(decoding: out.bytes, as: UTF8.self) == "\"\(day.description)\"", "\(day)")
        }
    }

    /// Message holes are appended as `Template.display` shows their values (numbers without
    /// making a String first).
    @Test func messageHolesShowWhatDisplayShows() throws {
        var env = Environment()
        env.declare("n", .int)
        env.declare("s", .string)
        env.declare("d", .date)
        let template = try Template("{n}|{s}|{d}|{[s, s]}|{n == 0}|{{n}}", in: env)
        let today = Day(year: 2025, month: 3, day: 31)!
        for n: Int64 in [0, 7, 10, 99, 100, 123_456_789, .max, -1, .min] {
            let rendered = template.render(Activation(values: [.int(n), .string("x y"), .date(today)], today: today))
            #expect(rendered == "\(n)|x y|2025-03-31|x y, x y|\(n == 0)|{n}")
        }
    }

    /// CSV cells: RFC 4180 quoting wherever a comma, quote, CR or LF appears (a CRLF pair
    /// included, which as one Character equals neither), and formulas defused.
    @Test func csvCellsAreQuotedWhereverTheyMustBe() {
        #expect(CSVReport.cell("plain text") == "plain text")
        #expect(CSVReport.cell("a, b") == "\"a, b\"")
        #expect(CSVReport.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVReport.cell("line\nbreak") == "\"line\nbreak\"")
        // A CRLF line break is kept as one line break (plan text is shown without its control characters).
        #expect(CSVReport.cell("windows\r\nline") == "\"windows\nline\"")
        #expect(CSVReport.cell("=1+1") == "'=1+1")
        #expect(CSVReport.cell("-2, or so") == "\"'-2, or so\"")
        #expect(CSVReport.cell("=\u{301}x") == "=\u{301}x")       // not a formula: its first character is no "="
        #expect(CSVReport.cell("") == "")
    }

    /// Text, CSV and Markdown reports render findings in blocks on every core: across block boundaries
    /// every finding comes out once, in order, in each severity group.
    @Test func reportsRenderedInBlocksKeepEveryFindingInOrder() {
        let day = Day(year: 2025, month: 3, day: 31)!
        let findings = (0..<1000).map { i in
            Finding(rule: "r", title: "t", severity: i < 600 ? .error : .warning, statutory: false, ref: "R\(i)", message: "m\(i)",
                    owners: ["o\(i % 7)"], escalateTo: [], source: SourceLocation(file: "p.csv", line: i + 2), values: [],
                    priority: 0, fingerprint: "f\(i)", evaluationError: false)
        }
        let result = CheckResult(asOf: day, ruleSet: "s", ruleSetVersion: "1", planFile: "p.csv", planName: nil, records: 1000,
                                 findings: findings, stats: [], severityCounts: [.error: 600, .warning: 400], baseline: nil)
        let text = TextReport.render(result, color: false).split(separator: "\n").map(String.init)
        #expect(text.filter { $0.hasPrefix("      m") } == (0..<1000).map { "      m\($0)" })
        #expect(text.contains("ERROR (600)") && text.contains("WARNING (400)"))
        #expect(text.firstIndex(of: "WARNING (400)")! == text.firstIndex(of: "      m599")! + 2)
        let csv = CSVReport.render(result).split(separator: "\r\n")
        #expect(csv.count == 1001)
        #expect(csv.dropFirst().map { String($0.split(separator: ",")[2]) } == (0..<1000).map { "R\($0)" })
        let rows = MarkdownReport.render(result).split(separator: "\n").filter { $0.hasPrefix("| error |") || $0.hasPrefix("| warning |") }
        #expect(rows.map { String($0.split(separator: "|")[1]) } == (0..<1000).map { " R\($0) " })
        #expect(CSVReport.cell("a|b") == "a|b" && MarkdownReport.cell("a|b\nc") == "a\\|b<br>c" && MarkdownReport.cell("plain") == "plain")
    }

    /// A table's rows are checked in batches and their findings written from their cells (see
    /// `RowCells.swift`); read whole, the same plan's records are checked and written from their
    /// values. Every report must come out the same, byte for byte, whichever way it was read:
    /// text that JSON escapes, non-ASCII, empty owners, dates that are not dates, and messages
    /// with holes of both kinds included.
    @Test func tableRowsWriteTheReportsTheirRecordsWrite() throws {
        let header = "case_id,team,case_officer,phase,request_date,decision_to_assess_date,decision,decision_not_to_issue_date,"
            + "advice_requested_date,advice_received_date,draft_issued_date,final_issued_date,exception,last_review_date,"
            + "review_meeting_date,review_report_date,review_decision_date,amendment_notice_date,amended_final_date,phase_transfer,"
            + "phase_transfer_final_date,status"
        let rows = [
            "C1,North,Zoë O\\Brien,primary,2025-01-02,,pending,,2025-01-10,,,,,,,,,,,no,,open",
            "C2,North,,secondary,2024-09-01,2024-09-20,assess,,2024-09-25,2024-12-01,2025-01-20,,,,,,,,,yes,,open",
            "C3,South,Sam Walsh,secondary,2024-02-30,TBC,pending,,,,,,,,,,,,,no,,open",
            "C4,South,Sam Walsh,primary,2023-01-05,2023-02-01,assess,,,,2023-04-01,2023-05-20,,2024-01-10,2025-01-15,,,2025-01-20,,yes,,open",
            "C5,East,Priya Khan (acting),primary,2024-06-01,2024-07-01,assess,,,,2024-08-01,2024-05-01,,,,,,,,no,,open",
            "C6,West,Jo Khan,,2024-05-01,2024-06-01,assess,,,,,,,,,,,,,yes,,open",     // no phase: "none" in its message
        ]
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("stocktake-cells-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("cases.csv").path
        // Many copies, so that the table is read in batches (a few rows are read as records anyway).
        let body = (0..<300).flatMap { copy in rows.map { $0.replacingOccurrences(of: "C", with: "C\(copy)-", options: .anchored) } }
        try ([header] + body).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let rulesPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("rules/send-statutory.yaml").path
        let ruleSet = try RuleSetLoader.load(paths: [rulesPath])
        let asOf = Day(year: 2025, month: 3, day: 31)!
        func result(streamFrom: Int) throws -> CheckResult {
            let loader = PlanLoader(schema: ruleSet.collections["cases"]!)
            let (result, _, _) = try Runner.check(path: path, format: nil, loader: loader, ruleSet: ruleSet, collection: "cases",
                                                  asOf: asOf, countOnly: false, workers: 2, streamFrom: streamFrom)
            return result.escalated(ruleSet.ladder, directory: loader.reader.owners)
        }
        let batched = try result(streamFrom: 0), whole = try result(streamFrom: .max)
        let scratch = DetailsScratch()
        let fromCells = batched.findings.filter { $0.details(into: scratch); return scratch.cellValues != nil }.count
        #expect(fromCells > batched.findings.count / 2, "most findings are written from their cells")
        #expect(whole.findings.allSatisfy { $0.details(into: scratch); return scratch.cellValues == nil })
        #expect(batched.findings.count == whole.findings.count && batched.findings.count > 2000)
        #expect(JSONReport.render(batched, toolVersion: "test") == JSONReport.render(whole, toolVersion: "test"))
        #expect(TextReport.render(batched, color: false) == TextReport.render(whole, color: false))
        #expect(CSVReport.render(batched) == CSVReport.render(whole))
        #expect(MarkdownReport.render(batched) == MarkdownReport.render(whole))
        let json = JSONReport.render(batched, toolVersion: "test")
        #expect(json.contains(#""owners":["Zoë O\\Brien"]"#) && json.contains(#""owners":[]"#))
        #expect(json.contains("plan for the none phase transfer not amended by 2025-02-15"))
    }
}
