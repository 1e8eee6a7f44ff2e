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
