import Foundation
import Rules

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
        for note in result.notes { out += "- \(cell(note))\n" }
        if !result.notes.isEmpty { out += "\n" }
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

extension MarkdownReport: ReportWriter {
    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try write(report.listed, groupBy: report.groupBy, chunk)
    }
}
