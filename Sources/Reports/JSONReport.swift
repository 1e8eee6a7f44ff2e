import PlanData
import Rules

/// The versioned JSON report (docs/json-output.md). Bump `schemaVersion` on any incompatible change.
public enum JSONReport {
    public static let schemaVersion = 1

    public static func render(_ result: CheckResult, toolVersion: String) -> String {
        var bytes: [UInt8] = []
        write(result, toolVersion: toolVersion) { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes the report in chunks of about a megabyte, finding by finding, so that a run with
    /// millions of findings never holds the whole document in memory.
    public static func write(_ result: CheckResult, toolVersion: String, _ chunk: ([UInt8]) throws -> Void) rethrows {
        let bySeverity: [(String, JSON)] = Severity.allCases.reversed().filter { $0 != .off }.map { ($0.rawValue, .int(result.count($0))) }
        let summary: JSON = .object([
            ("records", .int(result.records)),
            ("rules", .int(result.stats.count)),
            ("findings", .int(result.findingCount)),
            ("by_severity", .object(bySeverity)),
            ("by_rule", counts(result)),
            ("evaluation_errors", .int(result.stats.reduce(0) { $0 + $1.errors })),
            ("waived", .int(result.findings.filter { $0.waiver != nil }.count)),
            ("baseline", result.baseline.map { b in
                .object([("new", .int(b.new)), ("unchanged", .int(b.unchanged)), ("resolved", .int(b.resolved))])
            } ?? .null),
        ])
        let head: [(String, JSON)] = [
            ("version", .int(schemaVersion)),
            ("tool", .object([("name", .string("stocktake")), ("version", .string(toolVersion))])),
            ("as_of", .string(result.asOf.description)),
            ("plan", .object([("file", .string(result.planFile)), ("name", result.planName.map(JSON.string) ?? .null)])),
            ("ruleset", .object([("name", .string(result.ruleSet)), ("version", .string(result.ruleSetVersion))])),
            ("summary", summary),
        ]
        // Laid out exactly as JSON.serialized(pretty:) lays out the whole document.
        var out: [UInt8] = Array("{".utf8)
        for (key, value) in head {
            out += Array("\n  ".utf8)
            JSON.quote(key, into: &out)
            out += Array(": ".utf8)
            value.write(into: &out, indent: 1)
            out.append(UInt8(ascii: ","))
        }
        out += Array("\n  \"findings\": ".utf8)
        if result.findings.isEmpty {
            out += Array("[]".utf8)
        } else {
            out.append(UInt8(ascii: "["))
            try chunk(out)
            // Findings are rendered on every core, a window at a time so memory stays bounded,
            // and written in order.
            let window = 1 << 16
            for start in stride(from: 0, to: result.findings.count, by: window) {
                let slice = Array(result.findings[start..<min(result.findings.count, start + window)])
                for rendered in slice.concurrentMapChunks(minimumChunk: 2048, { findings -> [[UInt8]] in
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(findings.count * 1024)
                    for i in findings.indices {      // indices of `slice`
                        if start + i > 0 { bytes.append(UInt8(ascii: ",")) }
                        bytes += Array("\n    ".utf8)
                        finding(findings[i]).write(into: &bytes, indent: 2)
                    }
                    return [bytes]
                }) {
                    try chunk(rendered)
                }
            }
            out = Array("\n  ]".utf8)
        }
        out += Array("\n}\n".utf8)
        try chunk(out)
    }

    /// `{rule id: findings}` for every rule run, in rule order (0 when it did not fire).
    static func counts(_ result: CheckResult) -> JSON {
        .object(result.stats.map { ($0.rule, .int($0.flagged)) })
    }

    /// `--format summary`: only the per-rule counts, one line (the peers' agreement format).
    public static func summary(_ result: CheckResult) -> String {
        counts(result).serialized(pretty: false) + "\n"
    }

    static func finding(_ f: Finding) -> JSON {
        var source: [(String, JSON)] = [("file", .string(f.source.file)), ("line", .int(f.source.line))]
        if let c = f.source.column { source.append(("column", .int(c))) }
        return .object([
            ("rule", .string(f.rule)),
            ("title", .string(f.title)),
            ("severity", .string(f.severity.rawValue)),
            ("statutory", .bool(f.statutory)),
            ("ref", .string(f.ref)),
            ("priority", .int(f.priority)),
            ("message", .string(f.message)),
            ("owners", .array(f.owners.map(JSON.string))),
            ("escalate_to", .array(f.escalateTo.map(JSON.string))),
            ("escalation", f.escalation.map { e in
                .object([("level", .string(e.id)), ("name", .string(e.name)), ("recipients", .array(e.recipients.map(JSON.string)))])
            } ?? .null),
            ("source", .object(source)),
            ("values", .object(f.values.map { ($0.name, JSON($0.value)) })),
            ("evaluation_error", .bool(f.evaluationError)),
            ("waived", f.waiver.map { w in
                .object([("reason", .string(w.reason)), ("approved_by", .string(w.approvedBy)), ("expires", .string(w.expires.description)),
                         ("source", .object([("file", .string(w.file)), ("line", .int(w.line))]))])
            } ?? .null),
            ("history", f.history.map { h in .object([("first_seen", .string(h.firstSeen.description)), ("runs", .int(h.runs))]) } ?? .null),
            ("fingerprint", .string(f.fingerprint)),
        ])
    }
}
