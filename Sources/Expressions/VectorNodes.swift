import Foundation

// The operators of batch evaluation. Each writes its own lane, row by row, with the same results
// as the per-record evaluator wherever it gives a valid state; where that evaluator could raise an
// error or meets a case not handled here, the row is deferred.

/// An operator with its output lane. Identical subexpressions of a run's rules share one node,
/// which works out its lane once per batch (`generation`).
class LaneExpr {
    let out: Lane
    private var computedAt = -1

    init(capacity: Int) { out = Lane(capacity: capacity) }

    func evaluate(_ input: any VectorInput) -> Lane {
        if computedAt != input.generation {
            computedAt = input.generation
            compute(input)
        }
        return out
    }

    /// Fills `out` for `input.count` rows.
    func compute(_ input: any VectorInput) {}
}

/// An operator of two operands.
class BinaryNode: LaneExpr {
    let l: LaneExpr, r: LaneExpr
    init(_ l: LaneExpr, _ r: LaneExpr, capacity: Int) {
        (self.l, self.r) = (l, r)
        super.init(capacity: capacity)
    }
}

protocol TextExpr: AnyObject {
    func evaluate(_ input: any VectorInput) -> TextLane
}

private let valid = Lane.valid, null = Lane.null, deferred = Lane.deferred

final class ConstantLane: LaneExpr {
    init(value: Int64, state: UInt8, capacity: Int) {
        super.init(capacity: capacity)
        out.fill(value: value, state: state)
    }
    override func evaluate(_ input: any VectorInput) -> Lane { out }
}

final class DateColumn: LaneExpr {
    let slot: Int
    init(slot: Int) {
        self.slot = slot
        super.init(capacity: 0)
    }
    override func evaluate(_ input: any VectorInput) -> Lane { input.dates(slot: slot) }
}

final class TextColumn: TextExpr {
    let slot: Int
    init(slot: Int) { self.slot = slot }
    func evaluate(_ input: any VectorInput) -> TextLane { input.text(slot: slot) }
}

