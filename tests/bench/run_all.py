"""`make bench`: every benchmark, one after the other."""

from tests.bench import (
    bench_archive,
    bench_callback,
    bench_copied_logs,
    bench_erasure,
    bench_province,
    bench_scoring,
    bench_year,
)

if __name__ == "__main__":
    bench_callback.main()
    print()
    bench_province.main()
    print()
    if bench_province.postgres_up():
        bench_province.main(["--postgres"])
        print()
        bench_erasure.main([])
        print()
    bench_scoring.main()
    print()
    bench_year.main()
    print()
    bench_archive.main([])
    print()
    bench_copied_logs.main([])
