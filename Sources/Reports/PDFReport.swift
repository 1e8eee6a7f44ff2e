/// The board pack printed to A4 PDF by headless Chromium (`HTMLPrinter`): the same page as
/// `html`, with the running header and page numbers of its print style. Only to a file.
public enum PDFReport: ReportWriter {
    public static var note: String? { "the board pack printed to A4 by headless Chromium; needs pdf:PATH" }
    public static var readsTrend: Bool { true }
    public static var readsRecords: Bool { true }
    public static var needsFile: Bool { true }

    /// Throws `HTMLPrinter.Failure` when the browser is missing or fails.
    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(try HTMLPrinter.pdf(html: HTMLReport.render(report), asOf: report.listed.asOf))
    }
}
