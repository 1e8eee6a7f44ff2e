import Expressions
import Foundation
import PlanData
import YAML

/// A loaded, checked rule set: everything compiled, ready to evaluate.
public struct RuleSet: Sendable {
    public var name: String
    public var version: String
    public var description: String?
    /// The files read, the named one first, then those it extends.
    public var files: [String]
    public var statuses: StatusVocabulary
    public var collections: [String: CollectionSchema]
    /// In declaration order (earlier files first; overrides keep the original position).
    public var rules: [Rule]
    /// `parameters:` of the rule files (later files override), available to rules as `params.NAME`.
    public var parameters: [(name: String, value: Value)] = []
    /// `escalation:` — the ladder findings climb (the last file that gives one wins).
    public var ladder: Ladder?
    /// `measures:` — published measures counted over the records checked (`--format measures`).
    public var measures: [Measure] = []
    /// The `legend:` name of a status legend one of the files read (nil: the rule set pins none,
    /// and the legend is chosen for each plan, see `Legend.choose`).
    public var pinnedLegend: String?

    /// Whether any rule reads statuses through the legend (`is_complete`, `status_is`, `rag`).
    public var readsStatuses: Bool {
        rules.contains { rule in
            ([rule.condition.source, rule.message.source] + rule.severity.compactMap { $0.condition?.source })
                .contains { $0.range(of: #"\b(is_complete|status_is|rag)\s*\("#, options: .regularExpression) != nil }
        }
    }

    /// Every field of the collection, plus the globals `params` (the parameters) and `records`
    /// (the whole collection, for rules that compare a record with the others).
    public func environment(for collection: String) -> Environment? {
        guard let schema = collections[collection] else { return nil }
        var env = Environment(statuses: statuses)
        schema.declare(in: &env)
        env.declareGlobal("params", .map(.string, .dyn))
        env.declareGlobal("records", .list(.map(.string, .dyn)))
        env.declareGlobal("history", .map(.string, .dyn))
        return env
    }

    /// What a `group-message` reads: the subject, the refs of its records and their count.
    public static func groupEnvironment(_ statuses: StatusVocabulary) -> Environment {
        var env = Environment(statuses: statuses)
        env.declare("subject", .string)
        env.declare("refs", .list(.string))
        env.declare("count", .int)
        env.declareGlobal("params", .map(.string, .dyn))
        return env
    }

    /// The parameters as the `params` map.
    public var parametersValue: Value {
        var m = MapValue()
        for p in parameters { m.insert(.string(p.name), p.value) }
        return .map(m)
    }
}

/// A checked rule. A class: the engine hands it to the evaluator for every record.
public final class Rule: Sendable {
    public struct Grade: Sendable {
        public let condition: Program?
        public var level: Severity
    }

    public struct Example: Sendable {
        public var record: Record
        /// Other records of the collection, for rules that compare a record with the rest (`records`).
        public var others: [Record] = []
        /// What earlier runs knew of the record, for rules that read `history`.
        public var history: Value? = nil
        public var asOf: Day
        /// nil: the rule must not fire.
        public var expectedLevel: Severity?
        public var expectedMessage: String?
        public let mark: Mark
    }

    public let id: String
    public let title: String
    public let appliesTo: String
    public let condition: Program
    public let severity: [Grade]
    public let escalateTo: [String]
    public let message: Template
    public let rationale: String?
    public let cite: String?
    public let statutory: Bool
    public let priority: Program?
    public let examples: [Example]
    /// Fields the rule needs the plan to have (each a list of alternatives): when every record
    /// leaves them blank the rule is not applicable to the plan, and one plan-level finding says so.
    public let needs: [[String]]
    /// Rules whose finding on the same record covers this one's: it is folded into theirs as a note.
    public let coveredBy: [String]
    /// `group-by`: the subjects of a finding (such as the overloaded owners of an action). With
    /// it, the rule's findings become one per subject, listing its records, worded by `groupMessage`.
    public let groupBy: Program?
    public let groupMessage: Template?
    public let file: String
    public let mark: Mark

    init(id: String, title: String, appliesTo: String, condition: Program, severity: [Grade], escalateTo: [String],
         message: Template, rationale: String?, cite: String?, statutory: Bool, priority: Program?, examples: [Example],
         needs: [[String]] = [], coveredBy: [String] = [], groupBy: Program? = nil, groupMessage: Template? = nil,
         file: String, mark: Mark) {
        self.groupBy = groupBy
        self.groupMessage = groupMessage
        self.id = id
        self.title = title
        self.appliesTo = appliesTo
        self.condition = condition
        self.severity = severity
        self.escalateTo = escalateTo
        self.message = message
        self.rationale = rationale
        self.cite = cite
        self.statutory = statutory
        self.priority = priority
        self.examples = examples
        self.needs = needs
        self.coveredBy = coveredBy
        self.file = file
        self.mark = mark
        kinds = Severity.allCases.map { FindingKind(rule: id, title: title, severity: $0, statutory: statutory, escalateTo: escalateTo) }
    }

    /// What its findings at each severity share, by `Severity.rank`.
    private let kinds: [FindingKind]

    /// What every finding of this rule at `severity` says alike.
    func kind(_ severity: Severity) -> FindingKind { kinds[severity.rank] }

    /// The highest level this rule can produce, for listings.
    public var maxLevel: Severity { severity.map(\.level).max() ?? .off }
}
