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
    let plans: UnsafeMutableBufferPointer<RulePlan>
    /// How to read each field of the schema, by slot (see `RowCells.swift`).
    let fields: UnsafeMutableBufferPointer<RowField>

    struct RulePlan {
        /// The cells to read (none when `readsRecord`), laid out apart (see `FlaggedRow.read(cells:)`).
        var read: UnsafeMutableBufferPointer<ReadPlan.Cell>
        var readsRecord: Bool
        var values: [(name: String, slot: Int)]
        /// The message, held for its programs, which `render` holds unretained.
        var message: Template
        /// The message, to render without counting references to what both cores share.
        var render: Template.Unshared
        var fingerprint: Fingerprint.Stream
        /// Whether the details of a row with a key can be read from its cells alone, without
        /// making Strings or values of them but for what the message's computed holes read
        /// (`holes`); `valueFields` and `valueNames` list the values, as `values` does.
        var cells: Bool
        var holes: UnsafeMutableBufferPointer<ReadPlan.Cell>
        var valueFields: UnsafeMutableBufferPointer<RowField>
        var valueNames: UnsafeMutableBufferPointer<String>
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
        fields = .allocate(capacity: schema.fields.count)
        _ = fields.initialize(from: schema.fields.indices.map(batch.field))
        plans = .allocate(capacity: rules.count)
        let keyIsText = key.map { $0.kind == .text && $0.column >= 0 } ?? false
        for (i, rule) in rules.enumerated() {
            let names = rule.condition.references + rule.message.references + [ownerSlot.map { schema.fields[$0].name }].compactMap { $0 }
            let read = batch.readPlan(Array(Set(names.compactMap(schema.slot(of:)))))
            let values: [(name: String, slot: Int)] = rule.condition.references.compactMap { name in schema.slot(of: name).map { (name, $0) } }
            let valueFields = UnsafeMutableBufferPointer<RowField>.allocate(capacity: values.count)
            _ = valueFields.initialize(from: values.map { batch.field($0.slot) })
            let valueNames = UnsafeMutableBufferPointer<String>.allocate(capacity: values.count)
            _ = valueNames.initialize(from: values.map(\.name))
            (plans.baseAddress! + i).initialize(to: RulePlan(
                read: Self.cells(read), readsRecord: read == nil, values: values,
                message: rule.message, render: Template.Unshared(rule.message), fingerprint: Fingerprint.prefix(rule.id, schema.name),
                cells: read != nil && keyIsText,
                holes: Self.cells(batch.readPlan(Array(Set(rule.message.computedReferences.compactMap(schema.slot(of:)))))),
                valueFields: valueFields, valueNames: valueNames))
        }
    }

    private static func cells(_ plan: ReadPlan?) -> UnsafeMutableBufferPointer<ReadPlan.Cell> {
        let cells = UnsafeMutableBufferPointer<ReadPlan.Cell>.allocate(capacity: plan?.cells.count ?? 0)
        _ = cells.initialize(from: plan?.cells ?? [])
        return cells
    }

    deinit {
        for plan in plans {
            plan.read.deallocate()
            plan.holes.deallocate()
            plan.render.deallocate()
            plan.valueFields.deallocate()
            plan.valueNames.baseAddress?.deinitialize(count: plan.valueNames.count)
            plan.valueNames.deallocate()
        }
        plans.baseAddress!.deinitialize(count: plans.count)
        plans.deallocate()
        fields.deallocate()
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
        if plan.pointee.cells, case .text(let ref)? = row.cellValue(key!) {
            cellDetails(rule, row, ref: ref, into: scratch)
            return
        }
        scratch.clearCells()
        let activation = scratch.activation(for: self)
        let ownerSlot = ownerSlot
        let previous = lastRead(scratch)
        activation.withValues { values in
            if plan.pointee.readsRecord {
                values = row.record().values
            } else {
                row.read(cells: UnsafeBufferPointer(plan.pointee.read), slots: fields.count, into: &values, after: previous)
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
        scratch.lastPlan = (rule, holes: false)
        scratch.storedMessage.removeAll()
        plan.pointee.render.render(activation, into: &scratch.storedMessage) { _, _ in false }
        let identity = identity(rule, row, plan)
        (scratch.storedRef, scratch.storedHash, scratch.storedFingerprint) = (identity.ref, identity.hash, identity.text ?? "")
        (scratch.storedSourceKey, scratch.storedLine) = (ObjectIdentifier(self), row.line)
    }

    /// The cells the scratch's activation was last read from (nil: whole records, or not yet).
    func lastRead(_ scratch: DetailsScratch) -> UnsafeBufferPointer<ReadPlan.Cell>? {
        guard let (rule, holes) = scratch.lastPlan else { return nil }
        let plan = plans.baseAddress! + rule
        return holes ? UnsafeBufferPointer(plan.pointee.holes) : plan.pointee.readsRecord ? nil : UnsafeBufferPointer(plan.pointee.read)
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
    public var owners: [String] {
        guard let cell = storedOwnerCell else { return storedOwners }
        return cell.isEmpty ? [] : [String(decoding: cell, as: UTF8.self)]
    }
    public var values: [(name: String, value: Value)] {
        guard let cells = cellValues else { return storedValues }
        return zip(storedNames, cells).map { ($0, $1.value) }
    }
    /// The finding's ref and fingerprint (a batch row's are worked out from its key with the rest).
    public var ref: String { storedRefCell.map { String(decoding: $0, as: UTF8.self) } ?? storedRef }
    /// For a table row's finding read from its cells (see `RowCells.swift`), and valid until the
    /// next finding is read: its ref's text, its owner's cell (its one owner, or none when
    /// empty), and the values it lists as their cells say them, with their names; nil for others.
    public var refCell: UnsafeBufferPointer<UInt8>? { storedRefCell }
    public var ownerCell: UnsafeBufferPointer<UInt8>? { storedOwnerCell }
    public var cellValues: UnsafeBufferPointer<CellValue>? {
        storedCellCount < 0 ? nil : UnsafeBufferPointer(start: storedCells, count: storedCellCount)
    }
    public var valueNames: UnsafeBufferPointer<String> { storedNames }
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
    @exclusivity(unchecked) var storedRefCell: UnsafeBufferPointer<UInt8>?, storedOwnerCell: UnsafeBufferPointer<UInt8>?
    /// The cell values (-1: none, the values are in `storedValues`), in a buffer grown as needed.
    @exclusivity(unchecked) var storedCells = UnsafeMutablePointer<CellValue>.allocate(capacity: 16)
    @exclusivity(unchecked) var storedCellCount = -1, storedCellCapacity = 16
    @exclusivity(unchecked) var storedNames = UnsafeBufferPointer<String>(start: nil, count: 0)
    private var activation: Activation?
    /// The context the activation is for, held while its identity is compared.
    private var context: RowContext?
    private var contextID: ObjectIdentifier?
    /// The plan (of `context`'s rules) the activation's values were last read with, and whether
    /// only for its message's holes (nil: not yet, or for a finding of a record).
    @exclusivity(unchecked) var lastPlan: (rule: Int, holes: Bool)?

    public init() {}

    deinit { storedCells.deallocate() }

    /// Back to details held in `storedValues`, `storedOwners` and `storedRef`.
    func clearCells() {
        (storedRefCell, storedOwnerCell, storedCellCount) = (nil, nil, -1)
    }

    func set(_ details: Finding.Details, ref: String, fingerprint: String) {
        clearCells()
        storedMessage.removeAll()
        storedMessage.append(details.message)
        storedOwners = details.owners
        storedValues = details.values
        (storedRef, storedHash, storedFingerprint) = (ref, nil, fingerprint)
        (storedSourceKey, storedLine) = (nil, 0)
    }

    /// The activation for findings of `context`'s rows (globals and date set when it changes).
    func activation(for context: RowContext) -> Activation {
        // By identity: comparing the references would count one to the context both cores share.
        if let activation, contextID == ObjectIdentifier(context) { return activation }
        let made = Activation(globals: context.globals, today: context.today)
        (activation, self.context, contextID, lastPlan) = (made, context, ObjectIdentifier(context), nil)
        return made
    }
}
