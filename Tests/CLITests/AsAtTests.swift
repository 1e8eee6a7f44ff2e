import Foundation
import Testing

/// A plan's ratings are only as fresh as the date it says they are as at: actions that fell due
/// after that date carry stale ratings (not contradictions), and the board is told once how many.
@Suite struct AsAtTests {
    static let plan = "Tests/Fixtures/made/phrase-rated-as-at.csv"

    func check(_ path: String, asOf: String) throws -> (doc: [String: Any], findings: [(String, String, String, String)]) {
        let r = try CLI.run(["check", path, "--rules", "rules/send-plan.yaml", "--as-of", asOf, "--format", "json",
                             "--fail-on", "never"])
        #expect(r.code == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]]).map {
            ($0["severity"] as! String, $0["rule"] as! String, $0["ref"] as! String, $0["message"] as! String)
        }
        return (doc, findings)
    }

    @Test func staleRatingsAreToldApartFromContradictions() throws {
        let (doc, findings) = try check(Self.plan, asOf: "2024-07-01")
        #expect((doc["plan"] as? [String: Any])?["as_at"] as? String == "2024-03-01")
        #expect((doc["notes"] as? [String])?.last
                == "ratings as at 2024-03-01 (\(Self.plan):2: \"RAG ratings accurate as at 1 March 2024\")")
        // Within a severity: the plan's own Delayed rating first, then days overdue.
        #expect(findings.map { "\($0.0) \($0.1) \($0.2)" } == [
            "critical overdue-action 1.3", "critical overdue-action 2.2", "critical overdue-action 2.4",
            "error at-risk-without-mitigation 1.3", "error overdue-action 1.2", "error overdue-action 2.1",
            "error unallocated-owner 2.4",
            "warning plan-missing-column (plan)", "warning plan-missing-column (plan)", "warning plan-ratings-stale (plan)",
            "warning complete-without-evidence 1.4",
        ])
        func message(_ rule: String, _ ref: String) -> String? { findings.first { $0.1 == rule && $0.2 == ref }?.3 }
        // Due after the ratings were given: stale. Due before them: the rating contradicts the date.
        #expect(message("overdue-action", "1.2") == "1.2 was due 2024-04-30 and is not recorded as complete (62 days "
                + "overdue); also is rated \"On track\" as at 2024-03-01, before it fell due: the rating is stale")
        #expect(message("overdue-action", "2.2") == "2.2 was due 2023-11-30 and is not recorded as complete (214 days "
                + "overdue); also is rated \"On track\"")
        #expect(message("plan-ratings-stale", "(plan)") == "the plan's ratings are as at 2024-03-01, 122 days before the "
                + "check date: 3 open actions have passed their due date since, so their ratings say nothing of them now")
        // Complete, impact still to evidence: never overdue; a plan with no evidence column flags no other completion.
        #expect(message("complete-without-evidence", "1.4")
                == "1.4 is complete (Complete but need to evidence impact) but its impact is still to evidence")
        #expect(!findings.contains { $0.2 == "1.1" })
    }

    @Test func ratingsGivenAfterTheCheckDateAreSaidToBe() throws {
        let (doc, findings) = try check(Self.plan, asOf: "2024-02-15")
        #expect((doc["notes"] as? [String])?.last?.hasSuffix(
            "; after the check date, so they may tell what was not yet known then") == true)
        #expect(!findings.contains { $0.1 == "plan-ratings-stale" || $0.1 == "rating-stale" })
    }

    @Test func aYAMLPlanStatesItsDateWithAKey() throws {
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent("plan.yaml").path
        try """
            as-at: 2024-03-01
            actions:
              - {ref: "1.2", action: Train SENCOs, owners: [Head of SEND], due: April 2024, status: On track}
              - {ref: "1.3", action: Launch the hub, owners: [Head of SEND], due: Dec-23, status: On track,
                 rated_on: 2024-01-05}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let (_, findings) = try check(path, asOf: "2024-07-01")
        let overdue = findings.filter { $0.1 == "overdue-action" }.map(\.3)
        #expect(overdue.count == 2)
        #expect(overdue.contains { $0.hasPrefix("1.2 ") && $0.hasSuffix("as at 2024-03-01, before it fell due: the rating is stale") })
        // A record's own rating date wins over the plan's.
        #expect(overdue.contains { $0.hasPrefix("1.3 ") && $0.hasSuffix("also is rated \"On track\"") })
        #expect(findings.contains { $0.1 == "plan-ratings-stale" && $0.3.hasPrefix("the plan's ratings are dated 2024-01-05 to 2024-03-01") })
    }

    @Test func anAsAtThatIsNoDateIsAPlanError() throws {
        let dir = try CLI.temporaryDirectory()
        let path = dir.appendingPathComponent("plan.yaml").path
        try "as-at: last spring\nactions:\n  - {ref: \"1.1\", status: On track}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", path, "--rules", "rules/send-plan.yaml", "--as-of", "2024-07-01"])
        #expect(r.code == 4)
        #expect(r.stderr == "\(path):1:8: error: 'as-at' must be a date (YYYY-MM-DD), the day the ratings are as at\n")
    }
}
