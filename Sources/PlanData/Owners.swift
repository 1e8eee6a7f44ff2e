import Foundation
import YAML

/// One person, team or board in the owner directory (`--owners owners.yaml`).
public struct OwnerEntry: Sendable, Equatable {
    public var name: String
    public var aliases: [String]
    public var email: String?
    public var role: String?
    public var escalatesTo: String?
}

/// Resolves owners as plans write them ("Steve", "Steven Larking", "SL", "Head of SEND") to
/// canonical names, and splits cells that name several owners.
public struct OwnerDirectory: Sendable {
    public private(set) var entries: [OwnerEntry] = []
    private var lookup: [String: String] = [:]

    public init(entries: [OwnerEntry] = []) {
        for e in entries { add(e) }
    }

    public mutating func add(_ entry: OwnerEntry) {
        entries.append(entry)
        for word in [entry.name] + entry.aliases + [entry.role].compactMap({ $0 }) {
            lookup[Self.key(word)] = entry.name
        }
    }

    public func canonical(_ name: String) -> String? {
        guard !lookup.isEmpty else { return nil }      // no directory: skip normalising the name
        return lookup[Self.key(name)]
    }

    public func entry(named name: String) -> OwnerEntry? { entries.first { $0.name == name } }

    static func key(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: " ")
    }

    /// Reads `owners.yaml`: a list of {name, aliases, email, role, escalates-to}.
    public static func load(path: String) throws -> OwnerDirectory {
        let root = try PlanLoader.readYAMLDocument(path, expecting: "a list of owners")
        guard let items = root.sequence ?? root["owners"]?.sequence else {
            throw PlanError(file: path, line: root.mark.line, column: root.mark.column, "the owner directory must be a list of entries with 'name'")
        }
        var directory = OwnerDirectory()
        let allowed = ["name", "aliases", "email", "role", "escalates-to"]
        // Each normalised name, alias or role, with the entry it names and where it was written.
        var named: [String: (entry: String, word: String, line: Int)] = [:]
        for item in items {
            guard let pairs = item.mapping else {
                throw PlanError(file: path, line: item.mark.line, column: item.mark.column, "each owner must be a mapping with 'name'")
            }
            for p in pairs where !allowed.contains(p.key.scalar ?? "") {
                throw PlanError(file: path, line: p.key.mark.line, column: p.key.mark.column,
                                "unknown key '\(p.key.scalar ?? "")'" + hint(p.key.scalar ?? "", allowed))
            }
            guard let name = item["name"]?.scalar, !name.isEmpty else {
                throw PlanError(file: path, line: item.mark.line, column: item.mark.column, "owner entry without a 'name'")
            }
            let aliases = (item["aliases"]?.sequence ?? []).compactMap(\.scalar)
            // An address is one recipient: anything else could add recipients to every message.
            if let node = item["email"], let email = node.scalar, let problem = EmailAddress.problem(email) {
                throw PlanError(file: path, line: node.mark.line, column: node.mark.column,
                                "'\(email)' is not one email address: \(problem)")
            }
            // Names, aliases and roles are matched with case and punctuation ignored: two entries
            // that read the same that way would be merged without a word, so they are an error.
            let words = [item["name"]] + (item["aliases"]?.sequence ?? []) + [item["role"]]
            for node in words.compactMap({ $0 }) {
                guard let word = node.scalar else { continue }
                let key = Self.key(word)
                guard !key.isEmpty else { continue }
                if let earlier = named[key], earlier.entry != name {
                    throw PlanError(file: path, line: node.mark.line, column: node.mark.column,
                                    "'\(word)' (entry '\(name)') reads as '\(earlier.word)' (entry '\(earlier.entry)', line "
                                    + "\(earlier.line)) once case and punctuation are ignored; merge the two entries or tell them apart")
                }
                named[key] = named[key] ?? (name, word, node.mark.line)
            }
            directory.add(OwnerEntry(name: name, aliases: aliases, email: item["email"]?.scalar, role: item["role"]?.scalar,
                                     escalatesTo: item["escalates-to"]?.scalar))
        }
        for e in directory.entries {
            if let target = e.escalatesTo, directory.entry(named: target) == nil {
                throw PlanError(file: path, "'\(e.name)' escalates to '\(target)', which is not an entry's name")
            }
        }
        return directory
    }

    private static func hint(_ word: String, _ among: [String]) -> String {
        let close = among.first { $0.hasPrefix(String(word.prefix(3))) }
        return close.map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Splits an owner cell on `&`, `/`, `,`, `;`, ` and ` and line breaks — but not inside
    /// brackets (roles such as "(Headteacher, Cromwell Specialist School)") and not inside a
    /// directory name such as "Health & Social Care Partnership". A bracketed role is dropped
    /// from the name; a square-bracketed supporting lead becomes an owner of its own.
    public func split(_ cell: String) -> [String] {
        var text = cell
        // Protect directory names that contain delimiters.
        var protected: [String: String] = [:]
        for e in entries {
            for name in [e.name] + e.aliases where name.contains(where: { "&/,;".contains($0) }) || name.lowercased().contains(" and ") {
                if let range = text.range(of: name, options: .caseInsensitive) {
                    let token = "\u{E000}\(protected.count)\u{E001}"
                    protected[token] = e.name
                    text.replaceSubrange(range, with: token)
                }
            }
        }
        var pieces: [String] = []
        var current = ""
        var depth = 0
        let chars = Array(text)
        var i = 0
        func flush() {
            pieces.append(current)
            current = ""
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "(":
                depth += 1
                current.append(c)
            case ")":
                depth = max(0, depth - 1)
                current.append(c)
            case "[":
                flush()      // a supporting lead in square brackets is an owner of its own
            case "]":
                flush()
            case "&", "/", ",", ";", "\n":
                if depth == 0 { flush() } else { current.append(c) }
            default:
                if depth == 0, c == " ", i + 4 < chars.count, String(chars[(i + 1)...(i + 4)]).lowercased() == "and " {
                    flush()
                    i += 4
                } else {
                    current.append(c)
                }
            }
            i += 1
        }
        flush()
        return pieces.compactMap { piece -> String? in
            var p = piece
            for (token, name) in protected { p = p.replacingOccurrences(of: token, with: name) }
            // Drop a bracketed role ("Charlotte Finch (Head of SEND)"), and brackets left
            // unbalanced by the export ("Karen Kromilicki DCO)").
            if let open = p.firstIndex(of: "("), !p[..<open].allSatisfy(\.isWhitespace) { p = String(p[..<open]) }
            p.removeAll { $0 == "(" || $0 == ")" }
            let name = p.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return name.isEmpty ? nil : name
        }
    }
}
