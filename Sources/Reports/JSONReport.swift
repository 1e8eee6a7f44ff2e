import Expressions
import PlanData
import Rules

/// The versioned JSON report (docs/json-output.md). Bump `schemaVersion` on any incompatible change.
public enum JSONReport {
    public static let schemaVersion = 1

    public static func render(_ result: CheckResult, toolVersion: String) -> String {
        InOrder.collected { try write(result, toolVersion: toolVersion, $0) }
    }

    /// Writes the report in chunks of about a megabyte, finding by finding, so that a run with
    /// millions of findings never holds the whole document in memory.
    public static func write(_ result: CheckResult, toolVersion: String, _ chunk: ([UInt8]) throws -> Void) throws {
        let bySeverity: [(String, JSON)] = Severity.allCases.reversed().filter { $0 != .off }.map { ($0.rawValue, .int(result.count($0))) }
        let summary: JSON = .object([
            ("records", .int(result.records)),
            ("rules", .int(result.stats.count)),
            ("findings", .int(result.findingCount)),
            ("by_severity", .object(bySeverity)),
            ("by_rule", counts(result)),
            ("evaluation_errors", .int(result.stats.reduce(0) { $0 + $1.errors })),
            ("waived", .int(result.findings.filter { $0.waiver != nil }.count)),
            ("baseline", result.baseline.map { b in
                .object([("new", .int(b.new)), ("unchanged", .int(b.unchanged)), ("resolved", .int(b.resolved))])
            } ?? .null),
        ])
        let head: [(String, JSON)] = [
            ("version", .int(schemaVersion)),
            ("tool", .object([("name", .string("stocktake")), ("version", .string(toolVersion))])),
            ("as_of", .string(result.asOf.description)),
            ("plan", .object([("file", .string(result.planFile)), ("name", result.planName.map(JSON.string) ?? .null)])),
            ("ruleset", .object([("name", .string(result.ruleSet)), ("version", .string(result.ruleSetVersion))])),
            ("summary", summary),
        ]
        // Laid out exactly as JSON.serialized(pretty:) lays out the whole document.
        var out = ByteBuffer(capacity: 4096)
        out.append(UInt8(ascii: "{"))
        for (key, value) in head {
            out.append("\n  ")
            out.appendQuoted(key)
            out.append(": ")
            value.write(into: &out, indent: 1)
            out.append(UInt8(ascii: ","))
        }
        out.append("\n  \"findings\": ")
        if result.findings.isEmpty {
            out.append("[]")
        } else {
            out.append(UInt8(ascii: "["))
            try chunk(out.bytes)
            // Findings are rendered on every core, a block at a time, and written in order.
            let findings = result.findings, block = 256
            let writers = InOrder.Writers { FindingJSON() }
            try InOrder.run((findings.count + block - 1) / block, make: { b -> [UInt8] in
                writers.with { writer in
                    var bytes = ByteBuffer(capacity: block * 1024)
                    for i in (b * block)..<min(findings.count, (b + 1) * block) {
                        if i > 0 { bytes.append(UInt8(ascii: ",")) }
                        bytes.append("\n    ")
                        writer.write(findings[i], into: &bytes)
                    }
                    return bytes.bytes
                }
            }, deliver: chunk)
            out = ByteBuffer(capacity: 16)
            out.append("\n  ]")
        }
        out.append("\n}\n")
        try chunk(out.bytes)
    }

    /// `{rule id: findings}` for every rule run, in rule order (0 when it did not fire).
    static func counts(_ result: CheckResult) -> JSON {
        .object(result.stats.map { ($0.rule, .int($0.flagged)) })
    }

    /// `--format summary`: only the per-rule counts, one line (the peers' agreement format).
    public static func summary(_ result: CheckResult) -> String {
        counts(result).serialized(pretty: false) + "\n"
    }

}

/// One finding of the JSON report, written straight to bytes in the layout `JSON.write` gives an
/// object at depth 2 (a report may hold millions: building a `JSON` tree for each cost more
/// than the rest of the run). The keys and their order are those of docs/json-output.md; each
/// key is written with its comma and indentation, worked out once. What findings of one kind
/// (rule and severity) or one plan file say alike is rendered once per writer, and copied.
struct FindingJSON {
    /// What findings of one kind write alike: from the opening brace to the ref's key, from
    /// `escalate_to` to `escalation`'s value, and the names of the values they list (the same
    /// for each, as a rule reads the same fields) with each one's key and the punctuation before it.
    private struct KindPieces {
        var head: [UInt8]
        var escalateTo: [UInt8]
        var valueNames: [String] = []
        var valueKeys: [[UInt8]] = []
    }

