import Foundation
import Expressions
import Timescales

/// Reads a field's text into its typed value and its companions (see `FieldSpec.Reading`).
public struct FieldReader: Sendable {
    public let schema: CollectionSchema
    public let owners: OwnerDirectory
    let timescales: TimescaleParser

    /// For each field, its companions' slots by name, worked out once (this runs for every cell).
    private let companionSlots: [[String: Int]]
    /// A record with nothing filled in: readings of absent cells already applied, so that list
    /// companions are empty lists rather than null (`size(due_revisions)` works on every record).
    public private(set) var emptyValues: [Value] = []

    public init(schema: CollectionSchema, owners: OwnerDirectory = OwnerDirectory(), calendar: TermCalendar = .uk) {
        self.schema = schema
        self.owners = owners
        self.timescales = TimescaleParser(calendar: calendar)
        companionSlots = schema.fields.map { field in
            var slots: [String: Int] = [:]
            for c in field.companions { slots[c.name] = schema.slot(of: c.name) }
            return slots
        }
        var empty = [Value](repeating: .null, count: schema.fields.count)
        for (slot, field) in schema.fields.enumerated() where field.reading != .plain {
            try? assign(nil, to: slot, in: &empty)
        }
        emptyValues = empty
    }

    /// Why a text could not be read as its field's type.
    public struct Invalid: Error { public var message: String }

    /// Stores `text` (nil or blank: absent) in the field at `slot` and fills its companions.
    public func assign(_ text: String?, to slot: Int, in values: inout [Value]) throws(Invalid) {
        let field = schema.fields[slot]
        let t = text.map(trimmed) ?? ""
        let companions = companionSlots[slot]
        func set(_ suffix: String, _ v: Value, prefix: String = "") {
            if let s = companions[prefix.isEmpty ? field.name + suffix : prefix + field.name] { values[s] = v }
        }
        let textValue: Value = t.isEmpty ? .null : .string(t)
        switch field.reading {
        case .plain:
            values[slot] = try Self.typed(t, as: field.type)
            if field.type == .date, let s = companions.first?.value { values[s] = textValue }
        case .ref:
            values[slot] = t.isEmpty ? .null : .string(Refs.normalise(t))
            set("_text", textValue)
        case .timescale:
            let ts = timescales.parse(t)
            values[slot] = ts.effective.map(Value.date) ?? .null
            set("_text", textValue)
            set("_original", ts.original.map(Value.date) ?? .null)
            set("_revisions", .list(ts.revisions.map(Value.date)))
            set("_recurrence", ts.recurrence.map(Value.string) ?? .null)
            set("_parsed", t.isEmpty ? .null : .bool(ts.parsed))
        case .people:
            let tagged = owners.splitTagged(t)
            try assignPeople(tagged.map(\.name), to: slot, in: &values)
            set("_text", textValue)
            if field.name == schema.ownerField, let s = schema.slot(of: "owner_organisations") {
                var m = MapValue()
                for (name, org) in tagged {
                    if let org { _ = m.insert(.string(owners.canonical(name) ?? name), .string(org)) }
                }
                values[s] = .map(m)
            }
        case .log:
            values[slot] = textValue
            let log = ProgressLog.entries(in: t)
            set("_entries", .list(log.entries.map { e in
                var m = MapValue()
                m.insert(.string("date"), .date(e.date))
                m.insert(.string("author"), e.author.map(Value.string) ?? .null)
                m.insert(.string("text"), .string(e.text))
                return .map(m)
            }))
            set("_latest", log.entries.map(\.date).max().map(Value.date) ?? .null)
        }
    }

    /// A YAML or JSON list for a list field.
    public func assign(list items: [String], to slot: Int, in values: inout [Value]) throws(Invalid) {
        let field = schema.fields[slot]
        if field.reading == .people {
            try assignPeople(items.flatMap { owners.split($0) }, to: slot, in: &values)
            if let s = schema.slot(of: field.name + "_text") { values[s] = .string(items.joined(separator: "; ")) }
            return
        }
        guard case .list(let element) = field.type else { throw Invalid(message: "is not a list field") }
        var out: [Value] = []
        for item in items { out.append(try Self.typed(trimmed(item), as: element)) }
        values[slot] = .list(out)
    }

