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

    /// Splits an owner cell into owners (see `splitTagged`), without their organisations.
    public func split(_ cell: String) -> [String] {
        splitTagged(cell).map(\.name)
    }

    /// Splits an owner cell on `&`, `/`, `,`, `;`, ` and ` and line breaks — but not inside
    /// brackets (roles such as "(Headteacher, Cromwell Specialist School)"), not inside a
    /// directory name such as "Health & Social Care Partnership", and not inside one job title
    /// ("Head of Service: Early Help and Family Support", "Lead for A & B": a title followed by
    /// words that name no role). Titles run together are split where a new title starts
    /// ("Programme Lead for SEND Head of Service: Inclusion"). A bracketed role after a person's
    /// name is dropped (`Charlotte Finch (Head of SEND)` → `Charlotte Finch`); a mark that tells
    /// two holders of one title apart ("(A)"), or a bracket qualifying a title, stays. A
    /// square-bracketed supporting lead becomes an owner of its own. Organisation labels ("LA:",
    /// "ICB:") tag the owners after them.
    public func splitTagged(_ cell: String) -> [(name: String, organisation: String?)] {
        var out: [(name: String, organisation: String?)] = []
        for (organisation, segment) in OwnerTitles.organisationSegments(cell) {
            for name in splitSegment(segment) where !out.contains(where: { $0.name == name }) {
                out.append((name, organisation))
            }
        }
        return out
    }

    private func splitSegment(_ cell: String) -> [String] {
        var text = cell
        // Protect directory names that contain delimiters.
        var protected: [String: String] = [:]
        for e in entries {
            for name in [e.name] + e.aliases
            where name.contains(where: { "&/,;:".contains($0) }) || name.lowercased().contains(" and ") {
                if let range = text.range(of: name, options: .caseInsensitive) {
                    let token = "\u{E000}\(protected.count)\u{E001}"
                    protected[token] = e.name
                    text.replaceSubrange(range, with: token)
                }
            }
        }
        // Pieces with the delimiter that ended them: ";" and line breaks always part owners,
        // the others only when the words after them are not the rest of a title.
        var pieces: [(text: String, hard: Bool, mark: String)] = []
        var current = ""
        var depth = 0
        let chars = Array(text)
        var i = 0
        func flush(hard: Bool, _ mark: String = "") {
            pieces.append((current, hard, mark))
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
            case "[", "]":
                flush(hard: true)      // a supporting lead in square brackets is an owner of its own
            case ";", "\n":
                if depth == 0 { flush(hard: true) } else { current.append(c) }
            case "&", "/", ",":
                if depth == 0 {
                    flush(hard: false, c == "," ? ", " : c == "/" ? "/" : " & ")
                } else {
                    current.append(c)
                }
            default:
                if depth == 0, c == " ", i + 4 < chars.count, String(chars[(i + 1)...(i + 4)]).lowercased() == "and " {
                    flush(hard: false, " " + String(chars[(i + 1)...(i + 3)]) + " ")
                    i += 4
                } else {
                    current.append(c)
                }
            }
            i += 1
        }
        flush(hard: true)
        // Join a piece back onto the title before it: "Head of Service: Early Help" + "Family Support".
        var joined: [String] = []
        var lastHard = true
        for (index, piece) in pieces.enumerated() {
            let words = piece.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            defer { lastHard = piece.hard }
            guard !words.isEmpty else { continue }
            if index > 0, !lastHard, let previous = joined.last, OwnerTitles.isTitle(previous),
               !OwnerTitles.namesARole(words), canonical(words) == nil {
                joined[joined.count - 1] = previous + pieces[index - 1].mark + words
            } else {
                joined.append(words)
            }
        }
        return joined.flatMap(OwnerTitles.splitRunTogether).compactMap { piece -> String? in
            var p = piece
            for (token, name) in protected { p = p.replacingOccurrences(of: token, with: name) }
            p = OwnerTitles.withoutPersonsRole(p)
            let name = p.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return name.isEmpty ? nil : name
        }
    }
}

