"""Driver for benchmarks/vs-faiss: times faiss IndexBinaryFlat in-process and hashscope's
`bench search` on the very same file, and verifies the IBxF round trip both ways."""
import argparse, json, os, platform, subprocess, sys, time
import faiss
import numpy as np

CONFIGS = [(10_000_000, 64), (5_000_000, 128), (2_500_000, 256)]


def hashscope(binary, *args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out) if "--json" in args else out


def time_faiss(index, bits, queries, k, threads):
    faiss.omp_set_num_threads(threads)
    index.search(queries[:1], k)  # page the codes in
    singles = []
    for i in range(len(queries)):
        start = time.perf_counter()
        index.search(queries[i:i + 1], k)
        singles.append((time.perf_counter() - start) * 1e3)
    start = time.perf_counter()
    index.search(queries, k)
    batch = (time.perf_counter() - start) * 1e3 / len(queries)
    return float(np.median(singles)), batch


def round_trip(binary, work, index, codes_file, queries, k):
    """faiss file -> hashscope index -> faiss file: same bytes, same search results."""
    ours = os.path.join(work, "roundtrip.hsix")
    back = os.path.join(work, "roundtrip.ibxf")
    hashscope(binary, "index", "convert", codes_file, ours, "--to", "hashscope")
    hashscope(binary, "index", "convert", ours, back, "--to", "faiss")
    same_bytes = open(codes_file, "rb").read() == open(back, "rb").read()
    reread = faiss.read_index_binary(back)
    d1, i1 = index.search(queries, k)
    d2, i2 = reread.search(queries, k)
    return same_bytes and np.array_equal(d1, d2) and np.array_equal(i1, i2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hashscope", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = np.random.default_rng(2026)
    print(f"# {time.strftime('%Y-%m-%d')} {platform.node()} {os.cpu_count()} cores, faiss-cpu {faiss.__version__}, "
          f"k={args.k}, {args.queries} random queries")
    bandwidth = {t: hashscope(args.hashscope, "bench", "memory", "--threads", str(t), "--json")["read_gb_per_s"] for t in (1, 2)}
    print(f"memory read bandwidth: {bandwidth[1]:.1f} GB/s (1 thread), {bandwidth[2]:.1f} GB/s (2 threads)")
    kernel_shown = False
    print(f"{'codes':>12} {'bits':>5} {'thr':>3} | {'faiss ms':>9} {'ours ms':>8} {'ratio':>6} | "
          f"{'faiss batch':>11} {'ours batch':>10} {'ratio':>6} | {'ours GB/s':>9}")
    headline = None
    all_round_trips = True
    for count, bits in CONFIGS:
        count = count // 10 if args.quick else count
        codes = rng.integers(0, 256, size=(count, bits // 8), dtype=np.uint8)
        index = faiss.IndexBinaryFlat(bits)
        index.add(codes)
        codes_file = os.path.join(args.work, f"codes-{count}x{bits}.ibxf")
        faiss.write_index_binary(index, codes_file)
        queries = rng.integers(0, 256, size=(args.queries, bits // 8), dtype=np.uint8)
        for threads in (1, 2):
            faiss_single, faiss_batch = time_faiss(index, bits, queries, args.k, threads)
            ours = hashscope(args.hashscope, "bench", "search", "--index", codes_file, "--queries", str(args.queries),
                             "--k", str(args.k), "--threads", str(threads), "--json")
            if not kernel_shown:
                print(f"hashscope scan kernel: {ours['kernel']} (the fastest this CPU runs)")
                kernel_shown = True
            single_ratio = faiss_single / ours["ms_per_query"]
            batch_ratio = faiss_batch / ours["batch_ms_per_query"]
            gbs = count * bits / 8 / (ours["ms_per_query"] / 1e3) / 1e9
            print(f"{count:>12,} {bits:>5} {threads:>3} | {faiss_single:>9.2f} {ours['ms_per_query']:>8.2f} {single_ratio:>5.2f}x | "
                  f"{faiss_batch:>11.2f} {ours['batch_ms_per_query']:>10.2f} {batch_ratio:>5.2f}x | "
                  f"{gbs:>6.1f} ({gbs / bandwidth[threads]:.0%})")
            if bits == 64 and threads == 1:
                headline = single_ratio
        ok = round_trip(args.hashscope, args.work, index, codes_file, queries[:10], args.k)
        all_round_trips &= ok
        print(f"  round trip faiss -> hashscope -> faiss ({bits} bits): {'identical bytes and results' if ok else 'MISMATCH'}")
        del index, codes
    print(f"hashscope vs faiss IndexBinaryFlat, 64-bit codes, single query, 1 thread: {headline:.2f}x faster")
    sys.exit(0 if all_round_trips else 1)


if __name__ == "__main__":
    main()
