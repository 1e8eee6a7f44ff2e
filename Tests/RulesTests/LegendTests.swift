import Foundation
import Testing
@testable import Expressions
@testable import PlanData
@testable import Rules

@Suite struct StatusPropertyTests {
    @Test func statesCarryTheirMeaning() throws {
        var vocab = StatusVocabulary()
        try vocab.add(state: "complete-unevidenced", words: ["Complete but need to evidence impact"])
        try vocab.add(state: "at-risk", words: ["Delayed"])
        #expect(vocab.has("complete but need to evidence impact", "complete"))
        #expect(vocab.has("Complete but need to evidence impact", "needs-evidence"))
        #expect(!vocab.has("Delayed", "complete"))
        #expect(vocab.has("Delayed", "at-risk"))
        #expect(!vocab.has("Purple", "complete"))
        // A state no table knows means only itself.
        try vocab.add(state: "closure-recommended", words: ["Recommendation to close"])
        #expect(vocab.has("Recommendation to close", "closure-recommended"))
        #expect(!vocab.has("Recommendation to close", "complete"))
        // Declared properties replace the built-in meaning.
        vocab.declare(state: "embedded", properties: ["complete"])
        try vocab.add(state: "embedded", words: ["Blue"])
        #expect(vocab.has("blue", "complete"))
    }

    @Test func aLaterSourceReMapsAWordTheSameSourceMayNot() throws {
        var vocab = StatusVocabulary()
        try vocab.add(state: "on-track", words: ["Amber"], source: "base.yaml")
        try vocab.add(state: "vulnerable", words: ["amber"], source: "mine.yaml")
        #expect(vocab.state(of: "Amber") == "vulnerable")
        #expect(vocab.states["on-track"] == [])
        #expect(throws: StatusVocabulary.StatusConflict.self) {
            try vocab.add(state: "at-risk", words: ["AMBER"], source: "mine.yaml")
        }
    }

    @Test func isCompleteAndStatusIsReadProperties() throws {
        var vocab = StatusVocabulary()
        try vocab.add(state: "complete-unevidenced", words: ["Amber E"])
        var env = Environment(statuses: vocab)
        env.declare("status", .string)
        let complete = try Compiler.compile("is_complete(status) && status_is(status, 'needs-evidence')", in: env)
        let a = Activation(values: [.string("amber e")], today: Day(iso: "2024-07-01")!)
        guard case .bool(let b) = try complete.evaluate(a) else { Issue.record("not a bool"); return }
        #expect(b)
    }
}

@Suite struct LegendTests {
    @Test func shippedLegendsAreTheFilesInRulesStatuses() throws {
        for legend in Legend.shipped {
            let file = repositoryRoot.appendingPathComponent("rules").appendingPathComponent(legend.path)
            let text = try String(contentsOf: file, encoding: .utf8)
            let builtIn = String(decoding: legend.data ?? [], as: UTF8.self)
            #expect(builtIn == text, "\(legend.path) differs from the copy built in (Sources/Rules/Legends.swift)")
            #expect(text.contains("legend: \(legend.name)\n"))
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("rules/statuses").path)
        #expect(Set(names) == Set(Legend.shipped.map { URL(fileURLWithPath: $0.path).lastPathComponent }))
    }

    @Test func theLegendThatKnowsMostRatingsIsChosen() {
        let extra = StatusVocabulary()
        let phrases = ["Not yet started; no risk anticipated": 20, "On track": 80, "Complete but need to evidence impact": 12,
                       "Complete": 40, "Delayed": 3]
        #expect(Legend.choose(for: phrases, extra: extra).legend.name == "phrases")
        #expect(Legend.choose(for: phrases, extra: extra).covered == 155)
        #expect(Legend.choose(for: ["On track": 5, "Vulnerable": 2, "At risk": 1], extra: extra).legend.name == "five-status")
        // Red, Amber and Green alone are RAG (Green on track); with Blue, BRAG (Green complete).
        #expect(Legend.choose(for: ["Red": 1, "Amber": 4, "Green": 9], extra: extra).legend.name == "rag")
        #expect(Legend.choose(for: ["Red": 1, "Amber": 4, "Green": 9, "Blue": 2], extra: extra).legend.name == "brag")
        #expect(Legend.choose(for: [:], extra: extra).description == "five-status (detected; the plan rates no action)")
    }

    @Test func aForcedLegendReplacesThePinnedOneAndFilesMayReMapItsWords() throws {
        let dir = try temporaryDirectory()
        _ = try write("legend: mine\nstatuses:\n  on-track: [\"Amber\"]\n", "mine.yaml", in: dir)
        let path = try write("""
        ruleset: t
        extends: [mine.yaml]
        statuses:
          vulnerable: ["Amber"]
        rules: []
        """, "t.yaml", in: dir)
        let set = try RuleSetLoader.load(paths: [path])
        #expect(set.pinnedLegend == "mine")
        #expect(set.statuses.state(of: "Amber") == "vulnerable")
        let forced = try RuleSetLoader.load(paths: [path], legend: Legend.shipped.first { $0.name == "brag" })
        #expect(forced.pinnedLegend == "brag")
        #expect(forced.statuses.state(of: "Blue") == "complete")
        #expect(forced.statuses.state(of: "Amber") == "vulnerable")
    }

