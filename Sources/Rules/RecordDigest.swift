import Expressions
import PlanData

/// What a report about the whole plan needs of each record besides its findings: its ref,
/// action, owners, rating, completion, due date and section. The board pack counts from these
/// (actions overdue, ratings, load per owner, progress by section), so that it can say
/// "20 of 52 actions are overdue" and not only "102 findings". Kept only when a report asks.
public struct RecordDigest: Sendable {
    public var ref: String
    public var action: String?
    public var owners: [String]
    /// The rating as the plan writes it (the status column), nil when blank.
    public var status: String?
    /// The state the rule set's status vocabulary maps the rating to (`at-risk`, `complete`, …).
    public var state: String?
    /// Complete by its rating or by a completion phrase in its progress log (as the rules judge it).
    public var complete: Bool
    /// Rated at risk or vulnerable (as the rules judge it: `status_is`).
    public var atRisk: Bool
    public var due: Day?
    /// The day the rating was given (its own column, or the plan's "as at" date), when known.
    public var ratedOn: Day?
    public var section: String?
    public var source: SourceLocation
    /// With history: the rating and due date in the latest earlier run, and whether that run had
    /// the record at all.
    public var previousStatus: String?
    public var previousDue: Day?
    public var seenBefore: Bool

    /// Held to its due date as the rules judge timescales: a recurring one is due at its next
    /// occurrence, and never overdue while no occurrence is recorded; an ongoing one never is.
    public var heldToDue: Bool
    /// The plan says something of the action's state: a rating or a dated progress entry. Without
    /// either, an action past its date may well be done: the plan does not say.
    public var recorded: Bool

    /// Days past due on `asOf` when open, overdue and the plan records its state, else nil.
    public func daysOverdue(on asOf: Day) -> Int? {
        guard recorded else { return nil }
        return daysPastDue(on: asOf)
    }

    /// Days past due on `asOf` when open and overdue, whether or not the plan records its state.
    public func daysPastDue(on asOf: Day) -> Int? {
        guard heldToDue, !complete, let due, due < asOf else { return nil }
        return asOf.number - due.number
    }
}

/// The rule set's own judgement of a record's completion and risk, compiled once per engine in
/// the collection's environment, so that a report counts "complete" exactly as `is_complete` does.
struct DigestPrograms {
    let complete: Program?
    let atRisk: Program?
    /// Due at a date the rules hold it to (nil: every dated action is, as without timescales).
    let heldToDate: Program?
    let recorded: Program?

    init(_ ruleSet: RuleSet, _ schema: CollectionSchema) {
        guard let env = ruleSet.environment(for: schema.name) else {
            complete = nil
            atRisk = nil
            heldToDate = nil
            recorded = nil
            return
        }
        let statusFields = ["status", "status_inferred"].filter { schema.slot(of: $0) != nil }
        func compile(_ source: String) -> Program? { try? Compiler.compile(source, in: env) }
        complete =
            statusFields.isEmpty ? nil : compile(statusFields.map { "is_complete(\($0))" }.joined(separator: " || "))
        atRisk =
            schema.slot(of: "status") == nil
            ? nil
            : compile("status_is(status, 'at-risk') || status_is(status, 'vulnerable')")
        func has(_ fields: String...) -> Bool { fields.allSatisfy { schema.slot(of: $0) != nil } }
        heldToDate =
            has("due_recurrence", "progress_latest")
            ? compile("due_recurrence == null || (due_recurrence != 'ongoing' && progress_latest != null)") : nil
        let recordedBy = [
            has("status") ? "!is_blank(status)" : nil, has("progress_entries") ? "size(progress_entries) > 0" : nil,
        ].compactMap { $0 }
        // A collection with neither field (casework) has nothing to record: its records count as recorded.
        recorded = recordedBy.isEmpty ? nil : compile(recordedBy.joined(separator: " || "))
    }
}

extension Engine {
    /// The digest of the record whose values `activation` holds.
    static func digest(
        _ record: Record, _ activation: Activation, _ programs: DigestPrograms, schema: CollectionSchema,
        statuses: StatusVocabulary, history: RecordHistory?
    ) -> RecordDigest {
        func value(_ field: String) -> Value { schema.slot(of: field).map { record.values[$0] } ?? .null }
        func text(_ field: String) -> String? {
            if case .string(let s) = value(field), !s.isEmpty { return s }
            return nil
        }
        func date(_ v: Value?) -> Day? {
            if case .date(let d)? = v { return d }
            return nil
        }
        func holds(_ program: Program?, otherwise: Bool = false) -> Bool {
            guard let program else { return otherwise }
            guard case .bool(let b)? = try? program.evaluate(activation) else { return false }
            return b
        }
        let owners = schema.ownerField.flatMap(schema.slot(of:)).map { Engine.owners(record.values[$0]) } ?? []
        let key = Engine.key(schema, line: record.source.line) { record.values[$0] }
        var previousStatus: String?
        var previousDue: Day?
        var seenBefore = false
        if let history, case .map(let facts) = history.facts(forKey: key) {
            if case .string(let s)? = facts[.string("previous_status")] { previousStatus = s }
            previousDue = date(facts[.string("previous_due")])
            if case .int(let runs)? = facts[.string("runs")] { seenBefore = runs > 0 }
        }
        let status = text("status")
        let ref = Engine.ref(schema.slot(of: schema.key).map { record.values[$0] } ?? .null, line: record.source.line)
        return RecordDigest(
            ref: ref,
            action: text("action"), owners: owners, status: status,
            state: status.flatMap(statuses.state(of:)), complete: holds(programs.complete),
            atRisk: holds(programs.atRisk), due: date(value("due")), ratedOn: date(value("rated_on")),
            section: text("section"),
            source: record.source, previousStatus: previousStatus, previousDue: previousDue,
            seenBefore: seenBefore, heldToDue: holds(programs.heldToDate, otherwise: true),
            recorded: holds(programs.recorded, otherwise: true))
    }
}
