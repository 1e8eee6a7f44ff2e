import Foundation
import YAML

/// An explicit description of a table layout, for exports the heading heuristics get wrong
/// (`--profile layout.yaml`, or `columns:` in the rule set):
///
/// ```yaml
/// columns:                  # heading as written, or column letter → field
///   "Action Ref": ref
///   "What": action
///   D: due
/// header-row: 4             # optional: the header's line (CSV/TSV) or row (XLSX)
/// sheet: Priority Action Plan
/// plan-id: oldham-pap      # optional: the plan's identity in the run history
/// ```
public struct PlanProfile: Sendable, Equatable {
    /// Normalised heading, or upper-case column letters → field name.
    public var columns: [String: String] = [:]
    public var headerRow: Int?
    public var sheet: String?
    /// The plan's identity in the run history, for exports whose file name changes each month.
    public var planID: String?

    public init(columns: [String: String] = [:], headerRow: Int? = nil, sheet: String? = nil) {
        self.columns = Dictionary(columns.map { (Self.key($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.headerRow = headerRow
        self.sheet = sheet
    }

    static func key(_ heading: String) -> String {
        let trimmed = heading.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.count <= 3, trimmed.allSatisfy({ $0.isASCII && $0.isUppercase }) { return trimmed }
        return TableImporter.normalise(trimmed)
    }

    var isEmpty: Bool { columns.isEmpty && headerRow == nil }

    /// Reads a profile file, checking every field name against the schema.
    public static func load(path: String, schema: CollectionSchema) throws -> PlanProfile {
        let root = try PlanLoader.readYAMLDocument(path, expecting: "a plan profile")
        guard let pairs = root.mapping else {
            throw PlanError(file: path, line: root.mark.line, column: root.mark.column, "a plan profile is a mapping with 'columns:'")
        }
        var profile = PlanProfile()
        for pair in pairs {
            let key = pair.key.scalar ?? ""
            switch key {
            case "columns":
                profile.columns = try columns(pair.value, schema: schema) { mark, message in
                    PlanError(file: path, line: mark.line, column: mark.column, message)
                }
            case "header-row":
                guard let n = pair.value.scalar.flatMap(Int.init), n > 0 else {
                    throw PlanError(file: path, line: pair.value.mark.line, column: pair.value.mark.column, "'header-row' must be a row number")
                }
                profile.headerRow = n
            case "sheet":
                profile.sheet = pair.value.scalar
            case "plan-id":
                guard let id = pair.value.scalar, !id.isEmpty else {
                    throw PlanError(file: path, line: pair.value.mark.line, column: pair.value.mark.column, "'plan-id' must be a name")
                }
                profile.planID = id
            default:
                throw PlanError(file: path, line: pair.key.mark.line, column: pair.key.mark.column,
                                "unknown key '\(key)'; a plan profile has columns, header-row, sheet and plan-id")
            }
        }
        return profile
    }

    /// Reads a `columns:` mapping; `fail` builds the error for a position.
    public static func columns(_ node: Node, schema: CollectionSchema, fail: (Mark, String) -> Error) throws -> [String: String] {
        guard let pairs = node.mapping else { throw fail(node.mark, "'columns' maps headings or column letters to fields") }
        var out: [String: String] = [:]
        for pair in pairs {
            guard let heading = pair.key.scalar, let field = pair.value.scalar else { throw fail(pair.key.mark, "each column maps to a field name") }
            guard let slot = schema.slot(of: field), !schema.fields[slot].isCompanion else {
                let names = schema.fields.filter { !$0.isCompanion }.map(\.name)
                let close = names.min { lhs, rhs in lhs.commonPrefix(with: field).count > rhs.commonPrefix(with: field).count }
                throw fail(pair.value.mark, "'\(field)' is not a field of '\(schema.name)'" + (close.map { " (did you mean '\($0)'?)" } ?? ""))
            }
            out[key(heading)] = field
        }
        return out
    }
}
