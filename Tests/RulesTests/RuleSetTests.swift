import Foundation
import Testing
@testable import Expressions
@testable import PlanData
@testable import Rules

func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stocktake-rules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

func write(_ text: String, _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// The repository's root, from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct ShippedRulePackTests {
    @Test func sendPlanLoadsAndItsExamplesPass() throws {
        let set = try RuleSetLoader.load(paths: [repositoryRoot.appendingPathComponent("rules/send-plan.yaml").path])
        #expect(set.rules.count >= 7)
        #expect(set.statuses.state(of: "Confirmed complete") == "complete")
        let outcome = ExampleRunner.run(set)
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.passed >= 14)
    }
}

@Suite struct RuleSetLoaderTests {
    @Test func everyProblemIsReportedWithItsPosition() throws {
        let dir = try temporaryDirectory()
        let path = try write("""
        ruleset: bad
        rulez: []
        rules:
          - id: Bad_Id
            title: T
            when: due != null && day_between(due, today) > 3
            severity: errror
            message: "{ref} {nope}"
          - id: no-title
            when: "due < 3"
            message: ok
        """, "bad.yaml", in: dir)
        do {
            _ = try RuleSetLoader.load(paths: [path])
            Issue.record("expected errors")
        } catch {
            let lines = error.diagnostics.map { "\($0.line):\($0.column): \($0.message)" }
            #expect(lines == [
                "2:1: unknown key 'rulez' (did you mean 'rules'?)",
                "4:9: rule id 'Bad_Id' must be lower-case letters, digits and '-'",
                "6:26: unknown function 'day_between' (did you mean 'days_between'?)",
                "7:15: severity 'errror' is not one of off, info, warning, error, critical (did you mean 'error'?)",
                "8:22: unknown name 'nope'",
                "9:5: rule 'no-title' is missing 'title'",
                "10:16: '<' cannot be applied to date and int",
            ])
            #expect(error.diagnostics.allSatisfy { $0.file == path })
        }
    }

    /// A vocabulary kept as a parameter (the statutory pack's reasons that excuse the 20-week limit):
    /// rules test membership of its keys and read each key's meaning; a folded `when` reports its
    /// errors on the line and column where they are written.
    @Test func parametersHoldListsAndMappingsOfValues() throws {
        let dir = try temporaryDirectory()
        let path = try write("""
        ruleset: vocab
        parameters:
          reasons: {holiday: "school closed", away: "away from the area"}
          limits: [42, 140]
        rules:
          - id: excused
            title: Excused
            when: >-
              !is_blank(status) &&
              status in params.reasons && params.limits[1] == 140
            message: "{ref}: {params.reasons[status]}; known: {params.reasons.map(k, k).join(', ')}"
            examples:
              - {record: {ref: "1", status: holiday}, as-of: 2024-07-01, expect: {level: error,
                 message: "1: school closed; known: holiday, away"}}
              - {record: {ref: "1", status: sickness}, as-of: 2024-07-01, expect: none}
        """, "vocab.yaml", in: dir)
        let set = try RuleSetLoader.load(paths: [path])
        let outcome = ExampleRunner.run(set)
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.passed == 2)

        let bad = try write("""
        ruleset: bad
        parameters:
          nested: {a: [1, 2]}
        rules:
          - id: folded
            title: Folded
            when: >-
              due != null &&
              day_between(due, today) > 3
            message: x
        """, "bad.yaml", in: dir)
        do {
            _ = try RuleSetLoader.load(paths: [bad])
            Issue.record("expected errors")
        } catch {
            let lines = error.diagnostics.map { "\($0.line):\($0.column): \($0.message)" }
            #expect(lines.contains { $0.hasPrefix("3:11: parameter 'nested' must be") }, "\(lines)")
            #expect(lines.contains("9:7: unknown function 'day_between' (did you mean 'days_between'?)"), "\(lines)")
        }
    }

    /// The key table drives validation: a rule lacking any key it marks required is refused,
    /// and a key it does not list (`tags` was once accepted and dropped) is refused by name.
    @Test func theRuleKeyTableDrivesValidation() throws {
        let dir = try temporaryDirectory()
        let full = ["id": "one", "title": "One", "when": "true", "message": "m"]
        let required = RuleKey.all.filter(\.required).map(\.name)
        #expect(Set(required) == Set(full.keys))
        for key in required where key != "id" {
            let pairs = full.filter { $0.key != key }.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }
            let path = try write("ruleset: r\nrules:\n  - {\(pairs.joined(separator: ", "))}\n", "\(key).yaml", in: dir)
            #expect(throws: RuleSetError.self) { try RuleSetLoader.load(paths: [path]) }
            do { _ = try RuleSetLoader.load(paths: [path]) } catch {
                #expect(error.diagnostics.map(\.message) == ["rule 'one' is missing '\(key)'"])
            }
        }
        let tagged = try write("""
        ruleset: r
        rules:
          - {id: one, title: One, when: "true", message: m, tags: [a]}
        """, "tags.yaml", in: dir)
        do {
            _ = try RuleSetLoader.load(paths: [tagged])
            Issue.record("a rule with tags loaded")
        } catch {
            #expect(error.diagnostics.map { "\($0.line):\($0.column): \($0.message)" } == ["3:53: unknown key 'tags'"])
        }
    }

    @Test func extendsOverridesRulesById() throws {
        let dir = try temporaryDirectory()
        _ = try write("""
        ruleset: base
        statuses: {complete: [Done]}
        rules:
          - {id: one, title: One, when: "true", message: one, severity: error}
          - {id: two, title: Two, when: "true", message: two}
        """, "base.yaml", in: dir)
        let top = try write("""
        ruleset: local
        extends: [base.yaml]
        rules:
          - {id: one, title: One (local), when: "is_complete(status)", message: replaced, severity: warning}
        """, "local.yaml", in: dir)
        let set = try RuleSetLoader.load(paths: [top])
        #expect(set.name == "local")
        #expect(set.rules.map(\.id) == ["one", "two"])
        #expect(set.rules[0].title == "One (local)")
        #expect(set.rules[0].maxLevel == .warning)
    }

    @Test func extendsCyclesAndMissingFilesAreErrors() throws {
        let dir = try temporaryDirectory()
        let a = try write("ruleset: a\nextends: [b.yaml, missing.yaml]\nrules: []\n", "a.yaml", in: dir)
        _ = try write("ruleset: b\nextends: [a.yaml]\nrules: []\n", "b.yaml", in: dir)
        do {
            _ = try RuleSetLoader.load(paths: [a])
            Issue.record("expected errors")
        } catch {
            let messages = error.diagnostics.map(\.message)
            #expect(messages.contains { $0.contains("cycle") })
            #expect(messages.contains { $0.contains("cannot extend") && $0.contains("no such file") })
        }
    }

    @Test func collectionsDeclareTypedFields() throws {
        let dir = try temporaryDirectory()
        let path = try write("""
        ruleset: cases
        collections:
          cases:
            key: case_id
            owner: case_officer
            fields: {case_id: string, case_officer: string, request_date: date, final_issued_date: date}
        rules:
          - id: final-plan-late
            title: Final plan later than 20 weeks
            applies-to: cases
            when: final_issued_date != null && days_between(request_date, final_issued_date) > 140
            message: "{case_id} took {weeks_between(request_date, final_issued_date)} weeks"
            statutory: true
            examples:
              - {record: {case_id: C1, request_date: 2024-01-01, final_issued_date: 2024-06-30}, as-of: 2024-07-01, expect: {level: error, message: C1 took 25 weeks}}
              - {record: {case_id: C2, request_date: 2024-01-01, final_issued_date: 2024-03-01}, as-of: 2024-07-01, expect: none}
        """, "cases.yaml", in: dir)
        let set = try RuleSetLoader.load(paths: [path])
        #expect(set.collections["cases"]?.slot(of: "request_date_text") != nil)
        #expect(ExampleRunner.run(set).failures.isEmpty)
    }
}

