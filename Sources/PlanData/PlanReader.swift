import Foundation

/// Every plan format stocktake reads, each backed by a reader. Detection, `--input-format` and
/// its help come from this enum: a new format is a reader plus a case here and its line in
/// `reader` (docs/architecture.md).
public enum PlanFormat: String, Sendable, CaseIterable {
    case yaml, json, csv, tsv, xlsx, sen2

    public var reader: any PlanReader.Type {
        switch self {
        case .yaml: YAMLPlanReader.self
        case .json: JSONPlanReader.self
        case .csv: CSVPlanReader.self
        case .tsv: TSVPlanReader.self
        case .xlsx: XLSXPlanReader.self
        case .sen2: SEN2PlanReader.self
        }
    }

    /// The order in which a file of no known extension is sniffed: the most particular first
    /// (a workbook's signature, an XML root), YAML last, as it reads almost anything.
    static let sniffingOrder: [PlanFormat] = [.xlsx, .sen2, .json, .tsv, .csv, .yaml]

    /// "YAML, JSON, CSV, TSV, XLSX or SEN2", for help texts.
    public static var names: String {
        let names = allCases.map { $0.rawValue.uppercased() }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// From the file name, else from the first bytes.
    static func detect(path: String, bytes: [UInt8]) -> PlanFormat {
        let ext = (path as NSString).pathExtension.lowercased()
        if let named = allCases.first(where: { $0.reader.extensions.contains(ext) }) { return named }
        return sniffingOrder.first { $0.reader.looksLike(bytes) } ?? .yaml
    }
}

/// Reads plans of one format into records, for a `PlanLoader` (which holds the schema, the owner
/// directory and the table profile).
public protocol PlanReader {
    /// File name extensions read as this format (lower case, without the dot).
    static var extensions: [String] { get }
    /// Whether a file whose name says nothing looks like this format from its first bytes.
    static func looksLike(_ head: [UInt8]) -> Bool
    /// For delimited text tables: the delimiter (such tables may be read in parallel parts).
    static var delimiter: UInt8? { get }
    /// Calls `body` for each record in file order; returns the plan's name and tally.
    static func read(_ bytes: [UInt8], path: String, loader: PlanLoader, _ body: (Record) throws -> Void) throws -> Plan
}

extension PlanReader {
    public static var delimiter: UInt8? { nil }

    /// The head's first line (of its first 4 KiB).
    static func firstLine(_ head: [UInt8]) -> ArraySlice<UInt8> {
        head.prefix(4096).split(separator: UInt8(ascii: "\n"), maxSplits: 1).first ?? []
    }
}

/// YAML: a list of records, or a mapping naming the plan with a list under the collection's name.
public enum YAMLPlanReader: PlanReader {
    public static let extensions = ["yaml", "yml"]
    public static func looksLike(_ head: [UInt8]) -> Bool { true }
    public static func read(_ bytes: [UInt8], path: String, loader: PlanLoader, _ body: (Record) throws -> Void) throws -> Plan {
        do {
            return try loader.readTree(path: path, bytes: bytes, json: false, body)
        } catch var e as PlanError where !extensions.contains((path as NSString).pathExtension.lowercased()) {
            // YAML is the guess of last resort: a document of prose and tables fails here.
            e.message += " (read as YAML, as neither the file's name nor its first bytes say what it is;"
                + " for a table give --input-format tsv or csv)"
            throw e
        }
    }
}

/// JSON: laid out as YAML plans are.
public enum JSONPlanReader: PlanReader {
    public static let extensions = ["json"]
    public static func looksLike(_ head: [UInt8]) -> Bool {
        guard let first = head.first(where: { $0 > 0x20 }) else { return false }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }
    public static func read(_ bytes: [UInt8], path: String, loader: PlanLoader, _ body: (Record) throws -> Void) throws -> Plan {
        try loader.readTree(path: path, bytes: bytes, json: true, body)
    }
}

/// Comma-separated tables (RFC 4180), headings found by the table importer.
public enum CSVPlanReader: PlanReader {
    public static let extensions = ["csv"]
    public static let delimiter: UInt8? = UInt8(ascii: ",")
    /// A comma in the first line and no colon (which would make it YAML).
    public static func looksLike(_ head: [UInt8]) -> Bool {
        let line = firstLine(head)
        return line.contains(UInt8(ascii: ",")) && !line.contains(UInt8(ascii: ":"))
    }
    public static func read(_ bytes: [UInt8], path: String, loader: PlanLoader, _ body: (Record) throws -> Void) throws -> Plan {
        try loader.readTable(path: path, bytes: bytes, delimiter: delimiter!, body)
    }
}

/// Tab-separated tables, as spreadsheets export them.
public enum TSVPlanReader: PlanReader {
    public static let extensions = ["tsv", "tab"]
    public static let delimiter: UInt8? = UInt8(ascii: "\t")
    /// A tab in the first line, or (a document with tables among its text) in at least three of the
    /// head's lines that have two tabs or more: YAML has no tab-separated lines.
    public static func looksLike(_ head: [UInt8]) -> Bool {
        if firstLine(head).contains(UInt8(ascii: "\t")) { return true }
        let lines = head.prefix(1 << 16).split(separator: UInt8(ascii: "\n"))
        return lines.lazy.filter { $0.lazy.filter { $0 == UInt8(ascii: "\t") }.count >= 2 }.prefix(3).count == 3
    }
    public static func read(_ bytes: [UInt8], path: String, loader: PlanLoader, _ body: (Record) throws -> Void) throws -> Plan {
        try loader.readTable(path: path, bytes: bytes, delimiter: delimiter!, body)
    }
}

/// Excel workbooks: the sheet named by `--sheet` or the profile, else the first with a header row.
public enum XLSXPlanReader: PlanReader {
    public static let extensions = ["xlsx", "xlsm"]
    /// A ZIP archive's signature.
    public static func looksLike(_ head: [UInt8]) -> Bool { head.starts(with: [0x50, 0x4B, 0x03, 0x04]) }
    public static func read(_ bytes: [UInt8], path: String, loader: PlanLoader, _ body: (Record) throws -> Void) throws -> Plan {
        try loader.readWorkbook(path: path, body)
    }
}
