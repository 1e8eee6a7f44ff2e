import Expressions
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

    public func environment(for collection: String) -> Environment? {
        guard let schema = collections[collection] else { return nil }
        var env = Environment(statuses: statuses)
        schema.declare(in: &env)
        return env
    }
}

public struct Rule: Sendable {
    public struct Grade: Sendable {
        public var condition: Program?
        public var level: Severity
    }

    public struct Example: Sendable {
        public var record: Record
        public var asOf: Day
        /// nil: the rule must not fire.
        public var expectedLevel: Severity?
        public var expectedMessage: String?
        public var mark: Mark
    }

    public var id: String
    public var title: String
    public var appliesTo: String
    public var condition: Program
    public var severity: [Grade]
    public var escalateTo: [String]
    public var message: Template
    public var rationale: String?
    public var cite: String?
    public var statutory: Bool
    public var priority: Program?
    public var examples: [Example]
    public var file: String
    public var mark: Mark

    /// The highest level this rule can produce, for listings.
    public var maxLevel: Severity { severity.map(\.level).max() ?? .off }
}
