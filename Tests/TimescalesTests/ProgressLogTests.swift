import Testing
import Expressions
@testable import Timescales

@Suite struct ProgressLogTests {
    func read(_ text: String) -> [String] {
        ProgressLog.entries(in: text).entries.map { "\($0.date)|\($0.author ?? "")|\($0.text)" }
    }

    @Test func entryForms() {
        #expect(read("Sep 23: All groups in place. Sep 23: Chair agreed.") == ["2023-09-30||All groups in place.", "2023-09-30||Chair agreed."])
        #expect(read("Nov23: SL: GM group working. Dec23 AW - resource found") == ["2023-11-30|SL|GM group working.", "2023-12-31|AW|resource found"])
        #expect(read("Nov23-AA: Confirmed complete") == ["2023-11-30|AA|Confirmed complete"])
        #expect(read("Dec23-DCO job description agreed") == ["2023-12-31||DCO job description agreed"])
        #expect(read("Nov.23. GF: draft shared") == ["2023-11-30|GF|draft shared"])
        #expect(read("21/03/24: AB: LAIP updated") == ["2024-03-21|AB|LAIP updated"])
        #expect(read("January 2024 HMN: plan agreed") == ["2024-01-31|HMN|plan agreed"])
        #expect(read("March 2024: HMN: plan agreed") == ["2024-03-31|HMN|plan agreed"])
        #expect(read("April 25 - trial started") == ["2025-04-30||trial started"])
        #expect(read("Nov 24 – waiting list down") == ["2024-11-30||waiting list down"])
        #expect(read("18/06/2024 - ED & H M-N - audit done") == ["2024-06-18|ED & H M-N|audit done"])
        #expect(read("ED and H M-N - 19/03/2024 - audit planned") == ["2024-03-19|ED and H M-N|audit planned"])
    }

    @Test func datesInsideSentencesDoNotStartEntries() {
        #expect(read("Sep 23: workshop to be held on 13/12/23 with SENCOs. Review in Sept 2024.") ==
                ["2023-09-30||workshop to be held on 13/12/23 with SENCOs. Review in Sept 2024."])
    }

    @Test func textBeforeTheFirstDateIsKept() {
        let r = ProgressLog.entries(in: "YP Conference planned. 21/03/24: AB: done")
        #expect(r.unattributed == "YP Conference planned.")
        #expect(r.entries.count == 1)
    }
}

@Suite struct ProgressLogRunOnTests {
    @Test func initialsAndADashStartAnEntryMidSentence() {
        let r = ProgressLog.entries(in: "Dec23 AW - resource being secured early in the new year Jan24 AW - CYP MH support now in post Mar24 PC - mapping done")
        #expect(r.entries.map { "\($0.date)|\($0.author ?? "")" } == ["2023-12-31|AW", "2024-01-31|AW", "2024-03-31|PC"])
        #expect(r.entries[0].text == "resource being secured early in the new year")
    }

    /// From the Oldham export (1.6): an entry run on after the text of another, date and colon first.
    @Test func aDateAColonAndInitialsStartAnEntryMidSentence() {
        let r = ProgressLog.entries(in: "Jan 24: SL: Packages to be tabled. Sep 24: Signed off as complete in LIP EB May 24: AB: meeting with PHE")
        #expect(r.entries.map { "\($0.date)|\($0.author ?? "")" } == ["2024-01-31|SL", "2024-09-30|", "2024-05-31|AB"])
        #expect(r.entries[1].text == "Signed off as complete in LIP EB")
        // A date and a colon alone, mid-sentence, is not an entry.
        #expect(ProgressLog.entries(in: "Nov23: review due by May 24: then close").entries.count == 1)
    }
}
