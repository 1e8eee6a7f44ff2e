/// A condition compiled for batches: `evaluate` gives a bool lane whose rows are valid
/// (true/false) or deferred (ask the per-record evaluator).
public final class VectorProgram {
    let root: LaneExpr

    init(root: LaneExpr) { self.root = root }

    public func evaluate(_ input: any VectorInput) -> Lane { root.evaluate(input) }
}

/// Compiles the common shape of rule conditions — null tests, date arithmetic, comparisons,
/// text equality, `&&`, `||`, `!`, `?:` and the date functions — into column operations.
/// Anything else makes `compile` return nil, and the rule runs record by record as before.
/// Expressions have already been type-checked by `Compiler`; this only decides how to run them.
/// One compiler serves all the rules of a run, so that a subexpression they share
/// (`status == "open"`, a review's due date) is worked out once per batch.
public final class VectorCompiler {
    let env: Environment
    let columns: [Int: VectorColumn]
    let capacity: Int
    /// Evaluates a subexpression that reads no field of the record, once per run.
    let activation: Activation
    private var compiled: [String: Operand] = [:]

    public init(env: Environment, columns: [Int: VectorColumn], capacity: Int, globals: [Value], today: Day) {
        self.env = env
        self.columns = columns
        self.capacity = capacity
        activation = Activation(globals: globals, today: today)
    }

    public func compile(_ source: String) -> VectorProgram? {
        guard let expr = try? Parser.parse(source), case .lane(let root, .bool)? = operand(expr) else { return nil }
        return VectorProgram(root: root)
    }

    /// What a subexpression compiles to.
    enum Operand {
        case lane(LaneExpr, LaneType)
        case text(any TextExpr)
        /// A record-independent value, worked out once.
        case constant(Value)
        /// A record-independent subexpression that fails: every row is left to the record evaluator.
        case failing
    }

    enum LaneType { case int, date, bool, null }

    func operand(_ expr: Expr) -> Operand? {
        let key = Self.key(expr)
        if let known = compiled[key] { return known }
        let result = uncachedOperand(expr)
        if let result { compiled[key] = result }
        return result
    }

    private func uncachedOperand(_ expr: Expr) -> Operand? {
        if readsNoField(expr) {
            guard let program = try? Compiler.compile(expr, source: "", in: env),
                  let value = try? program.evaluate(activation) else { return .failing }
            return .constant(value)
        }
        switch expr.kind {
        case .ident(let name):
            guard let variable = env.variables[name], let column = columns[variable.slot] else { return nil }
            switch (column, variable.type) {
            case (.date, .date): return .lane(DateColumn(slot: variable.slot), .date)
            case (.text, .string): return .text(TextColumn(slot: variable.slot))
            default: return nil
            }
        case .binary(let op, let l, let r):
            guard let a = operand(l), let b = operand(r) else { return nil }
            return binary(op, a, b)
        case .and(let l, let r), .or(let l, let r):
            guard let a = boolLane(l), let b = boolLane(r) else { return nil }
            let isAnd: Bool
            if case .and = expr.kind { isAnd = true } else { isAnd = false }
            return .lane(Logic(a, b, isAnd: isAnd, capacity: capacity), .bool)
        case .unary(.not, let e):
            guard let a = boolLane(e) else { return nil }
            return .lane(Negation(a, capacity: capacity), .bool)
        case .conditional(let c, let t, let f):
            guard let test = boolLane(c), let yes = operand(t), let no = operand(f),
                  let (y, yt) = lane(yes), let (n, nt) = lane(no) else { return nil }
            guard let type = yt == nt ? yt : (yt == .null ? nt : (nt == .null ? yt : nil)) else { return nil }
            return .lane(Choice(test, y, n, capacity: capacity), type)
        case .call(let name, nil, let args):
            return call(name, args)
        default:
            return nil
        }
    }

    private func boolLane(_ expr: Expr) -> LaneExpr? {
        guard let o = operand(expr), let (l, type) = lane(o), type == .bool || type == .null else { return nil }
        return l
    }

    /// An operand as a lane (constants are filled once); nil for text and unsupported values.
    private func lane(_ o: Operand) -> (LaneExpr, LaneType)? {
        switch o {
        case .lane(let l, let t): return (l, t)
        case .text: return nil
        case .failing: return (ConstantLane(value: 0, state: Lane.deferred, capacity: capacity), .null)
        case .constant(let v):
            switch v {
            case .int(let i): return (ConstantLane(value: i, state: Lane.valid, capacity: capacity), .int)
            case .date(let d): return (ConstantLane(value: Int64(d.number), state: Lane.valid, capacity: capacity), .date)
            case .bool(let b): return (ConstantLane(value: b ? 1 : 0, state: Lane.valid, capacity: capacity), .bool)
            case .null: return (ConstantLane(value: 0, state: Lane.null, capacity: capacity), .null)
            default: return nil
            }
        }
    }

