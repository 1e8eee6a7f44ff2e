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
    /// millions of findings never holds the whole document in memory. The head is laid out as
    /// `JSON.serialized()` lays it out; each finding is one line, as `serialized(pretty: false)`
    /// writes it: a report can be grepped and diffed finding by finding, and a national run's
    /// is a third smaller than with every key on a line of its own.
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
            ("plan", plan(result)),
            ("ruleset", .object([("name", .string(result.ruleSet)), ("version", .string(result.ruleSetVersion))])),
            ("notes", .array(result.notes.map(JSON.string))),
            ("summary", summary),
        ]
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

    /// The plan's file, name and 'as at' date, and for a table its rows by category (docs/json-output.md).
    static func plan(_ result: CheckResult) -> JSON {
        var pairs: [(String, JSON)] = [("file", .string(result.planFile)),
                                       ("name", result.planName.map(JSON.string) ?? .null),
                                       ("as_at", result.planAsAt.map { JSON.string($0.description) } ?? .null)]
        if let t = result.tally {
            let kinds = t.otherKinds.map { ($0.kind, JSON.int($0.count)) }
            pairs.append(("tally", .object(t.counts.map { ($0.name, JSON.int($0.count)) }
                + [("skipped_rows", .int(t.skipped.count)), ("not_records", .object(kinds))])))
        }
        return .object(pairs)
    }

    /// `{rule id: findings}` for every rule run, in rule order (0 when it did not fire).
    static func counts(_ result: CheckResult) -> JSON {
        .object(result.stats.map { ($0.rule, .int($0.flagged)) })
    }
}

/// One finding of the JSON report, written straight to bytes on one line, as `JSON.write`
/// writes an object without indentation (a report may hold millions: building a `JSON` tree for
/// each cost more than the rest of the run). The keys and their order are those of
/// docs/json-output.md; each key is written with the punctuation before it. What findings of
/// one kind (rule and severity), level or plan file say alike is rendered once per writer, and copied.
struct FindingJSON {
    /// What findings of one kind write alike: from the opening brace to the ref's key, from
    /// `escalate_to` to `escalation`'s value, and the names of the values they list (the same
    /// for each, as a rule reads the same fields) with each one's key and the punctuation before
    /// it. A class: it is fetched for every finding, and copying its arrays would count each.
    private final class KindPieces {
        let head: [UInt8]
        let escalateTo: [UInt8]
        var valueNames: [String] = []
        var valueKeys: [[UInt8]] = []

        init(_ kind: FindingKind) {
            var head = ByteBuffer(capacity: 256), escalateTo = ByteBuffer(capacity: 128)
            head.append(K.rule); head.appendQuoted(kind.rule)
            head.append(K.title); head.appendQuoted(kind.title)
            head.append(K.severity); head.appendQuoted(kind.severity.rawValue)
            head.append(K.statutory); head.append(kind.statutory ? K.true : K.false)
            head.append(K.ref)
            escalateTo.append(K.escalateTo); FindingJSON.strings(kind.escalateTo, into: &escalateTo)
            escalateTo.append(K.escalation)
            (self.head, self.escalateTo) = (head.bytes, escalateTo.bytes)
        }

        /// Where the names last asked for were (a rule's table findings name theirs from one place).
        private var namesAt: UnsafePointer<String>?

        /// Keys for values of these names, worked out again if a finding of the kind lists others.
        func keys(for names: some Collection<String>, at place: UnsafePointer<String>? = nil) -> [[UInt8]] {
            if place == nil || place != namesAt, !valueNames.elementsEqual(names) {
                valueNames = Array(names)
                valueKeys = valueNames.enumerated().map { i, name -> [UInt8] in
                    var key = ByteBuffer(capacity: 32)
                    key.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
                    key.appendQuoted(name)
                    key.append(UInt8(ascii: ":"))
                    return key.bytes
                }
            }
            namesAt = place
            return valueKeys
        }
    }

    private var kinds = IdentityTable<KindPieces>()

    /// Per escalation level: from its id to its closing brace. Findings share levels (one per
    /// ladder step and recipients), and each is held by its findings while they are written.
    private var levels = IdentityTable<[UInt8]>()

    private mutating func piece(_ e: EscalationLevel) -> [UInt8] {
        var piece = ByteBuffer(capacity: 128)
        piece.append(K.level); piece.appendQuoted(e.id)
        piece.append(K.name); piece.appendQuoted(e.name)
        piece.append(K.recipients); Self.strings(e.recipients, into: &piece)
        piece.append(K.close)
        levels[ObjectIdentifier(e)] = piece.bytes
        return piece.bytes
    }

