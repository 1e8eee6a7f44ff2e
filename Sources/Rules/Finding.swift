import Expressions
import PlanData

/// One rule firing on one record. A class: runs over national data keep millions of findings,
/// and sorting or merging them should move references, not every field.
public final class Finding: Sendable {
    public let rule: String
    public let title: String
    public let severity: Severity
    public let statutory: Bool
    public let ref: String
    public let message: String
    public let owners: [String]
    public let escalateTo: [String]
    public let source: SourceLocation
    /// The fields the rule's condition read, with their values for this record.
    public let values: [(name: String, value: Value)]
    /// Higher is more urgent; orders findings within a severity.
    public let priority: Int
    /// Rule id + record identity (not line numbers), so a problem keeps its identity across runs.
    public let fingerprint: String
    /// True when the rule could not be evaluated for this record (a type error in the data).
    public let evaluationError: Bool
    /// The waiver covering this finding, if any: it is reported but does not count.
    public let waiver: Waiver?
    /// When history is kept: first seen, and runs in a row.
    public let history: FindingHistory?
    /// The record's due date, when it has one (for the ladder's days overdue).
    public let due: Day?
    /// The record's first stated due date, when its timescale was revised (for slippage charts).
    public let dueOriginal: Day?
    /// The record's section or priority area, when it has one (for grouping).
    public let section: String?
    /// Where the finding stands on the escalation ladder, and who hears of it there.
    public let escalation: EscalationLevel?

    init(rule: String, title: String, severity: Severity, statutory: Bool, ref: String, message: String, owners: [String],
         escalateTo: [String], source: SourceLocation, values: [(name: String, value: Value)], priority: Int,
         fingerprint: String, evaluationError: Bool, waiver: Waiver? = nil, history: FindingHistory? = nil, due: Day? = nil,
         dueOriginal: Day? = nil, section: String? = nil, escalation: EscalationLevel? = nil) {
        self.rule = rule
        self.title = title
        self.severity = severity
        self.statutory = statutory
        self.ref = ref
        self.message = message
        self.owners = owners
        self.escalateTo = escalateTo
        self.source = source
        self.values = values
        self.priority = priority
        self.fingerprint = fingerprint
        self.evaluationError = evaluationError
        self.waiver = waiver
        self.history = history
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
        Finding(rule: rule, title: title, severity: severity, statutory: statutory, ref: ref, message: message, owners: owners,
                escalateTo: escalateTo, source: source, values: values, priority: priority, fingerprint: fingerprint,
                evaluationError: evaluationError, waiver: waiver ?? self.waiver, history: history ?? self.history, due: due,
                dueOriginal: dueOriginal, section: section, escalation: escalation ?? self.escalation)
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
        // millions of findings, following a pointer per comparison is what costs.
        struct Key {
            var severity: Int
            var priority: Int
            var ref: Range<Int>
            var rule: Int
            var file: Int
            var line: Int
        }
        func ranks(_ names: some Sequence<String>) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: Set(names).sorted().enumerated().map { ($1, $0) })
        }
        let ruleRank = ranks(findings.lazy.map(\.rule)), fileRank = ranks(findings.lazy.map(\.source.file))
        var arena: [UInt8] = []
        var keys: [Key] = []
        keys.reserveCapacity(findings.count)
        for f in findings {
            let start = arena.count
            arena.append(contentsOf: f.ref.utf8)
            keys.append(Key(severity: f.severity.rank, priority: f.priority, ref: start..<arena.count,
                            rule: ruleRank[f.rule]!, file: fileRank[f.source.file]!, line: f.source.line))
        }
        let order = arena.withUnsafeBufferPointer { bytes in
            keys.withUnsafeBufferPointer { k in
                findings.indices.sorted { i, j in
                    let a = k[i], b = k[j]
                    if a.severity != b.severity { return a.severity > b.severity }
                    if a.priority != b.priority { return a.priority > b.priority }
                    let x = UnsafeBufferPointer(rebasing: bytes[a.ref]), y = UnsafeBufferPointer(rebasing: bytes[b.ref])
                    if !x.elementsEqual(y) { return naturalLess(x, y) }
                    if a.rule != b.rule { return a.rule < b.rule }
                    if a.file != b.file { return a.file < b.file }
                    return a.line < b.line
                }
            }
        }
        return order.map { findings[$0] }
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

public enum Fingerprint {
    /// FNV-1a, 64-bit: stable across runs, platforms and Swift versions (unlike `Hasher`).
    public static func of(_ parts: [String]) -> String {
        var hash = offset
        for (i, part) in parts.enumerated() {
            if i > 0 { mix(0x1F, into: &hash) }
            for byte in part.utf8 { mix(byte, into: &hash) }
        }
        return hex(hash)
    }

    /// The same hash over raw bytes (file contents).
    public static func of(bytes: some Sequence<UInt8>) -> String {
        var hash = offset
        for byte in bytes { mix(byte, into: &hash) }
        return hex(hash)
    }

    private static let offset: UInt64 = 0xcbf2_9ce4_8422_2325

    private static func mix(_ byte: UInt8, into hash: inout UInt64) {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    private static func hex(_ hash: UInt64) -> String {
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
