import Testing
import Expressions
@testable import Timescales

struct Case: Sendable, CustomStringConvertible {
    var text: String
    var original: String?
    var revisions: [String] = []
    var effective: String?
    var recurrence: String?
    var remainder: String?
    var kind: Timescale.Kind = .dated
    var description: String { text }
}

let parser = TimescaleParser()

@Suite struct TimescaleParserTests {
    @Test(arguments: [
        // Month-year in every spelling (a month means its last day).
        Case(text: "Sep-23", original: "2023-09-30", effective: "2023-09-30"),
        Case(text: "Feb-24", original: "2024-02-29", effective: "2024-02-29"),
        Case(text: "Sept 2026", original: "2026-09-30", effective: "2026-09-30"),
        Case(text: "April 26", original: "2026-04-30", effective: "2026-04-30"),
        Case(text: "July'26", original: "2026-07-31", effective: "2026-07-31"),
        Case(text: "September 2022", original: "2022-09-30", effective: "2022-09-30"),
        Case(text: "By March 2024", original: "2024-03-31", effective: "2024-03-31"),
        Case(text: "6 months, July 2024", original: "2024-07-31", effective: "2024-07-31", remainder: "6 months"),
        Case(text: "31 March 2024", original: "2024-03-31", effective: "2024-03-31"),
        Case(text: "18/06/2024", original: "2024-06-18", effective: "2024-06-18"),
        // Terms, quarters and financial years.
        Case(text: "Autumn term 2025", original: "2025-12-31", effective: "2025-12-31"),
        Case(text: "Summer term 2024", original: "2024-07-31", effective: "2024-07-31"),
        Case(text: "Q3 2024/25", original: "2024-12-31", effective: "2024-12-31"),
        Case(text: "Q4 2024/25", original: "2025-03-31", effective: "2025-03-31"),
        Case(text: "Q2 2024", original: "2024-06-30", effective: "2024-06-30"),
        // Revisions.
        Case(text: "Revised date: May-25", revisions: ["2025-05-31"], effective: "2025-05-31"),
        Case(text: "Revised Date: March 2027", revisions: ["2027-03-31"], effective: "2027-03-31"),
        Case(text: "New timescale: Dec-24", revisions: ["2024-12-31"], effective: "2024-12-31"),
        Case(text: "July-25 (timescale revised)", revisions: ["2025-07-31"], effective: "2025-07-31"),
        Case(text: "May-24 Revised date: June 24", original: "2024-05-31", revisions: ["2024-06-30"], effective: "2024-06-30"),
        Case(text: "Dec 23 Revised: May 24.", original: "2023-12-31", revisions: ["2024-05-31"], effective: "2024-05-31"),
        Case(text: "Nov-23 Revised date: April 24 (CPS/CAM HS review new ND referral process)", original: "2023-11-30",
             revisions: ["2024-04-30"], effective: "2024-04-30", remainder: "(CPS/CAM HS review new ND referral process)"),
        Case(text: "June-24 Revised date: Sept 24 – contract register completed June 24", original: "2024-06-30",
             revisions: ["2024-09-30"], effective: "2024-09-30", remainder: "contract register completed June 24"),
        Case(text: "June-24 Revised date: Sept 24 - to keep in line with timeline for joint commissioning strategy",
             original: "2024-06-30", revisions: ["2024-09-30"], effective: "2024-09-30",
             remainder: "to keep in line with timeline for joint commissioning strategy"),
        // Ranges and recurrence.
        Case(text: "Pilot phase one Oct 25 / Roll out from April 26 - Dec 26", original: "2026-12-31", effective: "2026-12-31",
             remainder: "Pilot phase one Roll out"),
        Case(text: "June 2022 to June 2023 then annual programme", original: "2023-06-30", effective: "2023-06-30",
             recurrence: "then annual programme"),
        Case(text: "May 2022- repeated 3 monthly", original: "2022-05-31", effective: "2022-05-31", recurrence: "repeated 3 monthly"),
        Case(text: "April 2022, repeated monthly for 2 hour session", original: "2022-04-30", effective: "2022-04-30",
             recurrence: "repeated monthly for 2 hour session"),
        Case(text: "July 2022 repeated three times a year", original: "2022-07-31", effective: "2022-07-31",
             recurrence: "repeated three times a year"),
        Case(text: "May 2023 and ongoing", original: "2023-05-31", effective: "2023-05-31", recurrence: "ongoing"),
        Case(text: "Ongoing from Sept-26", original: "2026-09-30", effective: "2026-09-30", recurrence: "Ongoing from Sept-26"),
        Case(text: "October 2022 and recurring", original: "2022-10-31", effective: "2022-10-31", recurrence: "recurring"),
        Case(text: "September 2022 ongoing", original: "2022-09-30", effective: "2022-09-30", recurrence: "ongoing"),
        Case(text: "July 2022 updated bi-monthly", original: "2022-07-31", effective: "2022-07-31", recurrence: "updated bi-monthly"),
        Case(text: "May 2022; reviewed summer 2023", original: "2022-05-31", effective: "2022-05-31", remainder: "reviewed summer 2023"),
        // No date.
        Case(text: "", kind: .blank),
        Case(text: "   ", kind: .blank),
        Case(text: "TBC", kind: .toBeConfirmed),
        Case(text: "To be determined", kind: .toBeConfirmed),
        Case(text: "See 2.4.1 and 2.4.2", remainder: "See 2.4.1 and 2.4.2", kind: .unparsed),
        Case(text: "When funding allows", remainder: "When funding allows", kind: .unparsed),
    ])
    func reads(_ c: Case) {
        let t = parser.parse(c.text)
        #expect(t.kind == c.kind)
        #expect(t.original?.description == c.original)
        #expect(t.revisions.map(\.description) == c.revisions)
        #expect(t.effective?.description == c.effective)
        #expect(t.recurrence == c.recurrence)
        #expect(t.remainder == c.remainder)
        #expect(t.text == c.text)
    }

    @Test func recurrencesHaveTheirPeriod() {
        #expect(Timescale.recurrenceMonths("repeated 3 monthly") == 3)
        #expect(Timescale.recurrenceMonths("repeated monthly for 2 hour session") == 1)
        #expect(Timescale.recurrenceMonths("updated bi-monthly") == 2)
        #expect(Timescale.recurrenceMonths("repeated three times a year") == 4)
        #expect(Timescale.recurrenceMonths("then annual programme") == 12)
        #expect(Timescale.recurrenceMonths("quarterly") == 3)
        #expect(Timescale.recurrenceMonths("ongoing") == nil)
        #expect(Timescale.recurrenceMonths("recurring") == nil)
    }
}
