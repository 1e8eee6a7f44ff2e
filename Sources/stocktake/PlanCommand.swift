import ArgumentParser
import Expressions
import Foundation
import PlanData
import Reports
import Rules
import Timescales

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Inspect plan data as stocktake reads it.",
        subcommands: [Show.self, TimescaleCommand.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the normalised records of a plan, with source positions and a tally of every row."
        )

        @Argument(help: ArgumentHelp("The plan: \(PlanFormat.names).", valueName: "plan"))
        var plan: String

        @OptionGroup var ruleOptions: RuleOptions
        @OptionGroup var input: PlanInputOptions

        @Option(help: ArgumentHelp("text or json.", valueName: "format"))
        var format = "text"

        @Option(name: .customLong("explain-row"), help: ArgumentHelp(
            "Say only how the row at this line (of a CSV or TSV file; of the sheet, for a workbook) was read: "
                + "which table it sits in, what it was taken for and by which rule.", valueName: "line"))
        var explainRow: Int?

        func validate() throws {
            guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
            if let explainRow, explainRow < 1 { throw ValidationError("--explain-row must be a line number from 1") }
        }

        func run() throws {
            var schema = CollectionSchema.actions
            if !ruleOptions.rules.isEmpty || ruleOptions.collection != nil {
                let set = try ruleOptions.load()
                schema = set.collections[try ruleOptions.collectionName(for: set)]!
            }
            var loader = try input.loader(for: schema)
            loader.explainRow = explainRow
            let loaded = try loadingPlan { try loader.load(path: plan, format: input.inputFormat) }
            if let explainRow {
                guard let why = loaded.tally.explanation else {
                    throw Failure("\(plan): error: no row of a table starts at line \(explainRow) (--explain-row reads "
                                  + "the lines of CSV and TSV files and the rows of a workbook's sheet)", .usage)
                }
                if format == "json" {
                    let doc: JSON = .object([("file", .string(plan)), ("row", .int(explainRow)),
                                             ("explanation", .string(why))])
                    Output.standardOutput(doc.serialized() + "\n")
                } else {
                    Output.terminalText("\(plan): \(why)\n")
                }
                return
            }
            if format == "json" {
                Output.standardOutput(PlanJSON.render(loaded, schema))
            } else {
                Output.terminalText(PlanText.render(loaded, schema))
            }
        }
    }

    struct TimescaleCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "timescale",
            abstract: "Show how a timescale text is read: original due date, revisions, effective date, recurrence."
        )

        @Argument(help: ArgumentHelp("The text, e.g. \"May-24 Revised date: June 24\".", valueName: "text"))
        var text: String

        @Option(help: ArgumentHelp("text or json.", valueName: "format"))
        var format = "text"

        func run() throws {
            let t = TimescaleParser().parse(text)
            if format == "json" {
                Output.standardOutput(PlanJSON.timescale(t).serialized() + "\n")
                return
            }
            var out = "text:       \(t.text)\nkind:       \(t.kind.rawValue)\n"
            out += "original:   \(t.original?.description ?? "-")\n"
            out += "revisions:  \(t.revisions.isEmpty ? "-" : t.revisions.map(\.description).joined(separator: ", "))\n"
            out += "effective:  \(t.effective?.description ?? "-")\n"
            out += "recurrence: \(t.recurrence ?? "-")\n"
            out += "remainder:  \(t.remainder ?? "-")\n"
            Output.terminalText(out)
        }
    }
}

/// `plan show --format json` (docs/plan-data.md): each field with its companions grouped —
/// a timescale as {text, original, effective, revisions, recurrence, parsed}, a status as
/// {declared, inferred}, a progress log as its dated entries.
enum PlanJSON {
    static func render(_ plan: Plan, _ schema: CollectionSchema) -> String {
        let doc: JSON = .object([
            ("plan", plan.name.map(JSON.string) ?? .null),
            ("as_at", plan.asAt.map { JSON.string($0.description) } ?? .null),
            ("collection", .string(schema.name)),
            ("records", .array(plan.records.map { record($0, schema) })),
            ("tally", tally(plan.tally)),
        ])
        return doc.serialized() + "\n"
    }