    @Test func needsAndCoveredByAreChecked() throws {
        let dir = try temporaryDirectory()
        let path = try write("""
        ruleset: t
        rules:
          - id: a
            title: A
            when: "true"
            needs: [sucess]
            message: "{ref}"
          - id: c
            title: C
            when: "true"
            covered-by: [b]
            message: "{ref}"
        """, "t.yaml", in: dir)
        #expect(throws: RuleSetError.self) { try RuleSetLoader.load(paths: [path]) }
        do { _ = try RuleSetLoader.load(paths: [path]) } catch {
            let text = error.description
            #expect(text.contains("t.yaml:6:13: error: 'needs' names field 'sucess', which collection 'actions' does not have (did you mean 'success'?)"))
            #expect(text.contains("t.yaml:8:5: error: rule 'c' is covered by 'b', which is not a rule"))
        }
    }
}

@Suite struct PlanLevelFindingTests {
    func check(_ plan: String, rules: String, legend: String? = "five-status", asOf: String = "2024-07-01") throws -> CheckResult {
        let dir = try temporaryDirectory()
        let set = try RuleSetLoader.load(paths: [try write(rules, "rules.yaml", in: dir)],
                                         legend: legend.flatMap { l in Legend.shipped.first { $0.name == l } })
        var engine = Engine(ruleSet: set, collection: "actions", asOf: Day(iso: asOf)!)
        let path = try write(plan, "plan.yaml", in: dir)
        let loaded = try PlanLoader(schema: engine.schema).read(path: path) { engine.check($0) }
        return engine.result(planFile: loaded.file, planName: loaded.name)
    }

    let rules = """
    ruleset: t
    rules:
      - id: no-success
        title: No success criteria
        when: is_blank(success)
        needs: [success]
        severity: warning
        message: "{ref} has no success criteria"
      - id: overdue
        title: Overdue
        when: due != null && due < today && !is_complete(status) && !is_complete(status_inferred)
        message: "{ref} was due {due}"
      - id: rated-on-track-late
        title: On track but late
        when: status_is(status, "on-track") && due != null && due < today
        covered-by: [overdue]
        severity: warning
        message: "{ref} is rated {status} but was due {due}"
    """

    @Test func aColumnNoRecordFillsGivesOneFindingAboutThePlan() throws {
        let result = try check("""
        actions:
          - {ref: "1", status: Complete}
          - {ref: "2", status: Complete}
          - {ref: "3", status: Complete}
        """, rules: rules)
        #expect(result.findings.count == 1)
        let f = try #require(result.findings.first)
        #expect(f.aboutPlan && f.ref == "(plan)" && f.rule == "plan-missing-column")
        #expect(f.message == "the plan has no \"success\" column, or it is blank in every row: 1 rule not applicable (no-success), "
                + "which would otherwise flag 3 records")
        #expect(result.stats.first { $0.rule == "no-success" }?.applicable == false)
        #expect(result.count(.warning) == 1)
    }

    @Test func unknownWordsAreOneFindingWithCountsAndSuggestions() throws {
        let result = try check("""
        actions:
          - {ref: "1", status: On trak, success: x}
          - {ref: "2", status: On trak, success: x}
          - {ref: "3", status: Finished, success: x}
          - {ref: "4", status: Complete, success: x}
        """, rules: rules)
        let plan = result.findings.filter(\.aboutPlan)
        #expect(plan.count == 1)
        #expect(plan.first?.message == "2 status words on 3 records are not in the legend (five-status): "
                + "\"On trak\" (2 records; did you mean \"On track\"?), \"Finished\" (1 record)")
    }

    @Test func aCoveredFindingIsFoldedIntoTheOneCoveringIt() throws {
        let result = try check("""
        actions:
          - {ref: "1", status: On track, due: 2024-05-31, success: x}
          - {ref: "2", status: On track, due: 2024-09-30, success: x}
        """, rules: rules)
        #expect(result.findings.map(\.rule) == ["overdue"])
        #expect(result.findings.first?.message == "1 was due 2024-05-31; also is rated On track")
        #expect(result.stats.first { $0.rule == "rated-on-track-late" }?.flagged == 0)
        #expect(result.findingCount == 1)
    }

    @Test func progressAfterTheCheckDateIsNotKnownOnIt() throws {
        let plan = """
        actions:
          - {ref: "1", due: 2024-01-31, success: x, progress: "Jan24 - AB: started. Aug24 - AB: Confirmed complete"}
        """
        let before = try check(plan, rules: rules)
        #expect(before.findings.map(\.rule) == ["overdue"])
        #expect(before.notes == ["1 progress entry dated after 2024-07-01 (in 1 record) ignored"])
        let after = try check(plan, rules: rules, asOf: "2024-09-01")
        #expect(after.findings.isEmpty)
        #expect(after.notes.isEmpty)
    }

    @Test func thePlansOwnAtRiskRatingOrdersFirstWithinASeverity() throws {
        let result = try check("""
        actions:
          - {ref: "1", status: Not yet started, due: 2024-03-01, success: x}
          - {ref: "2", status: Delayed, due: 2024-06-01, success: x}
        """, rules: rules)
        #expect(result.findings.map(\.ref) == ["2", "1"])
    }
}
