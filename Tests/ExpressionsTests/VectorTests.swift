import Foundation
import Testing
@testable import Expressions

/// Records as columns, for the batch evaluator: dates `a`, `b` and texts `s`, `t`.
final class ColumnsOfValues: VectorInput {
    let rows: [[Value]]
    let capacity: Int
    var count: Int { rows.count }
    let generation = 1
    let vectorColumns: [Int: VectorColumn] = [0: .date, 1: .date, 2: .text, 3: .text]
    private var bytes: [UInt8] = []
    private var lanes: [Int: Lane] = [:]
    private var texts: [Int: TextLane] = [:]

    init(_ rows: [[Value]]) {
        self.rows = rows
        capacity = rows.count
        for slot in 2...3 {
            let lane = TextLane(capacity: capacity)
            for (i, row) in rows.enumerated() {
                guard case .string(let s) = row[slot] else { continue }
                lane.starts[i] = Int32(bytes.count)
                lane.lengths[i] = Int32(s.utf8.count)
                lane.states[i] = Lane.valid
                bytes += s.utf8
            }
            texts[slot] = lane
        }
        bytes.append(0)
        for slot in 0...1 {
            let lane = Lane(capacity: capacity)
            for (i, row) in rows.enumerated() {
                if case .date(let d) = row[slot] { lane.values[i] = Int64(d.number); lane.states[i] = Lane.valid }
            }
            lanes[slot] = lane
        }
    }

    func dates(slot: Int) -> Lane { lanes[slot]! }

    func text(slot: Int) -> TextLane {
        let lane = texts[slot]!
        lane.base = bytes.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
        return lane
    }
}

@Suite struct VectorEvaluationTests {
    static let conditions = [
        "a != null && b != null && days_between(a, b) > 42",
        "a == null || b == null",
        "s == \"open\" && is_blank(t)",
        "!(s != \"x\") || a < b",
        "today > add_months(a != null ? a : b, 12)",
        "days_overdue(add_months(b, 1)) > 90",
        "a <= b && weeks_between(a, b) >= 2",
        "date(today.getFullYear() + (today.getMonth() >= 8 ? 1 : 0), s == \"secondary\" ? 3 : 2, s == \"secondary\" ? 31 : 15) < a",
        "s in [\"open\", \"closed\"]",
        "add_days(a, 140) >= today",
        "a == b",
        "s == t",
        "days_between(a, b) + 1 > 10 - 3",
        "is_blank(a) || is_blank(s)",
        "a > b",
        "s == \"open\" ? a > b : false",
        "t != null && (a == null) == (b == null)",
        "date(2025, 13, 1) < a || s == \"x\"",
        // `in` a map tests its keys, as the statutory pack's exception vocabulary does.
        "!is_blank(s) && s in {\"open\": \"o\", \"zoë\": \"z\"}",
        "is_blank(t) || !(t in {\"closed\": 1, \"x\": 2})",
    ]

    static func environment() -> Environment {
        var env = Environment()
        env.declare("a", .date)
        env.declare("b", .date)
        env.declare("s", .string)
        env.declare("t", .string)
        return env
    }

    /// Deterministic rows with nulls, blank and non-ASCII text, equal dates and leap days.
    static func rows(_ n: Int) -> [[Value]] {
        var state: UInt64 = 7
        func next(_ k: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(k))
        }
        let texts: [Value] = [.null, .string("open"), .string("closed"), .string("secondary"), .string("x"), .string("  "), .string("zoë"), .string("")]
        let base = Day(year: 2023, month: 1, day: 1)!.number
        func date() -> Value { next(4) == 0 ? .null : (next(20) == 0 ? .date(Day(year: 2024, month: 2, day: 29)!) : .date(Day(number: base + next(900)))) }
        return (0..<n).map { _ in
            let a = date()
            return [a, next(10) == 0 ? a : date(), texts[next(texts.count)], texts[next(texts.count)]]
        }
    }

    @Test(arguments: conditions)
    func batchResultsMatchRecordByRecordEvaluation(_ source: String) throws {
        let env = Self.environment()
        let today = Day(year: 2025, month: 3, day: 31)!
        let rows = Self.rows(2000)
        let input = ColumnsOfValues(rows)
        let compiler = VectorCompiler(env: env, columns: input.vectorColumns, capacity: input.capacity, globals: [], today: today)
        let program = try #require(compiler.compile(source), "should run in batches")
        let lane = program.evaluate(input)
        let scalar = try Compiler.compile(source, in: env)
        var decided = 0
        for (i, row) in rows.enumerated() {
            guard lane.states[i] == Lane.valid else { continue }
            decided += 1
            let expected = try? scalar.evaluate(Activation(values: row, today: today))
            guard case .bool(let want)? = expected else {
                Issue.record("row \(i) \(row): batch said \(lane.values[i]) where the evaluator gives \(String(describing: expected))")
                continue
            }
            #expect(lane.values[i] == (want ? 1 : 0), "row \(i): \(row)")
        }
        // Undecided rows go back to the record evaluator; most rows must be decided here.
        #expect(decided * 2 > rows.count || source.hasPrefix("date(2025, 13"), "only \(decided) of \(rows.count) decided")
    }

    @Test func conditionsOutsideTheBatchSubsetDoNotCompile() {
        let env = Self.environment()
        let compiler = VectorCompiler(env: env, columns: [0: .date, 1: .date, 2: .text, 3: .text], capacity: 8, globals: [], today: Day(number: 0))
        for source in ["s.startsWith(\"o\")", "size(s) > 2", "[a, b].exists(d, d == null)", "a", "s + t == \"x\""] {
            #expect(compiler.compile(source) == nil, "\(source)")
        }
        // A field the input cannot give as a column is left to records too.
        let partial = VectorCompiler(env: env, columns: [0: .date], capacity: 8, globals: [], today: Day(number: 0))
        #expect(partial.compile("a != null && b != null") == nil)
        #expect(partial.compile("a != null") != nil)
    }
}
