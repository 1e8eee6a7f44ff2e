import Expressions
import Foundation
import PlanData
import Rules

/// What the board pack says about the plan as a whole, counted from the records' digests and
/// the findings: overdue actions, the plan's own ratings, each owner's load, progress by section
/// and the escalations that reach the board. Everything here is plain counting, so that the
/// HTML layout (HTMLReport) only arranges it.
struct BoardFacts {
    struct Rating {
        /// The word as the plan writes it (the first spelling met, case and spacing aside).
        var word: String
        var state: String?
        var actions = 0
        var overdue = 0
        /// Of the overdue, those rated before their due date passed: the rating may be stale.
        var ratedBeforeDue = 0
    }

    struct OwnerLoad {
        var owner: String
        var open = 0
        var overdue = 0
        /// Past due with neither a rating nor progress recorded (the plan does not say if done).
        var unrecorded = 0
        var atRisk = 0
        var oldest: (ref: String, days: Int)?
    }

    struct SectionProgress {
        var section: String
        var actions = 0
        var complete = 0
        var overdue = 0
        var open: Int { actions - complete }
    }

    /// One action escalated to the board, with the findings that took it there.
    struct Escalation {
        var digest: RecordDigest?
        var ref: String
        var findings: [Finding]
        /// All of the action's listed findings, at any level.
        var allFindings: Int
    }

    let asOf: Day
    let digests: [RecordDigest]
    /// Digests by the record's source location (a finding's source is its record's).
    let bySource: [SourceLocation: RecordDigest]
    let open: [RecordDigest]
    /// Open actions past their due date, most overdue first.
    let overdue: [(digest: RecordDigest, days: Int)]
    /// Actions past their due date of which the plan records neither a rating nor dated progress:
    /// they may be done or not, the plan does not say (the rules report them as such, not as overdue).
    let unrecorded: [RecordDigest]
    let ratings: [Rating]
    let unrated: Int
    let owners: [OwnerLoad]
    let sections: [SectionProgress]
    /// The top rung of the ladder (nil without one: then critical findings count as the board's).
    let boardLevel: Ladder.Level?
    let escalations: [Escalation]
    /// Findings about the plan as a whole or about more than one action (an owner's load), most
    /// urgent first: they have a list of their own, never a row of one action.
    let wider: [Finding]
    /// The findings about one action.
    let actionFindings: [Finding]

    init(_ result: CheckResult, shown: [Finding], ladder: Ladder?) {
        asOf = result.asOf
        digests = result.digests
        var bySource: [SourceLocation: RecordDigest] = [:]
        for d in digests where bySource[d.source] == nil { bySource[d.source] = d }
        self.bySource = bySource
        open = digests.filter { !$0.complete }
        overdue = open.compactMap { d in d.daysOverdue(on: result.asOf).map { (d, $0) } }
            .enumerated().sorted { ($0.element.1, -$0.offset) > ($1.element.1, -$1.offset) }.map(\.element)
        unrecorded = open.filter { $0.daysPastDue(on: result.asOf) != nil && !$0.recorded }
        (ratings, unrated) = Self.ratings(digests, asOf: result.asOf)
        owners = Self.owners(open, asOf: result.asOf)
        sections = Self.sections(digests, asOf: result.asOf)
        boardLevel = ladder?.levels.last
        func aboutAction(_ f: Finding) -> Bool {
            !f.aboutPlan && (bySource[f.source].map { $0.ref == f.ref } ?? true)
        }
        wider = shown.filter { !aboutAction($0) }
        actionFindings = shown.filter(aboutAction)
        escalations = Self.escalations(actionFindings, boardLevel: boardLevel, bySource: bySource)
    }

    /// Whether `f` is at the board's level of the ladder (critical, without a ladder).
    func atBoard(_ f: Finding) -> Bool { Self.isAtBoard(f, boardLevel) }

    static func isAtBoard(_ f: Finding, _ boardLevel: Ladder.Level?) -> Bool {
        if let boardLevel { return f.escalation?.id == boardLevel.id }
        return f.severity == .critical
    }

    /// The order ratings are listed in: the worst first, as a board reads them.
    static let stateOrder = ["at-risk", "vulnerable", "not-started", "on-track", "complete-unevidenced", "complete"]