    private var kinds: [ObjectIdentifier: KindPieces] = [:]
    /// The last plan file: its `source` object up to the line number.
    private var file: (name: String, piece: [UInt8])?

    /// The pieces of `kind`, with keys for `values` (worked out again if a finding of the kind
    /// lists other names).
    private mutating func pieces(_ kind: FindingKind, _ values: [(name: String, value: Value)]) -> KindPieces {
        let id = ObjectIdentifier(kind)
        if let known = kinds[id], known.valueNames.count == values.count,
           values.indices.allSatisfy({ known.valueNames[$0] == values[$0].name }) { return known }
        var pieces = kinds[id] ?? Self.pieces(kind)
        pieces.valueNames = values.map(\.name)
        pieces.valueKeys = values.enumerated().map { i, v -> [UInt8] in
            var key = ByteBuffer(capacity: 32)
            key.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            key.append(K.indent(4))
            key.appendQuoted(v.name)
            key.append(K.colon)
            return key.bytes
        }
        kinds[id] = pieces
        return pieces
    }

    private static func pieces(_ kind: FindingKind) -> KindPieces {
        var head = ByteBuffer(capacity: 256), escalateTo = ByteBuffer(capacity: 128)
        head.append(K.rule); head.appendQuoted(kind.rule)
        head.append(K.title); head.appendQuoted(kind.title)
        head.append(K.severity); head.appendQuoted(kind.severity.rawValue)
        head.append(K.statutory); head.append(kind.statutory ? K.true : K.false)
        head.append(K.ref)
        escalateTo.append(K.escalateTo); strings(kind.escalateTo, depth: 3, into: &escalateTo)
        escalateTo.append(K.escalation)
        return KindPieces(head: head.bytes, escalateTo: escalateTo.bytes)
    }

    /// Per escalation level: from its id to its closing brace. Findings share levels (one per
    /// ladder step and recipients), and each is held by its findings while they are written.
    private var levels: [ObjectIdentifier: [UInt8]] = [:]

    private mutating func piece(_ e: EscalationLevel) -> [UInt8] {
        if let known = levels[ObjectIdentifier(e)] { return known }
        var piece = ByteBuffer(capacity: 128)
        piece.append(K.level); piece.appendQuoted(e.id)
        piece.append(K.name); piece.appendQuoted(e.name)
        piece.append(K.recipients); Self.strings(e.recipients, depth: 4, into: &piece)
        piece.append(K.close3)
        levels[ObjectIdentifier(e)] = piece.bytes
        return piece.bytes
    }

    private mutating func source(_ name: String) -> [UInt8] {
        if let file, file.name == name { return file.piece }
        var piece = ByteBuffer(capacity: 128)
        piece.append(K.source); piece.appendQuoted(name)
        piece.append(K.line)
        file = (name, piece.bytes)
        return file!.piece
    }

    /// Each finding's message, owners and values, read into buffers reused by the next.
    private let said = DetailsScratch()

    mutating func write(_ f: Finding, into out: inout ByteBuffer) {
        f.details(into: said)      // once: for rows of large tables it is worked out here
        let values = said.values
        let kind = pieces(f.kind, values)
        out.append(kind.head); out.appendQuoted(said.ref)
        out.append(K.priority); out.append(decimal: f.priority)
        out.append(K.message); said.message.withUnsafeBufferPointer { out.appendQuoted($0) }
        out.append(K.owners); Self.strings(said.owners, depth: 3, into: &out)
        out.append(kind.escalateTo)
        if let e = f.escalation { out.append(piece(e)) } else { out.append(K.null) }
        let source = f.source
        out.append(self.source(source.file)); out.append(decimal: source.line)
        if let c = source.column { out.append(K.column); out.append(decimal: c) }
        out.append(K.close3)
        out.append(K.values)
        if values.isEmpty {
            out.append(K.emptyObject)
        } else {
            for (key, v) in zip(kind.valueKeys, values) {
                out.append(key)
                Self.value(v.value, into: &out)
            }
            out.append(K.close3)
        }
        out.append(K.evaluationError); out.append(f.evaluationError ? K.true : K.false)
        out.append(K.waived)
        if let w = f.waiver {
            out.append(K.reason); out.appendQuoted(w.reason)
            out.append(K.approvedBy); out.appendQuoted(w.approvedBy)
            out.append(K.expires); out.appendQuoted(w.expires.description)
            out.append(K.waiverSource); out.appendQuoted(w.file)
            out.append(K.waiverLine); out.append(decimal: w.line)
            out.append(K.close4)
            out.append(K.close3)
        } else {
            out.append(K.null)
        }
        out.append(K.history)
        if let h = f.history {
            out.append(K.firstSeen); out.appendQuoted(h.firstSeen.description)
            out.append(K.runs); out.append(decimal: h.runs)
            out.append(K.close3)
        } else {
            out.append(K.null)
        }
        out.append(K.fingerprint)
        if let hash = said.fingerprintHash { out.appendQuoted(fingerprint: hash) } else { out.appendQuoted(said.fingerprint) }
        out.append(K.close2)
    }

