import ArgumentParser
import Foundation
import Reports

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two JSON reports: new, resolved, worsened and improved findings (by fingerprint).",
        discussion: "Exits 1 when something is new or worsened, 0 otherwise."
    )

    @Argument(help: ArgumentHelp("The earlier report (check --format json).", valueName: "old.json"))
    var old: String

    @Argument(help: ArgumentHelp("The later report.", valueName: "new.json"))
    var new: String

    func run() throws {
        let before: [ReportedFinding], after: [ReportedFinding]
        do {
            before = try JSONReport.findings(inReportAt: old)
            after = try JSONReport.findings(inReportAt: new)
        } catch {
            throw Failure("\(error)", .invalidPlan)
        }
        let comparison = RunComparison(old: before, new: after)
        Output.terminalText(comparison.text(old, new))
        if !comparison.new.isEmpty || !comparison.worsened.isEmpty { throw ExitCode(Outcome.findings.rawValue) }
    }
}
