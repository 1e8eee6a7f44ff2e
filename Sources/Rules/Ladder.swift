import Expressions
import PlanData
import YAML

/// The escalation ladder of a rule set: who sits at each level, and when a finding climbs.
///
/// ```yaml
/// escalation:
///   levels:
///     - {id: owner, name: Action owner}
///     - {id: lead, name: Lead officer, who: [Head of SEND]}
///     - {id: board, name: SEND Improvement Board, who: [SEND Improvement Board]}
///   climb:
///     - {when: "runs >= 3", steps: 1}
///     - {when: "severity == 'critical' || statutory", to: board}
/// ```
/// A finding starts at the first level its rule's `escalate-to` names and climbs along that
/// list (never past its end): by the most steps, or to the highest level, any climb rule grants.
public struct Ladder: Sendable {
    public struct Level: Sendable {
        public var id: String
        public var name: String
        public var who: [String]
    }

    public struct Climb: Sendable {
        public var condition: Program
        public var steps: Int?
        public var to: String?
    }

    public var levels: [Level]
    public var climbs: [Climb]

    /// What climb conditions can read about a finding.
    static var environment: Environment {
        var env = Environment()
        for (name, type) in zip(variables, [CELType.string, .bool, .string, .string, .int, .int]) { env.declare(name, type) }
        return env
    }

    public func level(named id: String) -> Level? { levels.first { $0.id == id } }
}

/// Where a finding stands on the ladder. A class: findings at the same step with the same
/// recipients share one (a run over national data may place millions).
public final class EscalationLevel: Sendable {
    public let id: String
    public let name: String
    public let recipients: [String]

    public init(id: String, name: String, recipients: [String]) {
        self.id = id
        self.name = name
        self.recipients = recipients
    }
}

extension CheckResult {
    /// Places every finding on the ladder (or at the first step of its `escalate-to` when the
    /// rule set has no ladder). Recipients are the level's `who`; without one, the owners for the
    /// first level and, above it, the people their owner-directory entries escalate to. Findings
    /// already placed (the engine places those of batch rows as it finds them) keep their level.
    /// With `histories` (each finding's history in this run, in order), each finding is also
    /// given its history, in the same pass: where it climbs depends on its runs, and a national
    /// run has over a million findings to copy.
    public mutating func escalate(_ ladder: Ladder?, directory: OwnerDirectory = OwnerDirectory(),
                                  histories: (@Sendable (Int) -> FindingHistory)? = nil) {
        guard histories != nil || findings.contains(where: { $0.escalation == nil }) else { return }
        let asOf = asOf
        // In place: a national run's findings, mapped, would be held twice.
        findings.concurrentlyRewrite { range, findings in
            var placement = LadderPlacement(ladder, directory: directory, asOf: asOf)
            for i in range {
                let f = findings[i]
                let history = histories?(i)
                let level = f.escalation != nil ? nil
                    : placement.level(f.kind, ref: { f.ref }, runs: (history ?? f.history)?.runs ?? 1, due: f.due, owners: { f.ownerValue })
                if history != nil || level != nil { findings[i] = f.with(history: history, escalation: level) }
            }
        }
    }

    /// `escalate`, on a copy.
    public func escalated(_ ladder: Ladder?, directory: OwnerDirectory = OwnerDirectory()) -> CheckResult {
        var out = self
        out.escalate(ladder, directory: directory)
        return out
    }
}

/// Works out where findings stand on a ladder. Climbs depend only on the variables their
/// conditions read (often severity and runs), so each step is worked out once per combination
/// of those and remembered.
struct LadderPlacement {
    let ladder: Ladder?
    let directory: OwnerDirectory
    let asOf: Day
    /// Which variables the climb conditions read, in `Ladder.variables` order.
    private let reads: [Bool]
    /// Where findings with a climb key land, worked out once per key.
    private var steps: [ClimbKey: Step] = [:]
    private var lastStep: (key: ClimbKey, step: Step)?
    /// Levels already made, by step and recipients (most findings share one with many others).
    private var made: [Made: EscalationLevel] = [:]

    /// A class: every finding looks one up, and copying its fields cost more than placing it.
    private final class Step {
        let index: Int
        let id: String
        let level: Ladder.Level?
        /// Whether the recipients are the finding's owners or their leads.
        let byOwner: Bool
        let height: Int
        // Each placement (one thread's) has steps of its own: no run-time exclusivity checks.
        /// The level of every finding here, when its recipients do not depend on the finding.
        @exclusivity(unchecked) var shared: EscalationLevel?
        /// Levels by the finding's one owner (most findings have one), when they do.
        @exclusivity(unchecked) var byOwnerName: [String: EscalationLevel] = [:]
        /// The same by the owner cell's text, for findings of table rows.
        @exclusivity(unchecked) var byOwnerCell = BytesTable<EscalationLevel>()

        init(index: Int, id: String, level: Ladder.Level?, byOwner: Bool, height: Int) {
            (self.index, self.id, self.level, self.byOwner, self.height) = (index, id, level, byOwner, height)
        }
    }

