import Foundation
import Expressions
import YAML

/// A plan read completely (for `plan show`); `check` streams records instead.
public struct Plan: Sendable {
    public var name: String?
    public var file: String
    public var records: [Record] = []
    public var tally = PlanTally()
    /// The date the plan's ratings are as at, when it says ("accurate as at 1 March 2024", or an
    /// `as-at:` key): its first such statement.
    public var asAt: Day?
}

/// Reads plan files of any supported format into records of one collection.
public struct PlanLoader: Sendable {
    public let schema: CollectionSchema
    public let reader: FieldReader
    /// For workbooks: the sheet to read (default: the first with a header row).
    public var sheet: String?
    /// An explicit table layout, for exports the heading heuristics get wrong.
    public var profile = PlanProfile()
    /// `plan show --explain-row N`: the line (or sheet row) whose reading the tally explains.
    public var explainRow: Int?

    public init(schema: CollectionSchema, owners: OwnerDirectory = OwnerDirectory()) {
        self.schema = schema
        self.reader = FieldReader(schema: schema, owners: owners)
        self.profile = PlanProfile(columns: schema.columns)
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
        // Marking duplicate refs needs every record first; collections without that field stream.
        guard let duplicateSlot = schema.slot(of: "duplicate_ref"), let keySlot = schema.slot(of: schema.key) else {
            return try readFormat(path: path, format: format, body)
        }
        var records: [Record] = []
        var plan = try readFormat(path: path, format: format) { records.append($0) }
        plan.tally.similarOwners = reviewOwners(&records)
        var counts: [String: Int] = [:]
        for r in records { if case .string(let k) = r.values[keySlot] { counts[k, default: 0] += 1 } }
        plan.tally.duplicateRefs = counts.filter { $0.value > 1 }.keys.sorted(by: naturalLess)
        for var r in records {
            if case .string(let k) = r.values[keySlot] { r.values[duplicateSlot] = .bool(counts[k]! > 1) } else { r.values[duplicateSlot] = .bool(false) }
            try body(r)
        }
        return plan
    }

    /// What the plan as a whole tells about its owners: owners run together that the plan names
    /// on their own elsewhere are split there, and names that may be one person written two ways
    /// are returned (for a plan-level note; only the owner directory merges them).
    private func reviewOwners(_ records: inout [Record]) -> [[String]] {
        guard let field = schema.ownerField, let slot = schema.slot(of: field) else { return [] }
        func names(_ r: Record) -> [String] {
            if case .list(let items) = r.values[slot] { return items.compactMap(\.stringValue) }
            return []
        }
        let known = Set(records.flatMap(names))
        let organisations = schema.slot(of: "owner_organisations")
        for i in records.indices {
            let before = names(records[i])
            let after = before.flatMap { name in
                reader.owners.canonical(name) != nil ? [name] : OwnerTitles.splitAtKnown(name, known)
            }
            guard after != before else { continue }
            var unique: [String] = []
            for n in after where !unique.contains(n) { unique.append(n) }
            records[i].values[slot] = .list(unique.map(Value.string))
            if let organisations, case .map(let m) = records[i].values[organisations], m.count > 0 {
                var split = MapValue()
                for (whole, parts) in zip(before, before.map { OwnerTitles.splitAtKnown($0, known) }) {
                    guard let org = m[.string(whole)] else { continue }
                    for p in parts { _ = split.insert(.string(p), org) }
                }
                records[i].values[organisations] = .map(split)
            }
        }
        return OwnerTitles.similarNames(records.flatMap(names))
    }

    private func readFormat(path: String, format: PlanFormat?, _ body: (Record) throws -> Void) throws -> Plan {
        let bytes = try Self.readBytes(path)
        return try (format ?? PlanFormat.detect(path: path, bytes: bytes)).reader.read(bytes, path: path, loader: self, body)
    }

