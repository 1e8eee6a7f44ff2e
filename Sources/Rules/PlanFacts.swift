import Foundation
import Expressions
import PlanData
import Timescales

/// What the engine learns about a plan as a whole while its records pass: which fields rules
/// `need` it ever fills, the status words the legend does not know, and how much of its dated
/// content lies after the check date. From these come the plan-level findings (a finding about
/// the plan, not a record) and the report head's notes.
struct PlanFacts {
    /// Fields some rule needs, by slot, and whether a record has filled each yet.
    let needed: [(name: String, slot: Int)]
    var present: Set<String> = []
    let statusSlot: Int?
    /// Whether rules read statuses through the legend (else no word is "unknown").
    let watchesStatuses: Bool
    /// Status texts no state knows, in order of first use, with their counts.
    var unknownStatuses: [(text: String, count: Int)] = []
    /// Progress entries dated after the check date (ignored), and the records that had them.
    var entriesCut = 0, recordsCut = 0
    /// Slots of the fields an as-of view of a record rewrites (nil: the collection has none).
    let progress: Int?, entries: Int?, latest: Int?, inferred: Int?, outcome: Int?, due: Int?, recurrence: Int?
    /// The rule set's own completion words, found in progress logs beside the built-in phrases.
    let completionPattern: NSRegularExpression?
    /// The slot of the date a record's rating was given (the plan's "as at" date or its own).
    let ratedOn: Int?
    /// The dates ratings were given, when before the check date, and the open actions whose due
    /// date passed after their rating: ratings the board cannot rely on (see `staleRatingFinding`).
    var ratingDates: Set<Day> = []
    var passedSinceRated = 0, rated = 0

    init(rules: [Rule], schema: CollectionSchema, statuses: StatusVocabulary, watchesStatuses: Bool) {
        var needed: [(String, Int)] = []
        for rule in rules {
            for field in rule.needs.joined() where !needed.contains(where: { $0.0 == field }) {
                if let slot = schema.slot(of: field) { needed.append((field, slot)) }
            }
        }
        self.needed = needed
        statusSlot = schema.slot(of: "status")
        self.watchesStatuses = watchesStatuses
        progress = schema.slot(of: "progress")
        entries = schema.slot(of: "progress_entries")
        latest = schema.slot(of: "progress_latest")
        inferred = schema.slot(of: "status_inferred")
        outcome = schema.slot(of: "outcome")
        due = schema.slot(of: "due")
        recurrence = schema.slot(of: "due_recurrence")
        ratedOn = schema.slot(of: "rated_on")
        let words = statuses.words(with: "complete") + statuses.words(with: "closure-recommended")
        completionPattern = StatusInference.pattern(for: words)
    }

    /// Whether records must be seen through `asOf` before rules read them.
    var readsProgress: Bool { entries != nil && inferred != nil }

    /// Notes what the record tells about the plan.
    mutating func observe(_ values: [Value], _ statuses: StatusVocabulary, asOf: Day) {
        for (name, slot) in needed where !present.contains(name) && !Self.isBlank(values[slot]) { present.insert(name) }
        if let ratedOn, let statusSlot, case .date(let given) = values[ratedOn], given < asOf,
           case .string(let status) = values[statusSlot], !status.allSatisfy(\.isWhitespace) {
            rated += 1
            ratingDates.insert(given)
            let complete = [statusSlot, inferred].contains { slot in
                guard let slot, case .string(let text) = values[slot] else { return false }
                return statuses.has(text, "complete")
            }
            if !complete, let due, case .date(let day) = values[due], day > given, day < asOf { passedSinceRated += 1 }
        }
        if watchesStatuses, let statusSlot, case .string(let text) = values[statusSlot],
           !text.allSatisfy(\.isWhitespace), statuses.state(of: text) == nil {
            if let i = unknownStatuses.firstIndex(where: { StatusVocabulary.key($0.text) == StatusVocabulary.key(text) }) {
                unknownStatuses[i].count += 1
            } else {
                unknownStatuses.append((text, 1))
            }
        }
    }

