import Foundation

/// Process-wide allocator settings for compute-heavy runs (train, eval, index, benchmarks).
///
/// Why: glibc's malloc serves blocks above its mmap threshold (at most 32 MB) with fresh mmap
/// pages and gives them back on free, so every large tensor (a 128x64x32x32 activation is 32 MB)
/// is page-faulted in again on each allocation. On the reference machine a fault costs about
/// 1.7 us per 4 KB page: allocating that tensor took 14 ms, as long as 30 GFLOP of sgemm, and a
/// conv3x3 64->64 forward + backward at batch 128 ran 180 ms instead of 148 ms; a depthwise one
/// 47 ms instead of 16 ms. With mmap off and trimming off, freed blocks stay in the heap and the
/// next batch reuses them without faults (as PyTorch's caching allocators do).
///
/// The cost: the process keeps its peak heap until it exits, so a library does not do this
/// behind the caller's back; commands that run networks call it once at start.
public enum MemoryTuning {
    /// Tells glibc to serve every block from the heap and never trim it. Returns false (and
    /// changes nothing) where the C library has no `mallopt`. Calling it again is harmless.
    @discardableResult
    public static func keepFreedMemoryForReuse() -> Bool {
        typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
        // Looked up at run time: malloc.h is not part of Swift's Glibc module, and non-glibc
        // C libraries lack the function.
        guard let symbol = dlsym(nil, "mallopt") else { return false }  // nil: RTLD_DEFAULT on glibc
        let mallopt = unsafeBitCast(symbol, to: MalloptFunction.self)
        let trimThreshold: Int32 = -1, mmapMax: Int32 = -4  // M_TRIM_THRESHOLD, M_MMAP_MAX (malloc.h)
        return mallopt(mmapMax, 0) == 1 && mallopt(trimThreshold, Int32.max) == 1
    }
}
