/// A position in a source file, 1-based, as people and editors count.
public struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written. The schema, not the parser, decides what a scalar means,
/// but it needs the style: a quoted `"yes"` is always text, a plain `~` may be null.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    public var isQuoted: Bool { self != .plain }
}

/// One node of a YAML (or JSON) document: the text exactly as written, plus where it was written.
public struct Node: Sendable {
    public enum Content: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Pair])
    }

    public struct Pair: Sendable {
        public var key: Node
        public var value: Node
    }

    public var content: Content
    public var mark: Mark
    /// An explicit tag such as `!!str`, if the author wrote one.
    public var tag: String?

    public init(_ content: Content, mark: Mark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }

    public var scalar: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    public var style: ScalarStyle? {
        if case .scalar(_, let style) = content { return style }
        return nil
    }

    public var sequence: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// Null in the YAML core schema: an empty plain scalar, `~` or `null`. Quoted text never is.
    public var isNull: Bool {
        guard case .scalar(let text, .plain) = content, tag == nil else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// The value under `key` in a mapping.
    public subscript(key: String) -> Node? {
        mapping?.first { $0.key.scalar == key }?.value
    }

    /// A word for the kind of node, for error messages.
    public var kindName: String {
        switch content {
        case .scalar: return isNull ? "null" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// A problem in a document, with the position it applies to.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var mark: Mark

    public init(_ message: String, at mark: Mark) {
        self.message = message
        self.mark = mark
    }

    public var description: String { "\(mark): \(message)" }
}
