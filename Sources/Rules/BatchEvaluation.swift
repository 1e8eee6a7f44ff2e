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
    public mutating func check(batch: RowBatch) {
        let n = batch.count
        guard !needsAllRecords, !usesHistory, batchPrograms != nil || ruleSet.collections[schema.name] != nil else {
            for i in 0..<n { check(batch.record(at: i)) }
            return
        }
        if keepSnapshots {
            for i in 0..<n {
                let key = Engine.key(schema, line: batch.line(at: i)) { batch.value(i, slot: $0) }
                keepSnapshot(Engine.snapshot(schema, key: key) { batch.value(i, slot: $0) })
            }
        }
        if keepsDigests {
            for i in 0..<n { keepDigest(batch.record(at: i)) }
        }
        // Compiled once, for the first batch (the environment is the same for every batch).
        let programs = batchPrograms ?? BatchPrograms(rules, ruleSet.environment(for: schema.name)!, batch,
                                                      globals: activation.globals, today: asOf)
        batchPrograms = programs
        let context = rowContext ?? RowContext(schema: schema, rules: rules, batch: batch, globals: activation.globals, today: asOf)
        rowContext = context
        records += n
        // Few rows are read as records: by row, only for those that are.
        var materialized: [Int: Record] = [:]
        var flagged = [FlaggedRow?](repeating: nil, count: n)
        func record(_ i: Int) -> Record {
            if let r = materialized[i] { return r }
            let r = batch.record(at: i)
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
                    activation.values = record(i).values
                    outcome = self.outcome(r)
                }
                guard count(r, outcome!), !countOnly else { continue }
                if case .fired(let level) = outcome!, rule.priority == nil {
                    // Kept as the row's bytes: messages are written when a report asks for them.
                    let row = flagged[i] ?? context.rows.keep(batch, i)
                    flagged[i] = row
                    findings.append(Engine.finding(rule: r, level: level, batch, i, row, context, placing: &placement))
                } else {
                    activation.values = record(i).values
                    findings.append(Engine.finding(rule, outcome!, record(i), activation, schema))
                }
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
