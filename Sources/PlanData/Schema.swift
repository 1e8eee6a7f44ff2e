import Expressions

/// One typed field of a collection. Types come from here, never from guessing at the data:
/// a ref `1.10` is text because the schema says `ref: string`.
public struct FieldSpec: Sendable, Hashable {
    /// How a field's text is read, beyond its type. Special readings add companion fields
    /// (named `<field>_…`) that keep what the reading found, so rules can see it.
    public enum Reading: String, Sendable, Hashable {
        case plain
        /// A reference such as `PAP: 1.1`: normalised to `1.1`; `<field>_text` keeps the original.
        case ref
        /// Free-text timescale (`Sep-23`, `May-24 Revised date: June 24`, `TBC`): the field is the
        /// effective due date; `_text`, `_original`, `_revisions`, `_recurrence`, `_parsed` keep the rest.
        case timescale
        /// One or more owners in one cell: split and resolved through the owner directory;
        /// `_text` keeps the cell, and `unknown_<field>` lists names the directory does not know.
        case people
        /// A running log of dated updates: `_entries` (date, author, text) and `_latest` (the newest date).
        case log
    }

    public var name: String
    public var type: CELType
    public var reading: Reading
    /// Other column headings that mean this field ("Owner", "Lead", "Action Owner" …).
    public var aliases: [String]
    /// Set on fields a reading adds; they are filled by the reading, never from a column.
    public var isCompanion = false

    public init(_ name: String, _ type: CELType, reading: Reading = .plain, aliases: [String] = []) {
        self.name = name
        self.type = type
        self.reading = reading
        self.aliases = aliases
    }

    static func companion(_ name: String, _ type: CELType) -> FieldSpec {
        var f = FieldSpec(name, type)
        f.isCompanion = true
        return f
    }

    /// The companions a reading adds, in order.
    public var companions: [FieldSpec] {
        switch reading {
        case .plain: return type == .date ? [.companion(name + "_text", .string)] : []
        case .ref: return [.companion(name + "_text", .string)]
        case .timescale:
            return [.companion(name + "_text", .string), .companion(name + "_original", .date),
                    .companion(name + "_revisions", .list(.date)), .companion(name + "_recurrence", .string),
                    .companion(name + "_parsed", .bool)]
        case .people: return [.companion(name + "_text", .string), .companion("unknown_" + name, .list(.string))]
        case .log: return [.companion(name + "_entries", .list(.map(.string, .dyn))), .companion(name + "_latest", .date)]
        }
    }
}

/// The fields of one kind of record (`actions`, `cases`), in slot order.
public struct CollectionSchema: Sendable {
    public var name: String
    /// The field that identifies a record across runs (for fingerprints and ordering).
    public var key: String
    /// The field naming who owns a record (a list or a single name), for escalation.
    public var ownerField: String?
    /// Explicit heading (or column letter) → field mappings, from the rule set's `columns:`.
    public var columns: [String: String] = [:]
    public private(set) var fields: [FieldSpec] = []
    private var slots: [String: Int] = [:]

    public init(name: String, key: String, ownerField: String? = nil, fields: [FieldSpec]) {
        self.name = name
        self.key = key
        self.ownerField = ownerField
        for f in fields { add(f) }
    }

    /// Adds a field with its companions, or redefines an existing one.
    public mutating func add(_ field: FieldSpec) {
        if let slot = slots[field.name] {
            fields[slot] = field
        } else {
            slots[field.name] = fields.count
            fields.append(field)
        }
        for c in field.companions where slots[c.name] == nil { add(c) }
    }

    public func slot(of name: String) -> Int? { slots[name] }

    public var fieldNames: [String] { fields.map(\.name) }

    /// Declares every field in an expression environment, in slot order.
    public func declare(in env: inout Environment) {
        for f in fields { env.declare(f.name, f.type) }
    }

    /// The built-in schema of improvement-plan actions.
    public static let actions = CollectionSchema(name: "actions", key: "ref", ownerField: "owners", fields: [
        FieldSpec("ref", .string, reading: .ref, aliases: ["id", "reference", "action ref", "outcome ref", "no", "number", "action no"]),
        FieldSpec("section", .string, aliases: ["priority area", "workstream", "theme"]),
        FieldSpec("section_lead", .string),
        FieldSpec("action", .string, aliases: ["actions", "title", "description", "action description",
                                                 "actions what we will do", "what we will do",
                                                 "activity", "activities", "key actions"]),
        FieldSpec("owners", .list(.string), reading: .people,
                  aliases: ["owner", "lead", "leads", "action owner", "lead officer", "responsible", "lead delivery partners", "action lead"]),
        FieldSpec("due", .date, reading: .timescale,
                  aliases: ["timescale", "timescales", "deadline", "due date", "due by", "completion date", "target date", "by when"]),
        FieldSpec("status", .string, aliases: ["rag", "rag status", "ra", "action rating", "rating", "rag rating"]),
        FieldSpec("status_inferred", .string),
        // The date the rating was given: a column of its own, or the plan's "as at" date.
        FieldSpec("rated_on", .date, aliases: ["rating date", "rag date", "rated on", "status date", "date of rating",
                                               "rating as at", "rag as at", "last updated", "date last updated",
                                               "date updated"]),
        FieldSpec("baseline", .string),
        FieldSpec("target", .string),
        FieldSpec("targets", .list(.string)),
        FieldSpec("success", .string, aliases: ["success criteria", "success measure", "success measures", "how will we know",
                                                 "success criteria how we know it s achieved", "measure", "measures",
                                                 "outcomes for success"]),
        FieldSpec("success_dates", .list(.date)),
        FieldSpec("progress", .string, reading: .log,
                  aliases: ["progress update", "update", "updates", "progress what steps we have taken so far",
                            "progress against actions impact rag rating", "progress against actions"]),
        FieldSpec("outcome", .string, aliases: ["outcome impact", "impact", "outcome impact the difference this made", "outcomes"]),
        FieldSpec("evidence", .string, aliases: ["evidence of impact", "evidence how we show this"]),
        FieldSpec("mitigation", .string, aliases: ["mitigation plan", "mitigations"]),
        FieldSpec("partners", .string, aliases: ["delivery partners", "partners"]),
        FieldSpec("resource", .string, aliases: ["resource", "resources", "resource cost and or time", "cost"]),
        FieldSpec("duplicate_ref", .bool),
        // "action", or "reference" for a row that only points at other refs ("See 2.4.1 and 2.4.2").
        FieldSpec("kind", .string),
        // The refs a row points at: a reference row's targets, a ref cell's bracketed links.
        FieldSpec("references", .list(.string)),
        // The merged ref cell a row sits under ("PAP 1:1" for "1:1a - …").
        FieldSpec("parent", .string),
        // Owner → organisation, from labels such as "LA:" or "ICB:" in the owner cell.
        FieldSpec("owner_organisations", .map(.string, .string)),
    ])
}
