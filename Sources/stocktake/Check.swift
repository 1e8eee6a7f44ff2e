import ArgumentParser
import Foundation
import PlanData
import Reports
import Expressions
import History
import Rules

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a plan against rule sets and print the prioritised escalation list.",
        discussion: """
        Formats: \(ReportFormat.allCases.map(\.listing).joined(separator: ", ")).

        Write a format to a file with FORMAT:PATH, and repeat --format for several outputs in one run:
          --format sarif:out.sarif --format github --format text

        Exits 1 when there are findings at or above --fail-on (default: error); see 'stocktake --help'.
        """
    )

    @OptionGroup var inputs: CheckInputs

    @Option(name: .customLong("format"), help: ArgumentHelp(
        "Output format, optionally with :PATH (repeatable): \(ReportFormat.names).", valueName: "format[:path]"))
    var formats: [String] = []

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a finding is at or above this level: info, warning, error, critical, or never.", valueName: "level"))
    var failOn = "error"

    @Option(help: ArgumentHelp("Colour in text output: auto (on a terminal, unless NO_COLOR is set), always, never.", valueName: "when"))
    var color = "auto"

    @Flag(help: "Print, per rule, how many records it examined and flagged (on stderr).")
    var stats = false

    @Flag(name: .customLong("show-waived"), help: "List waived findings in text output (JSON always marks them).")
    var showWaived = false

    @Option(name: .customLong("group-by"),
            help: ArgumentHelp("Group text, Markdown and HTML reports (level: by escalation level).", valueName: "key"))
    var groupBy: Grouping = .severity

    @Option(help: ArgumentHelp("List only the N most urgent findings (counts, the JSON report and the exit code "
                               + "still cover all).", valueName: "n"))
    var top: Int?

    @Option(name: .customLong("min-severity"),
            help: ArgumentHelp("List only findings at or above this level (the JSON report keeps all; the exit code "
                               + "still follows --fail-on).", valueName: "level"))
    var minSeverity: String?

    func validate() throws {
        if failOn != "never" && Severity(rawValue: failOn) == nil || failOn == "off" {
            throw ValidationError("--fail-on must be info, warning, error, critical or never, not '\(failOn)'")
        }
        for f in formats {
            let target = try OutputTarget(f)
            if target.format.writer.needsFile && target.path == nil {
                throw ValidationError("--format \(target.format.rawValue) needs a file name: "
                                      + "--format \(target.format.rawValue):board-pack.\(target.format.rawValue)")
            }
        }
        guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color must be auto, always or never") }
        if let minSeverity, Severity(rawValue: minSeverity) == nil || minSeverity == "off" {
            throw ValidationError("--min-severity must be info, warning, error or critical, not '\(minSeverity)'")
        }
        if let top, top < 1 { throw ValidationError("--top needs a positive number") }
    }

    func run() throws {
        let targets = try (formats.isEmpty ? ["text"] : formats).map(OutputTarget.init)
        // Before anything is read: no output may replace an input, nor another output.
        let files = try targets.map { t in try t.path.map { try OutputFile(spec: t.spec, path: $0) } }
        try OutputFile.refuseOverwrites(files.compactMap { $0 }, inputs: inputs.files)
        let cleanup = TemporaryFileCleanup(paths: files.compactMap { $0?.destination == .file ? $0?.temporaryPath : nil })
        defer { withExtendedLifetime(cleanup) {} }
        // Before any work: without a browser there is no PDF (exit 5, as for any output not written).
        if targets.contains(where: { $0.format == .pdf }), HTMLPrinter.browser() == nil {
            throw Failure(HTMLPrinter.missingBrowserMessage, .internalError)
        }
        // With only per-rule counts to print, findings need not be built at all.
        let run = try inputs.evaluate(countOnly: targets.allSatisfy { !$0.format.writer.readsFindings },
                                      trend: targets.contains { $0.format.writer.readsTrend },
                                      digests: targets.contains { $0.format.writer.readsRecords })
        // The files the rules extend are known once they are read; still before anything is written.
        try OutputFile.refuseOverwrites(files.compactMap { $0 }, inputs: run.ruleSet.files.map { ("the rules", $0) })
        let result = run.result
        // What is listed may be cut down; counts and the exit code always cover every finding.
        var listed = result
        if let level = minSeverity.flatMap(Severity.init(rawValue:)) {
            listed.findings = listed.findings.filter { $0.severity >= level }
        }
        if let top { listed.findings = Array(listed.findings.prefix(top)) }
        for (target, file) in zip(targets, files) {
            let useColor = target.path == nil && (color == "always" || (color == "auto" && Terminal.wantsColor))
            let report = ReportInput(listed: listed, all: result, ruleSet: run.ruleSet, toolVersion: Stocktake.version,
                                     groupBy: groupBy, color: useColor, showWaived: showWaived, trend: run.trend)
            do {
                try Output.stream(to: file) { write in try target.format.writer.write(report, write) }
            } catch let failure as HTMLPrinter.Failure {
                throw Failure(failure.description, .internalError)
            }
        }
        if stats {
            var lines = "rule\texamined\tflagged\terrors\n"
            // A rule a field it needs is missing for flags nothing: a plan-level finding says why.
            for s in result.stats { lines += "\(s.rule)\t\(s.examined)\t\(s.applicable ? String(s.flagged) : "not applicable")\t\(s.errors)\n" }
            Output.error(lines)
        }
        try run.recordHistory()
        let failed = failOn != "never" && Severity(rawValue: failOn).map { result.count(atOrAbove: $0) > 0 } == true
        // Every report is written (unbuffered). Freeing millions of findings one by one would
        // take most of a second; the operating system takes the memory back at once.
        if result.findings.count > 100_000 { Foundation.exit(failed ? Outcome.findings.rawValue : Outcome.ok.rawValue) }
        if failed { throw ExitCode(Outcome.findings.rawValue) }
    }
}