    static func record(_ r: Record, _ schema: CollectionSchema) -> JSON {
        func value(_ name: String) -> Value { schema.slot(of: name).map { r.values[$0] } ?? .null }
        var pairs: [(String, JSON)] = []
        for field in schema.fields where !field.isCompanion && !(field.name.hasSuffix("_inferred") && schema.slot(of: String(field.name.dropLast(9))) != nil) {
            let v = r.values[schema.slot(of: field.name)!]
            switch field.reading {
            case .timescale:
                pairs.append((field.name, .object([
                    ("text", JSON(value(field.name + "_text"))),
                    ("original", JSON(value(field.name + "_original"))),
                    ("effective", JSON(v)),
                    ("revisions", JSON(value(field.name + "_revisions"))),
                    ("recurrence", JSON(value(field.name + "_recurrence"))),
                    ("parsed", JSON(value(field.name + "_parsed"))),
                ])))
            case .log:
                pairs.append((field.name, JSON(value(field.name + "_entries"))))
                pairs.append((field.name + "_latest", JSON(value(field.name + "_latest"))))
                pairs.append((field.name + "_text", JSON(v)))
            case .ref, .people:
                pairs.append((field.name, JSON(v)))
                for c in field.companions { pairs.append((c.name, JSON(value(c.name)))) }
            case .plain:
                if schema.slot(of: field.name + "_inferred") != nil {
                    pairs.append((field.name, .object([("declared", JSON(v)), ("inferred", JSON(value(field.name + "_inferred")))])))
                } else {
                    pairs.append((field.name, JSON(v)))
                    for c in field.companions { pairs.append((c.name, JSON(value(c.name)))) }
                }
            }
        }
        pairs.append(("extras", .object(r.extras.map { ($0.name, .string($0.text)) })))
        pairs.append(("originals", .object(r.originals.map { ($0.name, .string($0.text)) })))
        pairs.append(("source", source(r.source)))
        return .object(pairs)
    }

    static func source(_ s: SourceLocation) -> JSON {
        if let sheet = s.sheet, let cell = s.cell {
            return .object([("file", .string(s.file)), ("sheet", .string(sheet)), ("cell", .string(cell))])
        }
        var pairs: [(String, JSON)] = [("file", .string(s.file)), ("line", .int(s.line))]
        if let c = s.column { pairs.append(("column", .int(c))) }
        return .object(pairs)
    }

    static func tally(_ t: PlanTally) -> JSON {
        func rows(_ list: [PlanTally.Row]) -> JSON {
            .array(list.map { row in
                var pairs: [(String, JSON)] = [("location", .string(row.location))]
                if let reason = row.reason { pairs.append(("reason", .string(reason))) }
                pairs.append(("text", .string(row.text)))
                return .object(pairs)
            })
        }
        return .object(t.counts.map { ($0.name, JSON.int($0.count)) } + [
            ("skipped", rows(t.skipped)),
            ("not_records", .array(t.other.map { row in
                .object([("location", .string(row.location)), ("kind", .string(row.kind ?? "other")),
                         ("reason", row.reason.map(JSON.string) ?? .null), ("text", .string(row.text))])
            })),
            ("tables", rows(t.tables)),
            ("sections", rows(t.sections)),
            ("unmapped_columns", .array(t.unmappedColumns.map(JSON.string))),
            ("heading_hints", .object(t.unmappedColumns.compactMap { h in
                t.headingHints[h].map { (h, JSON.string($0)) }
            })),
            ("duplicate_refs", .array(t.duplicateRefs.map(JSON.string))),
            ("similar_owners", .array(t.similarOwners.map { .array($0.map(JSON.string)) })),
        ] + (t.elements.isEmpty ? [] : [
            ("return", t.returnHeader.map(JSON.string) ?? .null),
            ("elements", .object(t.elements.map { ($0.name, JSON.int($0.count)) })),
            ("item_problems", .array(t.itemProblems.map { p in
                .object([("location", .string(p.location)), ("path", .string(p.reason ?? "")),
                         ("text", .string(p.text))])
            })),
        ]))
    }

    static func timescale(_ t: Timescale) -> JSON {
        .object([
            ("text", .string(t.text)),
            ("kind", .string(t.kind.rawValue)),
            ("original", t.original.map { .string($0.description) } ?? .null),
            ("effective", t.effective.map { .string($0.description) } ?? .null),
            ("revisions", .array(t.revisions.map { .string($0.description) })),
            ("recurrence", t.recurrence.map(JSON.string) ?? .null),
            ("parsed", .bool(t.parsed)),
            ("remainder", t.remainder.map(JSON.string) ?? .null),
        ])
    }
}

