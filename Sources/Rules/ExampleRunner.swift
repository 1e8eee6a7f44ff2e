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

    public static func run(_ set: RuleSet) -> Outcome {
        var outcome = Outcome()
        for rule in set.rules {
            let schema = set.collections[rule.appliesTo]!
            let triggering = rule.examples.filter { $0.expectedLevel != nil }.count
            if triggering == 0 || triggering == rule.examples.count {
                outcome.failures.append(Failure(file: rule.file, line: rule.mark.line, rule: rule.id,
                    problem: "needs at least one example that fires and one that does not (has \(triggering) of \(rule.examples.count) firing)"))
            }
            for example in rule.examples {
                let activation = Activation(values: example.record.values,
                                            globals: [set.parametersValue, Engine.recordMaps([example.record] + example.others, schema),
                                                      example.history ?? noHistory],
                                            today: example.asOf)
                let finding = Engine.evaluate(rule, example.record, activation, schema)
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
