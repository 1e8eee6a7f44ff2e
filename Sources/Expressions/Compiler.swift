/// A compiled expression: checked once, then evaluated per record without re-parsing.
public typealias Evaluator = @Sendable (Activation) throws(EvalError) -> Value

/// Identifies one memoised comprehension in `Activation.memo`.
final class MemoTable: Sendable {}

/// A class, so that handing a program around (once per record and rule) costs one reference,
/// not a copy of every field.
public final class Program: Sendable {
    public let source: String
    /// The static result type (`dyn` when it depends on the data).
    public let type: CELType
    /// Declared variables the expression reads, in order of first use.
    public let references: [String]
    /// Globals (such as `records`) the expression reads.
    public let globalReferences: Set<String>
    let evaluator: Evaluator
    let localCount: Int
    /// The variable's slot when the whole expression is one declared variable (`{case_id}` in a
    /// message): its value is `values[slot]`, read without evaluating anything.
    public let variableSlot: Int?
    /// Whether the expression reads `today`: without it and without references, its value is
    /// known when it is compiled.
    public let readsToday: Bool

    init(source: String, type: CELType, references: [String], globalReferences: Set<String>, evaluator: @escaping Evaluator,
         localCount: Int, variableSlot: Int? = nil, readsToday: Bool = false) {
        self.source = source
        self.type = type
        self.references = references
        self.globalReferences = globalReferences
        self.evaluator = evaluator
        self.localCount = localCount
        self.variableSlot = variableSlot
        self.readsToday = readsToday
    }

    public func evaluate(_ activation: Activation) throws(EvalError) -> Value {
        if activation.locals.count < localCount {
            activation.locals = Array(repeating: .null, count: localCount)
        }
        activation.stepsLeft = Activation.stepBudget
        return try evaluator(activation)
    }
}

/// Type-checks an expression against an environment and turns it into nested closures.
/// Variables resolve to array slots at compile time, so evaluation does no name look-ups.
public struct Compiler {
    private let env: Environment
    private var scopes: [(name: String, slot: Int)] = []
    private var maxLocals = 0
    private var references: [String] = []
    private var globalReferences: Set<String> = []
    private var readsToday = false
    /// What the expression being compiled reads, for deciding which comprehensions to memoise.
    private var reads = Reads()

    private struct Reads {
        var recordFields = false
        var globals: Set<String> = []
        var locals: Set<Int> = []

        mutating func merge(_ other: Reads) {
            recordFields = recordFields || other.recordFields
            globals.formUnion(other.globals)
            locals.formUnion(other.locals)
        }
    }

    public static func compile(_ source: String, in env: Environment) throws(ExpressionError) -> Program {
        try compile(Parser.parse(source), source: source, in: env)
    }

    public static func compile(_ expr: Expr, source: String, in env: Environment) throws(ExpressionError) -> Program {
        var compiler = Compiler(env: env)
        let (type, evaluator) = try compiler.compile(expr)
        // Variables come first in name resolution (see `identifier`), and there are no locals here.
        var variableSlot: Int?
        if case .ident(let name) = expr.kind { variableSlot = env.variables[name]?.slot }
        return Program(source: source, type: type, references: compiler.references, globalReferences: compiler.globalReferences,
                       evaluator: evaluator, localCount: compiler.maxLocals, variableSlot: variableSlot,
                       readsToday: compiler.readsToday)
    }

    private init(env: Environment) { self.env = env }

    private typealias Compiled = (type: CELType, eval: Evaluator)

    private func fail(_ message: String, _ expr: Expr) -> ExpressionError {
        ExpressionError(message, at: expr.position)
    }

