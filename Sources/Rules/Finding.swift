import Expressions
import Foundation
import PlanData

/// What every finding of one rule at one severity says alike. Made once per rule and shared by
/// all its findings, so a run with millions holds (and a report renders) each of these once.
public final class FindingKind: Sendable {
    public let rule: String
    public let title: String
    public let severity: Severity
    public let statutory: Bool
    public let escalateTo: [String]

    public init(rule: String, title: String, severity: Severity, statutory: Bool, escalateTo: [String]) {
        self.rule = rule
        self.title = title
        self.severity = severity
        self.statutory = statutory
        self.escalateTo = escalateTo
    }
}

/// One rule firing on one record. A class: runs over national data keep millions of findings,
/// and sorting or merging them should move references, not every field.
public final class Finding: Sendable {
    public let kind: FindingKind
    public var rule: String { kind.rule }
    public var title: String { kind.title }
    public var severity: Severity { kind.severity }
    public var statutory: Bool { kind.statutory }
    public var escalateTo: [String] { kind.escalateTo }
    public let ref: String
    public let source: SourceLocation
    /// Higher is more urgent; orders findings within a severity.
    public let priority: Int
    /// Rule id + record identity (not line numbers), so a problem keeps its identity across runs.
    public var fingerprint: String {
        if let storedFingerprint { return storedFingerprint }
        guard case .row(_, _, let context) = said else { return "" }
        return Fingerprint.of(rule, context.schema.name, ref)
    }
    /// Nil for findings of batch rows with a key: their fingerprint is that of their ref, worked
    /// out when asked (most runs that make millions of findings never ask).
    private let storedFingerprint: String?
    /// True when the rule could not be evaluated for this record (a type error in the data).
    public let evaluationError: Bool
    /// The waiver covering this finding, if any: it is reported but does not count.
    public var waiver: Waiver? { notes?.waiver }
    /// When history is kept: first seen, and runs in a row.
    public var history: FindingHistory? { notes?.history }
    /// Kept apart: most findings have neither, and a waiver is larger than the rest of a finding.
    private let notes: Notes?
    /// The record's due date, when it has one (for the ladder's days overdue).
    public let due: Day?
    /// The record's first stated due date, when its timescale was revised (for slippage charts).
    public let dueOriginal: Day?
    /// The record's section or priority area, when it has one (for grouping).
    public let section: String?
    /// Where the finding stands on the escalation ladder, and who hears of it there.
    public let escalation: EscalationLevel?
    private let said: Said

    /// What a finding says: its message, the record's owners and the values the rule read.
    public struct Details: Sendable {
        public var message: String
        public var owners: [String]
        /// The fields the rule's condition read, with their values for this record.
        public var values: [(name: String, value: Value)]
    }

    /// Details worked out when the rule fired, or — for the rows of a large table, which may
    /// have millions of findings — only when a report asks, from the row's bytes.
    enum Said: Sendable {
        case known(Details)
        case row(FlaggedRow, Rule, RowContext)
    }

    public var details: Details {
        switch said {
        case .known(let d): return d
        case .row(let row, let rule, let context): return context.details(rule, row)
        }
    }

    /// The details read into `scratch`, reusing its buffers: for writers of reports with
    /// millions of findings, where building each finding's strings and arrays cost the most.
    public func details(into scratch: DetailsScratch) {
        switch said {
        case .known(let d): scratch.set(d)
        case .row(let row, let rule, let context): context.details(rule, row, into: scratch)
        }
    }

    public var message: String { details.message }
    public var values: [(name: String, value: Value)] { details.values }

    public var owners: [String] {
        switch said {
        case .known(let d): return d.owners
        case .row(let row, _, let context):
            // The owner's cell alone, where it holds the value (the ladder asks for every finding).
            return context.ownerSlot.map { Engine.owners(row.value(slot: $0)) } ?? []
        }
    }

    convenience init(rule: String, title: String, severity: Severity, statutory: Bool, ref: String, message: String, owners: [String],
         escalateTo: [String], source: SourceLocation, values: [(name: String, value: Value)], priority: Int,
         fingerprint: String, evaluationError: Bool, waiver: Waiver? = nil, history: FindingHistory? = nil, due: Day? = nil,
         dueOriginal: Day? = nil, section: String? = nil, escalation: EscalationLevel? = nil) {
        self.init(FindingKind(rule: rule, title: title, severity: severity, statutory: statutory, escalateTo: escalateTo), ref: ref,
                  said: .known(Details(message: message, owners: owners, values: values)), source: source, priority: priority,
                  fingerprint: fingerprint, evaluationError: evaluationError, waiver: waiver, history: history, due: due,
                  dueOriginal: dueOriginal, section: section, escalation: escalation)
    }

