import Expressions
import Foundation
import PlanData
import Rules

/// The board pack: a board paper in one self-contained HTML file (no external CSS, fonts,
/// scripts or images; a content security policy forbids any). Three parts, each starting a
/// printed page: what the board must decide (the summary in words and the escalations that
/// reach the board), the picture (the plan's own ratings, each owner's load, progress by
/// section, trends), and the register (every finding once, with its action and rating).
/// Levels and ratings are always written out, colour only repeats them; tables have captions
/// and header scopes; it prints to A4 with a running header and page numbers.
public enum HTMLReport {
    /// One earlier run, for the trend chart.
    public struct TrendPoint: Sendable {
        public var asOf: String
        public var findings: Int
        public init(asOf: String, findings: Int) {
            self.asOf = asOf
            self.findings = findings
        }
    }

    /// The most urgent board escalations the first page lists (the rest are in the register).
    static let boardRows = 10

    public static func render(
        _ result: CheckResult, groupBy: Grouping = .section, trend: [TrendPoint] = [],
        ladder: Ladder? = nil, legend: String? = nil
    ) -> String {
        let shown = result.findings.filter { $0.waiver == nil }
        let facts = BoardFacts(result, shown: shown, ladder: ladder)
        let title = result.planName ?? (result.planFile as NSString).lastPathComponent
        let withHistory = shown.contains { $0.history != nil }
        var h = """
            <!DOCTYPE html>
            <html lang="en-GB">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(title)): board pack, \(BoardText.long(result.asOf))</title>
            <style>\(css)\(pageCSS(title: title, asOf: result.asOf))</style>
            </head>
            <body>

            """
        h += masthead(result, title: title)
        h += "<main>\n"
        h += decide(result, facts, shown: shown, withHistory: withHistory, trend: trend)
        h += picture(result, facts, trend: trend, legend: legend)
        h += register(result, facts, shown: shown, groupBy: groupBy)
        let file = esc((result.planFile as NSString).lastPathComponent)
        h += "</main>\n<footer><p>Produced by stocktake from \(file) with the rule set \(esc(result.ruleSet)) "
        h += "v\(esc(result.ruleSetVersion)), as of \(BoardText.long(result.asOf)). "
        h += "Levels and ratings are written in words; colour only repeats them.</p></footer>\n</body>\n</html>\n"
        return h
    }

    // MARK: - Masthead

    static func masthead(_ result: CheckResult, title: String) -> String {
        var h = "<header class=\"masthead\">\n<p class=\"kicker\">Board paper · improvement plan check</p>\n"
        h += "<h1>\(esc(title))</h1>\n<p class=\"meta\">Checked as of <time datetime=\"\(result.asOf)\">"
        h += "\(BoardText.long(result.asOf))</time> · "
        if let asAt = result.planAsAt {
            h += "the plan’s ratings are as at <time datetime=\"\(asAt)\">\(BoardText.long(asAt))</time>"
            if asAt < result.asOf { h += " (\(BoardText.count(result.asOf.number - asAt.number, "day")) before)" }
            h += " · "
        } else {
            h += "the plan gives no “as at” date · "
        }
        let file = esc((result.planFile as NSString).lastPathComponent)
        h += "\(BoardText.count(result.records, "action")) read from \(file) · "
        h += "rule set \(esc(result.ruleSet)) v\(esc(result.ruleSetVersion))</p>\n"
        // How the plan was read (its status legend, progress entries after the check date ignored).
        for note in result.notes { h += "<p class=\"meta\">\(esc(note))</p>\n" }
        h += "<nav aria-label=\"Parts of this paper\"><a href=\"#decide\">1. For decision</a> "
        h += "<a href=\"#picture\">2. The picture</a> <a href=\"#register\">3. Register of findings</a></nav>\n"
        return h + "</header>\n"
    }

    // MARK: - Part 1: what the board must decide

