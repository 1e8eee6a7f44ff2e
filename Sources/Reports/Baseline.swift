import Foundation
import Rules

/// A finding as an earlier JSON report recorded it: enough to compare runs.
public struct ReportedFinding: Sendable {
    public var fingerprint: String
    public var rule: String
    public var ref: String
    public var severity: Severity
    public var message: String
    /// How far up its rule's escalation path the finding was (0 = first step), when reported.
    public var level: Int = 0
    public var levelName: String?

    /// Worse than `earlier`: a higher severity, or further up the escalation ladder.
    func isWorse(than earlier: ReportedFinding) -> Bool {
        severity > earlier.severity || (severity == earlier.severity && level > earlier.level)
    }
}

public struct ReportReadError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): error: \(message)" }
}

extension JSONReport {
    /// The findings of a report written by `--format json` (version 1).
    public static func findings(inReportAt path: String) throws -> [ReportedFinding] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportReadError(path: path, message: "no such file")
        }
        guard let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReportReadError(path: path, message: "is not JSON; expected a report written by 'stocktake check --format json'")
        }
        guard let version = doc["version"] as? Int, let items = doc["findings"] as? [[String: Any]] else {
            throw ReportReadError(path: path, message: "is not a stocktake JSON report (no 'version' and 'findings')")
        }
        guard version <= schemaVersion else {
            throw ReportReadError(path: path, message: "was written by a newer stocktake (report version \(version)); this one reads version \(schemaVersion)")
        }
        return try items.enumerated().map { i, f in
            guard let fingerprint = f["fingerprint"] as? String, let rule = f["rule"] as? String,
                  let severity = (f["severity"] as? String).flatMap(Severity.init(rawValue:)) else {
                throw ReportReadError(path: path, message: "finding \(i + 1) has no fingerprint, rule or severity")
            }
            var reported = ReportedFinding(fingerprint: fingerprint, rule: rule, ref: f["ref"] as? String ?? "", severity: severity,
                                           message: f["message"] as? String ?? "")
            if let escalation = f["escalation"] as? [String: Any], let id = escalation["level"] as? String,
               let path = f["escalate_to"] as? [String] {
                reported.level = path.firstIndex(of: id) ?? 0
                reported.levelName = escalation["name"] as? String
            }
            return reported
        }
    }
}

/// What changed between two runs, by fingerprint.
public struct RunComparison: Sendable {
    public var new: [ReportedFinding] = []
    public var resolved: [ReportedFinding] = []
    public var worsened: [(before: ReportedFinding, after: ReportedFinding)] = []
    public var improved: [(before: ReportedFinding, after: ReportedFinding)] = []
    public var unchanged = 0

    public init(old: [ReportedFinding], new current: [ReportedFinding]) {
        let before = Dictionary(old.map { ($0.fingerprint, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(current.map { ($0.fingerprint, $0) }, uniquingKeysWith: { a, _ in a })
        for f in current {
            guard let was = before[f.fingerprint] else { new.append(f); continue }
            if f.isWorse(than: was) { worsened.append((was, f)) } else if was.isWorse(than: f) { improved.append((was, f)) } else { unchanged += 1 }
        }
        resolved = old.filter { after[$0.fingerprint] == nil }
    }

    public func text(_ oldPath: String, _ newPath: String) -> String {
        var out = "\(oldPath) → \(newPath): \(new.count) new, \(resolved.count) resolved, \(worsened.count) worsened, "
            + "\(improved.count) improved, \(unchanged) unchanged\n"
        func line(_ f: ReportedFinding) -> String { "  \(f.severity.rawValue.uppercased())  \(f.ref)  \(f.rule): \(f.message)\n" }
        if !new.isEmpty { out += "\nNew\n" + new.map(line).joined() }
        func change(_ pair: (before: ReportedFinding, after: ReportedFinding)) -> String {
            let level = pair.before.level != pair.after.level ? " (\(pair.before.levelName ?? "?") → \(pair.after.levelName ?? "?"))" : ""
            return "  \(pair.before.severity.rawValue) → \(pair.after.severity.rawValue)\(level)  \(pair.after.ref)  \(pair.after.rule): \(pair.after.message)\n"
        }
        if !worsened.isEmpty { out += "\nWorsened\n" + worsened.map(change).joined() }
        if !improved.isEmpty { out += "\nImproved\n" + improved.map(change).joined() }
        if !resolved.isEmpty { out += "\nResolved\n" + resolved.map(line).joined() }
        return out
    }
}

extension CheckResult {
    /// Keeps only findings whose fingerprint the baseline report does not have; the counts of
    /// unchanged and resolved ones go into `baseline`.
    public func keepingNew(since baseline: [ReportedFinding]) -> CheckResult {
        let known = Set(baseline.map(\.fingerprint))
        let current = Set(findings.map(\.fingerprint))
        var out = self
        out.findings = findings.filter { !known.contains($0.fingerprint) }
        out.baseline = BaselineCounts(new: out.findings.count, unchanged: findings.count - out.findings.count,
                                      resolved: known.subtracting(current).count)
        out.recount()
        return out
    }
}