/// `x == null`, `x != null`.
final class NullTest: LaneExpr {
    let lane: LaneExpr?, text: (any TextExpr)?
    let negate: Bool
    init(lane: LaneExpr?, text: (any TextExpr)?, negate: Bool, capacity: Int) {
        (self.lane, self.text, self.negate) = (lane, text, negate)
        super.init(capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let states = lane?.evaluate(input).states ?? text!.evaluate(input).states
        let v = out.values, s = out.states
        let wantNull: Int64 = negate ? 0 : 1
        for i in 0..<input.count {
            let st = states[i]
            s[i] = st == deferred ? deferred : valid
            v[i] = st == null ? wantNull : 1 - wantNull
        }
    }
}

/// `==` and `!=` on ints, dates or bools (CEL: null equals only null).
final class Equality: BinaryNode {
    let negate: Bool
    init(_ l: LaneExpr, _ r: LaneExpr, negate: Bool, capacity: Int) {
        self.negate = negate
        super.init(l, r, capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let a = l.evaluate(input), b = r.evaluate(input)
        let v = out.values, s = out.states
        for i in 0..<input.count {
            let sa = a.states[i], sb = b.states[i]
            if sa == deferred || sb == deferred { s[i] = deferred; continue }
            let equal = sa == sb && (sa == null || a.values[i] == b.values[i])
            s[i] = valid
            v[i] = equal != negate ? 1 : 0
        }
    }
}

/// `<`, `<=`, `>`, `>=` on ints or dates; a null operand is left to the record evaluator.
final class Comparison: BinaryNode {
    let op: BinaryOp
    init(_ op: BinaryOp, _ l: LaneExpr, _ r: LaneExpr, capacity: Int) {
        self.op = op
        super.init(l, r, capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let a = l.evaluate(input), b = r.evaluate(input)
        let n = input.count, v = out.values, s = out.states
        let av = a.values, bv = b.values, sa = a.states, sb = b.states
        for i in 0..<n { s[i] = sa[i] | sb[i] == valid ? valid : deferred }
        switch op {
        case .less: for i in 0..<n { v[i] = av[i] < bv[i] ? 1 : 0 }
        case .lessOrEqual: for i in 0..<n { v[i] = av[i] <= bv[i] ? 1 : 0 }
        case .greater: for i in 0..<n { v[i] = av[i] > bv[i] ? 1 : 0 }
        default: for i in 0..<n { v[i] = av[i] >= bv[i] ? 1 : 0 }
        }
    }
}

/// `+` and `-` on ints; overflow is an error, so it is deferred.
final class Arithmetic: BinaryNode {
    let subtract: Bool
    init(_ l: LaneExpr, _ r: LaneExpr, subtract: Bool, capacity: Int) {
        self.subtract = subtract
        super.init(l, r, capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let a = l.evaluate(input), b = r.evaluate(input)
        let v = out.values, s = out.states
        for i in 0..<input.count {
            guard a.states[i] | b.states[i] == valid else { s[i] = deferred; continue }
            let (x, overflow) = subtract ? a.values[i].subtractingReportingOverflow(b.values[i])
                                         : a.values[i].addingReportingOverflow(b.values[i])
            s[i] = overflow ? deferred : valid
            v[i] = x
        }
    }
}

/// `&&` and `||` with CEL's rule that a decisive side wins over anything on the other. In
/// Kleene's three-valued logic, with false < undecided < true, `&&` is the minimum and `||`
/// the maximum: exactly that rule, without branches.
final class Logic: BinaryNode {
    let isAnd: Bool
    init(_ l: LaneExpr, _ r: LaneExpr, isAnd: Bool, capacity: Int) {
        self.isAnd = isAnd
        super.init(l, r, capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let a = l.evaluate(input), b = r.evaluate(input)
        let n = input.count, v = out.values, s = out.states
        let av = a.values, bv = b.values, sa = a.states, sb = b.states
        // Kleene codes: 0 false, 1 undecided (deferred, or null: not a bool), 2 true.
        @inline(__always) func code(_ state: UInt8, _ value: Int64) -> Int64 { state == valid ? value &* 2 : 1 }
        if isAnd {
            for i in 0..<n { v[i] = min(code(sa[i], av[i]), code(sb[i], bv[i])) }
        } else {
            for i in 0..<n { v[i] = max(code(sa[i], av[i]), code(sb[i], bv[i])) }
        }
        for i in 0..<n {
            s[i] = v[i] == 1 ? deferred : valid
            v[i] >>= 1
        }
    }
}

final class Negation: LaneExpr {
    let operand: LaneExpr
    init(_ operand: LaneExpr, capacity: Int) {
        self.operand = operand
        super.init(capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let a = operand.evaluate(input)
        let v = out.values, s = out.states
        for i in 0..<input.count {
            s[i] = a.states[i] == valid ? valid : deferred
            v[i] = 1 - a.values[i]
        }
    }
}

/// `c ? x : y`.
final class Choice: LaneExpr {
    let test: LaneExpr, yes: LaneExpr, no: LaneExpr
    init(_ test: LaneExpr, _ yes: LaneExpr, _ no: LaneExpr, capacity: Int) {
        (self.test, self.yes, self.no) = (test, yes, no)
        super.init(capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let c = test.evaluate(input), y = yes.evaluate(input), f = no.evaluate(input)
        let v = out.values, s = out.states
        for i in 0..<input.count {
            guard c.states[i] == valid else { s[i] = deferred; continue }
            let pick = c.values[i] == 1 ? y : f
            s[i] = pick.states[i]
            v[i] = pick.values[i]
        }
    }
}

/// `t == "literal"`, `t == u` and their negations (CEL compares text by code points: bytes here).
final class TextEquality: LaneExpr {
    let l: any TextExpr, r: (any TextExpr)?
    let literal: [UInt8]
    let negate: Bool
    init(_ l: any TextExpr, _ r: (any TextExpr)?, literal: [UInt8], negate: Bool, capacity: Int) {
        (self.l, self.r, self.literal, self.negate) = (l, r, literal, negate)
        super.init(capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let a = l.evaluate(input), b = r?.evaluate(input)
        let v = out.values, s = out.states
        literal.withUnsafeBufferPointer { lit in
            for i in 0..<input.count {
                let sb = b?.states[i] ?? valid
                if a.states[i] == deferred || sb == deferred { s[i] = deferred; continue }
                s[i] = valid
                var equal: Bool
                if a.states[i] == null || sb == null {
                    equal = a.states[i] == sb
                } else {
                    let x = a.base! + Int(a.starts[i])
                    let count = Int(a.lengths[i])
                    let (y, other) = b.map { ($0.base! + Int($0.starts[i]), Int($0.lengths[i])) } ?? (lit.baseAddress, lit.count)
                    equal = count == other && (count == 0 || memcmp(x, y!, count) == 0)
                }
                v[i] = equal != negate ? 1 : 0
            }
        }
    }
}

/// `t in ["a", "b"]`; a null `t` is left to the record evaluator.
final class TextInList: LaneExpr {
    let text: any TextExpr
    let literals: [[UInt8]]
    init(_ text: any TextExpr, _ literals: [[UInt8]], capacity: Int) {
        (self.text, self.literals) = (text, literals)
        super.init(capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let a = text.evaluate(input)
        let v = out.values, s = out.states
        for i in 0..<input.count {
            guard a.states[i] == valid else { s[i] = deferred; continue }
            let x = a.base! + Int(a.starts[i]), count = Int(a.lengths[i])
            s[i] = valid
            v[i] = literals.contains { lit in lit.count == count && lit.withUnsafeBufferPointer { memcmp(x, $0.baseAddress!, count) == 0 } } ? 1 : 0
        }
    }
}

/// `is_blank(x)`: null, or text of white space only (non-ASCII text is deferred).
final class Blank: LaneExpr {
    let lane: LaneExpr?, text: (any TextExpr)?
    init(lane: LaneExpr?, text: (any TextExpr)?, capacity: Int) {
        (self.lane, self.text) = (lane, text)
        super.init(capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let n = input.count, v = out.values, s = out.states
        if let lane {
            let a = lane.evaluate(input)
            for i in 0..<n {
                s[i] = a.states[i] == deferred ? deferred : valid
                v[i] = a.states[i] == null ? 1 : 0
            }
            return
        }
        let t = text!.evaluate(input)
        for i in 0..<n {
            if t.states[i] != valid { s[i] = t.states[i] == null ? valid : deferred; v[i] = 1; continue }
            s[i] = valid
            v[i] = 1
            let x = t.base! + Int(t.starts[i])
            for k in 0..<Int(t.lengths[i]) {
                let c = x[k]
                if c >= 0x80 { s[i] = deferred; break }
                if !(c == 0x20 || (c >= 0x09 && c <= 0x0D)) { v[i] = 0; break }
            }
        }
    }
}

/// The date functions of `DomainLibrary`, with the same limits (beyond them the row is deferred).
final class DateFunction: LaneExpr {
    enum Kind {
        case daysBetween, weeksBetween, addDays, addMonths, fromParts
        case daysOverdue(Int)
    }
    let kind: Kind
    let args: [LaneExpr]
    init(_ kind: Kind, _ args: [LaneExpr], capacity: Int) {
        (self.kind, self.args) = (kind, args)
        super.init(capacity: capacity)
    }
    override func compute(_ input: any VectorInput) {
        let lanes = args.map { $0.evaluate(input) }
        let n = input.count, v = out.values, s = out.states
        // Valid only where every argument is.
        s.update(from: lanes[0].states, count: n)
        for l in lanes.dropFirst() {
            let t = l.states
            for i in 0..<n { s[i] |= t[i] }
        }
        for i in 0..<n { s[i] = s[i] == valid ? valid : deferred }
        let a = lanes[0].values
        switch kind {
        case .daysBetween:
            let b = lanes[1].values
            for i in 0..<n { v[i] = b[i] &- a[i] }
        case .weeksBetween:
            let b = lanes[1].values
            for i in 0..<n { v[i] = (b[i] &- a[i]) / 7 }
        case .daysOverdue(let today):
            for i in 0..<n { v[i] = max(0, Int64(today) &- a[i]) }
        case .addDays:
            let k = lanes[1].values
            for i in 0..<n where s[i] == valid {
                if k[i] > -3_000_000, k[i] < 3_000_000 { v[i] = a[i] + k[i] } else { s[i] = deferred }
            }
        case .addMonths:
            let k = lanes[1].values
            for i in 0..<n where s[i] == valid {
                if k[i] > -100_000, k[i] < 100_000 { v[i] = Int64(Day(number: Int(a[i])).adding(months: Int(k[i])).number) } else { s[i] = deferred }
            }
        case .fromParts:
            let m = lanes[1].values, d = lanes[2].values
            for i in 0..<n where s[i] == valid {
                if a[i] > -100_000, a[i] < 100_000, m[i] > 0, m[i] < 13, d[i] > 0, d[i] < 32,
                   let day = Day(year: Int(a[i]), month: Int(m[i]), day: Int(d[i])) {
                    v[i] = Int64(day.number)
                } else {
                    s[i] = deferred
                }
            }
        }
    }
}
