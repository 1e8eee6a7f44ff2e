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

    public func count(_ severity: Severity) -> Int {
        findings.lazy.filter { $0.severity == severity }.count
    }

    public func count(atOrAbove level: Severity) -> Int {
        findings.lazy.filter { $0.severity >= level }.count
    }
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
    var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
    var x = i.next(), y = j.next()
    while let cx = x, let cy = y {
        let dx = cx.properties.numericType != nil && cx.isASCII, dy = cy.properties.numericType != nil && cy.isASCII
        if dx && dy {
            var nx = "", ny = ""
            while let c = x, c.isASCII, c.properties.numericType != nil { nx.unicodeScalars.append(c); x = i.next() }
            while let c = y, c.isASCII, c.properties.numericType != nil { ny.unicodeScalars.append(c); y = j.next() }
            let tx = nx.drop(while: { $0 == "0" }), ty = ny.drop(while: { $0 == "0" })
            if tx.count != ty.count { return tx.count < ty.count }
            if tx != ty { return tx < ty }
            continue
        }
        if cx != cy { return cx.value < cy.value }
        x = i.next()
        y = j.next()
    }
    return x == nil && y != nil
}