    /// The `source` object up to the line number: by the table the finding's row is in (see
    /// `DetailsScratch.sourceKey`), and for other findings the last file's.
    private var tables = IdentityTable<[UInt8]>()
    private var file: (name: String, piece: [UInt8])?

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
        let kind = kinds[ObjectIdentifier(f.kind)] ?? {
            let made = KindPieces(f.kind)
            kinds[ObjectIdentifier(f.kind)] = made
            return made
        }()
        out.append(kind.head)
        if let ref = said.refCell { out.appendQuoted(ref) } else { out.appendQuoted(said.ref) }
        out.append(K.priority); out.append(decimal: f.priority)
        out.append(K.message); out.appendQuoted(said.message)
        out.append(K.owners)
        if let owner = said.ownerCell {
            if owner.isEmpty { out.append(K.emptyArray) } else { out.append(UInt8(ascii: "[")); out.appendQuoted(owner); out.append(UInt8(ascii: "]")) }
        } else {
            Self.strings(said.owners, into: &out)
        }
        out.append(kind.escalateTo)
        if let level = f.escalationIdentity { out.append(levels[level] ?? piece(f.escalation!)) } else { out.append(K.null) }
        if let table = said.sourceKey {
            out.append(tables[table] ?? {
                let piece = source(f.source.file)
                tables[table] = piece
                return piece
            }())
            out.append(decimal: said.line)
        } else {
            let source = f.source
            out.append(self.source(source.file)); out.append(decimal: source.line)
            if let c = source.column { out.append(K.column); out.append(decimal: c) }
        }
        if let cells = said.cellValues {
            if cells.isEmpty {
                out.append(K.closeSourceEmptyValues)
            } else {
                out.append(K.closeSourceValues)
                let names = said.valueNames
                for (key, cell) in zip(kind.keys(for: names, at: names.baseAddress), cells) {
                    out.append(key)
                    switch cell {
                    case .null: out.append(K.null)
                    case .text(let text), .date(let text): out.appendQuoted(text)
                    }
                }
                out.append(K.close)
            }
        } else {
            let values = said.values
            if values.isEmpty {
                out.append(K.closeSourceEmptyValues)
            } else {
                out.append(K.closeSourceValues)
                for (key, v) in zip(kind.keys(for: values.lazy.map(\.name)), values) {
                    out.append(key)
                    Self.value(v.value, into: &out)
                }
                out.append(K.close)
            }
        }
        let waiver = f.waiver, history = f.history
        if !f.evaluationError, waiver == nil, history == nil {
            out.append(K.plainTail)
        } else {
            out.append(K.evaluationError); out.append(f.evaluationError ? K.true : K.false)
            out.append(K.waived)
            if let w = waiver {
                out.append(K.reason); out.appendQuoted(w.reason)
                out.append(K.approvedBy); out.appendQuoted(w.approvedBy)
                out.append(K.expires); out.appendQuoted(w.expires.description)
                out.append(K.waiverSource); out.appendQuoted(w.file)
                out.append(K.waiverLine); out.append(decimal: w.line)
                out.append(K.close2)
            } else {
                out.append(K.null)
            }
            out.append(K.history)
            if let h = history {
                out.append(K.firstSeen); out.appendQuoted(h.firstSeen.description)
                out.append(K.runs); out.append(decimal: h.runs)
                out.append(K.close)
            } else {
                out.append(K.null)
            }
            out.append(K.fingerprint)
        }
        if let hash = said.fingerprintHash { out.appendQuoted(fingerprint: hash) } else { out.appendQuoted(said.fingerprint) }
        out.append(K.close)
    }

    /// A value: the common kinds directly, the rest through the `JSON` tree.
    private static func value(_ v: Value, into out: inout ByteBuffer) {
        switch v {
        case .null: out.append(K.null)
        case .string(let s): out.appendQuoted(s)
        case .date(let d): out.appendQuoted(d)
        default: JSON(v).write(into: &out, indent: nil)
        }
    }

    fileprivate static func strings(_ items: [String], into out: inout ByteBuffer) {
        guard !items.isEmpty else { out.append(K.emptyArray); return }
        for (i, item) in items.enumerated() {
            out.append(i == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
            out.appendQuoted(item)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The fixed pieces: a key with the punctuation before it, closings, literals. Static
    /// strings: both cores write findings at once, and reference-counted arrays would make them
    /// contend for every piece.
    fileprivate enum K {
        static let rule: StaticString = "{\"rule\":"
        static let title: StaticString = ",\"title\":"
        static let severity: StaticString = ",\"severity\":"
        static let statutory: StaticString = ",\"statutory\":"
        static let ref: StaticString = ",\"ref\":"
        static let priority: StaticString = ",\"priority\":"
        static let message: StaticString = ",\"message\":"
        static let owners: StaticString = ",\"owners\":"
        static let escalateTo: StaticString = ",\"escalate_to\":"
        static let escalation: StaticString = ",\"escalation\":"
        static let level: StaticString = "{\"level\":"
        static let name: StaticString = ",\"name\":"
        static let recipients: StaticString = ",\"recipients\":"
        static let source: StaticString = ",\"source\":{\"file\":"
        static let line: StaticString = ",\"line\":"
        static let column: StaticString = ",\"column\":"
        static let evaluationError: StaticString = ",\"evaluation_error\":"
        static let waived: StaticString = ",\"waived\":"
        static let reason: StaticString = "{\"reason\":"
        static let approvedBy: StaticString = ",\"approved_by\":"
        static let expires: StaticString = ",\"expires\":"
        static let waiverSource: StaticString = ",\"source\":{\"file\":"
        static let waiverLine: StaticString = ",\"line\":"
        static let history: StaticString = ",\"history\":"
        static let firstSeen: StaticString = "{\"first_seen\":"
        static let runs: StaticString = ",\"runs\":"
        static let fingerprint: StaticString = ",\"fingerprint\":"
        /// The usual finding's pieces from the end of its source to its values, and from there to
        /// its fingerprint's value (no evaluation error, waiver or history), each in one piece.
        static let closeSourceValues: StaticString = "},\"values\":"
        static let closeSourceEmptyValues: StaticString = "},\"values\":{}"
        static let plainTail: StaticString = ",\"evaluation_error\":false,\"waived\":null,\"history\":null,\"fingerprint\":"
        static let close: StaticString = "}"
        static let close2: StaticString = "}}"
        static let null: StaticString = "null"
        static let `true`: StaticString = "true"
        static let `false`: StaticString = "false"
        static let emptyArray: StaticString = "[]"
    }
}

extension JSONReport: ReportWriter {
    /// Every finding of the run, whatever `--top` and `--min-severity` list: the JSON report is
    /// the record `--baseline` and `diff` compare, and a cut one would make the rest look resolved.
    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try write(report.all, toolVersion: report.toolVersion, chunk)
    }
}
