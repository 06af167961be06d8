/// Ranges of sequence numbers as they travel in JSON: `[[first, last], …]` (`sys.Replay`'s
/// `retired`). Malformed pairs are skipped.
extension JSON {
    public var sequenceRanges: [ClosedRange<Int64>] {
        (arrayValue ?? []).compactMap { pair -> ClosedRange<Int64>? in
            guard let low = pair.arrayValue?.first?.intValue, let high = pair.arrayValue?.last?.intValue, low <= high else { return nil }
            return low...high
        }
    }
}
