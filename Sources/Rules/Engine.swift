import Expressions
import PlanData

/// Runs a rule set's rules over a stream of records of one collection. Memory grows with the
/// findings, not with the input: records are checked as they are read and then dropped.
public struct Engine {
    public let ruleSet: RuleSet
    public let schema: CollectionSchema
    public let asOf: Day
    /// When true, findings are counted but not built (no messages): for `--format summary`.
    public let countOnly: Bool
    let rules: [Rule]
    let activation: Activation
    var findings: [Finding] = []
    var stats: [RuleStats]
    /// Fields rules need, unknown status words and progress after the check date (see `PlanFacts`).
    var facts: PlanFacts
    /// For findings of rules with `group-by` (by index in `findings`): their subjects.
    var subjects: [Int: [String]] = [:]
    /// Findings per severity, by rank (an array: this is counted for every finding).
    var levelCounts = [Int](repeating: 0, count: Severity.allCases.count)
    var records = 0
    /// Rules that read `records` compare each record with the whole collection, so records are
    /// held until the end; otherwise they are checked as they stream past.
    public let needsAllRecords: Bool
    private var held: [Record] = []
    /// Earlier runs' facts, for rules that read `history`.
    private let history: RecordHistory?
    let usesHistory: Bool
    /// The rules compiled for batches, once the first batch arrives (see `check(batch:)`).
    var batchPrograms: BatchPrograms?
    /// What findings of batch rows share.
    var rowContext: RowContext?
    /// Record keys, statuses and due dates, kept for the history when asked.
    public private(set) var snapshots: [RecordSnapshot] = []
    let keepSnapshots: Bool
    /// Each record's digest, for reports about the whole plan (the board pack), when asked.
    private(set) var digests: [RecordDigest] = []
    private let digestPrograms: DigestPrograms?
    var keepsDigests: Bool { digestPrograms != nil }
    /// The rule set's measures of this collection, and their counts so far.
    public let measures: [Measure]
    private var measureCounts: [MeasureCount]

    /// Places the findings of batch rows on the ladder as they are found (batches run only
    /// without history, so nothing later changes their level); nil to leave it to `escalated`.
    var placement: LadderPlacement?
    /// Per rule, why it ran out of its evaluation budget, once it has: such a rule (nested
    /// comprehensions that build millions of values) fails on every record without being
    /// evaluated again, so a runaway rule costs one budget per run, not one per record.
    var exhausted: [String?]

    /// `directory`: the owner directory, when findings of batch rows should be placed on the
    /// rule set's escalation ladder as they are made (see `CheckResult.escalated`).
    public init(ruleSet: RuleSet, collection: String, asOf: Day, only: Set<String>? = nil, countOnly: Bool = false,
                history: RecordHistory? = nil, keepSnapshots: Bool = false, directory: OwnerDirectory? = nil,
                keepDigests: Bool = false) {
        placement = directory.map { LadderPlacement(ruleSet.ladder, directory: $0, asOf: asOf) }
        self.ruleSet = ruleSet
        self.schema = ruleSet.collections[collection] ?? .actions
        self.asOf = asOf
        rules = ruleSet.rules.filter { $0.appliesTo == collection && $0.maxLevel != .off && (only?.contains($0.id) ?? true) }
        activation = Activation(globals: [ruleSet.parametersValue, .list([]), noHistory], today: asOf)
        stats = rules.map { RuleStats(rule: $0.id) }
        exhausted = Array(repeating: nil, count: rules.count)
        let selected = rules
        func reads(_ global: String) -> Bool {
            selected.contains { rule in
                rule.condition.globalReferences.contains(global) || rule.message.globalReferences.contains(global)
                    || rule.severity.contains { $0.condition?.globalReferences.contains(global) == true }
            }
        }
        facts = PlanFacts(rules: rules, schema: schema, statuses: ruleSet.statuses, watchesStatuses: ruleSet.readsStatuses)
        // What is said of the plan as a whole needs every record: rules that need fields, rules
        // covered by others, logs read as of the check date. Large casework tables have none.
        needsAllRecords = reads("records") || !facts.needed.isEmpty || facts.readsProgress
            || rules.contains { !$0.coveredBy.isEmpty || $0.groupBy != nil }
        // Withdrawing and folding findings needs them built: plans read whole are small.
        self.countOnly = countOnly && !needsAllRecords
        usesHistory = reads("history")
        self.history = history
        self.keepSnapshots = keepSnapshots
        digestPrograms = keepDigests ? DigestPrograms(ruleSet, schema) : nil
        measures = ruleSet.measures.filter { $0.appliesTo == collection }
        measureCounts = measures.map { MeasureCount(id: $0.id) }
    }

