import Testing
import Expressions
@testable import Timescales

@Suite struct AsAtDateTests {
    func read(_ text: String) -> String? { AsAtDate.date(in: text)?.description }

    @Test func phrasesPlansUse() {
        #expect(read("RAG ratings accurate as at 1 March 2024") == "2024-03-01")
        #expect(read("Position at: Jan-24") == "2024-01-31")
        #expect(read("Progress as of 31/03/2024") == "2024-03-31")
        #expect(read("Last updated 12.02.24") == "2024-02-12")
        #expect(read("SEND Improvement Plan – position as at end of March 2024") == "2024-03-31")
        #expect(read("Sheet: Plan (correct at 5 June 2024)") == "2024-06-05")
    }

    @Test func textThatNamesNoSuchDate() {
        #expect(read("SEND Improvement Plan 2023-25") == nil)              // a title with years only
        #expect(read("An updated SEND strategy will be published") == nil) // no date after the phrase
        #expect(read("Updated SEND strategy 2024") == nil)                 // a bare year is no date
        #expect(read("Reviewed in March 2024, as agreed") == nil)          // a date, but not introduced as "as at"
        #expect(read("as at") == nil)
        // Prose is no title: a long paragraph that happens to say "as at" is not read.
        #expect(read(String(repeating: "word ", count: 50) + "as at 1 March 2024") == nil)
    }
}
