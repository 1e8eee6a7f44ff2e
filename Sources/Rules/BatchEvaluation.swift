import Expressions
import PlanData

/// The engine's rules compiled for batches: per rule, its condition and each graded severity's
/// condition, where `VectorCompiler` can run them (nil where it cannot: those run record by record).
final class BatchPrograms {
    let conditions: [VectorProgram?]
    let grades: [[VectorProgram?]]

    init(_ rules: [Rule], _ env: Environment, _ input: RowBatch, globals: [Value], today: Day) {
        let compiler = VectorCompiler(env: env, columns: input.vectorColumns, capacity: input.capacity, globals: globals, today: today)
        func compile(_ program: Program?) -> VectorProgram? { program.flatMap { compiler.compile($0.source) } }
        conditions = rules.map { compile($0.condition) }
        grades = rules.map { $0.severity.map { compile($0.condition) } }
    }
}

extension Engine {
    /// Checks a batch of plain table rows: each rule runs over the whole batch at once, and only
    /// rows it cannot decide there (and rules it cannot run there) are checked record by record.
    /// Counts, levels and findings are the same as checking each row's record with `check(_:)`.
    public mutating func check(batch: RowBatch) throws {
        let n = batch.count
        guard !needsAllRecords, !usesHistory, !keepSnapshots, let env = ruleSet.environment(for: schema.name) else {
            for i in 0..<n { check(try batch.record(at: i)) }
            return
        }
        let programs = batchPrograms ?? BatchPrograms(rules, env, batch, globals: activation.globals, today: asOf)
        batchPrograms = programs
        records += n
        var materialized = [Record?](repeating: nil, count: n)
        func record(_ i: Int) throws -> Record {
            if let r = materialized[i] { return r }
            let r = try batch.record(at: i)
            materialized[i] = r
            return r
        }
        for r in rules.indices {
            stats[r].examined += n
            let rule = rules[r]
            let lane = programs.conditions[r]?.evaluate(batch)
            var grades: [Lane?]?
            for i in 0..<n {
                var outcome: Outcome?
                if let lane, lane.states[i] == Lane.valid {
                    if lane.values[i] == 0 { continue }
                    if grades == nil { grades = programs.grades[r].map { $0?.evaluate(batch) } }
                    outcome = Engine.grade(rule, row: i, grades!)
                }
                if outcome == nil {
                    activation.values = try record(i).values
                    outcome = Engine.outcome(rule, activation)
                }
                if case .quiet = outcome! { continue }
                let rec = try countOnly ? nil : record(i)
                if let rec { activation.values = rec.values }
                note(r, outcome!, rec)
            }
        }
    }

    /// The level of a rule that fired on row `i`, from the grades' lanes; nil when a grade it
    /// needs is undecided there (the record evaluator then works it out).
    private static func grade(_ rule: Rule, row i: Int, _ lanes: [Lane?]) -> Outcome? {
        for (grade, lane) in zip(rule.severity, lanes) {
            if grade.condition != nil {
                guard let lane, lane.states[i] == Lane.valid else { return nil }
                if lane.values[i] == 0 { continue }
            }
            return grade.level == .off ? .quiet : .fired(grade.level)
        }
        return .quiet
    }
}