/// Owners written as job titles: which words name a role, where one title ends and the next
/// begins, and organisation labels in front of them.
enum OwnerTitles {
    /// Words that make a phrase a role (or a body that owns actions), wherever they stand in it.
    static let roleWords: Set<String> = [
        "head", "director", "ad", "dcs", "lead", "leads", "manager", "officer", "co-ordinator", "coordinator",
        "commissioner", "principal", "principle", "headteacher", "senco", "chair", "chief", "consultant",
        "psychologist", "adviser", "advisor", "specialist", "practitioner", "therapist", "nurse", "paediatrician",
        "clinician", "dco", "dmo", "dsco", "ceo", "executive", "team", "board", "group", "forum", "sponsor", "owner",
    ]
    /// Phrases that start a title, where two titles run together with no delimiter.
    static let titleStarts = ["head of", "director of", "director for", "assistant director", "deputy director",
                              "strategic director", "executive director", "deputy head", "lead for", "principal"]
    /// Words that leave a phrase unfinished: a title cannot end on them.
    static let connectors: Set<String> = ["of", "for", "and", "&", "the", "to", "-", "–", ":", "in", "with"]

    static func words(_ s: String) -> [String] {
        withoutBrackets(s).lowercased().split { $0 == " " || $0 == "/" || $0 == "," }.map(String.init)
    }

    static func withoutBrackets(_ s: String) -> String {
        s.replacingOccurrences(of: #"\([^)]*\)?"#, with: " ", options: .regularExpression)
    }

    /// Whether a phrase (outside its brackets) names a role: "Head of SEND", "ICB lead", "AD Education".
    static func namesARole(_ s: String) -> Bool {
        words(s).contains { roleWords.contains($0.trimmingCharacters(in: .punctuationCharacters)) }
    }

    /// A title the words after a delimiter may continue: it names a role and does not end on a connector.
    static func isTitle(_ s: String) -> Bool {
        namesARole(s) && !(words(s).last.map(connectors.contains) ?? true)
    }

    /// "Programme Lead for SEND Head of Service: Inclusion" → two titles: split before a phrase
    /// that starts a title when the words before it already form one.
    static func splitRunTogether(_ s: String) -> [String] {
        let lower = s.lowercased()
        for start in titleStarts {
            var search = lower.startIndex
            while let r = lower.range(of: " " + start + " ", range: search..<lower.endIndex) {
                search = r.upperBound
                let cut = s.index(s.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: r.lowerBound))
                let before = String(s[..<cut])
                // Inside brackets the words describe a person's role; leave them.
                guard before.filter({ $0 == "(" }).count == before.filter({ $0 == ")" }).count,
                      isTitle(before), !before.hasSuffix(":") else { continue }
                let after = String(s[s.index(after: cut)...])
                return [before] + splitRunTogether(after)
            }
        }
        return [s]
    }

    /// Drops a bracketed role after a person's name ("Charlotte Finch (Head of SEND)"), and
    /// brackets left unbalanced by the export ("Karen Kromilicki DCO)"); keeps marks such as
    /// "(A)" and brackets that qualify a title ("CYP Commissioner (health)").
    static func withoutPersonsRole(_ s: String) -> String {
        var p = s
        if let open = p.firstIndex(of: "("), !p[..<open].allSatisfy(\.isWhitespace) {
            let inside = p[p.index(after: open)...].prefix { $0 != ")" }
            // "(A)", "(B)", "(2)": tells two holders of the same title apart.
            let isMark = inside.count == 1 && inside.allSatisfy(\.isLetter)
                || !inside.isEmpty && inside.allSatisfy(\.isNumber)
            let closed = p[open...].contains(")")
            if !(closed && (isMark || namesARole(String(p[..<open])))) {
                p = String(p[..<open])
            }
        }
        if p.filter({ $0 == "(" }).count != p.filter({ $0 == ")" }).count { p.removeAll { $0 == "(" || $0 == ")" } }
        return p
    }

