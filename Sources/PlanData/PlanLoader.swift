import Foundation
import Expressions
import YAML

public enum PlanFormat: String, Sendable, CaseIterable {
    case yaml, json, csv, tsv

    /// From the file name, else from the first bytes.
    static func detect(path: String, bytes: [UInt8]) -> PlanFormat {
        switch (path as NSString).pathExtension.lowercased() {
        case "yaml", "yml": return .yaml
        case "json": return .json
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        default: break
        }
        let firstLine = bytes.prefix(4096).split(separator: UInt8(ascii: "\n"), maxSplits: 1).first ?? []
        if let first = bytes.first(where: { $0 > 0x20 }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return .json }
        if firstLine.contains(UInt8(ascii: "\t")) { return .tsv }
        if firstLine.contains(UInt8(ascii: ",")) && !firstLine.contains(UInt8(ascii: ":")) { return .csv }
        return .yaml
    }
}

/// Counts that account for every row of the input.
public struct PlanTally: Sendable {
    public var records = 0
    public var headerRows = 0
    public var blankRows = 0
    /// Columns that map to no field; their text is kept in each record's extras.
    public var unmappedColumns: [String] = []

    public init() {}
}

/// A plan read completely (for `plan show`); `check` streams records instead.
public struct Plan: Sendable {
    public var name: String?
    public var file: String
    public var records: [Record] = []
    public var tally = PlanTally()
}

/// Reads plan files of any supported format into records of one collection.
public struct PlanLoader: Sendable {
    public let schema: CollectionSchema

    public init(schema: CollectionSchema) {
        self.schema = schema
    }

    public func load(path: String, format: PlanFormat? = nil) throws -> Plan {
        var records: [Record] = []
        var plan = try read(path: path, format: format) { records.append($0) }
        plan.records = records
        return plan
    }

    /// Calls `body` for each record in file order; returns the plan's name and tally.
    @discardableResult
    public func read(path: String, format: PlanFormat? = nil, _ body: (Record) throws -> Void) throws -> Plan {
        let bytes = try Self.readBytes(path)
        switch format ?? PlanFormat.detect(path: path, bytes: bytes) {
        case .yaml: return try readTree(path: path, bytes: bytes, json: false, body)
        case .json: return try readTree(path: path, bytes: bytes, json: true, body)
        case .csv: return try readTable(path: path, bytes: bytes, delimiter: UInt8(ascii: ","), body)
        case .tsv: return try readTable(path: path, bytes: bytes, delimiter: UInt8(ascii: "\t"), body)
        }
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PlanError(file: path, "no such file")
        }
        if isDirectory.boolValue { throw PlanError(file: path, "is a directory, not a plan file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlanError(file: path, "cannot be read (check its permissions)")
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw PlanError(file: path, "is empty; expected a plan")
        }
        return [UInt8](data)
    }

    // MARK: YAML and JSON

    private func readTree(path: String, bytes: [UInt8], json: Bool, _ body: (Record) throws -> Void) throws -> Plan {
        let root: Node
        do {
            if json {
                root = try JSONReader.parse(bytes)
            } else {
                guard let node = try YAMLParser.parse(bytes) else { throw PlanError(file: path, "is empty; expected a plan") }
                root = node
            }
        } catch let e as YAMLError {
            throw PlanError(file: path, line: e.mark.line, column: e.mark.column, e.message)
        }
        var plan = Plan(file: path)
        let items: [Node]
        if let list = root.sequence {
            items = list
        } else if let pairs = root.mapping {
            var found: [Node]?
            for pair in pairs {
                let key = pair.key.scalar ?? ""
                switch key {
                case "plan", "name", "title":
                    plan.name = pair.value.scalar
                case schema.name:
                    guard let list = pair.value.sequence else {
                        throw error(path, pair.value, "'\(key)' must be a list of records, not \(pair.value.kindName)")
                    }
                    found = list
                case "description", "version", "owner", "as-of", "source":
                    break       // plan metadata, kept for people, not needed by the rules
                default:
                    throw error(path, pair.key, "unknown key '\(key)'" + Suggest.hint(for: key, among: ["plan", schema.name]))
                }
            }
            guard let found else {
                throw error(path, root, "no '\(schema.name):' list of records in this plan")
            }
            items = found
        } else {
            throw error(path, root, "a plan must be a list of records or a mapping with '\(schema.name):', not \(root.kindName)")
        }
        for item in items {
            try body(try record(from: item, path: path))
            plan.tally.records += 1
        }
        return plan
    }