    public var ruleCount: Int { rules.count }

    /// Checks one record (the engine has been built for its collection).
    public mutating func check(_ record: Record) {
        records += 1
        var record = record
        if facts.readsProgress { facts.view(&record.values, asOf: asOf) }
        facts.observe(record.values, ruleSet.statuses, asOf: asOf)
        if needsAllRecords {
            held.append(record)
            return
        }
        evaluate(record)
    }

    private mutating func evaluate(_ record: Record) {
        activation.values = record.values
        if usesHistory || keepSnapshots {
            let key = Engine.key(schema, line: record.source.line) { record.values[$0] }
            if usesHistory { activation.globals[2] = history?.facts(forKey: key) ?? noHistory }
            if keepSnapshots { snapshots.append(Engine.snapshot(schema, key: key) { record.values[$0] }) }
        }
        if keepsDigests { keepDigest(record) }
        if !measures.isEmpty { Engine.countMeasures(measures, &measureCounts, activation) }
        // The plan's own at-risk rating orders a record's findings before others of their severity.
        var rated = 0
        if let slot = facts.statusSlot, case .string(let s) = record.values[slot], ruleSet.statuses.has(s, "at-risk") { rated = Engine.ratedAtRisk }
        for i in rules.indices {
            stats[i].examined += 1
            let outcome = outcome(i)
            if count(i, outcome), !countOnly {
                findings.append(Engine.finding(rules[i], outcome, record, activation, schema, boost: rated))
                if let group = rules[i].groupBy { subjects[findings.count - 1] = Engine.subjects(group, activation) }
            }
        }
    }

    /// Counts one rule's outcome; true when it is a finding (to build unless only counting).
    mutating func count(_ i: Int, _ outcome: Outcome) -> Bool {
        let level: Severity
        switch outcome {
        case .quiet: return false
        case .fired(let l): level = l
        case .failed: level = .error
        }
        stats[i].flagged += 1
        levelCounts[level.rank] += 1
        if case .failed = outcome { stats[i].errors += 1 }
        return true
    }

    /// The key a record is known by in the history.
    static func key(_ schema: CollectionSchema, line: Int, _ value: (Int) -> Value) -> String {
        schema.slot(of: schema.key).map { Template.display(value($0)) } ?? "line \(line)"
    }

    /// What the history keeps of a record: its key, status and due date.
    static func snapshot(_ schema: CollectionSchema, key: String, _ value: (Int) -> Value) -> RecordSnapshot {
        let status = schema.slot(of: "status").flatMap { value($0).isNull ? nil : Template.display(value($0)) }
        var due: Day?
        if let slot = schema.slot(of: "due"), case .date(let d) = value(slot) { due = d }
        return RecordSnapshot(key: key, status: status, due: due)
    }

    mutating func keepSnapshot(_ snapshot: RecordSnapshot) { snapshots.append(snapshot) }

    /// Keeps the digest of `record` (its values are put in the activation, to judge completion).
    mutating func keepDigest(_ record: Record) {
        guard let digestPrograms else { return }
        activation.values = record.values
        digests.append(Engine.digest(record, activation, digestPrograms, schema: schema, statuses: ruleSet.statuses,
                                     history: history))
    }

    /// Each record as a map of field name → value, for `records`.
    static func recordMaps(_ records: [Record], _ schema: CollectionSchema) -> Value {
        .list(records.map { r in
            var m = MapValue()
            for (field, value) in zip(schema.fields, r.values) { m.insert(.string(field.name), value) }
            return .map(m)
        })
    }