@Suite struct CollectionColumnsTests {
    @Test func ruleSetColumnsMapHeadingsAndAreChecked() throws {
        let dir = try temporaryDirectory()
        let good = try write("ruleset: c\ncollections:\n  actions:\n    columns: {Who: owners}\nrules: []\n", "good.yaml", in: dir)
        let set = try RuleSetLoader.load(paths: [good])
        #expect(set.collections["actions"]?.columns == ["who": "owners"])
        let plan = try write("Ref,Action,Who\n1,Do,Amber\n", "p.csv", in: dir)
        let loaded = try PlanLoader(schema: set.collections["actions"]!).load(path: plan)
        #expect(loaded.tally.unmappedColumns.isEmpty)
        let bad = try write("ruleset: c\ncollections:\n  actions:\n    columns: {Who: ownr}\nrules: []\n", "bad.yaml", in: dir)
        #expect { try RuleSetLoader.load(paths: [bad]) } throws: {
            ($0 as? RuleSetError)?.diagnostics.map(\.description) == ["\(bad):4:20: error: 'ownr' is not a field of 'actions' (did you mean 'owners'?)"]
        }
    }
}

@Suite struct EngineTests {
    func check(_ plan: String, rules: String) throws -> CheckResult {
        let dir = try temporaryDirectory()
        let set = try RuleSetLoader.load(paths: [try write(rules, "rules.yaml", in: dir)])
        var engine = Engine(ruleSet: set, collection: "actions", asOf: Day(iso: "2024-07-01")!)
        let path = try write(plan, "plan.yaml", in: dir)
        let loaded = try PlanLoader(schema: engine.schema).read(path: path) { engine.check($0) }
        return engine.result(planFile: loaded.file, planName: loaded.name)
    }