/// `plan show` for people: each record's filled fields, then the tally.
enum PlanText {
    /// An XML return's tally: what its header says, every element with its count, the items
    /// kept as extras, and each item problem with its place.
    static func sen2Tally(_ t: PlanTally) -> String {
        var out = "\n\(t.returnHeader ?? "SEN2 return"): \(t.records) records (one per <Requests>)\n"
        let counts = t.elements.map { "\($0.count) \($0.name)" }.joined(separator: ", ")
        out += "\(t.elements.reduce(0) { $0 + $1.count }) elements: \(counts)\n"
        if !t.unmappedColumns.isEmpty {
            out += "items kept as extras (not fields of the collection): \(t.unmappedColumns.joined(separator: ", "))\n"
        }
        if !t.itemProblems.isEmpty { out += "\(t.itemProblems.count) item problems:\n" }
        for p in t.itemProblems { out += "  \(p.location) \(p.reason ?? ""): \(p.text)\n" }
        return out
    }

    static func render(_ plan: Plan, _ schema: CollectionSchema) -> String {
        var out = ""
        for r in plan.records {
            out += "\(r.source)\n"
            for (field, value) in zip(schema.fields, r.values) where !value.isNull && !field.isCompanion {
                if case .bool(false) = value { continue }
                if case .list(let items) = value, items.isEmpty { continue }
                if field.name == "kind", value.stringValue == "action" { continue }      // the default kind
                if case .list(let items) = value, case .map = items.first {
                    // Repeating SEN2 modules (PlanDetail, SENneed, …): one line per element, item=value.
                    out += "  \(field.name):\n"
                    for case .map(let m) in items {
                        let pairs = zip(m.keys, m.values).map { "\(Template.display($0))=\(Template.display($1))" }
                        out += "    \(pairs.joined(separator: " "))\n"
                    }
                    continue
                }
                if case .map(let m) = value {
                    // Owner → organisation: "ICB: Director of Commissioning; LA: Head of SEND".
                    guard m.count > 0 else { continue }
                    let pairs = zip(m.keys, m.values).map { "\(Template.display($1)): \(Template.display($0))" }
                    out += "  \(field.name): \(pairs.joined(separator: "; "))\n"
                    continue
                }
                out += "  \(field.name): \(Template.display(value).replacingOccurrences(of: "\n", with: "\n    "))\n"
            }
            for e in r.extras { out += "  [\(e.name)]: \(e.text)\n" }
        }
        let t = plan.tally
        if !t.elements.isEmpty {
            return out + sen2Tally(t)
        }
        out += "\n\(t.totalRows) rows: \(t.records) records, \(t.headerRows) header, \(t.sectionRows) section, "
            + "\(t.continuationRows) continuation (merged), \(t.blankRows) blank, \(t.titleRows) title, "
            + "\(t.columnLetterRows) column-letter, \(t.legendRows) legend, \(t.other.count) not records, "
            + "\(t.skipped.count) skipped\n"
        if !t.other.isEmpty {
            out += "not records: " + t.otherKinds.map { "\($0.count) \($0.kind)" }.joined(separator: ", ") + "\n"
        }
        for s in t.skipped { out += "  skipped \(s.location): \(s.reason ?? "") — \(s.text)\n" }
        for said in t.asAt { out += "ratings as at \(said.day): \(said.row.location) — \(said.row.text)\n" }
        for table in t.tables { out += "  table \(table.location): \(table.reason ?? "") — \(table.text)\n" }
        for s in t.other {
            let text = s.text.replacingOccurrences(of: "\n", with: " / ")
            out += "  \(s.kind ?? "other") \(s.location): \(s.reason ?? "") — \(text)\n"
        }
        if !t.unmappedColumns.isEmpty {
            let described = t.unmappedColumns.map { h in t.headingHints[h].map { "\(h) (\($0))" } ?? h }
            out += "columns kept as extras: \(described.joined(separator: ", "))\n"
        }
        if !t.duplicateRefs.isEmpty { out += "duplicate refs: \(t.duplicateRefs.joined(separator: ", "))\n" }
        for group in t.similarOwners {
            out += "owners that may be the same person: \(group.joined(separator: " / "))"
                + " (merge them in the owner directory)\n"
        }
        return out
    }
}
