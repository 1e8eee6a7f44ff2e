import Expressions
import PlanData

/// A measure of the published kind, declared in a rule set's `measures:`: of the records in a
/// cohort (the denominator), how many meet a standard (the numerator), such as the DfE's
/// "EHC plans issued within 20 weeks, excluding exceptions". Both are expressions on a record,
/// read as rules' `when` is, so a measure is counted over exactly the records the rules check.
public struct Measure: Sendable {
    public var id: String
    public var title: String
    public var appliesTo: String
    /// Whether a record belongs to the cohort.
    public var cohort: Program
    /// Whether a record of the cohort meets the standard.
    public var met: Program
    /// The cohort and the standard in words, as the publisher defines them.
    public var definition: String?
    public var cite: String?
    /// The published figure, for comparison ("England 2024: 46.4%, 39,407 of 84,866").
    public var published: String?
    public var file: String
    public var line: Int
}

/// How many records were in a measure's cohort and met it, in one run.
public struct MeasureCount: Sendable, Equatable {
    public var id: String
    public var cohort = 0
    public var met = 0
    /// Records whose cohort or standard could not be worked out (an expression failed on them):
    /// counted apart, never silently in or out.
    public var failed = 0

    public init(id: String) { self.id = id }

    /// The share met, in per cent; nil for an empty cohort.
    public var percent: Double? { cohort == 0 ? nil : Double(met) * 100 / Double(cohort) }
}

extension Engine {
    /// Counts the record in `activation` for each measure.
    static func countMeasures(_ measures: [Measure], _ counts: inout [MeasureCount], _ activation: Activation) {
        for i in measures.indices {
            switch try? measures[i].cohort.evaluate(activation) {
            case .bool(true)?:
                switch try? measures[i].met.evaluate(activation) {
                case .bool(let met)?:
                    counts[i].cohort += 1
                    if met { counts[i].met += 1 }
                default:
                    counts[i].failed += 1
                }
            case .bool(false)?:
                break
            default:
                counts[i].failed += 1
            }
        }
    }
}
