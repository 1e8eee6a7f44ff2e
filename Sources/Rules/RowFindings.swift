import Expressions
import PlanData

/// What a run's findings from batch rows need to say what they found: shared by all of them.
/// Unchecked: `plans` is written once, in `init`, and only read after.
final class RowContext: @unchecked Sendable {
    let schema: CollectionSchema
    let ownerSlot: Int?
    /// Fields every finding reads, and how to read them, looked up once.
    let key: RowField?, due: RowField?, dueOriginal: RowField?, section: RowField?, owner: RowField?
    /// The globals rule messages see (parameters; no `records` or `history`: batches run without them).
    let globals: [Value]
    let today: Day
    /// The rows findings were made for (which their `FlaggedRow`s point into).
    let rows: KeptRows
    /// The engine's rules, in its order: a batch row's finding names its rule by index.
    let rules: [Rule]
    /// Per rule, in the same order: how to read the cells its condition and message read (or
    /// else the whole record), the fields its condition reads, for a finding's values, its
    /// message, and its fingerprints' hash up to the ref. Behind a pointer: read in place, a
    /// plan's arrays are not retained and released for each finding (both cores write findings
    /// of the same rules at once, and counting references shared between cores cost more than
    /// the rest of reading a finding's details).
    private let plans: UnsafeMutableBufferPointer<RulePlan>

    private struct RulePlan {
        var read: ReadPlan
        var readsRecord: Bool
        var values: [(name: String, slot: Int)]
        var message: Template
        var fingerprint: Fingerprint.Stream
    }

    init(schema: CollectionSchema, rules: [Rule], batch: RowBatch, globals: [Value], today: Day) {
        self.schema = schema
        ownerSlot = schema.ownerField.flatMap(schema.slot(of:))
        key = schema.slot(of: schema.key).map(batch.field)
        due = schema.slot(of: "due").map(batch.field)
        dueOriginal = schema.slot(of: "due_original").map(batch.field)
        section = schema.slot(of: "section").map(batch.field)
        owner = ownerSlot.map(batch.field)
        self.globals = globals
        self.today = today
        rows = KeptRows(batch)
        self.rules = rules
        plans = .allocate(capacity: rules.count)
        for (i, rule) in rules.enumerated() {
            let names = rule.condition.references + rule.message.references + [ownerSlot.map { schema.fields[$0].name }].compactMap { $0 }
            let read = batch.readPlan(Array(Set(names.compactMap(schema.slot(of:)))))
            (plans.baseAddress! + i).initialize(to: RulePlan(
                read: read ?? .nothing, readsRecord: read == nil,
                values: rule.condition.references.compactMap { name in schema.slot(of: name).map { (name, $0) } },
                message: rule.message, fingerprint: Fingerprint.prefix(rule.id, schema.name)))
        }
    }

    deinit {
        plans.baseAddress!.deinitialize(count: plans.count)
        plans.deallocate()
    }

    func ref(_ row: FlaggedRow) -> String { Engine.ref(key.map(row.value) ?? .null, line: row.line) }

    /// A finding's fingerprint: of its ref, or — for rows without a key — of the row's content.
    func fingerprint(_ rule: Int, _ row: FlaggedRow) -> String {
        let identity = identity(rule, row, plans.baseAddress! + rule)
        return identity.hash.map { Fingerprint.hex($0) } ?? identity.text!
    }

    /// The ref, and the fingerprint: as its hash for a row with a key (writers need no string of
    /// it), else as text.
    private func identity(_ rule: Int, _ row: FlaggedRow, _ plan: UnsafePointer<RulePlan>) -> (ref: String, hash: UInt64?, text: String?) {
        let key = key.map(row.value) ?? .null
        guard !key.isNull else {
            let (ref, fingerprint) = Engine.identity(rules[rule].id, key, row.line, schema) { row.record().values }
            return (ref, nil, fingerprint)
        }
        let ref = Engine.ref(key, line: row.line)
        var hash = plan.pointee.fingerprint
        hash.add(ref)
        return (ref, hash.number, nil)
    }

    func date(_ row: FlaggedRow, _ field: RowField?) -> Day? {
        guard let field, case .date(let d) = row.value(field) else { return nil }
        return d
    }

    func section(_ row: FlaggedRow) -> String? {
        guard let section, case .string(let s) = row.value(section) else { return nil }
        return s
    }

    func owners(_ row: FlaggedRow) -> [String] { owner.map { Engine.owners(row.value($0)) } ?? [] }