    /// A value at depth 4: the common kinds directly, the rest through the `JSON` tree.
    private static func value(_ v: Value, into out: inout ByteBuffer) {
        switch v {
        case .null: out.append(K.null)
        case .string(let s): out.appendQuoted(s)
        case .date(let d): out.appendQuoted(d)
        default: JSON(v).write(into: &out, indent: 4)
        }
    }

    private static func strings(_ items: [String], depth: Int, into out: inout ByteBuffer) {
        guard !items.isEmpty else { out.append(K.emptyArray); return }
        for (i, item) in items.enumerated() {
            out.append(i == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
            out.append(K.indent(depth + 1))
            out.appendQuoted(item)
        }
        out.append(K.indent(depth))
        out.append(UInt8(ascii: "]"))
    }

    /// The fixed pieces: a key at its depth (with the comma before it), closings, literals. Static
    /// strings: both cores write findings at once, and reference-counted arrays would make them
    /// contend for every piece.
    private enum K {
        static func indent(_ depth: Int) -> StaticString {
            switch depth {
            case 3: return "\n      "
            case 4: return "\n        "
            case 5: return "\n          "
            default: return "\n            "
            }
        }
        static let rule: StaticString = "{\n      \"rule\": "
        static let title: StaticString = ",\n      \"title\": "
        static let severity: StaticString = ",\n      \"severity\": "
        static let statutory: StaticString = ",\n      \"statutory\": "
        static let ref: StaticString = ",\n      \"ref\": "
        static let priority: StaticString = ",\n      \"priority\": "
        static let message: StaticString = ",\n      \"message\": "
        static let owners: StaticString = ",\n      \"owners\": "
        static let escalateTo: StaticString = ",\n      \"escalate_to\": "
        static let escalation: StaticString = ",\n      \"escalation\": "
        static let level: StaticString = "{\n        \"level\": "
        static let name: StaticString = ",\n        \"name\": "
        static let recipients: StaticString = ",\n        \"recipients\": "
        static let source: StaticString = ",\n      \"source\": {\n        \"file\": "
        static let line: StaticString = ",\n        \"line\": "
        static let column: StaticString = ",\n        \"column\": "
        static let values: StaticString = ",\n      \"values\": "
        static let evaluationError: StaticString = ",\n      \"evaluation_error\": "
        static let waived: StaticString = ",\n      \"waived\": "
        static let reason: StaticString = "{\n        \"reason\": "
        static let approvedBy: StaticString = ",\n        \"approved_by\": "
        static let expires: StaticString = ",\n        \"expires\": "
        static let waiverSource: StaticString = ",\n        \"source\": {\n          \"file\": "
        static let waiverLine: StaticString = ",\n          \"line\": "
        static let history: StaticString = ",\n      \"history\": "
        static let firstSeen: StaticString = "{\n        \"first_seen\": "
        static let runs: StaticString = ",\n        \"runs\": "
        static let fingerprint: StaticString = ",\n      \"fingerprint\": "
        static let close2: StaticString = "\n    }"
        static let close3: StaticString = "\n      }"
        static let close4: StaticString = "\n        }"
        static let colon: StaticString = ": "
        static let null: StaticString = "null"
        static let `true`: StaticString = "true"
        static let `false`: StaticString = "false"
        static let emptyArray: StaticString = "[]"
        static let emptyObject: StaticString = "{}"
    }
}
