/// A torn tail cut off the newest segment: the last write before a crash, never acknowledged.
public struct TornTail: Sendable, Equatable {
    /// The segment's file name.
    public var segment: String
    /// Where the segment was truncated.
    public var offset: Int
    /// Bytes of records removed (the zeros written ahead after them not counted).
    public var droppedBytes: Int
}
