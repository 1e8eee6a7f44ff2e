import Foundation
import Testing

/// Escalations a board can trust: every finding the shipped plan pack makes on a real plan has
/// been read against its source row and judged true or false (Tests/Fixtures/judgements/). The
/// precision is worked out again from the current output, so a change that adds a finding
/// nobody judged, or turns a judged one false, fails here.
@Suite struct JudgementTests {
    struct Plan: Sendable, CustomStringConvertible {
        var path: String
        var asOf: String
        var judgements: String
        var description: String { path }
    }

    static let plans = [
        Plan(path: "Tests/Fixtures/plans/oldham-priority-action-plan.tsv", asOf: "2024-07-01",
             judgements: "Tests/Fixtures/judgements/oldham-priority-action-plan.tsv"),
        Plan(path: "Tests/Fixtures/plans/tameside-wsoa-2022.tsv", asOf: "2024-07-01",
             judgements: "Tests/Fixtures/judgements/tameside-wsoa-2022.tsv"),
        // Prepared from the tables of the 2025 plan's document; checked a few weeks after its sign-off date.
        Plan(path: "Tests/Fixtures/plans/tameside-send-improvement-plan-2025.tsv", asOf: "2025-12-01",
             judgements: "Tests/Fixtures/judgements/tameside-send-improvement-plan-2025.tsv"),
    ]

    struct Verdict {
        var holds: Bool
        var line: Int
    }

    /// `rule<TAB>ref` → verdict, from a judgement file (lines starting with `#` are comments).
    static func judgements(_ path: String) throws -> [String: Verdict] {
        let text = try String(contentsOf: CLI.root.appendingPathComponent(path), encoding: .utf8)
        var out: [String: Verdict] = [:]
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#") || line.hasPrefix("rule\t") || line.isEmpty { continue }
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            #expect(cells.count == 5, "\(path):\(n + 1): needs rule, ref, verdict, source, reason")
            guard cells.count >= 3 else { continue }
            #expect(cells[2] == "true" || cells[2] == "false", "\(path):\(n + 1): verdict must be true or false")
            #expect(cells.count < 5 || !cells[3].isEmpty && !cells[4].isEmpty, "\(path):\(n + 1): say which source decides it, and why")
            let key = cells[0] + "\t" + cells[1]
            #expect(out[key] == nil, "\(path):\(n + 1): \(cells[0]) \(cells[1]) judged twice")
            out[key] = Verdict(holds: cells[2] == "true", line: n + 1)
        }
        return out
    }

    @Test(arguments: plans)
    func everyFindingIsJudgedAndTheBoardCanTrustThem(_ plan: Plan) throws {
        let r = try CLI.run(["check", plan.path, "--rules", "rules/send-plan.yaml", "--as-of", plan.asOf, "--format", "json",
                             "--fail-on", "never"])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        let judged = try Self.judgements(plan.judgements)
        var seen: Set<String> = []
        var holding = 0, critical = 0, criticalHolding = 0
        for f in findings {
            let rule = f["rule"] as? String ?? "", ref = f["ref"] as? String ?? ""
            let key = rule + "\t" + ref
            seen.insert(key)
            guard let verdict = judged[key] else {
                Issue.record("\(plan.judgements): not judged: \(rule) \(ref): \(f["message"] as? String ?? "")")
                continue
            }
            if verdict.holds { holding += 1 }
            if f["severity"] as? String == "critical" {
                critical += 1
                if verdict.holds { criticalHolding += 1 }
            }
        }
        for (key, verdict) in judged where !seen.contains(key) {
            Issue.record("\(plan.judgements):\(verdict.line): judged but no longer found: \(key.replacingOccurrences(of: "\t", with: " "))")
        }
        let precision = findings.isEmpty ? 1 : Double(holding) / Double(findings.count)
        print("\(plan.path): \(holding) of \(findings.count) findings true (precision \(String(format: "%.1f", precision * 100))%), "
              + "critical \(criticalHolding) of \(critical)")
        #expect(precision >= 0.95, "precision \(holding)/\(findings.count)")
        #expect(criticalHolding == critical, "every critical finding must be true: \(criticalHolding)/\(critical)")
        // No rule fires on (nearly) every record: that is a fact about the plan, not its records.
        let summary = try #require(doc["summary"] as? [String: Any])
        let records = try #require(summary["records"] as? Int)
        for (rule, count) in try #require(summary["by_rule"] as? [String: Int]) {
            #expect(Double(count) <= 0.9 * Double(records), "\(rule) fires on \(count) of \(records) records")
        }
    }
}
