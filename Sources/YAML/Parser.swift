import CYAML

/// Builds a `Node` tree from libyaml's event stream, keeping every node's line and column.
///
/// Beyond libyaml's own checks it rejects what silently corrupts configuration: duplicate keys,
/// several documents where one is expected, and bytes that are not UTF-8. Anchors, aliases and
/// `<<` merge keys are resolved here, so callers see plain trees.
public enum YAMLParser {
    /// Parses a single-document YAML text. Returns nil for a document with no content
    /// (an empty file or only comments).
    public static func parse(_ bytes: [UInt8]) throws -> Node? {
        if let bad = firstInvalidUTF8(bytes) {
            throw YAMLError("invalid UTF-8 byte 0x\(String(bytes[bad], radix: 16, uppercase: true)); files must be UTF-8",
                            at: mark(ofOffset: bad, in: bytes))
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                throw YAMLError("libyaml could not start (out of memory)", at: Mark(line: 1, column: 1))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw parserError(&parser, bytes: buffer)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.handle(&event)
            }
            return builder.root
        }
    }

    public static func parse(_ text: String) throws -> Node? {
        try parse(Array(text.utf8))
    }

    private static func parserError(_ parser: inout yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
        let context = parser.context.map { String(cString: $0) }
        let problemMark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        let offset = Int(parser.problem_mark.index)
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "\t") {
            return YAMLError("tab character where YAML allows only spaces (indent with spaces)", at: problemMark)
        }
        if parser.error == YAML_SCANNER_ERROR || parser.error == YAML_PARSER_ERROR, let context {
            let contextMark = Mark(line: Int(parser.context_mark.line) + 1, column: Int(parser.context_mark.column) + 1)
            return YAMLError("\(problem) (\(context) at \(contextMark)); check the indentation and quoting", at: problemMark)
        }
        return YAMLError(problem, at: problemMark)
    }

    /// Offset of the first byte that breaks UTF-8, or nil when the text is valid.
    public static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return i
            }
            guard i + length <= n else { return i }
            for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            if b == 0xE0 && bytes[i + 1] < 0xA0 { return i }        // overlong
            if b == 0xED && bytes[i + 1] > 0x9F { return i }        // surrogate
            if b == 0xF0 && bytes[i + 1] < 0x90 { return i }        // overlong
            if b == 0xF4 && bytes[i + 1] > 0x8F { return i }        // beyond U+10FFFF
            i += length
        }
        return nil
    }

    static func mark(ofOffset offset: Int, in bytes: [UInt8]) -> Mark {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        return Mark(line: line, column: offset - lineStart + 1)
    }
}

/// Turns events into nodes with a stack of open collections. Frames are classes so that
/// appending to the innermost collection never copies it.
private struct TreeBuilder {
    private final class Frame {
        let isMapping: Bool
        let mark: Mark
        let tag: String?
        let anchor: String?
        var items: [Node] = []
        var pairs: [Node.Pair] = []
        var pendingKey: Node?
        var seenKeys: [String: Mark] = [:]

        init(isMapping: Bool, mark: Mark, tag: String?, anchor: String?) {
            self.isMapping = isMapping
            self.mark = mark
            self.tag = tag
            self.anchor = anchor
        }
    }

    /// As deep as JSON may nest (see `JSONReader`). Real documents nest a handful of levels; a
    /// limit keeps every recursive walk of the tree, its destruction included, within the stack.
    static let maxDepth = 512

    private var stack: [Frame] = []
    private var anchors: [String: Node] = [:]
    private var documents = 0
    private(set) var root: Node?

    mutating func handle(_ event: inout yaml_event_t) throws {
        let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLError("a second YAML document starts here; put everything in one document", at: mark)
            }
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = string(s.value, Int(s.length))
            let style: ScalarStyle
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            try add(Node(.scalar(text, style), mark: mark, tag: optionalString(s.tag)), anchor: optionalString(s.anchor))
        case YAML_ALIAS_EVENT:
            let name = optionalString(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLError("unknown alias '*\(name)'; define '&\(name)' before using it", at: mark)
            }
            try add(target, anchor: nil)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            guard stack.count < Self.maxDepth else {
                throw YAMLError("YAML nested more than \(Self.maxDepth) levels deep", at: mark)
            }
            if event.type == YAML_MAPPING_START_EVENT {
                let m = event.data.mapping_start
                let anchor = optionalString(m.anchor)
                stack.append(Frame(isMapping: true, mark: mark, tag: optionalString(m.tag), anchor: anchor))
                break
            }
            let s = event.data.sequence_start
            stack.append(Frame(isMapping: false, mark: mark, tag: optionalString(s.tag), anchor: optionalString(s.anchor)))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let content: Node.Content = frame.isMapping ? .mapping(try Self.resolveMerges(frame.pairs)) : .sequence(frame.items)
            try add(Node(content, mark: frame.mark, tag: frame.tag), anchor: frame.anchor)
        default:
            break
        }
    }

    private mutating func add(_ node: Node, anchor: String?) throws {
        if let anchor { anchors[anchor] = node }
        guard let top = stack.last else {
            root = node
            return
        }
        if !top.isMapping {
            top.items.append(node)
        } else if let key = top.pendingKey {
            top.pairs.append(Node.Pair(key: key, value: node))
            top.pendingKey = nil
        } else {
            if let text = node.scalar, !Self.isMergeKey(node) {
                // Records have a handful of keys: a linear scan beats hashing until mappings grow.
                var first: Mark?
                if top.pairs.count < 16 {
                    first = top.pairs.first { $0.key.scalar == text && !Self.isMergeKey($0.key) }?.key.mark
                } else {
                    if top.seenKeys.isEmpty {
                        for p in top.pairs where !Self.isMergeKey(p.key) { if let k = p.key.scalar { top.seenKeys[k] = p.key.mark } }
                    }
                    first = top.seenKeys[text]
                    top.seenKeys[text] = first ?? node.mark
                }
                if let first {
                    throw YAMLError("duplicate key '\(text)' (first defined at \(first))", at: node.mark)
                }
            }
            top.pendingKey = node
        }
    }

    private static func isMergeKey(_ node: Node) -> Bool {
        node.scalar == "<<" && node.style == .plain
    }

    /// `<<: *base` (or a list of them) copies keys the mapping does not set itself.
    private static func resolveMerges(_ pairs: [Node.Pair]) throws -> [Node.Pair] {
        guard pairs.contains(where: { isMergeKey($0.key) }) else { return pairs }
        var own = pairs.filter { !isMergeKey($0.key) }
        var present = Set(own.compactMap { $0.key.scalar })
        for pair in pairs where isMergeKey(pair.key) {
            let sources = pair.value.sequence ?? [pair.value]
            for source in sources {
                guard let merged = source.mapping else {
                    throw YAMLError("a merge key '<<' takes a mapping or a list of mappings, not \(source.kindName)", at: source.mark)
                }
                for m in merged where !present.contains(m.key.scalar ?? "") {
                    own.append(m)
                    if let k = m.key.scalar { present.insert(k) }
                }
            }
        }
        return own
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private func optionalString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
