/// One key a rule may have. `RuleKey.all` is the one list of them: the loader accepts these
/// keys and no other, reports a rule missing a required one, and `rules doc --keys` prints the
/// table in docs/rules.md from it (a test keeps that table true).
public struct RuleKey: Sendable {
    public let name: String
    public let required: Bool
    /// What the key holds, in Markdown, as docs/rules.md's table shows it.
    public let meaning: String

    init(_ name: String, required: Bool = false, _ meaning: String) {
        self.name = name
        self.required = required
        self.meaning = meaning
    }

    public static let all: [RuleKey] = [
        RuleKey("id", required: true,
                "unique within a file; a file that extends another replaces the rule with the same id"),
        RuleKey("title", required: true, "one line, shown in listings and reports"),
        RuleKey("applies-to", "the collection (`actions` by default)"),
        RuleKey("when", required: true, "an expression giving `bool`: the rule fires when it is true"),
        RuleKey("severity",
                "`off`, `info`, `warning`, `error` (default) or `critical`; or a list of `{when, level}` grades. The "
                + "first grade whose `when` is true (a grade without `when` always is) gives the level; if none "
                + "matches, the rule does not fire. `off` disables a rule, e.g. in a file that extends a pack"),
        RuleKey("message", required: true,
                "text with `{expression}` holes; `{{` and `}}` are literal braces. Values read naturally: dates as "
                + "`YYYY-MM-DD`, lists joined with `, `, null as `none`"),
        RuleKey("priority", "an `int` expression, clamped to 0–49,999, ordering findings within a severity"),
        RuleKey("escalate-to",
                "a list of escalation steps (`owner`, `lead`, `board`, …), shown with each finding"),
        RuleKey("statutory", "`true` for legal deadlines: they sort first within a severity"),
        RuleKey("rationale", "why the rule exists"),
        RuleKey("cite", "what it rests on (a statute, guidance, a board decision)"),
        RuleKey("needs",
                "fields the rule needs the plan to have, e.g. `[success]`; `a or b` for alternatives. When every "
                + "record leaves one blank, the rule is not applicable: its findings are withdrawn and one "
                + "plan-level finding says so (below)"),
        RuleKey("covered-by",
                "rules whose finding on the same record covers this one's, e.g. `[overdue-action]`: this rule's "
                + "finding is then folded into that one as a note (\"… (92 days overdue); also is rated \"On track\"\"), "
                + "leaving out what that one already says, not listed twice"),
        RuleKey("group-by",
                "one finding per subject instead of per record: a `list(string)` expression giving a record's "
                + "subjects (e.g. its overloaded owners); the rule's findings become one per subject, at its first "
                + "record and at the highest level any had, worded by `group-message`"),
        RuleKey("group-message",
                "with `group-by`, what one finding per subject says; it reads `subject`, `refs` (its records), "
                + "`count` and `params`: `\"{subject} holds {count} open action{count == 1 ? '' : 's'}: {refs}\"`"),
        RuleKey("examples",
                "records with an as-of date and the expected outcome, run by `stocktake rules test` (which counts a "
                + "rule without at least one example that fires and one that does not as a failure)"),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The Markdown table of docs/rules.md.
    public static var markdownTable: String {
        "| rule key | required | meaning |\n|---|---|---|\n"
            + all.map { "| `\($0.name)` | \($0.required ? "yes" : "no") | \($0.meaning) |\n" }.joined()
    }
}