    private func assignPeople(_ names: [String], to slot: Int, in values: inout [Value]) throws(Invalid) {
        var resolved: [String] = [], unknown: [String] = []
        for n in names {
            if let c = owners.canonical(n) {
                if !resolved.contains(c) { resolved.append(c) }
            } else {
                if !resolved.contains(n) { resolved.append(n) }
                if !owners.entries.isEmpty && !unknown.contains(n) { unknown.append(n) }
            }
        }
        let field = schema.fields[slot]
        switch field.type {
        case .list: values[slot] = .list(resolved.map(Value.string))
        default: values[slot] = resolved.isEmpty ? .null : .string(resolved.joined(separator: "; "))
        }
        if let s = schema.slot(of: "unknown_" + field.name) { values[s] = .list(unknown.map(Value.string)) }
    }

    /// Plain text as a value of `type`; empty text is null.
    static func typed(_ t: String, as type: CELType) throws(Invalid) -> Value {
        if t.isEmpty { return .null }
        switch type {
        case .string, .dyn: return .string(t)
        case .int:
            guard let v = Int64(t) else { throw Invalid(message: "'\(t)' is not a whole number") }
            return .int(v)
        case .uint:
            guard let v = UInt64(t) else { throw Invalid(message: "'\(t)' is not a non-negative whole number") }
            return .uint(v)
        case .double:
            guard let v = Double(t.replacingOccurrences(of: ",", with: "")), v.isFinite else { throw Invalid(message: "'\(t)' is not a number") }
            return .double(v)
        case .bool:
            switch t.lowercased() {
            // 1 and 0 are how statutory returns (SEN2's flags) and their exports write them.
            case "true", "yes", "y", "1": return .bool(true)
            case "false", "no", "n", "0": return .bool(false)
            default: throw Invalid(message: "'\(t)' is not true/false, yes/no or 1/0")
            }
        case .date:
            // An unreadable date is null here; the text stays in `<field>_text` for rules to see.
            return Day(iso: t).map(Value.date) ?? .null
        case .list(let element):
            var items: [Value] = []
            for p in t.split(whereSeparator: { $0 == ";" || $0 == "\n" }).map(trimmed) where !p.isEmpty {
                items.append(try typed(p, as: element))
            }
            return .list(items)
        default:
            throw Invalid(message: "fields of type \(type) cannot be read from text")
        }
    }
}

/// Trims white space at both ends. Faster than Foundation's `trimmingCharacters(in:)`, which
/// dominated plan loading; text without surrounding space is returned without copying.
func trimmed(_ s: some StringProtocol) -> String {
    // Fast path: most cells have no space at either end (checked on bytes, not Characters).
    if let string = s as? String, let a = string.utf8.first, let z = string.utf8.last,
       a > 0x20, a < 0x80, z > 0x20, z < 0x80 { return string }
    guard let first = s.firstIndex(where: { !$0.isWhitespace }) else { return "" }
    let last = s.lastIndex(where: { !$0.isWhitespace })!
    if first == s.startIndex && last == s.index(before: s.endIndex), let string = s as? String { return string }
    return String(s[first...last])
}

/// Reference numbers as plans write them.
public enum Refs {
    /// `PAP: 1.1` → `1.1`; `3.1.1 [3.2-3.5]` → `3.1.1`; `PAP5B:1`, `1:1a`, `HP 4` stay as they are
    /// (spacing normalised). The original is kept by the caller.
    public static func normalise(_ text: String) -> String {
        var s = text
        // Cross-references in square brackets are notes, not part of the ref.
        while let open = s.firstIndex(of: "["), let close = s[open...].firstIndex(of: "]") {
            s.removeSubrange(open...close)
        }
        s = s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        // A word prefix with a colon before a numeric ref: "PAP: 1.1", "Action: 2.3".
        if let colon = s.firstIndex(of: ":"), s[..<colon].allSatisfy(\.isLetter) {
            let rest = trimmed(s[s.index(after: colon)...])
            if let first = rest.first, first.isNumber { return rest }
        }
        return s
    }

