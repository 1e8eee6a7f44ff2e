import Foundation
import Testing
@testable import Expressions

/// Compiles and evaluates with optional typed variables.
func evaluate(_ source: String, _ vars: [(String, CELType, Value)] = [], today: String = "2024-07-01",
              statuses: StatusVocabulary = StatusVocabulary()) throws -> Value {
    var env = Environment(statuses: statuses)
    for (name, type, _) in vars { env.declare(name, type) }
    let program = try Compiler.compile(source, in: env)
    return try program.evaluate(Activation(values: vars.map(\.2), today: Day(iso: today)!))
}

func compileError(_ source: String, _ vars: [(String, CELType)] = []) -> ExpressionError? {
    var env = Environment()
    for (name, type) in vars { env.declare(name, type) }
    do {
        _ = try Compiler.compile(source, in: env)
        return nil
    } catch {
        return error
    }
}

extension Value {
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    var int: Int64? { if case .int(let i) = self { return i }; return nil }
}

@Suite struct EvaluationTests {
    @Test func arithmeticAndComparison() throws {
        #expect(try evaluate("1 + 2 * 3").int == 7)
        #expect(try evaluate("7 / 2").int == 3)
        #expect(try evaluate("-7 % 3").int == -1)
        #expect(try evaluate("1.0 < 2 && 2u > 1").bool == true)
        #expect(try evaluate("'a' + 'b' == 'ab'").bool == true)
        #expect(try evaluate("[1, 2] + [3] == [1, 2, 3]").bool == true)
    }

    @Test func overflowAndDivisionByZeroAreErrors() {
        #expect(throws: EvalError.self) { try evaluate("9223372036854775807 + 1") }
        #expect(throws: EvalError.self) { try evaluate("1 / 0") }
        #expect(throws: EvalError.self) { try evaluate("0u - 1u") }
    }

    @Test func errorsAreAbsorbedByADecisiveSide() throws {
        #expect(try evaluate("1 / 0 > 1 || true").bool == true)
        #expect(try evaluate("false && 1 / 0 > 1").bool == false)
        #expect(throws: EvalError.self) { try evaluate("1 / 0 > 1 && true") }
    }

    @Test func stringsCompareByCodePointsWithoutNormalisation() throws {
        #expect(try evaluate("'Am\\u00E9lie' == 'Ame\\u0301lie'").bool == false)
        #expect(try evaluate("size('πέντε')").int == 5)
        #expect(try evaluate("'Straße'.contains('aß')").bool == true)
    }

    @Test func macros() throws {
        #expect(try evaluate("[1, 2, 3].all(x, x > 0)").bool == true)
        #expect(try evaluate("[1, 2, 3].exists_one(x, x > 2)").bool == true)
        #expect(try evaluate("[1, 2, 3].filter(x, x % 2 == 1).map(x, x * 10) == [10, 30]").bool == true)
        #expect(try evaluate("{'a': 1}.exists(k, k == 'a')").bool == true)
    }

    @Test func variablesResolveToSlots() throws {
        let v = try evaluate("size(owners) == 2 && status != 'Complete'",
                             [("owners", .list(.string), .list([.string("A"), .string("B")])),
                              ("status", .string, .string("On track"))])
        #expect(v.bool == true)
    }

    @Test func timestampsAndDurations() throws {
        #expect(try evaluate("timestamp('2009-02-13T23:31:30Z').getFullYear()").int == 2009)
        #expect(try evaluate("duration('1h30m').getMinutes()").int == 90)
        #expect(try evaluate("string(timestamp('2024-01-01T00:00:00Z') + duration('36h'))") .stringValue == "2024-01-02T12:00:00Z")
    }
}

@Suite struct DomainFunctionTests {
    let due: [(String, CELType, Value)] = [("due", .date, .date(Day(iso: "2024-05-31")!))]

    @Test func dateArithmetic() throws {
        #expect(try evaluate("days_between(date('2024-05-31'), date('2024-07-01'))").int == 31)
        #expect(try evaluate("weeks_between(date('2024-01-01'), date('2024-05-20'))").int == 20)
        #expect(try evaluate("months_between(date('2024-01-31'), date('2024-02-28'))").int == 0)
        #expect(try evaluate("months_between(date('2024-01-31'), date('2024-02-29'))").int == 1)
        #expect(try evaluate("months_between(date('2024-01-31'), date('2024-03-01'))").int == 1)
        #expect(try evaluate("add_months(date('2024-02-29'), 12) == date('2025-02-28')").bool == true)
        #expect(try evaluate("due < today && days_overdue(due) == 31", due).bool == true)
        #expect(try evaluate("days_overdue(date('2024-12-31'))").int == 0)
    }