    /// One record from a YAML or JSON mapping (also used for rule examples).
    public func record(from node: Node, path: String) throws -> Record {
        guard let pairs = node.mapping else {
            throw error(path, node, "each record must be a mapping of field: value, not \(node.kindName)")
        }
        var record = Record(values: Array(repeating: .null, count: schema.fields.count),
                            source: SourceLocation(file: path, line: node.mark.line, column: node.mark.column))
        for pair in pairs {
            let key = pair.key.scalar ?? ""
            guard let slot = schema.slot(of: key) else {
                throw error(path, pair.key, "unknown field '\(key)'" + Suggest.hint(for: key, among: schema.fieldNames)
                            + "; declare it under 'collections:' in the rule set")
            }
            let field = schema.fields[slot]
            let value = pair.value
            if case .list(let element) = field.type, let items = value.sequence {
                var out: [Value] = []
                for item in items {
                    guard let text = item.scalar else { throw error(path, item, "'\(key)' items must be scalars") }
                    switch FieldTyping.typed(item.isNull ? nil : text, as: element) {
                    case .value(let v): out.append(v)
                    case .invalid(let m): throw error(path, item, "\(key): \(m)")
                    }
                }
                record.values[slot] = .list(out)
                continue
            }
            guard let text = value.scalar else {
                throw error(path, value, "'\(key)' must be a single value, not \(value.kindName)")
            }
            try assign(value.isNull ? nil : text, to: slot, in: &record) { m in error(path, value, "\(key): \(m)") }
        }
        return record
    }

    /// Stores a typed value, and for a date field its original text too.
    private func assign(_ text: String?, to slot: Int, in record: inout Record, fail: (String) -> Error) throws {
        let field = schema.fields[slot]
        switch FieldTyping.typed(text, as: field.type) {
        case .value(let v): record.values[slot] = v
        case .invalid(let m): throw fail(m)
        }
        if field.type == .date, let textSlot = schema.slot(of: field.name + "_text") {
            let t = text.map(trimmed) ?? ""
            record.values[textSlot] = t.isEmpty ? .null : .string(t)
        }
    }

    private func error(_ path: String, _ node: Node, _ message: String) -> PlanError {
        PlanError(file: path, line: node.mark.line, column: node.mark.column, message)
    }

    // MARK: CSV and TSV

    private func readTable(path: String, bytes: [UInt8], delimiter: UInt8, _ body: (Record) throws -> Void) throws -> Plan {
        if let bad = YAMLParser.firstInvalidUTF8(bytes) {
            let line = bytes[..<bad].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            throw PlanError(file: path, line: line, "invalid UTF-8 byte 0x\(String(bytes[bad], radix: 16, uppercase: true)); save the file as UTF-8")
        }
        var reader = CSVReader(bytes: bytes, delimiter: delimiter)
        var plan = Plan(file: path)
        var columns: [Int?] = []            // column index → schema slot
        var headers: [String] = []
        do {
            while let row = try reader.next() {
                if row.isBlank {
                    plan.tally.blankRows += 1
                    continue
                }
                if headers.isEmpty {
                    headers = row.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                    columns = mapColumns(headers)
                    plan.tally.headerRows += 1
                    plan.tally.unmappedColumns = zip(headers, columns).filter { $0.1 == nil }.map(\.0)
                    guard columns.contains(where: { $0 != nil }) else {
                        throw PlanError(file: path, line: row.line,
                                        "no column heading matches a field of '\(schema.name)' (\(schema.fieldNames.joined(separator: ", ")))")
                    }
                    continue
                }
                var record = Record(values: Array(repeating: .null, count: schema.fields.count),
                                    source: SourceLocation(file: path, line: row.line))
                for (i, text) in row.fields.enumerated() {
                    if i < columns.count, let slot = columns[i] {
                        try assign(text, to: slot, in: &record) { m in
                            PlanError(file: path, line: row.line, column: i + 1, "\(headers[i]): \(m)")
                        }
                    } else if !text.isEmpty {
                        record.extras.append((i < headers.count && !headers[i].isEmpty ? headers[i] : "column \(i + 1)", text))
                    }
                }
                try body(record)
                plan.tally.records += 1
            }
        } catch let e as CSVReader.Unterminated {
            throw PlanError(file: path, line: e.line, "a quoted field starting on this line is never closed")
        }
        if headers.isEmpty { throw PlanError(file: path, "has no header row") }
        return plan
    }

    /// Matches headings to fields by name or alias, ignoring case, spacing and punctuation.
    /// The first column to claim a field wins; later ones are kept as extras.
    private func mapColumns(_ headers: [String]) -> [Int?] {
        var byName: [String: Int] = [:]
        for (slot, f) in schema.fields.enumerated() {
            for name in [f.name] + f.aliases where byName[Self.normalise(name)] == nil {
                byName[Self.normalise(name)] = slot
            }
        }
        var taken = Set<Int>()
        return headers.map { h in
            guard let slot = byName[Self.normalise(h)], !taken.contains(slot) else { return nil }
            taken.insert(slot)
            return slot
        }
    }

    static func normalise(_ heading: String) -> String {
        heading.lowercased()
            .split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            .joined(separator: " ")
    }
}
