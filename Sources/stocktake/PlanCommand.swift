import ArgumentParser
import Expressions
import Foundation
import PlanData
import Reports
import Rules

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Inspect plan data as stocktake reads it.",
        subcommands: [Show.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the normalised records of a plan, with source positions and a tally of every row."
        )

        @Argument(help: ArgumentHelp("The plan: YAML, JSON, CSV or TSV.", valueName: "plan"))
        var plan: String

        @OptionGroup var ruleOptions: RuleOptions

        @Option(help: ArgumentHelp("text or json.", valueName: "format"))
        var format = "text"

        @Option(name: .customLong("input-format"), help: ArgumentHelp("Read the plan as this format: yaml, json, csv, tsv.", valueName: "format"))
        var inputFormat: PlanFormat?

        func validate() throws {
            guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
        }

        func run() throws {
            var schema = CollectionSchema.actions
            if !ruleOptions.rules.isEmpty || ruleOptions.collection != nil {
                let set = try ruleOptions.load()
                schema = set.collections[try ruleOptions.collectionName(for: set)]!
            }
            let loaded = try loadingPlan { try PlanLoader(schema: schema).load(path: plan, format: inputFormat) }
            Output.standardOutput(format == "json" ? json(loaded, schema) : text(loaded, schema))
        }

        private func json(_ plan: Plan, _ schema: CollectionSchema) -> String {
            let records: [JSON] = plan.records.map { r in
                var pairs: [(String, JSON)] = zip(schema.fields, r.values).map { ($0.name, JSON($1)) }
                pairs.append(("extras", .object(r.extras.map { ($0.name, .string($0.text)) })))
                var source: [(String, JSON)] = [("file", .string(r.source.file)), ("line", .int(r.source.line))]
                if let c = r.source.column { source.append(("column", .int(c))) }
                pairs.append(("source", .object(source)))
                return .object(pairs)
            }
            let doc: JSON = .object([
                ("plan", plan.name.map(JSON.string) ?? .null),
                ("collection", .string(schema.name)),
                ("records", .array(records)),
                ("tally", tally(plan.tally)),
            ])
            return doc.serialized() + "\n"
        }

        private func tally(_ t: PlanTally) -> JSON {
            .object([
                ("records", .int(t.records)),
                ("header_rows", .int(t.headerRows)),
                ("blank_rows", .int(t.blankRows)),
                ("unmapped_columns", .array(t.unmappedColumns.map(JSON.string))),
            ])
        }

        private func text(_ plan: Plan, _ schema: CollectionSchema) -> String {
            var out = ""
            for r in plan.records {
                out += "\(r.source)\n"
                for (field, value) in zip(schema.fields, r.values) where !value.isNull && !field.name.hasSuffix("_text") {
                    out += "  \(field.name): \(Template.display(value))\n"
                }
                for e in r.extras { out += "  [\(e.name)]: \(e.text)\n" }
            }
            let t = plan.tally
            out += "\n\(t.records) records, \(t.headerRows) header rows, \(t.blankRows) blank rows"
            if !t.unmappedColumns.isEmpty { out += "; columns kept as extras: \(t.unmappedColumns.joined(separator: ", "))" }
            return out + "\n"
        }
    }
}