    static func isBlank(_ v: Value) -> Bool {
        switch v {
        case .null: return true
        case .string(let s): return s.allSatisfy(\.isWhitespace)
        case .list(let l): return l.isEmpty
        default: return false
        }
    }

    /// The record as it stood on `asOf`: progress entries dated after it are dropped (and
    /// counted), and the latest entry and the completion read from the log come from what is
    /// left (with the log's undated opening and the outcome, which carry no date to cut by).
    mutating func view(_ values: inout [Value], asOf: Day) {
        guard let entriesSlot = entries, let inferredSlot = inferred else { return }
        var kept: [Value] = []
        var cut = 0
        if case .list(let list) = values[entriesSlot] {
            for entry in list {
                if case .map(let m) = entry, case .date(let d)? = m[.string("date")], d > asOf { cut += 1 } else { kept.append(entry) }
            }
        }
        if cut > 0 {
            entriesCut += cut
            recordsCut += 1
            values[entriesSlot] = .list(kept)
            if let latest {
                let dates = kept.compactMap { e -> Day? in
                    if case .map(let m) = e, case .date(let d)? = m[.string("date")] { return d }
                    return nil
                }
                values[latest] = dates.max().map(Value.date) ?? .null
            }
        }
        var texts: [String] = []
        if let progress, case .string(let log) = values[progress] {
            if let lead = ProgressLog.entries(in: log).unattributed { texts.append(lead) }
        }
        for e in kept { if case .map(let m) = e, case .string(let t)? = m[.string("text")] { texts.append(t) } }
        if let outcome, case .string(let t) = values[outcome] { texts.append(t) }
        let pattern = completionPattern
        let found = texts.compactMap { StatusInference.inferred(in: $0, extra: pattern) }.last
        values[inferredSlot] = found.map(Value.string) ?? .null
        recur(&values)
    }

    /// A recurring timescale is due at its next occurrence after the last one recorded (the
    /// latest progress entry); one that names no period ("ongoing") is marked `ongoing`, which
    /// rules read as never overdue. With no occurrence recorded the first date stays.
    func recur(_ values: inout [Value]) {
        guard let recurrence, let due, case .string(let text) = values[recurrence] else { return }
        guard let months = Timescale.recurrenceMonths(text) else {
            values[recurrence] = .string("ongoing")
            return
        }
        if let latest, case .date(let last) = values[latest], case .date(let first) = values[due] {
            values[due] = .date(max(first, last.adding(months: months)))
        }
    }
}

extension Engine {
    /// The ref plan-level findings carry.
    static let planRef = "(plan)"

    /// Rules not applicable to the plan (a field they need is blank in every record): their
    /// findings are withdrawn, and one plan-level finding per missing field says so.
    mutating func withdrawInapplicable(planFile: String) -> [Finding] {
        var byMissing: [(fields: [String], rules: [Int])] = []
        for (i, rule) in rules.enumerated() {
            guard let missing = rule.needs.first(where: { group in group.allSatisfy { !facts.present.contains($0) } }) else { continue }
            stats[i].applicable = false
            if let j = byMissing.firstIndex(where: { $0.fields == missing }) { byMissing[j].rules.append(i) } else { byMissing.append((missing, [i])) }
        }
        guard !byMissing.isEmpty else { return [] }
        let withdrawn = Set(byMissing.flatMap(\.rules).map { rules[$0].id })
        var worst: [String: Severity] = [:]
        findings.removeAll { f in
            guard withdrawn.contains(f.rule) else { return false }
            levelCounts[f.severity.rank] -= 1
            worst[f.rule] = max(worst[f.rule] ?? .info, f.severity)
            return true
        }
        let made = byMissing.map { group in
            let column = group.fields.map { "\"\($0)\"" }.joined(separator: " or ")
            let ids = group.rules.map { rules[$0].id }
            let flagged = group.rules.map { stats[$0].flagged }.max() ?? 0
            let level: Severity = group.rules.contains { (worst[rules[$0].id] ?? .info) >= .error } ? .error : .warning
            let message = "the plan has no \(column) column, or it is blank in every row: \(ids.count) rule\(ids.count == 1 ? "" : "s") "
                + "not applicable (\(ids.joined(separator: ", ")))"
                + (flagged > 0 ? ", which would otherwise flag \(flagged) record\(flagged == 1 ? "" : "s")" : "")
            return planFinding("plan-missing-column", "A column rules need is absent or empty", level, message,
                               key: group.fields.joined(separator: "|"), planFile: planFile)
        }
        for group in byMissing { for i in group.rules { stats[i].flagged = 0 } }
        return made
    }