    static func ratings(_ digests: [RecordDigest], asOf: Day) -> ([Rating], unrated: Int) {
        var byKey: [String: Rating] = [:]
        var order: [String] = []
        var unrated = 0
        for d in digests {
            guard let word = d.status?.trimmingCharacters(in: .whitespaces), !word.isEmpty else {
                unrated += 1
                continue
            }
            let key = word.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = Rating(word: word, state: d.state)
            }
            byKey[key]!.actions += 1
            if d.daysOverdue(on: asOf) != nil {
                byKey[key]!.overdue += 1
                if let ratedOn = d.ratedOn, let due = d.due, ratedOn < due { byKey[key]!.ratedBeforeDue += 1 }
            }
        }
        func rank(_ r: Rating) -> Int { r.state.flatMap { stateOrder.firstIndex(of: $0) } ?? stateOrder.count }
        let listed = order.enumerated().map { (offset: $0.offset, rating: byKey[$0.element]!) }
            .sorted { (rank($0.rating), $0.offset) < (rank($1.rating), $1.offset) }.map(\.rating)
        return (listed, unrated)
    }

    static let noNamedOwner = "No named owner"

    /// The action's owners that name someone (placeholders such as "To be allocated" left out).
    static func namedOwners(_ d: RecordDigest) -> [String] {
        d.owners.filter { !OwnerPlaceholder.matches($0) }
    }

    static func owners(_ open: [RecordDigest], asOf: Day) -> [OwnerLoad] {
        var loads: [String: OwnerLoad] = [:]
        var order: [String] = []
        for d in open {
            // "To be allocated", "TBC": nobody carries the load, so it counts as no named owner.
            let named = namedOwners(d)
            for owner in named.isEmpty ? [noNamedOwner] : named {
                if loads[owner] == nil {
                    order.append(owner)
                    loads[owner] = OwnerLoad(owner: owner)
                }
                loads[owner]!.open += 1
                if d.atRisk { loads[owner]!.atRisk += 1 }
                if let days = d.daysOverdue(on: asOf) {
                    loads[owner]!.overdue += 1
                    if days > loads[owner]!.oldest?.days ?? -1 { loads[owner]!.oldest = (d.ref, days) }
                } else if d.daysPastDue(on: asOf) != nil {
                    loads[owner]!.unrecorded += 1
                }
            }
        }
        // Most overdue first: by overdue actions, then the oldest, then unrecorded ones past due,
        // then open actions, then name.
        func key(_ l: OwnerLoad) -> (Int, Int, Int, Int, String) {
            (-l.overdue, -(l.oldest?.days ?? 0), -l.unrecorded, -l.open, l.owner)
        }
        return order.map { loads[$0]! }.sorted { key($0) < key($1) }
    }

    static func sections(_ digests: [RecordDigest], asOf: Day) -> [SectionProgress] {
        var rows: [String: SectionProgress] = [:]
        var order: [String] = []
        for d in digests {
            let name = d.section ?? "No section"
            if rows[name] == nil {
                order.append(name)
                rows[name] = SectionProgress(section: name)
            }
            rows[name]!.actions += 1
            if d.complete { rows[name]!.complete += 1 }
            if d.daysOverdue(on: asOf) != nil { rows[name]!.overdue += 1 }
        }
        return order.map { rows[$0]! }
    }

    /// The actions with findings at the board's level, in the order of their most urgent one.
    static func escalations(
        _ shown: [Finding], boardLevel: Ladder.Level?,
        bySource: [SourceLocation: RecordDigest]
    ) -> [Escalation] {
        // `shown` holds only findings about one action, so an action is known by its source.
        var index: [String: Int] = [:]
        var list: [Escalation] = []
        var counts: [String: Int] = [:]
        for f in shown {
            let key = f.source.description
            counts[key, default: 0] += 1
            guard isAtBoard(f, boardLevel) else { continue }
            if let i = index[key] {
                list[i].findings.append(f)
            } else {
                index[key] = list.count
                list.append(Escalation(digest: bySource[f.source], ref: f.ref, findings: [f], allFindings: 0))
            }
        }
        for i in list.indices { list[i].allFindings = counts[list[i].findings[0].source.description] ?? 0 }
        return list
    }
}

/// Dates and numbers as a British board paper writes them.
enum BoardText {
    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ]

    /// "1 July 2024".
    static func long(_ day: Day) -> String {
        let (y, m, d) = day.civil
        return "\(d) \(months[m - 1]) \(y)"
    }

    /// "30 Sep 2023" (tables).
    static func short(_ day: Day) -> String {
        let (y, m, d) = day.civil
        return "\(d) \(months[m - 1].prefix(3)) \(y)"
    }

    /// "1 action", "2 actions".
    static func count(_ n: Int, _ noun: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? noun : plural ?? noun + "s")"
    }

    /// "a, b and c".
    static func list(_ items: [String]) -> String {
        items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    /// The text cut at a word boundary near `limit` characters, with an ellipsis when cut.
    static func shortened(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        let head = text.prefix(limit)
        let cut = head.lastIndex(where: { $0 == " " }).map { head[..<$0] } ?? head
        return cut.trimmingCharacters(in: CharacterSet(charactersIn: " ,;:.-–")) + "…"
    }

    /// A finding's source as a short location: the line, or the sheet and cell, with the file's
    /// name only when it is not the plan's own.
    static func location(_ source: SourceLocation, planFile: String) -> String {
        let name = (source.file as NSString).lastPathComponent
        let same = source.file == planFile
        if let sheet = source.sheet, let cell = source.cell { return (same ? "" : name + " ") + "\(sheet)!\(cell)" }
        return (same ? "line " : name + ":") + "\(source.line)"
    }
}
