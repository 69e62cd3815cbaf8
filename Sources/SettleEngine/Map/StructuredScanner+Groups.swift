extension StructuredScanner {
    /// Groups without headers (Visa's batches): a group opens after the file header and after each
    /// group trailer, keyed by that record's byte offset (which the planner finds the same way).
    var implicitGroups: Bool { layout.hasGroupTrailers && !layout.hasGroupHeaders }
}
