import Foundation
import Testing

/// Waivers, baselines and diff: what a nightly job and a board need between runs.
@Suite struct WaiverAndBaselineTests {
    var oldham: String { get throws { try Fixture.plan("oldham-priority-action-plan.tsv") } }

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
        let base = try ["check", oldham, "--rules", "rules/send-plan.yaml", "--format", "json", "--waivers", path]
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
          - {rule: stale-progress, ref: "1.1", reason: Agreed at board, approved-by: Board, expires: 2024-12-31}
        """.write(toFile: plan, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", plan, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01"])
        #expect(r.code == 0, "\(r.stdout)")
        // rag-inconsistent-with-dates is folded into overdue-action (covered-by): one finding, one waiver.
        #expect(r.stdout.contains("1 waived"))
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
        #expect(counts == ["new": 22, "unchanged": 29, "resolved": 2])
        #expect(summary["findings"] as? Int == 22)
        let same = try CLI.run(["check", oldham, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01", "--baseline", jul])
        #expect(same.code == 0)
        #expect(same.stdout.contains("No findings. since the baseline: 0 new, 51 unchanged, 0 resolved"))
        let diff = try CLI.run(["diff", jan, jul])
        #expect(diff.code == 1)
        #expect(diff.stdout.hasPrefix("\(jan) → \(jul): 22 new, 2 resolved, 11 worsened, 0 improved, 18 unchanged\n"))
        let back = try CLI.run(["diff", jul, jan])
        #expect(back.stdout.hasPrefix("\(jul) → \(jan): 2 new, 22 resolved, 0 worsened, 11 improved, 18 unchanged\n"))
        #expect(back.code == 1)
        let bad = try CLI.run(["diff", jan, "README.md"])
        #expect(bad.code == 4)
        #expect(bad.stderr == "README.md: error: is not JSON; expected a report written by 'stocktake check --format json'\n")
    }
}

@Suite struct LadderTests {
    @Test func findingsClimbAndReachTheDirectorysPeople() throws {
        let dir = try CLI.temporaryDirectory()
        let owners = dir.appendingPathComponent("owners.yaml").path
        try """
        - {name: SEND Improvement Board}
        - {name: Head of SEND, escalates-to: SEND Improvement Board}
        - {name: Sheila Garara, escalates-to: Head of SEND}
        - {name: Bruce Penhale, escalates-to: Head of SEND}
        """.write(toFile: owners, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", "examples/send-improvement-plan.yaml", "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01",
                             "--owners", owners, "--format", "json"])
        let findings = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["findings"] as! [[String: Any]]
        func level(_ rule: String, _ ref: String) -> [String: Any]? {
            findings.first { $0["rule"] as? String == rule && $0["ref"] as? String == ref }?["escalation"] as? [String: Any]
        }
        // Critical: straight to the board (its directory entry).
        #expect(level("overdue-action", "1.10")?["level"] as? String == "board")
        // 31 days overdue, error: stays with the owner.
        #expect(level("overdue-action", "2.4")?["level"] as? String == "owner")
        #expect(level("overdue-action", "2.4")?["recipients"] as? [String] == ["Bruce Penhale"])
        // stale-progress, 92 days overdue, climbs one step to lead: the owner's escalates-to.
        #expect(level("stale-progress", "1.2")?["name"] as? String == "Lead officer or task-and-finish group")
    }

    @Test func ladderErrorsHavePositions() throws {
        let dir = try CLI.temporaryDirectory()
        let rules = dir.appendingPathComponent("r.yaml").path
        try """
        ruleset: r
        escalation:
          levels: [{id: owner}, {id: board}]
          climb:
            - {when: "severty == 'critical'", to: board}
            - {when: "true", to: bord}
        rules:
          - {id: a, title: A, when: "true", message: m, escalate-to: [owner, lead]}
        """.write(toFile: rules, atomically: true, encoding: .utf8)
        let r = try CLI.run(["rules", "validate", rules])
        #expect(r.code == 3)
        #expect(r.stderr == """
        \(rules):5:15: error: unknown name 'severty' (did you mean 'severity'?)
        \(rules):6:26: error: no level 'bord' (did you mean 'board'?)
        \(rules):8:70: error: no escalation level 'lead'

        """)
    }
}
