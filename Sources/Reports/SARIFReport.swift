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
            var pairs: [(String, JSON)] = [("ruleId", .string(f.rule))]
            if let i = index[f.rule] { pairs.append(("ruleIndex", .int(i))) }
            pairs += [
                ("level", .string(level(f.severity))),
                ("message", .object([("text", .string(f.message))])),
                ("locations", .array([.object([("physicalLocation", .object([
                    ("artifactLocation", .object([("uri", .string(f.source.file))])),
                    ("region", .object(region)),
                ]))])])),
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
                ("properties", .object([("asOf", .string(result.asOf.description)), ("ruleSet", .string(result.ruleSet))])),
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

/// JUnit XML: one test case per rule, one failure per finding (waived findings are skipped).
public enum JUnitReport {
    public static func render(_ result: CheckResult) -> String {
        let counted = result.findings.filter { $0.waiver == nil }
        let byRule = Dictionary(grouping: counted, by: \.rule)
        let extra = Set(counted.map(\.rule)).subtracting(result.stats.map(\.rule)).sorted()   // waiver-expired and the like
        let names = result.stats.map(\.rule) + extra
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"stocktake\" tests=\"\(names.count)\" failures=\"\(names.filter { byRule[$0] != nil }.count)\">\n"
        out += "  <testsuite name=\"\(xml(result.ruleSet))\" tests=\"\(names.count)\" failures=\"\(names.filter { byRule[$0] != nil }.count)\" "
            + "timestamp=\"\(result.asOf)T00:00:00\">\n"
        out += "    <properties><property name=\"plan\" value=\"\(xml(result.planFile))\"/>"
            + "<property name=\"as-of\" value=\"\(result.asOf)\"/></properties>\n"
        for name in names {
            let findings = byRule[name] ?? []
            out += "    <testcase classname=\"\(xml(result.ruleSet))\" name=\"\(xml(name))\""
            if findings.isEmpty { out += "/>\n"; continue }
            out += ">\n"
            for f in findings {
                out += "      <failure type=\"\(f.severity.rawValue)\" message=\"\(xml(f.ref + ": " + f.message))\">"
                    + xml("\(f.source) · owner: \(f.owners.joined(separator: ", "))") + "</failure>\n"
            }
            out += "    </testcase>\n"
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// Markup escaping, plus what XML 1.0 adds: line breaks kept as `&#10;` in attributes, and
    /// control characters (not allowed at all) replaced.
    static func xml(_ s: String) -> String {
        let allowed = String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 && $0 != "\t" && $0 != "\n" ? "\u{FFFD}" : $0 }))
        return HTMLReport.esc(allowed).replacingOccurrences(of: "\n", with: "&#10;")
    }
}

/// GitHub Actions workflow commands: `::error file=…,line=…,title=…::message`.
public enum GitHubReport {
    public static func render(_ result: CheckResult) -> String {
        result.findings.filter { $0.waiver == nil }.map { f in
            let command = f.severity >= .error ? "error" : (f.severity == .warning ? "warning" : "notice")
            var props = "file=\(property(f.source.file)),line=\(max(1, f.source.line))"
            if let c = f.source.column { props += ",col=\(c)" }
            props += ",title=\(property("\(f.rule) (\(f.ref))"))"
            return "::\(command) \(props)::\(data(f.message))\n"
        }.joined()
    }