    func readWorkbook(path: String, _ body: (Record) throws -> Void) throws -> Plan {
        let workbook = try XLSXReader(path: path)
        let sheets = try workbook.sheets()
        guard !sheets.isEmpty else { throw PlanError(file: path, "the workbook has no sheets") }
        var chosen: (XLSXReader.Sheet, [TableRow])?
        if let name = sheet ?? profile.sheet {
            guard let s = sheets.first(where: { $0.name == name }) else {
                throw PlanError(file: path, "no sheet named '\(name)'; sheets: \(sheets.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
            chosen = (s, try workbook.rows(of: s))
        } else {
            let probe = TableImporter(file: path, reader: reader, profile: profile)
            for s in sheets {
                let rows = try workbook.rows(of: s)
                if rows.prefix(100).contains(where: { probe.headerMapping($0.cells.map(CellText.clean), line: $0.line) != nil }) {
                    chosen = (s, rows)
                    break
                }
            }
        }
        guard let (sheet, rows) = chosen else {
            throw PlanError(file: path, "no sheet has a header row naming fields of '\(schema.name)' (sheets: "
                            + "\(sheets.map { "'\($0.name)'" }.joined(separator: ", "))); name one with --sheet")
        }
        var table = TableImporter(file: path, reader: reader, profile: profile)
        table.explainLine = explainRow
        table.noteAsAt(sheet.name, "\(path) sheet '\(sheet.name)'")
        for row in rows { try table.add(row, body) }
        try table.finish(body)
        return try finished(table, path)
    }

    /// The `plan-id:` a YAML or JSON plan declares at its top level (its identity in the run
    /// history); nil for tables and workbooks, which name theirs in a profile. Read before the
    /// check, which needs the plan's earlier runs; errors are left for the check to report.
    public static func declaredPlanID(path: String, format: PlanFormat? = nil) -> String? {
        guard let bytes = try? readBytes(path) else { return nil }
        let root: Node?
        switch format ?? PlanFormat.detect(path: path, bytes: bytes) {
        case .yaml: root = try? YAMLParser.parse(bytes)
        case .json: root = try? JSONReader.parse(bytes)
        default: return nil
        }
        guard let id = root?["plan-id"]?.scalar, !id.isEmpty else { return nil }
        return id
    }

    /// A YAML side file (owner directory, plan profile) as a node tree, errors as plan errors.
    static func readYAMLDocument(_ path: String, expecting what: String) throws -> Node {
        let bytes = try readBytes(path)
        do {
            guard let node = try YAMLParser.parse(bytes) else { throw PlanError(file: path, "is empty; expected \(what)") }
            return node
        } catch let e as YAMLError {
            throw PlanError(file: path, line: e.mark.line, column: e.mark.column, e.message)
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

    func readTree(path: String, bytes: [UInt8], json: Bool, _ body: (Record) throws -> Void) throws -> Plan {
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
                case "as-at", "as-of":
                    // The date the plan's ratings were written down: each record's `rated_on`.
                    guard let text = pair.value.scalar, let day = Day(iso: text) else {
                        throw error(path, pair.value, "'\(key)' must be a date (YYYY-MM-DD), the day the ratings are as at")
                    }
                    plan.asAt = day
                    plan.tally.asAt.append((PlanTally.Row(location: "\(path):\(pair.key.mark.line)", text: "\(key): \(text)",
                                                          reason: "ratings as at \(day)"), day))
                case "description", "version", "owner", "source":
                    break       // plan metadata, kept for people, not needed by the rules
                case "plan-id":
                    break       // the plan's identity in the run history (`declaredPlanID`)
                case "waivers":
                    break       // read by the checker as the plan's own waivers
                default:
                    throw error(path, pair.key, "unknown key '\(key)'" + Suggest.hint(for: key, among: ["plan", schema.name, "waivers"]))
                }
            }
            guard let found else {
                throw error(path, root, "no '\(schema.name):' list of records in this plan")
            }
            items = found
        } else {
            throw error(path, root, "a plan must be a list of records or a mapping with '\(schema.name):', not \(root.kindName)")
        }
        let ratedOn = schema.slot(of: "rated_on")
        for item in items {
            var r = try record(from: item, path: path)
            if let ratedOn, r.values[ratedOn].isNull, let day = plan.asAt { r.values[ratedOn] = .date(day) }
            try body(r)
            plan.tally.records += 1
        }
        return plan
    }

    /// One record from a YAML or JSON mapping. Rule examples may also set the fields readings
    /// fill (`allowDerived`), to test rules on them directly.
    public func record(from node: Node, path: String, allowDerived: Bool = false) throws -> Record {
        guard let pairs = node.mapping else {
            throw error(path, node, "each record must be a mapping of field: value, not \(node.kindName)")
        }
        var record = Record(values: reader.emptyValues,
                            source: SourceLocation(file: path, line: node.mark.line, column: node.mark.column))
        for pair in pairs {
            let key = pair.key.scalar ?? ""
            guard let slot = schema.slot(of: key) else {
                throw error(path, pair.key, "unknown field '\(key)'" + Suggest.hint(for: key, among: schema.fieldNames)
                            + "; declare it under 'collections:' in the rule set")
            }
            let field = schema.fields[slot]
            let value = pair.value
            if field.isCompanion && !allowDerived {
                let parent = schema.fields.first { $0.companions.contains { $0.name == key } }?.name ?? "another field"
                throw error(path, pair.key, "'\(key)' is worked out from '\(parent)'; set '\(parent)' instead")
            }
            if field.isCompanion {
                // Examples set derived fields as plain values of their type.
                do {
                    if let items = value.sequence {
                        guard case .list(let element) = field.type else { throw error(path, value, "'\(key)' is not a list") }
                        record.values[slot] = .list(try items.map { try FieldReader.typed($0.scalar ?? "", as: element) })
                    } else {
                        record.values[slot] = try FieldReader.typed(value.isNull ? "" : value.scalar ?? "", as: field.type)
                    }
                } catch let e as FieldReader.Invalid {
                    throw error(path, value, "\(key): \(e.message)")
                }
                continue
            }
            do {
                if let items = value.sequence {
                    guard case .list = field.type else { throw error(path, value, "'\(key)' must be a single value, not a list") }
                    var texts: [String] = []
                    for item in items {
                        guard let text = item.scalar else { throw error(path, item, "'\(key)' items must be scalars") }
                        texts.append(item.isNull ? "" : text)
                    }
                    try reader.assign(list: texts, to: slot, in: &record.values)
                } else {
                    guard let text = value.scalar else {
                        throw error(path, value, "'\(key)' must be a single value, not \(value.kindName)")
                    }
                    try reader.assign(value.isNull ? nil : text, to: slot, in: &record.values)
                }
            } catch let e as FieldReader.Invalid {
                throw error(path, value, "\(key): \(e.message)")
            }
        }
        Derivations.apply(to: &record.values, schema)
        return record
    }

    private func error(_ path: String, _ node: Node, _ message: String) -> PlanError {
        PlanError(file: path, line: node.mark.line, column: node.mark.column, message)
    }

    // MARK: CSV and TSV

    func readTable(path: String, bytes: [UInt8], delimiter: UInt8, _ body: (Record) throws -> Void) throws -> Plan {
        try Self.checkUTF8(bytes, path)
        var csv = CSVReader(bytes: bytes, delimiter: delimiter)
        var table = TableImporter(file: path, reader: reader, profile: profile)
        table.explainLine = explainRow
        do {
            while let row = try csv.next() {
                try table.add(TableRow(cells: row.fields, line: row.line), body)
            }
        } catch let e as CSVReader.Unterminated {
            throw PlanError(file: path, line: e.line, "a quoted field starting on this line is never closed")
        }
        try table.finish(body)
        return try finished(table, path)
    }

    /// Text tables must be UTF-8; the error names the line of the first bad byte.
    static func checkUTF8(_ bytes: [UInt8], _ path: String) throws {
        guard let bad = YAMLParser.firstInvalidUTF8(bytes) else { return }
        let line = bytes[..<bad].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        throw PlanError(file: path, line: line, "invalid UTF-8 byte 0x\(String(bytes[bad], radix: 16, uppercase: true)); save the file as UTF-8")
    }

    /// The plan's name and tally, or an error when no table was found.
    func finished(_ table: TableImporter, _ path: String) throws -> Plan {
        guard table.tally.headerRows > 0 else { throw table.noActionTable() }
        var plan = Plan(name: table.planName, file: path)
        plan.tally = table.tally
        plan.asAt = table.tally.asAt.first?.day
        return plan
    }
}
