/// Recursive-descent parser for CEL's grammar, expanding the standard macros as it goes.
public struct Parser {
    private var tokens: [Token]
    private var index = 0
    private var depth = 0
    private static let maxDepth = 200
    private static let reserved: Set<String> = [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
        "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    public static func parse(_ source: String) throws(ExpressionError) -> Expr {
        var parser = Parser(tokens: try Lexer.tokenize(source))
        let expr = try parser.expression()
        guard case .end = parser.current.kind else {
            throw ExpressionError("unexpected \(parser.describe(parser.current)) after the end of the expression", at: parser.current.position)
        }
        return expr
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    private var current: Token { tokens[index] }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .ident(let name): return "'\(name)'"
        case .punct(let p): return "'\(p)'"
        case .end: return "end of expression"
        default: return "literal"
        }
    }

    private func isPunct(_ p: String) -> Bool {
        if case .punct(p) = current.kind { return true }
        return false
    }

    private mutating func accept(_ p: String) -> Bool {
        guard isPunct(p) else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ p: String) throws(ExpressionError) {
        guard accept(p) else {
            throw ExpressionError("expected '\(p)' but found \(describe(current))", at: current.position)
        }
    }

    /// A node, refused when the tree would grow deeper than `maxDepth`: long chains of operators,
    /// fields, indexes or calls count as well as brackets, because every walk of the tree recurses.
    private func make(_ kind: Expr.Kind, at position: Int) throws(ExpressionError) -> Expr {
        let expr = Expr(kind, at: position)
        guard expr.height <= Parser.maxDepth else {
            throw ExpressionError("expression nested too deeply (more than \(Parser.maxDepth) levels of operators, "
                                  + "fields, calls or brackets); split it into smaller rules or conditions",
                                  at: position)
        }
        return expr
    }

    private mutating func nested<T>(_ body: (inout Parser) throws(ExpressionError) -> T) throws(ExpressionError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else {
            throw ExpressionError("expression nested too deeply (more than \(Parser.maxDepth) levels)", at: current.position)
        }
        return try body(&self)
    }

    mutating func expression() throws(ExpressionError) -> Expr {
        try nested { (p: inout Parser) throws(ExpressionError) -> Expr in
            let condition = try p.logicalOr()
            let at = p.current.position
            guard p.accept("?") else { return condition }
            let whenTrue = try p.logicalOr()
            try p.expect(":")
            let whenFalse = try p.expression()
            return try p.make(.conditional(condition, whenTrue, whenFalse), at: at)
        }
    }

    private mutating func logicalOr() throws(ExpressionError) -> Expr {
        var left = try logicalAnd()
        while isPunct("||") {
            let at = current.position
            index += 1
            left = try make(.or(left, try logicalAnd()), at: at)
        }
        return left
    }

    private mutating func logicalAnd() throws(ExpressionError) -> Expr {
        var left = try relation()
        while isPunct("&&") {
            let at = current.position
            index += 1
            left = try make(.and(left, try relation()), at: at)
        }
        return left
    }

    private mutating func relation() throws(ExpressionError) -> Expr {
        var left = try addition()
        while true {
            let at = current.position
            let op: BinaryOp
            switch current.kind {
            case .punct("=="): op = .equal
            case .punct("!="): op = .notEqual
            case .punct("<"): op = .less
            case .punct("<="): op = .lessOrEqual
            case .punct(">"): op = .greater
            case .punct(">="): op = .greaterOrEqual
            case .ident("in"): op = .in
            default: return left
            }
            index += 1
            left = try make(.binary(op, left, try addition()), at: at)
        }
    }

    private mutating func addition() throws(ExpressionError) -> Expr {
        var left = try multiplication()
        while isPunct("+") || isPunct("-") {
            let at = current.position
            let op: BinaryOp = isPunct("+") ? .add : .subtract
            index += 1
            left = try make(.binary(op, left, try multiplication()), at: at)
        }
        return left
    }

    private mutating func multiplication() throws(ExpressionError) -> Expr {
        var left = try unary()
        while isPunct("*") || isPunct("/") || isPunct("%") {
            let at = current.position
            let op: BinaryOp = isPunct("*") ? .multiply : (isPunct("/") ? .divide : .modulo)
            index += 1
            left = try make(.binary(op, left, try unary()), at: at)
        }
        return left
    }

    private mutating func unary() throws(ExpressionError) -> Expr {
        try nested { (p: inout Parser) throws(ExpressionError) -> Expr in
            let at = p.current.position
            if p.accept("!") {
                return try p.make(.unary(.not, try p.unary()), at: at)
            }
            if p.accept("-") {
                // Fold the sign into an int literal so that -9223372036854775808 is representable.
                if case .int(let digits) = p.current.kind {
                    let literalAt = p.current.position
                    p.index += 1
                    guard let v = Int64("-" + digits) else { throw ExpressionError("int literal out of range", at: literalAt) }
                    return try p.member(try p.make(.literal(.int(v)), at: at))
                }
                return try p.make(.unary(.negate, try p.unary()), at: at)
            }
            return try p.member(try p.primary())
        }
    }

    private mutating func member(_ base: Expr) throws(ExpressionError) -> Expr {
        var expr = base
        while true {
            let at = current.position
            if accept(".") {
                guard case .ident(let name) = current.kind else {
                    throw ExpressionError("expected a field or method name after '.'", at: current.position)
                }
                index += 1
                if accept("(") {
                    let args = try arguments(closing: ")")
                    expr = try makeCall(name, target: expr, args: args, at: at)
                } else {
                    expr = try make(.select(expr, name), at: at)
                }
            } else if accept("[") {
                let key = try expression()
                try expect("]")
                expr = try make(.index(expr, key), at: at)
            } else {
                return expr
            }
        }
    }

    private mutating func arguments(closing: String) throws(ExpressionError) -> [Expr] {
        var args: [Expr] = []
        if accept(closing) { return args }
        repeat {
            if isPunct(closing) { break }        // trailing comma
            args.append(try expression())
        } while accept(",")
        try expect(closing)
        return args
    }

    private mutating func primary() throws(ExpressionError) -> Expr {
        let token = current
        let at = token.position
        index += 1
        switch token.kind {
        case .int(let digits):
            guard let v = Int64(digits) else { throw ExpressionError("int literal out of range", at: at) }
            return try make(.literal(.int(v)), at: at)
        case .uint(let v): return try make(.literal(.uint(v)), at: at)
        case .double(let v): return try make(.literal(.double(v)), at: at)
        case .string(let s): return try make(.literal(.string(s)), at: at)
        case .bytes(let b): return try make(.literal(.bytes(b)), at: at)
        case .ident(let name):
            switch name {
            case "true": return try make(.literal(.bool(true)), at: at)
            case "false": return try make(.literal(.bool(false)), at: at)
            case "null": return try make(.literal(.null), at: at)
            case "in": throw ExpressionError("'in' needs a value on its left", at: at)
            default: break
            }
            if Parser.reserved.contains(name) {
                throw ExpressionError("'\(name)' is a reserved word", at: at)
            }
            if accept("(") {
                return try makeCall(name, target: nil, args: try arguments(closing: ")"), at: at)
            }
            return try make(.ident(name), at: at)
        case .punct("."):
            guard case .ident(let name) = current.kind else {
                throw ExpressionError("expected a name after a leading '.'", at: current.position)
            }
            index += 1
            return try make(.ident(name), at: at)
        case .punct("("):
            let inner = try expression()
            try expect(")")
            return inner
        case .punct("["):
            return try make(.list(try arguments(closing: "]")), at: at)
        case .punct("{"):
            var entries: [(key: Expr, value: Expr)] = []
            if !accept("}") {
                repeat {
                    if isPunct("}") { break }
                    let key = try expression()
                    try expect(":")
                    entries.append((key, try expression()))
                } while accept(",")
                try expect("}")
            }
            return try make(.map(entries), at: at)
        case .end:
            throw ExpressionError("expression ends where a value was expected", at: at)
        case .punct(let p):
            throw ExpressionError("unexpected '\(p)' where a value was expected", at: at)
        }
    }

    /// Builds a call, expanding `has()` and the comprehension macros.
    private func makeCall(_ name: String, target: Expr?, args: [Expr], at: Int) throws(ExpressionError) -> Expr {
        if name == "has", target == nil {
            guard args.count == 1, case .select(let operand, let field) = args[0].kind else {
                throw ExpressionError("has() takes one field selection, such as has(record.field)", at: at)
            }
            return try make(.has(operand, field), at: at)
        }
        if let target, let macro = Macro(rawValue: name), args.count == 2 || (macro == .map && args.count == 3) {
            guard case .ident(let variable) = args[0].kind else {
                throw ExpressionError("\(name)() needs a variable name as its first argument", at: args[0].position)
            }
            switch macro {
            case .map where args.count == 3:
                return try make(.macro(.map, target: target, variable: variable, predicate: args[1], transform: args[2]),
                                at: at)
            case .map:
                return try make(.macro(.map, target: target, variable: variable, predicate: nil, transform: args[1]),
                                at: at)
            default:
                return try make(.macro(macro, target: target, variable: variable, predicate: args[1], transform: nil),
                                at: at)
            }
        }
        return try make(.call(name, target: target, args: args), at: at)
    }
}
