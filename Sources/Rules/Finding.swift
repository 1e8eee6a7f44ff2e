import Expressions
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
/// and sorting or merging them should move references, not every field. A finding of a batch
/// row stores only its kind, priority, level and row: what else it says is read from the row's
/// cells when asked (that makes it a third of the size, and a million of them fit in memory).
public final class Finding: Sendable {
    public let kind: FindingKind
    public var rule: String { kind.rule }
    public var title: String { kind.title }
    public var severity: Severity { kind.severity }
    public var statutory: Bool { kind.statutory }
    public var escalateTo: [String] { kind.escalateTo }
    /// Higher is more urgent; orders findings within a severity.
    public let priority: Int
    /// Where the finding stands on the escalation ladder, and who hears of it there.
    public let escalation: EscalationLevel?
    /// The level's identity (writers cache what they write of each level by it): read without
    /// counting a reference to the level, which the findings of both cores share.
    public var escalationIdentity: ObjectIdentifier? { escalation.map(ObjectIdentifier.init) }
    /// Kept apart: most findings have none, and a waiver is larger than the rest of a finding.
    private let waiverBox: WaiverBox?
    /// With history: the day first seen (its number) and the runs in a row; 0 runs without.
    /// Inline, in 32 bits each: with history every finding of a national run has them, and a
    /// box of their own cost a fifth of the findings' memory.
    private let firstSeen: Int32, runs: Int32
    private let said: Said
    /// A batch row's context: held by `context`, and reached through `rows` without counting a
    /// reference (writers of reports of millions of findings read it for each, on every core
    /// at once, and counting one reference shared between cores cost more than the read; see
    /// docs/performance.md for the measurement).
    private let context: RowContext?
    private let rows: Unmanaged<RowContext>?

    /// `body` with a batch row's finding's row, context and rule (nil for other findings).
    @inline(__always)
    private func withRow<R>(_ body: (FlaggedRow, RowContext, Int) -> R) -> R? {
        guard case .row(let row, let rule) = said, let rows else { return nil }
        return rows._withUnsafeGuaranteedRef { body(row, $0, rule) }
    }

    /// The waiver covering this finding, if any: it is reported but does not count.
    public var waiver: Waiver? { waiverBox?.waiver }
    /// When history is kept: first seen, and runs in a row.
    public var history: FindingHistory? {
        runs == 0 ? nil : FindingHistory(firstSeen: Day(number: Int(firstSeen)), runs: Int(runs))
    }

    public var ref: String {
        switch said {
        case .known(let k): return k.ref
        case .row: return withRow { row, context, _ in context.ref(row) }!
        }
    }

    public var source: SourceLocation {
        switch said {
        case .known(let k): return k.source
        case .row(let row, _): return SourceLocation(file: row.file, line: row.line)
        }
    }

    /// Rule id + record identity (not line numbers), so a problem keeps its identity across runs.
    public var fingerprint: String {
        switch said {
        case .known(let k): return k.fingerprint
        case .row: return withRow { row, context, rule in context.fingerprint(rule, row) }!
        }
    }

    /// True when the rule could not be evaluated for this record (a type error in the data).
    public var evaluationError: Bool {
        if case .known(let k) = said { return k.evaluationError }
        return false
    }

    /// The record's due date, when it has one (for the ladder's days overdue).
    public var due: Day? {
        switch said {
        case .known(let k): return k.due
        case .row: return withRow { row, context, _ in context.date(row, context.due) }!
        }
    }

    /// The record's first stated due date, when its timescale was revised (for slippage charts).
    public var dueOriginal: Day? {
        switch said {
        case .known(let k): return k.dueOriginal
        case .row: return withRow { row, context, _ in context.date(row, context.dueOriginal) }!
        }
    }

    /// The record's section or priority area, when it has one (for grouping).
    public var section: String? {
        switch said {
        case .known(let k): return k.section
        case .row: return withRow { row, context, _ in context.section(row) }!
        }
    }

    /// For a batch row's finding, `body` with its row and the context its rows share (for
    /// ordering millions of them without making their strings); nil for other findings.
    func withRow<R>(_ body: (FlaggedRow, RowContext) -> R) -> R? { withRow { row, context, _ in body(row, context) } }

    /// What a finding says: its message, the record's owners and the values the rule read.
    public struct Details: Sendable {
        public var message: String
        public var owners: [String]
        /// The fields the rule's condition read, with their values for this record.
        public var values: [(name: String, value: Value)]
    }