    private struct Made: Hashable {
        var step: Int
        var recipients: [String]
    }

    init(_ ladder: Ladder?, directory: OwnerDirectory, asOf: Day) {
        self.ladder = ladder
        self.directory = directory
        self.asOf = asOf
        let read = Set(ladder?.climbs.flatMap(\.condition.references) ?? [])
        reads = Ladder.variables.map(read.contains)
    }

    /// What a climb step can depend on: the rule (for its `escalate-to`), and the variables the
    /// climb conditions read.
    private struct ClimbKey: Hashable {
        /// The rule and severity (and with them `statutory` and `escalate-to`), by identity: a
        /// finding's kind is shared by every finding of its rule at its level.
        var kind: ObjectIdentifier
        var ref: String?
        var runs: Int64?
        var overdue: Int64?
    }

    /// The level of a finding with these properties; nil when its rule names no `escalate-to`.
    /// `ref` and `owners` are asked for only when the ladder can depend on them; `owners` is the
    /// owner field's value (a name, a list of names or null), a name being the common case, and
    /// `ownerCell` the text it was read from, when it is a table row's (the same text always
    /// gives the same owners).
    mutating func level(_ kind: FindingKind, ref: () -> String, runs: Int, due: Day?, owners: () -> Value,
                        ownerCell: UnsafeBufferPointer<UInt8>? = nil) -> EscalationLevel? {
        let escalateTo = kind.escalateTo
        guard !escalateTo.isEmpty else { return nil }
        let runs = Int64(runs)
        let overdue = Int64(due.map { max(0, asOf.number - $0.number) } ?? 0)
        let ref = reads[3] ? ref() : nil
        let key = ClimbKey(kind: ObjectIdentifier(kind), ref: ref, runs: reads[4] ? runs : nil, overdue: reads[5] ? overdue : nil)
        // Consecutive findings are mostly of one rule, and share a step (kept, not copied over
        // itself: that releases and retains its parts for every finding).
        let sameStep = lastStep?.key == key
        let step = sameStep ? lastStep!.step : steps[key] ?? {
            let n = ladder.map { $0.step(escalateTo, Activation(values: [.string(kind.severity.rawValue), .bool(kind.statutory), .string(kind.rule),
                                                                         ref.map(Value.string) ?? .null, .int(runs), .int(overdue)],
                                                                today: asOf)) } ?? 0
            let id = escalateTo[min(n, escalateTo.count - 1)]
            let level = ladder?.level(named: id)
            let height = ladder?.levels.firstIndex { $0.id == id } ?? (id == "owner" ? 0 : 1)
            // Above the owner, only a directory names who hears: without one, owners need not be read.
            let step = Step(index: steps.count, id: id, level: level, byOwner: (level?.who.isEmpty ?? true) && (height == 0 || !directory.entries.isEmpty),
                            height: height)
            steps[key] = step
            return step
        }()
        if !sameStep { lastStep = (key, step) }
        if let shared = step.shared { return shared }
        guard step.byOwner else {
            step.shared = made(step, recipients: step.level?.who ?? [])
            return step.shared!
        }
        if let ownerCell, let known = step.byOwnerCell[ownerCell] { return known }
        let owner = owners()
        if ownerCell == nil, case .string(let name) = owner, let known = step.byOwnerName[name] { return known }
        let owners = Engine.owners(owner)
        var recipients = step.level?.who ?? []
        for owner in owners {
            var name = directory.canonical(owner) ?? owner
            for _ in 0..<step.height { name = directory.entry(named: name)?.escalatesTo ?? name }
            if step.height == 0 || name != (directory.canonical(owner) ?? owner), !recipients.contains(name) { recipients.append(name) }
        }
        let level = made(step, recipients: recipients)
        if let ownerCell {
            step.byOwnerCell[ownerCell] = level
        } else if case .string(let name) = owner {
            step.byOwnerName[name] = level
        }
        return level
    }

    /// The one level for a step and its recipients, shared by every finding placed there.
    private mutating func made(_ step: Step, recipients: [String]) -> EscalationLevel {
        let made = Made(step: step.index, recipients: recipients)
        if let known = self.made[made] { return known }
        let level = EscalationLevel(id: step.id, name: step.level?.name ?? step.id, recipients: recipients)
        self.made[made] = level
        return level
    }
}

extension Ladder {
    /// The variables of `environment`, in slot order.
    static let variables = ["severity", "statutory", "rule", "ref", "runs", "days_overdue"]

    /// How many steps up an `escalate-to` list a finding climbs (the climb conditions read `activation`).
    func step(_ escalateTo: [String], _ activation: Activation) -> Int {
        var step = 0
        for climb in climbs {
            guard case .bool(true)? = try? climb.condition.evaluate(activation) else { continue }
            if let steps = climb.steps { step = max(step, steps) }
            if let to = climb.to, let i = escalateTo.firstIndex(of: to) { step = max(step, i) }
            if let to = climb.to, escalateTo.firstIndex(of: to) == nil { step = escalateTo.count - 1 }
        }
        return step
    }
}
