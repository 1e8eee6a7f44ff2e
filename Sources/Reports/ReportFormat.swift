import Rules

/// Every format `check --format` writes, each backed by one writer in a file of its own. The
/// CLI's help, its validation of `--format` and the list in the docs come from this enum: a new
/// format is a writer file plus a case here and its line in `writer` (docs/architecture.md).
public enum ReportFormat: String, CaseIterable, Sendable {
    case text, json, summary, measures, markdown, html, pdf, csv, sarif, junit, github

    /// The writer of this format.
    public var writer: any ReportWriter.Type {
        switch self {
        case .text: TextReport.self
        case .json: JSONReport.self
        case .summary: SummaryReport.self
        case .measures: MeasuresReport.self
        case .markdown: MarkdownReport.self
        case .html: HTMLReport.self
        case .pdf: PDFReport.self
        case .csv: CSVReport.self
        case .sarif: SARIFReport.self
        case .junit: JUnitReport.self
        case .github: GitHubReport.self
        }
    }

    /// The format with its note, as the help lists it: "summary (one line of per-rule counts)".
    public var listing: String {
        writer.note.map { "\(rawValue) (\($0))" } ?? rawValue
    }

    /// "text, json, summary, …": the names in registry order.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Writes one report format from a check's result, as chunks of bytes (a report of millions
/// of findings is streamed, never held whole).
public protocol ReportWriter {
    /// A few words for the help's list of formats (nil: the name says enough).
    static var note: String? { get }
    /// Whether the writer reads findings; when no writer of a run does, the check only counts.
    static var readsFindings: Bool { get }
    /// Whether the writer shows earlier runs' totals from the history.
    static var readsTrend: Bool { get }
    /// Whether the writer counts the plan's records themselves (`CheckResult.digests`: actions
    /// overdue, ratings, each owner's load), not only the findings.
    static var readsRecords: Bool { get }
    /// Whether the format can only be written to a file (`--format pdf:PATH`), never to stdout.
    static var needsFile: Bool { get }

    static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws
}

extension ReportWriter {
    public static var note: String? { nil }
    public static var readsFindings: Bool { true }
    public static var readsTrend: Bool { false }
    public static var readsRecords: Bool { false }
    public static var needsFile: Bool { false }

    /// The whole report as text (for small reports and tests).
    public static func render(_ report: ReportInput) -> String {
        InOrder.collected { try write(report, $0) }
    }
}

/// What a writer may read: the result (its findings cut down to what is listed), the counts of
/// the whole run, and the options of the report.
public struct ReportInput: Sendable {
    /// The findings to list (`--top` and `--min-severity` may have cut them down).
    public var listed: CheckResult
    /// The whole run, for writers that only count (`summary`).
    public var all: CheckResult
    public var ruleSet: RuleSet
    public var toolVersion: String
    public var groupBy: Grouping
    public var color: Bool
    public var showWaived: Bool
    /// Totals of earlier runs, oldest first (from the history; empty without one).
    public var trend: [HTMLReport.TrendPoint]

    public init(listed: CheckResult, all: CheckResult? = nil, ruleSet: RuleSet, toolVersion: String,
                groupBy: Grouping = .severity, color: Bool = false, showWaived: Bool = false,
                trend: [HTMLReport.TrendPoint] = []) {
        self.listed = listed
        self.all = all ?? listed
        self.ruleSet = ruleSet
        self.toolVersion = toolVersion
        self.groupBy = groupBy
        self.color = color
        self.showWaived = showWaived
        self.trend = trend
    }
}
