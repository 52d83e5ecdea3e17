/// Hadamard matrices: n x n, entries +-1, rows mutually orthogonal (H H^T = n I), so any two
/// rows differ in exactly n / 2 places. Central-similarity hashing takes its class centers from
/// their rows. Built by Sylvester doubling, Paley's first construction (n = q + 1, q a prime
/// = 3 mod 4) and Paley's second (n = 2 (q + 1), q a prime = 1 mod 4): together they give every
/// order n = 1, 2 or a multiple of 4 up to 88 (e.g. 12, 24, 36, 48, 64) and most beyond.
public enum HadamardMatrix {
    /// The rows of an n x n Hadamard matrix, or nil when none of the constructions reaches n.
    public static func rows(order n: Int) -> [[Int8]]? {
        guard n >= 1 else { return nil }
        if n == 1 { return [[1]] }
        if n == 2 { return [[1, 1], [1, -1]] }
        guard n % 4 == 0 else { return nil }
        if isPrime(n - 1) && (n - 1) % 4 == 3 { return paleyI(q: n - 1) }
        if isPrime(n / 2 - 1) && (n / 2 - 1) % 4 == 1 { return paleyII(q: n / 2 - 1) }
        guard let half = rows(order: n / 2) else { return nil }
        // Sylvester: [[H, H], [H, -H]].
        return half.map { $0 + $0 } + half.map { $0 + $0.map { -$0 } }
    }

    /// The quadratic character of x mod a prime q: 0, 1 (a nonzero square) or -1.
    static func legendre(_ x: Int, _ q: Int) -> Int8 {
        let r = ((x % q) + q) % q
        if r == 0 { return 0 }
        return (1..<q).contains { ($0 * $0) % q == r } ? 1 : -1
    }

    /// Paley I: H = I + [[0, 1^T], [-1, Q]], Q[i][j] = legendre(j - i), antisymmetric for q = 3 mod 4.
    private static func paleyI(q: Int) -> [[Int8]] {
        let n = q + 1
        var h = [[Int8]](repeating: [Int8](repeating: 0, count: n), count: n)
        for j in 1..<n { h[0][j] = 1; h[j][0] = -1 }
        for i in 0..<q { for j in 0..<q { h[i + 1][j + 1] = legendre(j - i, q) } }
        for i in 0..<n { h[i][i] += 1 }
        return h
    }

    /// Paley II: S = [[0, 1^T], [1, Q]] (symmetric for q = 1 mod 4); each 0 of S becomes
    /// [[1, -1], [-1, -1]] and each +-1 becomes +-[[1, 1], [1, -1]].
    private static func paleyII(q: Int) -> [[Int8]] {
        let m = q + 1
        var s = [[Int8]](repeating: [Int8](repeating: 0, count: m), count: m)
        for j in 1..<m { s[0][j] = 1; s[j][0] = 1 }
        for i in 0..<q { for j in 0..<q { s[i + 1][j + 1] = legendre(j - i, q) } }
        var h = [[Int8]](repeating: [Int8](repeating: 0, count: 2 * m), count: 2 * m)
        for i in 0..<m {
            for j in 0..<m {
                let block: [[Int8]] = s[i][j] == 0 ? [[1, -1], [-1, -1]] : [[s[i][j], s[i][j]], [s[i][j], -s[i][j]]]
                for a in 0..<2 { for b in 0..<2 { h[2 * i + a][2 * j + b] = block[a][b] } }
            }
        }
        return h
    }

    private static func isPrime(_ n: Int) -> Bool {
        guard n >= 2 else { return false }
        var d = 2
        while d * d <= n {
            if n % d == 0 { return false }
            d += 1
        }
        return true
    }
}