    private mutating func compile(_ expr: Expr) throws(ExpressionError) -> Compiled {
        switch expr.kind {
        case .literal(let v):
            return (CELType.of(v), { _ in v })
        case .ident(let name):
            return try identifier(name, expr)
        case .select(let base, let field):
            if let qualified = qualifiedName(expr), !isBound(rootName(expr)), let t = typeDenotations[qualified] {
                return (.type, { _ in .type(t) })
            }
            return try select(base, field, expr)
        case .has(let base, let field):
            let b = try compile(base)
            return (.bool, { a throws(EvalError) in
                switch try b.eval(a) {
                case .map(let m): return .bool(m[.string(field)] != nil)
                case let other: throw EvalError("has() needs a map or record, not \(other.typeName)")
                }
            })
        case .call(let name, let target, let args):
            return try call(name, target: target, args: args, expr)
        case .index(let base, let key):
            return try index(base, key, expr)
        case .list(let items):
            let compiled = try items.map { (e: Expr) throws(ExpressionError) in try compile(e) }
            let element = compiled.dropFirst().reduce(compiled.first?.type ?? .dyn) { $0.join($1.type) }
            let evals = compiled.map(\.eval)
            return (.list(element), { a throws(EvalError) in
                var out: [Value] = []
                out.reserveCapacity(evals.count)
                for e in evals { out.append(try e(a)) }
                return .list(out)
            })
        case .map(let entries):
            var keys: [Evaluator] = [], values: [Evaluator] = []
            var keyType: CELType?, valueType: CELType?
            for entry in entries {
                let k = try compile(entry.key), v = try compile(entry.value)
                if env.checkTypes, ![.dyn, .string, .int, .uint, .bool].contains(k.type) {
                    throw fail("map keys must be string, int, uint or bool, not \(k.type)", entry.key)
                }
                keyType = keyType.map { $0.join(k.type) } ?? k.type
                valueType = valueType.map { $0.join(v.type) } ?? v.type
                keys.append(k.eval)
                values.append(v.eval)
            }
            let keyEvals = keys, valueEvals = values
            return (.map(keyType ?? .dyn, valueType ?? .dyn), { a throws(EvalError) in
                var m = MapValue()
                for (k, v) in zip(keyEvals, valueEvals) {
                    let key = try k(a)
                    switch key {
                    case .string, .int, .uint, .bool: break
                    default: throw EvalError("unsupported map key type \(key.typeName)")
                    }
                    if !m.insert(key, try v(a)) { throw EvalError("duplicate map key") }
                }
                return .map(m)
            })
        case .unary(let op, let operand):
            let o = try compile(operand)
            switch op {
            case .not:
                if env.checkTypes, !CELType.bool.accepts(o.type) { throw fail("'!' needs a bool, not \(o.type)", expr) }
                return (.bool, { a throws(EvalError) in
                    guard case .bool(let b) = try o.eval(a) else { throw EvalError("no such overload: !_") }
                    return .bool(!b)
                })
            case .negate:
                if env.checkTypes, ![.dyn, .int, .double, .duration].contains(o.type) {
                    throw fail("'-' needs a number, not \(o.type)", expr)
                }
                return (o.type, { a throws(EvalError) in try StandardLibrary.negate(try o.eval(a)) })
            }
        case .binary(let op, let lhs, let rhs):
            return try binary(op, lhs, rhs, expr)
        case .and(let lhs, let rhs):
            return try logical(lhs, rhs, decisive: false, expr)
        case .or(let lhs, let rhs):
            return try logical(lhs, rhs, decisive: true, expr)
        case .conditional(let c, let t, let f):
            let cond = try compile(c), yes = try compile(t), no = try compile(f)
            if env.checkTypes, !CELType.bool.accepts(cond.type) { throw fail("the condition before '?' must be bool, not \(cond.type)", c) }
            let ce = cond.eval, ye = yes.eval, ne = no.eval
            return (yes.type.join(no.type), { a throws(EvalError) in
                guard case .bool(let b) = try ce(a) else { throw EvalError("no such overload: _?_:_") }
                return b ? try ye(a) : try ne(a)
            })
        case .macro(let macro, let target, let variable, let predicate, let transform):
            return try comprehension(macro, target, variable, predicate, transform, expr)
        }
    }

