/// How serious a finding is. `off` disables a rule (or one grade of it).
public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case off, info, warning, error, critical

    /// The position in `allCases`: off 0 … critical 4.
    var rank: Int {
        switch self {
        case .off: return 0
        case .info: return 1
        case .warning: return 2
        case .error: return 3
        case .critical: return 4
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// A problem in a rule file, reported as `file:line:column: error: message`.
public struct Diagnostic: Error, Sendable, CustomStringConvertible, Hashable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Every problem found in a rule set; loading never stops at the first.
public struct RuleSetError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
