/// A small streaming XML scanner for data files such as the DfE's SEN2 return: elements, their
/// text and their positions, one event at a time, without building a tree. It reads what data
/// exports contain (the XML declaration, comments, processing instructions, CDATA, attributes,
/// the five named entities and character references) and refuses what they never need and
/// hostile files use: a document type declaration (with its entity expansion) is an error.
/// Names keep their prefix off (`sen2:Person` is `Person`); the prefix is kept for the reader.
struct XMLScanner {
    enum Event {
        /// A start tag (`selfClosing`: `<Name/>`, which is followed by no end event).
        case start(name: String, attributes: [(name: String, value: String)], selfClosing: Bool, line: Int, column: Int)
        case end(name: String, line: Int, column: Int)
        /// Character data between tags, entities decoded; whitespace-only runs are not reported.
        case text(String, line: Int, column: Int)
    }

    struct Failure: Error {
        var line: Int
        var column: Int
        var message: String
    }

    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    /// The index of the first byte of the current line, for columns (counted in bytes, from 1).
    private var lineStart = 0
    /// Open elements, for checking that end tags match: name and where it was opened.
    private(set) var open: [(name: String, line: Int, column: Int)] = []
    private var sawRoot = false

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte-order mark is skipped.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3; lineStart = 3 }
    }

    private var column: Int { i - lineStart + 1 }

    private func fail(_ message: String, line: Int? = nil, column: Int? = nil) -> Failure {
        Failure(line: line ?? self.line, column: column ?? self.column, message: message)
    }

    /// Moves one byte on, counting lines.
    private mutating func step() {
        if bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
        i += 1
    }

    /// Whether the bytes at the current position start with `s`.
    private func at(_ s: [UInt8]) -> Bool {
        guard i + s.count <= bytes.count else { return false }
        var k = 0
        while k < s.count { if bytes[i + k] != s[k] { return false }; k += 1 }
        return true
    }

    private static let commentOpen = Array("<!--".utf8), commentClose = Array("-->".utf8)
    private static let instructionOpen = Array("<?".utf8), instructionClose = Array("?>".utf8)
    private static let cdataOpen = Array("<![CDATA[".utf8), cdataClose = Array("]]>".utf8)
    private static let declarationOpen = Array("<!".utf8), endTagOpen = Array("</".utf8)
    private static let emptyTagClose = Array("/>".utf8)

    /// Skips to just after `terminator`, or fails with `what` if the file ends first.
    private mutating func skip(past terminator: [UInt8], _ what: String, from start: (Int, Int)) throws(Failure) {
        while i < bytes.count {
            if at(terminator) {
                for _ in 0..<terminator.count { step() }
                return
            }
            step()
        }
        throw fail("the file ends inside \(what) begun here (is it truncated?)", line: start.0, column: start.1)
    }

    /// The next event, or nil at the end of a well-formed document.
    mutating func next() throws(Failure) -> Event? {
        while i < bytes.count {
            if bytes[i] != UInt8(ascii: "<") {
                if let text = try readText() { return text }
                continue
            }
            let start = (line, column)
            if at(Self.commentOpen) {
                try skip(past: Self.commentClose, "a comment", from: start)
            } else if at(Self.instructionOpen) {
                try skip(past: Self.instructionClose, "a processing instruction", from: start)
            } else if at(Self.cdataOpen) {
                guard !open.isEmpty else { throw fail("character data outside the root element") }
                for _ in 0..<9 { step() }
                let from = i
                try skip(past: Self.cdataClose, "a CDATA section", from: start)
                return .text(String(decoding: bytes[from..<(i - 3)], as: UTF8.self), line: start.0, column: start.1)
            } else if at(Self.declarationOpen) {
                throw fail("a document type declaration (<!DOCTYPE …>) is not read: data files do not need one, "
                           + "and its entities could expand without limit")
            } else if at(Self.endTagOpen) {
                return try readEndTag(start)
            } else {
                return try readStartTag(start)
            }
        }
        if let last = open.last {
            throw fail("the file ends inside <\(last.name)> opened at \(last.line):\(last.column) (is it truncated?)")
        }
        if !sawRoot { throw fail("no XML element in the file", line: 1, column: 1) }
        return nil
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"), 0x80...0xFF:
            return true
        default:
            return false
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    private mutating func skipSpace() { while i < bytes.count, Self.isSpace(bytes[i]) { step() } }

    /// A name, without its namespace prefix.
    private mutating func readName() throws(Failure) -> String {
        let from = i
        while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
        guard i > from else {
            if i >= bytes.count { throw fail("the file ends inside a tag (is it truncated?)") }
            throw fail("expected a name, found '\(String(decoding: [bytes[i]], as: UTF8.self))'")
        }
        var name = bytes[from..<i]
        if let colon = name.lastIndex(of: UInt8(ascii: ":")) { name = name[(colon + 1)...] }
        return String(decoding: name, as: UTF8.self)
    }

    private mutating func readStartTag(_ start: (Int, Int)) throws(Failure) -> Event {
        if open.isEmpty && sawRoot { throw fail("a second root element: an XML file has one") }
        i += 1
        let name = try readName()
        var attributes: [(name: String, value: String)] = []
        while true {
            skipSpace()
            guard i < bytes.count else {
                throw fail("the file ends inside the tag <\(name)> begun here (is it truncated?)",
                           line: start.0, column: start.1)
            }
            if bytes[i] == UInt8(ascii: ">") {
                i += 1
                open.append((name, start.0, start.1))
                sawRoot = true
                return .start(name: name, attributes: attributes, selfClosing: false, line: start.0, column: start.1)
            }
            if at(Self.emptyTagClose) {
                i += 2
                sawRoot = true
                return .start(name: name, attributes: attributes, selfClosing: true, line: start.0, column: start.1)
            }
            let attributeName = try readName()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else {
                throw fail("expected '=' after the attribute \(attributeName)")
            }
            i += 1
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else {
                throw fail("an attribute's value must be quoted")
            }
            let quote = bytes[i]
            i += 1
            let from = i
            while i < bytes.count, bytes[i] != quote { step() }
            guard i < bytes.count else {
                throw fail("the file ends inside an attribute's value", line: start.0, column: start.1)
            }
            let value = try decode(bytes[from..<i])
            i += 1
            attributes.append((attributeName, value))
        }
    }

    private mutating func readEndTag(_ start: (Int, Int)) throws(Failure) -> Event {
        i += 2
        let name = try readName()
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else {
            throw fail("the end tag </\(name)> is not closed with '>'", line: start.0, column: start.1)
        }
        i += 1
        guard let top = open.popLast() else {
            throw fail("</\(name)> closes no open element", line: start.0, column: start.1)
        }
        guard top.name == name else {
            throw fail("</\(name)> does not close <\(top.name)> opened at \(top.line):\(top.column)",
                       line: start.0, column: start.1)
        }
        return .end(name: name, line: start.0, column: start.1)
    }

    /// Character data up to the next tag; nil when it is only whitespace.
    private mutating func readText() throws(Failure) -> Event? {
        let start = (line, column)
        let from = i
        var blank = true
        while i < bytes.count, bytes[i] != UInt8(ascii: "<") {
            if blank && !Self.isSpace(bytes[i]) { blank = false }
            step()
        }
        if blank { return nil }
        guard !open.isEmpty else {
            throw fail(sawRoot ? "text after the root element" : "text before the root element: is this an XML file?",
                       line: start.0, column: start.1)
        }
        return .text(try decode(bytes[from..<i], line: start.0, column: start.1), line: start.0, column: start.1)
    }

    /// Text with entity and character references decoded.
    private func decode(_ slice: ArraySlice<UInt8>, line: Int? = nil, column: Int? = nil) throws(Failure) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var k = slice.startIndex
        while k < slice.endIndex {
            guard slice[k] == UInt8(ascii: "&") else { out.append(slice[k]); k += 1; continue }
            guard let semicolon = slice[k...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw fail("a bare '&' (write &amp;)", line: line, column: column)
            }
            let name = String(decoding: slice[(k + 1)..<semicolon], as: UTF8.self)
            switch name {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let scalar: UInt32?
                if name.hasPrefix("#x") { scalar = UInt32(name.dropFirst(2), radix: 16) } else if name.hasPrefix("#") {
                    scalar = UInt32(name.dropFirst())
                } else {
                    scalar = nil
                }
                guard let scalar, let u = Unicode.Scalar(scalar), scalar != 0 else {
                    throw fail("the reference &\(name); is not one XML defines", line: line, column: column)
                }
                out += Array(String(Character(u)).utf8)
            }
            k = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