    // MARK: names

    private func isBound(_ name: String) -> Bool {
        scopes.contains { $0.name == name } || env.variables[name] != nil || env.globals[name] != nil
    }

    private func rootName(_ expr: Expr) -> String {
        switch expr.kind {
        case .ident(let n): return n
        case .select(let b, _): return rootName(b)
        default: return ""
        }
    }

    private func qualifiedName(_ expr: Expr) -> String? {
        switch expr.kind {
        case .ident(let n): return n
        case .select(let b, let f): return qualifiedName(b).map { "\($0).\(f)" }
        default: return nil
        }
    }

    private mutating func identifier(_ name: String, _ expr: Expr) throws(ExpressionError) -> Compiled {
        if let local = scopes.last(where: { $0.name == name }) {
            let slot = local.slot
            reads.locals.insert(slot)
            return (.dyn, { a in a.locals[slot] })
        }
        if let variable = env.variables[name] {
            reads.recordFields = true
            if !references.contains(name) { references.append(name) }
            let slot = variable.slot
            return (variable.type, { a in a.values[slot] })
        }
        if let global = env.globals[name] {
            reads.globals.insert(name)
            globalReferences.insert(name)
            let slot = global.slot
            return (global.type, { a in a.globals[slot] })
        }
        if name == "today" {
            readsToday = true
            return (.date, { a in .date(a.today) })
        }
        if let t = typeDenotations[name] {
            return (.type, { _ in .type(t) })
        }
        let message = "unknown name '\(name)'" + Suggest.hint(for: name, among: Array(env.variables.keys) + Array(env.globals.keys) + ["today"] + scopes.map(\.name))
        if env.checkTypes { throw fail(message, expr) }
        return (.dyn, { _ throws(EvalError) in throw EvalError(message) })
    }

    private mutating func select(_ base: Expr, _ field: String, _ expr: Expr) throws(ExpressionError) -> Compiled {
        let b = try compile(base)
        var type = CELType.dyn
        switch b.type {
        case .map(let k, let v):
            if env.checkTypes, !k.accepts(.string) { throw fail("'.\(field)' needs string keys, not \(k)", expr) }
            type = v
        case .dyn: break
        default:
            if env.checkTypes { throw fail("\(b.type) has no field '\(field)'", expr) }
        }
        let key = Value.string(field)
        let be = b.eval
        return (type, { a throws(EvalError) in
            switch try be(a) {
            case .map(let m):
                guard let v = m[key] else { throw EvalError("no such key: '\(field)'") }
                return v
            case let other: throw EvalError("\(other.typeName) has no field '\(field)'")
            }
        })
    }

    private mutating func index(_ base: Expr, _ key: Expr, _ expr: Expr) throws(ExpressionError) -> Compiled {
        let b = try compile(base), k = try compile(key)
        var type = CELType.dyn
        switch b.type {
        case .list(let e):
            if env.checkTypes, ![.dyn, .int, .uint].contains(k.type) { throw fail("a list index must be int, not \(k.type)", key) }
            type = e
        case .map(_, let v): type = v
        case .dyn: break
        default:
            if env.checkTypes { throw fail("\(b.type) cannot be indexed", expr) }
        }
        let be = b.eval, ke = k.eval
        return (type, { a throws(EvalError) in
            let container = try be(a), k = try ke(a)
            switch container {
            case .list(let items):
                let i: Int64
                switch k {
                case .int(let x): i = x
                case .uint(let x): i = x > UInt64(Int64.max) ? -1 : Int64(x)
                case .double(let x) where x == x.rounded() && abs(x) < 9e18: i = Int64(x)
                default: throw EvalError("no such overload: list index of type \(k.typeName)")
                }
                guard i >= 0, i < items.count else { throw EvalError("index \(i) out of range for a list of \(items.count)") }
                return items[Int(i)]
            case .map(let m):
                guard let v = m[k] else { throw EvalError("no such key") }
                return v
            default:
                throw EvalError("\(container.typeName) cannot be indexed")
            }
        })
    }

