import Rules

/// The human-readable escalation list: a headline, then findings grouped by severity,
/// most urgent first. Colour only when asked (the CLI decides from the TTY and NO_COLOR). Every
/// value from the plan, rules or waivers is shown through `TerminalText.visible`, so the only
/// escape sequences in the output are its own colours.
public enum TextReport {
    public static func render(_ result: CheckResult, color: Bool, showWaived: Bool = false, groupBy: Grouping = .severity) -> String {
        InOrder.collected { try write(result, color: color, showWaived: showWaived, groupBy: groupBy, $0) }
    }

    /// The report in chunks, each group's findings rendered on every core a block at a time.
    public static func write(_ result: CheckResult, color: Bool, showWaived: Bool = false, groupBy: Grouping = .severity,
                             _ chunk: ([UInt8]) throws -> Void) throws {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        let t = TerminalText.visible
        let plan = result.planName.map { "\(t($0)) (\(t(result.planFile)))" } ?? t(result.planFile)
        var out = "\(plan): \(result.records) record\(result.records == 1 ? "" : "s") checked against "
            + "\(t(result.ruleSet)) v\(t(result.ruleSetVersion)) as of \(result.asOf)\n"
        for note in result.notes { out += "  \(t(note))\n" }
        let counts = Severity.allCases.reversed().filter { $0 != .off && result.count($0) > 0 }
            .map { "\(result.count($0)) \($0.rawValue)" }
        let waived = result.findings.filter { $0.waiver != nil }.count
        var notes: [String] = []
        if waived > 0 { notes.append("\(waived) waived\(showWaived ? "" : " (not shown; --show-waived lists them)")") }
        if let b = result.baseline { notes.append("since the baseline: \(b.new) new, \(b.unchanged) unchanged, \(b.resolved) resolved") }
        if result.findingCount == 0 {
            out += paint("No findings.", "32") + (notes.isEmpty ? "" : " " + notes.joined(separator: "; ")) + "\n"
            if !showWaived { return try chunk(Array(out.utf8)) }
        } else {
            out += "\(result.findingCount) finding\(result.findingCount == 1 ? "" : "s"): \(counts.joined(separator: ", "))"
                + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")) + "\n"
        }
        let shown = result.findings.filter { showWaived || $0.waiver == nil }
        for (title, group) in groupBy.groups(shown) {
            let heading = groupBy == .severity ? title.uppercased() : t(title)
            out += "\n" + paint("\(heading) (\(group.count))", colorCode(groupBy == .severity ? group[0].severity : .info)) + "\n"
            try chunk(Array(out.utf8))
            out = ""
            try InOrder.findings(group[...], { f, said, text in
                text += "  " + paint(t(said.ref), "1") + "  \(groupBy == .severity ? "" : f.severity.rawValue + "  ")\(t(f.rule))"
                    + (f.statutory ? " [statutory]" : "")
                    + (f.waiver.map { t(" [waived until \($0.expires) by \($0.approvedBy): \($0.reason)]") } ?? "") + "\n"
                text += "      \(t(String(decoding: said.message, as: UTF8.self)))\n"
                var details: [String] = []
                if !said.owners.isEmpty { details.append("owner: \(said.owners.joined(separator: ", "))") }
                if let e = f.escalation {
                    let who = e.id == "owner" || e.recipients.isEmpty || e.recipients == [e.name] ? "" : " (\(e.recipients.joined(separator: ", ")))"
                    details.append("escalate to: \(e.name)\(who)")
                } else if !f.escalateTo.isEmpty {
                    details.append("escalate to: \(f.escalateTo.joined(separator: " → "))")
                }
                if let h = f.history, h.runs > 1 { details.append("reported since \(h.firstSeen) (\(h.runs) runs)") }
                details.append(f.aboutPlan ? f.source.file : f.source.description)
                text += "      " + paint(t(details.joined(separator: " · ")), "2") + "\n"
            }, chunk: chunk)
        }
        if !out.isEmpty { try chunk(Array(out.utf8)) }
    }

    private static func colorCode(_ s: Severity) -> String {
        switch s {
        case .critical: return "1;35"
        case .error: return "1;31"
        case .warning: return "1;33"
        default: return "1;36"
        }
    }
}

extension TextReport: ReportWriter {
    public static var note: String? { "default" }

    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try write(report.listed, color: report.color, showWaived: report.showWaived, groupBy: report.groupBy, chunk)
    }
}
