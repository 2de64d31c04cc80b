import DossierArchive

/// An independent RFC 9162 §2.1 implementation, written from the RFC's text and nothing in
/// DossierCustody: raw byte arrays, the recursive definitions of MTH, PATH and SUBPROOF, and
/// the verification algorithms of §2.1.3.2 and §2.1.4.2 step by step (the module verifies by
/// recursion instead). The tests check the module against it.
enum RFC9162 {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        let hash = SHA256()
        hash.update(bytes)
        return hash.finish()
    }

    static func leafHash(_ data: [UInt8]) -> [UInt8] { sha256([0x00] + data) }
    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { sha256([0x01] + left + right) }

    /// k: the largest power of two smaller than n.
    static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[n]) over the leaf inputs.
    static func mth(_ d: ArraySlice<[UInt8]>) -> [UInt8] {
        if d.isEmpty { return sha256([]) }
        if d.count == 1 { return leafHash(d[d.startIndex]) }
        let split = d.startIndex + k(d.count)
        return nodeHash(mth(d[..<split]), mth(d[split...]))
    }

    /// PATH(m, D[n]).
    static func path(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] {
        if d.count == 1 { return [] }
        let kk = k(d.count)
        let split = d.startIndex + kk
        return m < kk ? path(m, d[..<split]) + [mth(d[split...])] : path(m - kk, d[split...]) + [mth(d[..<split])]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    static func proof(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] { subproof(m, d, true) }

    static func subproof(_ m: Int, _ d: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        if m == d.count { return b ? [] : [mth(d)] }
        let kk = k(d.count)
        let split = d.startIndex + kk
        return m <= kk ? subproof(m, d[..<split], b) + [mth(d[split...])] : subproof(m - kk, d[split...], false) + [mth(d[..<split])]
    }

    /// §2.1.3.2, numbered as in the RFC.
    static func verifyInclusion(leafIndex: UInt64, treeSize: UInt64, hash: [UInt8], path: [[UInt8]], root: [UInt8]) -> Bool {
        // 1.
        if leafIndex >= treeSize { return false }
        // 2., 3.
        var fn = leafIndex, sn = treeSize - 1, r = hash
        // 4.
        for p in path {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 { while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 } }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        // 5.
        return sn == 0 && r == root
    }

    /// §2.1.4.2, numbered as in the RFC (first < second).
    static func verifyConsistency(first: UInt64, second: UInt64, firstHash: [UInt8], secondHash: [UInt8], path: [[UInt8]]) -> Bool {
        // 1.
        if path.isEmpty { return false }
        var path = path
        // 2.
        if first & (first - 1) == 0 { path.insert(firstHash, at: 0) }
        // 3.
        var fn = first - 1, sn = second - 1
        // 4.
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        // 5.
        var fr = path[0], sr = path[0]
        // 6.
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 { while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 } }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        // 7.
        return fr == firstHash && sr == secondHash && sn == 0
    }

    /// Bytes from hexadecimal (test vectors).
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).compactMap {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)
        }
    }
}
