import Foundation
import Rules

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

extension GitHubReport: ReportWriter {
    public static var note: String? { "workflow annotations" }

    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(Array(render(report.listed).utf8))
    }
}
