import Expressions

/// Where a record or problem came from: a line in a text file, or a cell in a workbook.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int?
    /// For workbooks: the sheet and the cell (`A5`) where the record starts.
    public var sheet: String?
    public var cell: String?

    public init(file: String, line: Int, column: Int? = nil, sheet: String? = nil, cell: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.sheet = sheet
        self.cell = cell
    }

    public var description: String {
        if let sheet, let cell { return "\(file):\(sheet)!\(cell)" }
        return column.map { "\(file):\(line):\($0)" } ?? "\(file):\(line)"
    }
}

/// One row of a plan: typed values in the schema's slot order, plus everything needed to
/// report on it without re-reading the input.
public struct Record: Sendable {
    public var values: [Value]
    public var source: SourceLocation
    /// Columns or keys the schema does not know, kept as text so nothing is lost.
    public var extras: [(name: String, text: String)] = []
    /// The cell text as written, for fields whose value was cleaned (HTML removed, spacing normalised).
    public var originals: [(name: String, text: String)] = []

    public init(values: [Value], source: SourceLocation) {
        self.values = values
        self.source = source
    }
}

/// A problem with plan data, with its position; the CLI exits 4 on it.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var where_ = file
        if let line { where_ += ":\(line)" }
        if let column { where_ += ":\(column)" }
        return "\(where_): error: \(message)"
    }
}
