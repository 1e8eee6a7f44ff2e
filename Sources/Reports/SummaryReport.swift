import Rules

/// `--format summary`: only the per-rule counts, on one line (the peers' agreement format). It
/// counts the whole run, whatever `--top` and `--min-severity` list, and reads no finding, so a
/// run writing only this format builds none.
public enum SummaryReport: ReportWriter {
    public static var note: String? { "one line of per-rule counts" }
    public static var readsFindings: Bool { false }

    public static func render(_ result: CheckResult) -> String {
        JSONReport.counts(result).serialized(pretty: false) + "\n"
    }

    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(Array(render(report.all).utf8))
    }
}
