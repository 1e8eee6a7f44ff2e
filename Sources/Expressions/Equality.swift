/// An error raised while evaluating an expression for one record.
public struct EvalError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The evaluation ran out of its step budget (see `Activation.stepBudget`): evaluating the
    /// same expression again would only spend it again.
    public var exhaustedBudget = false
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static func noOverload(_ function: String, _ args: [Value]) -> EvalError {
        EvalError("no such overload: \(function)(\(args.map(\.typeName).joined(separator: ", ")))")
    }
}

/// CEL equality: numbers compare by value across int, uint and double; strings compare by code
/// points (no Unicode normalisation, unlike Swift's `==`); values of different kinds are unequal.
public func celEquals(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
    case let (.bytes(x), .bytes(y)): return x == y
    case let (.date(x), .date(y)): return x == y
    case let (.timestamp(x), .timestamp(y)): return x == y
    case let (.duration(x), .duration(y)): return x == y
    case let (.type(x), .type(y)): return x == y
    case let (.list(x), .list(y)):
        return x.count == y.count && zip(x, y).allSatisfy { celEquals($0, $1) }
    case let (.map(x), .map(y)):
        guard x.count == y.count else { return false }
        for (k, v) in zip(x.keys, x.values) {
            guard let w = y[k], celEquals(v, w) else { return false }
        }
        return true
    default:
        if let order = numericOrder(a, b) { return order == 0 }
        return false
    }
}

/// Orders two numbers of any numeric kind exactly; nil when either is not a number or is NaN.
func numericOrder(_ a: Value, _ b: Value) -> Int? {
    switch (a, b) {
    case let (.int(x), .int(y)): return x < y ? -1 : (x > y ? 1 : 0)
    case let (.uint(x), .uint(y)): return x < y ? -1 : (x > y ? 1 : 0)
    case let (.double(x), .double(y)):
        if x.isNaN || y.isNaN { return nil }
        return x < y ? -1 : (x > y ? 1 : 0)
    case let (.int(x), .uint(y)): return x < 0 ? -1 : compareUnsigned(UInt64(x), y)
    case let (.uint(x), .int(y)): return y < 0 ? 1 : compareUnsigned(x, UInt64(y))
    case let (.int(x), .double(y)): return compareInt(x, y)
    case let (.double(x), .int(y)): return compareInt(y, x).map { -$0 }
    case let (.uint(x), .double(y)): return compareUInt(x, y)
    case let (.double(x), .uint(y)): return compareUInt(y, x).map { -$0 }
    default: return nil
    }
}

private func compareUnsigned(_ x: UInt64, _ y: UInt64) -> Int { x < y ? -1 : (x > y ? 1 : 0) }

/// CEL compares an integer with a double as doubles (so 2^63 - 1 equals 2^63 as a double),
/// which is what the conformance suite expects.
private func compareInt(_ x: Int64, _ y: Double) -> Int? {
    if y.isNaN { return nil }
    let d = Double(x)
    return d < y ? -1 : (d > y ? 1 : 0)
}

private func compareUInt(_ x: UInt64, _ y: Double) -> Int? {
    if y.isNaN { return nil }
    let d = Double(x)
    return d < y ? -1 : (d > y ? 1 : 0)
}

/// CEL ordering for `<`, `<=`, `>`, `>=`: nil means "unordered" (NaN), and comparing values of
/// kinds that have no order (or of different kinds) is an error.
func celCompare(_ a: Value, _ b: Value, _ op: String) throws(EvalError) -> Int? {
    switch (a, b) {
    case let (.string(x), .string(y)):
        if x.utf8.elementsEqual(y.utf8) { return 0 }
        return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
    case let (.bool(x), .bool(y)): return x == y ? 0 : (!x ? -1 : 1)
    case let (.bytes(x), .bytes(y)): return x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
    case let (.date(x), .date(y)): return x == y ? 0 : (x < y ? -1 : 1)
    case let (.timestamp(x), .timestamp(y)): return x == y ? 0 : (x < y ? -1 : 1)
    case let (.duration(x), .duration(y)): return x == y ? 0 : (x < y ? -1 : 1)
    case (.int, _), (.uint, _), (.double, _):
        switch b {
        case .int, .uint, .double: return numericOrder(a, b)
        default: throw EvalError.noOverload(op, [a, b])
        }
    default:
        throw EvalError.noOverload(op, [a, b])
    }
}
