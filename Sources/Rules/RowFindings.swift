import Expressions
import PlanData

/// What a run's findings from batch rows need to say what they found: shared by all of them.
final class RowContext: Sendable {
    let schema: CollectionSchema
    let ownerSlot: Int?
    /// Slots every finding reads, looked up once.
    let keySlot: Int?, dueSlot: Int?, dueOriginalSlot: Int?, sectionSlot: Int?
    /// The globals rule messages see (parameters; no `records` or `history`: batches run without them).
    let globals: [Value]
    let today: Day
    /// Per rule: how to read the cells its condition and message read (nil: read the whole
    /// record), and the fields its condition reads, for a finding's values.
    private let plans: [ObjectIdentifier: (read: ReadPlan?, values: [(name: String, slot: Int)])]

    init(schema: CollectionSchema, rules: [Rule], batch: RowBatch, globals: [Value], today: Day) {
        self.schema = schema
        ownerSlot = schema.ownerField.flatMap(schema.slot(of:))
        keySlot = schema.slot(of: schema.key)
        dueSlot = schema.slot(of: "due")
        dueOriginalSlot = schema.slot(of: "due_original")
        sectionSlot = schema.slot(of: "section")
        self.globals = globals
        self.today = today
        var plans: [ObjectIdentifier: (read: ReadPlan?, values: [(name: String, slot: Int)])] = [:]
        for rule in rules {
            let names = rule.condition.references + rule.message.references + [ownerSlot.map { schema.fields[$0].name }].compactMap { $0 }
            plans[ObjectIdentifier(rule)] = (batch.readPlan(Array(Set(names.compactMap(schema.slot(of:))))),
                                             rule.condition.references.compactMap { name in schema.slot(of: name).map { (name, $0) } })
        }
        self.plans = plans
    }

    /// The details of `rule` on `row`, from the cells the rule reads (or else the whole record),
    /// into a writer's scratch: buffers it reuses from one finding to the next.
    func details(_ rule: Rule, _ row: FlaggedRow, into scratch: DetailsScratch) {
        let plan = plans[ObjectIdentifier(rule)]!
        let activation = scratch.activation(for: self)
        if let read = plan.read { row.read(read, into: &activation.values) } else { activation.values = row.record().values }
        scratch.message.removeAll(keepingCapacity: true)
        rule.message.render(activation, into: &scratch.message)
        scratch.owners.removeAll(keepingCapacity: true)
        if let ownerSlot { Engine.owners(activation.values[ownerSlot], into: &scratch.owners) }
        scratch.values.removeAll(keepingCapacity: true)
        for v in plan.values { scratch.values.append((v.name, activation.values[v.slot])) }
    }

    /// The same details, as a `Details` of their own.
    func details(_ rule: Rule, _ row: FlaggedRow) -> Finding.Details {
        let scratch = DetailsScratch()
        details(rule, row, into: scratch)
        return Finding.Details(message: String(decoding: scratch.message, as: UTF8.self), owners: scratch.owners, values: scratch.values)
    }
}

/// What a writer of a large report reuses from one finding to the next (one per thread): each
/// finding's details are read into these buffers, not into new strings and arrays.
public final class DetailsScratch {
    // Used by one thread at a time (as `Activation` is): run-time exclusivity checks are overhead.
    /// The message, as UTF-8.
    @exclusivity(unchecked) public internal(set) var message: [UInt8] = []
    @exclusivity(unchecked) public internal(set) var owners: [String] = []
    @exclusivity(unchecked) public internal(set) var values: [(name: String, value: Value)] = []
    private var activation: Activation?
    private var context: RowContext?

    public init() {}

    func set(_ details: Finding.Details) {
        message = Array(details.message.utf8)
        owners = details.owners
        values = details.values
    }

    /// The activation for findings of `context`'s rows (globals and date set when it changes).
    func activation(for context: RowContext) -> Activation {
        if let activation, self.context === context { return activation }
        let made = Activation(globals: context.globals, today: context.today)
        (activation, self.context) = (made, context)
        return made
    }
}