/// What a check reads and how: the plan, rule sets, date, waivers, baseline, history and rule
/// selection. Shared by `check` and `notify`, so both see the same findings.
struct CheckInputs: ParsableArguments {
    @Argument(help: ArgumentHelp("The plan: \(PlanFormat.names).", valueName: "plan"))
    var plan: String

    @OptionGroup var ruleOptions: RuleOptions
    @OptionGroup var asOf: AsOfOption
    @OptionGroup var input: PlanInputOptions

    @Option(help: ArgumentHelp("Approved exceptions: rule, ref (or glob) or fingerprint, reason, approved-by, expires.", valueName: "file"))
    var waivers: String?

    @Option(help: ArgumentHelp("An earlier JSON report: report only findings new since then, with counts of unchanged and resolved.", valueName: "report.json"))
    var baseline: String?

    @OptionGroup var historyOptions: HistoryOptions

    @Option(name: .customLong("only-rules"), parsing: .upToNextOption, help: ArgumentHelp("Run only these rules.", valueName: "id"))
    var onlyRules: [String] = []

    @Option(name: .customLong("skip-rules"), parsing: .upToNextOption, help: ArgumentHelp("Do not run these rules.", valueName: "id"))
    var skipRules: [String] = []

    func validate() throws {
        if ruleOptions.rules.isEmpty { throw ValidationError("give at least one rule file with --rules FILE") }
    }

    /// Every file the check reads (but the files the rules extend, known once they are read).
    var files: [(role: String, path: String)] {
        var files: [(role: String, path: String)] = [("the plan", plan)]
        files += ruleOptions.rules.map { ("the rules", $0) }
        if let owners = input.owners { files.append(("the owner directory", owners)) }
        if let profile = input.profile { files.append(("the plan profile", profile)) }
        if let waivers { files.append(("the waivers", waivers)) }
        if let baseline { files.append(("the baseline", baseline)) }
        if let history = historyOptions.path { files.append(("the history database", history)) }
        return files
    }

    struct Evaluation {
        var result: CheckResult
        var ruleSet: RuleSet
        var owners: OwnerDirectory
        var trend: [HTMLReport.TrendPoint]
        /// Records the run in the history, when one is kept: called once the reports are out, so
        /// a history that cannot be written (read-only, disk full) costs no report.
        var record: (() throws -> Void)?

        /// Records the run; a failure is said on stderr and ends the run with exit 5.
        func recordHistory() throws {
            do {
                try historyFailure { try record?() }
            } catch let failure as Failure {
                Output.error(failure.message)
                throw ExitCode(failure.code.rawValue)
            }
        }
    }