    /// One finding listing the status words no state of the legend knows.
    func unknownStatusFinding(planFile: String) -> Finding? {
        guard !facts.unknownStatuses.isEmpty else { return nil }
        let words = ruleSet.statuses.allWords
        let total = facts.unknownStatuses.map(\.count).reduce(0, +)
        let listed = facts.unknownStatuses.map { entry in
            let hint = Suggest.closest(to: entry.text, among: words).map { "; did you mean \"\($0)\"?" } ?? ""
            return "\"\(entry.text)\" (\(entry.count) record\(entry.count == 1 ? "" : "s")\(hint))"
        }
        let legend = ruleSet.statuses.legend.map { " (\($0))" } ?? ""
        let n = facts.unknownStatuses.count
        let message = "\(n) status word\(n == 1 ? "" : "s") on \(total) record\(total == 1 ? "" : "s") "
            + "\(n == 1 ? "is" : "are") not in the legend\(legend): \(listed.joined(separator: ", "))"
        return planFinding("plan-unknown-statuses", "Status words not in the plan's status legend", .warning, message,
                           key: "statuses", planFile: planFile)
    }

    /// One finding saying the ratings are older than the check date, and how many open actions
    /// fell due after they were given: those ratings say nothing about the action as it is now.
    func staleRatingFinding(planFile: String) -> Finding? {
        guard facts.watchesStatuses, let first = facts.ratingDates.min(), let last = facts.ratingDates.max() else {
            return nil
        }
        let when = first == last ? "as at \(first)" : "dated \(first) to \(last)"
        let age = asOf.number - last.number
        let n = facts.passedSinceRated
        let since = n == 0
            ? "no open action has passed its due date since"
            : "\(n) open action\(n == 1 ? " has" : "s have") passed \(n == 1 ? "its" : "their") due date since, "
                + "so \(n == 1 ? "its rating says" : "their ratings say") nothing of \(n == 1 ? "it" : "them") now"
        let message = "the plan's ratings are \(when), \(age) day\(age == 1 ? "" : "s") before the check date: \(since)"
        return planFinding("plan-ratings-stale", "Ratings older than the check date", n == 0 ? .info : .warning, message,
                           key: "rated", planFile: planFile)
    }

    /// Findings of rules `covered-by` another rule that fired on the same record are folded into
    /// that finding as a note ("also: …"), so one fact is told once.
    mutating func foldCovered() {
        let covering = Dictionary(rules.filter { !$0.coveredBy.isEmpty }.map { ($0.id, $0.coveredBy) }, uniquingKeysWith: { a, _ in a })
        guard !covering.isEmpty else { return }
        struct Place: Hashable { var ref: String; var line: Int }
        var index: [String: [Place: Int]] = [:]
        for (i, f) in findings.enumerated() { index[f.rule, default: [:]][Place(ref: f.ref, line: f.source.line)] = i }
        var notes: [Int: [String]] = [:]
        var folded: Set<Int> = []
        for (i, f) in findings.enumerated() {
            guard let others = covering[f.rule] else { continue }
            let place = Place(ref: f.ref, line: f.source.line)
            guard let j = others.lazy.compactMap({ index[$0]?[place] }).first else { continue }
            var note = f.message
            if note.hasPrefix(f.ref + " ") { note = String(note.dropFirst(f.ref.count + 1)) }
            // What the covering finding already says is not said again, clause by clause
            // ("is rated "On track" but was due 2024-03-31" beside "… was due 2024-03-31 …").
            let said = findings[j].message
            let clauses = note.components(separatedBy: " but ").flatMap { $0.components(separatedBy: " and ") }
            let kept = clauses.filter { !said.contains($0) }
            if !kept.isEmpty { notes[j, default: []].append(kept.joined(separator: " and ")) }
            folded.insert(i)
        }
        guard !folded.isEmpty else { return }
        var kept: [Finding] = []
        for (i, f) in findings.enumerated() {
            if folded.contains(i) {
                levelCounts[f.severity.rank] -= 1
                if let r = rules.firstIndex(where: { $0.id == f.rule }) { stats[r].flagged -= 1 }
                continue
            }
            guard let extra = notes[i] else { kept.append(f); continue }
            kept.append(f.noting(extra.map { "also " + $0 }.joined(separator: "; ")))
        }
        findings = kept
    }