    // MARK: calls and operators

    private mutating func call(_ name: String, target: Expr?, args: [Expr], _ expr: Expr) throws(ExpressionError) -> Compiled {
        guard let function = env.functions[name] else {
            let message = "unknown function '\(name)'" + Suggest.hint(for: name, among: env.functions.keys)
            if env.checkTypes { throw fail(message, expr) }
            return (.dyn, { _ throws(EvalError) in throw EvalError(message) })
        }
        if env.checkTypes {
            if target != nil, function.style == .global {
                throw fail("'\(name)' is not a method; call it as \(name)(…)", expr)
            }
            if target == nil, function.style == .receiver {
                throw fail("'\(name)' is a method; call it as value.\(name)(…)", expr)
            }
        }
        var all: [Compiled] = []
        if let target { all.append(try compile(target)) }
        for arg in args { all.append(try compile(arg)) }
        if let pattern = function.patternArgument {
            let exprs = (target.map { [$0] } ?? []) + args
            if pattern.index < exprs.count {
                try checkPatterns(exprs[pattern.index], caseInsensitive: pattern.caseInsensitive)
            }
        }
        var result = CELType.dyn
        if env.checkTypes {
            let matches = function.matching(all.map(\.type))
            guard !matches.isEmpty else {
                let got = all.map { $0.type.description }.joined(separator: ", ")
                let expected = function.overloads.map { "\(name)(\($0.params.map(\.description).joined(separator: ", ")))" }
                throw fail("\(name)(\(got)) does not match any of: \(expected.joined(separator: ", "))", expr)
            }
            let results = Set(matches.map(\.result))
            if results.count == 1 { result = results.first! }
        }
        let evals = all.map(\.eval)
        let arity = evals.count
        switch function.implementation {
        case .unary(let f) where arity == 1:
            let x = evals[0]
            return (result, { a throws(EvalError) in try f(try x(a)) })
        case .binary(let f) where arity == 2:
            let x = evals[0], y = evals[1]
            return (result, { a throws(EvalError) in try f(try x(a), try y(a)) })
        case .variadic(let f):
            return (result, { a throws(EvalError) in
                var values: [Value] = []
                for e in evals { values.append(try e(a)) }
                return try f(values)
            })
        case .contextual(let f):
            return (result, { a throws(EvalError) in
                var values: [Value] = []
                for e in evals { values.append(try e(a)) }
                return try f(a, values)
            })
        default:
            let message = "'\(name)' takes a different number of arguments"
            if env.checkTypes { throw fail(message, expr) }
            return (.dyn, { _ throws(EvalError) in throw EvalError(message) })
        }
    }

    /// Regular expressions written as literals (or lists of them) are checked now, so a pattern
    /// that does not compile or can backtrack catastrophically is a rule error, not a failure on
    /// every record.
    private func checkPatterns(_ expr: Expr, caseInsensitive: Bool) throws(ExpressionError) {
        switch expr.kind {
        case .literal(.string(let pattern)):
            if let problem = Regex.validate(pattern, caseInsensitive: caseInsensitive) { throw fail(problem, expr) }
        case .list(let items):
            for item in items { try checkPatterns(item, caseInsensitive: caseInsensitive) }
        default:
            break
        }
    }