    // Escaping as the runner's toolkit does, so plan text cannot start a command of its own.
    static func data(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    static func property(_ s: String) -> String {
        data(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}

/// One row per finding, for Excel users.
public enum CSVReport {
    public static let columns = ["severity", "rule", "ref", "message", "owners", "level", "escalate_to", "statutory", "waived",
                                 "file", "line", "fingerprint"]

    public static func render(_ result: CheckResult) -> String {
        InOrder.collected { try write(result, $0) }
    }

    /// The rows in chunks, rendered on every core a block at a time.
    public static func write(_ result: CheckResult, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(Array((columns.joined(separator: ",") + "\r\n").utf8))
        try InOrder.findings(result.findings[...], { f, said, text in
            // The ref and fingerprint come with the details (a batch row's are worked out from its cells).
            let source = f.source
            let row = [f.severity.rawValue, f.rule, said.ref, String(decoding: said.message, as: UTF8.self), said.owners.joined(separator: "; "),
                       f.escalation?.name ?? "", f.escalateTo.joined(separator: " > "), f.statutory ? "yes" : "no",
                       f.waiver.map { "until \($0.expires): \($0.reason)" } ?? "", source.file, String(source.line), said.fingerprint]
            text += row.map(cell).joined(separator: ",") + "\r\n"
        }, chunk: chunk)
    }

    /// Control and bidirectional characters shown as escapes (`TerminalText`), then RFC 4180
    /// quoting; text a spreadsheet would run as a formula gets a leading apostrophe.
    /// Tested on bytes: as Characters, "\r\n" is one that equals neither "\r" nor "\n".
    static func cell(_ text: String) -> String {
        let s = TerminalText.visible(text)
        let formula = s.utf8.first.map { [0x3D, 0x2B, 0x2D, 0x40].contains($0) } ?? false && "=+-@".contains(s.first!)
        let quoted = s.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        let v = formula ? "'" + s : s
        guard quoted else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Markdown to paste into board papers: counts, then the escalation table.
public enum MarkdownReport {
    public static func render(_ result: CheckResult, groupBy: Grouping = .severity) -> String {
        InOrder.collected { try write(result, groupBy: groupBy, $0) }
    }

    /// The report in chunks, each group's rows rendered on every core a block at a time. Every
    /// value from the plan or the rules goes through `MarkdownText.cell`.
    public static func write(_ result: CheckResult, groupBy: Grouping = .severity, _ chunk: ([UInt8]) throws -> Void) throws {
        let shown = result.findings.filter { $0.waiver == nil }
        var out = "# Escalations: \(cell(result.planName ?? result.planFile))\n\n"
        out += "\(result.records) records checked against **\(cell(result.ruleSet))** v\(cell(result.ruleSetVersion)) as of \(result.asOf).\n\n"
        out += "| Severity | Findings |\n|---|---:|\n"
        for level in Severity.allCases.reversed() where level != .off {
            out += "| \(level.rawValue.capitalized) | \(result.count(level)) |\n"
        }
        let waived = result.findings.count - shown.count
        if waived > 0 { out += "\n\(waived) waived finding\(waived == 1 ? "" : "s") not listed.\n" }
        for (title, group) in groupBy.groups(shown) {
            out += "\n## \(cell(title)) (\(group.count))\n\n| Severity | Ref | Rule | Finding | Owner | Escalate to |\n|---|---|---|---|---|---|\n"
            try chunk(Array(out.utf8))
            out = ""
            try InOrder.findings(group[...], { f, said, text in
                text += "| \(f.severity.rawValue) | \(cell(said.ref)) | \(cell(f.rule)) | \(cell(String(decoding: said.message, as: UTF8.self))) | "
                    + "\(cell(said.owners.joined(separator: ", "))) | \(cell(f.escalation?.name ?? f.escalateTo.joined(separator: " → "))) |\n"
            }, chunk: chunk)
        }
        if !out.isEmpty { try chunk(Array(out.utf8)) }
    }

    static func cell(_ s: String) -> String { MarkdownText.cell(s) }
}

/// How text and Markdown reports group findings.
public enum Grouping: String, CaseIterable, Sendable {
    case severity, rule, owner, level, section

    /// Groups in order of their most urgent finding; findings keep their priority order.
    public func groups(_ findings: [Finding]) -> [(String, [Finding])] {
        var order: [String] = []
        var groups: [String: [Finding]] = [:]
        for f in findings {
            let keys: [String]
            switch self {
            case .severity: keys = [f.severity.rawValue.capitalized]
            case .rule: keys = ["\(f.rule): \(f.title)"]
            case .owner: keys = f.owners.isEmpty ? ["No owner"] : f.owners
            case .level: keys = [f.escalation?.name ?? "No escalation"]
            case .section: keys = [f.section ?? "No section"]
            }
            for k in keys {
                if groups[k] == nil { order.append(k) }
                groups[k, default: []].append(f)
            }
        }
        return order.map { ($0, groups[$0]!) }
    }
}
