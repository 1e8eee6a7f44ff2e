import ArgumentParser
import Expressions
import Foundation
import PlanData
import Rules

/// `--as-of YYYY-MM-DD`: pins "today" so runs are reproducible.
struct AsOfOption: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("The date to check as of (YYYY-MM-DD); default: today's local date.", valueName: "date"))
    var asOf: String?

    func day() throws -> Day {
        guard let asOf else {
            let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
            return Day(year: c.year!, month: c.month!, day: c.day!)!
        }
        guard let d = Day(iso: asOf) else {
            throw Failure("error: --as-of '\(asOf)' is not a date; use YYYY-MM-DD", .usage)
        }
        return d
    }
}

/// `--rules FILE` (repeatable) and the collection to check.
struct RuleOptions: ParsableArguments {
    @Option(name: .customLong("rules"), help: ArgumentHelp("A rule file; repeat to combine (later files override rules with the same id).", valueName: "file"))
    var rules: [String] = []

    @Option(help: ArgumentHelp("The collection the plan's records belong to (default: the one the rules apply to, else 'actions').", valueName: "name"))
    var collection: String?

    @Option(name: .customLong("statuses"), help: ArgumentHelp(
        "The status legend to read ratings by: five-status, rag, brag, phrases, or a legend file (default: the rule set's, "
            + "else the shipped one that knows most of the plan's ratings).", valueName: "name|file"))
    var statuses: String?

    /// The legend `--statuses` forces, if any.
    func forcedLegend() throws -> Legend? {
        guard let statuses else { return nil }
        guard let legend = Legend.named(statuses) else {
            throw Failure("error: --statuses '\(statuses)' is neither a shipped legend ("
                          + Legend.shipped.map(\.name).joined(separator: ", ") + ") nor a file"
                          + Suggest.hint(for: statuses, among: Legend.shipped.map(\.name)), .usage)
        }
        return legend
    }

    func load(legend: Legend? = nil) throws -> RuleSet {
        do {
            return try RuleSetLoader.load(paths: rules, legend: legend)
        } catch {
            throw Failure(error.description, .invalidRules)
        }
    }

    func collectionName(for set: RuleSet) throws -> String {
        if let collection {
            guard set.collections[collection] != nil else {
                throw Failure("error: unknown collection '\(collection)'" + Suggest.hint(for: collection, among: set.collections.keys), .usage)
            }
            return collection
        }
        let used = Set(set.rules.map(\.appliesTo))
        return used.count == 1 ? used.first! : "actions"
    }
}

extension PlanFormat: ExpressibleByArgument {}

/// Reads a plan, mapping data errors to exit code 4.
func loadingPlan<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as PlanError {
        throw Failure(e.description, .invalidPlan)
    }
}

/// How to read the plan: format, sheet, owner directory.
struct PlanInputOptions: ParsableArguments {
    @Option(name: .customLong("input-format"), help: ArgumentHelp(
        "Read the plan as this format instead of guessing it from its name and first bytes.", valueName: "format"))
    var inputFormat: PlanFormat?

    @Option(help: ArgumentHelp("For workbooks: the sheet holding the plan (default: the first sheet with a header row).", valueName: "name"))
    var sheet: String?

    @Option(help: ArgumentHelp("An owner directory: a YAML list of entries with name, aliases, email, role, escalates-to.", valueName: "file"))
    var owners: String?

    @Option(help: ArgumentHelp("A plan profile: explicit columns (heading or letter → field), header-row, sheet.", valueName: "file"))
    var profile: String?

    func loader(for schema: CollectionSchema) throws -> PlanLoader {
        let directory = try owners.map { path in try loadingPlan { try OwnerDirectory.load(path: path) } } ?? OwnerDirectory()
        var loader = PlanLoader(schema: schema, owners: directory)
        loader.sheet = sheet
        if let profile {
            var p = try loadingPlan { try PlanProfile.load(path: profile, schema: schema) }
            p.columns.merge(schema.columns) { mine, _ in mine }
            loader.profile = p
        }
        return loader
    }
}
