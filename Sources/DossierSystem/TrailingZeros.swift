/// Where `bytes` end once trailing zeros are left out. The journal and the custody log write
/// zeros ahead of their last record, a megabyte at a time; a count of bytes cut off or left
/// unread that included them would tell an operator of a megabyte lost where a record was.
public func endBeforeTrailingZeros(_ bytes: [UInt8]) -> Int {
    bytes.lastIndex { $0 != 0 }.map { $0 + 1 } ?? 0
}