    init(_ kind: FindingKind, ref: String, said: Said, source: SourceLocation, priority: Int, fingerprint: String?,
         evaluationError: Bool, waiver: Waiver? = nil, history: FindingHistory? = nil, due: Day? = nil, dueOriginal: Day? = nil,
         section: String? = nil, escalation: EscalationLevel? = nil) {
        self.kind = kind
        self.ref = ref
        self.said = said
        self.source = source
        self.priority = priority
        storedFingerprint = fingerprint
        self.evaluationError = evaluationError
        notes = waiver == nil && history == nil ? nil : Notes(waiver: waiver, history: history)
        self.due = due
        self.dueOriginal = dueOriginal
        self.section = section
        self.escalation = escalation
    }

    func waived(by waiver: Waiver) -> Finding { copy(waiver: waiver) }
    func with(history: FindingHistory) -> Finding { copy(history: history) }
    func with(escalation: EscalationLevel) -> Finding { copy(escalation: escalation) }

    /// The same finding with what later stages add: a waiver, history, an escalation level.
    private func copy(waiver: Waiver? = nil, history: FindingHistory? = nil, escalation: EscalationLevel? = nil) -> Finding {
        Finding(kind, ref: ref, said: said, source: source, priority: priority, fingerprint: storedFingerprint, evaluationError: evaluationError,
                waiver: waiver ?? self.waiver, history: history ?? self.history, due: due, dueOriginal: dueOriginal,
                section: section, escalation: escalation ?? self.escalation)
    }
}

private final class Notes: Sendable {
    let waiver: Waiver?
    let history: FindingHistory?
    init(waiver: Waiver?, history: FindingHistory?) { (self.waiver, self.history) = (waiver, history) }
}

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

    /// `details(rule, row)` into a writer's scratch: the record's values, message, owners and
    /// values read into buffers it reuses.
    func details(_ rule: Rule, _ row: FlaggedRow, into scratch: DetailsScratch) {
        let plan = plans[ObjectIdentifier(rule)]!
        guard let read = plan.read else { scratch.set(details(rule, row)); return }
        let activation = scratch.activation(for: self)
        row.read(read, into: &activation.values)
        scratch.message.removeAll(keepingCapacity: true)
        rule.message.render(activation, into: &scratch.message)
        scratch.owners.removeAll(keepingCapacity: true)
        if let ownerSlot { Engine.owners(activation.values[ownerSlot], into: &scratch.owners) }
        scratch.values.removeAll(keepingCapacity: true)
        for v in plan.values { scratch.values.append((v.name, activation.values[v.slot])) }
    }

    /// The details of `rule` on `row`: from the cells the rule reads, or else from the whole record.
    func details(_ rule: Rule, _ row: FlaggedRow) -> Finding.Details {
        let plan = plans[ObjectIdentifier(rule)]!
        let values = plan.read.map(row.values) ?? row.record().values
        let activation = Activation(values: values, globals: globals, today: today)
        return Finding.Details(message: rule.message.render(activation), owners: ownerSlot.map { Engine.owners(values[$0]) } ?? [],
                               values: plan.values.map { (name: $0.name, value: values[$0.slot]) })
    }
}

/// What a writer of a large report reuses from one finding to the next (one per thread): each
/// finding's details are read into these buffers, not into new strings and arrays.
public final class DetailsScratch {
    // Used by one thread at a time (as `Activation` is): run-time exclusivity checks are overhead.
    /// The message, as UTF-8.
    @exclusivity(unchecked) public fileprivate(set) var message: [UInt8] = []
    @exclusivity(unchecked) public fileprivate(set) var owners: [String] = []
    @exclusivity(unchecked) public fileprivate(set) var values: [(name: String, value: Value)] = []
    private var activation: Activation?
    private var context: RowContext?

    public init() {}

    fileprivate func set(_ details: Finding.Details) {
        message = Array(details.message.utf8)
        owners = details.owners
        values = details.values
    }

    /// The activation for findings of `context`'s rows (globals and date set when it changes).
    fileprivate func activation(for context: RowContext) -> Activation {
        if let activation, self.context === context { return activation }
        let made = Activation(globals: context.globals, today: context.today)
        (activation, self.context) = (made, context)
        return made
    }
}