    /// The details of rule `rule` on `row`, from the cells the rule reads (or else the whole
    /// record), into a writer's scratch: buffers it reuses from one finding to the next.
    func details(_ rule: Int, _ row: FlaggedRow, into scratch: DetailsScratch) {
        let plan = plans.baseAddress! + rule
        let activation = scratch.activation(for: self)
        let ownerSlot = ownerSlot
        let previous = scratch.lastPlan.map { plans.baseAddress! + $0 }
        activation.withValues { values in
            if plan.pointee.readsRecord {
                values = row.record().values
            } else {
                row.read(plan.pointee.read, into: &values, after: previous.flatMap { $0.pointee.readsRecord ? nil : $0.pointee.read })
            }
            // Mostly one owner after another: replaced in place (emptying an array costs more).
            if let ownerSlot, case .string(let owner) = values[ownerSlot], scratch.storedOwners.count == 1 {
                scratch.storedOwners[0] = owner
            } else {
                scratch.storedOwners.removeAll(keepingCapacity: true)
                if let ownerSlot { Engine.owners(values[ownerSlot], into: &scratch.storedOwners) }
            }
            // A rule's findings list the same fields: overwritten in place, not emptied and refilled.
            plan.pointee.values.withUnsafeBufferPointer { fields in
                if scratch.storedValues.count != fields.count {
                    scratch.storedValues = fields.map { ($0.name, .null) }
                }
                scratch.storedValues.withUnsafeMutableBufferPointer { out in
                    values.withUnsafeBufferPointer { values in
                        for (i, v) in fields.enumerated() {
                            if out[i].name != v.name { out[i].name = v.name }
                            out[i].value = values[v.slot]
                        }
                    }
                }
            }
        }
        scratch.lastPlan = rule
        scratch.storedMessage.removeAll()
        plan.pointee.message.render(activation, into: &scratch.storedMessage)
        let identity = identity(rule, row, plan)
        (scratch.storedRef, scratch.storedHash, scratch.storedFingerprint) = (identity.ref, identity.hash, identity.text ?? "")
        (scratch.storedSourceKey, scratch.storedLine) = (ObjectIdentifier(self), row.line)
    }

    /// The same details, as a `Details` of their own.
    func details(_ rule: Int, _ row: FlaggedRow) -> Finding.Details {
        let scratch = DetailsScratch()
        details(rule, row, into: scratch)
        return Finding.Details(message: String(decoding: scratch.message, as: UTF8.self), owners: scratch.owners, values: scratch.values)
    }
}

/// What a writer of a large report reuses from one finding to the next (one per thread): each
/// finding's details are read into these buffers, not into new strings and arrays.
public final class DetailsScratch {
    // Used by one thread at a time (as `Activation` is): run-time exclusivity checks are overhead.
    // Other modules read through getters: they check direct accesses to stored properties
    // whatever this module declares.
    /// The message, as UTF-8: valid until the next finding is read into the scratch.
    public var message: UnsafeBufferPointer<UInt8> { storedMessage.unsafeBytes }
    public var owners: [String] { storedOwners }
    public var values: [(name: String, value: Value)] { storedValues }
    /// The finding's ref and fingerprint (a batch row's are worked out from its key with the rest).
    public var ref: String { storedRef }
    public var fingerprint: String { storedHash.map { Fingerprint.hex($0) } ?? storedFingerprint }
    /// The fingerprint's hash, when it is one (a batch row's): written as hex without a string.
    public var fingerprintHash: UInt64? { storedHash }
    /// For a table row's finding, what identifies its table (findings with the same key have the
    /// same source file), and its line: writers reuse what they wrote of the file. nil for
    /// other findings, whose `source` says where they are.
    public var sourceKey: ObjectIdentifier? { storedSourceKey }
    public var line: Int { storedLine }
    @exclusivity(unchecked) var storedMessage = ByteBuffer(capacity: 256)
    @exclusivity(unchecked) var storedOwners: [String] = []
    @exclusivity(unchecked) var storedValues: [(name: String, value: Value)] = []
    @exclusivity(unchecked) var storedRef = "", storedFingerprint = ""
    @exclusivity(unchecked) var storedHash: UInt64?
    @exclusivity(unchecked) var storedSourceKey: ObjectIdentifier?
    @exclusivity(unchecked) var storedLine = 0
    private var activation: Activation?
    private var context: RowContext?
    /// The plan (of `context`'s rules) the activation's values were last read with (nil: not
    /// yet, or for a finding of a record).
    @exclusivity(unchecked) var lastPlan: Int?

    public init() {}

    func set(_ details: Finding.Details, ref: String, fingerprint: String) {
        storedMessage.removeAll()
        storedMessage.append(details.message)
        storedOwners = details.owners
        storedValues = details.values
        (storedRef, storedHash, storedFingerprint) = (ref, nil, fingerprint)
        (storedSourceKey, storedLine) = (nil, 0)
    }

    /// The activation for findings of `context`'s rows (globals and date set when it changes).
    func activation(for context: RowContext) -> Activation {
        if let activation, self.context === context { return activation }
        let made = Activation(globals: context.globals, today: context.today)
        (activation, self.context, lastPlan) = (made, context, nil)
        return made
    }
}
