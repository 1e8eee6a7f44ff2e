import Foundation
import Expressions
import YAML

/// A status legend: the words a plan rates its actions in, and the states they mean. The shipped
/// ones are built in (copies of `rules/statuses/*.yaml`, which a test keeps equal), so that a
/// rule set that pins none gets the one that fits each plan, wherever stocktake runs.
public struct Legend: Sendable {
    public var name: String
    /// Where it was read from (a shipped legend's repository path).
    public var path: String
    /// The file's bytes for a shipped legend; nil to read `path`.
    public var data: [UInt8]?

    /// In the order ties are broken: the first that covers the most ratings wins.
    public static let shipped: [Legend] = [
        Legend(name: "five-status", path: "statuses/five-status.yaml", data: Array(#"""
# The five-status legend of local-area improvement plans (Oldham's PAP key, Tameside's 2025 plan,
# among others):
#   Not yet started · On track · Vulnerable · At risk · Complete
# Vulnerable and At risk require escalation; At risk requires a plan to mitigate risks;
# Complete means the action is finished and its intended impact is evident.
# Chosen for a plan rated in these words when the rule set pins no legend; pin it with
#   extends: [statuses/five-status.yaml]   or force it with  --statuses five-status
legend: five-status
statuses:
  not-started: ["Not yet started", "Not started"]
  on-track: ["On track", "On-track"]
  vulnerable: ["Vulnerable"]
  at-risk: ["At risk", "At-risk", "Delayed"]
  complete: ["Complete", "Completed", "Closed"]

"""#.utf8)),
        Legend(name: "rag", path: "statuses/rag.yaml", data: Array(#"""
# RAG ratings: Red, Amber, Green (and Complete, as RAG plans often add it).
#   Red = at risk or delayed; Amber = some risk to delivery; Green = on track.
# Chosen for a plan rated in these words when the rule set pins no legend (before BRAG, whose
# Green means complete: a plan that also uses Blue is BRAG); pin it with
#   extends: [statuses/rag.yaml]   or force it with  --statuses rag
legend: rag
statuses:
  at-risk: ["Red", "R"]
  vulnerable: ["Amber", "A", "Amber/Red", "Red/Amber"]
  on-track: ["Green", "G", "Amber/Green", "Green/Amber"]
  complete: ["Complete", "Completed", "Closed"]

"""#.utf8)),
        Legend(name: "brag", path: "statuses/brag.yaml", data: Array(#"""
# BRAG ratings: Blue, Red, Amber, Green (Oxfordshire's PAP key, among others).
#   Red = delayed or not progressing; Amber = on track; Green = complete with early impact;
#   Blue = complete and embedded.
# Chosen for a plan rated in these words when the rule set pins no legend; pin it with
#   extends: [statuses/brag.yaml]   or force it with  --statuses brag
legend: brag
statuses:
  at-risk: ["Red", "R"]
  on-track: ["Amber", "A"]
  complete: ["Green", "G", "Blue", "B"]

"""#.utf8)),
        Legend(name: "phrases", path: "statuses/phrases.yaml", data: Array(#"""
# Phrase ratings, as some plans write their RAG column in words:
#   "Not yet started; no risk anticipated" (grey), "On track" (green),
#   "Complete but need to evidence impact" (amber E), "Complete", "Delayed" (red).
# "Complete but need to evidence impact" is complete (never overdue) with its impact still to
# evidence: `complete-without-evidence` reports it, `overdue-action` does not.
# Chosen for a plan rated in these words when the rule set pins no legend; pin it with
#   extends: [statuses/phrases.yaml]   or force it with  --statuses phrases
legend: phrases
statuses:
  not-started: ["Not yet started; no risk anticipated", "Not yet started", "Grey"]
  on-track: ["On track"]
  complete-unevidenced: ["Complete but need to evidence impact", "Complete but needs to evidence impact", "Amber E"]
  complete: ["Complete"]
  at-risk: ["Delayed"]

"""#.utf8)),
    ]

    /// A shipped legend by name, or a legend file by path (`--statuses NAME|FILE`).
    public static func named(_ nameOrPath: String) -> Legend? {
        if let l = shipped.first(where: { $0.name == nameOrPath }) { return l }
        guard FileManager.default.fileExists(atPath: nameOrPath) else { return nil }
        return Legend(name: URL(fileURLWithPath: nameOrPath).deletingPathExtension().lastPathComponent, path: nameOrPath, data: nil)
    }

    /// The words of this legend (its `statuses:`), read as a vocabulary.
    public func vocabulary() -> StatusVocabulary {
        var vocabulary = StatusVocabulary()
        let bytes = data ?? FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
        guard let root = try? YAMLParser.parse(bytes), let statuses = root["statuses"]?.mapping else { return vocabulary }
        for pair in statuses {
            guard let state = pair.key.scalar else { continue }
            try? vocabulary.add(state: state, words: (pair.value.sequence ?? [pair.value]).compactMap(\.scalar))
        }
        return vocabulary
    }

    /// How a legend was chosen, for report heads: "phrases (detected: 186 of 186 ratings)".
    public struct Choice: Sendable {
        public var legend: Legend
        /// Ratings (non-blank status values) the chosen legend knows, of all in the plan.
        public var covered: Int
        public var total: Int
        public var detected: Bool

        public var description: String {
            let how = detected ? "detected" : "chosen with --statuses"
            if total == 0 { return "\(legend.name) (\(how); the plan rates no action)" }
            return "\(legend.name) (\(how): knows \(covered) of \(total) rating\(total == 1 ? "" : "s"))"
        }
    }

    /// The shipped legend that knows the most of the plan's ratings (`counts`: each status text
    /// with its number of records), given the words the rule set itself adds (`extra`).
    public static func choose(for counts: [String: Int], extra: StatusVocabulary) -> Choice {
        let total = counts.values.reduce(0, +)
        var best: Choice?
        for legend in shipped {
            let words = legend.vocabulary()
            let covered = counts.filter { words.state(of: $0.key) != nil || extra.state(of: $0.key) != nil }.values.reduce(0, +)
            if best == nil || covered > best!.covered { best = Choice(legend: legend, covered: covered, total: total, detected: true) }
        }
        return best!
    }

    /// How many of the ratings `legend` (with the rule set's own words) knows.
    public static func coverage(of legend: Legend, for counts: [String: Int], extra: StatusVocabulary) -> Choice {
        let words = legend.vocabulary()
        let covered = counts.filter { words.state(of: $0.key) != nil || extra.state(of: $0.key) != nil }.values.reduce(0, +)
        return Choice(legend: legend, covered: covered, total: counts.values.reduce(0, +), detected: false)
    }
}