    private mutating func binary(_ op: BinaryOp, _ lhs: Expr, _ rhs: Expr, _ expr: Expr) throws(ExpressionError) -> Compiled {
        let l = try compile(lhs), r = try compile(rhs)
        var result = CELType.bool
        switch op {
        case .equal, .notEqual:
            if env.checkTypes, l.type != .dyn, r.type != .dyn, l.type != .null, r.type != .null,
               !(l.type.isNumeric && r.type.isNumeric), !l.type.accepts(r.type) {
                throw fail("'\(op.rawValue)' compares \(l.type) with \(r.type), which are never equal", expr)
            }
        case .in:
            if env.checkTypes {
                switch r.type {
                case .list(let e) where e.accepts(l.type) || (e.isNumeric && l.type.isNumeric): break
                case .map(let k, _) where k.accepts(l.type) || (k.isNumeric && l.type.isNumeric): break
                case .dyn: break
                default: throw fail("'in' needs a list or map of \(l.type) on its right, not \(r.type)", expr)
                }
            }
        default:
            if env.checkTypes {
                let matches = (StandardLibrary.operatorOverloads[op] ?? []).filter {
                    $0.params[0].accepts(l.type) && $0.params[1].accepts(r.type)
                }
                guard !matches.isEmpty else {
                    throw fail("'\(op.rawValue)' cannot be applied to \(l.type) and \(r.type)", expr)
                }
                let results = Set(matches.map(\.result))
                result = results.count == 1 ? results.first! : .dyn
            }
        }
        let le = l.eval, re = r.eval
        if let fast = Self.literalSpecialisation(op, lhs, rhs, le, re) { return (result, fast) }
        switch op {
        case .equal: return (.bool, { a throws(EvalError) in .bool(celEquals(try le(a), try re(a))) })
        case .notEqual: return (.bool, { a throws(EvalError) in .bool(!celEquals(try le(a), try re(a))) })
        case .less: return (.bool, comparison(le, re, "<") { $0 < 0 })
        case .lessOrEqual: return (.bool, comparison(le, re, "<=") { $0 <= 0 })
        case .greater: return (.bool, comparison(le, re, ">") { $0 > 0 })
        case .greaterOrEqual: return (.bool, comparison(le, re, ">=") { $0 >= 0 })
        case .in: return (.bool, { a throws(EvalError) in .bool(try StandardLibrary.contains(try re(a), try le(a))) })
        case .add: return (result, { a throws(EvalError) in try StandardLibrary.add(try le(a), try re(a)) })
        case .subtract: return (result, { a throws(EvalError) in try StandardLibrary.subtract(try le(a), try re(a)) })
        case .multiply: return (result, { a throws(EvalError) in try StandardLibrary.multiply(try le(a), try re(a)) })
        case .divide: return (result, { a throws(EvalError) in try StandardLibrary.divide(try le(a), try re(a)) })
        case .modulo: return (result, { a throws(EvalError) in try StandardLibrary.modulo(try le(a), try re(a)) })
        }
    }

    /// Rule conditions mostly compare a field with a literal (`status != "Complete"`, `due != null`,
    /// `days > 30`). These closures test the common case directly and fall back to the general
    /// operator for anything else, so results are identical.
    private static func literalSpecialisation(_ op: BinaryOp, _ lhs: Expr, _ rhs: Expr,
                                              _ le: @escaping Evaluator, _ re: @escaping Evaluator) -> Evaluator? {
        guard case .literal(let literal) = rhs.kind else { return nil }
        switch (op, literal) {
        case (.equal, .null): return { a throws(EvalError) in .bool(try le(a).isNull) }
        case (.notEqual, .null): return { a throws(EvalError) in .bool(!(try le(a).isNull)) }
        case (.equal, .string(let c)), (.notEqual, .string(let c)):
            let equal = op == .equal
            return { a throws(EvalError) in
                let x = try le(a)
                if case .string(let s) = x { return .bool(s.utf8.elementsEqual(c.utf8) == equal) }
                return .bool(celEquals(x, literal) == equal)
            }
        case (.greater, .int(let c)), (.greaterOrEqual, .int(let c)), (.less, .int(let c)), (.lessOrEqual, .int(let c)):
            let test: @Sendable (Int64) -> Bool
            switch op {
            case .greater: test = { $0 > c }
            case .greaterOrEqual: test = { $0 >= c }
            case .less: test = { $0 < c }
            default: test = { $0 <= c }
            }
            let symbol = op.rawValue
            return { a throws(EvalError) in
                let x = try le(a)
                if case .int(let v) = x { return .bool(test(v)) }
                guard let order = try celCompare(x, literal, symbol) else { return .bool(false) }
                switch op {
                case .greater: return .bool(order > 0)
                case .greaterOrEqual: return .bool(order >= 0)
                case .less: return .bool(order < 0)
                default: return .bool(order <= 0)
                }
            }
        default:
            return nil
        }
    }

