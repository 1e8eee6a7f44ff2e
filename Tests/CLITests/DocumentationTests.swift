import Foundation
import Testing

/// The README and the help say what the commands do: checked against the commands themselves
/// (swift-argument-parser's description of them, `--experimental-dump-help`), not by hand.
@Suite struct DocumentationTests {
    /// One command of the dump: its path ("rules explain"), options and texts.
    struct Command {
        var path: [String]
        var options: [String]
        var discussion: String?
        /// (option or argument, its help text, the values it accepts when the parser lists them)
        var arguments: [(name: String, abstract: String, values: [String])]
        var isLeaf: Bool
    }

    static func commands() throws -> [Command] {
        let dump = try CLI.run(["--experimental-dump-help"])
        try #require(dump.code == 0, "\(dump.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var found: [Command] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let arguments = command["arguments"] as? [[String: Any]] ?? []
            var options: [String] = [], described: [(String, String, [String])] = []
            for a in arguments where a["shouldDisplay"] as? Bool != false {
                let names = (a["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" }
                    .compactMap { $0["name"] as? String }.map { "--" + $0 }
                let name = names.first ?? "<\(a["valueName"] as? String ?? "?")>"
                // --help and --version are on every command; the root's --version is its own line.
                if !(name == "--help" || name == "--version" && !path.isEmpty) { options += names }
                described.append((name, a["abstract"] as? String ?? "", a["allValues"] as? [String] ?? []))
            }
            let subcommands = (command["subcommands"] as? [[String: Any]] ?? [])
                .filter { $0["shouldDisplay"] as? Bool != false && $0["commandName"] as? String != "help" }
            found.append(Command(path: path, options: options, discussion: command["discussion"] as? String,
                                 arguments: described, isLeaf: subcommands.isEmpty))
            for sub in subcommands { walk(sub, path + [sub["commandName"] as? String ?? "?"]) }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return found
    }

    /// The README's usage block, one entry per `stocktake …` line with its indented continuations,
    /// keyed by command path ("rules explain"); comments after `#` are dropped.
    static func readmeUsage(subcommands: Set<String>) throws -> [String: String] {
        let readme = try String(contentsOf: CLI.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Usage\n\n```sh\n"), "README.md has no '## Usage' block")
        let block = readme[section.upperBound...].prefix { _ in true }
        let end = try #require(block.range(of: "```\n"))
        var entries: [String: String] = [:], current: String?
        for line in block[..<end.lowerBound].split(separator: "\n") {
            let text = String(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
            if line.hasPrefix("stocktake") {
                let words = text.split(separator: " ").dropFirst().map(String.init)
                let path = words.prefix { subcommands.contains($0) }.joined(separator: " ")
                current = path
                entries[path, default: ""] += " " + text
            } else if let current {
                entries[current, default: ""] += " " + text
            }
        }
        return entries
    }

    @Test func readmeUsageListsEveryOptionOfEveryCommand() throws {
        let commands = try Self.commands()
        let names = Set(commands.flatMap(\.path))
        let usage = try Self.readmeUsage(subcommands: names)
        for command in commands where command.isLeaf || command.path.isEmpty {
            let key = command.path.joined(separator: " ")
            let entry = usage[key] ?? ""
            #expect(!entry.isEmpty || command.path.isEmpty && command.options.isEmpty,
                    "README.md's usage block has no line for 'stocktake \(key)'")
            let listed = Set(entry.matches(of: /--[a-z][a-z-]*/).map { String($0.output) })
            for option in command.options where !listed.contains(option) {
                Issue.record("README.md's usage of 'stocktake \(key)' lacks \(option)")
            }
            for option in listed.subtracting(command.options) {
                Issue.record("README.md's usage of 'stocktake \(key)' names \(option), which the command does not have")
            }
        }
    }

    /// The parser wraps paragraphs to the terminal's width: a line break inside a paragraph
    /// comes out as a ragged line, and an example wider than 80 columns is broken mid-argument.
    @Test func helpTextsHaveNoHardLineBreaksInsideParagraphs() throws {
        for command in try Self.commands() {
            let name = (["stocktake"] + command.path).joined(separator: " ")
            for argument in command.arguments where argument.abstract.contains("\n") {
                Issue.record("\(name) \(argument.name): its help has a line break")
            }
            let lines = (command.discussion ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(lines, lines.dropFirst()) where !line.isEmpty && !line.hasPrefix(" ")
                && !next.isEmpty && !next.hasPrefix(" ") {
                Issue.record("\(name): a line break inside a paragraph of its discussion, after '\(line.suffix(30))'")
            }
            for line in lines where line.hasPrefix(" ") && line.count > 80 {
                Issue.record("\(name): an indented line wider than 80 columns, which the parser breaks: '\(line)'")
            }
        }
        let eval = try CLI.run(["eval", "--help"], environment: ["COLUMNS": "80"])
        #expect(eval.stdout.contains(#"  stocktake eval 'size(owners) > 1' --var 'owners=["A. Burton", "S. Larking"]'"#
                                     + "\n"), "\(eval.stdout)")
        #expect(eval.stdout.contains(#"--cases - reads one JSON case per line ({"id", "expr", "bindings"} with typed"#
                                     + "\n"
                                     + "values, as in the CEL conformance suite)"), "\(eval.stdout)")
    }

    /// The parser lists an option's values itself ("(values: …)"): a help text that names them
    /// too says them twice.
    @Test func optionValuesAreListedOnce() throws {
        for command in try Self.commands() {
            for argument in command.arguments where !argument.values.isEmpty {
                let words = Set(argument.abstract.lowercased().split { !$0.isLetter && $0 != "-" }.map(String.init))
                let named = argument.values.filter(words.contains)
                let name = (["stocktake"] + command.path).joined(separator: " ")
                #expect(named.count < 2,
                        "\(name) \(argument.name) names its values \(named) in its help, which the parser lists again")
            }
        }
        let help = try CLI.run(["plan", "show", "--help"], environment: ["COLUMNS": "200"])
        #expect(help.stdout.components(separatedBy: "yaml").count == 2, "\(help.stdout)")
    }

    /// `rules explain` and `rules doc` find the shipped packs from any folder, and say what to
    /// do where there are none, naming only options the command has.
    @Test func shippedPacksAreFoundFromAnyFolder() throws {
        let elsewhere = try CLI.temporaryDirectory()
        let explain = try CLI.run(["rules", "explain", "final-plan-imminent"], directory: elsewhere)
        #expect(explain.code == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("cite:        SEND Regulations 2014, reg 13(2)"))
        let doc = try CLI.run(["rules", "doc"], directory: elsewhere)
        #expect(doc.code == 0, "\(doc.stderr)")
        let reference = try String(contentsOf: CLI.root.appendingPathComponent("docs/rules-reference.md"),
                                   encoding: .utf8)
        #expect(doc.stdout == reference)

        // An installed copy reads the packs installed beside it (PREFIX/share/stocktake/rules) first.
        let installed = elsewhere.appendingPathComponent("bin/stocktake")
        let share = elsewhere.appendingPathComponent("share/stocktake/rules")
        try FileManager.default.createDirectory(at: installed.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
        do { try FileManager.default.linkItem(at: CLI.executable, to: installed) } catch {
            try FileManager.default.copyItem(at: CLI.executable, to: installed)
        }
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("rules/send-statutory.yaml"),
                                         to: share.appendingPathComponent("send-statutory.yaml"))
        let beside = try Self.run(installed, ["rules", "doc"], in: elsewhere)
        #expect(beside.contains("## send-statutory"), "\(beside)")
        #expect(!beside.contains("## send-plan"), "only the installed copy's packs: \(beside)")

        // With none to be found, it says where it looked and how to name files instead, with
        // options the command has.
        let empty = elsewhere.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let none = try CLI.run(["rules", "doc"], environment: ["STOCKTAKE_RULE_PACKS": empty.path],
                               directory: elsewhere)
        #expect(none.code == 2)
        #expect(none.stderr == "error: the shipped rule packs are not installed (looked in \(empty.path)); "
                + "name rule files: stocktake rules doc FILE...\n")
        let unexplained = try CLI.run(["rules", "explain", "overdue-action"],
                                      environment: ["STOCKTAKE_RULE_PACKS": empty.path], directory: elsewhere)
        #expect(unexplained.code == 2)
        #expect(unexplained.stderr.hasSuffix("name rule files: stocktake rules explain overdue-action --rules FILE\n"))
    }

    /// Runs an executable other than the built one; its standard output.
    static func run(_ executable: URL, _ arguments: [String], in directory: URL) throws -> String {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.currentDirectoryURL = directory
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func shippedStatusLegendsValidate() throws {
        let legends = try FileManager.default.contentsOfDirectory(
            atPath: CLI.root.appendingPathComponent("rules/statuses").path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(legends.count >= 3)
        let r = try CLI.run(["rules", "validate"] + legends.map { "rules/statuses/\($0)" })
        #expect(r.code == 0, "\(r.stderr)")
        for legend in legends {
            #expect(r.stdout.contains("rules/statuses/\(legend): ok (status legend, "), "\(r.stdout)")
        }
        // A legend with a mistake is still reported where it is.
        let dir = try CLI.temporaryDirectory()
        let bad = dir.appendingPathComponent("legend.yaml")
        try "statuses:\n  done: [\"Complete\"]\n  finished: [\"Complete\"]\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let broken = try CLI.run(["rules", "validate", bad.path])
        #expect(broken.code == 3)
        #expect(broken.stderr.hasPrefix("\(bad.path):3:3: error: "), "\(broken.stderr)")
        // A rule set without its name is still an error.
        let nameless = dir.appendingPathComponent("rules.yaml")
        try "rules: []\n".write(to: nameless, atomically: true, encoding: .utf8)
        let unnamed = try CLI.run(["rules", "validate", nameless.path])
        #expect(unnamed.code == 3)
        #expect(unnamed.stderr == "\(nameless.path):1:1: error: missing 'ruleset:' (the rule set's name)\n")
    }

    /// `--top` and `--min-severity` shorten what people read; the JSON report, which
    /// `--baseline` and `diff` compare, keeps every finding, so nothing looks resolved.
    @Test func topAndMinSeverityKeepTheJSONReportWhole() throws {
        let base = try ["check", Fixture.plan("oldham-priority-action-plan.tsv"), "--rules", "rules/send-plan.yaml",
                        "--as-of", "2024-07-01", "--fail-on", "never"]
        let dir = try CLI.temporaryDirectory()
        let all = dir.appendingPathComponent("all.json").path, top = dir.appendingPathComponent("top.json").path
        #expect(try CLI.run(base + ["--format", "json:\(all)"]).code == 0)
        let cut = try CLI.run(base + ["--top", "3", "--min-severity", "critical", "--format", "json:\(top)",
                                      "--format", "text"])
        #expect(cut.code == 0, "\(cut.stderr)")
        #expect(cut.stdout.components(separatedBy: "\n      owner: ").count - 1 == 3, "text lists three: \(cut.stdout)")
        #expect(try String(contentsOfFile: top, encoding: .utf8) == String(contentsOfFile: all, encoding: .utf8))
        let diff = try CLI.run(["diff", all, top])
        #expect(diff.code == 0)
        #expect(!diff.stdout.contains("resolved (") || diff.stdout.contains("0 resolved"), "\(diff.stdout)")
    }

    /// The exit codes of `history` before any run and of `eval` are those the README's table
    /// gives for them.
    @Test func exitCodesAreThoseOfTheReadmeTable() throws {
        let readme = try String(contentsOf: CLI.root.appendingPathComponent("README.md"), encoding: .utf8)
        func row(_ code: Int32) -> String {
            readme.split(separator: "\n").first { $0.hasPrefix("| \(code) |") }.map(String.init) ?? ""
        }
        let dir = try CLI.temporaryDirectory()
        let missing = dir.appendingPathComponent("none.sqlite").path
        let history = try CLI.run(["history", "--history", missing])
        #expect(history.code == 4)
        #expect(history.stderr
                == "\(missing): error: no history yet; 'stocktake check --history \(missing)' records each run there\n")
        #expect(row(4).contains("`history`"), "README's row for exit 4: \(row(4))")
        let failing = try CLI.run(["eval", "1 / 0"])
        #expect(failing.code == 1)
        #expect(failing.stderr == "evaluation error: division by zero\n")
        #expect(row(1).contains("`eval`"), "README's row for exit 1: \(row(1))")
        let uncompiled = try CLI.run(["eval", "1 +"])
        #expect(uncompiled.code == 2)
        #expect(row(2).contains("`eval`"), "README's row for exit 2: \(row(2))")
        // The root help says the same codes.
        let help = try CLI.run(["--help"], environment: ["COLUMNS": "200"])
        for code in 0...5 {
            let cell = row(Int32(code)).split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cell == "\(code)")
            #expect(help.stdout.contains("\n  \(code)  "), "stocktake --help lists exit code \(code)")
        }
    }
}
