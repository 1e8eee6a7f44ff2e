/// One typed signature of a function, used by the checker.
public struct Overload: Sendable {
    public var params: [CELType]
    public var result: CELType

    public init(_ params: [CELType], _ result: CELType) {
        self.params = params
        self.result = result
    }
}

/// How a function may be called: `f(x, y)`, `x.f(y)`, or both.
public enum CallStyle: Sendable { case global, receiver, both }

/// A function's implementation. Implementations dispatch on the run-time values themselves,
/// so the same code serves checked calls and calls on `dyn` values.
public enum Implementation: Sendable {
    case unary(@Sendable (Value) throws(EvalError) -> Value)
    case binary(@Sendable (Value, Value) throws(EvalError) -> Value)
    case variadic(@Sendable ([Value]) throws(EvalError) -> Value)
    /// Needs the evaluation context (today's date, the status vocabulary).
    case contextual(@Sendable (Activation, [Value]) throws(EvalError) -> Value)
}

public struct Function: Sendable {
    public var name: String
    public var style: CallStyle
    public var overloads: [Overload]
    public var implementation: Implementation
    /// One line for `docs/expressions.md` and error hints.
    public var summary: String
    /// The argument (counting a method's receiver as the first) that is a regular expression, for
    /// checking patterns written as literals when the expression is compiled.
    public var patternArgument: (index: Int, caseInsensitive: Bool)?

    public init(_ name: String, style: CallStyle = .global, _ overloads: [Overload], summary: String = "",
                _ implementation: Implementation) {
        self.name = name
        self.style = style
        self.overloads = overloads
        self.summary = summary
        self.implementation = implementation
    }

    /// This function with its `index`th argument checked as a regular expression.
    func checkingPattern(_ index: Int, caseInsensitive: Bool) -> Function {
        var f = self
        f.patternArgument = (index, caseInsensitive)
        return f
    }

    /// The overloads whose parameters accept the given argument types.
    func matching(_ args: [CELType]) -> [Overload] {
        overloads.filter { o in o.params.count == args.count && zip(o.params, args).allSatisfy { $0.accepts($1) } }
    }
}

/// The variables and functions an expression may use, fixed before compilation.
public struct Environment: Sendable {
    public private(set) var variables: [String: (type: CELType, slot: Int)] = [:]
    public private(set) var variableOrder: [String] = []
    /// Values shared by every record of a run (rule parameters, the whole collection), kept in
    /// `Activation.globals` so that per-record values stay a plain copy of the record.
    public private(set) var globals: [String: (type: CELType, slot: Int)] = [:]
    public var functions: [String: Function] = [:]
    public var statuses: StatusVocabulary
    /// When false, type errors are left to run time (the conformance suite's `disable_check`).
    public var checkTypes = true

    public init(statuses: StatusVocabulary = StatusVocabulary()) {
        self.statuses = statuses
        for f in StandardLibrary.functions + TimeLibrary.functions + DomainLibrary.functions(statuses) {
            functions[f.name] = f
        }
    }

    /// Declares a variable; returns its slot in `Activation.values`.
    @discardableResult
    public mutating func declare(_ name: String, _ type: CELType) -> Int {
        if let existing = variables[name] {
            variables[name] = (type, existing.slot)
            return existing.slot
        }
        let slot = variableOrder.count
        variables[name] = (type, slot)
        variableOrder.append(name)
        return slot
    }

    @discardableResult
    public mutating func declareGlobal(_ name: String, _ type: CELType) -> Int {
        if let existing = globals[name] { return existing.slot }
        let slot = globals.count
        globals[name] = (type, slot)
        return slot
    }

    public mutating func register(_ function: Function) {
        functions[function.name] = function
    }
}

/// What one evaluation sees: the declared variables by slot, comprehension variables, and today.
public final class Activation {
    // Read on every variable access; an activation is used by one thread at a time, so the
    // run-time exclusivity checks Swift adds to class properties are pure overhead here.
    @exclusivity(unchecked) public var values: [Value]
    @exclusivity(unchecked) public var globals: [Value]
    @exclusivity(unchecked) var locals: [Value] = []
    /// Results of comprehensions over `records` that do not depend on the current record; valid
    /// while the globals stay the same (one run), so set globals before evaluating and not after.
    @exclusivity(unchecked) var memo: [ObjectIdentifier: [String: Value]] = [:]
    /// Comprehension steps left for the evaluation under way (see `stepBudget`).
    @exclusivity(unchecked) var stepsLeft = Activation.stepBudget
    public var today: Day

    /// Comprehension steps (one per element visited by `all`, `exists`, `exists_one`, `filter` or
    /// `map`) one evaluation may take. Each step adds at most one value to what the evaluation
    /// holds, so this bounds its time and memory (about 100 MB at most): nine nested `.map` over
    /// ten items (10⁹ steps) become an evaluation error instead of exhausting the machine. A
    /// comprehension over `records` that reads no field of the record is worked out once per run,
    /// so a collection of up to two million records fits.
    public static let stepBudget = 2_000_000

    /// Takes one step, or fails when the budget is spent.
    @inline(__always)
    func step() throws(EvalError) {
        stepsLeft -= 1
        if stepsLeft < 0 {
            var error = EvalError("evaluation budget exceeded: more than \(Activation.stepBudget) steps of "
                                  + ".all/.exists/.exists_one/.filter/.map for one record; simplify the expression")
            error.exhaustedBudget = true
            throw error
        }
    }

    public init(values: [Value] = [], globals: [Value] = [], today: Day) {
        self.values = values
        self.globals = globals
        self.today = today
    }

    /// `values`, read and changed in place by `body`. Code in other modules checks exclusivity
    /// at run time on every access to the stored property (whatever it is declared with here):
    /// writers of large reports make one access per finding through this instead of several.
    public func withValues(_ body: (inout [Value]) -> Void) { body(&values) }

    /// `values[slot]`, for the same reason.
    public func value(at slot: Int) -> Value { values[slot] }
}
