import Foundation
import Rules

/// JUnit XML: one test case per rule, one failure per finding (waived findings are skipped).
public enum JUnitReport {
    public static func render(_ result: CheckResult) -> String {
        let counted = result.findings.filter { $0.waiver == nil }
        // Findings about the plan as a whole are the failures of one test case, "plan".
        let byRule = Dictionary(grouping: counted, by: { $0.aboutPlan ? "plan" : $0.rule })
        let extra = Set(byRule.keys).subtracting(result.stats.map(\.rule)).sorted()   // the plan, waiver-expired and the like
        let names = result.stats.map(\.rule) + extra
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"stocktake\" tests=\"\(names.count)\" failures=\"\(names.filter { byRule[$0] != nil }.count)\">\n"
        out += "  <testsuite name=\"\(xml(result.ruleSet))\" tests=\"\(names.count)\" failures=\"\(names.filter { byRule[$0] != nil }.count)\" "
            + "timestamp=\"\(result.asOf)T00:00:00\">\n"
        out += "    <properties><property name=\"plan\" value=\"\(xml(result.planFile))\"/>"
            + "<property name=\"as-of\" value=\"\(result.asOf)\"/>"
            + result.notes.map { "<property name=\"note\" value=\"\(xml($0))\"/>" }.joined() + "</properties>\n"
        for name in names {
            let findings = byRule[name] ?? []
            out += "    <testcase classname=\"\(xml(result.ruleSet))\" name=\"\(xml(name))\""
            if findings.isEmpty { out += "/>\n"; continue }
            out += ">\n"
            for f in findings {
                let said = f.aboutPlan ? "\(f.rule): \(f.message)" : f.ref + ": " + f.message
                let whereAndWho = f.aboutPlan ? f.source.file : "\(f.source) · owner: \(f.owners.joined(separator: ", "))"
                out += "      <failure type=\"\(f.severity.rawValue)\" message=\"\(xml(said))\">" + xml(whereAndWho)
                    + "</failure>\n"
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

extension JUnitReport: ReportWriter {
    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(Array(render(report.listed).utf8))
    }
}