    static func decide(
        _ result: CheckResult, _ facts: BoardFacts, shown: [Finding], withHistory: Bool,
        trend: [TrendPoint]
    ) -> String {
        var h = "<section class=\"part\" id=\"decide\" aria-labelledby=\"decide-h\">\n"
        h += "<h2 id=\"decide-h\">1. What the board must decide</h2>\n<ul class=\"summary\">\n"
        for sentence in summary(result, facts, shown: shown, trend: withHistory ? trend : []) {
            h += "<li>\(sentence)</li>\n"
        }
        h += "</ul>\n"
        let board = facts.escalations
        let boardName = theBoard(facts)
        let rated = !facts.ratings.isEmpty
        let widerAtBoard = facts.wider.filter(facts.atBoard)
        guard !board.isEmpty else {
            if widerAtBoard.isEmpty {
                return h + "<p class=\"none\">No finding reaches \(esc(boardName)).</p>\n</section>\n"
            }
            h += "<p class=\"none\">No finding about one action reaches \(esc(boardName)).</p>\n"
            return h + widerList(widerAtBoard, caption: "Escalated to \(boardName): about the plan as a whole")
                + "</section>\n"
        }
        let listed = board.prefix(boardRows)
        let caption =
            board.count > listed.count
            ? "Escalated to \(esc(boardName)): the \(listed.count) most urgent of \(board.count) actions"
            : "Escalated to \(esc(boardName)): \(BoardText.count(board.count, "action")), most urgent first"
        // A plan that rates no action gets no column of blanks: the summary says so once.
        var headers =
            ["Ref", "Action", "Owner"] + (rated ? ["Rating"] : []) + ["Due", "Days overdue", "Escalated for"]
        var widths = [7, rated ? 29 : 34, 14] + (rated ? [10] : []) + [10, 10, rated ? 20 : 25]
        if withHistory {
            headers.append("Since the last run")
            widths = [7, rated ? 22 : 27, 12] + (rated ? [9] : []) + [10, 10, 16, 14]
        }
        h +=
            "<table class=\"board\">\n<caption>\(caption)</caption>\n" + colgroup(widths)
            + thead(headers, numeric: [headers.firstIndex(of: "Days overdue")!])
        for e in listed {
            let d = e.digest
            h += "<tr><th scope=\"row\">\(esc(e.ref))</th>"
            h += "<td>\(d?.action.map { esc(BoardText.shortened($0, limit: 130)) } ?? "")</td>"
            h += "<td>\(owners(d?.owners ?? e.findings[0].owners))</td>"
            if rated { h += "<td>\(rating(d))</td>" }
            let due = d?.due.map { "<time datetime=\"\($0)\">\(BoardText.short($0))</time>" }
            h += "<td>\(due ?? "<span class=\"none\">none</span>")</td>"
            let days = d?.daysOverdue(on: result.asOf).map(String.init)
            h += "<td class=\"num\">\(days ?? "<span class=\"none\">not overdue</span>")</td>"
            var why = e.findings.map {
                "<span class=\"badge sev-\($0.severity.rawValue)\">\($0.severity.rawValue)</span> \(esc($0.title))"
            }
            let others = e.allFindings - e.findings.count
            if others > 0 { why.append("<span class=\"more\">and \(BoardText.count(others, "other finding"))</span>") }
            h += "<td>\(why.joined(separator: "<br>"))</td>"
            if withHistory { h += "<td>\(change(e, asOf: result.asOf))</td>" }
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n"
        if board.count > listed.count {
            h += "<p class=\"note\">\(BoardText.count(board.count - listed.count, "more action")) escalated to "
            h += "\(esc(boardName)) \(board.count - listed.count == 1 ? "is" : "are") in the register (part 3).</p>\n"
        }
        if !widerAtBoard.isEmpty {
            h += widerList(widerAtBoard, caption: "Escalated to \(boardName): about the plan as a whole")
        }
        return h + "</section>\n"
    }

    /// The summary in words: what is overdue, how the owners rate it, who owns it, what reaches the board.
    static func summary(
        _ result: CheckResult, _ facts: BoardFacts, shown: [Finding], trend: [TrendPoint] = []
    ) -> [String] {
        var lines: [String] = []
        let all = facts.digests.count
        guard all > 0 else {
            return [
                "\(BoardText.count(result.findingCount, "finding")) on \(BoardText.count(result.records, "record"))."
            ]
        }
        let overdue = facts.overdue
        let unrecorded = facts.unrecorded.count
        if overdue.isEmpty && unrecorded == 0 {
            lines.append(
                "No open action is past its due date (of \(BoardText.count(all, "action")), \(facts.open.count) open).")
        } else if overdue.isEmpty {
            lines.append("No action is recorded as past its due date and not complete.")
        } else {
            let long = overdue.filter { $0.days > 90 }.count
            let past = overdue.count == 1 ? "is past its" : "are past their"
            var s = "<strong>\(overdue.count) of \(all) actions \(past) due date</strong> and not complete"
            if long > 0 { s += ", \(long == overdue.count ? "all" : "\(long)") of them by more than 90 days" }
            s += "; the longest overdue, \(esc(overdue[0].digest.ref)), by \(BoardText.count(overdue[0].days, "day"))."
            lines.append(s)
        }
        if unrecorded > 0 {
            let past = unrecorded == 1 ? "actions is past its" : "actions are past their"
            lines.append(
                "<strong>\(unrecorded) of \(all) \(past) due date with no rating and no dated progress"
                    + "</strong>: the plan does not say whether \(unrecorded == 1 ? "it is" : "they are") done.")
        }
        let rated = facts.ratings
        if rated.isEmpty {
            lines.append("The plan gives no rating for any action: its rating column is blank on every row.")
        } else {
            let parts = rated.map { "\($0.actions) as <strong>\(esc($0.word))</strong>" }
            let have = facts.unrated == 1 ? "has" : "have"
            let unrated = facts.unrated == 0 ? "" : "; \(facts.unrated) \(have) no rating"
            lines.append("Owners rate \(BoardText.list(parts))\(unrated).")
            let calm = rated.filter { ["on-track", "not-started"].contains($0.state) && $0.overdue > 0 }
            for r in calm {
                var line = "\(r.overdue) rated \(esc(r.word)) \(r.overdue == 1 ? "is past its" : "are past their") due date"
                if r.ratedBeforeDue > 0 {
                    let all = r.ratedBeforeDue == r.overdue
                    line += all ? ", but " + (r.overdue == 1 ? "it was" : "all were") : ", \(r.ratedBeforeDue) of them"
                    line += " rated before the date passed: the rating may be out of date"
                }
                lines.append(line + ".")
            }
        }
        let unowned = facts.open.filter { BoardFacts.namedOwners($0).isEmpty }
        if unowned.isEmpty {
            lines.append("Every open action has a named owner.")
        } else {
            var line = "<strong>\(unowned.count) open action\(unowned.count == 1 ? " has" : "s have") no named owner</strong>"
            let standIns = unowned.filter { !$0.owners.isEmpty }
            if let first = standIns.first?.owners.first {
                line += standIns.count == unowned.count ? " (" : " (\(standIns.count) of them "
                line += "given only as “\(esc(first))”\(standIns.count > 1 ? " or the like" : ""))"
            }
            lines.append(line + ".")
        }
        let undated = facts.open.filter { $0.due == nil }.count
        let done = all - facts.open.count
        var progress =
            done == 0 ? "No action is recorded as complete" : "\(done) of \(all) actions \(done == 1 ? "is" : "are") complete"
        if undated > 0 { progress += "; \(undated) open action\(undated == 1 ? " has" : "s have") no due date" }
        lines.append(progress + ".")
        let boardName = esc(theBoard(facts))
        let board = facts.escalations.count
        let wider = facts.wider.filter(facts.atBoard).count
        let aboutPlan = "\(BoardText.count(wider, "finding")) about the plan as a whole"
        if board == 0 {
            lines.append(
                wider == 0
                    ? "No finding is escalated to \(boardName)."
                    : "No action is escalated to \(boardName), but \(aboutPlan) \(wider == 1 ? "is" : "are") (listed below).")
        } else {
            lines.append(
                "\(BoardText.count(board, "action")) \(board == 1 ? "is" : "are") escalated to \(boardName)"
                    + (board > boardRows
                        ? "; the \(boardRows) most urgent are listed below for decision"
                        : ", listed below for decision")
                    + (wider == 0 ? "." : ", followed by \(aboutPlan) that \(wider == 1 ? "reaches" : "reach") it too."))
        }
        // With history: how the count moved since the run before this one, and what is new at the board.
        let earlier = trend.filter { $0.asOf < result.asOf.description }
        if let last = earlier.last {
            let fresh = facts.escalations.filter { $0.findings.contains { ($0.history?.runs ?? 2) <= 1 } }.count
            let when = Day(iso: last.asOf).map(BoardText.long) ?? esc(last.asOf)
            var s =
                "Since the last recorded run, as of \(when): \(last.findings) findings then, \(result.findingCount) now"
            s +=
                fresh == 0
                ? "; every escalation to \(boardName) was already reported then."
                : "; \(BoardText.count(fresh, "escalation")) to \(boardName) \(fresh == 1 ? "is" : "are") new this run."
            lines.append(s)
        }
        let actions = Set(facts.actionFindings.map(\.source.description)).count
        var register = "The register (part 3) lists \(BoardText.count(facts.actionFindings.count, "finding")) "
        register += "on \(BoardText.count(actions, "action"))"
        if !facts.wider.isEmpty { register += " and \(facts.wider.count) about the plan as a whole" }
        if shown.count < result.findingCount {
            register += " (of \(result.findingCount) in all: the list was shortened)"
        }
        let waived = result.findings.count - shown.count
        if waived > 0 { register += "; \(waived) waived finding\(waived == 1 ? " is" : "s are") not listed" }
        lines.append(register + ".")
        return lines
    }

    /// The board's level as a sentence names it: "the SEND Improvement Board".
    static func theBoard(_ facts: BoardFacts) -> String {
        guard let name = facts.boardLevel?.name else { return "the board" }
        return name.lowercased().hasPrefix("the ") ? name : "the " + name
    }

    /// What changed for an escalated action since the last run: new, for how long, rating and date moves.
    static func change(_ e: BoardFacts.Escalation, asOf: Day) -> String {
        var notes: [String] = []
        if let d = e.digest {
            if !d.seenBefore { notes.append("New in the plan") }
            if d.seenBefore, d.previousStatus != d.status {
                notes.append("Rating \(d.previousStatus ?? "none") → \(d.status ?? "none")")
            }
            if d.seenBefore, let was = d.previousDue, was != d.due {
                notes.append("Due date moved from \(BoardText.short(was)) to \(d.due.map(BoardText.short) ?? "none")")
            }
        }
        if let h = e.findings.compactMap(\.history).max(by: { $0.runs < $1.runs }) {
            notes.append(
                h.runs <= 1
                    ? "First reported this run"
                    : "Reported \(h.runs) runs in a row, since \(BoardText.short(h.firstSeen))")
        }
        return notes.map(esc).joined(separator: "<br>")
    }

    // MARK: - Part 2: the picture

    /// `legend`: the name of the status legend the ratings were read with.
    static func picture(_ result: CheckResult, _ facts: BoardFacts, trend: [TrendPoint], legend: String?) -> String {
        var h = "<section class=\"part\" id=\"picture\" aria-labelledby=\"picture-h\">\n"
        h += "<h2 id=\"picture-h\">2. The picture</h2>\n"
        guard !facts.digests.isEmpty else { return h + "<p class=\"none\">No record was read.</p>\n</section>\n" }
        h += "<h3>The plan’s own ratings</h3>\n"
        if facts.ratings.isEmpty {
            h += "<p>No action is rated: the plan’s rating column is blank on all \(facts.digests.count) rows. "
            h += "Completion below is read from the progress notes.</p>\n"
        } else {
            var rows = facts.ratings.map { r in
                [
                    "<th scope=\"row\"><span class=\"rating \(ratingClass(r.state))\">\(esc(r.word))</span></th>",
                    esc(meaning(r.state)), "\(r.actions)", "\(r.overdue)",
                ]
            }
            if facts.unrated > 0 {
                rows.append([
                    "<th scope=\"row\"><span class=\"none\">No rating</span></th>", "", "\(facts.unrated)", "",
                ])
            }
            h += table(
                caption: "Actions by the rating their owners give" + (legend.map { ", read with the \($0) legend" } ?? ""),
                headers: ["Rating", "Means", "Actions", "Of them overdue"],
                widths: [34, 34, 14, 18], rows: rows, numeric: [2, 3])
        }
        h += "<h3>Load by owner</h3>\n"
        let anyRated = !facts.ratings.isEmpty
        if facts.owners.isEmpty {
            h += "<p>No action is open.</p>\n"
        } else {
            // Columns that would be blank for every owner are left out.
            let unrecorded = !facts.unrecorded.isEmpty
            var headers = ["Owner", "Open", "Overdue"]
            var widths = [40, 10, 10]
            if unrecorded {
                headers.append("Past due, no rating or dated progress")
                widths.append(14)
            }
            if anyRated {
                headers.append("Rated at risk or vulnerable")
                widths.append(14)
            }
            let anyOverdue = !facts.overdue.isEmpty
            if anyOverdue { headers.append("Oldest overdue") }
            widths[0] += 100 - widths.reduce(0, +) - (anyOverdue ? 26 : 0)
            if anyOverdue { widths.append(26) }
            let rows = facts.owners.map { o -> [String] in
                var row = [rowHeader(o.owner, placeholder: BoardFacts.noNamedOwner), "\(o.open)", "\(o.overdue)"]
                if unrecorded { row.append("\(o.unrecorded)") }
                if anyRated { row.append("\(o.atRisk)") }
                if anyOverdue {
                    row.append(o.oldest.map { "\(esc($0.ref)), \(BoardText.count($0.days, "day"))" } ?? "")
                }
                return row
            }
            h += table(
                caption: "Open actions per owner, most overdue first (an action with two owners counts for each)",
                headers: headers, widths: widths, rows: rows,
                numeric: Set(1..<headers.count - (anyOverdue ? 1 : 0)))
        }
        if facts.sections.count > 1 {
            h += "<h3>Progress by section</h3>\n"
            let rows = facts.sections.map { s -> [String] in
                let share = s.actions == 0 ? 0 : Int((Double(s.complete) / Double(s.actions) * 100).rounded())
                return [
                    rowHeader(s.section, placeholder: "No section"),
                    "\(s.actions)", "\(s.complete)", "\(s.open)", "\(s.overdue)",
                    "<span class=\"bar\" aria-hidden=\"true\"><span style=\"width:\(share)%\"></span></span> \(share)%",
                ]
            }
            h += table(
                caption: "Actions in each section of the plan, in plan order",
                headers: ["Section", "Actions", "Complete", "Open", "Overdue", "Share complete"],
                widths: [36, 11, 11, 10, 11, 21], rows: rows, numeric: [1, 2, 3, 4])
        }
        var charts = ""
        charts += chartIfTelling(title: "Open actions by days past due", bars: overdueBands(facts))
        if trend.count > 1 {
            charts += chartIfTelling(
                title: "Findings at each recorded run", bars: trend.map { (label: $0.asOf, value: $0.findings) })
        }
        if !charts.isEmpty { h += "<h3>Charts</h3>\n<div class=\"charts\">\n\(charts)</div>\n" }
        let moved = facts.digests.filter { $0.seenBefore && $0.previousStatus != $0.status }
        if facts.digests.contains(where: \.seenBefore) {
            h += "<h3>Rating movement since the last run</h3>\n"
            if moved.isEmpty {
                h += "<p>No action’s rating changed since the last recorded run.</p>\n"
            } else {
                h += table(
                    caption: "Actions whose rating changed since the last run",
                    headers: ["Ref", "Action", "Was", "Now"],
                    widths: [8, 56, 18, 18],
                    rows: moved.map { d in
                        [
                            "<th scope=\"row\">\(esc(d.ref))</th>",
                            esc(BoardText.shortened(d.action ?? "", limit: 120)),
                            d.previousStatus.map(esc) ?? "<span class=\"none\">none</span>", rating(d),
                        ]
                    })
            }
        }
        return h + "</section>\n"
    }

    static func overdueBands(_ facts: BoardFacts) -> [(label: String, value: Int)] {
        var bands = [0, 0, 0, 0]
        for (_, days) in facts.overdue { bands[days <= 30 ? 0 : days <= 90 ? 1 : days <= 180 ? 2 : 3] += 1 }
        return zip(["1–30 days", "31–90 days", "91–180 days", "over 180 days"], bands).map { (label: $0, value: $1) }
    }

    /// A chart only when it says something: at least two bars, not all of them zero.
    static func chartIfTelling(title: String, bars: [(label: String, value: Int)]) -> String {
        bars.filter({ $0.value > 0 }).count < 2 ? "" : barChart(title: title, bars: bars)
    }

    // MARK: - Part 3: the register

    static func register(_ result: CheckResult, _ facts: BoardFacts, shown: [Finding], groupBy: Grouping) -> String {
        var h = "<section class=\"part\" id=\"register\" aria-labelledby=\"register-h\">\n"
        h += "<h2 id=\"register-h\">3. Register of findings</h2>\n"
        guard !shown.isEmpty else { return h + "<p>No findings.</p>\n</section>\n" }
        h += "<p>Every finding once: first those about the plan as a whole, then those about one action, grouped "
        h += "by \(groupName(groupBy)); each action appears once in its group with its findings, most urgent first. "
        h += "Source gives the row of the plan"
        let rated = !facts.ratings.isEmpty
        h += rated ? ".</p>\n" : "; the plan rates no action, so there is no rating column.</p>\n"
        if !facts.wider.isEmpty {
            h += "<h3>The plan as a whole <span class=\"count\">(\(BoardText.count(facts.wider.count, "finding")))</span>"
            h += "</h3>\n" + widerList(facts.wider, caption: "Findings about the plan as a whole, not one action")
        }
        for (name, group) in registerGroups(facts.actionFindings, groupBy, facts) {
            h += "<h3>\(esc(name)) <span class=\"count\">(\(BoardText.count(group.count, "finding")))</span></h3>\n"
            h += "<table class=\"register\">\n<caption>Findings: \(esc(name))</caption>\n"
            h +=
                colgroup(rated ? [7, 32, 10, 41, 10] : [7, 38, 45, 10])
                + thead(["Ref", "Action"] + (rated ? ["Rating"] : []) + ["Findings", "Source"])
            for row in actionRows(group) {
                let d = facts.bySource[row[0].source]
                h += "<tr><th scope=\"row\">\(esc(row[0].ref))</th><td>"
                if let action = d?.action { h += esc(action) }
                var meta: [String] = []
                let owners = d?.owners ?? row[0].owners
                meta.append(owners.isEmpty ? "no owner" : "owner: " + owners.map(esc).joined(separator: ", "))
                if let due = d?.due { meta.append("due \(BoardText.short(due))") }
                h += "<span class=\"owner\">\(meta.joined(separator: " · "))</span></td>"
                if rated { h += "<td>\(rating(d))</td>" }
                h += "<td><ul class=\"findings\">"
                for f in row { h += finding(f) }
                h += "</ul></td><td>\(esc(BoardText.location(row[0].source, planFile: result.planFile)))</td></tr>\n"
            }
            h += "</tbody>\n</table>\n"
        }
        return h + "</section>\n"
    }

    /// Findings not about one action: what each is about (the plan, or the owner whose actions
    /// it counts), the finding and where it was read.
    static func widerList(_ findings: [Finding], caption: String) -> String {
        var h = "<table class=\"wider\">\n<caption>\(esc(caption))</caption>\n"
        h += colgroup([18, 82]) + thead(["About", "Finding"])
        for f in findings {
            let about = f.aboutPlan ? "The plan" : f.ref
            h += "<tr><th scope=\"row\">\(esc(about))</th><td><ul class=\"findings\">\(finding(f))</ul></td></tr>\n"
        }
        return h + "</tbody>\n</table>\n"
    }

    static func finding(_ f: Finding) -> String {
        let level = f.severity.rawValue
        var h = "<li data-finding=\"\(esc(f.fingerprint))\"><span class=\"badge sev-\(level)\">\(level)</span> "
        h += esc(f.message)
        if f.statutory { h += " <span class=\"badge\">statutory</span>" }
        var notes: [String] = []
        if let e = f.escalation {
            let who =
                e.recipients.isEmpty || e.id == "owner" || e.recipients == [e.name]
                ? "" : " (\(e.recipients.joined(separator: ", ")))"
            notes.append("to \(e.name)\(who)")
        } else if !f.escalateTo.isEmpty {
            notes.append("to \(f.escalateTo.joined(separator: " → "))")
        }
        if let hist = f.history {
            notes.append(
                hist.runs <= 1 ? "new this run" : "since \(BoardText.short(hist.firstSeen)), \(hist.runs) runs")
        }
        if !notes.isEmpty { h += " <span class=\"to\">\(esc(notes.joined(separator: " · ")))</span>" }
        return h + "</li>"
    }

    static func groupName(_ g: Grouping) -> String {
        switch g {
        case .level: return "escalation level"
        default: return g.rawValue
        }
    }

    /// The register's groups: each finding in exactly one (by owner: the action's owners together).
    /// Sections come in plan order; other groupings by their most urgent finding.
    static func registerGroups(_ shown: [Finding], _ groupBy: Grouping, _ facts: BoardFacts) -> [(String, [Finding])] {
        var order: [String] = []
        var groups: [String: [Finding]] = [:]
        for f in shown {
            let key: String
            switch groupBy {
            case .owner: key = f.owners.isEmpty ? "No owner" : f.owners.joined(separator: ", ")
            case .section: key = facts.bySource[f.source]?.section ?? f.section ?? "No section"
            default: key = groupBy.groups([f]).first?.0 ?? ""
            }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(f)
        }
        if groupBy == .section {
            let planOrder = facts.sections.map(\.section)
            order = order.enumerated().sorted {
                (planOrder.firstIndex(of: $0.element) ?? Int.max, $0.offset) < (
                    planOrder.firstIndex(of: $1.element) ?? Int.max, $1.offset
                )
            }.map(\.element)
        }
        return order.map { ($0, groups[$0]!) }
    }

    /// A group's findings as rows, one per action (its findings in priority order), actions in plan order.
    static func actionRows(_ group: [Finding]) -> [[Finding]] {
        var index: [SourceLocation: Int] = [:]
        var rows: [[Finding]] = []
        for f in group {
            if let i = index[f.source] {
                rows[i].append(f)
            } else {
                index[f.source] = rows.count
                rows.append([f])
            }
        }
        return rows.sorted { a, b in
            let (x, y) = (a[0].source, b[0].source)
            return (x.file, x.line, x.cell ?? "") < (y.file, y.line, y.cell ?? "")
        }
    }

    // MARK: - Pieces

    /// A row's header cell; the placeholder for "no owner" or "no section" is set apart as such.
    static func rowHeader(_ text: String, placeholder: String) -> String {
        "<th scope=\"row\">\(text == placeholder ? "<span class=\"none\">\(placeholder)</span>" : esc(text))</th>"
    }

    static func owners(_ names: [String]) -> String {
        names.isEmpty ? "<span class=\"none\">no owner</span>" : names.map(esc).joined(separator: ", ")
    }

    /// The rating as the plan writes it, with its colour class; "none given" when blank.
    static func rating(_ d: RecordDigest?) -> String {
        guard let d, let status = d.status else {
            if let d, d.complete {
                return "<span class=\"none\">none given</span> <span class=\"done\">complete by progress notes</span>"
            }
            return "<span class=\"none\">none given</span>"
        }
        return "<span class=\"rating \(ratingClass(d.state))\">\(esc(status))</span>"
    }

    static func ratingClass(_ state: String?) -> String {
        switch state {
        case "at-risk": return "r-at-risk"
        case "vulnerable": return "r-vulnerable"
        case "not-started": return "r-not-started"
        case "on-track": return "r-on-track"
        case "complete", "complete-unevidenced": return "r-complete"
        default: return "r-unknown"
        }
    }

    static func meaning(_ state: String?) -> String {
        switch state {
        case nil: return "not in the legend"
        case "complete-unevidenced": return "complete, impact still to evidence"
        case "vulnerable": return "vulnerable: may slip"
        case let state?: return state.replacingOccurrences(of: "-", with: " ")
        }
    }

    static func colgroup(_ widths: [Int]) -> String {
        "<colgroup>" + widths.map { "<col style=\"width:\($0)%\">" }.joined() + "</colgroup>\n"
    }

    static func thead(_ headers: [String], numeric: Set<Int> = []) -> String {
        var t = "<thead><tr>"
        for (i, h) in headers.enumerated() {
            t += "<th scope=\"col\"\(numeric.contains(i) ? " class=\"num\"" : "")>\(esc(h))</th>"
        }
        return t + "</tr></thead>\n<tbody>\n"
    }

    /// A table whose cells are given as HTML; a cell that starts with `<th` is written as it is.
    /// `widths` (per cent) fix the layout, so that no cell's content can widen the page.
    static func table(
        caption: String, headers: [String], widths: [Int] = [], rows: [[String]], numeric: Set<Int> = []
    ) -> String {
        var t =
            "<table>\n<caption>\(esc(caption))</caption>\n" + (widths.isEmpty ? "" : colgroup(widths))
            + thead(headers, numeric: numeric)
        for row in rows {
            t += "<tr>"
            for (i, cell) in row.enumerated() {
                t += cell.hasPrefix("<th") ? cell : "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(cell)</td>"
            }
            t += "</tr>\n"
        }
        return t + "</tbody>\n</table>\n"
    }

    /// A horizontal bar chart as inline SVG, with the numbers written beside the bars and all of
    /// them in its accessible name.
    static func barChart(title: String, bars: [(label: String, value: Int)]) -> String {
        let rowHeight = 22
        let labelWidth = 130
        let barWidth = 300
        let height = max(1, bars.count) * rowHeight + 10
        let top = max(1, bars.map(\.value).max() ?? 1)
        let said = bars.map { "\($0.label): \($0.value)" }.joined(separator: "; ")
        var svg = "<figure><figcaption>\(esc(title))</figcaption>\n"
        svg += "<svg role=\"img\" aria-label=\"\(esc(title)). \(esc(said))\" width=\"\(labelWidth + barWidth + 50)\" "
        svg += "height=\"\(height)\" viewBox=\"0 0 \(labelWidth + barWidth + 50) \(height)\">\n"
        for (i, bar) in bars.enumerated() {
            let y = i * rowHeight + 5
            let w = Int(Double(bar.value) / Double(top) * Double(barWidth))
            let label = bar.label.count > 18 ? String(bar.label.prefix(17)) + "…" : bar.label  // about 7 px a character
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(esc(label))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(max(w, 1))\" height=\"15\"/>"
            svg += "<text x=\"\(labelWidth + max(w, 1) + 5)\" y=\"\(y + 15)\">\(bar.value)</text>\n"
        }
        return svg + "</svg></figure>\n"
    }

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A CSS string literal: quotes, backslashes and anything that could end the style element
    /// or the line are escaped as code points.
    static func cssString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            if c == "\"" || c == "\\" || c == "<" || c == ">" || c == "&" || c.value < 0x20 || c.value == 0x7F {
                out += "\\" + String(c.value, radix: 16) + " "
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// The printed page: A4, a running header with the plan and the date, page numbers below.
    static func pageCSS(title: String, asOf: Day) -> String {
        """

        @page{size:A4;margin:17mm 13mm 15mm;\
        @top-left{content:\(cssString(BoardText.shortened(title, limit: 80)));font:8pt system-ui,Arial,sans-serif;\
        color:#333}\
        @top-right{content:\(cssString("Board pack, " + BoardText.long(asOf)));font:8pt system-ui,Arial,sans-serif;\
        color:#333}\
        @bottom-right{content:"Page " counter(page) " of " counter(pages);font:8pt system-ui,Arial,sans-serif;\
        color:#333}}
        """
    }

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;color:#111;background:#fff;\
        margin:1.5rem 2rem;\
        line-height:1.4;max-width:75rem}
        .masthead{border-bottom:3px solid #1d4f91;padding-bottom:.5rem;margin-bottom:.5rem}
        .kicker{margin:0;color:#1d4f91;font-weight:600;font-size:.85rem;text-transform:uppercase;letter-spacing:.04em}
        h1{font-size:1.55rem;margin:.1rem 0 .2rem}h2{font-size:1.25rem;margin:.9rem 0 .4rem;color:#1d4f91}
        h3{font-size:1.05rem;margin:1.2rem 0 .3rem}.meta{margin:0;color:#333;font-size:.9rem}
        nav{font-size:.85rem;margin-top:.3rem}nav a{color:#1d4f91;margin-right:1rem}
        .summary{margin:.2rem 0 .8rem;padding-left:1.2rem}.summary li{margin:.1rem 0}
        table{border-collapse:collapse;width:100%;margin:.3rem 0 1.2rem;font-size:.86rem}
        caption{text-align:left;font-weight:600;padding:.2rem 0;caption-side:top}
        th,td{border:1px solid #8a8a8a;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
        td{overflow-wrap:anywhere}table{table-layout:fixed}
        thead th{background:#e8edf5}tbody th{font-weight:600}.num{text-align:right}
        .badge{display:inline-block;padding:0 .3rem;border:1px solid #333;border-radius:3px;font-size:.75rem;\
        font-weight:700;\
        text-transform:uppercase;letter-spacing:.02em}
        .sev-critical{background:#6b0f1a;color:#fff}.sev-error{background:#b00020;color:#fff}\
        .sev-warning{background:#ffd24d;color:#000}.sev-info{background:#dfe9f5;color:#000}
        .rating{display:inline-block;padding:0 .35rem;border:1px solid #333;border-radius:3px;font-weight:600}
        .r-at-risk{background:#b00020;color:#fff}.r-vulnerable{background:#ffbf47;color:#000}\
        .r-not-started{background:#505a5f;color:#fff}.r-on-track{background:#00703c;color:#fff}\
        .r-complete{background:#1d70b8;color:#fff}.r-unknown{background:#fff;color:#111;border-style:dashed}
        .none{color:#555;font-style:italic}.done{display:block;font-size:.9em;color:#333}.more{color:#333;\
        font-size:.85em}
        .owner{display:block;margin-top:.2rem;font-size:.92em;color:#333}.count{font-weight:400;color:#333}
        .findings{margin:0;padding-left:1rem}.findings li{margin:0 0 .2rem}.to{color:#333;font-size:.85em}
        .bar{display:inline-block;width:5rem;height:.7rem;border:1px solid #555;vertical-align:middle;\
        margin-right:.3rem}
        .bar span{display:block;height:100%;background:#1d4f91}
        .charts{display:flex;flex-wrap:wrap;gap:2rem}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3rem}
        svg{max-width:100%;height:auto}svg text{font:12px system-ui,Arial,sans-serif;fill:#111}svg rect{fill:#1d4f91}
        .note{color:#333;font-size:.9rem}footer{margin-top:1.5rem;border-top:1px solid #8a8a8a;font-size:.8rem;\
        color:#333}
        @media print{body{margin:0;font-size:9.5pt;max-width:none}nav{display:none}\
        .part+.part{break-before:page}h2,h3,caption{break-after:avoid}tr{break-inside:avoid}\
        thead{display:table-header-group}table{font-size:8.5pt}a{color:inherit;text-decoration:none}\
        h1{font-size:15pt}.meta{font-size:8pt}.summary li{margin:0}\
        table.board{font-size:7.5pt}.board th,.board td{padding:.1rem .3rem}.board .more{font-size:7pt}}
        """
}

extension HTMLReport: ReportWriter {
    public static var note: String? { "a self-contained board pack" }
    public static var readsTrend: Bool { true }
    public static var readsRecords: Bool { true }

    public static func write(_ report: ReportInput, _ chunk: ([UInt8]) throws -> Void) throws {
        try chunk(Array(render(report).utf8))
    }

    /// The pack of a run, grouped by section unless another grouping is asked for (severity is
    /// the other formats' default).
    public static func render(_ report: ReportInput) -> String {
        let groupBy = report.groupBy == .severity ? .section : report.groupBy
        return render(report.listed, groupBy: groupBy, trend: report.trend, ladder: report.ruleSet.ladder,
                      legend: report.ruleSet.statuses.legend)
    }
}