    /// Whether a cell looks like the ref of an action rather than prose: short, with a number.
    static func looksLikeRef(_ text: String) -> Bool {
        // Fast path for plain codes ("C0000123", "1.10"): short, no spaces or brackets, with a digit.
        let bytes = text.utf8
        if bytes.count <= 16, bytes.contains(where: { $0 >= 0x30 && $0 <= 0x39 }),
           !bytes.contains(where: { $0 == 0x20 || $0 == 0x5B || $0 == 0x3A }) { return true }
        let s = normalise(text)
        guard !s.isEmpty, s.count <= 16, s.contains(where: \.isNumber) else { return false }
        return s.split(separator: " ").count <= 2
    }
}

/// Orders refs as people number them: 1.2 before 1.10, 2.9 before 10.1.
public func naturalLess(_ a: String, _ b: String) -> Bool {
    naturalLess(Array(a.utf8), Array(b.utf8))
}

public func naturalLess(_ x: [UInt8], _ y: [UInt8]) -> Bool {
    x.withUnsafeBufferPointer { a in y.withUnsafeBufferPointer { b in naturalLess(a, b) } }
}

/// A number that orders refs of the commonest shape as `naturalLess` does, so that sorting
/// millions of them rarely walks their bytes: up to four non-digit bytes then one run of digits
/// (`C0000123`, `A12`, `7`). Nil for any other ref. For two refs with keys, a smaller key means
/// naturally less; equal keys can still be different refs (`C7`, `C007`), left to `naturalLess`.
///
/// Why it agrees: the prefix is padded with "0" to four bytes, and where one prefix ends inside
/// the other, `naturalLess` compares a digit with a non-digit byte, which orders the same way
/// against "0" as against any digit. Equal prefixes leave the numbers, compared as numbers.
public func naturalKey(_ ref: UnsafeBufferPointer<UInt8>) -> UInt64? {
    var prefix: UInt64 = 0, i = 0
    while i < ref.count, !(0x30...0x39).contains(ref[i]) {
        guard i < 4 else { return nil }
        prefix = prefix << 8 | UInt64(ref[i])
        i += 1
    }
    guard i < ref.count else { return nil }       // no digits
    for _ in i..<4 { prefix = prefix << 8 | 0x30 }
    var number: UInt64 = 0
    while i < ref.count {
        let digit = ref[i] &- 0x30
        guard digit < 10 else { return nil }
        number = number * 10 + UInt64(digit)
        guard number <= UInt64(UInt32.max) else { return nil }
        i += 1
    }
    return prefix << 32 | number
}

public func naturalLess(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    var i = 0, j = 0
    while i < x.count && j < y.count {
        if isDigit(x[i]) && isDigit(y[j]) {
            // Compare digit runs as numbers: skip leading zeros, then longer is larger.
            var si = i, sj = j
            while si < x.count, x[si] == 0x30 { si += 1 }
            while sj < y.count, y[sj] == 0x30 { sj += 1 }
            var ei = si, ej = sj
            while ei < x.count, isDigit(x[ei]) { ei += 1 }
            while ej < y.count, isDigit(y[ej]) { ej += 1 }
            if ei - si != ej - sj { return ei - si < ej - sj }
            if !x[si..<ei].elementsEqual(y[sj..<ej]) { return x[si..<ei].lexicographicallyPrecedes(y[sj..<ej]) }
            i = ei
            j = ej
            continue
        }
        if x[i] != y[j] { return x[i] < y[j] }
        i += 1
        j += 1
    }
    return i == x.count && j < y.count
}
