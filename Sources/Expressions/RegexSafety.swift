/// Finds patterns that ICU's backtracking matcher can take exponential time on, so that a rule
/// file using one is refused when it is validated rather than hanging a run.
///
/// The test is the usual conservative one: a group repeated more than once (`*`, `+`, `{n,}`,
/// `{n,m}` with m > 1) must not itself contain a repetition (`(a+)+`, `(\w+\s?)*`), nor an
/// alternation whose branches could start with the same character (`(a|aa)+`, `(\w|-)+`).
/// Alternatives that each begin with a different literal character (`(red|green)+`) choose one
/// way at each step and are allowed, as are atomic groups and possessive quantifiers, which never
/// backtrack into themselves. Time is still bounded at run time (see `Regex`), for patterns that
/// reach `matches` from data.
public enum RegexSafety {
    public struct Problem: Error, Sendable, Equatable {
        /// 0-based character offset in the pattern of the repeated group.
        public var offset: Int
        public var message: String
    }

    /// The first construct that can backtrack catastrophically, or nil.
    public static func problem(in pattern: String) -> Problem? {
        var scanner = Scanner(Array(pattern))
        return scanner.sequence(depth: 0).problem
    }

    private struct Summary {
        /// Contains a quantifier that can repeat more than once.
        var repeats = false
        /// Contains an alternation whose branches may start alike.
        var ambiguousAlternation = false
        var problem: Problem?
        /// What the sequence can start with: a literal character (lower-cased), or nil for
        /// anything else (classes, escapes, groups whose start is not one known character).
        var first: Character??
    }

    private struct Scanner {
        let chars: [Character]
        var index = 0

        init(_ chars: [Character]) { self.chars = chars }

        var atEnd: Bool { index >= chars.count }

        /// Alternatives up to the closing ')' of the current group (or the end).
        mutating func sequence(depth: Int) -> Summary {
            var branches: [Summary] = []
            var current = Summary()
            var startedBranch = false
            while !atEnd {
                let c = chars[index]
                if c == ")" && depth > 0 { break }
                if c == "|" {
                    index += 1
                    branches.append(current)
                    current = Summary()
                    startedBranch = false
                    continue
                }
                let atomStart = index
                var atom = self.atom(depth: depth)
                if atom.problem != nil { return atom.summary }
                let (maxMoreThanOne, optional, possessive) = quantifier()
                if optional, atom.summary.first != nil { atom.summary.first = .some(nil) }
                if maxMoreThanOne {
                    if !possessive, atom.isGroup, atom.summary.repeats || atom.summary.ambiguousAlternation {
                        let what = atom.summary.repeats ? "a repetition inside a repeated group"
                            : "an alternation whose branches can match the same text inside a repeated group"
                        return Summary(problem: Problem(offset: atomStart, message: what))
                    }
                    atom.summary.repeats = true
                }
                current.repeats = current.repeats || atom.summary.repeats
                current.ambiguousAlternation = current.ambiguousAlternation || atom.summary.ambiguousAlternation
                // Zero-width atoms (anchors, flags) leave the branch's first character to what follows.
                if !startedBranch, let first = atom.summary.first {
                    current.first = first
                    startedBranch = true
                }
            }
            if !startedBranch { current.first = .some(nil) }
            branches.append(current)
            var merged = Summary()
            for b in branches {
                merged.repeats = merged.repeats || b.repeats
                merged.ambiguousAlternation = merged.ambiguousAlternation || b.ambiguousAlternation
            }
            if branches.count > 1 {
                let firsts = branches.map { $0.first ?? nil }
                let literal = firsts.compactMap { $0 }
                if literal.count < firsts.count || Set(literal).count < literal.count {
                    merged.ambiguousAlternation = true
                }
                merged.first = .some(nil)
            } else {
                merged.first = branches[0].first
            }
            return merged
        }

        struct Atom {
            var summary = Summary()
            var isGroup = false
            var problem: Problem? { summary.problem }
        }

