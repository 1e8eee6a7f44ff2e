import Expressions
import PlanData

/// One rule firing on one record.
public struct Finding: Sendable {
    public var rule: String
    public var title: String
    public var severity: Severity
    public var statutory: Bool
    public var ref: String
    public var message: String
    public var owners: [String]
    public var escalateTo: [String]
    public var source: SourceLocation
    /// The fields the rule's condition read, with their values for this record.
    public var values: [(name: String, value: Value)]
    /// Higher is more urgent; orders findings within a severity.
    public var priority: Int
    /// Rule id + record identity (not line numbers), so a problem keeps its identity across runs.
    public var fingerprint: String
    /// True when the rule could not be evaluated for this record (a type error in the data).
    public var evaluationError: Bool
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
    /// Findings per severity (also kept when findings are only counted).
    public var severityCounts: [Severity: Int]

    public func count(_ severity: Severity) -> Int {
        severityCounts[severity] ?? 0
    }

    public func count(atOrAbove level: Severity) -> Int {
        severityCounts.filter { $0.key >= level }.values.reduce(0, +)
    }

    public var findingCount: Int { severityCounts.values.reduce(0, +) }
}

enum Fingerprint {
    /// FNV-1a, 64-bit: stable across runs, platforms and Swift versions (unlike `Hasher`).
    static func of(_ parts: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (i, part) in parts.enumerated() {
            if i > 0 { hash = (hash ^ 0x1F) &* 0x0000_0100_0000_01B3 }
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Orders refs as people number them: 1.2 before 1.10, 2.9 before 10.1.
public func naturalLess(_ a: String, _ b: String) -> Bool {
    naturalLess(Array(a.utf8), Array(b.utf8))
}

func naturalLess(_ x: [UInt8], _ y: [UInt8]) -> Bool {
    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    var i = 0, j = 0
    while i < x.count && j < y.count {
        if isDigit(x[i]) && isDigit(y[j]) {
            // Compare digit runs as numbers: skip leading zeros, then longer is larger.
            var si = i, sj = j
            while si < x.count, x[si] == 0x30 { si += 1 }
            while sj < y.count, y[sj] == 0x30 { sj += 1 }
            var ei = si, ej = sj
            while ei < x.count, isDigit(x[ei]) { ei += 1 }
            while ej < y.count, isDigit(y[ej]) { ej += 1 }
            if ei - si != ej - sj { return ei - si < ej - sj }
            if !x[si..<ei].elementsEqual(y[sj..<ej]) { return x[si..<ei].lexicographicallyPrecedes(y[sj..<ej]) }
            i = ei
            j = ej
            continue
        }
        if x[i] != y[j] { return x[i] < y[j] }
        i += 1
        j += 1
    }
    return i == x.count && j < y.count
}
