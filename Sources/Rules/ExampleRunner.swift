import Expressions
import PlanData

/// Runs the examples every rule carries: each record, as of its date, must give the expected
/// level (or no finding).
public enum ExampleRunner {
    public struct Failure: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var rule: String
        public var problem: String
        public var description: String { "\(file):\(line): \(rule): \(problem)" }
    }

    public struct Outcome: Sendable {
        public var passed = 0
        public var failures: [Failure] = []
    }

    /// A rule set that pins no legend runs each example under the shipped legend that knows its
    /// ratings, as a plan rated in them would be checked (the set is read again from its first file).
    public static func run(_ set: RuleSet) -> Outcome {
        var variants: [String: RuleSet] = [:]
        let choosing = set.pinnedLegend == nil && set.readsStatuses && !set.files.isEmpty
        if choosing {
            for legend in Legend.shipped {
                variants[legend.name] = try? RuleSetLoader.load(paths: [set.files[0]], legend: legend)
            }
        }
        var outcome = Outcome()
        for rule in set.rules {
            let schema = set.collections[rule.appliesTo]!
            let triggering = rule.examples.filter { $0.expectedLevel != nil }.count
            if triggering == 0 || triggering == rule.examples.count {
                outcome.failures.append(Failure(file: rule.file, line: rule.mark.line, rule: rule.id,
                    problem: "needs at least one example that fires and one that does not (has \(triggering) of \(rule.examples.count) firing)"))
            }
            for example in rule.examples {
                var (set, rule) = (set, rule)
                if choosing {
                    var counts: [String: Int] = [:]
                    let slot = schema.slot(of: "status")
                    for r in [example.record] + example.others {
                        if let slot, case .string(let s) = r.values[slot] { counts[s, default: 0] += 1 }
                    }
                    let choice = Legend.choose(for: counts, extra: set.statuses)
                    if let variant = variants[choice.legend.name], let same = variant.rules.first(where: { $0.id == rule.id }) {
                        (set, rule) = (variant, same)
                    }
                }
                // Each example is read as of its date, as the engine reads a plan's records.
                var facts = PlanFacts(rules: [rule], schema: schema, statuses: set.statuses, watchesStatuses: false)
                var record = example.record
                facts.view(&record.values, asOf: example.asOf)
                let others = example.others.map { other in
                    var o = other
                    facts.view(&o.values, asOf: example.asOf)
                    return o
                }
                let activation = Activation(values: record.values,
                                            globals: [set.parametersValue, Engine.recordMaps([record] + others, schema),
                                                      example.history ?? noHistory],
                                            today: example.asOf)
                var finding = Engine.evaluate(rule, record, activation, schema)
                if let group = rule.groupBy, let own = finding, !own.evaluationError {
                    // One finding per subject, over the example's records: the one of its own first subject.
                    var found = [(finding: own, subjects: Engine.subjects(group, activation))]
                    for other in others {
                        activation.values = other.values
                        if let f = Engine.evaluate(rule, other, activation, schema), !f.evaluationError {
                            found.append((f, Engine.subjects(group, activation)))
                        }
                    }
                    let made = Engine.grouped(rule, found, params: set.parametersValue, schema: schema)
                    finding = found[0].subjects.first.flatMap { s in made.first { $0.ref == s } }
                }
                var problem: String?
                switch (example.expectedLevel, finding) {
                case (nil, nil): break
                case (nil, let f?): problem = "expected no finding, got \(f.severity.rawValue): \(f.message)"
                case (let l?, nil): problem = "expected \(l.rawValue), got no finding"
                case (let l?, let f?):
                    if f.evaluationError { problem = f.message } else if f.severity != l {
                        problem = "expected \(l.rawValue), got \(f.severity.rawValue)"
                    } else if let m = example.expectedMessage, m != f.message {
                        problem = "expected message \"\(m)\", got \"\(f.message)\""
                    }
                }
                if let problem {
                    outcome.failures.append(Failure(file: rule.file, line: example.mark.line, rule: rule.id, problem: problem))
                } else {
                    outcome.passed += 1
                }
            }
        }
        return outcome
    }
}
