import Foundation
import Testing

/// Waivers, baselines and diff: what a nightly job and a board need between runs.
@Suite struct WaiverAndBaselineTests {
    let oldham = "../shared/plans/oldham-priority-action-plan.tsv"

    func waivers(_ text: String) throws -> String {
        let path = try CLI.temporaryDirectory().appendingPathComponent("waivers.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func waiversExpireAroundTheAsOfDate() throws {
        let path = try waivers("""
        waivers:
          - {rule: overdue-action, ref: "1.1", reason: Chair appointed, approved-by: Board, expires: 2024-07-01}
        """)
        let base = ["check", oldham, "--rules", "rules/send-plan.yaml", "--format", "json", "--waivers", path]
        func finding(_ asOf: String) throws -> (waived: Bool, expiredReported: Bool) {
            let r = try CLI.run(base + ["--as-of", asOf])
            let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let findings = doc["findings"] as! [[String: Any]]
            let overdue = findings.first { $0["rule"] as? String == "overdue-action" && $0["ref"] as? String == "1.1" }!
            return (!(overdue["waived"] is NSNull), findings.contains { $0["rule"] as? String == "waiver-expired" })
        }
        let onTheDay = try finding("2024-07-01"), dayAfter = try finding("2024-07-02")
        #expect(onTheDay.waived && !onTheDay.expiredReported)
        #expect(!dayAfter.waived && dayAfter.expiredReported)
    }

    @Test func waivedFindingsDoNotCountButStayVisible() throws {
        let path = try waivers("""
        waivers:
          - {rule: overdue-action, ref: "*", reason: Plan under review, approved-by: Board, expires: 2025-01-01}
          - {rule: at-risk-without-mitigation, ref: "*", reason: Mitigations tabled, approved-by: Board, expires: 2025-01-01}
          - {rule: stale-progress, fingerprint: "0000000000000000", reason: Old, approved-by: Board, expires: 2025-01-01}
        """)
        let args = ["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01",
                    "--waivers", path, "--fail-on", "error"]
        let r = try CLI.run(args)
        #expect(r.code == 1)             // rag-inconsistent-with-dates and missing-owner are errors still
        #expect(r.stdout.contains("5 waived (not shown; --show-waived lists them)"))
        #expect(!r.stdout.contains("overdue-action\n"))
        #expect(r.stdout.contains("waiver-unused"))
        let shown = try CLI.run(args + ["--show-waived"])
        #expect(shown.stdout.contains("overdue-action [waived until 2025-01-01 by Board: Plan under review]"))
        let critical = try CLI.run(args.dropLast(2) + ["--fail-on", "critical"])
        #expect(critical.code == 0, "waived criticals do not fail the run")
    }

    @Test func aYAMLPlanMayCarryItsOwnWaivers() throws {
        let dir = try CLI.temporaryDirectory()
        let plan = dir.appendingPathComponent("plan.yaml").path
        try """
        actions:
          - {ref: "1.1", action: Review, owners: [Amber], due: 2024-01-31, status: On track, success: Done}
        waivers:
          - {rule: overdue-action, ref: "1.1", reason: Agreed at board, approved-by: Board, expires: 2024-12-31}
          - {rule: rag-inconsistent-with-dates, ref: "1.1", reason: Agreed at board, approved-by: Board, expires: 2024-12-31}
        """.write(toFile: plan, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01"])
        #expect(r.code == 0, "\(r.stdout)")
        #expect(r.stdout.contains("2 waived"))
    }

    @Test func badWaiversAreRuleSetErrorsWithPositions() throws {
        let path = try waivers("""
        waivers:
          - rule: overdue-acton
            ref: "1.1"
            approved-by: Board
            expires: soon
        """)
        let r = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--waivers", path])
        #expect(r.code == 3)
        #expect(r.stderr == """
        \(path):2:5: error: waiver without 'reason': every waiver says why and who approved it
        \(path):2:11: error: no rule 'overdue-acton' in the rule set (did you mean 'overdue-action'?)
        \(path):5:14: error: waiver needs 'expires: YYYY-MM-DD'

        """)
    }

    @Test func baselineReportsOnlyNewFindingsAndDiffComparesRuns() throws {
        let dir = try CLI.temporaryDirectory()
        let jan = dir.appendingPathComponent("jan.json").path, jul = dir.appendingPathComponent("jul.json").path
        for (asOf, path) in [("2024-01-01", jan), ("2024-07-01", jul)] {
            _ = try CLI.run(["check", oldham, "--rules", "rules/send-plan.yaml", "--as-of", asOf, "--format", "json:\(path)"])
        }
        let r = try CLI.run(["check", oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--baseline", jan, "--format", "json"])
        let summary = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["summary"] as! [String: Any]
        let counts = summary["baseline"] as! [String: Int]
        #expect(counts == ["new": 20, "unchanged": 82, "resolved": 0])
        #expect(summary["findings"] as? Int == 20)
        let same = try CLI.run(["check", oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--baseline", jul])
        #expect(same.code == 0)
        #expect(same.stdout.contains("No findings. since the baseline: 0 new, 102 unchanged, 0 resolved"))
        let diff = try CLI.run(["diff", jan, jul])
        #expect(diff.code == 1)
        #expect(diff.stdout.hasPrefix("\(jan) → \(jul): 20 new, 0 resolved, 12 worsened, 0 improved, 70 unchanged\n"))
        let back = try CLI.run(["diff", jul, jan])
        #expect(back.stdout.hasPrefix("\(jul) → \(jan): 0 new, 20 resolved, 0 worsened, 12 improved, 70 unchanged\n"))
        #expect(back.code == 0)
        let bad = try CLI.run(["diff", jan, "README.md"])
        #expect(bad.code == 4)
        #expect(bad.stderr == "README.md: error: is not JSON; expected a report written by 'stocktake check --format json'\n")
    }
}