    func planFinding(_ rule: String, _ title: String, _ level: Severity, _ message: String, key: String,
                     planFile: String) -> Finding {
        let escalateTo = ruleSet.ladder.map { [$0.levels.last!.id] } ?? []
        return Finding(rule: rule, title: title, severity: level, statutory: false, ref: Self.planRef, message: message,
                       owners: [], escalateTo: escalateTo, source: SourceLocation(file: planFile, line: 0), values: [],
                       priority: level.rankWeight + 99_999, fingerprint: Fingerprint.of(rule, schema.name, Self.planRef + key),
                       evaluationError: false, aboutPlan: true)
    }
}

extension Engine {
    /// The subjects `group-by` gives for the record in `activation` (none when it cannot say).
    static func subjects(_ program: Program, _ activation: Activation) -> [String] {
        guard case .list(let items)? = try? program.evaluate(activation) else { return [] }
        return items.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }

    /// One finding per subject of a rule with `group-by`: at the first of its records, at the
    /// highest level any of them had, listing them all, worded by the rule's `group-message`.
    static func grouped(_ rule: Rule, _ found: [(finding: Finding, subjects: [String])], params: Value,
                        schema: CollectionSchema) -> [Finding] {
        guard let message = rule.groupMessage else { return found.map(\.finding) }
        var groups: [(subject: String, members: [Finding])] = []
        for (finding, subjects) in found {
            for subject in subjects {
                if let i = groups.firstIndex(where: { $0.subject == subject }) { groups[i].members.append(finding) } else {
                    groups.append((subject, [finding]))
                }
            }
        }
        return groups.map { group in
            let first = group.members[0]
            let level = group.members.map(\.severity).max()!
            let refs = group.members.map(\.ref)
            let activation = Activation(values: [.string(group.subject), .list(refs.map(Value.string)), .int(Int64(refs.count))],
                                        globals: [params], today: Day(number: 0))
            return Finding(rule: rule.id, title: rule.title, severity: level, statutory: rule.statutory, ref: group.subject,
                           message: message.render(activation), owners: [group.subject], escalateTo: rule.escalateTo,
                           source: first.source, values: [], priority: group.members.map(\.priority).max()!,
                           fingerprint: Fingerprint.of(rule.id, schema.name, "subject\u{1E}" + group.subject),
                           evaluationError: false, section: first.section)
        }
    }

    /// Replaces the findings of rules with `group-by` by one per subject.
    mutating func regroup() {
        let grouping = Dictionary(rules.enumerated().filter { $0.element.groupBy != nil }.map { ($0.element.id, $0.offset) },
                                  uniquingKeysWith: { a, _ in a })
        guard !grouping.isEmpty else { return }
        var found: [Int: [(finding: Finding, subjects: [String])]] = [:]
        var kept: [Finding] = []
        for (i, f) in findings.enumerated() {
            if let r = grouping[f.rule], !f.evaluationError {
                found[r, default: []].append((f, subjects[i] ?? []))
                levelCounts[f.severity.rank] -= 1
            } else {
                kept.append(f)
            }
        }
        for r in found.keys.sorted() {
            let made = Engine.grouped(rules[r], found[r]!, params: ruleSet.parametersValue, schema: schema)
            for f in made { levelCounts[f.severity.rank] += 1 }
            stats[r].flagged -= found[r]!.count - made.count
            kept += made
        }
        findings = kept
        subjects = [:]
    }
}
