import Foundation
import Rules

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

extension CSVReport: ReportWriter {
    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try write(report.listed, chunk)
    }
}