    /// Checks any held records, then returns the findings in priority order: severity, then
    /// priority, then ref (unless `ordered` is false: a part's findings, ordered once merged).
    public mutating func result(planFile: String, planName: String?, ordered: Bool = true) -> CheckResult {
        if needsAllRecords {
            activation.globals[1] = Engine.recordMaps(held, schema)
            for record in held { evaluate(record) }
            held = []
        }
        var notes: [String] = []
        if records > 0 && !countOnly {
            regroup()       // first: `subjects` is keyed by the findings' places as made
            var plan = withdrawInapplicable(planFile: planFile)
            foldCovered()
            if let f = unknownStatusFinding(planFile: planFile) { plan.append(f) }
            if let f = staleRatingFinding(planFile: planFile) { plan.append(f) }
            for f in plan { levelCounts[f.severity.rank] += 1 }
            findings += plan
            if facts.entriesCut > 0 {
                notes.append("\(facts.entriesCut) progress entr\(facts.entriesCut == 1 ? "y" : "ies") dated after \(asOf) "
                             + "(in \(facts.recordsCut) record\(facts.recordsCut == 1 ? "" : "s")) ignored")
            }
        }
        var result = CheckResult(asOf: asOf, ruleSet: ruleSet.name, ruleSetVersion: ruleSet.version, planFile: planFile,
                                 planName: planName, records: records, findings: ordered ? CheckResult.prioritised(findings) : findings,
                                 stats: stats, severityCounts: Engine.severityCounts(levelCounts))
        result.notes = notes
        result.digests = digests
        result.measures = measureCounts
        return result
    }

    enum Outcome {
        case quiet
        case fired(Severity)
        case failed(String)
    }

    /// Whether and how rule `i` fires on the record in `activation`; a rule that has exhausted
    /// its evaluation budget fails at once.
    mutating func outcome(_ i: Int) -> Outcome {
        if let why = exhausted[i] { return .failed(why) }
        var spent = false
        let outcome = Engine.outcome(rules[i], activation, exhaustedBudget: &spent)
        if spent, case .failed(let why) = outcome { exhausted[i] = why }
        return outcome
    }

    /// Whether and how a rule fires, with `activation` holding the record's values.
    static func outcome(_ rule: Rule, _ activation: Activation) -> Outcome {
        var spent = false
        return outcome(rule, activation, exhaustedBudget: &spent)
    }

    private static func outcome(_ rule: Rule, _ activation: Activation, exhaustedBudget: inout Bool) -> Outcome {
        do {
            guard case .bool(let fired) = try rule.condition.evaluate(activation) else {
                return .failed("condition did not give true or false")
            }
            guard fired else { return .quiet }
        } catch {
            exhaustedBudget = error.exhaustedBudget
            return .failed(error.message)
        }
        for grade in rule.severity {
            guard let condition = grade.condition else { return grade.level == .off ? .quiet : .fired(grade.level) }
            do {
                if case .bool(true) = try condition.evaluate(activation) { return grade.level == .off ? .quiet : .fired(grade.level) }
            } catch {
                exhaustedBudget = error.exhaustedBudget
                return .failed("severity: \(error.message)")
            }
        }
        return .quiet
    }

    /// One rule on one record, as a finding (nil when it does not fire).
    static func evaluate(_ rule: Rule, _ record: Record, _ activation: Activation, _ schema: CollectionSchema) -> Finding? {
        let outcome = outcome(rule, activation)
        if case .quiet = outcome { return nil }
        return finding(rule, outcome, record, activation, schema)
    }

    /// Added to the priority of findings on a record the plan itself rates at risk (or delayed):
    /// below statutory findings, above any rule's own priority.
    static let ratedAtRisk = 25_000

    static func finding(_ rule: Rule, _ outcome: Outcome, _ record: Record, _ activation: Activation, _ schema: CollectionSchema,
                        boost: Int = 0) -> Finding {
        switch outcome {
        case .fired(let level):
            var extra = 0
            if let p = rule.priority, case .int(let v)? = try? p.evaluate(activation) {
                extra = Int(max(0, min(24_999, v)))
            }
            return makeFinding(rule, record, schema, activation, level: level, message: rule.message.render(activation),
                               priority: level.rankWeight + (rule.statutory ? 50_000 : 0) + boost + extra, error: false)
        case .failed(let why):
            return failure(rule, record, schema, activation, why)
        case .quiet:
            preconditionFailure("a quiet rule has no finding")
        }
    }