    /// The cell cut at organisation labels ("LA: Head of X ICB: Director of Y"): each part with
    /// the organisation it is under. A label is a short capitalised code and a colon, at the start
    /// or after a finished name — "Head of SEND: Inclusion" is one title, not an organisation.
    static func organisationSegments(_ cell: String) -> [(String?, String)] {
        let pattern = try! NSRegularExpression(pattern: #"(?<![\p{L}\p{N}])([A-Z][A-Za-z]{0,1}[A-Z]{1,5}):(?=\s|$)"#)
        let ns = cell as NSString
        var cuts: [(range: NSRange, org: String)] = []
        for m in pattern.matches(in: cell, range: NSRange(location: 0, length: ns.length)) {
            let before = ns.substring(to: m.range.location).trimmingCharacters(in: .whitespaces)
            let lastWord = before.split(separator: " ").last.map { $0.lowercased() } ?? ""
            guard before.isEmpty || !connectors.contains(lastWord) && !lastWord.hasSuffix(":") else { continue }
            cuts.append((m.range, ns.substring(with: m.range(at: 1))))
        }
        guard !cuts.isEmpty else { return [(nil, cell)] }
        var out: [(String?, String)] = []
        let lead = ns.substring(to: cuts[0].range.location)
        if !lead.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out.append((nil, lead)) }
        for (n, cut) in cuts.enumerated() {
            let start = cut.range.location + cut.range.length
            let end = n + 1 < cuts.count ? cuts[n + 1].range.location : ns.length
            out.append((cut.org, ns.substring(with: NSRange(location: start, length: end - start))))
        }
        return out
    }
}

extension OwnerTitles {
    /// Splits an owner at owners the same plan names on their own ("JCH TSOSS EPS service" →
    /// "JCH", "TSOSS EPS service" when "JCH" owns another action), when what is left is itself an
    /// owner: a known one, a role or a code such as "TOD".
    /// "TOD", "EPS", "P16": an owner written as a code.
    static func isCode(_ w: Substring) -> Bool { w.count >= 2 && w.allSatisfy { $0.isUppercase || $0.isNumber } }

    static func splitAtKnown(_ name: String, _ known: Set<String>) -> [String] {
        func isOwner(_ s: String) -> Bool {
            known.contains(s) || namesARole(s)
                || s.split(separator: " ").first.map(isCode) ?? false
        }
        let longestFirst = known.sorted { $0.count > $1.count || $0.count == $1.count && $0 < $1 }
        for k in longestFirst where k != name && k.count >= 2 {
            if name.hasPrefix(k + " ") {
                let rest = String(name.dropFirst(k.count + 1))
                // "Karen Kromilicki DCO": a person's role after the name, not a second owner.
                if isOwner(rest), !(isPersonName(k) && !rest.contains(" ")) { return [k] + splitAtKnown(rest, known) }
            }
            if name.hasSuffix(" " + k) {
                let rest = String(name.dropLast(k.count + 1))
                if isOwner(rest) { return splitAtKnown(rest, known) + [k] }
            }
        }
        return [name]
    }

    /// Groups of names that may be one person written two ways ("Steve Larking", "Steven Larking";
    /// "Karen Kromolicki", "Karen Kromilicki"): people's names only, never titles, with the same
    /// surname and a first name that starts the other, or one name a letter or two apart.
    static func similarNames(_ names: [String]) -> [[String]] {
        let people = Array(Set(names.filter(isPersonName))).sorted()
        var parent = Array(people.indices)
        func root(_ i: Int) -> Int { parent[i] == i ? i : root(parent[i]) }
        for i in people.indices {
            for j in people.indices where j > i && alike(people[i], people[j]) {
                parent[root(j)] = root(i)
            }
        }
        var groups: [Int: [String]] = [:]
        for i in people.indices { groups[root(i), default: []].append(people[i]) }
        return groups.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }

    static func isPersonName(_ s: String) -> Bool {
        let words = s.split(separator: " ")
        guard (2...4).contains(words.count), !namesARole(s) else { return false }
        return words.allSatisfy { w in
            guard let f = w.first, f.isUppercase, w.count >= 2 else { return false }
            return w.dropFirst().allSatisfy { c in
                c.isLowercase || c == "-" || c == "'" || c == "’" || c.isUppercase && w.contains("-")
            }
                && w.dropFirst().contains(where: \.isLowercase)
        }
    }

    private static func alike(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: " ").map(String.init), y = b.split(separator: " ").map(String.init)
        guard let fx = x.first, let fy = y.first, let lx = x.last, let ly = y.last else { return false }
        if lx == ly, fx != fy, fx.hasPrefix(fy) || fy.hasPrefix(fx) { return true }
        if lx == ly, fx.count >= 5, distance(fx, fy) <= 1 { return true }
        if fx == fy, lx.count >= 5, lx != ly, distance(lx, ly) <= 2 { return true }
        return false
    }

    /// Edit distance (insertions, deletions, substitutions).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