    let rules = """
    ruleset: t
    rules:
      - id: overdue
        title: Overdue
        when: due != null && due < today
        severity:
          - {when: days_overdue(due) > 60, level: critical}
          - {level: error}
        priority: days_overdue(due)
        message: "{ref} overdue by {days_overdue(due)}"
      - id: size-of-action
        title: Long action text
        when: size(action) > 10
        severity: info
        message: "{ref} is wordy"
    """

    @Test func findingsAreOrderedBySeverityPriorityThenRef() throws {
        let result = try check("""
        actions:
          - {ref: "1.10", due: 2024-06-01, action: short}
          - {ref: "1.2", due: 2024-06-01, action: short}
          - {ref: "1.3", due: 2024-06-20, action: short}
          - {ref: "1.1", due: 2024-01-01, action: short}
        """, rules: rules)
        #expect(result.findings.map(\.ref) == ["1.1", "1.2", "1.10", "1.3"])
        #expect(result.findings.map(\.severity) == [.critical, .error, .error, .error])
        #expect(result.findings[0].values.map(\.name) == ["due"])
        #expect(result.stats.first { $0.rule == "overdue" }?.flagged == 4)
    }

    @Test func evaluationErrorsAreFindingsNotSilentFalse() throws {
        let result = try check("actions:\n  - {ref: A}\n", rules: rules)
        let f = try #require(result.findings.first { $0.rule == "size-of-action" })
        #expect(f.evaluationError)
        #expect(f.severity == .error)
        #expect(f.message.contains("no such overload: size(null_type)"))
    }

    @Test func fingerprintsIgnoreLineNumbers() throws {
        let a = try check("actions:\n  - {ref: X, due: 2024-01-01}\n", rules: rules)
        let b = try check("# moved\n\nactions:\n  - {ref: Z, due: 2024-02-01}\n  - {ref: X, due: 2024-01-01}\n", rules: rules)
        let fa = a.findings.first { $0.ref == "X" }!.fingerprint
        let fb = b.findings.first { $0.ref == "X" }!.fingerprint
        #expect(fa == fb)
        #expect(fa.count == 16)
    }

    @Test func naturalRefOrder() {
        #expect(["1.10", "1.2", "10.1", "2.9", "1.1a", "1.1"].sorted(by: naturalLess) == ["1.1", "1.1a", "1.2", "1.10", "2.9", "10.1"])
    }

    /// The sort takes `naturalKey` order wherever two refs have keys that differ: it must never
    /// disagree with `naturalLess`, on refs built to probe every boundary of the key's shape.
    @Test func naturalKeysOrderAsNaturalLessDoes() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["", "C", "c", "A-", "AB", "ABCD", "ABCDE", "-", " ", "~", "/", "é", "0", "00", "007", "7", "9", "10", "42",
                      "4294967295", "4294967296", "0000000001", "1.2", "x"]
        func ref() -> String { (0..<Int.random(in: 1...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() }
        func key(_ s: String) -> UInt64? { Array(s.utf8).withUnsafeBufferPointer(naturalKey) }
        var keyed = 0
        for _ in 0..<20_000 {
            let a = ref(), b = ref()
            guard let ka = key(a), let kb = key(b) else { continue }
            keyed += 1
            if ka < kb { #expect(naturalLess(a, b), "\(a) < \(b) by key") }
            if ka == kb { #expect(!naturalLess(a, b) && !naturalLess(b, a), "\(a) ~ \(b) by key") }
        }
        #expect(keyed > 1_000)
        #expect(key("C0000123") != nil && key("7") != nil)
        #expect(key("ABCDE1") == nil && key("C1a") == nil && key("C") == nil && key("1.10") == nil && key("4294967296") == nil)
    }
}
