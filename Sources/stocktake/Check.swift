import ArgumentParser
import Foundation
import PlanData
import Reports
import Rules

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a plan against rule sets and print the prioritised escalation list.",
        discussion: """
        Formats: text (default), json, summary (one line of per-rule counts). Write a format to a
        file with FORMAT:PATH, and repeat --format for several outputs in one run:
          --format json:report.json --format text

        Exits 1 when there are findings at or above --fail-on (default: error); see 'stocktake --help'.
        """
    )

    @Argument(help: ArgumentHelp("The plan: YAML, JSON, CSV, TSV or XLSX.", valueName: "plan"))
    var plan: String

    @OptionGroup var ruleOptions: RuleOptions
    @OptionGroup var asOf: AsOfOption

    @Option(name: .customLong("format"), help: ArgumentHelp("Output format, optionally with :PATH (repeatable): text, json, summary.", valueName: "format[:path]"))
    var formats: [String] = []

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a finding is at or above this level: info, warning, error, critical, or never.", valueName: "level"))
    var failOn = "error"

    @OptionGroup var input: PlanInputOptions

    @Option(help: ArgumentHelp("Colour in text output: auto (on a terminal, unless NO_COLOR is set), always, never.", valueName: "when"))
    var color = "auto"

    @Flag(help: "Print, per rule, how many records it examined and flagged (on stderr).")
    var stats = false

    @Option(help: ArgumentHelp("Approved exceptions: rule, ref (or glob) or fingerprint, reason, approved-by, expires.", valueName: "file"))
    var waivers: String?

    @Flag(name: .customLong("show-waived"), help: "List waived findings in text output (JSON always marks them).")
    var showWaived = false

    @Option(help: ArgumentHelp("An earlier JSON report: report only findings new since then, with counts of unchanged and resolved.", valueName: "report.json"))
    var baseline: String?

    func validate() throws {
        if ruleOptions.rules.isEmpty { throw ValidationError("give at least one rule file with --rules FILE") }
        if failOn != "never" && Severity(rawValue: failOn) == nil || failOn == "off" {
            throw ValidationError("--fail-on must be info, warning, error, critical or never, not '\(failOn)'")
        }
        for f in formats { _ = try OutputTarget(f) }
        guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color must be auto, always or never") }
    }

    func run() throws {
        let day = try asOf.day()
        let ruleSet = try ruleOptions.load()
        let collection = try ruleOptions.collectionName(for: ruleSet)
        let targets = try (formats.isEmpty ? ["text"] : formats).map(OutputTarget.init)
        // With only per-rule counts to print, findings need not be built at all.
        let countOnly = targets.allSatisfy { $0.format == "summary" } && waivers == nil && baseline == nil
        var waiverList: [Waiver] = []
        if let waivers {
            do { waiverList = try WaiverLoader.load(path: waivers, ruleSet: ruleSet) } catch { throw Failure(error.description, .invalidRules) }
        }
        let previous = try baseline.map { path in
            do { return try JSONReport.findings(inReportAt: path) } catch { throw Failure("\(error)", .invalidPlan) }
        }
        let schema = ruleSet.collections[collection] ?? .actions
        let loader = try input.loader(for: schema)
        var (result, _) = try loadingPlan {
            try Runner.check(path: plan, format: input.inputFormat, loader: loader, ruleSet: ruleSet, collection: collection,
                             asOf: day, countOnly: countOnly)
        }
        result = result.applying(waiverList)
        if let previous { result = result.keepingNew(since: previous) }
        for target in targets {
            let useColor = target.path == nil && (color == "always" || (color == "auto" && Terminal.wantsColor))
            try Output.stream(to: target.path) { write in
                switch target.format {
                case "json": try JSONReport.write(result, toolVersion: Stocktake.version, write)
                case "summary": try write(Array(JSONReport.summary(result).utf8))
                default: try write(Array(TextReport.render(result, color: useColor, showWaived: showWaived).utf8))
                }
            }
        }
        if stats {
            var lines = "rule\texamined\tflagged\terrors\n"
            for s in result.stats { lines += "\(s.rule)\t\(s.examined)\t\(s.flagged)\t\(s.errors)\n" }
            Output.error(lines)
        }
        if failOn != "never", let level = Severity(rawValue: failOn), result.count(atOrAbove: level) > 0 {
            throw ExitCode(Outcome.findings.rawValue)
        }
    }
}

/// One `--format` value: `json`, or `json:out/report.json`.
struct OutputTarget {
    static let formats = ["text", "json", "summary"]
    var format: String
    var path: String?

    init(_ spec: String) throws {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        format = parts.first ?? ""
        path = parts.count > 1 ? parts[1] : nil
        guard Self.formats.contains(format) else {
            throw ValidationError("unknown format '\(format)'; choose from \(Self.formats.joined(separator: ", "))")
        }
        if path?.isEmpty == true { throw ValidationError("--format \(format): needs a file name after ':'") }
    }
}

enum Terminal {
    static var wantsColor: Bool {
        let env = ProcessInfo.processInfo.environment
        return isatty(STDOUT_FILENO) == 1 && env["NO_COLOR"].map(\.isEmpty) ?? true && env["TERM"] != "dumb"
    }
}
