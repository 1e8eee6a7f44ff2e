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

    public var kind: Kind
    public var position: Int

    public init(_ kind: Kind, at position: Int) {
        self.kind = kind
        self.position = position
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
