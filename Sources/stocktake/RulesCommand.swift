import ArgumentParser
import Expressions
import Foundation
import Reports
import Rules
import YAML

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Validate, list and test rule sets.",
        subcommands: [Validate.self, List.self, Test.self, Explain.self, Doc.self]
    )

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check rule files and report every problem as file:line:column (exit 3 if any)."
        )

        @Argument(help: ArgumentHelp("Rule files to check.", valueName: "file"))
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one rule file") }
        }

        func run() throws {
            var problems: [String] = []
            for file in files {
                do {
                    if let states = Self.legendStates(file) {
                        _ = try RuleSetLoader.load(paths: [file], requiringName: false)
                        print("\(file): ok (status legend, \(states) state\(states == 1 ? "" : "s"))")
                        continue
                    }
                    let set = try RuleSetLoader.load(paths: [file])
                    print("\(file): ok (\(set.rules.count) rule\(set.rules.count == 1 ? "" : "s"))")
                } catch {
                    problems.append(error.description)
                }
            }
            if !problems.isEmpty {
                throw Failure(problems.joined(separator: "\n"), .invalidRules)
            }
        }

        /// A status legend (such as rules/statuses/five-status.yaml) is a part that rule sets
        /// extend: `statuses:` and no rules, nor a rule set's name. Its number of states, or nil
        /// for any other file.
        static func legendStates(_ path: String) -> Int? {
            guard ["yaml", "yml"].contains(URL(fileURLWithPath: path).pathExtension.lowercased()),
                  let data = FileManager.default.contents(atPath: path),
                  let root = try? YAMLParser.parse([UInt8](data)), let pairs = root.mapping else { return nil }
            let keys = Set(pairs.compactMap(\.key.scalar))
            guard keys.contains("statuses"), keys.isDisjoint(with: ["ruleset", "rules"]) else { return nil }
            return root["statuses"]?.mapping?.count ?? 0
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules of a rule set: id, highest level, collection, title.")

        @Argument(help: ArgumentHelp("Rule files (combined as with check --rules).", valueName: "file"))
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one rule file") }
        }

        func run() throws {
            let set = try RuleOptions.parse(files.flatMap { ["--rules", $0] }).load()
            let width = set.rules.map(\.id.count).max() ?? 0
            for rule in set.rules {
                let id = rule.id.padding(toLength: width, withPad: " ", startingAt: 0)
                let level = rule.maxLevel.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                print("\(id)  \(level)  \(rule.appliesTo)  \(rule.title)\(rule.statutory ? " [statutory]" : "")")
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every rule's examples and print 'N passed, N failed' (exit 1 if any failed)."
        )

        @Argument(help: ArgumentHelp("Rule files to test.", valueName: "file"))
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one rule file") }
        }

        func run() throws {
            var passed = 0, failed = 0
            for file in files {
                let set = try RuleOptions.parse(["--rules", file]).load()
                let outcome = ExampleRunner.run(set)
                passed += outcome.passed
                failed += outcome.failures.count
                for f in outcome.failures { Output.error("FAIL \(f)") }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(Outcome.findings.rawValue) }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a rule's title, rationale, citation, condition, severity ladder and examples."
        )

        @Argument(help: ArgumentHelp("The rule id.", valueName: "rule-id"))
        var id: String

        @Option(name: .customLong("rules"),
                help: ArgumentHelp("Rule files to look in (default: the shipped packs).", valueName: "file"))
        var files: [String] = []

        func run() throws {
            let paths = files.isEmpty
                ? try ShippedPacks.paths(for: "stocktake rules explain \(id) --rules FILE") : files
            var known: [String] = []
            for path in paths {
                let set = try RuleOptions.parse(["--rules", path]).load()
                if let rule = set.rules.first(where: { $0.id == id }) {
                    Output.standardOutput(RuleReference.explain(rule, in: set))
                    return
                }
                known += set.rules.map(\.id)
            }
            throw Failure("error: no rule '\(id)'" + Suggest.hint(for: id, among: known), .usage)
        }
    }

    struct Doc: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate the rule reference (docs/rules-reference.md) from rule files."
        )

        @Argument(help: ArgumentHelp("Rule files (default: the shipped packs).", valueName: "file"))
        var files: [String] = []

        @Option(help: ArgumentHelp("markdown (the only format).", valueName: "format"))
        var format = "markdown"

        @Flag(help: "Print the table of the keys a rule may have (as docs/rules.md shows it) instead.")
        var keys = false

        func validate() throws {
            guard format == "markdown" else { throw ValidationError("--format must be markdown") }
            if keys && !files.isEmpty { throw ValidationError("--keys reads no rule files") }
        }

        func run() throws {
            if keys { return Output.standardOutput(RuleKey.markdownTable) }
            let paths = files.isEmpty ? try ShippedPacks.paths(for: "stocktake rules doc FILE...") : files
            let sets = try paths.map { try RuleOptions.parse(["--rules", $0]).load() }
            Output.standardOutput(RuleReference.markdown(sets))
        }
    }
}