    /// What a finding of a record (not a batch row) says about it, worked out when it fired.
    final class Known: Sendable {
        let ref: String
        let source: SourceLocation
        let fingerprint: String
        let evaluationError: Bool
        let due: Day?, dueOriginal: Day?
        let section: String?
        let details: Details
        let aboutPlan: Bool

        init(ref: String, source: SourceLocation, fingerprint: String, evaluationError: Bool, due: Day?, dueOriginal: Day?,
             section: String?, details: Details, aboutPlan: Bool = false) {
            self.aboutPlan = aboutPlan
            self.ref = ref
            self.source = source
            self.fingerprint = fingerprint
            self.evaluationError = evaluationError
            self.due = due
            self.dueOriginal = dueOriginal
            self.section = section
            self.details = details
        }
    }

    /// Everything known when the rule fired, or — for the rows of a large table, which may have
    /// millions of findings — the row, read again when asked, with its rule as an index into its
    /// context's rules: plain data, copied without counting a reference (the context is held
    /// beside it, in `context`).
    enum Said: Sendable {
        case known(Known)
        case row(FlaggedRow, rule: Int)
    }

    public var details: Details {
        switch said {
        case .known(let k): return k.details
        case .row: return withRow { row, context, rule in context.details(rule, row) }!
        }
    }

    /// The details, ref and fingerprint read into `scratch`, reusing its buffers: for writers of
    /// reports with millions of findings, where building each finding's strings and arrays cost the most.
    public func details(into scratch: DetailsScratch) {
        switch said {
        case .known(let k): scratch.set(k.details, ref: k.ref, fingerprint: k.fingerprint)
        case .row: withRow { row, context, rule in context.details(rule, row, into: scratch) }
        }
    }

    public var message: String { details.message }

    /// True for a finding about the plan as a whole (a column it lacks, words its legend does
    /// not know), not about one record: its ref is "(plan)" and its source the plan file.
    public var aboutPlan: Bool {
        if case .known(let k) = said { return k.aboutPlan }
        return false
    }

    /// The same finding with `note` after its message: what a covered rule said of the record.
    func noting(_ note: String) -> Finding {
        guard case .known(let k) = said else { return self }
        var details = k.details
        details.message += "; " + note
        let known = Known(ref: k.ref, source: k.source, fingerprint: k.fingerprint, evaluationError: k.evaluationError, due: k.due,
                          dueOriginal: k.dueOriginal, section: k.section, details: details, aboutPlan: k.aboutPlan)
        return Finding(kind, said: .known(known), context: context, priority: priority, waiver: waiver, history: history,
                       escalation: escalation)
    }
    public var values: [(name: String, value: Value)] { details.values }

    /// The owners as the owner field's value: one name, a list of them or null.
    var ownerValue: Value {
        switch said {
        case .known(let k): return k.details.owners.count == 1 ? .string(k.details.owners[0]) : .list(k.details.owners.map(Value.string))
        case .row: return withRow { row, context, _ in context.owner.map(row.value) ?? .null }!
        }
    }

    public var owners: [String] {
        switch said {
        case .known(let k): return k.details.owners
        case .row: return withRow { row, context, _ in context.owners(row) }!
        }
    }

    convenience init(rule: String, title: String, severity: Severity, statutory: Bool, ref: String, message: String, owners: [String],
         escalateTo: [String], source: SourceLocation, values: [(name: String, value: Value)], priority: Int,
         fingerprint: String, evaluationError: Bool, waiver: Waiver? = nil, history: FindingHistory? = nil, due: Day? = nil,
         dueOriginal: Day? = nil, section: String? = nil, escalation: EscalationLevel? = nil, aboutPlan: Bool = false) {
        let known = Known(ref: ref, source: source, fingerprint: fingerprint, evaluationError: evaluationError, due: due,
                          dueOriginal: dueOriginal, section: section, details: Details(message: message, owners: owners, values: values),
                          aboutPlan: aboutPlan)
        self.init(FindingKind(rule: rule, title: title, severity: severity, statutory: statutory, escalateTo: escalateTo),
                  said: .known(known), priority: priority, waiver: waiver, history: history, escalation: escalation)
    }

    /// `context` is a batch row's (its `said` is `.row`), nil for other findings.
    init(_ kind: FindingKind, said: Said, context: RowContext? = nil, priority: Int, waiver: Waiver? = nil,
         history: FindingHistory? = nil, escalation: EscalationLevel? = nil) {
        self.kind = kind
        self.said = said
        self.context = context
        rows = context.map { .passUnretained($0) }
        self.priority = priority
        waiverBox = waiver.map(WaiverBox.init)
        firstSeen = history.map { Int32(clamping: $0.firstSeen.number) } ?? 0
        runs = history.map { Int32(clamping: max(1, $0.runs)) } ?? 0
        self.escalation = escalation
    }