    @Test func workingDaysSkipWeekendsAndBankHolidays() throws {
        // Thu 28 Mar 2024 → Tue 2 Apr 2024: Good Friday and Easter Monday in between.
        #expect(try evaluate("working_days_between(date('2024-03-28'), date('2024-04-02'))").int == 1)
        #expect(try evaluate("add_working_days(date('2024-03-28'), 1) == date('2024-04-02')").bool == true)
        // The 2022 state funeral and 2023 coronation are holidays.
        #expect(try evaluate("add_working_days(date('2022-09-16'), 1) == date('2022-09-20')").bool == true)
        #expect(try evaluate("add_working_days(date('2023-05-05'), 1) == date('2023-05-09')").bool == true)
        #expect(try evaluate("working_days_between(date('2024-07-05'), date('2024-07-01'))").int == -4)
        #expect(throws: EvalError.self) { try evaluate("working_days_between(date('2014-01-01'), date('2024-01-01'))") }
    }

    @Test func statusVocabulary() throws {
        let vocab = try StatusVocabulary(["complete": ["Complete", "Blue"], "at-risk": ["At risk", "Red"]])
        #expect(try evaluate("is_complete('  blue ')", statuses: vocab).bool == true)
        #expect(try evaluate("status_is('RED', 'at-risk')", statuses: vocab).bool == true)
        #expect(try evaluate("rag('Purple') == null", statuses: vocab).bool == true)
        #expect(throws: StatusVocabulary.StatusConflict.self) {
            try StatusVocabulary(["complete": ["Done"], "at-risk": ["done"]])
        }
    }

    @Test func textFunctions() throws {
        #expect(try evaluate("trim('  TBC ').lower() == 'tbc'").bool == true)
        #expect(try evaluate("matches_any('To be determined', ['^tbc$', 'to be (confirmed|determined)'])").bool == true)
        #expect(try evaluate("split('a;b', ';') == ['a', 'b']").bool == true)
        #expect(try evaluate("['a', 'b', 'c'].join(', ') == 'a, b, c' && [].join('-') == ''").bool == true)
        #expect(try evaluate("{'x': 1, 'y': 2}.map(k, k).join('/') == 'x/y'").bool == true)
        #expect(try evaluate("is_blank('  ') && is_blank(null) && !is_blank('x')").bool == true)
    }
}

@Suite struct CheckerTests {
    @Test func unknownFunctionPointsAtItsColumnWithASuggestion() throws {
        let e = try #require(compileError("due != null && day_between(due, today) > 3", [("due", .date)]))
        #expect(e.position == 15)
        #expect(e.message == "unknown function 'day_between' (did you mean 'days_between'?)")
    }

    @Test func unknownName() throws {
        let e = try #require(compileError("staus == 'x'", [("status", .string)]))
        #expect(e.message == "unknown name 'staus' (did you mean 'status'?)")
        #expect(e.position == 0)
    }

    @Test(arguments: [
        ("due < 3", "'<' cannot be applied to date and int"),
        ("due == 'x'", "'==' compares date with string"),
        ("days_between(due)", "days_between(date) does not match"),
        ("due.contains('x')", "contains(date, string) does not match"),
        ("due && true", "'&&' needs bool operands, not date"),
        ("1 +", "expression ends where a value was expected"),
        ("'open", "string literal is not closed"),
        ("if", "'if' is a reserved word"),
    ])
    func typeAndSyntaxErrors(source: String, fragment: String) throws {
        let e = try #require(compileError(source, [("due", .date)]))
        #expect(e.message.contains(fragment), "\(e.message)")
    }
}

@Suite struct DocumentationTests {
    /// Keeps docs/expressions.md true: every function the environment offers is documented.
    @Test func everyFunctionIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/expressions.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for name in Environment().functions.keys.sorted() {
            #expect(text.contains("| `\(name)` |"), "docs/expressions.md does not document \(name)")
        }
    }
}

@Suite struct MemoisationTests {
    /// A comprehension over `records` that reads no field of the current record is worked out
    /// once per value of its outer variable; the result must be what evaluating it afresh gives.
    @Test func memoisedComprehensionsGiveTheSameResults() throws {
        var env = Environment()
        env.declare("owners", .list(.string))
        env.declareGlobal("params", .map(.string, .dyn))
        env.declareGlobal("records", .list(.map(.string, .dyn)))
        let program = try Compiler.compile("owners.exists(o, records.filter(r, o in r.owners).size() > 1)", in: env)
        func rec(_ owners: [String]) -> Value {
            var m = MapValue()
            m.insert(.string("owners"), .list(owners.map(Value.string)))
            return .map(m)
        }
        let records: Value = .list([rec(["A"]), rec(["A", "B"]), rec(["C"])])
        let activation = Activation(globals: [.map(MapValue()), records], today: Day(iso: "2024-01-01")!)
        var results: [Bool] = []
        for owners in [["A"], ["B"], ["C"], ["A"], ["B", "C"]] {
            activation.values = [.list(owners.map(Value.string))]
            guard case .bool(let b) = try program.evaluate(activation) else { Issue.record("not a bool"); return }
            results.append(b)
        }
        #expect(results == [true, false, false, true, false])
        // Fields of the current record make a comprehension record-specific: never memoised.
        var env2 = env
        env2.declare("ref", .string)
        let specific = try Compiler.compile("records.filter(r, r.owners.size() > size(ref)).size()", in: env2)
        activation.values = [.list([]), .string("x")]
        #expect(try specific.evaluate(activation).int == 1)
        activation.values = [.list([]), .string("")]
        #expect(try specific.evaluate(activation).int == 3)
    }
}