    private func comparison(_ le: @escaping Evaluator, _ re: @escaping Evaluator, _ op: String,
                            _ test: @escaping @Sendable (Int) -> Bool) -> Evaluator {
        { a throws(EvalError) in
            let x = try le(a), y = try re(a)
            // Fast path for the commonest comparisons in rules: int with int, date with date.
            switch (x, y) {
            case let (.int(p), .int(q)): return .bool(test(p < q ? -1 : (p > q ? 1 : 0)))
            case let (.date(p), .date(q)): return .bool(test(p.number < q.number ? -1 : (p.number > q.number ? 1 : 0)))
            default:
                guard let order = try celCompare(x, y, op) else { return .bool(false) }
                return .bool(test(order))
            }
        }
    }

    /// `&&` (decisive value false) and `||` (decisive value true) with CEL's commutative error
    /// handling: a decisive value on either side wins over an error on the other.
    private mutating func logical(_ lhs: Expr, _ rhs: Expr, decisive: Bool, _ expr: Expr) throws(ExpressionError) -> Compiled {
        let l = try compile(lhs), r = try compile(rhs)
        if env.checkTypes {
            for side in [(l, lhs), (r, rhs)] where !CELType.bool.accepts(side.0.type) {
                throw fail("'\(decisive ? "||" : "&&")' needs bool operands, not \(side.0.type)", side.1)
            }
        }
        let le = l.eval, re = r.eval
        let name = decisive ? "_||_" : "_&&_"
        return (.bool, { a throws(EvalError) in
            // Fast path: both sides evaluate to bools without error.
            if case .bool(let x)? = try? le(a) {
                if x == decisive { return .bool(decisive) }
                if case .bool(let y)? = try? re(a) { return .bool(y) }
            }
            var firstError: EvalError?
            do throws(EvalError) {
                switch try le(a) {
                case .bool(let b): if b == decisive { return .bool(decisive) }
                case let v: firstError = EvalError.noOverload(name, [v])
                }
            } catch {
                firstError = error
            }
            do throws(EvalError) {
                switch try re(a) {
                case .bool(let b): if b == decisive { return .bool(decisive) }
                case let v: if firstError == nil { firstError = EvalError.noOverload(name, [v]) }
                }
            } catch {
                if firstError == nil { firstError = error }
            }
            if let firstError { throw firstError }
            return .bool(!decisive)
        })
    }

    // MARK: macros

