/// Physical forms in `StructuredScanner`: what follows the file trailer, and warnings.
extension StructuredScanner {
    /// `spec`: the kind the record was recognised as, if any (a detail's reference still counts).
    func afterTrailer(byteOffset: Int, rawLength: Int, local: Int, result: inout PartitionResult, rejects: inout RejectLog,
                              spec: Int = -1) throws {
        if lookingAhead { return }
        if layout.afterTrailer == .ignore && !strict {
            warn(.afterTrailer, local: local)
            return
        }
        try reject(.afterTrailer, spec: -1, field: -1, byteOffset: byteOffset, rawLength: rawLength, local: local, result: &result,
                   rejects: &rejects)
        if spec >= 0 { try noteRejectedReference(spec: spec, byteOffset: byteOffset, rawLength: rawLength, local: local) }
    }

    func warn(_ warning: StructuredWarning, local: Int) {
        if lookingAhead { return }
        let index = StructuredWarning.allCases.firstIndex(of: warning)!
        warningCounts[index] += 1
        if warningFirst[index].count < StructuredPartial.warningPositions { warningFirst[index].append([partition.index, local]) }
    }

    static func trimmed(_ pointer: UnsafeRawPointer, offset: Int, length: Int) -> (start: Int, count: Int) {
        var start = offset, end = offset + length
        while start < end && pointer.load(fromByteOffset: start, as: UInt8.self) == 0x20 { start += 1 }
        while end > start && pointer.load(fromByteOffset: end - 1, as: UInt8.self) == 0x20 { end -= 1 }
        return (start, end - start)
    }
}