public struct BaselineCounts: Sendable {
    public var new: Int
    public var unchanged: Int
    public var resolved: Int

    public init(new: Int, unchanged: Int, resolved: Int) {
        self.new = new
        self.unchanged = unchanged
        self.resolved = resolved
    }
}

public struct RuleStats: Sendable {
    public var rule: String
    public var examined = 0
    public var flagged = 0
    public var errors = 0
}

/// Everything a report needs about one run.
public struct CheckResult: Sendable {
    public var asOf: Day
    public var ruleSet: String
    public var ruleSetVersion: String
    public var planFile: String
    public var planName: String?
    public var records: Int
    public var findings: [Finding]
    public var stats: [RuleStats]
    /// Findings per severity that count for the exit code (also kept when findings are only counted).
    public var severityCounts: [Severity: Int]
    /// Set when the run was compared with a baseline report.
    public var baseline: BaselineCounts?

    public func count(_ severity: Severity) -> Int {
        severityCounts[severity] ?? 0
    }

    public func count(atOrAbove level: Severity) -> Int {
        severityCounts.filter { $0.key >= level }.values.reduce(0, +)
    }

    public var findingCount: Int { severityCounts.values.reduce(0, +) }

    /// Findings in priority order: severity, then priority, then ref (naturally), rule, file and line.
    static func prioritised(_ findings: [Finding]) -> [Finding] {
        // Sort keys laid out side by side, refs in one byte arena, rules and files by rank: with
        // millions of findings, following a pointer per comparison is what costs. Keys are made
        // a chunk at a time on every core.
        var sort = SortKeys(joining: findings.concurrentMapChunks(minimumChunk: 1 << 16) { [SortKeys($0)] })
        let order = sort.arena.withUnsafeBufferPointer { bytes in
            sort.keys.withUnsafeBufferPointer { k in
                parallelSorted(findings.count) { i, j in
                    let a = k[i], b = k[j]
                    if a.severity != b.severity { return a.severity > b.severity }
                    if a.priority != b.priority { return a.priority > b.priority }
                    // Keys order as the refs do wherever both have one (see `naturalKey`).
                    if a.natural != b.natural, a.natural != .max, b.natural != .max { return a.natural < b.natural }
                    let x = UnsafeBufferPointer(rebasing: bytes[a.ref]), y = UnsafeBufferPointer(rebasing: bytes[b.ref])
                    if x.count != y.count || memcmp(x.baseAddress!, y.baseAddress!, x.count) != 0 { return naturalLess(x, y) }
                    if a.rule != b.rule { return a.rule < b.rule }
                    if a.file != b.file { return a.file < b.file }
                    return a.line < b.line
                }
            }
        }
        sort = SortKeys(joining: [])      // freed before the findings are copied in order
        return order.map { findings[$0] }
    }

    /// `0..<count` ordered by `less`: chunks sorted on every core, then merged.
    private static func parallelSorted(_ count: Int, by less: (Int, Int) -> Bool) -> [Int] {
        let chunk = max(1 << 16, (count + 3) / 4)
        var runs = Array(stride(from: 0, to: count, by: chunk)).concurrentMap(minimumChunk: 1) { start in
            Array(start..<min(count, start + chunk)).sorted(by: less)
        }
        while runs.count > 1 {
            var merged: [[Int]] = []
            for pair in stride(from: 0, to: runs.count, by: 2) {
                guard pair + 1 < runs.count else { merged.append(runs[pair]); continue }
                let a = runs[pair], b = runs[pair + 1]
                var out: [Int] = []
                out.reserveCapacity(a.count + b.count)
                var i = 0, j = 0
                // Stable: on a tie the earlier run's element comes first.
                while i < a.count, j < b.count {
                    if less(b[j], a[i]) { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1 }
                }
                out += a[i...]
                out += b[j...]
                merged.append(out)
            }
            runs = merged
        }
        return runs.first ?? []
    }

    /// One result from the results of a plan's parts (same rules, same run), in priority order.
    static func merging(_ parts: [CheckResult]) -> CheckResult {
        var merged = parts[0]
        for part in parts.dropFirst() {
            merged.records += part.records
            merged.findings += part.findings
            for i in merged.stats.indices {
                merged.stats[i].examined += part.stats[i].examined
                merged.stats[i].flagged += part.stats[i].flagged
                merged.stats[i].errors += part.stats[i].errors
            }
            merged.severityCounts.merge(part.severityCounts, uniquingKeysWith: +)
        }
        merged.findings = prioritised(merged.findings)
        return merged
    }
}