    /// A comprehension over `records` that reads no field of the current record gives the same
    /// result for the same outer variables (`o` in `owners.exists(o, records.filter(…))`), so it
    /// is worked out once per run and value instead of once per record: O(n) instead of O(n²).
    private mutating func comprehension(_ macro: Macro, _ target: Expr, _ variable: String,
                                        _ predicate: Expr?, _ transform: Expr?, _ expr: Expr) throws(ExpressionError) -> Compiled {
        let outer = reads
        reads = Reads()
        let slot = scopes.count
        let compiled = try uncachedComprehension(macro, target, variable, predicate, transform, expr)
        let inner = reads
        reads = outer
        reads.merge(inner)
        let dependencies = inner.locals.filter { $0 < slot }.sorted()
        guard !inner.recordFields, inner.globals.contains("records"), inner.globals.isSubset(of: ["records", "params"]) else {
            return compiled
        }
        let memo = MemoTable()
        let evaluate = compiled.eval
        return (compiled.type, { a throws(EvalError) in
            var key = ""
            for d in dependencies {
                switch a.locals[d] {
                case .string(let s): key += "s" + s + "\u{1F}"
                case .int(let i): key += "i\(i)\u{1F}"
                case .bool(let b): key += b ? "t\u{1F}" : "f\u{1F}"
                case .null: key += "n\u{1F}"
                default: return try evaluate(a)       // only simple values make a key
                }
            }
            let id = ObjectIdentifier(memo)
            if let hit = a.memo[id]?[key] { return hit }
            let value = try evaluate(a)
            a.memo[id, default: [:]][key] = value
            return value
        })
    }

    private mutating func uncachedComprehension(_ macro: Macro, _ target: Expr, _ variable: String,
                                                _ predicate: Expr?, _ transform: Expr?, _ expr: Expr) throws(ExpressionError) -> Compiled {
        let t = try compile(target)
        let slot = scopes.count
        scopes.append((variable, slot))
        maxLocals = max(maxLocals, scopes.count)
        defer { scopes.removeLast() }
        let p = try predicate.map { (e: Expr) throws(ExpressionError) in try compile(e) }
        let f = try transform.map { (e: Expr) throws(ExpressionError) in try compile(e) }
        if env.checkTypes {
            switch t.type {
            case .list, .map, .dyn: break
            default: throw fail("\(macro.rawValue)() needs a list or map, not \(t.type)", target)
            }
            if let p, !CELType.bool.accepts(p.type) { throw fail("the condition of \(macro.rawValue)() must be bool, not \(p.type)", predicate!) }
        }
        let te = t.eval, pe = p?.eval, fe = f?.eval
        let elementType: CELType
        switch t.type {
        case .list(let e): elementType = e
        case .map(let k, _): elementType = k
        default: elementType = .dyn
        }
        @Sendable func items(_ a: Activation) throws(EvalError) -> [Value] {
            switch try te(a) {
            case .list(let l): return l
            case .map(let m): return m.keys
            case let other: throw EvalError("\(macro.rawValue)() needs a list or map, not \(other.typeName)")
            }
        }
        @Sendable func test(_ a: Activation) throws(EvalError) -> Bool {
            guard case .bool(let b) = try pe!(a) else { throw EvalError("\(macro.rawValue)() condition did not give a bool") }
            return b
        }
        switch macro {
        case .all, .exists:
            let decisive = macro == .exists
            return (.bool, { a throws(EvalError) in
                var pending: EvalError?
                for item in try items(a) {
                    try a.step()
                    a.locals[slot] = item
                    do throws(EvalError) {
                        if try test(a) == decisive { return .bool(decisive) }
                    } catch {
                        if pending == nil { pending = error }
                    }
                }
                if let pending { throw pending }
                return .bool(!decisive)
            })
        case .existsOne:
            return (.bool, { a throws(EvalError) in
                var count = 0
                for item in try items(a) {
                    try a.step()
                    a.locals[slot] = item
                    if try test(a) { count += 1 }
                }
                return .bool(count == 1)
            })
        case .filter:
            return (.list(elementType), { a throws(EvalError) in
                var out: [Value] = []
                for item in try items(a) {
                    try a.step()
                    a.locals[slot] = item
                    if try test(a) { out.append(item) }
                }
                return .list(out)
            })
        case .map:
            return (.list(f?.type ?? .dyn), { a throws(EvalError) in
                var out: [Value] = []
                for item in try items(a) {
                    try a.step()
                    a.locals[slot] = item
                    if pe != nil, try !test(a) { continue }
                    out.append(try fe!(a))
                }
                return .list(out)
            })
        }
    }
}
