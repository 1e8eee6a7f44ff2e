import Expressions

/// One typed field of a collection. Types come from here, never from guessing at the data:
/// a ref `1.10` is text because the schema says `ref: string`.
public struct FieldSpec: Sendable, Hashable {
    public var name: String
    public var type: CELType
    /// Other column headings that mean this field ("Owner", "Lead", "Action Owner" …).
    public var aliases: [String]

    public init(_ name: String, _ type: CELType, aliases: [String] = []) {
        self.name = name
        self.type = type
        self.aliases = aliases
    }
}

/// The fields of one kind of record (`actions`, `cases`), in slot order.
public struct CollectionSchema: Sendable {
    public var name: String
    /// The field that identifies a record across runs (for fingerprints and ordering).
    public var key: String
    /// The field naming who owns a record (a list or a single name), for escalation.
    public var ownerField: String?
    public private(set) var fields: [FieldSpec] = []
    private var slots: [String: Int] = [:]

    public init(name: String, key: String, ownerField: String? = nil, fields: [FieldSpec]) {
        self.name = name
        self.key = key
        self.ownerField = ownerField
        for f in fields { add(f) }
    }

    /// Adds a field, or retypes an existing one. A `date` field also gets `<name>_text`, which keeps
    /// the original text, so an unreadable date is visible to rules instead of silently null.
    public mutating func add(_ field: FieldSpec) {
        if let slot = slots[field.name] {
            fields[slot] = field
        } else {
            slots[field.name] = fields.count
            fields.append(field)
        }
        if field.type == .date, slots[field.name + "_text"] == nil {
            add(FieldSpec(field.name + "_text", .string))
        }
    }

    public func slot(of name: String) -> Int? { slots[name] }

    public var fieldNames: [String] { fields.map(\.name) }

    /// Declares every field in an expression environment, in slot order.
    public func declare(in env: inout Environment) {
        for f in fields { env.declare(f.name, f.type) }
    }

    /// The built-in schema of improvement-plan actions.
    public static let actions = CollectionSchema(name: "actions", key: "ref", ownerField: "owners", fields: [
        FieldSpec("ref", .string, aliases: ["id", "reference", "action ref", "outcome ref", "no", "number"]),
        FieldSpec("section", .string, aliases: ["priority area", "workstream", "theme"]),
        FieldSpec("action", .string, aliases: ["actions", "title", "description", "action description", "actions what we will do"]),
        FieldSpec("owners", .list(.string), aliases: ["owner", "lead", "leads", "action owner", "lead officer", "responsible"]),
        FieldSpec("due", .date, aliases: ["timescale", "deadline", "due date", "due by", "completion date", "target date"]),
        FieldSpec("status", .string, aliases: ["rag", "rag status", "ra", "action rating", "rating"]),
        FieldSpec("baseline", .string),
        FieldSpec("target", .string),
        FieldSpec("success", .string, aliases: ["success criteria", "success measure", "how will we know", "measure"]),
        FieldSpec("progress", .string, aliases: ["progress update", "update", "updates"]),
        FieldSpec("evidence", .string, aliases: ["evidence of impact"]),
        FieldSpec("mitigation", .string, aliases: ["mitigation plan", "mitigations"]),
    ])
}
