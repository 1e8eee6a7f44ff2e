import Dispatch
import Expressions
import Foundation
import PlanData

/// Checks a plan file end to end: reads it (in parallel parts, streamed, when it is a large
/// table and no rule compares records with each other) and evaluates every record.
public enum Runner {
    public static func check(path: String, format: PlanFormat?, loader: PlanLoader, ruleSet: RuleSet, collection: String,
                             asOf: Day, countOnly: Bool, only: Set<String>? = nil, history: RecordHistory? = nil,
                             keepSnapshots: Bool = false, keepDigests: Bool = false,
                             workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                             streamFrom: Int = 4 << 20) throws -> (CheckResult, Plan, [RecordSnapshot]) {
        // With history, where findings climb depends on earlier runs: `escalated` places them after.
        let directory = history == nil && !keepSnapshots ? loader.reader.owners : nil
        let make: @Sendable () -> Engine = { Engine(ruleSet: ruleSet, collection: collection, asOf: asOf, only: only, countOnly: countOnly,
                                                    history: history, keepSnapshots: keepSnapshots, directory: directory,
                                                    keepDigests: keepDigests) }
        var engine = make()
        // Measures are counted record by record, so a rule set with measures reads its file whole.
        if !engine.needsAllRecords, engine.measures.isEmpty,
           let (plan, parts) = try loader.parts(path: path, format: format, count: max(1, workers), minimumBytes: streamFrom) {
            do {
                return try checkParts(plan, parts, make)
            } catch is TablePart.NeedsWholeRead {
                // Quoted fields: read the file whole, row by row, below.
            }
        }
        let plan = try loader.read(path: path, format: format) { engine.check($0) }
        var result = engine.result(planFile: plan.file, planName: plan.name)
        result.planAsAt = plan.asAt
        if let said = plan.tally.asAt.first {
            // Where the date was read, so a reader can check it: "plan.csv:2: 'RAG ratings accurate as at …'".
            let later = said.day > asOf ? "; after the check date, so they may tell what was not yet known then" : ""
            result.notes.append("ratings as at \(said.day) (\(said.row.location): \"\(said.row.text)\")" + later)
        }
        return (result, plan, engine.snapshots)
    }

    private static func checkParts(_ plan: Plan, _ parts: [TablePart],
                                   _ make: @Sendable () -> Engine) throws -> (CheckResult, Plan, [RecordSnapshot]) {
        let outcomes = WorkerResults<Result<(CheckResult, PlanTally, [RecordSnapshot]), any Error>>(count: parts.count)
        DispatchQueue.concurrentPerform(iterations: parts.count) { i in
            var engine = make()
            do {
                let tally = try parts[i].read(batch: { engine.check(batch: $0) }, record: { engine.check($0) })
                outcomes.set(i, .success((engine.result(planFile: plan.file, planName: plan.name, ordered: false), tally, engine.snapshots)))
            } catch {
                outcomes.set(i, .failure(error))
            }
        }
        var results: [CheckResult] = []
        var snapshots: [RecordSnapshot] = []
        var merged = plan
        merged.tally = PlanTally()
        merged.tally.unmappedColumns = plan.tally.unmappedColumns
        merged.tally.headingHints = plan.tally.headingHints
        for outcome in outcomes.all {
            let (result, tally, kept) = try outcome.get()
            results.append(result)
            snapshots += kept
            merged.tally.merge(tally)
        }
        return (CheckResult.merging(results), merged, snapshots)
    }
}
