import SagaWire
import Testing
@testable import Domain

@Suite struct PageTests {
    /// Paging through keys in any order yields every key once, in order, `limit` at a time,
    /// exactly as a sort of all of them would.
    @Test(arguments: [1, 2, 7, 100, 1000])
    func pagesCoverEveryKeyInOrder(_ limit: Int) {
        var generator = SplitMix64(seed: UInt64(limit))
        let keys = (0..<2500).map { _ in "k\(generator.next() % 1_000_000_007)" }
        let unique = Array(Set(keys))
        var after: String?
        var seen: [String] = []
        var pages = 0
        repeat {
            let (page, next) = Page(limit: limit, after: after).select(unique.shuffled(using: &generator))
            #expect(page.count <= limit)
            #expect(next == nil || (page.count == limit && next == page.last))
            seen += page
            after = next
            pages += 1
        } while after != nil && pages <= unique.count
        #expect(seen == unique.sorted())
        #expect(pages == max(1, (unique.count + limit - 1) / limit))
    }

    @Test func edgeCases() {
        #expect(Page(limit: 5, after: nil).select([String]()) == ([], nil))
        #expect(Page(limit: 3, after: nil).select(["c", "a", "b"]) == (["a", "b", "c"], nil))
        #expect(Page(limit: 2, after: nil).select(["c", "a", "b"]) == (["a", "b"], "b"))
        #expect(Page(limit: 2, after: "b").select(["c", "a", "b"]) == (["c"], nil))
        #expect(Page(limit: 2, after: "z").select(["c", "a", "b"]) == ([], nil))
        // Keys ascending and descending: the heap's best and worst order.
        let ascending = (0..<1000).map { String(format: "%04d", $0) }
        #expect(Page(limit: 10, after: "0500").select(ascending) == (Array(ascending[501..<511]), "0510"))
        #expect(Page(limit: 10, after: "0500").select(ascending.reversed()) == (Array(ascending[501..<511]), "0510"))
    }

    @Test func theLimitIsReadAndBoundedFromTheQuery() throws {
        let page = try Page(Fields(["limit": 3, "after": "x"], path: "body"))
        #expect(page.limit == 3 && page.after == "x")
        #expect(try Page(Fields([:], path: "body")).limit == 100)
        #expect(throws: WireError.self) { try Page(Fields(["limit": 0], path: "body")) }
        #expect(throws: WireError.self) { try Page(Fields(["limit": 1001], path: "body")) }
    }
}
