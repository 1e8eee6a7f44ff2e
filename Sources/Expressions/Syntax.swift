/// The abstract syntax of an expression. `position` is the 0-based character offset in the source,
/// so errors can point at the column inside a rule's `when:` text.
public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case literal(Value)
        case ident(String)
        case select(Expr, String)
        /// `has(a.b)`: true when field `b` is present.
        case has(Expr, String)
        case call(String, target: Expr?, args: [Expr])
        case index(Expr, Expr)
        case list([Expr])
        case map([(key: Expr, value: Expr)])
        case unary(UnaryOp, Expr)
        case binary(BinaryOp, Expr, Expr)
        case and(Expr, Expr)
        case or(Expr, Expr)
        case conditional(Expr, Expr, Expr)
        /// `list.all(x, p)` and friends; `transform` only for `map`.
        case macro(Macro, target: Expr, variable: String, predicate: Expr?, transform: Expr?)
    }

    public let kind: Kind
    public var position: Int
    /// Levels from this node to its deepest leaf (1 for a literal or name). Every operator and
    /// every `.field`, `[i]` or call in a chain adds one, so `1+1+1` is as deep as `((1+1)+1)`:
    /// the parser bounds this, which bounds every recursive walk (compiling, evaluating, freeing).
    public let height: Int

    public init(_ kind: Kind, at position: Int) {
        self.kind = kind
        self.position = position
        height = 1 + Self.childHeight(kind)
    }

    private static func childHeight(_ kind: Kind) -> Int {
        switch kind {
        case .literal, .ident: return 0
        case .select(let e, _), .has(let e, _), .unary(_, let e): return e.height
        case .call(_, let target, let args): return max(target?.height ?? 0, args.map(\.height).max() ?? 0)
        case .index(let a, let b), .binary(_, let a, let b), .and(let a, let b), .or(let a, let b):
            return max(a.height, b.height)
        case .list(let items): return items.map(\.height).max() ?? 0
        case .map(let entries): return entries.map { max($0.key.height, $0.value.height) }.max() ?? 0
        case .conditional(let a, let b, let c): return max(a.height, b.height, c.height)
        case .macro(_, let target, _, let predicate, let transform):
            return max(target.height, predicate?.height ?? 0, transform?.height ?? 0)
        }
    }
}

public enum UnaryOp: String, Sendable { case not = "!", negate = "-" }

public enum BinaryOp: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case `in` = "in"
}

public enum Macro: String, Sendable, CaseIterable {
    case all, exists, existsOne = "exists_one", map, filter
}

/// A problem found while reading or checking an expression, at a character offset.
public struct ExpressionError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var position: Int

    public init(_ message: String, at position: Int) {
        self.message = message
        self.position = position
    }

    public var description: String { "column \(position + 1): \(message)" }
}