    /// Runs the check; `trend` also reads the earlier runs' totals (for the board pack's chart).
    /// With `recording` false (a dry run) the history is read but nothing is recorded.
    /// `digests` keeps each record's digest in the result (for the board pack's counts).
    func evaluate(countOnly wantsCountsOnly: Bool, trend wantsTrend: Bool = false, recording: Bool = true,
                  digests: Bool = false) throws -> Evaluation {
        let day = try asOf.day()
        let forced = try ruleOptions.forcedLegend()
        var ruleSet = try ruleOptions.load(legend: forced)
        let collection = try ruleOptions.collectionName(for: ruleSet)
        let known = Set(ruleSet.rules.map(\.id))
        for id in onlyRules + skipRules where !known.contains(id) {
            throw Failure("error: no rule '\(id)' in the rule set" + Suggest.hint(for: id, among: known), .usage)
        }
        var selected = known.subtracting(skipRules)
        if !onlyRules.isEmpty { selected.formIntersection(onlyRules) }
        // Waivers from --waivers, or a `waivers:` list in a YAML plan itself.
        var waiverList: [Waiver] = []
        let waiverFile = waivers ?? (Check.hasWaiversKey(plan) ? plan : nil)
        if let waiverFile {
            do { waiverList = try WaiverLoader.load(path: waiverFile, ruleSet: ruleSet) } catch { throw Failure(error.description, .invalidRules) }
        }
        let previous = try baseline.map { path in
            do { return try JSONReport.findings(inReportAt: path) } catch { throw Failure("\(error)", .invalidPlan) }
        }
        let schema = ruleSet.collections[collection] ?? .actions
        let loader = try input.loader(for: schema)
        // The status legend: forced, pinned by the rule set, or the shipped one that knows most
        // of the plan's ratings (the plan is read once more for them: plans rated in words are small).
        var legendNote: String?
        if ruleSet.readsStatuses, let slot = schema.slot(of: "status") {
            if forced != nil || ruleSet.pinnedLegend == nil {
                var counts: [String: Int] = [:]
                _ = try loadingPlan {
                    try loader.read(path: plan, format: input.inputFormat) { record in
                        if case .string(let s) = record.values[slot], !s.allSatisfy(\.isWhitespace) { counts[s, default: 0] += 1 }
                    }
                }
                let choice = forced.map { Legend.coverage(of: $0, for: counts, extra: ruleSet.statuses) }
                    ?? Legend.choose(for: counts, extra: ruleSet.statuses)
                if forced == nil { ruleSet = try ruleOptions.load(legend: choice.legend) }
                legendNote = "status legend: " + choice.description
            } else if let pinned = ruleSet.pinnedLegend {
                legendNote = "status legend: \(pinned) (pinned by the rule set)"
            }
        }
        let store = try historyOptions.open(recording: recording)
        let planID = historyOptions.planIdentity(plan: plan, profile: loader.profile, format: input.inputFormat)
        let countOnly = wantsCountsOnly && waiverFile == nil && previous == nil && store == nil
        let earlier = try store.map { s in try historyFailure { try s.facts(collection: collection, plan: planID, before: day) } }
        var (result, read, snapshots) = try loadingPlan {
            try Runner.check(path: plan, format: input.inputFormat, loader: loader, ruleSet: ruleSet, collection: collection,
                             asOf: day, countOnly: countOnly, only: selected, history: earlier,
                             keepSnapshots: store != nil, keepDigests: digests)
        }
        if read.tally.headerRows > 0 {
            result.tally = read.tally
            for heading in read.tally.unmappedColumns {
                guard let hint = read.tally.headingHints[heading] else { continue }
                result.notes.append("column '\(heading)' names no field and is kept as an extra (\(hint))")
            }
        }
        var record: (() throws -> Void)?
        if let store, let earlier {
            // Findings carry on their history from the latest earlier run of this plan, climb by
            // it, and are recorded with it once the reports are written.
            let seen = earlier.carriedOn(result.findings, asOf: day)
            result.escalate(ruleSet.ladder, directory: loader.reader.owners, histories: { seen[$0].history })
            let recorded = result, keep = historyOptions.keep, planFile = plan, ruleFiles = ruleSet.files
            record = {
                try store.record(recorded, findings: seen, earlier: earlier, collection: collection, plan: planID,
                                 planHash: try HistoryOptions.hash(files: [planFile]), rulesHash: try HistoryOptions.hash(files: ruleFiles),
                                 snapshots: snapshots, keepRuns: keep)
            }
        } else {
            result.escalate(ruleSet.ladder, directory: loader.reader.owners)
        }
        var trend: [HTMLReport.TrendPoint] = []
        if wantsTrend, let store {
            // This plan's own series: the runs before this one, and this one.
            trend = try historyFailure { try store.runs(plan: planID, collection: collection) }.filter { $0.asOf != day.description }
                .map { HTMLReport.TrendPoint(asOf: $0.asOf, findings: $0.total) }
            if record != nil { trend.append(HTMLReport.TrendPoint(asOf: day.description, findings: result.findingCount)) }
        }
        if let legendNote { result.notes.insert(legendNote, at: 0) }
        result = result.applying(waiverList)
        if let previous { result = result.keepingNew(since: previous) }
        return Evaluation(result: result, ruleSet: ruleSet, owners: loader.reader.owners, trend: trend, record: record)
    }
}

extension Check {
    /// Whether a YAML plan carries its own `waivers:` list (a top-level key at column 1).
    static func hasWaiversKey(_ path: String) -> Bool {
        guard path.hasSuffix(".yaml") || path.hasSuffix(".yml"), let data = FileManager.default.contents(atPath: path) else { return false }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").contains { $0.hasPrefix("waivers:") }
    }
}

/// One `--format` value: `json`, or `json:out/report.json`.
struct OutputTarget {
    var spec: String
    var format: ReportFormat
    var path: String?

    init(_ spec: String) throws {
        self.spec = spec
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        guard let format = ReportFormat(argument: name) else {
            throw ValidationError("unknown format '\(name)'; choose from \(ReportFormat.names)")
        }
        self.format = format
        path = parts.count > 1 ? parts[1] : nil
        if path?.isEmpty == true { throw ValidationError("--format \(name): needs a file name after ':'") }
    }
}

enum Terminal {
    static var wantsColor: Bool {
        let env = ProcessInfo.processInfo.environment
        return isatty(STDOUT_FILENO) == 1 && env["NO_COLOR"].map(\.isEmpty) ?? true && env["TERM"] != "dumb"
    }
}

extension Grouping: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}
