/// Splits CEL source text into tokens. Offsets count Unicode scalars, which is what an editor
/// shows as columns for the text rule authors write.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case ident(String)
        case int(String)          // digits only, sign applied by the parser
        case uint(UInt64)
        case double(Double)
        case string(String)
        case bytes([UInt8])
        case punct(String)
        case end
    }

    var kind: Kind
    var position: Int
}

struct Lexer {
    private let chars: [Unicode.Scalar]
    private var index = 0

    init(_ source: String) {
        chars = Array(source.unicodeScalars)
    }

    static func tokenize(_ source: String) throws(ExpressionError) -> [Token] {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    private mutating func skipSpaceAndComments() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
                index += 1
            } else if c == "/", peek(1) == "/" {
                while let d = peek(), d != "\n" { index += 1 }
            } else {
                return
            }
        }
    }

    mutating func next() throws(ExpressionError) -> Token {
        skipSpaceAndComments()
        let start = index
        guard let c = peek() else { return Token(kind: .end, position: index) }

        if isIdentStart(c) {
            // String prefixes: r, b, and their combinations, directly before a quote.
            var j = index
            var raw = false, isBytes = false
            while j < chars.count, j - index < 2 {
                let p = chars[j]
                if (p == "r" || p == "R") && !raw { raw = true } else if (p == "b" || p == "B") && !isBytes { isBytes = true } else { break }
                j += 1
            }
            if j > index, j < chars.count, chars[j] == "'" || chars[j] == "\"" {
                index = j
                return try quoted(raw: raw, bytes: isBytes, start: start)
            }
            while let d = peek(), isIdentStart(d) || isDigit(d) { index += 1 }
            return Token(kind: .ident(String(String.UnicodeScalarView(chars[start..<index]))), position: start)
        }
        if isDigit(c) || (c == "." && peek(1).map(isDigit) == true) {
            return try number(start: start)
        }
        if c == "'" || c == "\"" {
            return try quoted(raw: false, bytes: false, start: start)
        }
        let two = peek(1).map { String(c) + String($0) }
        if let two, ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
            index += 2
            return Token(kind: .punct(two), position: start)
        }
        if "+-*/%<>!?:.,()[]{}".unicodeScalars.contains(c) {
            index += 1
            return Token(kind: .punct(String(c)), position: start)
        }
        throw ExpressionError("unexpected character '\(c)'", at: start)
    }

    private func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private mutating func number(start: Int) throws(ExpressionError) -> Token {
        if peek() == "0", peek(1) == "x" || peek(1) == "X" {
            index += 2
            let digitsStart = index
            while let d = peek(), d.properties.isASCIIHexDigit { index += 1 }
            let text = String(String.UnicodeScalarView(chars[digitsStart..<index]))
            guard !text.isEmpty else { throw ExpressionError("hex literal needs digits", at: start) }
            if peek() == "u" || peek() == "U" {
                index += 1
                guard let v = UInt64(text, radix: 16) else { throw ExpressionError("uint literal out of range", at: start) }
                return Token(kind: .uint(v), position: start)
            }
            guard let v = UInt64(text, radix: 16) else { throw ExpressionError("int literal out of range", at: start) }
            return Token(kind: .int(String(v)), position: start)
        }
        while let d = peek(), isDigit(d) { index += 1 }
        var isDouble = false
        if peek() == ".", let d = peek(1), isDigit(d) {
            isDouble = true
            index += 1
            while let d = peek(), isDigit(d) { index += 1 }
        }
        if peek() == "e" || peek() == "E" {
            var j = 1
            if peek(1) == "+" || peek(1) == "-" { j = 2 }
            if let d = peek(j), isDigit(d) {
                isDouble = true
                index += j
                while let d = peek(), isDigit(d) { index += 1 }
            }
        }
        let text = String(String.UnicodeScalarView(chars[start..<index]))
        if isDouble {
            guard let v = Double(text) else { throw ExpressionError("bad number '\(text)'", at: start) }
            return Token(kind: .double(v), position: start)
        }
        if peek() == "u" || peek() == "U" {
            index += 1
            guard let v = UInt64(text) else { throw ExpressionError("uint literal out of range", at: start) }
            return Token(kind: .uint(v), position: start)
        }
        return Token(kind: .int(text), position: start)
    }

    /// A quoted literal; `index` is at the opening quote.
    private mutating func quoted(raw: Bool, bytes: Bool, start: Int) throws(ExpressionError) -> Token {
        let q = chars[index]
        let triple = peek(1) == q && peek(2) == q
        index += triple ? 3 : 1
        var scalars: [Unicode.Scalar] = []
        var out: [UInt8] = []
        func emit(_ s: Unicode.Scalar) {
            if bytes { out.append(contentsOf: Array(String(Character(s)).utf8)) } else { scalars.append(s) }
        }
        while true {
            guard let c = peek() else { throw ExpressionError("string literal is not closed", at: start) }
            if c == q && (!triple || (peek(1) == q && peek(2) == q)) {
                index += triple ? 3 : 1
                break
            }
            if !triple && (c == "\n" || c == "\r") {
                throw ExpressionError("string literal is not closed before the end of the line", at: start)
            }
            if c == "\\" && !raw {
                let escapeStart = index
                index += 1
                guard let e = peek() else { throw ExpressionError("string literal is not closed", at: start) }
                index += 1
                switch e {
                case "a": emit("\u{07}")
                case "b": emit("\u{08}")
                case "f": emit("\u{0C}")
                case "n": emit("\n")
                case "r": emit("\r")
                case "t": emit("\t")
                case "v": emit("\u{0B}")
                case "\\", "'", "\"", "`", "?": emit(e)
                case "x", "X", "u", "U":
                    let width = (e == "x" || e == "X") ? 2 : (e == "u" ? 4 : 8)
                    guard index + width <= chars.count,
                          let v = UInt32(String(String.UnicodeScalarView(chars[index..<index + width])), radix: 16) else {
                        throw ExpressionError("\\\(e) needs \(width) hex digits", at: escapeStart)
                    }
                    index += width
                    if bytes && width == 2 {
                        out.append(UInt8(v))
                    } else {
                        guard !bytes, let s = Unicode.Scalar(v) else {
                            throw ExpressionError("invalid escape \\\(e) in this literal", at: escapeStart)
                        }
                        scalars.append(s)
                    }
                case "0"..."3":
                    guard index + 2 <= chars.count,
                          let v = UInt32(String(e) + String(String.UnicodeScalarView(chars[index..<index + 2])), radix: 8) else {
                        throw ExpressionError("octal escape needs three digits", at: escapeStart)
                    }
                    index += 2
                    if bytes { out.append(UInt8(v)) } else { scalars.append(Unicode.Scalar(v)!) }
                default:
                    throw ExpressionError("unknown escape '\\\(e)'", at: escapeStart)
                }
                continue
            }
            if c == "\r" && peek(1) == "\n" { index += 1; emit("\n"); index += 1; continue }
            emit(c)
            index += 1
        }
        if bytes { return Token(kind: .bytes(out), position: start) }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return Token(kind: .string(String(s)), position: start)
    }
}