    private func binary(_ op: BinaryOp, _ a: Operand, _ b: Operand) -> Operand? {
        switch op {
        case .equal, .notEqual:
            let negate = op == .notEqual
            switch (a, b) {
            case (.constant(.null), let x), (let x, .constant(.null)):
                if case .text(let t) = x { return .lane(NullTest(lane: nil, text: t, negate: negate, capacity: capacity), .bool) }
                guard let (l, _) = lane(x) else { return nil }
                return .lane(NullTest(lane: l, text: nil, negate: negate, capacity: capacity), .bool)
            case (.text(let t), .constant(.string(let s))), (.constant(.string(let s)), .text(let t)):
                return .lane(TextEquality(t, nil, literal: Array(s.utf8), negate: negate, capacity: capacity), .bool)
            case (.text(let x), .text(let y)):
                return .lane(TextEquality(x, y, literal: [], negate: negate, capacity: capacity), .bool)
            default:
                guard let (l, lt) = lane(a), let (r, rt) = lane(b), lt == rt || lt == .null || rt == .null else { return nil }
                return .lane(Equality(l, r, negate: negate, capacity: capacity), .bool)
            }
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            // A null operand (a null or failing constant) is fine: such rows are deferred.
            guard let (l, lt) = lane(a), let (r, rt) = lane(b), Set([lt, rt]).subtracting([.null]).count == 1,
                  [lt, rt].contains(.int) || [lt, rt].contains(.date) else { return nil }
            return .lane(Comparison(op, l, r, capacity: capacity), .bool)
        case .add, .subtract:
            guard let (l, lt) = lane(a), let (r, rt) = lane(b), lt == .int, rt == .int else { return nil }
            return .lane(Arithmetic(l, r, subtract: op == .subtract, capacity: capacity), .int)
        case .in:
            guard case .text(let t) = a, case .constant(let container) = b else { return nil }
            let items: [Value]
            switch container {
            case .list(let list): items = list
            case .map(let map): items = map.keys  // `x in map` tests the keys, as in CEL
            default: return nil
            }
            var literals: [[UInt8]] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                literals.append(Array(s.utf8))
            }
            return .lane(TextInList(t, literals, capacity: capacity), .bool)
        default:
            return nil
        }
    }

    private func call(_ name: String, _ args: [Expr]) -> Operand? {
        let operands = args.compactMap(operand)
        guard operands.count == args.count else { return nil }
        if name == "is_blank", operands.count == 1 {
            if case .text(let t) = operands[0] { return .lane(Blank(lane: nil, text: t, capacity: capacity), .bool) }
            guard let (l, _) = lane(operands[0]) else { return nil }
            return .lane(Blank(lane: l, text: nil, capacity: capacity), .bool)
        }
        var lanes: [LaneExpr] = [], types: [LaneType] = []
        for o in operands {
            guard let (l, t) = lane(o) else { return nil }
            lanes.append(l)
            types.append(t)
        }
        let kind: DateFunction.Kind
        let result: LaneType
        switch (name, types) {
        case ("days_between", [.date, .date]): (kind, result) = (.daysBetween, .int)
        case ("weeks_between", [.date, .date]): (kind, result) = (.weeksBetween, .int)
        case ("add_days", [.date, .int]): (kind, result) = (.addDays, .date)
        case ("add_months", [.date, .int]): (kind, result) = (.addMonths, .date)
        case ("days_overdue", [.date]): (kind, result) = (.daysOverdue(activation.today.number), .int)
        case ("date", [.int, .int, .int]): (kind, result) = (.fromParts, .date)
        default: return nil
        }
        return .lane(DateFunction(kind, lanes, capacity: capacity), result)
    }

    /// The expression's structure as text, so that equal subexpressions of different rules
    /// (whatever their spacing or position) compile to one node.
    static func key(_ e: Expr) -> String {
        switch e.kind {
        case .literal(let v): return "lit:\(v.typeName):\(v)"
        case .ident(let n): return "id:" + n
        case .select(let b, let f): return "sel(\(key(b)),\(f))"
        case .has(let b, let f): return "has(\(key(b)),\(f))"
        case .call(let n, let t, let args): return "call:\(n)(\(t.map(key) ?? "-");\(args.map(key).joined(separator: ";")))"
        case .index(let a, let b): return "idx(\(key(a)),\(key(b)))"
        case .list(let items): return "[\(items.map(key).joined(separator: ";"))]"
        case .map(let entries): return "{\(entries.map { key($0.key) + ":" + key($0.value) }.joined(separator: ";"))}"
        case .unary(let op, let a): return "\(op.rawValue)(\(key(a)))"
        case .binary(let op, let a, let b): return "\(op.rawValue)(\(key(a)),\(key(b)))"
        case .and(let a, let b): return "&&(\(key(a)),\(key(b)))"
        case .or(let a, let b): return "||(\(key(a)),\(key(b)))"
        case .conditional(let a, let b, let c): return "?(\(key(a)),\(key(b)),\(key(c)))"
        case .macro(let m, let t, let v, let p, let f):
            return "\(m.rawValue)(\(key(t)),\(v),\(p.map(key) ?? "-"),\(f.map(key) ?? "-"))"
        }
    }

    /// True when the expression reads no field of the record (nor the record's history), so it
    /// has one value per run.
    private func readsNoField(_ expr: Expr) -> Bool {
        switch expr.kind {
        case .literal: return true
        case .ident(let name): return env.variables[name] == nil && name != "history"
        case .select(let e, _), .has(let e, _), .unary(_, let e): return readsNoField(e)
        case .call(_, let target, let args): return (target.map(readsNoField) ?? true) && args.allSatisfy(readsNoField)
        case .index(let a, let b), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b):
            return readsNoField(a) && readsNoField(b)
        case .list(let items): return items.allSatisfy(readsNoField)
        case .map(let entries): return entries.allSatisfy { readsNoField($0.key) && readsNoField($0.value) }
        case .conditional(let a, let b, let c): return readsNoField(a) && readsNoField(b) && readsNoField(c)
        case .macro(_, let target, _, let p, let t):
            // A macro variable named like a field counts as reading the record: cautious, never wrong.
            return readsNoField(target) && (p.map(readsNoField) ?? true) && (t.map(readsNoField) ?? true)
        }
    }
}
