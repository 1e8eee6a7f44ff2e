import Foundation

/// Static types, known before any record is read. `dyn` is "not known until run time".
public indirect enum CELType: Hashable, Sendable, CustomStringConvertible {
    case dyn, null, bool, int, uint, double, string, bytes, timestamp, duration, date, type
    case list(CELType)
    case map(CELType, CELType)

    public var description: String {
        switch self {
        case .dyn: return "dyn"
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .string: return "string"
        case .bytes: return "bytes"
        case .timestamp: return "timestamp"
        case .duration: return "duration"
        case .date: return "date"
        case .type: return "type"
        case .list(let e): return "list(\(e))"
        case .map(let k, let v): return "map(\(k), \(v))"
        }
    }

    /// Reads a type as rule files write it: `string`, `date`, `list(string)`, `map(string, int)`.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t {
        case "dyn", "any": self = .dyn
        case "bool": self = .bool
        case "int": self = .int
        case "uint": self = .uint
        case "double", "number": self = .double
        case "string": self = .string
        case "bytes": self = .bytes
        case "timestamp": self = .timestamp
        case "duration": self = .duration
        case "date": self = .date
        default:
            if t.hasPrefix("list("), t.hasSuffix(")"), let e = CELType(parsing: String(t.dropFirst(5).dropLast())) {
                self = .list(e)
            } else if t.hasPrefix("map("), t.hasSuffix(")") {
                let inner = t.dropFirst(4).dropLast()
                guard let comma = inner.firstIndex(of: ","),
                      let k = CELType(parsing: String(inner[..<comma])),
                      let v = CELType(parsing: String(inner[inner.index(after: comma)...])) else { return nil }
                self = .map(k, v)
            } else {
                return nil
            }
        }
    }

    /// The static type of a value (lists and maps as `list(dyn)` and `map(dyn, dyn)`).
    public static func of(_ v: Value) -> CELType {
        switch v {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int
        case .uint: return .uint
        case .double: return .double
        case .string: return .string
        case .bytes: return .bytes
        case .list: return .list(.dyn)
        case .map: return .map(.dyn, .dyn)
        case .timestamp: return .timestamp
        case .duration: return .duration
        case .date: return .date
        case .type: return .type
        }
    }

    public var isNumeric: Bool { self == .int || self == .uint || self == .double }

    /// Whether a value of static type `arg` may be passed where `self` is expected.
    public func accepts(_ arg: CELType) -> Bool {
        switch (self, arg) {
        case (.dyn, _), (_, .dyn): return true
        case let (.list(p), .list(a)): return p.accepts(a)
        case let (.map(pk, pv), .map(ak, av)): return pk.accepts(ak) && pv.accepts(av)
        default: return self == arg
        }
    }

    /// The common type of two branches or list elements.
    func join(_ other: CELType) -> CELType {
        if self == other { return self }
        if self == .null { return other }
        if other == .null { return self }
        return .dyn
    }
}

/// The value of a type denotation such as `int` or `google.protobuf.Timestamp`.
let typeDenotations: [String: String] = [
    "bool": "bool", "int": "int", "uint": "uint", "double": "double", "string": "string",
    "bytes": "bytes", "list": "list", "map": "map", "null_type": "null_type", "type": "type",
    "date": "date",
    "google.protobuf.Timestamp": "google.protobuf.Timestamp",
    "google.protobuf.Duration": "google.protobuf.Duration",
]
