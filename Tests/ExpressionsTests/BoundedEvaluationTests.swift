import Foundation
import Testing
@testable import Expressions

/// Expressions written to exhaust the stack, the clock or memory: each once killed the process
/// (or ran for minutes) and must now be an error with a position, or an evaluation error.
@Suite struct BoundedEvaluationTests {
    static let tooDeep = "expression nested too deeply (more than 200 levels of operators, fields, calls or brackets); "
        + "split it into smaller rules or conditions"

    /// Chains the depth limit once missed (it counted only brackets, prefixes and ternaries).
    @Test(arguments: [
        ("true && ", "true", 10_000),
        ("1 + ", "1", 10_000),
        ("1 * ", "1", 10_000),
        ("x == ", "x", 10_000),
    ])
    func longOperatorChainsAreRefused(operatorText: String, last: String, terms: Int) throws {
        let source = String(repeating: operatorText, count: terms - 1) + last
        let e = try #require(compileError(source, [("x", .dyn)]))
        #expect(e.message == Self.tooDeep)
    }

    @Test(arguments: ["[0]", ".a", ".lower()", "[0].a"])
    func longMemberChainsAreRefused(link: String) throws {
        let e = try #require(compileError("x" + String(repeating: link, count: 100_000), [("x", .dyn)]))
        #expect(e.message == Self.tooDeep)
        #expect(e.position > 0)
    }

    @Test func chainsWithinTheLimitStillWork() throws {
        #expect(try evaluate(String(repeating: "1 + ", count: 150) + "1").int == 151)
        #expect(try evaluate(String(repeating: "true && ", count: 150) + "true").bool == true)
        #expect(try evaluate("'A'" + String(repeating: ".lower()", count: 150) + " == 'a'").bool == true)
    }

    /// Nine nested `.map` over ten items build 10⁹ values.
    @Test func aRunawayComprehensionRunsOutOfBudget() throws {
        var source = "1"
        for i in 0..<9 { source = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(x\(i), \(source))" }
        do {
            _ = try evaluate("size(\(source)) > 0")
            Issue.record("expected the budget to run out")
        } catch let e as EvalError {
            #expect(e.exhaustedBudget)
            #expect(e.message == "evaluation budget exceeded: more than 2000000 steps of .all/.exists/.exists_one/.filter/.map "
                        + "for one record; simplify the expression")
        }
        // Four levels (10⁴ steps) are well within it, and the budget is per evaluation.
        var small = "1"
        for i in 0..<4 { small = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(x\(i), \(small))" }
        var env = Environment()
        env.declare("unused", .int)
        let program = try Compiler.compile("size(\(small))", in: env)
        let activation = Activation(values: [.int(0)], today: Day(iso: "2024-07-01")!)
        for _ in 0..<300 { #expect(try program.evaluate(activation).int == 10) }
    }
}

@Suite struct RegexSafetyTests {
    @Test(arguments: [
        ("(a|aa)+$", 0, "an alternation whose branches can match the same text inside a repeated group"),
        ("^(a+)+$", 1, "a repetition inside a repeated group"),
        ("(x*)*y", 0, "a repetition inside a repeated group"),
        ("^(\\w+\\s?)*$", 1, "a repetition inside a repeated group"),
        ("(\\w|-){2,}", 0, "an alternation whose branches can match the same text inside a repeated group"),
        ("ab(?:c|cd)*", 2, "an alternation whose branches can match the same text inside a repeated group"),
        ("((a|b)+c)+", 0, "a repetition inside a repeated group"),
    ])
    func catastrophicPatternsAreFound(pattern: String, offset: Int, message: String) {
        #expect(RegexSafety.problem(in: pattern) == RegexSafety.Problem(offset: offset, message: message))
    }

    @Test(arguments: [
        "^to be (allocated|confirmed|agreed)$", "^tb[acd]$", "^n/?a$", "not available", "(red|green|blue)+",
        "^[0-9]+\\.[0-9]+$", "(ab)+", "(?>a+)+", "(a+)++", "(a|b){1}", "[(a|aa)+]", "\\(a|aa\\)+", "(?i)^x+$", "(a?b)+",
    ])
    func ordinaryPatternsPass(pattern: String) {
        #expect(RegexSafety.problem(in: pattern) == nil, "\(pattern)")
    }

    /// Literal patterns are checked when the expression is compiled, at the literal's column.
    @Test func literalPatternsAreCheckedAtCompileTime() throws {
        let bad = try #require(compileError("s.matches('([a-z')", [("s", .string)]))
        #expect(bad.message == "invalid regular expression '([a-z'" && bad.position == 10)
        let slow = try #require(compileError("matches_any(s, ['ok', '(a|aa)+$'])", [("s", .string)]))
        #expect(slow.position == 22)
        #expect(slow.message == "regular expression '(a|aa)+$' can take exponential time: an alternation whose branches can "
                    + "match the same text inside a repeated group (at character 1 of the pattern); rewrite it so that "
                    + "each repetition can match in only one way, such as (a|aa)+ as a+")
        #expect(compileError("s.matches('^[0-9]+$') && matches_any(s, ['^tbc$'])", [("s", .string)]) == nil)
    }

    /// A pattern that reaches `matches` from data still cannot run away: 41 characters once took
    /// over 30 seconds.
    @Test func patternsFromDataRunWithAStepBudget() throws {
        let text = String(repeating: "a", count: 41) + "b"
        let start = Date()
        do {
            _ = try evaluate("s.matches(p)", [("s", .string, .string(text)), ("p", .string, .string("(a|aa)+$"))])
            Issue.record("expected the step budget to run out")
        } catch let e as EvalError {
            #expect(e.message == "regular expression '(a|aa)+$' gave up after 3000000 steps on a text of 42 characters "
                        + "(it backtracks too much); simplify the pattern")
        }
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(try evaluate("s.matches(p)", [("s", .string, .string(text)), ("p", .string, .string("a+b$"))]).bool == true)
        // A long text that a plain pattern scans without matching is no runaway.
        let long = String(repeating: "a review cycle, ", count: 60)
        #expect(try evaluate("s.matches(p)", [("s", .string, .string(long)), ("p", .string, .string("\\bsee\\b"))]).bool == false)
    }
}