/// The sort keys of findings, side by side, with their refs in one byte arena.
private struct SortKeys: Sendable {
    struct Key {
        var severity: Int
        var priority: Int
        /// `naturalKey` of the ref, or `UInt64.max` when it has none.
        var natural: UInt64
        var ref: Range<Int>
        /// Indexes into `rules` and `files` until joined, ranks in their sorted order after.
        var rule: Int
        var file: Int
        var line: Int
    }

    var keys: [Key] = []
    var arena: [UInt8] = []
    var rules = Names(), files = Names()

    /// The keys of a chunk of findings.
    init(_ findings: ArraySlice<Finding>) {
        keys.reserveCapacity(findings.count)
        for f in findings {
            let start = arena.count
            arena.append(contentsOf: f.ref.utf8)
            let natural = arena.withUnsafeBufferPointer { naturalKey(UnsafeBufferPointer(rebasing: $0[start...])) }
            keys.append(Key(severity: f.severity.rank, priority: f.priority, natural: natural ?? .max, ref: start..<arena.count,
                            rule: rules.index(f.rule), file: files.index(f.source.file), line: f.source.line))
        }
    }

    /// The chunks' keys in order, with one arena and names replaced by their ranks.
    init(joining chunks: [SortKeys]) {
        let ruleRank = Names.ranks(chunks.map(\.rules)), fileRank = Names.ranks(chunks.map(\.files))
        keys.reserveCapacity(chunks.reduce(0) { $0 + $1.keys.count })
        for (c, chunk) in chunks.enumerated() {
            let base = arena.count
            arena += chunk.arena
            for var key in chunk.keys {
                key.ref = (key.ref.lowerBound + base)..<(key.ref.upperBound + base)
                key.rule = ruleRank[c][key.rule]
                key.file = fileRank[c][key.file]
                keys.append(key)
            }
        }
    }
}

/// Names (rule ids, file paths) as small numbers, ranked in their sorted order once all are seen.
/// Consecutive findings mostly share a name, so the last one is checked first.
private struct Names: Sendable {
    private var index: [String: Int] = [:]
    private var names: [String] = []
    private var last: (name: String, index: Int)?

    mutating func index(_ name: String) -> Int {
        if let last, last.name == name { return last.index }
        let i = index[name] ?? { index[name] = names.count; names.append(name); return names.count - 1 }()
        last = (name, i)
        return i
    }

    /// For each chunk's names, by index, the rank of the name among all chunks' names sorted.
    static func ranks(_ chunks: [Names]) -> [[Int]] {
        let sorted = Array(Set(chunks.flatMap(\.names))).sorted()
        let rank = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
        return chunks.map { $0.names.map { rank[$0]! } }
    }
}

public enum Fingerprint {
    /// FNV-1a, 64-bit: stable across runs, platforms and Swift versions (unlike `Hasher`). Parts
    /// are separated by 0x1F.
    public static func of(_ parts: [String]) -> String {
        var stream = Stream()
        for (i, part) in parts.enumerated() {
            if i > 0 { stream.add(CollectionOfOne(0x1F)) }
            stream.add(part)
        }
        return stream.value
    }

    /// `of([a, b, c])` without building the array (made for every finding of large tables).
    public static func of(_ a: String, _ b: String, _ c: String) -> String {
        var stream = Stream()
        stream.add(a)
        stream.add(CollectionOfOne(0x1F))
        stream.add(b)
        stream.add(CollectionOfOne(0x1F))
        stream.add(c)
        return stream.value
    }

    /// The hash over bytes given a piece at a time (files of any size are read in chunks).
    public struct Stream {
        private var hash: UInt64 = 0xcbf2_9ce4_8422_2325

        public init() {}

        public mutating func add(_ bytes: some Sequence<UInt8>) {
            var h = hash
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = h
        }

        /// A string's bytes, from its storage where it is contiguous (iterating `utf8` costs
        /// several times more, for every finding of a large report).
        public mutating func add(_ string: String) {
            if string.utf8.withContiguousStorageIfAvailable({ add($0) }) == nil { add(string.utf8) }
        }

        /// 16 hex digits.
        public var value: String {
            String(unsafeUninitializedCapacity: 16) { out in
                for i in 0..<16 {
                    let nibble = UInt8((hash >> (60 - 4 * UInt64(i))) & 0xF)
                    out[i] = nibble < 10 ? 48 + nibble : 87 + nibble     // 0-9, a-f
                }
                return 16
            }
        }
    }
}