    func waived(by waiver: Waiver) -> Finding { copy(waiver: waiver) }
    func with(history: FindingHistory? = nil, escalation: EscalationLevel? = nil) -> Finding { copy(history: history, escalation: escalation) }

    /// The same finding with what later stages add: a waiver, history, an escalation level.
    private func copy(waiver: Waiver? = nil, history: FindingHistory? = nil, escalation: EscalationLevel? = nil) -> Finding {
        Finding(kind, said: said, context: context, priority: priority, waiver: waiver ?? self.waiver,
                history: history ?? self.history, escalation: escalation ?? self.escalation)
    }
}

private final class WaiverBox: Sendable {
    let waiver: Waiver
    init(_ waiver: Waiver) { self.waiver = waiver }
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
    /// False when a field the rule needs is blank in every record: its findings were withdrawn.
    public var applicable = true
}

/// Everything a report needs about one run.
public struct CheckResult: Sendable {
    public var asOf: Day
    public var ruleSet: String
    public var ruleSetVersion: String
    public var planFile: String
    public var planName: String?
    /// The date the plan says its ratings are as at ("accurate as at 1 March 2024"), if it does.
    public var planAsAt: Day?
    public var records: Int
    public var findings: [Finding]
    public var stats: [RuleStats]
    /// Findings per severity that count for the exit code (also kept when findings are only counted).
    public var severityCounts: [Severity: Int]
    /// Set when the run was compared with a baseline report.
    public var baseline: BaselineCounts?
    /// What the report head says about how the plan was read: the status legend and how it was
    /// chosen, progress entries ignored as dated after the check date.
    public var notes: [String] = []
    /// Every record's digest in plan order, when the run was asked to keep them (the board pack).
    public var digests: [RecordDigest] = []
    /// The rule set's measures of the records' collection, counted over every record checked.
    public var measures: [MeasureCount] = []
    /// How the rows of a table plan were read (set by the CLI after the run; nil for YAML and JSON).
    public var tally: PlanTally?

    public func count(_ severity: Severity) -> Int {
        severityCounts[severity] ?? 0
    }

    public func count(atOrAbove level: Severity) -> Int {
        severityCounts.filter { $0.key >= level }.values.reduce(0, +)
    }

    public var findingCount: Int { severityCounts.values.reduce(0, +) }
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
        var stream = prefix(a, b)
        stream.add(c)
        return stream.value
    }

    /// The hash of `of([a, b, c])` before `c`: findings of one rule and collection share it.
    static func prefix(_ a: String, _ b: String) -> Stream {
        var stream = Stream()
        stream.add(a)
        stream.add(CollectionOfOne(0x1F))
        stream.add(b)
        stream.add(CollectionOfOne(0x1F))
        return stream
    }

    /// The hash over bytes given a piece at a time (files of any size are read in chunks).
    public struct Stream: Sendable {
        @usableFromInline var hash: UInt64 = 0xcbf2_9ce4_8422_2325

        public init() {}

        /// Inlinable so that other modules (hashing a plan file a chunk at a time) get it
        /// specialised, not one protocol call per byte.
        @inlinable public mutating func add(_ bytes: some Sequence<UInt8>) {
            var h = hash
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = h
        }

        /// A string's bytes, from its storage where it is contiguous (iterating `utf8` costs
        /// several times more, for every finding of a large report).
        public mutating func add(_ string: String) {
            if string.utf8.withContiguousStorageIfAvailable({ add($0) }) == nil { add(string.utf8) }
        }

        /// The hash as a number (its `value` is these 64 bits in hex).
        public var number: UInt64 { hash }

        /// 16 hex digits.
        public var value: String { Fingerprint.hex(hash) }
    }

    /// A hash as 16 lower-case hex digits.
    public static func hex(_ hash: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { hex(hash, into: $0.baseAddress!); return 16 }
    }

    /// Writes a hash as 16 lower-case hex digits at `out`.
    public static func hex(_ hash: UInt64, into out: UnsafeMutablePointer<UInt8>) {
        for i in 0..<16 {
            let nibble = UInt8((hash >> (60 - 4 * UInt64(i))) & 0xF)
            out[i] = nibble < 10 ? 48 + nibble : 87 + nibble     // 0-9, a-f
        }
    }
}
