import Foundation
import Rules

/// `--format measures`: the rule set's published measures (`measures:`), counted over every
/// record of the run, each as a percentage with its numerator and denominator, its definition
/// and, where the rule set gives it, the published figure to compare with. It reads no finding.
public enum MeasuresReport: ReportWriter {
    public static var note: String? { "the rule set's published measures, as counts and percentages" }
    public static var readsFindings: Bool { false }

    /// "66.7%": one decimal place, as the DfE publishes them.
    static func percent(_ count: MeasureCount) -> String {
        guard let p = count.percent else { return "–" }
        return String(format: "%.1f%%", p)
    }

    public static func render(_ report: ReportInput) -> String {
        let result = report.all
        var out = "Measures: \(result.planName.map { "\($0) (\(result.planFile))" } ?? result.planFile)\n"
        out += "\(result.records) records checked against \(result.ruleSet) v\(result.ruleSetVersion)"
            + " as of \(result.asOf)\n"
        let measures = report.ruleSet.measures
        if result.measures.isEmpty {
            return out + "\nThe rule set declares no measures for these records.\n"
        }
        for count in result.measures {
            guard let measure = measures.first(where: { $0.id == count.id }) else { continue }
            out += "\n\(measure.title): \(percent(count)) (\(count.met) of \(count.cohort))\n"
            if let definition = measure.definition { out += wrap(definition, indent: "  ") }
            if count.failed > 0 {
                out += "  \(count.failed) record\(count.failed == 1 ? "" : "s") could not be judged "
                    + "(an expression failed on them): counted in neither number\n"
            }
            if let published = measure.published { out += "  published: \(published)\n" }
            if let cite = measure.cite { out += "  source: \(cite)\n" }
            out += "  measure: \(measure.id)\n"
        }
        return out
    }

    /// Text wrapped at 100 columns, each line indented.
    static func wrap(_ text: String, indent: String) -> String {
        var lines: [String] = [], line = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            if !line.isEmpty && indent.count + line.count + 1 + word.count > 100 {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { indent + $0 + "\n" }.joined()
    }

    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(Array(render(report).utf8))
    }
}