    private static func failure(_ rule: Rule, _ record: Record, _ schema: CollectionSchema, _ activation: Activation,
                                _ why: String) -> Finding {
        makeFinding(rule, record, schema, activation, level: .error,
                    message: "could not evaluate rule '\(rule.id)' for this record: \(why)",
                    priority: Severity.error.rankWeight, error: true)
    }

    private static func makeFinding(_ rule: Rule, _ record: Record, _ schema: CollectionSchema, _ activation: Activation,
                                    level: Severity, message: String, priority: Int, error: Bool) -> Finding {
        let key = schema.slot(of: schema.key).map { record.values[$0] } ?? .null
        let (ref, fingerprint) = identity(rule.id, key, record.source.line, schema) { record.values }
        let details = Finding.Details(message: message, owners: schema.ownerField.flatMap(schema.slot(of:)).map { owners(record.values[$0]) } ?? [],
                                      values: readValues(rule, activation.values, schema))
        let known = Finding.Known(ref: ref, source: record.source, fingerprint: fingerprint, evaluationError: error,
                                  due: date(record.values, "due", schema), dueOriginal: date(record.values, "due_original", schema),
                                  section: schema.slot(of: "section").flatMap { if case .string(let s) = record.values[$0] { s } else { nil } },
                                  details: details)
        return Finding(rule.kind(level), said: .known(known), priority: priority)
    }

    /// A finding of a batch row: its kind, priority, level and row (see `Finding`). What the
    /// ladder needs of the row is read from the batch, whose cells are already split.
    static func finding(rule r: Int, level: Severity, _ batch: RowBatch, _ i: Int, _ row: FlaggedRow, _ context: RowContext,
                        placing placement: inout LadderPlacement?) -> Finding {
        let rule = context.rules[r]
        let kind = rule.kind(level)
        var escalation: EscalationLevel?
        if placement != nil {
            var due: Day?
            if let field = context.due, case .date(let d) = batch.value(i, field) { due = d }
            escalation = placement!.level(kind, ref: { context.ref(row) }, runs: 1, due: due,
                                          owners: { context.owner.map { batch.value(i, $0) } ?? .null },
                                          ownerCell: context.owner.flatMap { batch.cellText(i, $0) })
        }
        return Finding(kind, said: .row(row, rule: r), context: context, priority: level.rankWeight + (rule.statutory ? 50_000 : 0), escalation: escalation)
    }

    /// The ref a record is known by, and the finding's fingerprint. Without a key, identity falls
    /// back to the record's content, which survives reordering.
    static func identity(_ rule: String, _ key: Value, _ line: Int, _ schema: CollectionSchema,
                         _ values: () -> [Value]) -> (ref: String, fingerprint: String) {
        let ref = Self.ref(key, line: line)
        let identity = key.isNull ? values().map(Template.display).joined(separator: "\u{1E}") : ref
        return (ref, Fingerprint.of(rule, schema.name, identity))
    }

    /// The ref a record is known by: its key, or its line when it has none.
    static func ref(_ key: Value, line: Int) -> String { key.isNull ? "line \(line)" : Template.display(key) }

    /// The owners in an owner field's value (a list of names or one name).
    static func owners(_ value: Value) -> [String] {
        var owners: [String] = []
        Self.owners(value, into: &owners)
        return owners
    }

    static func owners(_ value: Value, into owners: inout [String]) {
        switch value {
        case .list(let items): owners += items.map(Template.display)
        case .string(let s): owners.append(s)
        default: break
        }
    }

    /// The fields a rule's condition reads, with their values.
    static func readValues(_ rule: Rule, _ values: [Value], _ schema: CollectionSchema) -> [(name: String, value: Value)] {
        rule.condition.references.compactMap { name in schema.slot(of: name).map { (name: name, value: values[$0]) } }
    }

    private static func date(_ values: [Value], _ name: String, _ schema: CollectionSchema) -> Day? {
        guard let slot = schema.slot(of: name), case .date(let d) = values[slot] else { return nil }
        return d
    }
}

extension Engine {
    static func severityCounts(_ byRank: [Int]) -> [Severity: Int] {
        var counts: [Severity: Int] = [:]
        for (level, n) in zip(Severity.allCases, byRank) where n > 0 { counts[level] = n }
        return counts
    }
}

extension Severity {
    /// Keeps priorities of different severities apart: severity always orders first.
    var rankWeight: Int { rank * 100_000 }
}
