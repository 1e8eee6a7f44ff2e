import Foundation
import Rules

/// SARIF 2.1.0 for code-scanning tools: rule metadata, levels, file and line, and a partial
/// fingerprint that follows a problem across runs.
public enum SARIFReport {
    public static func render(_ result: CheckResult, ruleSet: RuleSet, toolVersion: String) -> String {
        let ran = Set(result.stats.map(\.rule))
        let rules = ruleSet.rules.filter { ran.contains($0.id) }
        let index = Dictionary(rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let descriptors: [JSON] = rules.map { r in
            var pairs: [(String, JSON)] = [
                ("id", .string(r.id)),
                ("name", .string(r.id)),
                ("shortDescription", .object([("text", .string(r.title))])),
            ]
            if let rationale = r.rationale { pairs.append(("fullDescription", .object([("text", .string(rationale))]))) }
            if let cite = r.cite { pairs.append(("help", .object([("text", .string("Basis: \(cite)"))]))) }
            pairs.append(("defaultConfiguration", .object([("level", .string(level(r.maxLevel)))])))
            pairs.append(("properties", .object([("statutory", .bool(r.statutory)), ("appliesTo", .string(r.appliesTo))])))
            return .object(pairs)
        }
        let results: [JSON] = result.findings.map { f in
            var region: [(String, JSON)] = [("startLine", .int(max(1, f.source.line)))]
            if let c = f.source.column { region.append(("startColumn", .int(c))) }
            // A finding about the plan is a result on the file, with no region.
            let physical: [(String, JSON)] = [("artifactLocation", .object([("uri", .string(f.source.file))]))]
                + (f.aboutPlan ? [] : [("region", .object(region))])
            var pairs: [(String, JSON)] = [("ruleId", .string(f.rule))]
            if let i = index[f.rule] { pairs.append(("ruleIndex", .int(i))) }
            pairs += [
                ("level", .string(level(f.severity))),
                ("message", .object([("text", .string(f.message))])),
                ("locations", .array([.object([("physicalLocation", .object(physical))])])),
                ("partialFingerprints", .object([("stocktake/v1", .string(f.fingerprint))])),
            ]
            if let w = f.waiver {
                pairs.append(("suppressions", .array([.object([
                    ("kind", .string("external")),
                    ("justification", .string("\(w.reason) (approved by \(w.approvedBy) until \(w.expires))")),
                ])])))
            }
            pairs.append(("properties", .object([
                ("severity", .string(f.severity.rawValue)), ("ref", .string(f.ref)), ("statutory", .bool(f.statutory)),
                ("owners", .array(f.owners.map(JSON.string))), ("escalateTo", .array(f.escalateTo.map(JSON.string))),
                ("escalationLevel", f.escalation.map { .string($0.id) } ?? .null),
            ])))
            return .object(pairs)
        }
        let doc: JSON = .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("stocktake")),
                    ("version", .string(toolVersion)),
                    ("rules", .array(descriptors)),
                ]))])),
                ("results", .array(results)),
                ("properties", .object([("asOf", .string(result.asOf.description)), ("ruleSet", .string(result.ruleSet)),
                                        ("notes", .array(result.notes.map(JSON.string)))])),
            ])])),
        ])
        return doc.serialized() + "\n"
    }

    static func level(_ s: Severity) -> String {
        switch s {
        case .critical, .error: return "error"
        case .warning: return "warning"
        default: return "note"
        }
    }
}

extension SARIFReport: ReportWriter {
    public static var note: String? { "2.1.0" }

    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(Array(render(report.listed, ruleSet: report.ruleSet, toolVersion: report.toolVersion).utf8))
    }
}