        mutating func atom(depth: Int) -> Atom {
            let c = chars[index]
            index += 1
            switch c {
            case "\\":
                guard !atEnd else { return Atom(summary: Summary(first: .some(nil))) }
                let e = chars[index]
                index += 1
                if e == "Q" {
                    // \Q…\E quotes literally.
                    let start = index
                    while index + 1 < chars.count, !(chars[index] == "\\" && chars[index + 1] == "E") { index += 1 }
                    let quoted = start < chars.count && start < index
                    let first: Character? = quoted ? Character(chars[start].lowercased()) : nil
                    index = min(chars.count, index + 2)
                    return Atom(summary: Summary(first: .some(first)))
                }
                if e == "p" || e == "P" || e == "x" || e == "N", !atEnd, chars[index] == "{" {
                    while !atEnd, chars[index] != "}" { index += 1 }
                    index += 1
                }
                // An escaped punctuation mark is that character; letters are classes or codes.
                let literal: Character? = e.isLetter || e.isNumber ? nil : e
                return Atom(summary: Summary(first: .some(literal)))
            case "[":
                skipClass()
                return Atom(summary: Summary(first: .some(nil)))
            case "(":
                var atomic = false
                var lookaround = false
                if !atEnd, chars[index] == "?" {
                    index += 1
                    if !atEnd {
                        switch chars[index] {
                        case ">": atomic = true; index += 1
                        case "=", "!": lookaround = true; index += 1
                        case ":": index += 1
                        case "<":
                            index += 1
                            if !atEnd, chars[index] == "=" || chars[index] == "!" {
                                lookaround = true
                                index += 1
                            } else {
                                while !atEnd, chars[index] != ">" { index += 1 }
                                index += 1
                            }
                        default:
                            // Flags: (?i) alone, or (?i:…) scoped.
                            while !atEnd, chars[index] != ")" && chars[index] != ":" { index += 1 }
                            if !atEnd, chars[index] == ")" {
                                index += 1
                                return Atom(summary: Summary(first: nil))
                            }
                            index += 1
                        }
                    }
                }
                var inner = sequence(depth: depth + 1)
                if !atEnd { index += 1 }        // ')'
                if inner.problem != nil { return Atom(summary: inner) }
                if atomic {
                    inner.repeats = false
                    inner.ambiguousAlternation = false
                }
                if lookaround { inner.first = .some(nil) }
                return Atom(summary: inner, isGroup: !lookaround)
            case "^", "$":
                return Atom(summary: Summary(first: nil))
            case ".":
                return Atom(summary: Summary(first: .some(nil)))
            default:
                return Atom(summary: Summary(first: .some(Character(c.lowercased()))))
            }
        }

        /// Skips `[…]`, nested sets and escapes included.
        mutating func skipClass() {
            var level = 1
            if !atEnd, chars[index] == "^" { index += 1 }
            if !atEnd, chars[index] == "]" { index += 1 }
            while !atEnd, level > 0 {
                switch chars[index] {
                case "\\": index += 1
                case "[": level += 1
                case "]": level -= 1
                default: break
                }
                index += 1
            }
        }

        /// Reads a quantifier after an atom: whether it may repeat more than once, whether it may
        /// match nothing, and whether it is possessive (`*+`, which never gives back what it matched).
        mutating func quantifier() -> (repeats: Bool, optional: Bool, possessive: Bool) {
            guard !atEnd else { return (false, false, false) }
            var repeats = false, optional = false
            switch chars[index] {
            case "*":
                repeats = true
                optional = true
                index += 1
            case "+":
                repeats = true
                index += 1
            case "?":
                optional = true
                index += 1
            case "{":
                var end = index + 1
                var text = ""
                while end < chars.count, chars[end] != "}" { text.append(chars[end]); end += 1 }
                let parts = text.split(separator: ",", omittingEmptySubsequences: false)
                guard end < chars.count, (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isNumber) }),
                      !parts[0].isEmpty else { return (false, false, false) }
                index = end + 1
                optional = Int(parts[0]) == 0
                if parts.count == 2 {
                    repeats = parts[1].isEmpty || (Int(parts[1]) ?? 2) > 1
                } else {
                    repeats = (Int(parts[0]) ?? 2) > 1
                }
            default:
                return (false, false, false)
            }
            var possessive = false
            if !atEnd, chars[index] == "?" {
                index += 1
            } else if !atEnd, chars[index] == "+" {
                possessive = true
                index += 1
            }
            return (repeats, optional, possessive)
        }
    }
}
